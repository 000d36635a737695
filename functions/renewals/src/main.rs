//! The renewals Lambda: the table once, then each scheduled run.

use clientele_startup::{Error, run_events, service_fn, start};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = start(renewals::App::from_env).await?;
    run_events(service_fn(|event| renewals::serve(&app, event))).await
}
