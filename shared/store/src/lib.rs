//! Clientele's single DynamoDB table: the keys of every item, their stored
//! forms, and the transactions that change them.
//!
//! [`DynamoStore`] implements the storage traits of `clientele-core`. Every
//! change and the event it records are written in one `TransactWriteItems`, so
//! there is never a change without its event, nor an event without its change.

pub mod budget;
pub mod clients;
pub mod counts;
pub mod cursor;
pub mod customers;
pub mod deletion;
mod errors;
pub mod facts;
pub mod gdpr;
pub mod items;
pub mod keys;
pub mod migrations;
pub mod notes;
pub mod tags;
mod transact;

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use clientele_startup::{ConfigError, Lookup, required};

/// The table, through one shared client.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: Arc<str>,
}

impl DynamoStore {
    /// The store over the table `TABLE_NAME`, through a client made from
    /// `sdk`, with its first connection opened.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let store = Self::new(Client::new(sdk), required(env, "TABLE_NAME")?);
        store.warm_up().await;
        Ok(store)
    }

    /// The store over `table`.
    pub fn new(client: Client, table: impl Into<Arc<str>>) -> Self {
        Self {
            client,
            table: table.into(),
        }
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
