//! The inbound Lambda: clients and settings once, then events.

use clientele_startup::{Error, run_events, service_fn, start};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = start(inbound::App::from_env).await?;
    run_events(service_fn(|event| inbound::serve(&app, event))).await
}
