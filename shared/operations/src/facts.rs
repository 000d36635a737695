//! Counting facts from other services in customers' statistics, each once.

use clientele_core::facts::Fact;
use clientele_core::{Customer, OperationError, Timestamp};
use clientele_store::DynamoStore;

use crate::change::read_decide_write;

/// What became of a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    /// Counted now; the customer as it is after.
    Now(Box<Customer>),
    /// Counted before: this delivery was a duplicate.
    Already,
    /// No such customer (or not in the business the fact names).
    NoCustomer,
}

/// Counts a fact in its customer's statistics, unless it was counted before.
pub async fn record(store: &DynamoStore, fact: &Fact, now: Timestamp) -> Result<Counted, OperationError> {
    let counted = read_decide_write(
        None,
        || async {
            store
                .find_customer(fact.customer_id)
                .await?
                .filter(|c| c.business_id == fact.business_id)
                .ok_or(OperationError::NotFound)
        },
        |current| async move {
            let next = current.with_fact(fact, now);
            Ok(if store.record_fact(&current, &next, fact).await? {
                Counted::Now(Box::new(next))
            } else {
                Counted::Already
            })
        },
    )
    .await;
    match counted {
        Err(OperationError::NotFound) => Ok(Counted::NoCustomer),
        other => other,
    }
}
