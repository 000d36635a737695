//! The transfers function: runs imports and exports of a business's
//! customers.
//!
//! An import or export job is an item in the table. Every new version of
//! one reaches this function through the table's stream (the template's
//! filter passes only queued and running jobs), and the function runs it
//! one step further: an import a chunk of rows, whose new version brings the
//! next chunk; an export in one step. A record of a version already moved
//! past does nothing, so a record handed over twice is harmless.
//!
//! A step that fails is reported as a partial batch failure: the stream
//! hands the record back (with retries), and after the last retry its
//! batch's description goes to the dead-letter queue, which an alarm
//! watches. The job stays where it was; what it did before stays done.

use std::convert::Infallible;

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use clientele_core::transfer::TransferJob;
use clientele_operations::{FileContext, transfers};
use clientele_startup::{ConfigError, Lookup, streams};
use clientele_store::transfers::transfer_from_image;
use lambda_runtime::LambdaEvent;

/// The function, built once per process: the table and the clock, and
/// the bucket; no settings of its own.
pub type App = FileContext<()>;

/// The function from its environment: the table (`TABLE_NAME`) and the
/// bucket (`AVATAR_BUCKET`).
pub async fn app(env: &impl Lookup, sdk: &SdkConfig) -> Result<App, ConfigError> {
    FileContext::from_env(env, sdk, ()).await
}

/// The job a stream record writes, if it writes one with work left.
pub fn job_of(record: &EventRecord) -> Option<TransferJob> {
    if record.event_name == "REMOVE" {
        return None;
    }
    transfer_from_image(record.change.new_image.clone().into()).filter(|job| job.status.is_pending())
}

/// Runs each job of a batch one step, in order. The first step that fails
/// is reported, so the stream hands it and what follows back.
pub async fn handle(app: &App, event: &Event) -> DynamoDbEventResponse {
    streams::in_order(event, job_of, async |job| {
        transfers::advance(&app.context, &app.files, &job)
            .await
            .inspect_err(|error| {
                tracing::error!(%error, transfer_id = %job.id, "a step of the job failed; the stream will hand it back");
            })
    })
    .await
}

/// [`handle`], in the shape `lambda_runtime::run` wants.
pub async fn serve(app: &App, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Infallible> {
    Ok(handle(app, &event.payload).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clientele_core::transfer::{TransferKind, TransferStatus};

    #[test]
    fn only_a_job_with_work_left_is_run() {
        let event: Event = serde_json::from_str(include_str!("../../../events/transfers/job.json")).unwrap();
        let record = &event.records[0];
        let job = job_of(record).unwrap();
        assert_eq!(job.kind, TransferKind::Export);
        assert_eq!(job.status, TransferStatus::Queued);
        assert_eq!(job.business_id.to_string(), "123e4567-e89b-12d3-a456-426614174001");

        let mut removed = record.clone();
        removed.event_name = "REMOVE".to_owned();
        assert_eq!(job_of(&removed), None, "the job's removal");
        for status in ["completed", "failed", "awaiting_upload"] {
            let mut done = record.clone();
            done.change
                .new_image
                .insert("status".to_owned(), serde_dynamo::AttributeValue::S(status.to_owned()));
            assert_eq!(job_of(&done), None, "a job {status}");
        }
        let mut other = record.clone();
        other
            .change
            .new_image
            .insert("entity".to_owned(), serde_dynamo::AttributeValue::S("Note".to_owned()));
        assert_eq!(job_of(&other), None, "any other item");
    }
}
