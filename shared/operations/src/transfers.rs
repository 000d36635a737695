//! Importing a business's customers from a file, and exporting them to one.
//!
//! An import is asked for first ([`begin_import`]: a job and a link to upload
//! the file to), then started once the file is there ([`start_import`]). An
//! export is queued when asked for ([`begin_export`]). The `transfers`
//! function then runs each queued or running job ([`advance`]), brought by
//! the table's stream: an import a chunk of rows at a time, each chunk's
//! new version of the job bringing the next run; an export in one run.
//!
//! Each row of an import creates its customer with its tags in one
//! transaction, or nothing. A row whose email or user id the business
//! already has creates nothing and is reported as `existing`, so an import
//! run again creates nothing twice; its customer gets an id derived from
//! the job and the row, so a run cut short and run again counts the
//! customers it created as created.

use clientele_avatars::{AvatarBucket, FileRange, LINK_LIFETIME};
use clientele_core::tag::{MAX_TAGS_PER_CUSTOMER, sort_tags};
use clientele_core::transfer::{
    ExportFile, HEAD_BYTES, Header, ImportRow, MAX_IMPORT_BYTES, RowOutcome, TransferFormat, TransferJob, TransferKind,
    TransferStatus, WINDOW_BYTES, Window,
};
use clientele_core::{
    BusinessId, CustomerEvent, CustomerId, CustomerQuery, OperationError, Page, StoreError, Timestamp, TransferId,
    ValidationErrors,
};
use clientele_store::DynamoStore;

use crate::{Actor, Context};

/// Rows an import reads a run.
pub const IMPORT_CHUNK_ROWS: usize = 200;
/// Customers read a page while exporting.
const EXPORT_PAGE: usize = 100;

/// Where to upload an import's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadLink {
    /// The link: an HTTP `PUT` of the file there, with its format's
    /// `Content-Type`.
    pub url: String,
    /// Until when it works.
    pub expires_at: Timestamp,
}

/// A new import of the actor's business in `format`, waiting for its file,
/// and the link to upload that file to.
pub async fn begin_import(
    store: &DynamoStore,
    files: &AvatarBucket,
    actor: &Actor,
    format: TransferFormat,
) -> Result<(TransferJob, UploadLink), OperationError> {
    let job = TransferJob::new(TransferKind::Import, actor.business, format, &actor.id, actor.at);
    let url = files.upload_link(&job.file_key(), format.content_type()).await?;
    store.insert_transfer(&job).await?;
    let lifetime = i64::try_from(LINK_LIFETIME.as_secs()).unwrap_or(0);
    let link = UploadLink {
        url,
        expires_at: actor.at.plus_seconds(lifetime),
    };
    Ok((job, link))
}

/// Starts an import whose file is uploaded: it is queued, and runs soon.
pub async fn start_import(
    store: &DynamoStore,
    files: &AvatarBucket,
    actor: &Actor,
    id: TransferId,
) -> Result<TransferJob, OperationError> {
    let job = transfer(store, actor.business, TransferKind::Import, id).await?;
    if job.status != TransferStatus::AwaitingUpload {
        return Err(OperationError::TransferRefused(format!(
            "the import is {} already: it is started once",
            job.status.in_words()
        )));
    }
    match files.size(&job.file_key()).await? {
        None => {
            return Err(OperationError::TransferRefused(
                "nothing is uploaded to the import's upload_url yet".to_owned(),
            ));
        }
        Some(size) if size > MAX_IMPORT_BYTES => {
            return Err(OperationError::TransferRefused(format!(
                "the uploaded file has {size} bytes; an import reads at most {MAX_IMPORT_BYTES}"
            )));
        }
        Some(_) => {}
    }
    let queued = job.moved(TransferStatus::Queued, actor.at);
    match store.save_transfer(&queued, job.version).await {
        Ok(()) => Ok(queued),
        Err(StoreError::VersionMismatch) => Err(OperationError::TransferRefused(
            "the import was started meanwhile".to_owned(),
        )),
        Err(other) => Err(other.into()),
    }
}

/// A new export of the actor's business's customers in `format`, queued.
pub async fn begin_export(
    store: &DynamoStore,
    actor: &Actor,
    format: TransferFormat,
) -> Result<TransferJob, OperationError> {
    let job = TransferJob::new(TransferKind::Export, actor.business, format, &actor.id, actor.at);
    store.insert_transfer(&job).await?;
    Ok(job)
}

/// A job of `business` of this kind.
pub async fn transfer(
    store: &DynamoStore,
    business: BusinessId,
    kind: TransferKind,
    id: TransferId,
) -> Result<TransferJob, OperationError> {
    let what = match kind {
        TransferKind::Import => "import",
        TransferKind::Export => "export",
    };
    store
        .transfer(business, id)
        .await?
        .filter(|job| job.kind == kind)
        .ok_or(OperationError::TransferNotFound(what))
}

/// A page of the rows of an import of `business` that created nothing.
pub async fn outcomes(
    store: &DynamoStore,
    business: BusinessId,
    id: TransferId,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<RowOutcome>, OperationError> {
    let job = transfer(store, business, TransferKind::Import, id).await?;
    Ok(store.outcomes(&job, limit, cursor).await?)
}

/// A link to download a completed export's file (for five minutes).
pub async fn download_link(files: &AvatarBucket, job: &TransferJob) -> Result<Option<String>, OperationError> {
    if job.kind != TransferKind::Export || job.status != TransferStatus::Completed {
        return Ok(None);
    }
    Ok(Some(files.link(&job.file_key()).await?))
}

/// Runs the job `seen` names, if it is still at the version seen and has
/// work left: a record of an older version, or one handed over twice, does
/// nothing. An error leaves the job as it was, to be run again.
pub async fn advance(context: &Context, files: &AvatarBucket, seen: &TransferJob) -> Result<(), StoreError> {
    let Some(job) = context.store.transfer(seen.business_id, seen.id).await? else {
        return Ok(());
    };
    if job.version != seen.version || !job.status.is_pending() {
        return Ok(());
    }
    match job.kind {
        TransferKind::Import => import_chunk(context, files, &job).await,
        TransferKind::Export => export(context, files, &job).await,
    }
}

/// Stores the job's next version over the one read; another run having
/// moved it already is no failure.
async fn save(store: &DynamoStore, next: &TransferJob, read: &TransferJob) -> Result<(), StoreError> {
    match store.save_transfer(next, read.version).await {
        Ok(()) | Err(StoreError::VersionMismatch) => Ok(()),
        Err(other) => Err(other),
    }
}

async fn import_chunk(context: &Context, files: &AvatarBucket, job: &TransferJob) -> Result<(), StoreError> {
    let store = &context.store;
    let now = context.clock.now();
    let key = job.file_key();
    let gone = || job.failed("the uploaded file is gone", now);
    let Some(head) = files.read_range(&key, 0, HEAD_BYTES).await? else {
        return save(store, &gone(), job).await;
    };
    let header = match Header::read(job.format, window(&head)) {
        Ok(header) => header,
        Err(unreadable) => return save(store, &job.failed(unreadable.0, now), job).await,
    };
    let from = header.resume(job.cursor);
    let Some(part) = files.read_range(&key, from.offset, WINDOW_BYTES).await? else {
        return save(store, &gone(), job).await;
    };
    let chunk = match header.read_chunk(window(&part), from, IMPORT_CHUNK_ROWS) {
        Ok(chunk) => chunk,
        Err(unreadable) => return save(store, &job.failed(unreadable.0, now), job).await,
    };
    let mut counts = job.counts;
    let mut outcomes = Vec::new();
    let mut created = 0;
    for record in chunk.records {
        counts.rows += 1;
        let imported = match record.row {
            Ok(row) => import_row(context, job, record.line, row).await?,
            Err(errors) => Imported::Refused(errors),
        };
        match imported {
            Imported::Created => created += 1,
            Imported::Existing(customer_id) => {
                counts.existing += 1;
                outcomes.push(RowOutcome::Existing {
                    line: record.line,
                    customer_id,
                });
            }
            Imported::Refused(errors) => {
                counts.refused += 1;
                outcomes.push(RowOutcome::refused(record.line, &errors));
            }
        }
    }
    counts.created += created;
    store.record_outcomes(job, &outcomes).await?;
    let status = if chunk.finished {
        TransferStatus::Completed
    } else {
        TransferStatus::Running
    };
    let next = TransferJob {
        cursor: chunk.next,
        counts,
        ..job.moved(status, now)
    };
    save(store, &next, job).await?;
    metrics::counter!("CustomersCreated").increment(created);
    tracing::info!(
        transfer_id = %job.id,
        rows = counts.rows,
        created = counts.created,
        existing = counts.existing,
        refused = counts.refused,
        finished = chunk.finished,
        "an import read a chunk"
    );
    Ok(())
}

/// A part of a file as the reader takes it.
fn window(part: &FileRange) -> Window<'_> {
    Window {
        bytes: &part.bytes,
        at_end: part.at_end,
    }
}

/// What became of one row.
enum Imported {
    Created,
    Existing(CustomerId),
    Refused(ValidationErrors),
}

async fn import_row(context: &Context, job: &TransferJob, line: u64, row: ImportRow) -> Result<Imported, StoreError> {
    let store = &context.store;
    if row.customer.business_id.is_some_and(|named| named != job.business_id) {
        return Ok(Imported::Refused(ValidationErrors::single(
            "business_id",
            "is not the business importing",
        )));
    }
    let now = context.clock.now();
    let email = row.customer.email.clone();
    let user = row.customer.user_id;
    let customer = clientele_core::Customer {
        id: job.customer_id_for(line),
        ..row.customer.into_customer(job.business_id, now)
    };
    let event = CustomerEvent::created(&customer).by(&job.created_by);
    let tags: Vec<_> = row
        .tags
        .into_iter()
        .map(|tag| tag.into_tag(customer.id, job.business_id, &job.created_by, now))
        .collect();
    let tag_events: Vec<_> = tags
        .iter()
        .map(|tag| CustomerEvent::tag_added(&customer, tag).by(&job.created_by))
        .collect();
    let refused = match store
        .insert_customer_with_tags(&customer, &event, &tags, &tag_events)
        .await
    {
        Ok(()) => return Ok(Imported::Created),
        Err(error @ (StoreError::Taken(_) | StoreError::Unexpected(_))) => error,
        Err(other) => return Err(other),
    };
    // This job created the customer on an earlier run (its id is taken),
    // or the business had one with the email or the user id already.
    if store.customer(job.business_id, customer.id).await?.is_some() {
        return Ok(Imported::Created);
    }
    if !matches!(refused, StoreError::Taken(_)) {
        return Err(refused);
    }
    let holder = match store.find_by_email(job.business_id, &email).await? {
        Some(holder) => Some(holder),
        None => store.find_by_user(job.business_id, user).await?,
    };
    Ok(match holder {
        Some(holder) => Imported::Existing(holder.id),
        None => Imported::Refused(ValidationErrors::single(
            "email",
            "was being used by another customer of this business as the row was read",
        )),
    })
}

async fn export(context: &Context, files: &AvatarBucket, job: &TransferJob) -> Result<(), StoreError> {
    let store = &context.store;
    let unexpected = |e: clientele_core::transfer::ExportError| StoreError::Unexpected(Box::new(e));
    let mut file = ExportFile::new(job.format).map_err(unexpected)?;
    let mut query = CustomerQuery {
        limit: EXPORT_PAGE,
        ..CustomerQuery::default()
    };
    loop {
        let page = store.list_customers(job.business_id, &query).await?;
        for customer in &page.items {
            let mut tags = store.tags_of(customer.id, MAX_TAGS_PER_CUSTOMER).await?;
            sort_tags(&mut tags);
            file.push(customer, &tags).map_err(unexpected)?;
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    let (bytes, count) = file.finish().map_err(unexpected)?;
    files.put(&job.file_key(), bytes, job.format.content_type()).await?;
    let mut next = job.moved(TransferStatus::Completed, context.clock.now());
    next.counts.exported = count;
    save(store, &next, job).await?;
    tracing::info!(transfer_id = %job.id, exported = count, "an export is written");
    Ok(())
}
