//! Putting tags on customers, listing them, taking them off.

use clientele_core::tag::{MAX_TAGS_PER_CUSTOMER, sort_tags};
use clientele_core::{BusinessId, CustomerEvent, CustomerId, NewTag, OperationError, StoreError, Tag, TagId};
use clientele_store::DynamoStore;

use crate::{Actor, customers};

/// Puts tags on a customer of the actor's business, all or nothing, up to
/// [`MAX_TAGS_PER_CUSTOMER`] in all.
pub async fn add(
    store: &DynamoStore,
    actor: &Actor,
    customer_id: CustomerId,
    new: Vec<NewTag>,
) -> Result<Vec<Tag>, OperationError> {
    let customer = customers::get(store, actor.business, customer_id).await?;
    let tags: Vec<Tag> = new
        .into_iter()
        .map(|tag| tag.into_tag(customer.id, actor.business, &actor.id, actor.at))
        .collect();
    let events: Vec<CustomerEvent> = tags
        .iter()
        .map(|tag| CustomerEvent::tag_added(&customer, tag).by(&actor.id))
        .collect();
    match store.add_tags(&customer, &tags, &events, MAX_TAGS_PER_CUSTOMER).await {
        Ok(()) => Ok(tags),
        Err(StoreError::LimitReached) => Err(OperationError::LimitReached {
            what: "tags",
            limit: MAX_TAGS_PER_CUSTOMER,
        }),
        Err(other) => Err(other.into()),
    }
}

/// The tags of a customer of `business`, by priority then label.
pub async fn list(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
) -> Result<Vec<Tag>, OperationError> {
    customers::get(store, business, customer_id).await?;
    let mut tags = store.tags_of(customer_id, MAX_TAGS_PER_CUSTOMER).await?;
    sort_tags(&mut tags);
    Ok(tags)
}

/// Takes a tag off its customer in the actor's business; with `on`, only if
/// it is on that customer.
pub async fn remove(
    store: &DynamoStore,
    actor: &Actor,
    tag_id: TagId,
    on: Option<CustomerId>,
) -> Result<(), OperationError> {
    let not_found = |error: OperationError| match error {
        OperationError::NotFound => OperationError::TagNotFound,
        other => other,
    };
    let tag = store
        .tag(tag_id)
        .await?
        .filter(|tag| tag.business_id == actor.business && on.is_none_or(|customer| customer == tag.customer_id))
        .ok_or(OperationError::TagNotFound)?;
    let customer = customers::get(store, actor.business, tag.customer_id)
        .await
        .map_err(not_found)?;
    let event = CustomerEvent::tag_removed(&customer, tag.id, actor.at).by(&actor.id);
    store.remove_tag(&tag, &event).await.map_err(|e| not_found(e.into()))
}
