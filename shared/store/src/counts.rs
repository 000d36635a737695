//! How many tags and notes each customer has, kept in one item of its
//! partition (`sk = COUNTS`) and changed in the same transaction as the tags
//! and notes themselves, so that a cap is enforced by a condition, not by
//! counting what is stored.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::{CustomerId, StoreError};

use crate::DynamoStore;
use crate::items::entity;
use crate::keys;
use crate::transact::Write;

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// The customer's tags.
    Tags,
    /// The notes about the customer.
    Notes,
    /// The customer's contacts.
    Contacts,
    /// The customer's interactions, of any date.
    Interactions,
    /// The customer's team users.
    TeamUsers,
}

impl Counter {
    /// The counter's attribute in the counts item.
    pub fn attribute(self) -> &'static str {
        match self {
            Counter::Tags => "tags",
            Counter::Notes => "notes",
            Counter::Contacts => "contacts",
            Counter::Interactions => "interactions",
            Counter::TeamUsers => "team_users",
        }
    }
}

/// A customer's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Its tags.
    pub tags: u64,
    /// The notes about it.
    pub notes: u64,
    /// Its interactions.
    pub interactions: u64,
}

impl DynamoStore {
    /// Adds `delta` to a customer's counter, in a transaction. With a
    /// `limit`, the write (and so the transaction) fails when the counter
    /// would pass it.
    pub(crate) fn count_write(
        &self,
        customer: CustomerId,
        counter: Counter,
        delta: i64,
        limit: Option<usize>,
    ) -> Write {
        let write = Write::update(
            &self.table,
            keys::counts(customer),
            "ADD #counter :delta SET #entity = :entity",
        )
        .name("#counter", counter.attribute())
        .name("#entity", crate::keys::attr::ENTITY)
        .value(":delta", AttributeValue::N(delta.to_string()))
        .value(":entity", AttributeValue::S(entity::COUNTS.to_owned()));
        match limit {
            Some(limit) => {
                let room = i64::try_from(limit).unwrap_or(i64::MAX) - delta;
                write
                    .condition("attribute_not_exists(#counter) OR #counter <= :room")
                    .value(":room", AttributeValue::N(room.to_string()))
            }
            None => write,
        }
    }

    /// A customer's counts (zero when it has none).
    pub async fn counts(&self, customer: CustomerId) -> Result<Counts, StoreError> {
        let Some(item) = self.get_item(keys::counts(customer)).await? else {
            return Ok(Counts::default());
        };
        let read = |counter: Counter| {
            item.get(counter.attribute())
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<i64>().ok())
                .map_or(0, |n| u64::try_from(n).unwrap_or(0))
        };
        Ok(Counts {
            tags: read(Counter::Tags),
            notes: read(Counter::Notes),
            interactions: read(Counter::Interactions),
        })
    }
}
