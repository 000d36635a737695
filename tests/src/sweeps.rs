//! The sweeper as the cloud runs it: the test table's stream read as
//! Lambda's event source mapping reads it (only new tombstones pass its
//! filter, so the function sees everything here and ignores the rest),
//! handed to the sweeper function; a failed record is handed back, as the
//! mapping retries it.

use aws_lambda_events::event::streams::DynamoDbEventResponse;
use clientele_operations::Context;
use clientele_store::DynamoStore;

use crate::TestApp;
use crate::table_stream::TableStream;

/// Records a batch, as the deployed mapping's `BatchSize`.
const BATCH: usize = 10;

/// One test's sweeper and its place in the stream.
pub struct Sweeps {
    /// The sweeper function.
    pub sweeper: sweeper::App,
    stream: TableStream,
}

impl Sweeps {
    /// The sweeper over `app`'s table and bucket.
    pub async fn new(app: &TestApp) -> Self {
        Self::with_store(app, app.store.clone()).await
    }

    /// The sweeper reaching DynamoDB through `store` (a proxy in front of
    /// DynamoDB Local, for tests that break it).
    pub async fn with_store(app: &TestApp, store: DynamoStore) -> Self {
        Self {
            sweeper: sweeper::App {
                context: Context {
                    store,
                    clock: app.clock.clone(),
                },
                files: app.avatars.clone(),
                settings: (),
            },
            stream: TableStream::open(app).await,
        }
    }

    /// Hands the next batch of the stream to the sweeper: how many records
    /// it moved past, and the sweeper's answer.
    pub async fn feed_once(&self) -> (usize, DynamoDbEventResponse) {
        let sweeper = &self.sweeper;
        self.stream
            .feed_once(BATCH, |event| async move { sweeper::handle(sweeper, &event).await })
            .await
    }

    /// Feeds the stream to the sweeper as Lambda's mapping does, handing a
    /// batch that reported a failure again (at most three times; the
    /// deployed mapping tries ten): whether every sweep finished. For a
    /// sweep that a loaded local DynamoDB may cut short, on a table that
    /// works.
    pub async fn settle(&self) -> bool {
        let sweeper = &self.sweeper;
        self.stream
            .settle(BATCH, 3, |event| async move { sweeper::handle(sweeper, &event).await })
            .await
    }

    /// Feeds the stream to the sweeper until it is drained or a batch
    /// reports a failure; returns whether every sweep succeeded.
    pub async fn run(&self) -> bool {
        let sweeper = &self.sweeper;
        self.stream
            .run(BATCH, |event| async move { sweeper::handle(sweeper, &event).await })
            .await
    }
}
