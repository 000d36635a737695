//! What a customer's deletion leaves behind, and its sweep.
//!
//! Deleting a customer removes its record and claims, records
//! `customer.deleted`, and puts a [`Tombstone`] in one transaction. Its
//! partition (tags, notes, counted facts, rate windows), its tags' copies
//! and its recorded events are removed afterwards, page by page, by whoever
//! finds the tombstone: the sweeper function, driven by the tombstone's
//! stream record and retried by the stream until it is done, or a GDPR
//! request about the customer meanwhile. The tombstone goes last, so a sweep
//! cut short is always found again.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::{BusinessId, CustomerId, StoreError, Timestamp};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::errors::classify;
use crate::items::{Item, companion, entity, from_item, to_item};
use crate::keys::{self, Key, attr};

/// Items read (and then deleted) per page of a sweep.
const SWEEP_PAGE: i32 = 100;

/// A deleted customer whose items may not all be gone yet. It holds no
/// personal data: ids and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The deleted customer.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// When it was deleted.
    pub deleted_at: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct TombstoneItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    tombstone: Tombstone,
}

impl Tombstone {
    /// The tombstone's stored form.
    pub(crate) fn to_item(&self) -> Result<Item, StoreError> {
        let key = keys::tombstone(self.customer_id);
        to_item(&TombstoneItem {
            pk: key.pk,
            sk: key.sk,
            entity: entity::TOMBSTONE.to_owned(),
            tombstone: self.clone(),
        })
    }

    /// The tombstone a stored item (or a stream record's new image) holds,
    /// if it holds one.
    pub fn from_item(item: Item) -> Option<Self> {
        let is_tombstone =
            item.get(attr::ENTITY).and_then(|v| v.as_s().ok()).map(String::as_str) == Some(entity::TOMBSTONE);
        if !is_tombstone {
            return None;
        }
        from_item::<TombstoneItem>(item).ok().map(|stored| stored.tombstone)
    }
}

/// What a sweep removed, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// Items removed, by kind.
    pub removed: BTreeMap<String, u64>,
}

impl DynamoStore {
    /// A deleted customer's tombstone, while its sweep is not done.
    pub async fn tombstone(&self, customer: CustomerId) -> Result<Option<Tombstone>, StoreError> {
        Ok(self
            .get_item(keys::tombstone(customer))
            .await?
            .and_then(Tombstone::from_item))
    }

    /// Removes what is left under a deleted customer, a page at a time: its
    /// tags' copies first (found through its tags), its partition's items,
    /// then its recorded events (their stream records are what the publisher
    /// reads, so removing them loses nothing). Running it again (or
    /// concurrently) is harmless.
    pub async fn sweep_deleted(&self, customer: CustomerId) -> Result<Swept, StoreError> {
        let mut swept = Swept::default();
        for partition in [keys::customer_partition(customer), keys::outbox_partition(customer)] {
            loop {
                let page = self
                    .client
                    .query()
                    .table_name(self.table.as_ref())
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", AttributeValue::S(partition.clone()))
                    .projection_expression("pk, sk, entity, id, key_id, business_id, email")
                    .consistent_read(true)
                    .limit(SWEEP_PAGE)
                    .send()
                    .await
                    .map_err(classify)?;
                let items = page.items.unwrap_or_default();
                if items.is_empty() {
                    break;
                }
                let mut copies = Vec::new();
                let mut own = Vec::new();
                for item in &items {
                    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
                    let (Some(pk), Some(sk)) = (text(attr::PK), text(attr::SK)) else {
                        continue;
                    };
                    let kind = text(attr::ENTITY).unwrap_or_else(|| "Unknown".to_owned());
                    if let Some((companion_kind, companion)) = companion(item) {
                        copies.push(companion);
                        *swept.removed.entry(companion_kind.to_owned()).or_insert(0) += 1;
                    }
                    own.push(Key { pk, sk });
                    *swept.removed.entry(kind).or_insert(0) += 1;
                }
                // A tag's copy (or a kept answer) goes before the item that
                // leads to it: a sweep cut short between the two finds the
                // item, and through it the copy, again.
                self.delete_in_batches(copies).await?;
                self.delete_in_batches(own).await?;
            }
        }
        Ok(swept)
    }

    /// Removes a deleted customer's tombstone, once its sweep is done.
    pub async fn bury(&self, customer: CustomerId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(self.table.as_ref())
            .set_key(Some(keys::tombstone(customer).to_attributes()))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}
