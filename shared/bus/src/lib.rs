//! Publishing events to an EventBridge bus.
//!
//! `PutEvents` takes at most ten entries and can succeed as a call while
//! failing some of its entries: it says so in `FailedEntryCount` and in each
//! entry's error code. [`Publisher`] sends in batches of ten, reads every
//! entry's result, retries only the entries that failed for a reason that
//! may pass (throttling, an internal failure, an unreachable bus), and tells
//! those apart from entries EventBridge will never take (a malformed detail),
//! which no retry can help.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use clientele_core::Timestamp;
use clientele_startup::{ConfigError, Lookup, required};

/// The source events are published under, unless `EVENT_SOURCE` says otherwise.
pub const DEFAULT_SOURCE: &str = "clientele.customers";

/// Entries per `PutEvents` call: EventBridge's limit.
pub const BATCH: usize = 10;

/// Entry error codes no retry can fix.
const PERMANENT: &[&str] = &[
    "MalformedDetail",
    "InvalidArgument",
    "NotAuthorizedForSourceException",
    "NotAuthorizedForDetailTypeException",
];

/// One event to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The event's own id (inside the detail), for the logs.
    pub event_id: String,
    /// The detail-type: the event's name.
    pub detail_type: String,
    /// The detail, as JSON text.
    pub detail: String,
    /// When it happened.
    pub time: Timestamp,
}

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// On the bus.
    Sent,
    /// Refused for good: the entry itself is wrong.
    Rejected {
        /// EventBridge's error code.
        code: String,
    },
    /// Not on the bus, for a reason that may pass: worth sending again later.
    Failed {
        /// The error code, or what went wrong with the call.
        code: String,
    },
    /// Not tried: an earlier batch failed, and events go out in order.
    NotTried,
}

/// Sends events to one bus under one source.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: Client,
    bus: String,
    source: String,
    attempts: u32,
    backoff: Duration,
}

impl Publisher {
    /// Attempts per entry, by default.
    pub const ATTEMPTS: u32 = 3;

    /// The publisher to the bus `EVENT_BUS_NAME`, under the source
    /// `EVENT_SOURCE` ([`DEFAULT_SOURCE`] unless set), through a client made
    /// from `sdk`.
    pub fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let source = env.get("EVENT_SOURCE").unwrap_or_else(|| DEFAULT_SOURCE.to_owned());
        Ok(Self::new(Client::new(sdk), required(env, "EVENT_BUS_NAME")?, source))
    }

    /// A publisher to `bus` with `source` as every event's source.
    pub fn new(client: Client, bus: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
            source: source.into(),
            attempts: Self::ATTEMPTS,
            backoff: Duration::from_millis(100),
        }
    }

    /// Sets the pause before the second attempt (doubled for each after).
    pub fn backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// The source events are sent with.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn entry(&self, event: &Outgoing) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&self.source)
            .detail_type(&event.detail_type)
            .detail(&event.detail)
            .time(DateTime::from_secs(event.time.unix_seconds()))
            .build()
    }

    /// Sends events in order, in batches of ten. A batch that still has
    /// failed entries after its attempts stops the sending: later events are
    /// [`Delivery::NotTried`], so a caller that retries from the first failure
    /// sends nothing twice that it need not.
    pub async fn publish(&self, events: &[Outgoing]) -> Vec<Delivery> {
        let mut deliveries = Vec::with_capacity(events.len());
        for batch in events.chunks(BATCH) {
            if deliveries.iter().any(|d| matches!(d, Delivery::Failed { .. })) {
                deliveries.extend(batch.iter().map(|_| Delivery::NotTried));
                continue;
            }
            deliveries.extend(self.publish_batch(batch).await);
        }
        deliveries
    }

    async fn publish_batch(&self, batch: &[Outgoing]) -> Vec<Delivery> {
        let mut results: Vec<Delivery> = batch
            .iter()
            .map(|_| Delivery::Failed {
                code: "NotSent".to_owned(),
            })
            .collect();
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let mut pause = self.backoff;
        for attempt in 1..=self.attempts {
            let entries = pending.iter().map(|&i| self.entry(&batch[i])).collect();
            match self.client.put_events().set_entries(Some(entries)).send().await {
                Ok(output) => {
                    let answers = output.entries();
                    let mut still = Vec::new();
                    for (n, &i) in pending.iter().enumerate() {
                        let code = answers.get(n).map_or(Some("NoAnswer"), |a| a.error_code());
                        results[i] = match code {
                            None => Delivery::Sent,
                            Some(code) if PERMANENT.contains(&code) => Delivery::Rejected { code: code.to_owned() },
                            Some(code) => {
                                still.push(i);
                                Delivery::Failed { code: code.to_owned() }
                            }
                        };
                    }
                    if output.failed_entry_count() > 0 {
                        tracing::warn!(
                            failed = output.failed_entry_count(),
                            attempt,
                            "EventBridge refused some entries"
                        );
                    }
                    pending = still;
                }
                Err(error) => {
                    let code = error.code().unwrap_or("CallFailed").to_owned();
                    tracing::warn!(error = %DisplayErrorContext(&error), attempt, "PutEvents failed");
                    for &i in &pending {
                        results[i] = Delivery::Failed { code: code.clone() };
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
            if attempt < self.attempts {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        }
        results
    }
}
