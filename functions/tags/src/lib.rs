//! The tags route group: labels put on customers, listed by priority, taken
//! off. [`routes`] is the group's table.
//!
//! A client needs the matching `customers:read`, `customers:write` or
//! `customers:admin` scope.

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
        .route(POST,   "/api/customers/tags/",                          Access::Write, create)
        .route(GET,    "/api/customers/tags/customer/{customer_id}",    Access::Read,  list_of)
        .route(DELETE, "/api/customers/tags/{tag_id}",                  Access::Admin, remove)
        .route(POST,   "/api/customers/{customer_id}/tags",             Access::Write, add_to)
        .route(DELETE, "/api/customers/{customer_id}/tags/{tag_id}",    Access::Admin, remove_from)
}

/// The function, built from its environment (`TABLE_NAME`, and
/// `JWT_SECRET_ID` when credentials are checked in-process).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let context = Context::from_env(env, sdk).await?;
    let clients = context.store.clone();
    routes().serve_from_env(context, clients, env, sdk).await
}
