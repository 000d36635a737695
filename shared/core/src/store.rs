//! What the customer operations need from storage: one trait per capability,
//! so an operation asks only for what it uses. The DynamoDB implementation in
//! `clientele-store` is the real one; fakes are for fast unit tests.

use std::future::Future;

use crate::contact::Email;
use crate::customer::{Customer, CustomerStatus, CustomerType};
use crate::event::CustomerEvent;
use crate::id::{BusinessId, CustomerId, NoteId, TagId};
use crate::note::Note;
use crate::rate::RateWindow;
use crate::tag::{Tag, TagLabel};

/// Any error, boxed, for a failure's cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A value that must be unique within a business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    /// The email address, case-insensitively.
    Email,
    /// The platform user id: one customer record per user per business.
    UserId,
}

impl UniqueField {
    /// The field's name in the API.
    pub fn as_str(&self) -> &'static str {
        match self {
            UniqueField::Email => "email",
            UniqueField::UserId => "user_id",
        }
    }
}

/// Why storage did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist (or belongs to another business).
    #[error("no such record")]
    NotFound,
    /// The record changed since it was read: its version is not the one expected.
    #[error("the record changed since it was read")]
    VersionMismatch,
    /// Values that must be unique in the business are already taken.
    #[error("already taken: {0:?}")]
    Taken(Vec<UniqueField>),
    /// The rate-limit window's allowance is used up.
    #[error("the rate limit for this window is used up")]
    RateLimited,
    /// Labels the customer already has, by their place among the tags given.
    #[error("the customer already has labels {0:?}")]
    LabelsTaken(Vec<usize>),
    /// A page cursor that this store did not issue for this query.
    #[error("the page cursor is not valid for this query")]
    InvalidCursor,
    /// The database could not be reached, timed out, throttled or failed: worth
    /// retrying later. Nothing was written.
    #[error("the database is unavailable")]
    Unavailable(#[source] BoxError),
    /// Anything else: a bug or a misconfiguration.
    #[error("unexpected database error")]
    Unexpected(#[source] BoxError),
}

/// A page of a business's customers, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Only customers in this status.
    pub status: Option<CustomerStatus>,
    /// Only customers of this type.
    pub customer_type: Option<CustomerType>,
    /// Only the customer with this email address (case-insensitively).
    pub email: Option<Email>,
    /// Only customers whose full name starts with this, case-insensitively (already folded).
    pub name_prefix: Option<String>,
    /// Only customers with this tag (case-insensitively).
    pub tag: Option<TagLabel>,
    /// At most this many customers.
    pub limit: usize,
    /// Where the previous page ended, as the store gave it.
    pub cursor: Option<String>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The results.
    pub items: Vec<T>,
    /// Where to continue, when there may be more.
    pub next_cursor: Option<String>,
}

/// Reads customers.
pub trait CustomerReader: Send + Sync {
    /// The customer with this id, if it exists and belongs to this business.
    fn get(
        &self,
        business: BusinessId,
        id: CustomerId,
    ) -> impl Future<Output = Result<Option<Customer>, StoreError>> + Send;

    /// The customer with this id, whatever its business: for trusted
    /// internal senders (inbound events) that name a customer by id alone.
    fn find(&self, id: CustomerId) -> impl Future<Output = Result<Option<Customer>, StoreError>> + Send;

    /// A page of the business's customers, newest first.
    fn list(
        &self,
        business: BusinessId,
        query: &CustomerQuery,
    ) -> impl Future<Output = Result<Page<Customer>, StoreError>> + Send;
}

/// Changes customers. Each change and its event are written atomically.
pub trait CustomerWriter: Send + Sync {
    /// Stores a new customer, claiming its email and user id in its business.
    /// Fails with [`StoreError::Taken`] naming every value already claimed.
    fn insert(&self, customer: &Customer, event: &CustomerEvent)
    -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces `before` with `after` if the stored version is still
    /// `before.version`, moving the email claim if the address changed, and
    /// counting one action in `window` if given.
    fn update(
        &self,
        before: &Customer,
        after: &Customer,
        event: &CustomerEvent,
        window: Option<&RateWindow>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes the customer, its claims and everything stored under it, if the
    /// stored version is still `customer.version`.
    fn delete(&self, customer: &Customer, event: &CustomerEvent)
    -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl CustomerQuery {
    /// Whether a customer passes the query's filters (all but the cursor).
    pub fn matches(&self, customer: &Customer) -> bool {
        self.status.is_none_or(|s| s == customer.status)
            && self.customer_type.is_none_or(|t| t == customer.customer_type)
            && self
                .email
                .as_ref()
                .is_none_or(|e| e.folded() == customer.email.folded())
            && self
                .name_prefix
                .as_ref()
                .is_none_or(|p| customer.full_name.folded().starts_with(p.as_str()))
    }
}

/// Reads clients (seed 000's read-only operation).
pub trait ClientReader: Send + Sync {
    /// The client with this id, if there is one.
    fn client(
        &self,
        id: crate::id::ClientId,
    ) -> impl Future<Output = Result<Option<crate::client::Client>, StoreError>> + Send;
}

/// One change an operator makes to a client. Each touches only its own
/// attributes, so two changes made at once never undo each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientChange {
    /// A new secret, as its hash.
    Secret {
        /// The SHA-256 of the new secret, in hex.
        hash: String,
    },
    /// Stop the client.
    Deactivate,
}

/// Keeps clients. Used by the operator command only: there is no HTTP route.
pub trait ClientWriter: Send + Sync {
    /// Stores a new client.
    fn insert_client(&self, client: &crate::client::Client) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Applies one change to a client that exists, and returns the client as
    /// changed; [`StoreError::NotFound`] when there is no such client.
    fn change_client(
        &self,
        id: crate::id::ClientId,
        change: &ClientChange,
        at: crate::time::Timestamp,
    ) -> impl Future<Output = Result<crate::client::Client, StoreError>> + Send;
}

/// Keeps customers' tags.
pub trait TagStore: Send + Sync {
    /// Puts tags on a customer that still exists in its business, all or
    /// nothing, each with its event. [`StoreError::NotFound`] when the customer
    /// is gone; [`StoreError::LabelsTaken`] naming the tags whose labels it has.
    fn add_tags(
        &self,
        customer: &Customer,
        tags: &[Tag],
        events: &[CustomerEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A customer's tags, in no particular order.
    fn tags_of(&self, customer: CustomerId) -> impl Future<Output = Result<Vec<Tag>, StoreError>> + Send;

    /// The tag with this id, if there is one.
    fn tag(&self, id: TagId) -> impl Future<Output = Result<Option<Tag>, StoreError>> + Send;

    /// Takes a tag off its customer, with its event; [`StoreError::NotFound`] if it is gone.
    fn remove_tag(&self, tag: &Tag, event: &CustomerEvent) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Keeps notes about customers.
pub trait NoteStore: Send + Sync {
    /// Stores a note about a customer that still exists in its business,
    /// with its event; [`StoreError::NotFound`] when the customer is gone.
    fn add_note(
        &self,
        customer: &Customer,
        note: &Note,
        event: &CustomerEvent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A page of a customer's notes, newest first.
    fn notes_of(
        &self,
        customer: CustomerId,
        limit: usize,
        cursor: Option<&str>,
    ) -> impl Future<Output = Result<Page<Note>, StoreError>> + Send;

    /// One note about a customer, if there is one.
    fn note(&self, customer: CustomerId, id: NoteId) -> impl Future<Output = Result<Option<Note>, StoreError>> + Send;

    /// Deletes a note; [`StoreError::NotFound`] if it is gone.
    fn remove_note(&self, note: &Note) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Keeps files (avatar images) by key.
pub trait Blobs: Send + Sync {
    /// Stores bytes under a key.
    fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str)
    -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes what is stored under a key (nothing happens if nothing is).
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Counts facts in customers' statistics, each once.
pub trait FactStore: Send + Sync {
    /// Replaces `before` with `after` (if still at `before.version`) and notes
    /// that `fact` was counted, in one write. `Ok(false)` when the fact was
    /// counted before (nothing changes).
    fn record_fact(
        &self,
        before: &Customer,
        after: &Customer,
        fact: &crate::facts::Fact,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
