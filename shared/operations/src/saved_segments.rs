//! Saved segments: an admin's named filters and static lists, and their
//! members. A filter's members are found when asked for, by the list query
//! its filter makes (so a page costs what the same list request costs); a
//! list's members are the customers put on it.

use clientele_core::saved_segment::{Definition, MAX_SAVED_SEGMENTS, NewSavedSegment, SavedSegment};
use clientele_core::{BusinessId, Customer, CustomerId, CustomerQuery, OperationError, Page, SegmentId};
use clientele_store::DynamoStore;
use clientele_store::saved_segments::{Placed, Saved};

use crate::{Actor, customers};

/// Saves a segment of the actor's business; its name must be unused there.
pub async fn save(store: &DynamoStore, actor: &Actor, new: NewSavedSegment) -> Result<SavedSegment, OperationError> {
    let segment = new.into_segment(actor.business, &actor.id, actor.at);
    match store.save_segment(&segment).await? {
        Saved::Done => Ok(segment),
        Saved::NameTaken => Err(OperationError::SegmentNameTaken),
        Saved::LimitReached => Err(OperationError::SegmentsLimit(MAX_SAVED_SEGMENTS)),
    }
}

/// The saved segment of `business` with this id.
pub async fn get(store: &DynamoStore, business: BusinessId, id: SegmentId) -> Result<SavedSegment, OperationError> {
    store
        .saved_segment(business, id)
        .await?
        .ok_or(OperationError::SegmentNotFound)
}

/// A page of the business's saved segments.
pub async fn list(
    store: &DynamoStore,
    business: BusinessId,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<SavedSegment>, OperationError> {
    Ok(store.saved_segments(business, limit, cursor).await?)
}

/// Deletes a saved segment (a list's places with it; never a customer).
pub async fn delete(store: &DynamoStore, business: BusinessId, id: SegmentId) -> Result<(), OperationError> {
    let segment = get(store, business, id).await?;
    store.delete_saved_segment(&segment).await.map_err(|error| match error {
        clientele_core::StoreError::NotFound => OperationError::SegmentNotFound,
        other => other.into(),
    })
}

/// The list query that finds a segment's members.
pub fn members_query(segment: &SavedSegment, limit: usize, cursor: Option<String>) -> CustomerQuery {
    match &segment.definition {
        Definition::Filter(filter) => CustomerQuery {
            status: filter.status,
            customer_type: filter.customer_type,
            tag: filter.tag.clone(),
            created_from: filter.created_from,
            created_to: filter.created_to,
            limit,
            cursor,
            ..CustomerQuery::default()
        },
        Definition::List => CustomerQuery {
            list: Some(segment.id),
            limit,
            cursor,
            ..CustomerQuery::default()
        },
    }
}

/// A page of a saved segment's members, newest first: what its filter finds
/// now, or who is on the list.
pub async fn members(
    store: &DynamoStore,
    business: BusinessId,
    id: SegmentId,
    limit: usize,
    cursor: Option<String>,
) -> Result<Page<Customer>, OperationError> {
    let segment = get(store, business, id).await?;
    customers::list(store, business, &members_query(&segment, limit, cursor)).await
}

/// Puts a customer of the actor's business on a list; `false` if it was on
/// it already.
pub async fn add_member(
    store: &DynamoStore,
    actor: &Actor,
    id: SegmentId,
    customer_id: CustomerId,
) -> Result<bool, OperationError> {
    let list = get(store, actor.business, id).await?;
    if list.definition != Definition::List {
        return Err(OperationError::NotAList);
    }
    let customer = customers::get(store, actor.business, customer_id).await?;
    match store.add_to_list(&list, &customer, &actor.id, actor.at).await? {
        Placed::Added => Ok(true),
        Placed::AlreadyThere => Ok(false),
        Placed::NoList => Err(OperationError::SegmentNotFound),
        Placed::NoCustomer => Err(OperationError::NotFound),
    }
}

/// Takes a customer off a list of `business`; [`OperationError::NotFound`]
/// when it is not on it.
pub async fn remove_member(
    store: &DynamoStore,
    business: BusinessId,
    id: SegmentId,
    customer_id: CustomerId,
) -> Result<(), OperationError> {
    let list = get(store, business, id).await?;
    if list.definition != Definition::List {
        return Err(OperationError::NotAList);
    }
    if store.remove_from_list(list.id, customer_id).await? {
        Ok(())
    } else {
        Err(OperationError::NotFound)
    }
}
