//! A test table's stream read as Lambda's event source mapping reads it for
//! one function: batches handed over in order from the function's own
//! position, a batch that reports a failure handed back again.

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use clientele_stack::stream::StreamReader;
use tokio::sync::Mutex;
use tracing::instrument::WithSubscriber;

use crate::TestApp;
use crate::app::sdk_config;
use crate::services::dynamodb_endpoint;

/// A subscriber that writes warnings and errors where a failed test shows them.
fn failures_to_test_output() -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_test_writer()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish()
}

/// One function's place in a test table's stream.
pub struct TableStream(Mutex<StreamReader>);

impl TableStream {
    /// `app`'s table's stream, from its start.
    pub async fn open(app: &TestApp) -> Self {
        Self::of(&app.dynamodb, &app.table).await
    }

    /// The stream of `table`, reached through `dynamodb`, from its start.
    pub async fn of(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> Self {
        let streams = aws_sdk_dynamodbstreams::Client::new(&sdk_config(dynamodb_endpoint()).await);
        let stream = StreamReader::open(dynamodb, streams, table, HashMap::new())
            .await
            .expect("the table has a stream: a test that reads it starts with `TestApp::spawn_with_stream()`");
        Self(Mutex::new(stream))
    }

    /// Hands the next batch of at most `batch` records to `handle`: how many
    /// records it moved past, and the handler's answer.
    pub async fn feed_once<H, F>(&self, batch: usize, handle: H) -> (usize, DynamoDbEventResponse)
    where
        H: FnOnce(Event) -> F,
        F: Future<Output = DynamoDbEventResponse>,
    {
        let answer = std::sync::Mutex::new(DynamoDbEventResponse::default());
        let slot = &answer;
        let handled = self
            .0
            .lock()
            .await
            .feed(batch, |event| async move {
                let response = handle(event).await;
                *slot.lock().expect("not poisoned") = response.clone();
                Ok(response)
            })
            .await
            .expect("the stream can be read");
        (handled, answer.into_inner().expect("not poisoned"))
    }

    /// Feeds the stream to `handle` until it is drained or a batch reports a
    /// failure: whether every batch succeeded.
    pub async fn run<H, F>(&self, batch: usize, handle: H) -> bool
    where
        H: Fn(Event) -> F,
        F: Future<Output = DynamoDbEventResponse>,
    {
        loop {
            let (handled, answer) = self.feed_once(batch, &handle).await;
            if !answer.batch_item_failures.is_empty() {
                return false;
            }
            if handled == 0 {
                return true;
            }
        }
    }

    /// Feeds the stream to `handle` until it is drained, handing a batch
    /// that reported a failure again, at most `retries` times (the deployed
    /// mapping's `MaximumRetryAttempts`): whether every batch succeeded in
    /// the end. What the function logs as a warning or an error goes to the
    /// test's output, shown when the test fails.
    pub async fn settle<H, F>(&self, batch: usize, retries: usize, handle: H) -> bool
    where
        H: Fn(Event) -> F,
        F: Future<Output = DynamoDbEventResponse>,
    {
        let mut failures = 0;
        loop {
            let (handled, answer) = self
                .feed_once(batch, |event| handle(event).with_subscriber(failures_to_test_output()))
                .await;
            if !answer.batch_item_failures.is_empty() {
                failures += 1;
                if failures > retries {
                    return false;
                }
                continue;
            }
            if handled == 0 {
                return true;
            }
        }
    }
}
