//! The customer operations: what a route (or, later, an inbound event) asks
//! for, with the rules that do not depend on how it arrived. Each takes the
//! caller's business, so tenancy cannot be forgotten.

use crate::customer::{Customer, CustomerPatch, NewCustomer};
use crate::event::CustomerEvent;
use crate::id::{BusinessId, CustomerId};
use crate::rate::Rate;
use crate::store::{CustomerQuery, CustomerReader, CustomerWriter, Page, StoreError, UniqueField};
use crate::time::Timestamp;
use crate::validation::ValidationErrors;

/// How often a read-modify-write is tried when another writer gets in between.
const ATTEMPTS: usize = 3;

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    /// The input is not valid.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// No such customer in the caller's business.
    #[error("customer not found")]
    NotFound,
    /// The body names a business other than the caller's.
    #[error("the body names another business")]
    ForeignBusiness,
    /// Unique values already used by another customer of the business.
    #[error("already used by another customer of this business: {0:?}")]
    Taken(Vec<UniqueField>),
    /// `If-Match` named a version that is no longer current.
    #[error("the customer changed since the given version")]
    PreconditionFailed,
    /// Too many updates of this customer in the current window.
    #[error("too many updates; retry in {retry_after_seconds} s")]
    RateLimited {
        /// When the window ends.
        retry_after_seconds: u64,
    },
    /// Other writers kept changing the customer; nothing was written.
    #[error("the customer is being changed concurrently")]
    Contended,
    /// A page cursor that was not issued for this query.
    #[error("invalid page cursor")]
    InvalidCursor,
    /// Storage failed; nothing was written.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CustomerError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => CustomerError::NotFound,
            StoreError::Taken(fields) => CustomerError::Taken(fields),
            StoreError::InvalidCursor => CustomerError::InvalidCursor,
            other => CustomerError::Store(other),
        }
    }
}

/// What an `If-Match` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: any current version.
    Any,
    /// One of these versions.
    Versions(Vec<u64>),
}

impl Precondition {
    /// Whether the current version satisfies it.
    pub fn admits(&self, version: u64) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::Versions(versions) => versions.contains(&version),
        }
    }
}

/// Creates a customer in the caller's business.
pub async fn create(
    store: &impl CustomerWriter,
    business: BusinessId,
    body: NewCustomer,
    now: Timestamp,
) -> Result<Customer, CustomerError> {
    if body.business_id.is_some_and(|named| named != business) {
        return Err(CustomerError::ForeignBusiness);
    }
    let customer = body.into_customer(business, now);
    store.insert(&customer, &CustomerEvent::created(&customer)).await?;
    Ok(customer)
}

/// One customer of the caller's business.
pub async fn get(store: &impl CustomerReader, business: BusinessId, id: CustomerId) -> Result<Customer, CustomerError> {
    store.get(business, id).await?.ok_or(CustomerError::NotFound)
}

/// A page of the caller's business's customers.
pub async fn list(
    store: &impl CustomerReader,
    business: BusinessId,
    query: &CustomerQuery,
) -> Result<Page<Customer>, CustomerError> {
    Ok(store.list(business, query).await?)
}

/// Applies a merge patch. A patch that changes nothing writes nothing and
/// returns the customer as it is. Counted against `rate` when given.
pub async fn update<S: CustomerReader + CustomerWriter>(
    store: &S,
    business: BusinessId,
    id: CustomerId,
    patch: &CustomerPatch,
    precondition: Option<&Precondition>,
    rate: Option<&Rate>,
    now: Timestamp,
) -> Result<Customer, CustomerError> {
    for _ in 0..ATTEMPTS {
        let current = get(store, business, id).await?;
        check(precondition, current.version)?;
        let (next, changed) = patch.apply(&current, now);
        if changed.is_empty() {
            return Ok(current);
        }
        let event = CustomerEvent::updated(&next, &changed);
        let window = rate.map(|r| r.window(now));
        match store.update(&current, &next, &event, window.as_ref()).await {
            Ok(()) => return Ok(next),
            Err(StoreError::VersionMismatch) => retry_or_refuse(precondition)?,
            Err(StoreError::RateLimited) => {
                let retry_after_seconds = window.map_or(1, |w| w.retry_after(now));
                return Err(CustomerError::RateLimited { retry_after_seconds });
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(CustomerError::Contended)
}

/// Deletes a customer and everything stored under it.
pub async fn delete<S: CustomerReader + CustomerWriter>(
    store: &S,
    business: BusinessId,
    id: CustomerId,
    precondition: Option<&Precondition>,
    now: Timestamp,
) -> Result<(), CustomerError> {
    for _ in 0..ATTEMPTS {
        let current = get(store, business, id).await?;
        check(precondition, current.version)?;
        match store.delete(&current, &CustomerEvent::deleted(&current, now)).await {
            Ok(()) => return Ok(()),
            Err(StoreError::VersionMismatch) => retry_or_refuse(precondition)?,
            Err(other) => return Err(other.into()),
        }
    }
    Err(CustomerError::Contended)
}

fn check(precondition: Option<&Precondition>, version: u64) -> Result<(), CustomerError> {
    match precondition {
        Some(p) if !p.admits(version) => Err(CustomerError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// After losing a race: a caller who named versions has lost; anyone else may
/// try again on the fresh record.
fn retry_or_refuse(precondition: Option<&Precondition>) -> Result<(), CustomerError> {
    match precondition {
        Some(Precondition::Versions(_)) => Err(CustomerError::PreconditionFailed),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate::RateWindow;
    use crate::test_support::object;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Keeps customers in a map. `interfere` makes the next N updates find a
    /// newer version, as if another writer got in first.
    #[derive(Default)]
    struct FakeStore {
        customers: Mutex<HashMap<CustomerId, Customer>>,
        writes: Mutex<Vec<CustomerEvent>>,
        interfere: Mutex<usize>,
    }

    impl CustomerReader for FakeStore {
        async fn get(&self, business: BusinessId, id: CustomerId) -> Result<Option<Customer>, StoreError> {
            let customers = self.customers.lock().unwrap();
            Ok(customers.get(&id).filter(|c| c.business_id == business).cloned())
        }
        async fn list(&self, _: BusinessId, _: &CustomerQuery) -> Result<Page<Customer>, StoreError> {
            unimplemented!("not used by these tests")
        }
    }

    impl CustomerWriter for FakeStore {
        async fn insert(&self, customer: &Customer, event: &CustomerEvent) -> Result<(), StoreError> {
            self.customers.lock().unwrap().insert(customer.id, customer.clone());
            self.writes.lock().unwrap().push(event.clone());
            Ok(())
        }
        async fn update(
            &self,
            before: &Customer,
            after: &Customer,
            event: &CustomerEvent,
            _: Option<&RateWindow>,
        ) -> Result<(), StoreError> {
            let mut interfere = self.interfere.lock().unwrap();
            let mut customers = self.customers.lock().unwrap();
            if *interfere > 0 {
                *interfere -= 1;
                if let Some(stored) = customers.get_mut(&before.id) {
                    stored.version += 1;
                }
                return Err(StoreError::VersionMismatch);
            }
            customers.insert(after.id, after.clone());
            self.writes.lock().unwrap().push(event.clone());
            Ok(())
        }
        async fn delete(&self, customer: &Customer, event: &CustomerEvent) -> Result<(), StoreError> {
            self.customers.lock().unwrap().remove(&customer.id);
            self.writes.lock().unwrap().push(event.clone());
            Ok(())
        }
    }

    async fn seeded(store: &FakeStore, business: BusinessId) -> Customer {
        let new = NewCustomer::from_json(&object(json!({
            "full_name": "Ann Lee", "email": "ann@example.com", "gender": "female",
            "user_id": "123e4567-e89b-12d3-a456-426614174000"
        })))
        .unwrap();
        create(store, business, new, Timestamp::now()).await.unwrap()
    }

    fn rename() -> CustomerPatch {
        CustomerPatch::from_json(&object(json!({"full_name": "Ann Lee-Smith"}))).unwrap()
    }

    #[tokio::test]
    async fn a_body_naming_another_business_is_refused_and_nothing_is_written() {
        let store = FakeStore::default();
        let new = NewCustomer::from_json(&object(json!({
            "full_name": "Ann Lee", "email": "ann@example.com", "gender": "female",
            "user_id": "123e4567-e89b-12d3-a456-426614174000",
            "business_id": BusinessId::random().to_string()
        })))
        .unwrap();
        let result = create(&store, BusinessId::random(), new, Timestamp::now()).await;
        assert!(matches!(result, Err(CustomerError::ForeignBusiness)));
        assert!(store.writes.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn another_business_sees_not_found() {
        let store = FakeStore::default();
        let customer = seeded(&store, BusinessId::random()).await;
        let result = get(&store, BusinessId::random(), customer.id).await;
        assert!(matches!(result, Err(CustomerError::NotFound)));
    }

    #[tokio::test]
    async fn an_update_without_if_match_retries_after_losing_a_race() {
        let store = FakeStore::default();
        let business = BusinessId::random();
        let customer = seeded(&store, business).await;
        *store.interfere.lock().unwrap() = 2;
        let updated = update(&store, business, customer.id, &rename(), None, None, Timestamp::now())
            .await
            .unwrap();
        assert_eq!(updated.full_name.as_str(), "Ann Lee-Smith");
        assert_eq!(updated.version, customer.version + 3);
    }

    #[tokio::test]
    async fn an_update_gives_up_when_it_keeps_losing() {
        let store = FakeStore::default();
        let business = BusinessId::random();
        let customer = seeded(&store, business).await;
        *store.interfere.lock().unwrap() = ATTEMPTS;
        let result = update(&store, business, customer.id, &rename(), None, None, Timestamp::now()).await;
        assert!(matches!(result, Err(CustomerError::Contended)));
    }

    #[tokio::test]
    async fn an_update_with_if_match_does_not_retry() {
        let store = FakeStore::default();
        let business = BusinessId::random();
        let customer = seeded(&store, business).await;
        let stale = Precondition::Versions(vec![customer.version + 7]);
        let result = update(
            &store,
            business,
            customer.id,
            &rename(),
            Some(&stale),
            None,
            Timestamp::now(),
        )
        .await;
        assert!(matches!(result, Err(CustomerError::PreconditionFailed)));

        *store.interfere.lock().unwrap() = 1;
        let current = Precondition::Versions(vec![customer.version]);
        let result = update(
            &store,
            business,
            customer.id,
            &rename(),
            Some(&current),
            None,
            Timestamp::now(),
        )
        .await;
        assert!(matches!(result, Err(CustomerError::PreconditionFailed)));
    }

    #[tokio::test]
    async fn a_patch_that_changes_nothing_writes_nothing() {
        let store = FakeStore::default();
        let business = BusinessId::random();
        let customer = seeded(&store, business).await;
        let same = CustomerPatch::from_json(&object(json!({"full_name": "Ann Lee"}))).unwrap();
        let result = update(&store, business, customer.id, &same, None, None, Timestamp::now())
            .await
            .unwrap();
        assert_eq!(result, customer);
        assert_eq!(store.writes.lock().unwrap().len(), 1, "only the create");
    }

    #[tokio::test]
    async fn delete_records_its_event() {
        let store = FakeStore::default();
        let business = BusinessId::random();
        let customer = seeded(&store, business).await;
        delete(&store, business, customer.id, None, Timestamp::now())
            .await
            .unwrap();
        let writes = store.writes.lock().unwrap();
        assert_eq!(writes.last().map(|e| e.event_type.as_str()), Some("customer.deleted"));
        assert!(store.customers.lock().unwrap().is_empty());
    }
}
