//! Moving a business's customers in and out in bulk: the two file formats,
//! a row of an import read and checked, and the jobs that run imports and
//! exports.
//!
//! A file is CSV (a header row, then one customer a row; `tags` holds labels
//! separated by `;`, a `;` or `\` inside a label written `\;` or `\\`) or
//! NDJSON (one JSON object a line; `tags` a list of labels or tag objects).
//! A row has the fields of a create body (`user_id`, `full_name`, `email`,
//! `phone`, `gender`, `customer_type`) and its `tags`; the fields an export
//! adds (`id`, `status`, `created_at`, `updated_at`) are read and ignored, so
//! an export imports as it is.
//!
//! A file is read a chunk at a time from a [`Cursor`]
//! ([`Header::read_chunk`]), each chunk from a window of the file read at the
//! cursor, so a large import is done by several runs, each reading only what
//! it imports and going on where the last one stopped.

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::customer::{Customer, NewCustomer};
use crate::id::{BusinessId, CustomerId, TransferId};
use crate::tag::{MAX_TAGS_PER_REQUEST, NewTag, Tag};
use crate::time::Timestamp;
use crate::validation::ValidationErrors;

/// Largest file an import reads, in bytes.
pub const MAX_IMPORT_BYTES: u64 = 10 * 1024 * 1024;
/// Most tags one row may put on its customer.
pub const MAX_TAGS_PER_ROW: usize = MAX_TAGS_PER_REQUEST;
/// The columns (CSV) or fields (NDJSON) a row may have.
pub const COLUMNS: &[&str] = &[
    "user_id",
    "full_name",
    "email",
    "phone",
    "gender",
    "customer_type",
    "tags",
];
/// The columns a CSV file must have.
pub const REQUIRED_COLUMNS: &[&str] = &["user_id", "full_name", "email", "gender"];
/// The fields an export adds, which an import reads and ignores.
pub const EXPORT_ONLY_COLUMNS: &[&str] = &["id", "status", "created_at", "updated_at"];
/// The columns of a CSV export, in order.
pub const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "user_id",
    "full_name",
    "email",
    "phone",
    "gender",
    "customer_type",
    "status",
    "tags",
    "created_at",
    "updated_at",
];

/// A file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferFormat {
    /// Comma-separated values with a header row (RFC 4180).
    Csv,
    /// One JSON object a line.
    Ndjson,
}

/// Why a string is not a format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be csv or ndjson")]
pub struct InvalidFormat;

impl TransferFormat {
    /// Parses `csv` or `ndjson`.
    pub fn parse(input: &str) -> Result<Self, InvalidFormat> {
        match input {
            "csv" => Ok(Self::Csv),
            "ndjson" => Ok(Self::Ndjson),
            _ => Err(InvalidFormat),
        }
    }

    /// Its name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
        }
    }

    /// The media type of a file in this format.
    pub fn content_type(&self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Ndjson => "application/x-ndjson",
        }
    }
}

/// An import or an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferKind {
    /// Customers read from a file.
    Import,
    /// Customers written to a file.
    Export,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// An import waiting for its file and for `start`.
    AwaitingUpload,
    /// Started, not yet picked up.
    Queued,
    /// Being run, a chunk at a time.
    Running,
    /// Done: every row read (an import) or the file written (an export).
    Completed,
    /// Stopped before it was done; `failure` says why.
    Failed,
}

impl TransferStatus {
    /// Whether the job still has work to do.
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }

    /// Where the job is, in words: "awaiting its upload", "queued", ...
    pub fn in_words(&self) -> &'static str {
        match self {
            Self::AwaitingUpload => "awaiting its upload",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// Where reading a file goes on from: a byte offset and the line there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cursor {
    /// Bytes of the file already read.
    pub offset: u64,
    /// The line the offset is on (the first is 1).
    pub line: u64,
}

/// What a job has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TransferCounts {
    /// Rows read (an import).
    pub rows: u64,
    /// Customers created (an import).
    pub created: u64,
    /// Rows whose customer the business already had (an import).
    pub existing: u64,
    /// Rows refused (an import).
    pub refused: u64,
    /// Customers written (an export).
    pub exported: u64,
}

/// An import or export job of a business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferJob {
    /// Its id.
    pub id: TransferId,
    /// Import or export.
    pub kind: TransferKind,
    /// The business whose customers it moves.
    pub business_id: BusinessId,
    /// The file's format.
    pub format: TransferFormat,
    /// Where it is.
    pub status: TransferStatus,
    /// Who asked for it (`user:<sub>` or `client:<id>`).
    pub created_by: String,
    /// When it was asked for.
    pub created_at: Timestamp,
    /// When it last moved.
    pub updated_at: Timestamp,
    /// Where an import's reading goes on from.
    pub cursor: Cursor,
    /// What it has done.
    pub counts: TransferCounts,
    /// Why it failed, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Bumped on every change; a run writes only over the version it read.
    pub version: u64,
}

impl TransferJob {
    /// A new job: an import waits for its file, an export is queued at once.
    pub fn new(
        kind: TransferKind,
        business_id: BusinessId,
        format: TransferFormat,
        created_by: &str,
        now: Timestamp,
    ) -> Self {
        Self {
            id: TransferId::random(),
            kind,
            business_id,
            format,
            status: match kind {
                TransferKind::Import => TransferStatus::AwaitingUpload,
                TransferKind::Export => TransferStatus::Queued,
            },
            created_by: created_by.to_owned(),
            created_at: now,
            updated_at: now,
            cursor: Cursor { offset: 0, line: 1 },
            counts: TransferCounts::default(),
            failure: None,
            version: 1,
        }
    }

    /// The job moved on to `status`.
    pub fn moved(&self, status: TransferStatus, now: Timestamp) -> Self {
        Self {
            status,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The job failed, for `why`.
    pub fn failed(&self, why: impl Into<String>, now: Timestamp) -> Self {
        Self {
            failure: Some(why.into()),
            ..self.moved(TransferStatus::Failed, now)
        }
    }

    /// Where the file of an import is kept (uploaded there), or of an
    /// export (written there).
    pub fn file_key(&self) -> String {
        let kind = match self.kind {
            TransferKind::Import => "imports",
            TransferKind::Export => "exports",
        };
        format!(
            "{}{kind}/{}/{}.{}",
            TRANSFER_PREFIX,
            self.business_id,
            self.id,
            self.format.as_str()
        )
    }

    /// The id a row of this import gives its customer: the same on every run
    /// of the row by this job, so a run cut short and run again knows the
    /// customers it created from those the business had before.
    pub fn customer_id_for(&self, line: u64) -> CustomerId {
        CustomerId::derived(&format!("{}:{line}", self.id))
    }
}

/// Where the files of imports and exports are kept in the bucket (kept a
/// day at most).
pub const TRANSFER_PREFIX: &str = "transfers/";

/// A row of an import, checked: the customer it creates and its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The customer, as a create body would make it.
    pub customer: NewCustomer,
    /// Its tags.
    pub tags: Vec<NewTag>,
}

impl ImportRow {
    /// Reads a row's fields, reporting every offending one.
    pub fn from_json(row: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut fields = row.clone();
        for ignored in EXPORT_ONLY_COLUMNS {
            fields.remove(*ignored);
        }
        let tags = fields.remove("tags");
        let customer = NewCustomer::from_json(&fields);
        let tags = match tags {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(value) => row_tags(&value),
        };
        match (customer, tags) {
            (Ok(customer), Ok(tags)) => Ok(Self { customer, tags }),
            (customer, tags) => {
                let mut errors = ValidationErrors::new();
                if let Err(found) = customer {
                    errors.extend(found);
                }
                if let Err(found) = tags {
                    errors.extend(found);
                }
                Err(errors)
            }
        }
    }
}

/// A row's `tags`: a list of labels or tag objects, at most
/// [`MAX_TAGS_PER_ROW`], labels differing.
fn row_tags(value: &Value) -> Result<Vec<NewTag>, ValidationErrors> {
    let Some(items) = value.as_array().filter(|items| items.len() <= MAX_TAGS_PER_ROW) else {
        return Err(ValidationErrors::single(
            "tags",
            format!("must be a list of at most {MAX_TAGS_PER_ROW} labels or tag objects"),
        ));
    };
    let mut errors = ValidationErrors::new();
    let mut tags = Vec::new();
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("tags[{i}].");
        let object = match item {
            Value::String(label) => {
                let mut object = Map::new();
                object.insert("label".to_owned(), Value::String(label.clone()));
                object
            }
            Value::Object(object) => object.clone(),
            _ => {
                errors.push(&format!("tags[{i}]"), "must be a label or a tag object");
                continue;
            }
        };
        let (tag, found) = NewTag::read(&object, &prefix, &[]);
        errors.extend(found);
        if let Some(tag) = tag {
            if !seen.insert(tag.label.folded()) {
                errors.push(&format!("{prefix}label"), "is given twice in this row");
            }
            tags.push(tag);
        }
    }
    errors.into_result(|| Some(tags))
}

/// A record of a file: the line it starts on, and the row it holds or why
/// it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The line the record starts on (the first line of the file is 1).
    pub line: u64,
    /// The row, or every reason it is refused.
    pub row: Result<ImportRow, ValidationErrors>,
}

/// What one chunk of a file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The records read, in order.
    pub records: Vec<Record>,
    /// Where the next chunk starts.
    pub next: Cursor,
    /// Whether the file is read to its end.
    pub finished: bool,
}

/// Why a file cannot be read at all (as opposed to a row that is refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableFile(pub String);

/// The bytes at the start of a file a step reads for its [`Header`]: a CSV
/// header row must end within them.
pub const HEAD_BYTES: u64 = 64 * 1024;
/// The bytes of a file a step reads from its cursor: a row must end within
/// them (a row is at most 1 MiB).
pub const WINDOW_BYTES: u64 = 1024 * 1024;

/// A UTF-8 byte-order mark, which a file may start with.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Part of a file, as a step reads it.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// The bytes, from the offset they were read at.
    pub bytes: &'a [u8],
    /// Whether they run to the end of the file.
    pub at_end: bool,
}

/// What comes before a file's rows: a CSV file's columns, in order, and
/// where the rows start (after a byte-order mark, and a CSV header row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The file's format.
    pub format: TransferFormat,
    /// A CSV file's columns (none for NDJSON).
    pub columns: Vec<String>,
    /// Where the first row starts.
    pub rows_start: Cursor,
}

impl Header {
    /// Reads the header from the start of the file ([`HEAD_BYTES`] of it).
    pub fn read(format: TransferFormat, head: Window<'_>) -> Result<Self, UnreadableFile> {
        let skipped = if head.bytes.starts_with(BOM) { BOM.len() } else { 0 };
        let rest = &head.bytes[skipped..];
        let (columns, end) = match format {
            TransferFormat::Csv => csv_header(Window { bytes: rest, ..head })?,
            TransferFormat::Ndjson => (Vec::new(), 0),
        };
        Ok(Self {
            format,
            columns,
            rows_start: Cursor {
                offset: skipped as u64 + end,
                line: 1 + newlines(&rest[..clamp(end, rest.len())]),
            },
        })
    }

    /// Where a step reads from: `cursor`, or the first row for a job that
    /// has read nothing yet.
    pub fn resume(&self, cursor: Cursor) -> Cursor {
        if cursor.offset <= self.rows_start.offset {
            self.rows_start
        } else {
            cursor
        }
    }

    /// Reads up to `max_rows` records of `window`, read from the file at
    /// `cursor` (see [`Header::resume`]). Only records that end within the
    /// window are read, unless it runs to the end of the file; a record
    /// longer than the window refuses the file.
    pub fn read_chunk(&self, window: Window<'_>, cursor: Cursor, max_rows: usize) -> Result<Chunk, UnreadableFile> {
        let (records, read) = match self.format {
            TransferFormat::Csv => csv_chunk(&self.columns, window, cursor, max_rows)?,
            TransferFormat::Ndjson => ndjson_chunk(window, cursor, max_rows),
        };
        if records.is_empty() && read == 0 && !window.at_end {
            return Err(UnreadableFile(format!(
                "the row on line {} is longer than an import reads ({WINDOW_BYTES} bytes a row)",
                line_at(window.bytes, 0, cursor.line)
            )));
        }
        Ok(Chunk {
            records,
            next: Cursor {
                offset: cursor.offset + read as u64,
                line: cursor.line + newlines(&window.bytes[..read]),
            },
            finished: window.at_end && read >= window.bytes.len(),
        })
    }
}

/// `n` as an index into a slice of `len` bytes.
fn clamp(n: u64, len: usize) -> usize {
    usize::try_from(n).unwrap_or(len).min(len)
}

/// The NDJSON records of `window` and how many bytes they take: each line
/// that ends within it, and the last one too at the end of the file.
fn ndjson_chunk(window: Window<'_>, cursor: Cursor, max_rows: usize) -> (Vec<Record>, usize) {
    let bytes = window.bytes;
    let mut read = 0;
    let mut line = cursor.line;
    let mut records = Vec::new();
    while read < bytes.len() && records.len() < max_rows {
        let rest = &bytes[read..];
        let end = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => i + 1,
            None if window.at_end => rest.len(),
            None => break,
        };
        let trimmed = rest[..end].trim_ascii();
        read += end;
        let this_line = line;
        line += 1;
        if trimmed.is_empty() {
            continue;
        }
        let row = match serde_json::from_slice::<Value>(trimmed) {
            Ok(Value::Object(object)) => ImportRow::from_json(&object),
            Ok(_) => Err(ValidationErrors::single("line", "must be a JSON object")),
            Err(_) => Err(ValidationErrors::single("line", "is not valid JSON")),
        };
        records.push(Record { line: this_line, row });
    }
    (records, read)
}

fn csv_reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
}

/// The header row of a CSV file, checked: its columns, in order, and the
/// bytes it takes.
fn csv_header(head: Window<'_>) -> Result<(Vec<String>, u64), UnreadableFile> {
    let mut reader = csv_reader(head.bytes);
    let mut header = csv::ByteRecord::new();
    match reader.read_byte_record(&mut header) {
        Ok(true) => {}
        Ok(false) => return Err(UnreadableFile("the file is empty: it needs a header row".to_owned())),
        Err(_) => return Err(UnreadableFile("the header row cannot be read as CSV".to_owned())),
    }
    let end = reader.position().byte();
    if !head.at_end && end >= head.bytes.len() as u64 {
        return Err(UnreadableFile(format!(
            "the header row is longer than an import reads ({HEAD_BYTES} bytes)"
        )));
    }
    let mut columns = Vec::new();
    for cell in header.iter() {
        let Ok(name) = std::str::from_utf8(cell) else {
            return Err(UnreadableFile("the header row is not UTF-8 text".to_owned()));
        };
        let name = name.trim().to_owned();
        if !COLUMNS.contains(&name.as_str()) && !EXPORT_ONLY_COLUMNS.contains(&name.as_str()) {
            return Err(UnreadableFile(format!(
                "the header names an unknown column `{name}` (known: {})",
                COLUMNS.join(", ")
            )));
        }
        if columns.contains(&name) {
            return Err(UnreadableFile(format!("the header names `{name}` twice")));
        }
        columns.push(name);
    }
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| !columns.iter().any(|name| name == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(UnreadableFile(format!(
            "the header lacks the columns {}",
            missing.join(", ")
        )));
    }
    Ok((columns, end))
}

/// How many line feeds `bytes` holds.
fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// The line a record starting at `start` of `bytes` (which start on
/// `line`) is on: line ends the reader left before it are skipped.
fn line_at(bytes: &[u8], start: u64, line: u64) -> u64 {
    let start = clamp(start, bytes.len());
    let first = bytes[start..]
        .iter()
        .position(|b| *b != b'\n' && *b != b'\r')
        .map_or(bytes.len(), |i| start + i);
    line + newlines(&bytes[..first])
}

/// The CSV records of `window` and how many bytes they take: each record
/// that ends within it (a record that reaches its last byte may go on past
/// it), and the last one too at the end of the file.
fn csv_chunk(
    columns: &[String],
    window: Window<'_>,
    cursor: Cursor,
    max_rows: usize,
) -> Result<(Vec<Record>, usize), UnreadableFile> {
    let bytes = window.bytes;
    let mut reader = csv_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut records = Vec::new();
    let mut read = 0;
    while records.len() < max_rows {
        match reader.read_byte_record(&mut record) {
            Ok(false) => {
                read = bytes.len();
                break;
            }
            Ok(true) => {
                let end = clamp(reader.position().byte(), bytes.len());
                if end >= bytes.len() && !window.at_end {
                    break;
                }
                read = end;
                let line = line_at(bytes, record.position().map_or(0, |p| p.byte()), cursor.line);
                if record.len() == 1 && record.get(0).is_some_and(|cell| cell.trim_ascii().is_empty()) {
                    continue;
                }
                records.push(Record {
                    line,
                    row: csv_row(columns, &record),
                });
            }
            Err(_) => {
                let line = line_at(bytes, reader.position().byte(), cursor.line);
                return Err(UnreadableFile(format!("line {line} cannot be read as CSV")));
            }
        }
    }
    Ok((records, read))
}

/// A CSV record as the JSON object of its non-empty cells.
fn csv_row(columns: &[String], record: &csv::ByteRecord) -> Result<ImportRow, ValidationErrors> {
    if record.len() != columns.len() {
        return Err(ValidationErrors::single(
            "line",
            format!("has {} cells where the header has {}", record.len(), columns.len()),
        ));
    }
    let mut object = Map::new();
    let mut errors = ValidationErrors::new();
    for (name, cell) in columns.iter().zip(record.iter()) {
        let Ok(text) = std::str::from_utf8(cell) else {
            errors.push(name, "is not UTF-8 text");
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let value = if name == "tags" {
            Value::Array(split_labels(text).into_iter().map(Value::String).collect())
        } else {
            Value::String(text.to_owned())
        };
        object.insert(name.clone(), value);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    ImportRow::from_json(&object)
}

/// The labels of a CSV `tags` cell: separated by `;`, with `\;` and `\\`
/// standing for a `;` and a `\` inside a label.
pub fn split_labels(cell: &str) -> Vec<String> {
    let mut labels = Vec::new();
    let mut label = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => label.push(next),
                None => label.push('\\'),
            },
            ';' => labels.push(std::mem::take(&mut label)),
            other => label.push(other),
        }
    }
    labels.push(label);
    labels
        .into_iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Labels as one CSV `tags` cell: the inverse of [`split_labels`].
pub fn join_labels<'a>(labels: impl IntoIterator<Item = &'a str>) -> String {
    labels
        .into_iter()
        .map(|label| label.replace('\\', "\\\\").replace(';', "\\;"))
        .collect::<Vec<_>>()
        .join(";")
}

/// What happened to a row of an import that created nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RowOutcome {
    /// The row was refused: every reason, by field (never its values).
    Refused {
        /// The line the row starts on.
        line: u64,
        /// What is wrong, by field.
        errors: Vec<RowError>,
    },
    /// The business already had a customer with the row's email or user id.
    Existing {
        /// The line the row starts on.
        line: u64,
        /// That customer.
        customer_id: CustomerId,
    },
}

impl RowOutcome {
    /// The line the row starts on.
    pub fn line(&self) -> u64 {
        match self {
            Self::Refused { line, .. } | Self::Existing { line, .. } => *line,
        }
    }

    /// A refused row, for these reasons.
    pub fn refused(line: u64, errors: &ValidationErrors) -> Self {
        Self::Refused {
            line,
            errors: errors
                .errors()
                .iter()
                .map(|e| RowError {
                    field: e.field.clone(),
                    detail: e.detail.clone(),
                })
                .collect(),
        }
    }
}

/// One reason a row is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The field (or `line`, for the row as a whole).
    pub field: String,
    /// What is wrong with it.
    pub detail: String,
}

/// A customer as one line of an NDJSON export.
pub fn export_object(customer: &Customer, tags: &[Tag]) -> Value {
    let mut object = Map::new();
    object.insert("id".to_owned(), Value::String(customer.id.to_string()));
    object.insert("user_id".to_owned(), Value::String(customer.user_id.to_string()));
    object.insert(
        "full_name".to_owned(),
        Value::String(customer.full_name.as_str().to_owned()),
    );
    object.insert("email".to_owned(), Value::String(customer.email.as_str().to_owned()));
    if let Some(phone) = &customer.phone {
        object.insert("phone".to_owned(), Value::String(phone.as_str().to_owned()));
    }
    object.insert("gender".to_owned(), Value::String(customer.gender.as_str().to_owned()));
    object.insert(
        "customer_type".to_owned(),
        Value::String(customer.customer_type.as_str().to_owned()),
    );
    object.insert("status".to_owned(), Value::String(customer.status.as_str().to_owned()));
    let tags = tags
        .iter()
        .map(|tag| {
            let mut object = Map::new();
            object.insert("label".to_owned(), Value::String(tag.label.as_str().to_owned()));
            if let Some(color) = &tag.color {
                object.insert("color".to_owned(), Value::String(color.as_str().to_owned()));
            }
            object.insert("priority".to_owned(), Value::from(tag.priority));
            Value::Object(object)
        })
        .collect();
    object.insert("tags".to_owned(), Value::Array(tags));
    object.insert("created_at".to_owned(), Value::String(customer.created_at.to_string()));
    object.insert("updated_at".to_owned(), Value::String(customer.updated_at.to_string()));
    Value::Object(object)
}

/// A customer as the cells of one CSV export row, in [`EXPORT_COLUMNS`]'s
/// order (tags by label only).
pub fn export_cells(customer: &Customer, tags: &[Tag]) -> Vec<String> {
    vec![
        customer.id.to_string(),
        customer.user_id.to_string(),
        customer.full_name.as_str().to_owned(),
        customer.email.as_str().to_owned(),
        customer
            .phone
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        customer.gender.as_str().to_owned(),
        customer.customer_type.as_str().to_owned(),
        customer.status.as_str().to_owned(),
        join_labels(tags.iter().map(|t| t.label.as_str())),
        customer.created_at.to_string(),
        customer.updated_at.to_string(),
    ]
}

impl fmt::Display for TransferFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An export's file, written a customer at a time.
#[derive(Debug)]
pub enum ExportFile {
    /// A CSV file: the header row of [`EXPORT_COLUMNS`], then a row a customer.
    Csv(Box<csv::Writer<Vec<u8>>>, u64),
    /// An NDJSON file: a line a customer.
    Ndjson(Vec<u8>, u64),
}

/// Why an export's file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the export file could not be written: {0}")]
pub struct ExportError(String);

impl ExportFile {
    /// An empty file (a CSV one with its header row).
    pub fn new(format: TransferFormat) -> Result<Self, ExportError> {
        match format {
            TransferFormat::Csv => {
                let mut writer = csv::Writer::from_writer(Vec::new());
                writer
                    .write_record(EXPORT_COLUMNS)
                    .map_err(|e| ExportError(e.to_string()))?;
                Ok(Self::Csv(Box::new(writer), 0))
            }
            TransferFormat::Ndjson => Ok(Self::Ndjson(Vec::new(), 0)),
        }
    }

    /// Adds a customer and its tags.
    pub fn push(&mut self, customer: &Customer, tags: &[Tag]) -> Result<(), ExportError> {
        match self {
            Self::Csv(writer, count) => {
                writer
                    .write_record(export_cells(customer, tags))
                    .map_err(|e| ExportError(e.to_string()))?;
                *count += 1;
            }
            Self::Ndjson(bytes, count) => {
                serde_json::to_writer(&mut *bytes, &export_object(customer, tags))
                    .map_err(|e| ExportError(e.to_string()))?;
                bytes.push(b'\n');
                *count += 1;
            }
        }
        Ok(())
    }

    /// The file's bytes and how many customers it holds.
    pub fn finish(self) -> Result<(Vec<u8>, u64), ExportError> {
        match self {
            Self::Csv(writer, count) => Ok(((*writer).into_inner().map_err(|e| ExportError(e.to_string()))?, count)),
            Self::Ndjson(bytes, count) => Ok((bytes, count)),
        }
    }
}

/// Reads the body of a new import or export: `{"format": "csv" | "ndjson"}`.
pub fn format_from_json(body: &Map<String, Value>) -> Result<TransferFormat, ValidationErrors> {
    let mut reader = crate::validation::ObjectReader::new(body);
    let format = reader.required("format", TransferFormat::parse);
    reader.refuse_unknown(&["format"]);
    reader.finish().into_result(|| format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const USER: &str = "123e4567-e89b-12d3-a456-426614174000";

    /// Reads `file` at once, then through each of `windows`, a row and a
    /// hundred rows a step, checking that every way reads the same records;
    /// those records.
    fn read_alike_in_every_window(format: TransferFormat, file: &[u8], windows: &[usize]) -> Vec<(u64, bool)> {
        let whole = read_all(format, file, file.len(), 100).unwrap();
        for &window in windows {
            for rows in [1, 100] {
                assert_eq!(
                    read_all(format, file, window, rows).unwrap(),
                    whole,
                    "{window} bytes, {rows} rows a step"
                );
            }
        }
        whole
    }

    /// Reads `file` as steps do, `rows` rows a step from windows of
    /// `window` bytes: each record's line and whether it is a row.
    fn read_all(
        format: TransferFormat,
        file: &[u8],
        window: usize,
        rows: usize,
    ) -> Result<Vec<(u64, bool)>, UnreadableFile> {
        let head = &file[..file.len().min(HEAD_BYTES as usize)];
        let header = Header::read(
            format,
            Window {
                bytes: head,
                at_end: head.len() == file.len(),
            },
        )?;
        let mut cursor = header.resume(Cursor { offset: 0, line: 1 });
        let mut seen = Vec::new();
        for _ in 0..1000 {
            let start = usize::try_from(cursor.offset).unwrap();
            let end = (start + window).min(file.len());
            let bytes = &file[start..end];
            let chunk = header.read_chunk(
                Window {
                    bytes,
                    at_end: end == file.len(),
                },
                cursor,
                rows,
            )?;
            seen.extend(chunk.records.iter().map(|r| (r.line, r.row.is_ok())));
            cursor = chunk.next;
            if chunk.finished {
                return Ok(seen);
            }
        }
        panic!("the file never ended");
    }

    #[test]
    fn a_csv_file_read_a_row_at_a_time_reads_as_it_does_at_once() {
        let file = format!(
            "\u{feff}full_name,email,user_id,gender,tags\r\n\
             \"Ada, Countess\",ada@example.com,{USER},female,vip;north\r\n\
             \r\n\
             \"Two\nLines\",two@example.com,{USER},male,\n\
             Fine,fine@example.com,{USER},other,\n\
             short,row\n"
        );
        let file = file.as_bytes();
        let whole = read_alike_in_every_window(TransferFormat::Csv, file, &[90, 100, 128, 1000]);
        assert_eq!(whole, [(2, true), (4, false), (6, true), (7, false)]);
        let refused = read_all(TransferFormat::Csv, file, 40, 100).unwrap_err();
        assert!(refused.0.contains("line 2 is longer"), "{refused}");
    }

    #[test]
    fn an_ndjson_file_read_a_row_at_a_time_reads_as_it_does_at_once() {
        let file = format!(
            "\u{feff}{{\"full_name\":\"Ada\",\"email\":\"ada@example.com\",\"user_id\":\"{USER}\",\"gender\":\"female\",\"tags\":[\"vip\",{{\"label\":\"north\",\"priority\":2}}]}}\n\
             \n\
             [1, 2]\n\
             not json\n\
             {{\"full_name\":\"Bo\",\"email\":\"bo@example.com\",\"user_id\":\"{USER}\",\"gender\":\"male\",\"id\":\"ignored\",\"status\":\"active\"}}"
        );
        let file = file.as_bytes();
        let whole = read_alike_in_every_window(TransferFormat::Ndjson, file, &[200, 256, 1000]);
        assert_eq!(whole, [(1, true), (3, false), (4, false), (5, true)]);
        let refused = read_all(TransferFormat::Ndjson, file, 100, 100).unwrap_err();
        assert!(refused.0.contains("line 1 is longer"), "{refused}");
    }

    #[test]
    fn a_csv_header_must_name_known_columns_once_and_the_required_ones() {
        for (header, named) in [
            ("full_name,email,user_id,gender,shoe_size\n", "shoe_size"),
            ("full_name,email,user_id,gender,email\n", "email"),
            ("full_name,email,gender\n", "user_id"),
            ("", "empty"),
        ] {
            let refused = read_all(TransferFormat::Csv, header.as_bytes(), 1000, 10).unwrap_err();
            assert!(refused.0.contains(named), "{header:?}: {refused}");
        }
    }

    #[test]
    fn a_row_is_refused_for_every_bad_field_by_name() {
        let row = serde_json::json!({
            "full_name": "", "email": "nope", "user_id": USER, "gender": "female",
            "tags": ["ok", "OK", 3], "shoe_size": 42
        });
        let errors = ImportRow::from_json(row.as_object().unwrap()).unwrap_err();
        let mut fields = errors.fields();
        fields.sort_unstable();
        assert_eq!(fields, ["email", "full_name", "shoe_size", "tags[1].label", "tags[2]"]);
        let many: Vec<String> = (0..=MAX_TAGS_PER_ROW).map(|i| format!("t{i}")).collect();
        let row = serde_json::json!({"full_name": "A", "email": "a@example.com", "user_id": USER, "gender": "male", "tags": many});
        assert_eq!(
            ImportRow::from_json(row.as_object().unwrap()).unwrap_err().fields(),
            ["tags"]
        );
    }

    proptest! {
        #[test]
        fn labels_joined_into_a_cell_split_back_as_they_were(labels in proptest::collection::vec("[a-z;\\\\ ]{0,6}[a-z;\\\\]", 0..5)) {
            let joined = join_labels(labels.iter().map(String::as_str));
            let expected: Vec<String> = labels.iter().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect();
            prop_assert_eq!(split_labels(&joined), expected);
        }
    }
}
