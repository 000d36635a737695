//! The transfers Lambda: clients once, then stream batches.

use clientele_startup::{Error, run_events, service_fn, start};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = start(transfers::app).await?;
    run_events(service_fn(|event| transfers::serve(&app, event))).await
}
