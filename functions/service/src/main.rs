//! The service Lambda: `/`, `/health`, and 404s for unknown paths. It needs
//! no settings and no AWS client, so it skips the SDK's configuration.

use clientele_startup::{Error, run_http, service_fn, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let function = service::function();
    run_http(service_fn(|request| function.serve(request))).await
}
