//! The subscriptions Lambda: built once from its environment, then requests.

use clientele_startup::{Error, run_http, service_fn, start};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let function = start(subscriptions::function).await?;
    run_http(service_fn(|request| function.serve(request))).await
}
