//! Migration 4: every customer made searchable and counted in its segment.
//!
//! Customers stored before search and segment counts existed have no search
//! terms, no segment marker and no place in the status-and-type index. This
//! writes, for each, in one transaction conditioned on the record's version:
//! the record again (with its status-and-type index keys), the terms it is
//! missing (and removes any it no longer has), and, if it has no marker, its
//! marker and one more in its cell's count. A customer counted once is never
//! counted again: the marker is written only where there is none.

use std::collections::BTreeSet;

use clientele_core::StoreError;
use clientele_core::search;

use super::{Migration, Rewrite, Step};
use crate::DynamoStore;
use crate::items::{Item, customer_from, entity};
use crate::keys;
use crate::transact::transact;

pub(super) const MIGRATION: Migration = Migration {
    version: 4,
    name: "search terms, segment counts and the status-and-type index of every customer",
    entities: &[entity::CUSTOMER],
    rewrite: Rewrite::SearchAndSegments,
};

/// Attempts when the customer changes while it is being rewritten.
const ATTEMPTS: usize = 3;

pub(super) async fn migrate(store: &DynamoStore, item: Item) -> Result<Step, StoreError> {
    let mut item = Some(item);
    for _ in 0..ATTEMPTS {
        let Some(current) = item.take() else {
            return Ok(Step::Unchanged);
        };
        let customer = match customer_from(current.clone()) {
            Ok(customer) => customer,
            Err(error) => {
                return Ok(Step::Conflict(format!(
                    "a customer record that cannot be read: {error}"
                )));
            }
        };
        let cell = keys::business_cell(customer.business_id, customer.status, customer.customer_type);
        let indexed = current.get("gsi4pk").and_then(|v| v.as_s().ok()) == Some(&cell);
        let stored = store.stored_terms(customer.id).await?;
        let wanted: BTreeSet<String> = search::terms(&customer).into_iter().collect();
        let counted = store.get_item(keys::segment_membership(customer.id)).await?.is_some();
        if indexed && stored == wanted && counted {
            return Ok(Step::Unchanged);
        }
        let mut writes = vec![store.profile_write(&customer, customer.version)?];
        writes.extend(store.term_set_writes(&customer, &stored, &wanted)?);
        if !counted {
            writes.extend(store.join_segment(&customer)?);
        }
        if transact(&store.client, writes).await?.is_ok() {
            return Ok(Step::Rewritten);
        }
        // Changed (or counted) meanwhile: read it again and start over.
        item = store.get_item(keys::customer(customer.id)).await?;
    }
    Ok(Step::Conflict(
        "a customer kept changing while it was being made searchable; run the migration again".to_owned(),
    ))
}
