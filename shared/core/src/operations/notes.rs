//! Writing notes about customers, reading them, deleting them.

use crate::event::CustomerEvent;
use crate::id::{BusinessId, CustomerId, NoteId};
use crate::note::{NewNote, Note};
use crate::store::{CustomerReader, NoteStore, Page};
use crate::time::Timestamp;

use super::{CustomerError, customers};

/// Writes a note about a customer of the caller's business.
pub async fn add<S: CustomerReader + NoteStore>(
    store: &S,
    business: BusinessId,
    customer_id: CustomerId,
    new: NewNote,
    created_by: &str,
    now: Timestamp,
) -> Result<Note, CustomerError> {
    let customer = customers::get(store, business, customer_id).await?;
    let note = new.into_note(customer.id, business, created_by, now);
    store
        .add_note(&customer, &note, &CustomerEvent::note_added(&customer, &note))
        .await?;
    Ok(note)
}

/// A page of a customer's notes, newest first.
pub async fn list<S: CustomerReader + NoteStore>(
    store: &S,
    business: BusinessId,
    customer_id: CustomerId,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<Note>, CustomerError> {
    customers::get(store, business, customer_id).await?;
    Ok(store.notes_of(customer_id, limit, cursor).await?)
}

/// Who is deleting a note.
#[derive(Debug, Clone, Copy)]
pub enum Remover<'a> {
    /// May delete any note of the business (an admin).
    Anyone,
    /// May delete only the notes this principal wrote (staff).
    Author(&'a str),
}

/// Deletes a note about a customer of the caller's business.
pub async fn remove<S: NoteStore>(
    store: &S,
    business: BusinessId,
    customer_id: CustomerId,
    note_id: NoteId,
    remover: Remover<'_>,
) -> Result<(), CustomerError> {
    let note = store
        .note(customer_id, note_id)
        .await?
        .filter(|note| note.business_id == business)
        .ok_or(CustomerError::NoteNotFound)?;
    if let Remover::Author(principal) = remover
        && note.created_by != principal
    {
        return Err(CustomerError::NotYours("Staff may delete only the notes they wrote."));
    }
    store.remove_note(&note).await.map_err(|error| match error.into() {
        CustomerError::NotFound => CustomerError::NoteNotFound,
        other => other,
    })
}
