//! Migration 1: text compared NFKC-normalised, and hidden characters gone.
//!
//! Email claims, a customer's tag keys (and the index key that finds a
//! business's customers by tag) and the folded name that name search reads
//! were made by trimming and lower-casing alone; they are now made from the
//! NFKC-normalised text ([`clientele_core::text::fold`]). Text stored before
//! bidirectional controls and invisible characters were refused
//! ([`clientele_core::text::is_hidden`]) has them removed, so that every
//! stored value reads back as valid.
//!
//! Two values that were different before and are the same now (two
//! customers of a business whose emails differ only in width, two tags of a
//! customer that differ only by a ligature) cannot both keep their claim: the
//! item is left as it was and reported as a conflict.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::text::{fold, fold_before_nfkc, is_hidden};
use clientele_core::{BusinessId, CustomerId, StoreError};

use super::{Migration, Rewrite, Step};
use crate::DynamoStore;
use crate::customers::{NOT_EXISTS, OWNED_OR_ABSENT};
use crate::errors::{classify, condition_failed};
use crate::items::{Item, entity};
use crate::keys::{self, Key, attr};
use crate::transact::{Write, transact};

pub(super) const MIGRATION: Migration = Migration {
    version: 1,
    name: "text compared NFKC-normalised; hidden characters removed",
    entities: &[entity::CUSTOMER, entity::TAG, entity::TAG_BY_ID, entity::NOTE],
    rewrite: Rewrite::NfkcKeys,
};

/// The text attributes of each kind of item that hold free text.
fn text_attributes(kind: &str) -> &'static [&'static str] {
    match kind {
        entity::CUSTOMER => &["full_name", "email"],
        entity::TAG | entity::TAG_BY_ID => &["label"],
        entity::NOTE => &["content"],
        _ => &[],
    }
}

fn text<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn without_hidden(text: &str) -> String {
    text.chars().filter(|c| !is_hidden(*c)).collect()
}

pub(super) async fn migrate(store: &DynamoStore, item: Item) -> Result<Step, StoreError> {
    let (Some(kind), Some(pk), Some(sk)) = (text(&item, attr::ENTITY), text(&item, attr::PK), text(&item, attr::SK))
    else {
        return Ok(Step::Unchanged);
    };
    let (kind, key) = (
        kind.to_owned(),
        Key {
            pk: pk.to_owned(),
            sk: sk.to_owned(),
        },
    );
    let mut cleaned = item.clone();
    for name in text_attributes(&kind) {
        if let Some(value) = text(&item, name) {
            let clean = without_hidden(value);
            if clean.trim().is_empty() {
                return Ok(Step::Conflict(format!(
                    "{} {}: its {name} holds nothing but hidden characters",
                    key.pk, key.sk
                )));
            }
            cleaned.insert((*name).to_owned(), AttributeValue::S(clean));
        }
    }
    match kind.as_str() {
        entity::CUSTOMER => customer(store, &item, cleaned).await,
        entity::TAG => tag(store, &item, key, cleaned).await,
        _ => replace_if_changed(store, &item, cleaned).await,
    }
}

/// Writes `cleaned` over `item`, if it differs, and only if the item has not
/// changed since it was read.
async fn replace_if_changed(store: &DynamoStore, item: &Item, cleaned: Item) -> Result<Step, StoreError> {
    if &cleaned == item {
        return Ok(Step::Unchanged);
    }
    let mut condition = vec!["attribute_exists(pk)".to_owned()];
    let mut request = store.client.put_item().table_name(store.table.as_ref());
    for (i, name) in ["full_name", "email", "label", "content", attr::VERSION]
        .iter()
        .enumerate()
    {
        if let Some(value) = item.get(*name) {
            condition.push(format!("#a{i} = :a{i}"));
            request = request
                .expression_attribute_names(format!("#a{i}"), *name)
                .expression_attribute_values(format!(":a{i}"), value.clone());
        }
    }
    let result = request
        .set_item(Some(cleaned))
        .condition_expression(condition.join(" AND "))
        .send()
        .await;
    match result {
        Ok(_) => Ok(Step::Rewritten),
        // Changed (or gone) since it was read: the change wrote the new form.
        Err(error) if condition_failed(&error) => Ok(Step::Unchanged),
        Err(error) => Err(classify(error)),
    }
}

/// A customer: its folded name, and the claim on its email moved to the
/// email's new folded form.
async fn customer(store: &DynamoStore, item: &Item, mut cleaned: Item) -> Result<Step, StoreError> {
    let (Some(name), Some(email)) = (text(&cleaned, "full_name"), text(&cleaned, "email")) else {
        return Ok(Step::Unchanged);
    };
    let folded_name = fold(name);
    let (old_claim, new_claim) = match (
        text(item, "business_id").and_then(|b| BusinessId::parse(b).ok()),
        text(item, "id").and_then(|c| CustomerId::parse(c).ok()),
        text(item, "email"),
    ) {
        (Some(business), Some(id), Some(stored_email)) => (
            (keys::email_claim(business, &fold_before_nfkc(stored_email)), id),
            keys::email_claim(business, &fold(email)),
        ),
        _ => return Ok(Step::Unchanged),
    };
    cleaned.insert("full_name_folded".to_owned(), AttributeValue::S(folded_name));
    let moved = if old_claim.0 == new_claim {
        Step::Unchanged
    } else {
        move_claim(store, old_claim.0, new_claim, old_claim.1).await?
    };
    if let Step::Conflict(_) = moved {
        return Ok(moved);
    }
    match replace_if_changed(store, item, cleaned).await? {
        Step::Unchanged => Ok(moved),
        other => Ok(other),
    }
}

/// Moves a customer's claim from `from` to `to`, unless another customer
/// holds `to`.
async fn move_claim(store: &DynamoStore, from: Key, to: Key, owner: CustomerId) -> Result<Step, StoreError> {
    let Some(claim) = store.get_item(from.clone()).await? else {
        return Ok(Step::Unchanged);
    };
    // Another customer's claim made the old way, which its own turn moves.
    if text(&claim, attr::CUSTOMER_ID) != Some(owner.to_string().as_str()) {
        return Ok(Step::Unchanged);
    }
    let mut moved = claim;
    moved.insert(attr::PK.to_owned(), AttributeValue::S(to.pk.clone()));
    let owned = AttributeValue::S(owner.to_string());
    let writes = vec![
        Write::put(&store.table, moved)
            .condition(OWNED_OR_ABSENT)
            .value(":customer_id", owned.clone()),
        Write::delete(&store.table, from.clone())
            .condition(OWNED_OR_ABSENT)
            .value(":customer_id", owned),
    ];
    match transact(&store.client, writes).await? {
        Ok(()) => Ok(Step::Rewritten),
        Err(cancelled) if cancelled.failed(0) => {
            let holder = store.get_item(to.clone()).await?;
            let holder = holder
                .as_ref()
                .and_then(|h| text(h, attr::CUSTOMER_ID))
                .unwrap_or("another customer");
            Ok(Step::Conflict(format!(
                "customer {owner}: its email is now the same as customer {holder}'s; \
                 change or erase {holder}'s, then run again"
            )))
        }
        Err(_) => Ok(Step::Unchanged),
    }
}

/// A tag on its customer: its key and index key made from the label's new
/// folded form.
async fn tag(store: &DynamoStore, item: &Item, key: Key, mut cleaned: Item) -> Result<Step, StoreError> {
    let (Some(label), Some(customer), Some(business)) = (
        text(&cleaned, "label").map(str::to_owned),
        text(item, "customer_id").and_then(|c| CustomerId::parse(c).ok()),
        text(item, "business_id").and_then(|b| BusinessId::parse(b).ok()),
    ) else {
        return Ok(Step::Unchanged);
    };
    let folded = fold(&label);
    let new_key = keys::tag(customer, &folded);
    if new_key == key {
        return replace_if_changed(store, item, cleaned).await;
    }
    cleaned.insert(attr::SK.to_owned(), AttributeValue::S(new_key.sk.clone()));
    if cleaned.contains_key("gsi1pk") {
        cleaned.insert(
            "gsi1pk".to_owned(),
            AttributeValue::S(keys::business_tag(business, &folded)),
        );
    }
    let writes = vec![
        Write::put(&store.table, cleaned).condition(NOT_EXISTS),
        Write::delete(&store.table, key.clone()).condition("attribute_exists(pk)"),
    ];
    match transact(&store.client, writes).await? {
        Ok(()) => Ok(Step::Rewritten),
        Err(cancelled) if cancelled.failed(0) => Ok(Step::Conflict(format!(
            "customer {customer}: two of its tags now have the same label ({label:?})"
        ))),
        // Gone since it was read: removed by its owner.
        Err(_) => Ok(Step::Unchanged),
    }
}
