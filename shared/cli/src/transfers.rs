//! `clientele import` and `clientele export`: a business's customers in and
//! out in bulk, through the API's import and export jobs, as an API client
//! would drive them: ask for a job, upload the file to its link and start
//! it (an import), poll it until it is done, then print the rows that
//! created nothing (an import) or fetch the file (an export).

use std::path::Path;
use std::time::Duration;

use clap::Args;
use clientele_core::TransferId;
use clientele_core::transfer::{MAX_IMPORT_BYTES, RowOutcome, TransferFormat, TransferStatus};
use hyper::Method;
use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, Connection};

/// How often a job is asked where it is.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Rows asked for per page of an import's outcomes.
const ROWS_PER_PAGE: usize = 100;

/// An import or export job, as the API shows it.
#[derive(Debug, Deserialize)]
struct JobView {
    id: TransferId,
    status: TransferStatus,
    #[serde(default)]
    failure: Option<String>,
    #[serde(default)]
    rows: u64,
    #[serde(default)]
    created: u64,
    #[serde(default)]
    existing: u64,
    #[serde(default)]
    refused: u64,
    #[serde(default)]
    exported: u64,
    #[serde(default)]
    upload_url: Option<String>,
    #[serde(default)]
    download_url: Option<String>,
}

/// A page of an import's row outcomes.
#[derive(Deserialize)]
struct RowPage {
    items: Vec<RowOutcome>,
    next_cursor: Option<String>,
}

/// What an import or an export is asked with.
#[derive(Args)]
pub struct JobOptions {
    /// csv or ndjson; by default, the one the file's extension names.
    #[arg(long)]
    format: Option<String>,
    /// Seconds to wait for the job to finish.
    #[arg(long, default_value_t = 600)]
    wait: u64,
    #[command(flatten)]
    connection: Connection,
}

impl JobOptions {
    /// The API, the format of `file` and how long to wait, or why not.
    pub fn prepare(&self, file: &Path) -> Result<Transfer, String> {
        Ok(Transfer {
            api: Api::connect(&self.connection)?,
            format: format_of(file, self.format.as_deref())?,
            wait: Duration::from_secs(self.wait),
        })
    }
}

/// An import or an export about to be asked for.
pub struct Transfer {
    api: Api,
    format: TransferFormat,
    wait: Duration,
}

/// The format of `file`: the one given, or the one its extension names.
pub fn format_of(file: &Path, given: Option<&str>) -> Result<TransferFormat, String> {
    if let Some(given) = given {
        return TransferFormat::parse(given).map_err(|_| format!("--format {given}: give csv or ndjson"));
    }
    match file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(TransferFormat::Csv),
        Some("ndjson" | "jsonl") => Ok(TransferFormat::Ndjson),
        _ => Err(format!(
            "{}: say its format with --format csv or --format ndjson",
            file.display()
        )),
    }
}

/// Imports the customers of `file`: uploads it, starts the import, waits
/// until it is done (at most `wait`), and returns its report: the counts,
/// then each row that created nothing, in line order. An import that
/// failed is an error naming why.
pub async fn import(transfer: &Transfer, file: &Path) -> Result<String, String> {
    let Transfer { api, format, wait } = transfer;
    let bytes = tokio::fs::read(file)
        .await
        .map_err(|e| format!("reading {}: {e}", file.display()))?;
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(format!(
            "{} has {} bytes; an import reads at most {MAX_IMPORT_BYTES}: split it",
            file.display(),
            bytes.len()
        ));
    }
    let imports = api.url("api/customers/imports")?;
    let job: JobView = api
        .call(Method::POST, imports, Some(&json!({ "format": format.as_str() })))
        .await?;
    let link = job.upload_url.ok_or("the new import came without an upload link")?;
    api.upload(&link, format.content_type(), bytes).await?;
    let path = format!("api/customers/imports/{}", job.id);
    let _: JobView = api.call(Method::POST, api.url(&format!("{path}/start"))?, None).await?;
    eprintln!("import {}: {} uploaded and started", job.id, file.display());
    let done = finished(api, &path, *wait).await?;
    if done.status == TransferStatus::Failed {
        return Err(format!(
            "import {} failed: {}",
            done.id,
            done.failure.as_deref().unwrap_or("no reason given")
        ));
    }
    let mut report = vec![format!(
        "import {}: {} rows: {} created, {} existing, {} refused",
        done.id, done.rows, done.created, done.existing, done.refused
    )];
    let mut cursor: Option<String> = None;
    loop {
        let mut url = api.url(&format!("{path}/rows"))?;
        url.query_pairs_mut().append_pair("limit", &ROWS_PER_PAGE.to_string());
        if let Some(cursor) = &cursor {
            url.query_pairs_mut().append_pair("cursor", cursor);
        }
        let page: RowPage = api.call(Method::GET, url, None).await?;
        report.extend(page.items.iter().map(row_line));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(report.join("\n"))
}

/// Exports every customer of the caller's business in `format`, waits until
/// the file is written (at most `wait`), and writes it to `output` (`-`:
/// standard output). Returns what was exported.
pub async fn export(transfer: &Transfer, output: &Path) -> Result<String, String> {
    let Transfer { api, format, wait } = transfer;
    let exports = api.url("api/customers/exports")?;
    let job: JobView = api
        .call(Method::POST, exports, Some(&json!({ "format": format.as_str() })))
        .await?;
    eprintln!("export {}: asked for", job.id);
    let done = finished(api, &format!("api/customers/exports/{}", job.id), *wait).await?;
    if done.status == TransferStatus::Failed {
        return Err(format!(
            "export {} failed: {}",
            done.id,
            done.failure.as_deref().unwrap_or("no reason given")
        ));
    }
    let link = done
        .download_url
        .ok_or("the completed export came without a download link")?;
    let file = api.download(&link).await?;
    if output == Path::new("-") {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&file)
            .and_then(|()| stdout.flush())
            .map_err(|e| format!("writing to standard output: {e}"))?;
    } else {
        tokio::fs::write(output, &file)
            .await
            .map_err(|e| format!("writing {}: {e}", output.display()))?;
    }
    Ok(format!(
        "export {}: {}, {} bytes, to {}",
        done.id,
        customers(done.exported),
        file.len(),
        if output == Path::new("-") {
            "standard output".to_owned()
        } else {
            output.display().to_string()
        }
    ))
}

/// Polls the job at `path` until it has no more work to do, or `wait` has
/// passed (then an error naming the job, to ask for later).
async fn finished(api: &Api, path: &str, wait: Duration) -> Result<JobView, String> {
    let url = api.url(path)?;
    let until = tokio::time::Instant::now() + wait;
    let mut said = None;
    loop {
        let job: JobView = api.call(Method::GET, url.clone(), None).await?;
        if !job.status.is_pending() {
            return Ok(job);
        }
        let progress = (job.status, job.rows);
        if said != Some(progress) {
            eprintln!("{}: {} ({} rows read)", job.id, job.status.in_words(), job.rows);
            said = Some(progress);
        }
        if tokio::time::Instant::now() >= until {
            return Err(format!(
                "{} is still {} after {} s: ask again with GET /{path}",
                job.id,
                job.status.in_words(),
                wait.as_secs()
            ));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// "1 customer", "2 customers".
fn customers(count: u64) -> String {
    if count == 1 {
        "1 customer".to_owned()
    } else {
        format!("{count} customers")
    }
}

/// A row that created nothing, on one line.
fn row_line(outcome: &RowOutcome) -> String {
    match outcome {
        RowOutcome::Refused { line, errors } => {
            let reasons: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.detail)).collect();
            format!("line {line}: refused: {}", reasons.join("; "))
        }
        RowOutcome::Existing { line, customer_id } => format!("line {line}: existing: customer {customer_id}"),
    }
}

#[cfg(test)]
mod tests {
    use clientele_core::CustomerId;
    use clientele_core::transfer::RowError;

    use super::*;

    #[test]
    fn a_files_format_is_the_one_given_or_its_extensions() {
        assert_eq!(
            format_of(Path::new("a.txt"), Some("ndjson")),
            Ok(TransferFormat::Ndjson)
        );
        assert_eq!(format_of(Path::new("a.CSV"), None), Ok(TransferFormat::Csv));
        assert_eq!(format_of(Path::new("a.jsonl"), None), Ok(TransferFormat::Ndjson));
        assert!(format_of(Path::new("customers"), None).is_err());
        assert!(format_of(Path::new("a.csv"), Some("xlsx")).is_err());
    }

    #[test]
    fn a_row_that_created_nothing_says_its_line_and_why() {
        let refused = RowOutcome::Refused {
            line: 3,
            errors: vec![
                RowError {
                    field: "email".to_owned(),
                    detail: "not an email address".to_owned(),
                },
                RowError {
                    field: "gender".to_owned(),
                    detail: "is required".to_owned(),
                },
            ],
        };
        assert_eq!(
            row_line(&refused),
            "line 3: refused: email: not an email address; gender: is required"
        );
        let id = CustomerId::random();
        let existing = RowOutcome::Existing {
            line: 4,
            customer_id: id,
        };
        assert_eq!(row_line(&existing), format!("line 4: existing: customer {id}"));
    }

    #[test]
    fn a_job_reads_as_the_api_shows_an_import_and_an_export() -> Result<(), serde_json::Error> {
        let id = TransferId::random();
        let import: JobView = serde_json::from_value(json!({
            "id": id, "status": "running", "format": "csv", "created_by": "user:u",
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "rows": 400, "created": 390, "existing": 4, "refused": 6
        }))?;
        assert_eq!(
            (import.id, import.status, import.rows, import.refused),
            (id, TransferStatus::Running, 400, 6)
        );
        let export: JobView = serde_json::from_value(json!({
            "id": id, "status": "completed", "format": "ndjson", "exported": 12,
            "download_url": "http://127.0.0.1:5050/file"
        }))?;
        assert_eq!(export.exported, 12);
        assert_eq!(export.download_url.as_deref(), Some("http://127.0.0.1:5050/file"));
        Ok(())
    }
}
