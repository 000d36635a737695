//! Creating, reading, listing, changing and deleting customers.

use clientele_core::portfolio::PortfolioPatch;
use clientele_core::{
    BusinessId, Customer, CustomerEvent, CustomerId, CustomerPatch, CustomerQuery, NewCustomer, OperationError, Page,
    Precondition, Rate, SearchQuery, StoreError, Timestamp, ValidationErrors,
};
use clientele_store::DynamoStore;
use clientele_store::deletion::Tombstone;
use clientele_store::segments::SegmentCount;

use crate::Actor;
use crate::change::read_decide_write;

/// Creates a customer in the actor's business.
pub async fn create(store: &DynamoStore, actor: &Actor, body: NewCustomer) -> Result<Customer, OperationError> {
    if body.business_id.is_some_and(|named| named != actor.business) {
        return Err(OperationError::ForeignBusiness);
    }
    let customer = body.into_customer(actor.business, actor.at);
    store
        .insert_customer(&customer, &CustomerEvent::created(&customer).by(&actor.id))
        .await?;
    metrics::counter!("CustomersCreated").increment(1);
    Ok(customer)
}

/// One customer of `business`.
pub async fn get(store: &DynamoStore, business: BusinessId, id: CustomerId) -> Result<Customer, OperationError> {
    store.customer(business, id).await?.ok_or(OperationError::NotFound)
}

/// A page of `business`'s customers.
pub async fn list(
    store: &DynamoStore,
    business: BusinessId,
    query: &CustomerQuery,
) -> Result<Page<Customer>, OperationError> {
    Ok(store.list_customers(business, query).await?)
}

/// A page of `business`'s customers matching a search, with the filters of
/// `filters` (status, type, tag).
pub async fn search(
    store: &DynamoStore,
    business: BusinessId,
    search: &SearchQuery,
    filters: &CustomerQuery,
) -> Result<Page<Customer>, OperationError> {
    Ok(store.search_customers(business, search, filters).await?)
}

/// `business`'s customers counted by status and type.
pub async fn segments(store: &DynamoStore, business: BusinessId) -> Result<Vec<SegmentCount>, OperationError> {
    Ok(store.segment_counts(business).await?)
}

/// What guards a change besides the domain's own rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Guards<'a> {
    /// The versions the caller expects the customer to be at (`If-Match`).
    pub precondition: Option<&'a Precondition>,
    /// The rate of changes allowed per customer, counted in the change's own
    /// transaction (`CUSTOMER_PATCH_RATE`).
    pub rate: Option<&'a Rate>,
}

/// Applies a merge patch to a customer of the actor's business. A patch that
/// changes nothing writes nothing and answers the customer as it is.
pub async fn update(
    store: &DynamoStore,
    actor: &Actor,
    id: CustomerId,
    patch: &CustomerPatch,
    guards: Guards<'_>,
) -> Result<Customer, OperationError> {
    change(store, actor, id, guards, |current| {
        let (next, changed) = patch.apply(current, actor.at);
        let event = CustomerEvent::updated(&next, &changed);
        Ok((next, changed, event))
    })
    .await
}

/// Applies a portfolio service's change to the profile of a customer of
/// the actor's business, by the rules of [`update`]: the same guards, and
/// nothing written when nothing changes. A portfolio keeps the profiles of
/// its own customer type only: another customer's is refused, as invalid.
pub async fn update_portfolio(
    store: &DynamoStore,
    actor: &Actor,
    id: CustomerId,
    patch: &PortfolioPatch,
    guards: Guards<'_>,
) -> Result<Customer, OperationError> {
    change(store, actor, id, guards, |current| {
        let kept_by = patch.service().customer_type();
        if current.customer_type != kept_by {
            return Err(ValidationErrors::single(
                "customer_type",
                format!(
                    "is {}: the portfolio keeps the profiles of {kept_by} customers only",
                    current.customer_type
                ),
            )
            .into());
        }
        let (next, changed) = patch.apply(current, actor.at);
        let event = CustomerEvent::portfolio_updated(&next, &changed);
        Ok((next, changed, event))
    })
    .await
}

/// A change of a customer of the actor's business that `decide` makes of
/// the customer read: the customer after it, the fields that changed and
/// the change's event. A change of no field writes nothing.
async fn change(
    store: &DynamoStore,
    actor: &Actor,
    id: CustomerId,
    guards: Guards<'_>,
    decide: impl Fn(&Customer) -> Result<(Customer, Vec<&'static str>, CustomerEvent), OperationError>,
) -> Result<Customer, OperationError> {
    let decide = &decide;
    read_decide_write(
        guards.precondition,
        || get(store, actor.business, id),
        |current| async move {
            let (next, changed, event) = decide(&current)?;
            if changed.is_empty() {
                return Ok(current);
            }
            write_counted(store, &current, &next, &event.by(&actor.id), guards.rate, actor.at).await?;
            Ok(next)
        },
    )
    .await
}

/// Writes a change of a customer, counted in its update rate's current
/// window when there is a `rate`; a spent window is
/// [`OperationError::RateLimited`], and nothing is written.
pub(crate) async fn write_counted(
    store: &DynamoStore,
    current: &Customer,
    next: &Customer,
    event: &CustomerEvent,
    rate: Option<&Rate>,
    at: Timestamp,
) -> Result<(), OperationError> {
    let window = rate.map(|rate| rate.window(at));
    match store.update_customer(current, next, event, window.as_ref()).await {
        Ok(()) => Ok(()),
        Err(StoreError::RateLimited) => Err(OperationError::RateLimited {
            retry_after_seconds: window.map_or(1, |w| w.retry_after(at)),
        }),
        Err(other) => Err(other.into()),
    }
}

/// Deletes a customer of the actor's business: its record and claims go,
/// with its event, and a tombstone is left. Everything stored under it (its
/// items, its avatar images) is removed by the sweeper, which the tombstone's
/// stream record starts ([`crate::deletion::finish`]).
pub async fn delete(
    store: &DynamoStore,
    actor: &Actor,
    id: CustomerId,
    precondition: Option<&Precondition>,
) -> Result<(), OperationError> {
    read_decide_write(
        precondition,
        || get(store, actor.business, id),
        |current| async move {
            let tombstone = Tombstone {
                customer_id: current.id,
                business_id: current.business_id,
                deleted_at: actor.at,
            };
            store
                .delete_customer(&current, &CustomerEvent::deleted(&current, actor.at), &tombstone)
                .await?;
            Ok(())
        },
    )
    .await
}
