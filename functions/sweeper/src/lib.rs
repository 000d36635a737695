//! The sweeper: finishes customers' deletions.
//!
//! `DELETE /api/customers/{id}` removes the record and its claims and leaves
//! a tombstone in one transaction. The tombstone's stream record reaches this function
//! (the template's filter passes only new tombstones), which removes the
//! rest: objects under the customer's prefixes in the bucket, every item in
//! its partition and its tags' copies, and the tombstone last.
//!
//! A sweep that fails is reported as a partial batch failure: the stream
//! hands the record back (with bisection and retries), and after the last
//! retry its batch's description goes to the dead-letter queue, which an
//! alarm watches. The tombstone stays until a sweep finishes, so GDPR
//! requests still find what is left meanwhile.

use std::convert::Infallible;

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use clientele_operations::{FileContext, deletion};
use clientele_startup::{ConfigError, Lookup, streams};
use clientele_store::deletion::Tombstone;
use lambda_runtime::LambdaEvent;

/// The function, built once per process: the table and the clock, and
/// the bucket; no settings of its own.
pub type App = FileContext<()>;

/// The function from its environment: the table (`TABLE_NAME`) and the
/// bucket (`AVATAR_BUCKET`).
pub async fn app(env: &impl Lookup, sdk: &SdkConfig) -> Result<App, ConfigError> {
    FileContext::from_env(env, sdk, ()).await
}

/// The tombstone a stream record puts, if it puts one.
pub fn tombstone_of(record: &EventRecord) -> Option<Tombstone> {
    if record.event_name != "INSERT" {
        return None;
    }
    Tombstone::from_item(record.change.new_image.clone().into())
}

/// Sweeps each deleted customer of a batch, in order. The first one that
/// fails is reported, so the stream hands it and what follows back.
pub async fn handle(app: &App, event: &Event) -> DynamoDbEventResponse {
    streams::in_order(event, tombstone_of, async |tombstone| {
        deletion::finish(&app.context.store, &app.files, &tombstone)
            .await
            .inspect_err(|error| {
                tracing::error!(%error, customer_id = %tombstone.customer_id, "the sweep failed; the stream will hand it back");
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

    #[test]
    fn only_a_new_tombstone_starts_a_sweep() {
        let event: Event = serde_json::from_str(include_str!("../../../events/sweeper/tombstone.json")).unwrap();
        let record = &event.records[0];
        let tombstone = tombstone_of(record).unwrap();
        assert_eq!(
            tombstone.customer_id.to_string(),
            "123e4567-e89b-12d3-a456-4266141740ff"
        );
        assert_eq!(
            tombstone.business_id.to_string(),
            "123e4567-e89b-12d3-a456-426614174001"
        );

        let mut removed = record.clone();
        removed.event_name = "REMOVE".to_owned();
        assert_eq!(tombstone_of(&removed), None, "the tombstone's own removal");
        let mut other = record.clone();
        other
            .change
            .new_image
            .insert("entity".to_owned(), serde_dynamo::AttributeValue::S("Note".to_owned()));
        assert_eq!(tombstone_of(&other), None, "any other item");
    }
}
