//! The events Lambda: clients and settings once, then events.

use clientele_http::config::ProcessEnv;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    clientele_http::init_telemetry();
    let sdk = clientele_store::aws::sdk_config_loader().load().await;
    let app = events::App::from_env(&ProcessEnv, &sdk).await?;
    run(service_fn(|event| events::serve(&app, event))).await
}
