//! Delivering an answer (a data or a billing response) to its requester
//! alone.
//!
//! An answer carries personal or business data, so it never goes out on the shared bus,
//! where any rule on our source would receive it. Each requester names its
//! own destination in `DATA_REQUESTERS`: an EventBridge bus of its own
//! (`PutEvents` there, under our source) or an SQS queue (one message whose
//! body is the event as an EventBridge rule would have delivered it).

use aws_config::SdkConfig;
use aws_sdk_sqs::error::DisplayErrorContext;
use clientele_bus::{DEFAULT_SOURCE, Delivery, Outgoing, Publisher};
use clientele_core::Timestamp;
use clientele_core::inbound::Answer;
use clientele_operations::data::Destination;
use clientele_startup::Lookup;
use serde_json::json;

use crate::{Dropped, Outcome, TryAgain, dropped};

/// Sends answers to the destinations the data policy names.
#[derive(Debug, Clone)]
pub struct Answers {
    events: aws_sdk_eventbridge::Client,
    queues: aws_sdk_sqs::Client,
    source: String,
}

impl Answers {
    /// Answers sent under `EVENT_SOURCE` (`clientele.customers` unless
    /// set), through clients made from `sdk`.
    pub fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Self {
        let source = env.get("EVENT_SOURCE").unwrap_or_else(|| DEFAULT_SOURCE.to_owned());
        Self::new(
            aws_sdk_eventbridge::Client::new(sdk),
            aws_sdk_sqs::Client::new(sdk),
            source,
        )
    }

    /// Answers sent under `source` through these clients.
    pub fn new(events: aws_sdk_eventbridge::Client, queues: aws_sdk_sqs::Client, source: impl Into<String>) -> Self {
        Self {
            events,
            queues,
            source: source.into(),
        }
    }

    /// Delivers `answer` to `destination`. A destination that refuses the
    /// entry for good drops it; one that cannot be reached now is tried
    /// again.
    pub async fn deliver<A: Answer>(
        &self,
        answer: &A,
        destination: &Destination,
        now: Timestamp,
    ) -> Result<Outcome, TryAgain> {
        let detail = serde_json::to_value(answer).map_err(|e| TryAgain(e.to_string()))?;
        let event_id = answer.event_id().to_string();
        match destination {
            Destination::Bus(arn) => {
                let publisher = Publisher::new(self.events.clone(), arn, &self.source);
                let outgoing = Outgoing {
                    event_id,
                    detail_type: A::DETAIL_TYPE.to_owned(),
                    detail: detail.to_string(),
                    time: now,
                };
                match publisher.publish(&[outgoing]).await.first() {
                    Some(Delivery::Sent) => Ok(Outcome::Done),
                    Some(Delivery::Rejected { code }) => dropped(
                        Dropped::NotAnswered,
                        format!("the requester's bus refused the answer: {code}"),
                    ),
                    other => Err(TryAgain(format!("the answer was not sent: {other:?}"))),
                }
            }
            Destination::Queue(url) => {
                let envelope = json!({
                    "version": "0",
                    "id": event_id,
                    "detail-type": A::DETAIL_TYPE,
                    "source": self.source,
                    "time": now,
                    "detail": detail,
                });
                let sent = self
                    .queues
                    .send_message()
                    .queue_url(url)
                    .message_body(envelope.to_string())
                    .send()
                    .await;
                match sent {
                    Ok(_) => Ok(Outcome::Done),
                    Err(error) => Err(TryAgain(format!(
                        "the answer was not queued: {}",
                        DisplayErrorContext(&error)
                    ))),
                }
            }
        }
    }
}
