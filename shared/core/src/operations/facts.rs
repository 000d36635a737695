//! Counting facts from other services in customers' statistics, each once.

use crate::customer::Customer;
use crate::facts::Fact;
use crate::store::{CustomerReader, FactStore, StoreError};
use crate::time::Timestamp;

use super::{ATTEMPTS, CustomerError};

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
pub async fn record<S: CustomerReader + FactStore>(
    store: &S,
    fact: &Fact,
    now: Timestamp,
) -> Result<Counted, CustomerError> {
    for _ in 0..ATTEMPTS {
        let Some(current) = store
            .find(fact.customer_id)
            .await?
            .filter(|c| fact.business_id.is_none_or(|b| b == c.business_id))
        else {
            return Ok(Counted::NoCustomer);
        };
        let next = current.with_fact(fact, now);
        match store.record_fact(&current, &next, fact).await {
            Ok(true) => return Ok(Counted::Now(Box::new(next))),
            Ok(false) => return Ok(Counted::Already),
            Err(StoreError::VersionMismatch) => continue,
            Err(StoreError::NotFound) => return Ok(Counted::NoCustomer),
            Err(other) => return Err(other.into()),
        }
    }
    Err(CustomerError::Contended)
}
