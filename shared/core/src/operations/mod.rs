//! The operations: what a route (or an inbound event) asks for, with the
//! rules that do not depend on how it arrived. Each takes the caller's
//! business, so tenancy cannot be forgotten.

pub mod avatars;
pub mod customers;
pub mod data;
pub mod facts;
pub mod lifecycle;
pub mod notes;
pub mod tags;

pub use customers::{create, delete, get, list, update};

use crate::store::{StoreError, UniqueField};
use crate::validation::ValidationErrors;

/// How often a read-modify-write is tried when another writer gets in between.
pub(crate) const ATTEMPTS: usize = 3;

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    /// The input is not valid.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// No such customer in the caller's business.
    #[error("customer not found")]
    NotFound,
    /// The body names a business other than the caller's.
    #[error("the body names another business")]
    ForeignBusiness,
    /// Unique values already used by another customer of the business.
    #[error("already used by another customer of this business: {0:?}")]
    Taken(Vec<UniqueField>),
    /// `If-Match` named a version that is no longer current.
    #[error("the customer changed since the given version")]
    PreconditionFailed,
    /// Too many updates of this customer in the current window.
    #[error("too many updates; retry in {retry_after_seconds} s")]
    RateLimited {
        /// When the window ends.
        retry_after_seconds: u64,
    },
    /// Other writers kept changing the customer; nothing was written.
    #[error("the customer is being changed concurrently")]
    Contended,
    /// A page cursor that was not issued for this query.
    #[error("invalid page cursor")]
    InvalidCursor,
    /// No such tag on a customer of the caller's business.
    #[error("tag not found")]
    TagNotFound,
    /// Labels the customer already has, by their place in the request.
    #[error("the customer already has these labels")]
    LabelsTaken(Vec<usize>),
    /// No such note about a customer of the caller's business.
    #[error("note not found")]
    NoteNotFound,
    /// The customer's status does not allow the action.
    #[error(transparent)]
    InvalidTransition(#[from] crate::lifecycle::InvalidTransition),
    /// The customer has no avatar.
    #[error("the customer has no avatar")]
    NoAvatar,
    /// The caller may not do this to something another principal made.
    #[error("{0}")]
    NotYours(&'static str),
    /// Storage failed; nothing was written.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CustomerError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => CustomerError::NotFound,
            StoreError::Taken(fields) => CustomerError::Taken(fields),
            StoreError::InvalidCursor => CustomerError::InvalidCursor,
            StoreError::LabelsTaken(indexes) => CustomerError::LabelsTaken(indexes),
            other => CustomerError::Store(other),
        }
    }
}

/// What an `If-Match` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    /// `*`: any current version.
    Any,
    /// One of these versions.
    Versions(Vec<u64>),
}

impl Precondition {
    /// Whether the current version satisfies it.
    pub fn admits(&self, version: u64) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::Versions(versions) => versions.contains(&version),
        }
    }
}
