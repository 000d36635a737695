//! The service Lambda: `/`, `/health`, and 404s for unknown paths.

use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    clientele_http::init_telemetry();
    run(service_fn(service::serve)).await
}
