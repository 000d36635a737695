//! The auth-check Lambda: telemetry, keys and clients once, then decisions.

use clientele_http::config::ProcessEnv;
use lambda_runtime::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    clientele_http::init_telemetry();
    let sdk = clientele_store::aws::sdk_config_loader().load().await;
    let authorizer = auth_check::Authorizer::from_env(&ProcessEnv, &sdk).await?;
    run(service_fn(|event| auth_check::serve(&authorizer, event))).await
}
