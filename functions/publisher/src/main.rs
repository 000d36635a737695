//! The publisher Lambda: clients once, then stream batches.

use clientele_http::config::ProcessEnv;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    clientele_http::init_telemetry();
    let sdk = clientele_store::aws::sdk_config_loader().load().await;
    let app = publisher::App::from_env(&ProcessEnv, &sdk)?;
    run(service_fn(|event| publisher::serve(&app, event))).await
}
