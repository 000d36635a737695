//! Migration 3: the authors of tags and notes named with their kind.
//!
//! A tag's or note's `created_by` was the caller's bare id: a user's token
//! subject or a client's id, which can be the same string. It is now
//! `user:<subject>` or `client:<client id>`, as the caller's qualified id
//! is made by the authentication crate. A bare id that is a client's id in this table
//! becomes `client:<id>`; any other, `user:<id>`.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::{ClientId, StoreError};

use super::{Migration, Rewrite, Step};
use crate::DynamoStore;
use crate::errors::{classify, condition_failed};
use crate::items::{Item, entity};
use crate::keys::{self, Key, attr};

pub(super) const MIGRATION: Migration = Migration {
    version: 3,
    name: "authors of tags and notes named with their kind (user: or client:)",
    entities: &[entity::TAG, entity::TAG_BY_ID, entity::NOTE],
    rewrite: Rewrite::Authors,
};

/// The prefixes an author already named with its kind has.
const KINDS: &[&str] = &["user:", "client:"];

pub(super) async fn migrate(store: &DynamoStore, item: Item) -> Result<Step, StoreError> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let (Some(pk), Some(sk), Some(author)) = (text(attr::PK), text(attr::SK), text("created_by")) else {
        return Ok(Step::Unchanged);
    };
    if KINDS.iter().any(|kind| author.starts_with(kind)) {
        return Ok(Step::Unchanged);
    }
    let is_client = match ClientId::parse(&author) {
        Ok(id) => store.get_item(keys::client(id)).await?.is_some(),
        Err(_) => false,
    };
    let qualified = format!("{}:{author}", if is_client { "client" } else { "user" });
    let result = store
        .client
        .update_item()
        .table_name(store.table.as_ref())
        .set_key(Some(Key { pk, sk }.to_attributes()))
        .update_expression("SET created_by = :qualified")
        .condition_expression("created_by = :bare")
        .expression_attribute_values(":qualified", AttributeValue::S(qualified))
        .expression_attribute_values(":bare", AttributeValue::S(author))
        .send()
        .await;
    match result {
        Ok(_) => Ok(Step::Rewritten),
        // Changed or removed since it was read.
        Err(error) if condition_failed(&error) => Ok(Step::Unchanged),
        Err(error) => Err(classify(error)),
    }
}
