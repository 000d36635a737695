//! What storage reports and is asked: its errors, the uniqueness rules it
//! enforces, a list query and its pages, and the one seam the domain keeps
//! open, the clients the gatekeeper reads (kept in DynamoDB by
//! `clientele-store`, and in memory by `clientele-auth`'s fast tests, both
//! held to one conformance suite).

use std::future::Future;

use crate::contact::Email;
use crate::customer::{Customer, CustomerStatus, CustomerType};
use crate::id::SegmentId;
use crate::tag::TagLabel;
use crate::time::Timestamp;

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
    /// The customer already has as many items of this kind as it may.
    #[error("the customer has as many of these as it may")]
    LimitReached,
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
    /// Only customers created at or after this time.
    pub created_from: Option<Timestamp>,
    /// Only customers created before this time.
    pub created_to: Option<Timestamp>,
    /// Only the customers on this static list.
    pub list: Option<SegmentId>,
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
            && self.created_from.is_none_or(|from| customer.created_at >= from)
            && self.created_to.is_none_or(|to| customer.created_at < to)
    }
}

/// Reads clients: what the gatekeeper needs to check a client's credentials.
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
    /// A new secret, as its hash. The secret it replaces is still accepted
    /// until `previous_until` when there is one, and from now on never when
    /// there is none; a secret replaced before is no longer accepted either
    /// way.
    Secret {
        /// The SHA-256 of the new secret, in hex.
        hash: String,
        /// Until when the replaced secret is still accepted.
        previous_until: Option<crate::time::Timestamp>,
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
