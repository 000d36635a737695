//! Clientele's single DynamoDB table: the keys of every item, their stored
//! forms, and the transactions that change them.
//!
//! [`DynamoStore`] implements the storage traits of `clientele-core`. Every
//! change and the event it records are written in one `TransactWriteItems`, so
//! there is never a change without its event, nor an event without its change.

pub mod audit;
pub mod budget;
pub mod bulk;
pub mod clients;
pub mod contacts;
pub mod counts;
pub mod cursor;
pub mod customers;
pub mod deletion;
mod errors;
pub mod facts;
pub mod gdpr;
pub mod idempotency;
pub mod interactions;
pub mod invariants;
pub mod items;
pub mod keys;
pub mod migrations;
pub mod notes;
pub mod orders;
pub mod saved_segments;
pub mod search;
pub mod segments;
pub mod subscriptions;
pub mod tags;
pub mod team_users;
pub mod tokens;
mod transact;
pub mod transfers;

pub use transact::pause_before_retry;

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use clientele_core::audit::DEFAULT_AUDIT_RETENTION_DAYS;
use clientele_startup::{ConfigError, Lookup, parsed_or, required};

fn retention_seconds(days: u32) -> i64 {
    i64::from(days) * 24 * 3_600
}

/// The table, through one shared client.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: Arc<str>,
    audit_retention_seconds: i64,
}

impl DynamoStore {
    /// The store over the table `TABLE_NAME`, through a client made from
    /// `sdk`, with its first connection opened; audit entries kept for
    /// `AUDIT_RETENTION_DAYS` (365 unless set).
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let days = parsed_or(env, "AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS)?;
        if days == 0 {
            return Err(ConfigError::Invalid {
                name: "AUDIT_RETENTION_DAYS",
                reason: "must be at least 1 day".to_owned(),
            });
        }
        let store = Self::new(Client::new(sdk), required(env, "TABLE_NAME")?).with_audit_retention_days(days);
        store.warm_up().await;
        Ok(store)
    }

    /// The store over `table`, keeping audit entries for a year.
    pub fn new(client: Client, table: impl Into<Arc<str>>) -> Self {
        Self {
            client,
            table: table.into(),
            audit_retention_seconds: retention_seconds(DEFAULT_AUDIT_RETENTION_DAYS),
        }
    }

    /// The same store, keeping audit entries for `days`.
    pub fn with_audit_retention_days(mut self, days: u32) -> Self {
        self.audit_retention_seconds = retention_seconds(days);
        self
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Opens the first connection (TLS, credentials, endpoint) while the
    /// function initialises, so the first request does not pay for it. A
    /// failure is only logged: requests will report it if it lasts.
    pub async fn warm_up(&self) {
        let probe = keys::Key {
            pk: "WARMUP".to_owned(),
            sk: "WARMUP".to_owned(),
        };
        let result = self
            .client
            .get_item()
            .table_name(self.table.as_ref())
            .set_key(Some(probe.to_attributes()))
            .send()
            .await;
        if let Err(error) = result {
            tracing::warn!(error = %aws_sdk_dynamodb::error::DisplayErrorContext(&error), "DynamoDB is not reachable yet");
        }
    }
}
