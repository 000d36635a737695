//! A business's customers counted by status and type, exactly.
//!
//! The counts are kept in [`keys::SEGMENT_SHARDS`] items per business
//! (`pk = BUSINESS#<business>#SEGMENTS`, `sk = SHARD#<n>`, the shard chosen
//! by customer), one number per cell, so that concurrent creates in one
//! business rarely update the same item. Every change that moves a customer
//! between cells (create, delete, erasure, a status or type change) updates
//! its shard in the same transaction.
//!
//! Each counted customer has a marker in its partition (`sk = SEGMENT`)
//! naming the cell it is counted in. A change moves the marker on condition
//! that it names the cell the change moves the customer from, so a count is
//! never moved twice or from the wrong cell. A customer stored before counts
//! were kept has no marker: changes leave its counts to `clientele migrate`,
//! which counts it once, by writing its marker.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::{BusinessId, Customer, CustomerId, CustomerStatus, CustomerType, StoreError};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::items::{entity, to_item};
use crate::keys::{self, attr};
use crate::transact::Write;

/// The customers of one cell: one status and one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCount {
    /// The status.
    pub status: CustomerStatus,
    /// The type.
    pub customer_type: CustomerType,
    /// How many customers of the business are in it.
    pub count: u64,
}

/// The attribute of a cell in a counts item.
pub(crate) fn cell_attribute(status: CustomerStatus, customer_type: CustomerType) -> &'static str {
    use CustomerStatus::*;
    use CustomerType::*;
    match (status, customer_type) {
        (Pending, Sme) => "pending_sme",
        (Pending, Institution) => "pending_institution",
        (Active, Sme) => "active_sme",
        (Active, Institution) => "active_institution",
        (Suspended, Sme) => "suspended_sme",
        (Suspended, Institution) => "suspended_institution",
    }
}

/// The cell an attribute name names, if it names one.
pub(crate) fn cell_named(name: &str) -> Option<&'static str> {
    CustomerStatus::ALL.iter().find_map(|status| {
        CustomerType::ALL
            .iter()
            .map(|t| cell_attribute(*status, *t))
            .find(|cell| *cell == name)
    })
}

/// The attribute of the cell a customer is in.
fn cell_of(customer: &Customer) -> &'static str {
    cell_attribute(customer.status, customer.customer_type)
}

/// The marker of a counted customer.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct MembershipItem {
    pk: String,
    sk: String,
    entity: String,
    business_id: BusinessId,
    customer_id: CustomerId,
    /// The cell it is counted in, as [`cell_attribute`] names it.
    pub(crate) cell: String,
}

impl MembershipItem {
    /// The marker of `customer`, counted in its cell.
    pub(crate) fn of(customer: &Customer) -> Self {
        let key = keys::segment_membership(customer.id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity::SEGMENT_MEMBERSHIP.to_owned(),
            business_id: customer.business_id,
            customer_id: customer.id,
            cell: cell_of(customer).to_owned(),
        }
    }
}

impl DynamoStore {
    /// The writes that count a new customer: its marker and its cell.
    pub(crate) fn join_segment(&self, customer: &Customer) -> Result<Vec<Write>, StoreError> {
        Ok(vec![
            Write::put(&self.table, to_item(&MembershipItem::of(customer))?).condition("attribute_not_exists(pk)"),
            self.count_cells(customer.business_id, customer.id, None, Some(cell_of(customer))),
        ])
    }

    /// The writes that uncount a customer counted in `cell` (the first, the
    /// marker's removal, fails if it is not counted there).
    pub(crate) fn leave_segment(&self, customer: &Customer, cell: &'static str) -> Vec<Write> {
        vec![
            Write::delete(&self.table, keys::segment_membership(customer.id))
                .condition("#cell = :cell")
                .name("#cell", "cell")
                .value(":cell", AttributeValue::S(cell.to_owned())),
            self.count_cells(customer.business_id, customer.id, Some(cell), None),
        ]
    }

    /// The writes that move a counted customer from `before`'s cell to
    /// `after`'s (the first, the marker's, fails if it is not counted in
    /// `before`'s); none when the cell stays.
    pub(crate) fn move_segment(&self, before: &Customer, after: &Customer) -> Vec<Write> {
        let (from, to) = (cell_of(before), cell_of(after));
        if from == to {
            return Vec::new();
        }
        vec![
            Write::update(&self.table, keys::segment_membership(before.id), "SET #cell = :to")
                .condition("#cell = :from")
                .name("#cell", "cell")
                .value(":from", AttributeValue::S(from.to_owned()))
                .value(":to", AttributeValue::S(to.to_owned())),
            self.count_cells(before.business_id, before.id, Some(from), Some(to)),
        ]
    }

    /// Holds a change of a customer that is not counted (stored before
    /// counts were kept) to its staying uncounted until the migration.
    pub(crate) fn uncounted(&self, customer: CustomerId) -> Write {
        Write::check(&self.table, keys::segment_membership(customer)).condition("attribute_not_exists(pk)")
    }

    /// One update of a customer's counts shard: one less in `from`, one more
    /// in `to`.
    pub(crate) fn count_cells(
        &self,
        business: BusinessId,
        customer: CustomerId,
        from: Option<&'static str>,
        to: Option<&'static str>,
    ) -> Write {
        let mut adds = Vec::new();
        if from.is_some() {
            adds.push("#from :less");
        }
        if to.is_some() {
            adds.push("#to :more");
        }
        let shard = keys::shard_of(customer, keys::SEGMENT_SHARDS);
        let mut write = Write::update(
            &self.table,
            keys::segment_counts(business, shard),
            format!("ADD {} SET #entity = :entity", adds.join(", ")),
        )
        .name("#entity", attr::ENTITY)
        .value(":entity", AttributeValue::S(entity::SEGMENT_COUNTS.to_owned()));
        if let Some(from) = from {
            write = write
                .name("#from", from)
                .value(":less", AttributeValue::N("-1".to_owned()));
        }
        if let Some(to) = to {
            write = write.name("#to", to).value(":more", AttributeValue::N("1".to_owned()));
        }
        write
    }

    /// The business's customers counted in every cell (those with none too),
    /// summed over the shards, read consistently.
    #[tracing::instrument(skip_all, fields(business_id = %business))]
    pub async fn segment_counts(&self, business: BusinessId) -> Result<Vec<SegmentCount>, StoreError> {
        let mut sums: BTreeMap<&'static str, i64> = BTreeMap::new();
        for item in self.partition(keys::segment_counts_partition(business)).await? {
            for status in CustomerStatus::ALL {
                for customer_type in CustomerType::ALL {
                    let cell = cell_attribute(*status, *customer_type);
                    let count = item
                        .get(cell)
                        .and_then(|v| v.as_n().ok())
                        .and_then(|n| n.parse::<i64>().ok())
                        .unwrap_or(0);
                    *sums.entry(cell).or_insert(0) += count;
                }
            }
        }
        let mut counts = Vec::new();
        for status in CustomerStatus::ALL {
            for customer_type in CustomerType::ALL {
                let sum = sums.get(cell_attribute(*status, *customer_type)).copied().unwrap_or(0);
                counts.push(SegmentCount {
                    status: *status,
                    customer_type: *customer_type,
                    count: u64::try_from(sum).unwrap_or(0),
                });
            }
        }
        Ok(counts)
    }
}
