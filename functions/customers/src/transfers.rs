//! The routes of imports and exports: a business's customers read from a
//! CSV or NDJSON file, or written to one, by a job the `transfers` function
//! runs. An import is asked for (an upload link answers), its file uploaded
//! there, then started; its job is polled until it is completed, and its
//! rows that created nothing are listed. An export is asked for and polled
//! until its file can be downloaded.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use lambda_http::http::header::LOCATION;
use serde::Serialize;

use clientele_core::transfer::{
    RowOutcome, TransferCounts, TransferFormat, TransferJob, TransferKind, TransferStatus, format_from_json,
};
use clientele_core::{InvalidId, Page, Timestamp, TransferId};
use clientele_http::extract::PathParam;
use clientele_http::response::{PageBody, json, with_header};
use clientele_http::{ApiError, Caller, JsonObject, PathId, QueryReader, Response, State};
use clientele_operations::transfers;

use crate::App;
use crate::handlers::page_only;

/// Largest body accepted, in bytes: a format's name.
pub const MAX_BODY_BYTES: usize = 1024;

/// An import's id in a path (`{import_id}`).
#[derive(Debug, Clone, Copy)]
pub struct ImportId(pub TransferId);

impl PathParam for ImportId {
    const NAME: &'static str = "import_id";
    type Invalid = InvalidId;
    fn parse(segment: &str) -> Result<Self, InvalidId> {
        TransferId::parse(segment).map(Self)
    }
}

/// An export's id in a path (`{export_id}`).
#[derive(Debug, Clone, Copy)]
pub struct ExportId(pub TransferId);

impl PathParam for ExportId {
    const NAME: &'static str = "export_id";
    type Invalid = InvalidId;
    fn parse(segment: &str) -> Result<Self, InvalidId> {
        TransferId::parse(segment).map(Self)
    }
}

/// What imports and exports show alike.
#[derive(Debug, Serialize)]
pub struct JobView<'a> {
    /// Its id.
    pub id: TransferId,
    /// `awaiting_upload` (an import), `queued`, `running`, `completed` or
    /// `failed`.
    pub status: TransferStatus,
    /// The file's format.
    pub format: TransferFormat,
    /// Why it failed, once it has.
    pub failure: Option<&'a str>,
    /// Who asked for it.
    pub created_by: &'a str,
    /// When.
    pub created_at: Timestamp,
    /// When it last moved.
    pub updated_at: Timestamp,
}

impl<'a> JobView<'a> {
    fn of(job: &'a TransferJob) -> Self {
        Self {
            id: job.id,
            status: job.status,
            format: job.format,
            failure: job.failure.as_deref(),
            created_by: &job.created_by,
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }
}

/// An import as the API shows it.
#[derive(Debug, Serialize)]
pub struct ImportView<'a> {
    /// The job.
    #[serde(flatten)]
    pub job: JobView<'a>,
    /// Rows read so far.
    pub rows: u64,
    /// Customers created.
    pub created: u64,
    /// Rows whose customer the business had already.
    pub existing: u64,
    /// Rows refused.
    pub refused: u64,
    /// Where to `PUT` the file: in the answer that creates the import only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_url: Option<String>,
    /// Until when that link works.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_expires_at: Option<Timestamp>,
}

impl<'a> ImportView<'a> {
    fn of(job: &'a TransferJob) -> Self {
        let TransferCounts {
            rows,
            created,
            existing,
            refused,
            ..
        } = job.counts;
        Self {
            job: JobView::of(job),
            rows,
            created,
            existing,
            refused,
            upload_url: None,
            upload_expires_at: None,
        }
    }
}

/// An export as the API shows it.
#[derive(Debug, Serialize)]
pub struct ExportView<'a> {
    /// The job.
    #[serde(flatten)]
    pub job: JobView<'a>,
    /// Customers written.
    pub exported: u64,
    /// A link to the file once it is completed, for five minutes (ask again
    /// for a new one; the file is kept a day).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

impl<'a> ExportView<'a> {
    fn of(job: &'a TransferJob, download_url: Option<String>) -> Self {
        Self {
            job: JobView::of(job),
            exported: job.counts.exported,
            download_url,
        }
    }
}

/// `POST /api/customers/imports` (`{"format": "csv" | "ndjson"}`): a new
/// import, 201 with the link to `PUT` its file to.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn begin_import(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let format = format_from_json(&body)?;
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let (job, upload) = transfers::begin_import(&app.context.store, &app.files, &actor, format).await?;
    tracing::info!(transfer_id = %job.id, %format, "import asked for");
    let view = ImportView {
        upload_url: Some(upload.url),
        upload_expires_at: Some(upload.expires_at),
        ..ImportView::of(&job)
    };
    let location = format!("/api/customers/imports/{}", job.id);
    Ok(with_header(json(StatusCode::CREATED, &view), LOCATION, &location))
}

/// `POST /api/customers/imports/{import_id}/start`: the file is uploaded;
/// 202, the import queued.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, transfer_id = %id.0))]
pub async fn start_import(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<ImportId>,
) -> Result<Response, ApiError> {
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let job = transfers::start_import(&app.context.store, &app.files, &actor, id.0).await?;
    tracing::info!("import started");
    Ok(json(StatusCode::ACCEPTED, &ImportView::of(&job)))
}

/// `GET /api/customers/imports/{import_id}`: where the import is.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, transfer_id = %id.0))]
pub async fn import(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<ImportId>,
) -> Result<Response, ApiError> {
    let job = transfers::transfer(&app.context.store, caller.business_id, TransferKind::Import, id.0).await?;
    Ok(json(StatusCode::OK, &ImportView::of(&job)))
}

/// `GET /api/customers/imports/{import_id}/rows`: the rows that created
/// nothing (refused, or a customer the business had), in line order, in pages.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, transfer_id = %id.0))]
pub async fn import_rows(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<ImportId>,
    params: QueryReader,
) -> Result<Response, ApiError> {
    let (limit, cursor) = page_only(params)?;
    let Page { items, next_cursor } =
        transfers::outcomes(&app.context.store, caller.business_id, id.0, limit, cursor.as_deref()).await?;
    let body: PageBody<RowOutcome> = PageBody { items, next_cursor };
    Ok(json(StatusCode::OK, &body))
}

/// `POST /api/customers/exports` (`{"format": "csv" | "ndjson"}`): a new
/// export of every customer of the business, 202, queued.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id))]
pub async fn begin_export(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    JsonObject(body): JsonObject<MAX_BODY_BYTES>,
) -> Result<Response, ApiError> {
    let format = format_from_json(&body)?;
    let actor = app.context.actor(caller.business_id, &caller.qualified_id());
    let job = transfers::begin_export(&app.context.store, &actor, format).await?;
    tracing::info!(transfer_id = %job.id, %format, "export asked for");
    let location = format!("/api/customers/exports/{}", job.id);
    Ok(with_header(
        json(StatusCode::ACCEPTED, &ExportView::of(&job, None)),
        LOCATION,
        &location,
    ))
}

/// `GET /api/customers/exports/{export_id}`: where the export is, with a
/// link to its file once it is completed.
#[tracing::instrument(skip_all, fields(business_id = %caller.business_id, transfer_id = %id.0))]
pub async fn export(
    State(app): State<Arc<App>>,
    Caller(caller): Caller,
    PathId(id): PathId<ExportId>,
) -> Result<Response, ApiError> {
    let job = transfers::transfer(&app.context.store, caller.business_id, TransferKind::Export, id.0).await?;
    let link = transfers::download_link(&app.files, &job).await?;
    Ok(json(StatusCode::OK, &ExportView::of(&job, link)))
}
