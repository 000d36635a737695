//! Everything the table holds about one customer, found for a GDPR export and
//! erased for a GDPR deletion.
//!
//! A customer's items live in five places: its partition (record, tags,
//! notes, counted facts, rate windows, search terms, segment marker), its
//! outbox partition (events), its uniqueness claims (email, platform user)
//! its tags' copies by id, and its token balance and ledger (partitions of
//! their own). [`Holdings`] gathers them all; an erasure keeps the token
//! balance and ledger ([`KEPT_FOR_ACCOUNTING`]) and
//! removes everything else but the record, the claims and the segment marker in
//! batches, then those in one transaction with the `customer.deleted` event,
//! the erasure receipt and the customer's segment count. An
//! erasure cut short leaves the record, so running it again finds the
//! customer and finishes; once the record is gone, nothing is left.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::gdpr::ErasureReceipt;
use clientele_core::{Customer, CustomerEvent, CustomerId, Note, StoreError, Tag};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::DynamoStore;
use crate::items::{
    EventItem, Item, claimed_customer, companion, entity, event_from, from_item, note_from, tag_from, to_item,
};
use crate::keys::{self, Key, attr};
use crate::segments::{MembershipItem, cell_named};
use crate::transact::{Write, transact};

/// The kind of an erasure receipt's item.
pub const RECEIPT: &str = "ErasureReceipt";

/// The kinds of item an erasure keeps: the token balance and ledger, an
/// accounting record the business must keep (GDPR art. 17(3)(b)), holding
/// identifiers and amounts only.
pub const KEPT_FOR_ACCOUNTING: &[&str] = &[entity::TOKEN_BALANCE, entity::LEDGER_ENTRY, entity::TOKEN_MOVEMENT];

/// How many items of each kind `items` holds.
pub fn count_kinds<'a>(kinds: impl Iterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for kind in kinds {
        *counts.entry(kind.to_owned()).or_insert(0) += 1;
    }
    counts
}

/// Attributes that only place an item in the table or its indexes.
const PLACEMENT: &[&str] = &[
    "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "gsi4pk", "gsi4sk", "entity",
];

/// One item held about a customer.
#[derive(Debug, Clone)]
pub struct Held {
    /// Its key.
    pub key: Key,
    /// Its kind (`entity`).
    pub kind: String,
    /// The item.
    pub item: Item,
}

impl Held {
    /// The item's attributes as JSON, without the ones that only index it.
    pub fn attributes(&self) -> Value {
        let mut item = self.item.clone();
        item.retain(|name, _| !PLACEMENT.contains(&name.as_str()));
        serde_dynamo::from_item(item).unwrap_or(Value::Null)
    }
}

/// Everything the table holds about one customer.
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    /// The items, record first.
    pub items: Vec<Held>,
}

impl Holdings {
    /// How many items of each kind.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        count_kinds(self.items.iter().map(|h| h.kind.as_str()))
    }

    /// How many items of each kind an erasure removes.
    pub fn erased_counts(&self) -> BTreeMap<String, u64> {
        count_kinds(
            self.items
                .iter()
                .map(|h| h.kind.as_str())
                .filter(|k| !KEPT_FOR_ACCOUNTING.contains(k)),
        )
    }

    /// How many items of each kind an erasure keeps, for accounting.
    pub fn kept_counts(&self) -> BTreeMap<String, u64> {
        count_kinds(
            self.items
                .iter()
                .map(|h| h.kind.as_str())
                .filter(|k| KEPT_FOR_ACCOUNTING.contains(k)),
        )
    }

    /// The items of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Held> + 'a {
        self.items.iter().filter(move |h| h.kind == kind)
    }

    /// The customer's tags.
    pub fn tags(&self) -> Result<Vec<Tag>, StoreError> {
        self.of_kind(entity::TAG).map(|h| tag_from(h.item.clone())).collect()
    }

    /// The customer's notes, newest first.
    pub fn notes(&self) -> Result<Vec<Note>, StoreError> {
        let mut notes: Vec<Note> = self
            .of_kind(entity::NOTE)
            .map(|h| note_from(h.item.clone()))
            .collect::<Result<_, _>>()?;
        notes.sort_by_key(|note| std::cmp::Reverse(note.id));
        Ok(notes)
    }

    /// The customer's recorded events, oldest first.
    pub fn events(&self) -> Result<Vec<EventItem>, StoreError> {
        self.of_kind(entity::EVENT)
            .map(|h| event_from(h.item.clone()))
            .collect()
    }

    /// The items an erasure removes before the record and its claims.
    fn dependents(&self) -> Vec<Key> {
        self.items
            .iter()
            .filter(|h| {
                ![
                    entity::CUSTOMER,
                    entity::EMAIL_CLAIM,
                    entity::USER_CLAIM,
                    entity::SEGMENT_MEMBERSHIP,
                ]
                .contains(&h.kind.as_str())
                    && !KEPT_FOR_ACCOUNTING.contains(&h.kind.as_str())
            })
            .map(|h| h.key.clone())
            .collect()
    }
}

/// The receipt's stored form: the receipt as JSON text, as it is answered.
#[derive(Serialize, Deserialize)]
struct ReceiptItem {
    pk: String,
    sk: String,
    entity: String,
    receipt: String,
}

impl ReceiptItem {
    fn of(receipt: &ErasureReceipt) -> Result<Self, StoreError> {
        let key = keys::erasure_receipt(receipt.customer_id);
        Ok(Self {
            pk: key.pk,
            sk: key.sk,
            entity: RECEIPT.to_owned(),
            receipt: serde_json::to_string(receipt).map_err(|e| StoreError::Unexpected(Box::new(e)))?,
        })
    }
}

impl DynamoStore {
    /// Keeps the receipt of an erasure that had no record left to remove
    /// with it (a deleted customer's leftovers).
    pub async fn keep_receipt(&self, receipt: &ErasureReceipt) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(to_item(&ReceiptItem::of(receipt)?)?))
            .send()
            .await
            .map_err(crate::errors::classify)?;
        Ok(())
    }

    /// Everything the table holds about `customer`.
    pub async fn holdings(&self, customer: &Customer) -> Result<Holdings, StoreError> {
        let mut items = Vec::new();
        let mut companions = Vec::new();
        let own = self.partition(keys::customer_partition(customer.id)).await?;
        let outbox = self.partition(keys::outbox_partition(customer.id)).await?;
        let tokens = self.token_items(customer.id).await?;
        for item in own.into_iter().chain(outbox).chain(tokens) {
            let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
            let (Some(pk), Some(sk)) = (text(attr::PK), text(attr::SK)) else {
                continue;
            };
            let kind = text(attr::ENTITY).unwrap_or_else(|| "Unknown".to_owned());
            if let Some((_, companion)) = companion(&item) {
                companions.push(companion);
            }
            items.push(Held {
                key: Key { pk, sk },
                kind,
                item,
            });
        }
        items.sort_by_key(|h| h.kind != entity::CUSTOMER);
        let claims = [
            keys::email_claim(customer.business_id, &customer.email.folded()),
            keys::user_claim(customer.business_id, customer.user_id),
        ];
        for key in claims.into_iter().chain(companions) {
            if let Some(item) = self.get_item(key.clone()).await? {
                let kind = item
                    .get(attr::ENTITY)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                let is_claim = kind == entity::EMAIL_CLAIM || kind == entity::USER_CLAIM;
                if is_claim && claimed_customer(item.clone()).ok() != Some(customer.id) {
                    continue;
                }
                items.push(Held { key, kind, item });
            }
        }
        Ok(Holdings { items })
    }

    /// Erases every item held about `customer`: its dependents in batches,
    /// then its record and claims in one transaction with `event` (the
    /// erasure's `customer.deleted`) and `receipt`. Anything added under the
    /// customer meanwhile is swept after. `StoreError::VersionMismatch` when
    /// the record changed since it was read (nothing of the last step done).
    pub async fn erase(
        &self,
        customer: &Customer,
        holdings: &Holdings,
        event: &CustomerEvent,
        receipt: &ErasureReceipt,
    ) -> Result<(), StoreError> {
        self.delete_in_batches(holdings.dependents()).await?;
        let receipt = ReceiptItem::of(receipt)?;
        let mut writes = vec![
            Write::delete(&self.table, keys::customer(customer.id))
                .condition("version = :version")
                .value(":version", AttributeValue::N(customer.version.to_string())),
        ];
        let claims: HashSet<&str> = [entity::EMAIL_CLAIM, entity::USER_CLAIM].into();
        writes.extend(
            holdings
                .items
                .iter()
                .filter(|h| claims.contains(h.kind.as_str()))
                .map(|h| Write::delete(&self.table, h.key.clone())),
        );
        writes.push(Write::put(&self.table, crate::items::event_item(event)?));
        writes.push(Write::put(&self.table, to_item(&receipt)?));
        // The count goes with the customer, from the cell its marker names.
        match holdings.of_kind(entity::SEGMENT_MEMBERSHIP).next() {
            Some(marker) => {
                let counted: MembershipItem = from_item(marker.item.clone())?;
                let cell = cell_named(&counted.cell)
                    .ok_or_else(|| StoreError::Unexpected("a segment marker names no cell".into()))?;
                writes.extend(self.leave_segment(customer, cell));
            }
            None => writes.push(self.uncounted(customer.id)),
        }
        match transact(&self.client, writes).await? {
            Ok(()) => {}
            Err(cancelled) if cancelled.failed(0) && !cancelled.failed_but_exists(0) => {
                return Err(StoreError::NotFound);
            }
            // The record or its segment marker changed since they were read.
            Err(_) => return Err(StoreError::VersionMismatch),
        }
        // The record is gone, so nothing more can be added under the customer;
        // what was added while this ran goes now, or when the erasure is asked
        // for again.
        if let Err(error) = self.sweep_erased(customer.id).await {
            tracing::warn!(%error, customer_id = %customer.id, "items added during an erasure remain until it is asked for again");
        }
        Ok(())
    }

    /// Removes what remains in an erased customer's own partition.
    pub async fn sweep_erased(&self, customer: CustomerId) -> Result<(), StoreError> {
        let left = self.children_of(customer).await?;
        self.delete_in_batches(left).await
    }

    /// The receipt of a customer's erasure, if it was erased.
    pub async fn erasure_receipt(&self, customer: CustomerId) -> Result<Option<ErasureReceipt>, StoreError> {
        let Some(item) = self.get_item(keys::erasure_receipt(customer)).await? else {
            return Ok(None);
        };
        let stored: ReceiptItem = from_item(item)?;
        serde_json::from_str(&stored.receipt)
            .map(Some)
            .map_err(|e| StoreError::Unexpected(Box::new(e)))
    }
}
