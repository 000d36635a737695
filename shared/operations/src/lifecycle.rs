//! Validating, suspending and reactivating customers: one state machine for
//! the admin routes and for `admin.customer.action` events.

use clientele_core::lifecycle::Action;
use clientele_core::{Customer, CustomerEvent, CustomerId, OperationError, Precondition};
use clientele_store::DynamoStore;

use crate::Actor;
use crate::change::read_decide_write;
use crate::customers;

/// Takes `action` on a customer of the actor's business, the actor being the
/// admin. A transition the customer's status does not allow changes nothing.
pub async fn apply(
    store: &DynamoStore,
    actor: &Actor,
    id: CustomerId,
    action: &Action,
    precondition: Option<&Precondition>,
) -> Result<Customer, OperationError> {
    read_decide_write(
        precondition,
        || customers::get(store, actor.business, id),
        |current| async move {
            let next = current.after(action, actor.at)?;
            let event = CustomerEvent::lifecycle(&next, action, &actor.id).by(&actor.id);
            store.update_customer(&current, &next, &event, None).await?;
            Ok(next)
        },
    )
    .await
}
