//! The transfers function as the cloud runs it: the test table's stream read
//! as Lambda's event source mapping reads it (its filter passes queued and
//! running jobs; the function ignores the rest here), handed to the
//! function, whose own writes bring the next step.

use aws_lambda_events::event::streams::DynamoDbEventResponse;

use crate::TestApp;
use crate::table_stream::TableStream;

/// Records a batch, as the deployed mapping's `BatchSize`.
const BATCH: usize = 10;
/// Times a failed batch is handed back, as the deployed mapping's
/// `MaximumRetryAttempts`.
const RETRIES: usize = 5;

/// One test's transfers function and its place in the stream.
pub struct Transfers {
    /// The function.
    pub function: transfers::App,
    stream: TableStream,
}

impl Transfers {
    /// The function over `app`'s table and bucket.
    pub async fn new(app: &TestApp) -> Self {
        Self {
            function: transfers::App {
                context: app.context(),
                files: app.avatars.clone(),
                settings: (),
            },
            stream: TableStream::open(app).await,
        }
    }

    /// Hands the next batch of the stream to the function: how many records
    /// it moved past, and the function's answer.
    pub async fn feed_once(&self) -> (usize, DynamoDbEventResponse) {
        let function = &self.function;
        self.stream
            .feed_once(BATCH, |event| async move { transfers::handle(function, &event).await })
            .await
    }

    /// Feeds the stream to the function until it is drained (every job run
    /// as far as it goes), handing a batch that reported a failure again (at
    /// most [`RETRIES`] times): whether every step succeeded.
    pub async fn settle(&self) -> bool {
        let function = &self.function;
        self.stream
            .settle(BATCH, RETRIES, |event| async move {
                transfers::handle(function, &event).await
            })
            .await
    }
}
