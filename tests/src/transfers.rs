//! The transfers function as the cloud runs it: the test table's stream read
//! as Lambda's event source mapping reads it (its filter passes queued and
//! running jobs; the function ignores the rest here), handed to the
//! function, whose own writes bring the next step.

use std::collections::HashMap;

use aws_lambda_events::event::streams::DynamoDbEventResponse;
use clientele_operations::Context;
use clientele_stack::stream::StreamReader;
use tokio::sync::Mutex;

use crate::TestApp;
use crate::app::sdk_config;
use crate::delivery::hand_next_batch;
use crate::services::dynamodb_endpoint;

/// One test's transfers function and its place in the stream.
pub struct Transfers {
    /// The function.
    pub function: transfers::App,
    stream: Mutex<StreamReader>,
}

impl Transfers {
    /// The function over `app`'s table and bucket.
    pub async fn new(app: &TestApp) -> Self {
        let streams = aws_sdk_dynamodbstreams::Client::new(&sdk_config(dynamodb_endpoint()).await);
        let stream = StreamReader::open(&app.dynamodb, streams, &app.table, HashMap::new())
            .await
            .expect("the table has a stream: a test that runs jobs starts with `TestApp::spawn_with_stream()`");
        Self {
            function: transfers::App {
                context: Context {
                    store: app.store.clone(),
                    clock: app.clock.clone(),
                },
                files: app.avatars.clone(),
            },
            stream: Mutex::new(stream),
        }
    }

    /// Hands the next batch of the stream to the function: how many records
    /// it moved past, and the function's answer.
    pub async fn feed_once(&self) -> (usize, DynamoDbEventResponse) {
        let function = &self.function;
        hand_next_batch(&self.stream, 10, |event| async move {
            transfers::handle(function, &event).await
        })
        .await
    }

    /// Feeds the stream to the function until it is drained (every job run
    /// as far as it goes), handing a batch that reported a failure again (at
    /// most three times): whether every step succeeded.
    pub async fn settle(&self) -> bool {
        let mut failures = 0;
        loop {
            let (handled, answer) = self.feed_once().await;
            if !answer.batch_item_failures.is_empty() {
                failures += 1;
                if failures > 3 {
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
