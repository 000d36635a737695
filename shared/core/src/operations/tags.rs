//! Putting tags on customers, listing them, taking them off.

use crate::event::CustomerEvent;
use crate::id::{BusinessId, CustomerId, TagId};
use crate::store::{CustomerReader, TagStore};
use crate::tag::{NewTag, Tag, sort_tags};
use crate::time::Timestamp;

use super::{CustomerError, customers};

/// Puts tags on a customer of the caller's business, all or nothing.
pub async fn add<S: CustomerReader + TagStore>(
    store: &S,
    business: BusinessId,
    customer_id: CustomerId,
    new: Vec<NewTag>,
    created_by: &str,
    now: Timestamp,
) -> Result<Vec<Tag>, CustomerError> {
    let customer = customers::get(store, business, customer_id).await?;
    let tags: Vec<Tag> = new
        .into_iter()
        .map(|tag| tag.into_tag(customer.id, business, created_by, now))
        .collect();
    let events: Vec<CustomerEvent> = tags
        .iter()
        .map(|tag| CustomerEvent::tag_added(&customer, tag))
        .collect();
    store.add_tags(&customer, &tags, &events).await?;
    Ok(tags)
}

/// A customer's tags, by priority then label.
pub async fn list<S: CustomerReader + TagStore>(
    store: &S,
    business: BusinessId,
    customer_id: CustomerId,
) -> Result<Vec<Tag>, CustomerError> {
    customers::get(store, business, customer_id).await?;
    let mut tags = store.tags_of(customer_id).await?;
    sort_tags(&mut tags);
    Ok(tags)
}

/// Takes a tag off its customer; with `on`, only if it is on that customer.
pub async fn remove<S: CustomerReader + TagStore>(
    store: &S,
    business: BusinessId,
    tag_id: TagId,
    on: Option<CustomerId>,
    now: Timestamp,
) -> Result<(), CustomerError> {
    let not_found = |error: CustomerError| match error {
        CustomerError::NotFound => CustomerError::TagNotFound,
        other => other,
    };
    let tag = store
        .tag(tag_id)
        .await?
        .filter(|tag| tag.business_id == business && on.is_none_or(|customer| customer == tag.customer_id))
        .ok_or(CustomerError::TagNotFound)?;
    let customer = customers::get(store, business, tag.customer_id)
        .await
        .map_err(not_found)?;
    let event = CustomerEvent::tag_removed(&customer, tag.id, now);
    store.remove_tag(&tag, &event).await.map_err(|e| not_found(e.into()))
}
