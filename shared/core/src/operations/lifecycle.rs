//! Validating, suspending and reactivating customers: one state machine for
//! the admin routes and for `admin.customer.action` events.

use crate::customer::Customer;
use crate::event::CustomerEvent;
use crate::id::{BusinessId, CustomerId};
use crate::lifecycle::Action;
use crate::store::{CustomerReader, CustomerWriter, StoreError};
use crate::time::Timestamp;

use super::{ATTEMPTS, CustomerError, Precondition, customers};

/// Takes `action` on a customer of `business`, on behalf of `admin`. A
/// transition the customer's status does not allow changes nothing.
pub async fn apply<S: CustomerReader + CustomerWriter>(
    store: &S,
    business: BusinessId,
    id: CustomerId,
    action: &Action,
    admin: &str,
    precondition: Option<&Precondition>,
    now: Timestamp,
) -> Result<Customer, CustomerError> {
    for _ in 0..ATTEMPTS {
        let current = customers::get(store, business, id).await?;
        if precondition.is_some_and(|p| !p.admits(current.version)) {
            return Err(CustomerError::PreconditionFailed);
        }
        let next = current.after(action, now)?;
        let event = CustomerEvent::lifecycle(&next, action, admin);
        match store.update(&current, &next, &event, None).await {
            Ok(()) => return Ok(next),
            Err(StoreError::VersionMismatch) if !matches!(precondition, Some(Precondition::Versions(_))) => continue,
            Err(StoreError::VersionMismatch) => return Err(CustomerError::PreconditionFailed),
            Err(other) => return Err(other.into()),
        }
    }
    Err(CustomerError::Contended)
}
