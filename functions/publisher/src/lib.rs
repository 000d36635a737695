//! The publisher: the table's stream hands it every new item; it publishes
//! the outbox's events (items with `entity = Event`) to EventBridge, with the
//! event's name as detail-type and its recorded detail, under `EVENT_SOURCE`.
//!
//! Nothing is lost and nothing blocks:
//! - events go out in batches of ten, only failed entries are retried;
//! - a record that can never be an event (a malformed outbox item, or an entry
//!   EventBridge refuses for good) goes to the dead-letter queue, with why, and
//!   the batch goes on;
//! - an event that could not be sent for now is reported as a partial batch
//!   failure: the stream hands it (and what follows it) back later, and after
//!   the mapping's last retry its batch goes to the same dead-letter queue.
//!
//! Events keep the id they were recorded with, so a consumer can drop the
//! duplicates a retry may cause.

use std::convert::Infallible;

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use clientele_bus::{Delivery, Outgoing, Publisher};
use clientele_startup::{ConfigError, Lookup, required, streams};
use clientele_store::items::{EventItem, entity};
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

/// Where records go that can never become events.
#[derive(Debug, Clone)]
pub struct DeadLetters {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl DeadLetters {
    /// The queue at `queue_url`.
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// Sends a record there, with why, counted in `EventsDeadLettered`.
    pub async fn send(&self, reason: &str, record: &EventRecord) -> Result<(), String> {
        let body = json!({ "reason": reason, "record": record });
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body.to_string())
            .send()
            .await
            .map(|_| metrics::counter!("EventsDeadLettered").increment(1))
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(&e).to_string())
    }
}

/// The publisher function, built once per process.
#[derive(Debug, Clone)]
pub struct App {
    /// Sends to the bus.
    pub publisher: Publisher,
    /// Takes what can never be sent.
    pub dead_letters: DeadLetters,
}

impl App {
    /// Builds the function from its environment: `EVENT_BUS_NAME`,
    /// `EVENT_SOURCE` (default `clientele.customers`), `DEAD_LETTER_QUEUE_URL`.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            publisher: Publisher::from_env(env, sdk)?,
            dead_letters: DeadLetters::new(aws_sdk_sqs::Client::new(sdk), required(env, "DEAD_LETTER_QUEUE_URL")?),
        })
    }
}

/// The event an outbox record holds: `Ok(None)` for any other record.
pub fn outbox_event(record: &EventRecord) -> Result<Option<Outgoing>, String> {
    if record.event_name != "INSERT" {
        return Ok(None);
    }
    let image = &record.change.new_image;
    let is_event = matches!(
        image.get("entity"),
        Some(serde_dynamo::AttributeValue::S(kind)) if kind == entity::EVENT
    );
    if !is_event {
        return Ok(None);
    }
    let item: EventItem = serde_dynamo::from_item(image.clone()).map_err(|e| format!("not an outbox event: {e}"))?;
    match serde_json::from_str::<Value>(&item.detail) {
        Ok(Value::Object(_)) if !item.event_type.is_empty() => Ok(Some(Outgoing {
            event_id: item.event_id,
            detail_type: item.event_type,
            detail: item.detail,
            time: item.occurred_at,
        })),
        _ => Err(format!(
            "event {} has no detail-type or no JSON object detail",
            item.event_id
        )),
    }
}

/// Publishes a batch of stream records; answers with the first record to
/// hand back, if any.
pub async fn handle(app: &App, event: &Event) -> DynamoDbEventResponse {
    let mut retry_from: Option<usize> = None;
    let mut keep_earliest = |i: usize| retry_from = Some(retry_from.map_or(i, |r| r.min(i)));
    let mut outgoing: Vec<(usize, Outgoing)> = Vec::new();
    for (i, record) in event.records.iter().enumerate() {
        match outbox_event(record) {
            Ok(Some(event)) => outgoing.push((i, event)),
            Ok(None) => {}
            Err(reason) => {
                tracing::error!(%reason, sequence = ?record.change.sequence_number, "dead-lettering a poison record");
                if let Err(error) = app.dead_letters.send(&reason, record).await {
                    tracing::error!(%error, "the dead-letter queue refused a record");
                    keep_earliest(i);
                }
            }
        }
    }
    let events: Vec<Outgoing> = outgoing.iter().map(|(_, e)| e.clone()).collect();
    let deliveries = app.publisher.publish(&events).await;
    for ((i, sent), delivery) in outgoing.iter().zip(deliveries) {
        match delivery {
            Delivery::Sent => {
                tracing::info!(event_id = %sent.event_id, detail_type = %sent.detail_type, "published");
                metrics::counter!("EventsPublished").increment(1);
            }
            Delivery::Rejected { code } => {
                tracing::error!(event_id = %sent.event_id, %code, "EventBridge refuses this event; dead-lettering it");
                let reason = format!("EventBridge refused event {}: {code}", sent.event_id);
                if app.dead_letters.send(&reason, &event.records[*i]).await.is_err() {
                    keep_earliest(*i);
                }
            }
            Delivery::Failed { code } => {
                tracing::warn!(event_id = %sent.event_id, %code, "not published yet");
                keep_earliest(*i);
            }
            Delivery::NotTried => keep_earliest(*i),
        }
    }
    retry_from
        .and_then(|i| event.records.get(i))
        .map_or_else(DynamoDbEventResponse::default, streams::retry_from)
}

/// [`handle`], in the shape `lambda_runtime::run` wants.
pub async fn serve(app: &App, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Infallible> {
    Ok(handle(app, &event.payload).await)
}
