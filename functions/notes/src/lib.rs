//! The notes route group: notes written about customers, read newest first,
//! deleted. [`routes`] is the group's table.
//!
//! Staff delete the notes they wrote; admins any. A client needs the matching
//! `customers:read`, `customers:write` or `customers:admin` scope; with
//! `customers:write` only, it deletes only the notes it wrote.

pub mod handlers;

use aws_config::SdkConfig;
use clientele_auth::Access;
use clientele_http::{DELETE, GET, HttpFunction, POST, Routes};
use clientele_operations::Context;
use clientele_startup::{ConfigError, Lookup};

/// The routes of the group: one a line, as a table.
#[rustfmt::skip]
pub fn routes() -> Routes<Context> {
    use handlers::*;
    Routes::new()
        .route(POST,   "/api/customers/{customer_id}/notes",            Access::Write, add)
        .route(GET,    "/api/customers/{customer_id}/notes",            Access::Read,  list)
        .route(DELETE, "/api/customers/{customer_id}/notes/{note_id}",  Access::Write, remove)
}

/// The function, built from its environment (`TABLE_NAME`, and
/// `JWT_SECRET_ID` when credentials are checked in-process).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let context = Context::from_env(env, sdk).await?;
    let clients = context.store.clone();
    routes().serve_from_env(context, clients, env, sdk).await
}
