//! Customers loaded in bulk into a table of their own, as a benchmark loads
//! a large business: every item a create stores for a customer (its record,
//! claims, search terms and segment marker), built as a create builds them,
//! written unconditionally in batches. No events, no audit entries, no
//! checks: never for a table in use.

use std::collections::BTreeMap;

use clientele_core::{BusinessId, Customer, StoreError};

use crate::DynamoStore;
use crate::items::{self, Item, claim_item, customer_item, entity, to_item};
use crate::keys;
use crate::search::TermItem;
use crate::segments::{MembershipItem, cell_attribute};

/// Every item `customer` is stored as but its event and audit entry.
pub fn customer_items(customer: &Customer) -> Result<Vec<Item>, StoreError> {
    let mut stored = vec![
        customer_item(customer)?,
        claim_item(
            keys::email_claim(customer.business_id, &customer.email.folded()),
            entity::EMAIL_CLAIM,
            customer,
        )?,
        claim_item(
            keys::user_claim(customer.business_id, customer.user_id),
            entity::USER_CLAIM,
            customer,
        )?,
        to_item(&MembershipItem::of(customer))?,
    ];
    for term in clientele_core::search::terms(customer) {
        stored.push(to_item(&TermItem::of(customer, &term))?);
    }
    Ok(stored)
}

impl DynamoStore {
    /// Stores `customers` (of one table not in use) with their items, and
    /// adds them to their businesses' segment counts.
    pub async fn load_customers(&self, customers: &[Customer]) -> Result<(), StoreError> {
        let mut stored = Vec::new();
        let mut counted: BTreeMap<(BusinessId, u32, &'static str), i64> = BTreeMap::new();
        for customer in customers {
            stored.extend(customer_items(customer)?);
            let shard = keys::shard_of(customer.id, keys::SEGMENT_SHARDS);
            let cell = cell_attribute(customer.status, customer.customer_type);
            *counted.entry((customer.business_id, shard, cell)).or_default() += 1;
        }
        self.put_in_batches(stored).await?;
        for ((business, shard, cell), n) in counted {
            self.client
                .update_item()
                .table_name(self.table.as_ref())
                .set_key(Some(keys::segment_counts(business, shard).to_attributes()))
                .update_expression("ADD #cell :n SET #entity = :entity")
                .expression_attribute_names("#cell", cell)
                .expression_attribute_names("#entity", keys::attr::ENTITY)
                .expression_attribute_values(":n", aws_sdk_dynamodb::types::AttributeValue::N(n.to_string()))
                .expression_attribute_values(
                    ":entity",
                    aws_sdk_dynamodb::types::AttributeValue::S(items::entity::SEGMENT_COUNTS.to_owned()),
                )
                .send()
                .await
                .map_err(crate::errors::classify)?;
        }
        Ok(())
    }
}
