//! Notes in DynamoDB, on their customer under `NOTE#<note id>`: note ids are
//! made from the time of writing, so reading the customer's partition
//! backwards from `NOTE#` lists them newest first, and a note's id is its key.

use clientele_core::{Customer, CustomerEvent, CustomerId, Note, NoteId, Page, StoreError};

use crate::DynamoStore;
use crate::counts::Counter;
use crate::cursor;
use crate::items::{event_item, note_from, note_item};
use crate::keys;
use crate::transact::{Write, transact};

/// The tag a notes cursor carries.
const NOTES_QUERY: &str = "notes";

/// Notes.
impl DynamoStore {
    /// Stores a note about a customer that still exists in its business,
    /// with its event; [`StoreError::NotFound`] when the customer is gone.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, note_id = %note.id))]
    pub async fn add_note(
        &self,
        customer: &Customer,
        note: &Note,
        event: &CustomerEvent,
        limit: usize,
    ) -> Result<(), StoreError> {
        let mut writes = vec![
            self.customer_still_there(customer),
            Write::put(&self.table, note_item(note)?).condition("attribute_not_exists(pk)"),
            Write::put(&self.table, event_item(event)?),
            self.count_write(customer.id, Counter::Notes, 1, Some(limit)),
        ];
        writes.extend(self.audit_write(std::slice::from_ref(event))?);
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(()),
            Err(cancelled) if cancelled.failed(0) => Err(StoreError::NotFound),
            Err(cancelled) if cancelled.failed(3) => Err(StoreError::LimitReached),
            Err(_) => Err(StoreError::Unexpected("a note id was used twice".into())),
        }
    }

    /// A page of a customer's notes, newest first.
    #[tracing::instrument(skip_all, fields(customer_id = %customer, limit))]
    pub async fn notes_of(
        &self,
        customer: CustomerId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<Note>, StoreError> {
        let start = match cursor {
            Some(text) => {
                let position = cursor::decode(text, NOTES_QUERY)?;
                let id = NoteId::parse(&position).map_err(|_| StoreError::InvalidCursor)?;
                Some(keys::note(customer, id).to_attributes())
            }
            None => None,
        };
        let (items, more) = self
            .newest_under(keys::customer_partition(customer), keys::NOTE_PREFIX, limit, start)
            .await?;
        let notes = items.into_iter().map(note_from).collect::<Result<Vec<_>, _>>()?;
        let next_cursor = more
            .then(|| {
                notes
                    .last()
                    .map(|note| cursor::encode(NOTES_QUERY, &note.id.to_string()))
            })
            .flatten();
        Ok(Page {
            items: notes,
            next_cursor,
        })
    }

    /// One note about a customer, if there is one.
    #[tracing::instrument(skip_all, fields(customer_id = %customer, note_id = %id))]
    pub async fn note(&self, customer: CustomerId, id: NoteId) -> Result<Option<Note>, StoreError> {
        self.get_item(keys::note(customer, id))
            .await?
            .map(note_from)
            .transpose()
    }

    /// Deletes a note; [`StoreError::NotFound`] if it is gone.
    #[tracing::instrument(skip_all, fields(note_id = %note.id))]
    pub async fn remove_note(&self, note: &Note) -> Result<(), StoreError> {
        let writes = vec![
            Write::delete(&self.table, keys::note(note.customer_id, note.id)).condition("attribute_exists(pk)"),
            self.count_write(note.customer_id, Counter::Notes, -1, None),
        ];
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::NotFound),
        }
    }
}
