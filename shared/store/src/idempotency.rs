//! The answers of `POST` requests sent with an `Idempotency-Key`, kept so
//! that a retry gets the first answer instead of doing the work twice.
//!
//! One record per key (`pk = IDEMPOTENCY#<key id>`, `sk = RECORD`; the key
//! id is a hash of the caller's business, the caller and the key, made by the
//! HTTP kit). A request claims its key with one conditional `PutItem` that
//! leaves the record *running* with a lease; the answer is then kept in the
//! same record (*done*), or the claim is released when the answer is not worth
//! keeping. Records expire (TTL) 24 hours after their key's first use.
//!
//! An answer about a customer also leaves a pointer in the customer's own
//! partition (`sk = IDEMPOTENCY#<key id>`): deleting or erasing the customer
//! removes the pointer and, through it, the kept answer, which may hold the
//! customer's data.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clientele_core::{CustomerId, StoreError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::errors::{classify, condition_failed};
use crate::items::{Item, from_item, to_item};
use crate::keys::{self, attr};
use crate::transact::{Write, transact};

/// The kind of a kept answer.
pub const RECORD: &str = "IdempotencyRecord";
/// The kind of the pointer from a customer's partition to a kept answer.
pub const POINTER: &str = "IdempotencyPointer";

/// How long a key is remembered after its first use.
pub const KEY_LIFETIME_SECONDS: i64 = 24 * 3_600;

/// How long a request holds its key before another request with the key may
/// run in its place: twice as long as a route function may run (the
/// template's timeout, 15 seconds), so that only a request whose function
/// died, or whose claim could not be given up, loses it.
pub const LEASE_SECONDS: i64 = 30;

const RUNNING: &str = "running";
const DONE: &str = "done";

/// An answer as it is kept and replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    /// The status code.
    pub status: u16,
    /// The headers worth replaying, by lower-case name.
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: Vec<u8>,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's: run it, then [`DynamoStore::keep_answer`]
    /// or [`DynamoStore::release_key`] with this lease.
    Granted {
        /// Proves the claim is still this request's when it ends.
        lease: String,
    },
    /// The key's first request answered this: replay it.
    Answered(KeptAnswer),
    /// Another request with the key is running now.
    Running,
    /// The key was first used for another request (another path or body).
    Mismatch,
}

/// The stored form of a key's record.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    pk: String,
    sk: String,
    entity: String,
    /// What the request was: a hash of its method, path and body.
    fingerprint: String,
    state: String,
    lease: String,
    lease_until: i64,
    expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
    /// The body, in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customer_id: Option<String>,
}

impl Record {
    fn claim_for(&self, fingerprint: &str) -> Result<Claim, StoreError> {
        if self.fingerprint != fingerprint {
            return Ok(Claim::Mismatch);
        }
        if self.state != DONE {
            return Ok(Claim::Running);
        }
        let body = match &self.body {
            Some(text) => STANDARD.decode(text).map_err(|e| StoreError::Unexpected(Box::new(e)))?,
            None => Vec::new(),
        };
        Ok(Claim::Answered(KeptAnswer {
            status: self.status.unwrap_or(200),
            headers: self.headers.clone(),
            body,
        }))
    }
}

/// The pointer a customer's partition keeps to an answer about it.
#[derive(Debug, Serialize, Deserialize)]
struct Pointer {
    pk: String,
    sk: String,
    entity: String,
    /// The key id of the record it points at.
    key_id: String,
    expires_at: i64,
}

impl DynamoStore {
    /// Claims `key_id` for a request whose fingerprint is `fingerprint`, at
    /// `now`: granted when the key is new, expired, or held by a request
    /// whose lease ran out.
    pub async fn claim_key(&self, key_id: &str, fingerprint: &str, now: Timestamp) -> Result<Claim, StoreError> {
        let key = keys::idempotency_record(key_id);
        let lease = uuid::Uuid::new_v4().to_string();
        let record = Record {
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            entity: RECORD.to_owned(),
            fingerprint: fingerprint.to_owned(),
            state: RUNNING.to_owned(),
            lease: lease.clone(),
            lease_until: now.unix_seconds() + LEASE_SECONDS,
            expires_at: now.unix_seconds() + KEY_LIFETIME_SECONDS,
            status: None,
            headers: BTreeMap::new(),
            body: None,
            customer_id: None,
        };
        let put = self
            .client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(to_item(&record)?))
            .condition_expression(
                "attribute_not_exists(pk) OR #expires_at < :now OR (#state = :running AND #lease_until < :now)",
            )
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#lease_until", "lease_until")
            .expression_attribute_values(":now", AttributeValue::N(now.unix_seconds().to_string()))
            .expression_attribute_values(":running", AttributeValue::S(RUNNING.to_owned()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let error = match put {
            Ok(_) => return Ok(Claim::Granted { lease }),
            Err(error) if condition_failed(&error) => error,
            Err(error) => return Err(classify(error)),
        };
        let held = match error.into_service_error() {
            PutItemError::ConditionalCheckFailedException(refusal) => refusal.item,
            _ => None,
        };
        let held = match held {
            Some(item) => Some(item),
            None => self.get_item(key).await?,
        };
        match held {
            Some(item) => from_item::<Record>(item)?.claim_for(fingerprint),
            // Released between the two calls: its request ended unanswered.
            None => Ok(Claim::Running),
        }
    }

    /// Keeps `answer` as the answer of `key_id`'s request, if the claim
    /// `lease` is still the request's; an answer about `customer` also
    /// leaves its pointer in the customer's partition, unless the customer
    /// is gone (then the answer is kept on its own, as long as any other).
    pub async fn keep_answer(
        &self,
        key_id: &str,
        lease: &str,
        answer: &KeptAnswer,
        customer: Option<CustomerId>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let record = keys::idempotency_record(key_id);
        let headers: Item = answer
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), AttributeValue::S(value.clone())))
            .collect();
        let mut update = String::from("SET #state = :done, #status = :status, #headers = :headers, #body = :body");
        if customer.is_some() {
            update.push_str(", #customer_id = :customer_id");
        }
        let mut keep = Write::update(&self.table, record, update)
            .condition("#lease = :lease")
            .name("#state", "state")
            .name("#status", "status")
            .name("#headers", "headers")
            .name("#body", "body")
            .name("#lease", "lease")
            .value(":done", AttributeValue::S(DONE.to_owned()))
            .value(":status", AttributeValue::N(answer.status.to_string()))
            .value(":headers", AttributeValue::M(headers))
            .value(":body", AttributeValue::S(STANDARD.encode(&answer.body)))
            .value(":lease", AttributeValue::S(lease.to_owned()));
        let Some(customer) = customer else {
            return finish(transact(&self.client, vec![keep]).await?, key_id);
        };
        keep = keep
            .name("#customer_id", attr::CUSTOMER_ID)
            .value(":customer_id", AttributeValue::S(customer.to_string()));
        let pointer_key = keys::idempotency_pointer(customer, key_id);
        let pointer = Pointer {
            pk: pointer_key.pk,
            sk: pointer_key.sk,
            entity: POINTER.to_owned(),
            key_id: key_id.to_owned(),
            expires_at: now.unix_seconds() + KEY_LIFETIME_SECONDS,
        };
        let writes = vec![
            keep,
            Write::put(&self.table, to_item(&pointer)?),
            Write::check(&self.table, keys::customer(customer)).condition("attribute_exists(pk)"),
        ];
        match transact(&self.client, writes).await? {
            Err(cancelled) if !cancelled.failed(0) && cancelled.failed(2) => {
                // The customer is gone (the request erased it): nothing left
                // to erase the answer with, so it is kept on its own.
                Box::pin(self.keep_answer(key_id, lease, answer, None, now)).await
            }
            outcome => finish(outcome, key_id),
        }
    }

    /// Gives up the claim `lease` on `key_id`: the request's answer is not
    /// kept, and a retry with the key runs it again.
    pub async fn release_key(&self, key_id: &str, lease: &str) -> Result<(), StoreError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keys::idempotency_record(key_id).to_attributes()))
            .condition_expression("#lease = :lease")
            .expression_attribute_names("#lease", "lease")
            .expression_attribute_values(":lease", AttributeValue::S(lease.to_owned()))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) if condition_failed(&error) => {
                tracing::warn!(key_id, "an idempotency key's claim ran out before its request ended");
                Ok(())
            }
            Err(error) => Err(classify(error)),
        }
    }
}

fn finish(outcome: Result<(), crate::transact::Cancelled>, key_id: &str) -> Result<(), StoreError> {
    if outcome.is_err() {
        // The lease ran out and another request holds the key now: its
        // answer is the one kept.
        tracing::warn!(key_id, "an idempotency key's claim ran out before its answer was kept");
    }
    Ok(())
}
