//! `TransactWriteItems` with the two things every caller needs: a retry when
//! DynamoDB cancels for a conflicting concurrent transaction, and the
//! cancellation reasons when a condition failed.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use clientele_core::StoreError;

use crate::errors::classify;
use crate::items::Item;
use crate::keys::Key;

/// Attempts when DynamoDB cancels for a concurrent transaction on the same
/// items (concurrent creates in one business may meet on a segment counts
/// shard).
const CONFLICT_ATTEMPTS: u32 = 8;

/// Cancellation reasons worth another attempt: a concurrent transaction on the
/// same items, or throttling.
const TRANSIENT_REASONS: &[&str] = &[
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
];

/// Why a condition in a transaction failed, by the position of its item.
#[derive(Debug)]
pub(crate) struct Cancelled(Vec<CancellationReason>);

impl Cancelled {
    /// Whether the item at `index` failed its condition.
    pub(crate) fn failed(&self, index: usize) -> bool {
        self.0
            .get(index)
            .is_some_and(|reason| reason.code() == Some("ConditionalCheckFailed"))
    }

    /// Whether the item at `index` failed its condition and still exists.
    pub(crate) fn failed_but_exists(&self, index: usize) -> bool {
        self.failed(index) && self.0.get(index).is_some_and(|reason| reason.item().is_some())
    }
}

fn build_error(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unexpected(Box::new(error))
}

/// One conditional or unconditional write.
pub(crate) struct Write {
    table: String,
    kind: WriteKind,
    condition: Option<String>,
    values: Vec<(String, AttributeValue)>,
    names: Vec<(String, String)>,
}

enum WriteKind {
    Put(Item),
    Delete(Key),
    Update(Key, String),
    Check(Key),
}

impl Write {
    /// Puts an item.
    pub(crate) fn put(table: &str, item: Item) -> Self {
        Self::new(table, WriteKind::Put(item))
    }

    /// Deletes an item.
    pub(crate) fn delete(table: &str, key: Key) -> Self {
        Self::new(table, WriteKind::Delete(key))
    }

    /// Writes nothing, but the transaction happens only if the item meets its condition.
    pub(crate) fn check(table: &str, key: Key) -> Self {
        Self::new(table, WriteKind::Check(key))
    }

    /// Updates an item with an update expression.
    pub(crate) fn update(table: &str, key: Key, expression: impl Into<String>) -> Self {
        Self::new(table, WriteKind::Update(key, expression.into()))
    }

    fn new(table: &str, kind: WriteKind) -> Self {
        Self {
            table: table.to_owned(),
            kind,
            condition: None,
            values: Vec::new(),
            names: Vec::new(),
        }
    }

    /// Only if this condition holds.
    pub(crate) fn condition(mut self, expression: impl Into<String>) -> Self {
        self.condition = Some(expression.into());
        self
    }

    /// On condition that the item is still at `version` (its `version`
    /// attribute): a change decided on what was read.
    pub(crate) fn at_version(self, version: u64) -> Self {
        self.condition("#version = :version")
            .name("#version", crate::keys::attr::VERSION)
            .value(":version", AttributeValue::N(version.to_string()))
    }

    /// An expression attribute value.
    pub(crate) fn value(mut self, name: impl Into<String>, value: AttributeValue) -> Self {
        self.values.push((name.into(), value));
        self
    }

    /// An expression attribute name.
    pub(crate) fn name(mut self, placeholder: impl Into<String>, attribute: impl Into<String>) -> Self {
        self.names.push((placeholder.into(), attribute.into()));
        self
    }

    fn into_transact_item(self) -> Result<TransactWriteItem, StoreError> {
        let values = (!self.values.is_empty()).then(|| self.values.into_iter().collect());
        let names = (!self.names.is_empty()).then(|| self.names.into_iter().collect());
        let on_failure = Some(ReturnValuesOnConditionCheckFailure::AllOld);
        // Put, Delete and Update are distinct SDK types with the same setters.
        macro_rules! conditional {
            ($builder:expr) => {
                $builder
                    .table_name(self.table)
                    .set_condition_expression(self.condition)
                    .set_expression_attribute_values(values)
                    .set_expression_attribute_names(names)
                    .set_return_values_on_condition_check_failure(on_failure)
                    .build()
                    .map_err(build_error)?
            };
        }
        let builder = TransactWriteItem::builder();
        let item = match self.kind {
            WriteKind::Put(item) => builder.put(conditional!(Put::builder().set_item(Some(item)))),
            WriteKind::Delete(key) => {
                builder.delete(conditional!(Delete::builder().set_key(Some(key.to_attributes()))))
            }
            WriteKind::Update(key, expression) => builder.update(conditional!(
                Update::builder()
                    .set_key(Some(key.to_attributes()))
                    .update_expression(expression)
            )),
            WriteKind::Check(key) => builder.condition_check(conditional!(
                ConditionCheck::builder().set_key(Some(key.to_attributes()))
            )),
        };
        Ok(item.build())
    }
}

/// Writes all or nothing. `Ok(Err(cancelled))` when a condition failed.
pub(crate) async fn transact(client: &Client, writes: Vec<Write>) -> Result<Result<(), Cancelled>, StoreError> {
    let items = writes
        .into_iter()
        .map(Write::into_transact_item)
        .collect::<Result<Vec<_>, _>>()?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = client
            .transact_write_items()
            .set_transact_items(Some(items.clone()))
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(Ok(())),
            Err(error) => error,
        };
        let reasons = match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                cancelled.cancellation_reasons().to_vec()
            }
            _ => return Err(classify(error)),
        };
        let code_seen = |code: &str| reasons.iter().any(|r| r.code() == Some(code));
        if code_seen("ConditionalCheckFailed") {
            return Ok(Err(Cancelled(reasons)));
        }
        let transient = TRANSIENT_REASONS.iter().any(|code| code_seen(code));
        if transient && attempt < CONFLICT_ATTEMPTS {
            tokio::time::sleep(backoff(attempt)).await;
            continue;
        }
        return Err(if transient {
            StoreError::Unavailable(Box::new(error))
        } else {
            StoreError::Unexpected(Box::new(error))
        });
    }
}

/// A jittered pause growing with the attempt: a random part of 10 ms, 20 ms,
/// 40 ms, ... up to 320 ms, so transactions that met once spread apart.
fn backoff(attempt: u32) -> Duration {
    let ceiling = 10u64 << attempt.saturating_sub(1).min(5);
    let random = u64::try_from(uuid::Uuid::new_v4().as_u128() % u128::from(ceiling)).unwrap_or(0);
    Duration::from_millis(ceiling / 4 + random)
}

/// Waits [a jittered pause](backoff) before another attempt of a change
/// that lost a race: the `attempt`-th.
pub async fn pause_before_retry(attempt: u32) {
    tokio::time::sleep(backoff(attempt)).await;
}
