//! Facts in DynamoDB: the customer's new statistics and a marker of the fact
//! in one transaction, the marker guarded by `attribute_not_exists`. A second
//! delivery of the same fact finds its marker and changes nothing.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::facts::{FACT_MARKER_DAYS, Fact};
use clientele_core::{Customer, StoreError};

use crate::DynamoStore;
use crate::items::entity;
use crate::keys::{self, attr};
use crate::transact::{Write, transact};

/// Facts.
impl DynamoStore {
    /// Replaces `before` with `after` (if still at `before.version`) and notes
    /// that `fact` was counted, in one write. `Ok(false)` when the fact was
    /// counted before (nothing changes).
    #[tracing::instrument(skip_all, fields(customer_id = %before.id, fact = fact.kind.as_str(), fact_id = %fact.id))]
    pub async fn record_fact(&self, before: &Customer, after: &Customer, fact: &Fact) -> Result<bool, StoreError> {
        let marker = keys::fact(before.id, fact.kind.as_str(), &fact.id);
        let mut item = marker.to_attributes();
        item.insert(attr::ENTITY.to_owned(), AttributeValue::S(entity::FACT.to_owned()));
        item.insert(
            attr::EXPIRES_AT.to_owned(),
            AttributeValue::N((after.updated_at.unix_seconds() + FACT_MARKER_DAYS * 86_400).to_string()),
        );
        let writes = vec![
            self.profile_write(after, before.version)?,
            Write::put(&self.table, item).condition("attribute_not_exists(pk)"),
        ];
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(true),
            Err(cancelled) if cancelled.failed(1) => Ok(false),
            Err(cancelled) if cancelled.failed_but_exists(0) => Err(StoreError::VersionMismatch),
            Err(_) => Err(StoreError::NotFound),
        }
    }
}
