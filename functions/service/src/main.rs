//! The service Lambda: `/`, `/health`, and 404s for unknown paths (and,
//! under `make run`, the API reference page). It needs no AWS client, so it
//! skips the SDK's configuration.

use clientele_startup::{Error, ProcessEnv, run_http, service_fn, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let service = service::Service::from_env(&ProcessEnv)?;
    run_http(service_fn(|request| service.serve(request))).await
}
