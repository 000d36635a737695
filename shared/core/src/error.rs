//! The one error vocabulary of the operations: what was refused and why, or
//! what failed.

use crate::lifecycle::InvalidTransition;
use crate::store::{StoreError, UniqueField};
use crate::validation::ValidationErrors;

/// Why an operation on a customer, its tags, notes, avatar or statistics was
/// refused or failed. Each boundary turns it into its own answer: a route into
/// a problem+json status, the inbound function into a dropped or retried event.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
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
    InvalidTransition(#[from] InvalidTransition),
    /// The customer has no avatar.
    #[error("the customer has no avatar")]
    NoAvatar,
    /// The customer already has as many tags (or notes) as it may.
    #[error("a customer may have at most {limit} {what}")]
    LimitReached {
        /// Of what: `tags` or `notes`.
        what: &'static str,
        /// How many it may have.
        limit: usize,
    },
    /// No such contact in the caller's business.
    #[error("contact not found")]
    ContactNotFound,
    /// Emails another contact of the customer has, each named.
    #[error("emails already used by another contact of the customer")]
    ContactEmailTaken(ValidationErrors),
    /// No such interaction in the caller's business.
    #[error("interaction not found")]
    InteractionNotFound,
    /// No such order of the customer.
    #[error("order not found")]
    OrderNotFound,
    /// No such saved segment in the caller's business.
    #[error("saved segment not found")]
    SegmentNotFound,
    /// Another saved segment of the business has the name.
    #[error("another saved segment has this name")]
    SegmentNameTaken,
    /// The business has as many saved segments as it may.
    #[error("a business may keep at most {0} saved segments")]
    SegmentsLimit(usize),
    /// Customers are put on a static list only, not on a filter.
    #[error("the segment is a filter, not a list")]
    NotAList,
    /// The caller may not do this to something another principal made.
    #[error("{0}")]
    NotYours(&'static str),
    /// A movement would take the customer's tokens below zero.
    #[error("the balance is {balance} tokens; {asked} cannot be taken")]
    InsufficientTokens {
        /// The balance now.
        balance: i64,
        /// Tokens the movement would take.
        asked: i64,
    },
    /// A movement key already recorded with other values.
    #[error("the movement key was first used for another movement")]
    MovementKeyReused,
    /// No such team user of the customer.
    #[error("user not found")]
    TeamUserNotFound,
    /// Another team user of the business has the email.
    #[error("another user of this business has this email")]
    TeamUserEmailTaken,
    /// A password reset asked for a disabled team user.
    #[error("the user is disabled")]
    TeamUserDisabled,
    /// A status change the rules refuse.
    #[error(transparent)]
    NoReinvitation(#[from] crate::team_user::NoReinvitation),
    /// No such plan in the caller's business.
    #[error("plan not found")]
    PlanNotFound,
    /// No such subscription of the customer.
    #[error("subscription not found")]
    SubscriptionNotFound,
    /// The customer has an active subscription already.
    #[error("the customer has an active subscription")]
    AlreadySubscribed,
    /// A step the subscription's state or plan does not allow.
    #[error(transparent)]
    SubscriptionRefused(#[from] crate::subscription::SubscriptionRefusal),
    /// No such import or export job in the caller's business.
    #[error("no such {0}")]
    TransferNotFound(&'static str),
    /// A job cannot take this step now.
    #[error("{0}")]
    TransferRefused(String),
    /// Storage failed; nothing was written.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for OperationError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => OperationError::NotFound,
            StoreError::Taken(fields) => OperationError::Taken(fields),
            StoreError::InvalidCursor => OperationError::InvalidCursor,
            StoreError::LabelsTaken(indexes) => OperationError::LabelsTaken(indexes),
            other => OperationError::Store(other),
        }
    }
}
