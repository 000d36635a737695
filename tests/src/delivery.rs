//! The event flow of the cloud, on the local services: the test table's
//! stream (DynamoDB Local) read as Lambda's event source mapping reads it
//! ([`crate::table_stream`]), handed to the publisher function, which sends
//! to a bus of its own in moto's EventBridge, where a rule delivers every
//! event to a tap queue, as a subscribing service's rule would.

use std::path::PathBuf;
use std::time::Duration;

use aws_lambda_events::event::streams::DynamoDbEventResponse;
use clientele_stack::{create_event_bus, create_queue, create_tap};
use serde_json::Value;

use crate::TestApp;
use crate::app::sdk_config;
use crate::services::{moto_endpoint, project_root};
use crate::table_stream::TableStream;

/// The source the tests' publisher sends under.
pub const SOURCE: &str = clientele_bus::DEFAULT_SOURCE;

/// One test's bus, queues, stream and publisher.
pub struct EventFlow {
    /// The bus.
    pub bus: String,
    /// The publisher function, as deployed but for its endpoints.
    pub publisher: publisher::App,
    sqs: aws_sdk_sqs::Client,
    tap: String,
    dead_letters: String,
    stream: TableStream,
}

impl EventFlow {
    /// A flow from `app`'s table to a fresh bus in moto.
    pub async fn new(app: &TestApp) -> Self {
        Self::through(app, moto_endpoint()).await
    }

    /// A flow whose publisher reaches EventBridge at `endpoint` (a proxy in
    /// front of moto, for tests that break it).
    pub async fn through(app: &TestApp, endpoint: &str) -> Self {
        let moto = sdk_config(moto_endpoint()).await;
        let name = format!("clientele-test-{}", uuid::Uuid::new_v4().simple());
        let events = aws_sdk_eventbridge::Client::new(&moto);
        let sqs = aws_sdk_sqs::Client::new(&moto);
        create_event_bus(&events, &name).await.expect("moto creates the bus");
        let tap = create_tap(&events, &sqs, &name, SOURCE, &format!("{name}-tap"))
            .await
            .expect("moto creates the tap");
        let dead_letters = create_queue(&sqs, &format!("{name}-dead-letters"))
            .await
            .expect("moto creates the dead-letter queue");
        let stream = TableStream::open(app).await;
        let publisher = publisher::App {
            publisher: clientele_bus::Publisher::new(
                aws_sdk_eventbridge::Client::new(&sdk_config(endpoint).await),
                &name,
                SOURCE,
            )
            .backoff(Duration::from_millis(10)),
            dead_letters: publisher::DeadLetters::new(sqs.clone(), &dead_letters),
        };
        Self {
            bus: name,
            publisher,
            sqs,
            tap,
            dead_letters,
            stream,
        }
    }

    /// Hands the next batch of the stream to the publisher, as the event
    /// source mapping does: how many records it moved past, and the answer.
    pub async fn feed_once(&self) -> (usize, DynamoDbEventResponse) {
        let publisher = &self.publisher;
        self.stream
            .feed_once(100, |event| async move { publisher::handle(publisher, &event).await })
            .await
    }

    /// Feeds the stream to the publisher until it is drained or a batch
    /// reports a failure; returns how many records it moved past.
    pub async fn pump(&self) -> usize {
        let mut total = 0;
        loop {
            let (handled, answer) = self.feed_once().await;
            total += handled;
            if handled == 0 || !answer.batch_item_failures.is_empty() {
                return total;
            }
        }
    }

    /// The events that reached the tap since last asked, oldest first as
    /// far as SQS tells, each the whole EventBridge event.
    pub async fn published(&self) -> Vec<Value> {
        self.drain(&self.tap).await
    }

    /// What reached the publisher's dead-letter queue since last asked.
    pub async fn dead_lettered(&self) -> Vec<Value> {
        self.drain(&self.dead_letters).await
    }

    /// What reached any other queue since last asked (a requester's own,
    /// say), each message's body as JSON.
    pub async fn received(&self, queue: &str) -> Vec<Value> {
        self.drain(queue).await
    }

    /// The SQS client of the flow's queues (moto).
    pub fn sqs(&self) -> &aws_sdk_sqs::Client {
        &self.sqs
    }

    /// Pumps the stream, then takes what reached the tap.
    pub async fn deliver(&self) -> Vec<Value> {
        self.pump().await;
        self.published().await
    }

    async fn drain(&self, queue: &str) -> Vec<Value> {
        let mut found = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(queue)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("moto answers");
            let messages = received.messages();
            if messages.is_empty() {
                return found;
            }
            for message in messages {
                found.push(serde_json::from_str(message.body().unwrap_or_default()).expect("JSON messages"));
                self.sqs
                    .delete_message()
                    .queue_url(queue)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("moto deletes");
            }
        }
    }
}

/// The detail-types of events, in order.
pub fn detail_types(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["detail-type"].as_str()).collect()
}

/// The folder of the event schemas.
pub fn schemas_dir() -> PathBuf {
    project_root().join("events").join("schemas")
}

/// The folder of the schemas' Draft 4 copies, as the Schema Registry holds
/// them.
pub fn registry_dir() -> PathBuf {
    project_root().join("events").join("registry")
}

/// What `detail` breaks of the schema in the file at `relative` (under
/// `events/schemas/`), and of its Draft 4 copy (under `events/registry/`).
pub fn schema_problems(relative: &str, detail: &Value) -> Vec<String> {
    let read = |path: PathBuf| -> Value {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let original = read(schemas_dir().join(relative));
    let copy = read(registry_dir().join(relative));
    let validators = [
        ("schema", jsonschema::validator_for(&original)),
        ("Draft 4 copy", jsonschema::draft4::new(&copy)),
    ];
    validators
        .into_iter()
        .flat_map(|(which, validator)| {
            let validator = validator.unwrap_or_else(|e| panic!("{relative} ({which}): {e}"));
            validator
                .iter_errors(detail)
                .map(|e| format!("{which}: {e} at {}", e.instance_path()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Checks an EventBridge event against the schema of its detail-type in
/// `events/schemas/` and its Draft 4 copy in `events/registry/`, panicking
/// with every violation.
pub fn assert_matches_schema(event: &Value) {
    let detail_type = event["detail-type"].as_str().expect("a detail-type");
    let problems = schema_problems(&format!("{detail_type}.json"), &event["detail"]);
    assert!(
        problems.is_empty(),
        "{detail_type} does not match its schema: {problems:#?}\n{event:#}"
    );
}
