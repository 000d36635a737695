//! The operations: what a route or an inbound event asks of the service, with
//! the rules that do not depend on how it arrived. Each one that changes
//! something takes an [`Actor`] (who acts, for which business, and when), so
//! tenancy cannot be forgotten: a customer of another business is simply not
//! found.
//!
//! Every change of a customer record has the same shape, written once in
//! [`change::read_decide_write`]: read the record, check the caller's
//! precondition, decide the new record and its event with the domain's rules
//! (`clientele-core`), write both on the condition that nobody changed the
//! record since it was read, and read again when somebody did.
//!
//! The operations work on the real table ([`DynamoStore`]) and bucket
//! ([`AvatarBucket`]): there is one implementation of each, tested against
//! DynamoDB Local and moto, so no trait stands between them.

pub mod audit;
pub mod avatars;
pub mod change;
pub mod contacts;
pub mod customers;
pub mod data;
pub mod deletion;
pub mod erasure;
pub mod facts;
pub mod interactions;
pub mod lifecycle;
pub mod notes;
pub mod orders;
pub mod saved_segments;
pub mod subscriptions;
pub mod tags;
pub mod team_users;
pub mod tokens;
pub mod transfers;
pub mod views;

pub use clientele_avatars::AvatarBucket;
pub use clientele_core::OperationError;
pub use clientele_store::DynamoStore;

use std::sync::Arc;

use aws_config::SdkConfig;
use clientele_core::{BusinessId, Clock, SystemClock, Timestamp};
use clientele_startup::{ConfigError, Lookup};

/// What every operation on the table needs: the table, and where "now" comes
/// from (the system clock; a test's own clock in tests).
#[derive(Clone)]
pub struct Context {
    /// The table.
    pub store: DynamoStore,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// The table `TABLE_NAME` and the system clock, the table's first
    /// connection opened.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            store: DynamoStore::from_env(env, sdk).await?,
            clock: Arc::new(SystemClock),
        })
    }

    /// `who` acting for `business`, now.
    pub fn actor(&self, business: BusinessId, who: &str) -> Actor {
        Actor {
            business,
            id: who.to_owned(),
            at: self.clock.now(),
        }
    }
}

/// Who acts, for which business, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The business acted for: only its customers can be found or changed.
    pub business: BusinessId,
    /// Who acts: a user's `sub`, a client's id, or the admin an inbound event names.
    pub id: String,
    /// When.
    pub at: Timestamp,
}

/// Whose records a principal may change or delete: every one of the
/// business's (an admin), or only those it made itself (staff, or a client
/// with `customers:write`).
#[derive(Debug, Clone, Copy)]
pub enum Authority<'a> {
    /// Any record of the business.
    Anyone,
    /// Only the records this principal (a qualified id) made.
    Author(&'a str),
}

impl Authority<'_> {
    /// Whether a record made by `author` is one it may change.
    pub fn covers(&self, author: &str) -> bool {
        match self {
            Authority::Anyone => true,
            Authority::Author(principal) => *principal == author,
        }
    }
}

/// What a route group that also keeps files needs: the table and the clock,
/// the bucket, and the group's own settings.
#[derive(Debug)]
pub struct FileContext<S> {
    /// The table and the clock.
    pub context: Context,
    /// The bucket of avatar images and stored exports.
    pub files: AvatarBucket,
    /// The group's own settings.
    pub settings: S,
}

impl<S> FileContext<S> {
    /// The table (`TABLE_NAME`), the bucket (`AVATAR_BUCKET`) and `settings`.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig, settings: S) -> Result<Self, ConfigError> {
        Ok(Self {
            files: AvatarBucket::from_env(env, sdk)?,
            context: Context::from_env(env, sdk).await?,
            settings,
        })
    }
}
