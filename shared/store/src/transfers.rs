//! Import and export jobs in DynamoDB, and the customers an import creates.
//!
//! A job is one item in its own partition under its business
//! (`BUSINESS#<business>#TRANSFER#<id>`, `sk = TRANSFER`), so a job of
//! another business is simply not found. The rows of an import that created
//! nothing (refused, or a customer the business already had) are items in the
//! same partition (`sk = LINE#<line, 20 digits>`), read in line order. A job
//! is written only over the version it was read at: two runs of one job
//! cannot both move it on.
//!
//! Both are removed by the table's time to live 30 days after the job was
//! asked for.
//!
//! The table's stream carries every new version of a job; the `transfers`
//! function's filter passes the queued and running ones, so each version a
//! run writes brings the next run.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::transfer::{RowOutcome, TransferJob};
use clientele_core::{BusinessId, Customer, CustomerEvent, Page, StoreError, Tag, TransferId};
use serde::{Deserialize, Serialize};

use crate::DynamoStore;
use crate::counts::Counter;
use crate::cursor;
use crate::customers::{SortOrder, insertion_refused};
use crate::items::{entity, from_item, to_item};
use crate::keys;
use crate::transact::{Write, transact};

/// How long a job and its rows' outcomes are kept: the table's time to
/// live removes them 30 days after the job was asked for.
pub const TRANSFER_RETENTION_SECONDS: i64 = 30 * 24 * 60 * 60;

/// The tag of the cursors of an import's row outcomes.
const OUTCOMES_CURSOR: &str = "outcomes";

/// A job's stored form.
#[derive(Serialize, Deserialize)]
struct TransferItem {
    pk: String,
    sk: String,
    entity: String,
    #[serde(flatten)]
    job: TransferJob,
    /// When the table's time to live removes it.
    expires_at: i64,
}

impl TransferItem {
    fn of(job: &TransferJob) -> Self {
        let key = keys::transfer(job.business_id, job.id);
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity::TRANSFER.to_owned(),
            job: job.clone(),
            expires_at: expiry(job),
        }
    }
}

/// A row outcome's stored form.
#[derive(Serialize, Deserialize)]
struct OutcomeItem {
    pk: String,
    sk: String,
    entity: String,
    expires_at: i64,
    #[serde(flatten)]
    outcome: RowOutcome,
}

/// When the table's time to live removes a job's items.
fn expiry(job: &TransferJob) -> i64 {
    job.created_at.unix_seconds() + TRANSFER_RETENTION_SECONDS
}

/// The job a stream record's new image holds, if it holds one.
pub fn transfer_from_image(item: crate::items::Item) -> Option<TransferJob> {
    let job = from_item::<TransferItem>(item).ok()?;
    (job.entity == entity::TRANSFER).then_some(job.job)
}

/// Jobs.
impl DynamoStore {
    /// Stores a new job.
    #[tracing::instrument(skip_all, fields(transfer_id = %job.id, business_id = %job.business_id))]
    pub async fn insert_transfer(&self, job: &TransferJob) -> Result<(), StoreError> {
        let write = Write::put(&self.table, to_item(&TransferItem::of(job))?).condition("attribute_not_exists(pk)");
        match transact(&self.client, vec![write]).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::Unexpected("a job with this id already exists".into())),
        }
    }

    /// A job of `business`, read consistently.
    pub async fn transfer(&self, business: BusinessId, id: TransferId) -> Result<Option<TransferJob>, StoreError> {
        match self.get_item(keys::transfer(business, id)).await? {
            Some(item) => Ok(Some(from_item::<TransferItem>(item)?.job)),
            None => Ok(None),
        }
    }

    /// Stores `job` over the version `expected_version`
    /// ([`StoreError::VersionMismatch`] if another run moved it meanwhile).
    #[tracing::instrument(skip_all, fields(transfer_id = %job.id, version = job.version))]
    pub async fn save_transfer(&self, job: &TransferJob, expected_version: u64) -> Result<(), StoreError> {
        let write = Write::put(&self.table, to_item(&TransferItem::of(job))?)
            .condition("version = :version")
            .value(":version", AttributeValue::N(expected_version.to_string()));
        match transact(&self.client, vec![write]).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(StoreError::VersionMismatch),
        }
    }

    /// Records what became of rows that created nothing. Each row has its
    /// own key, so recording a row again writes the same item.
    #[tracing::instrument(skip_all, fields(transfer_id = %job.id, rows = outcomes.len()))]
    pub async fn record_outcomes(&self, job: &TransferJob, outcomes: &[RowOutcome]) -> Result<(), StoreError> {
        let items = outcomes
            .iter()
            .map(|outcome| {
                let key = keys::transfer_outcome(job.business_id, job.id, outcome.line());
                to_item(&OutcomeItem {
                    pk: key.pk,
                    sk: key.sk,
                    entity: entity::TRANSFER_OUTCOME.to_owned(),
                    expires_at: expiry(job),
                    outcome: outcome.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.put_in_batches(items).await
    }

    /// A page of an import's rows that created nothing, in line order.
    #[tracing::instrument(skip_all, fields(transfer_id = %job.id))]
    pub async fn outcomes(
        &self,
        job: &TransferJob,
        limit: usize,
        page: Option<&str>,
    ) -> Result<Page<RowOutcome>, StoreError> {
        let partition = keys::transfer(job.business_id, job.id).pk;
        let after = match page {
            Some(c) => Some(
                cursor::decode(c, OUTCOMES_CURSOR)?
                    .parse::<u64>()
                    .map_err(|_| StoreError::InvalidCursor)?,
            ),
            None => None,
        };
        let start = after.map(|line| keys::transfer_outcome(job.business_id, job.id, line).to_attributes());
        let prefix = keys::TRANSFER_LINE_PREFIX;
        let (items, more) = self
            .page_under(partition, prefix, limit, start, SortOrder::Ascending)
            .await?;
        let outcomes = items
            .into_iter()
            .map(|item| Ok(from_item::<OutcomeItem>(item)?.outcome))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let next_cursor = outcomes
            .last()
            .filter(|_| more)
            .map(|last| cursor::encode(OUTCOMES_CURSOR, &last.line().to_string()));
        Ok(Page {
            items: outcomes,
            next_cursor,
        })
    }

    /// Stores a new customer and its tags in one transaction: the customer
    /// is there with every tag, or nothing is. [`StoreError::Taken`] names
    /// the unique values the business already has.
    #[tracing::instrument(skip_all, fields(customer_id = %customer.id, tags = tags.len()))]
    pub async fn insert_customer_with_tags(
        &self,
        customer: &Customer,
        event: &CustomerEvent,
        tags: &[Tag],
        tag_events: &[CustomerEvent],
    ) -> Result<(), StoreError> {
        let mut writes = self.insertion(customer, event)?;
        if !tags.is_empty() {
            let added = i64::try_from(tags.len()).unwrap_or(i64::MAX);
            writes.push(self.count_write(customer.id, Counter::Tags, added, None));
            writes.extend(self.tag_writes(customer, tags, tag_events)?);
        }
        match transact(&self.client, writes).await? {
            Ok(()) => Ok(()),
            Err(cancelled) => Err(insertion_refused(&cancelled)),
        }
    }
}
