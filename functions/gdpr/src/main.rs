//! The gdpr Lambda: telemetry, clients and settings once, then requests.

use clientele_http::config::ProcessEnv;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    clientele_http::init_telemetry();
    let sdk = clientele_store::aws::sdk_config_loader().load().await;
    let app = gdpr::App::from_env(&ProcessEnv, &sdk).await?;
    run(service_fn(|request| gdpr::serve(&app, request))).await
}
