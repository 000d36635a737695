//! Writing notes about customers, reading them, deleting them.

use clientele_core::note::MAX_NOTES_PER_CUSTOMER;
use clientele_core::{BusinessId, CustomerEvent, CustomerId, NewNote, Note, NoteId, OperationError, Page, StoreError};
use clientele_store::DynamoStore;

use crate::{Actor, customers};

/// Writes a note about a customer of the actor's business, up to
/// [`MAX_NOTES_PER_CUSTOMER`] about it.
pub async fn add(
    store: &DynamoStore,
    actor: &Actor,
    customer_id: CustomerId,
    new: NewNote,
) -> Result<Note, OperationError> {
    let customer = customers::get(store, actor.business, customer_id).await?;
    let note = new.into_note(customer.id, actor.business, &actor.id, actor.at);
    let event = CustomerEvent::note_added(&customer, &note).by(&actor.id);
    match store.add_note(&customer, &note, &event, MAX_NOTES_PER_CUSTOMER).await {
        Ok(()) => Ok(note),
        Err(StoreError::LimitReached) => Err(OperationError::LimitReached {
            what: "notes",
            limit: MAX_NOTES_PER_CUSTOMER,
        }),
        Err(other) => Err(other.into()),
    }
}

/// A page of the notes about a customer of `business`, newest first.
pub async fn list(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<Note>, OperationError> {
    customers::get(store, business, customer_id).await?;
    Ok(store.notes_of(customer_id, limit, cursor).await?)
}

/// Who is deleting a note: an admin may delete any, staff only their own.
pub use crate::Authority as Remover;

/// Deletes a note about a customer of `business`.
pub async fn remove(
    store: &DynamoStore,
    business: BusinessId,
    customer_id: CustomerId,
    note_id: NoteId,
    remover: Remover<'_>,
) -> Result<(), OperationError> {
    let note = store
        .note(customer_id, note_id)
        .await?
        .filter(|note| note.business_id == business)
        .ok_or(OperationError::NoteNotFound)?;
    if let Remover::Author(principal) = remover
        && note.created_by != principal
    {
        return Err(OperationError::NotYours("Staff may delete only the notes they wrote."));
    }
    store.remove_note(&note).await.map_err(|error| match error.into() {
        OperationError::NotFound => OperationError::NoteNotFound,
        other => other,
    })
}
