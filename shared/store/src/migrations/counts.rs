//! Migration 2: every customer's tag and note counts, counted.
//!
//! Tags and notes are capped through a counts item kept in the same
//! transactions as they are ([`crate::counts`]). Customers stored before it
//! existed have none, or one that counts only what was added since; this
//! counts what their partition holds and writes the counts where they
//! differ.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::{CustomerId, StoreError};

use super::{Migration, Rewrite, Step};
use crate::DynamoStore;
use crate::counts::{Counter, Counts};
use crate::errors::classify;
use crate::items::{Item, entity};
use crate::keys::{self, attr};

pub(super) const MIGRATION: Migration = Migration {
    version: 2,
    name: "tag and note counts of every customer",
    entities: &[entity::CUSTOMER],
    rewrite: Rewrite::Counts,
};

pub(super) async fn migrate(store: &DynamoStore, item: Item) -> Result<Step, StoreError> {
    let Some(customer) = item
        .get("id")
        .and_then(|v| v.as_s().ok())
        .and_then(|id| CustomerId::parse(id).ok())
    else {
        return Ok(Step::Unchanged);
    };
    let mut held = Counts::default();
    for child in store.partition(keys::customer_partition(customer)).await? {
        let sk = child
            .get(attr::SK)
            .and_then(|v| v.as_s().ok())
            .map_or("", String::as_str);
        if sk.starts_with(keys::TAG_PREFIX) {
            held.tags += 1;
        } else if sk.starts_with(keys::NOTE_PREFIX) {
            held.notes += 1;
        }
    }
    if store.counts(customer).await? == held {
        return Ok(Step::Unchanged);
    }
    store
        .client
        .update_item()
        .table_name(store.table.as_ref())
        .set_key(Some(keys::counts(customer).to_attributes()))
        .update_expression("SET #entity = :entity, #tags = :tags, #notes = :notes")
        .expression_attribute_names("#entity", attr::ENTITY)
        .expression_attribute_names("#tags", Counter::Tags.attribute())
        .expression_attribute_names("#notes", Counter::Notes.attribute())
        .expression_attribute_values(":entity", AttributeValue::S(entity::COUNTS.to_owned()))
        .expression_attribute_values(":tags", AttributeValue::N(held.tags.to_string()))
        .expression_attribute_values(":notes", AttributeValue::N(held.notes.to_string()))
        .send()
        .await
        .map_err(classify)?;
    Ok(Step::Rewritten)
}
