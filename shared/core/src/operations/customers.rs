//! Creating, reading, listing, changing and deleting customers.

use crate::customer::{Customer, CustomerPatch, NewCustomer};
use crate::event::CustomerEvent;
use crate::id::{BusinessId, CustomerId};
use crate::rate::Rate;
use crate::store::{Blobs, CustomerQuery, CustomerReader, CustomerWriter, Page, StoreError};
use crate::time::Timestamp;

use super::{ATTEMPTS, CustomerError, Precondition};

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

/// Deletes a customer, everything stored under it, and its avatar image.
pub async fn delete<S: CustomerReader + CustomerWriter, B: Blobs>(
    store: &S,
    blobs: &B,
    business: BusinessId,
    id: CustomerId,
    precondition: Option<&Precondition>,
    now: Timestamp,
) -> Result<(), CustomerError> {
    for _ in 0..ATTEMPTS {
        let current = get(store, business, id).await?;
        check(precondition, current.version)?;
        match store.delete(&current, &CustomerEvent::deleted(&current, now)).await {
            Ok(()) => {
                if let Some(key) = &current.avatar_key {
                    super::avatars::forget(blobs, key, "the avatar of a deleted customer").await;
                }
                return Ok(());
            }
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
pub(crate) mod tests {
    use super::*;
    use crate::rate::RateWindow;
    use crate::test_support::object;
    use serde_json::json;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Keeps customers in a map. `interfere` makes the next N updates find a
    /// newer version, as if another writer got in first.
    #[derive(Default)]
    pub(crate) struct FakeStore {
        pub(crate) customers: Mutex<HashMap<CustomerId, Customer>>,
        pub(crate) writes: Mutex<Vec<CustomerEvent>>,
        pub(crate) interfere: Mutex<usize>,
        pub(crate) blobs: Mutex<HashMap<String, Vec<u8>>>,
    }

    impl Blobs for FakeStore {
        async fn put(&self, key: &str, bytes: Vec<u8>, _: &str) -> Result<(), StoreError> {
            self.blobs.lock().unwrap().insert(key.to_owned(), bytes);
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.blobs.lock().unwrap().remove(key);
            Ok(())
        }
    }

    impl CustomerReader for FakeStore {
        async fn get(&self, business: BusinessId, id: CustomerId) -> Result<Option<Customer>, StoreError> {
            let customers = self.customers.lock().unwrap();
            Ok(customers.get(&id).filter(|c| c.business_id == business).cloned())
        }
        async fn find(&self, id: CustomerId) -> Result<Option<Customer>, StoreError> {
            Ok(self.customers.lock().unwrap().get(&id).cloned())
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

    pub(crate) async fn seeded(store: &FakeStore, business: BusinessId) -> Customer {
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
        delete(&store, &store, business, customer.id, None, Timestamp::now())
            .await
            .unwrap();
        let writes = store.writes.lock().unwrap();
        assert_eq!(writes.last().map(|e| e.event_type.as_str()), Some("customer.deleted"));
        assert!(store.customers.lock().unwrap().is_empty());
    }
}
