//! The auth-check Lambda: keys and clients once, then decisions.

use clientele_startup::{Error, run_events, service_fn, start};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let authorizer = start(auth_check::Authorizer::from_env).await?;
    run_events(service_fn(|event| auth_check::serve(&authorizer, event))).await
}
