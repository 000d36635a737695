//! The interactions route group: what happened between a business and its
//! customers (calls, meetings, emails, messages, visits), each customer's
//! timeline, the business's interactions by day, their statistics, and
//! search by subject. The paths are the CRM's (`/api/interactions/...`).
//! [`routes`] is the group's table.
//!
//! Staff (and a client with `customers:write`) log interactions and change
//! the ones they logged; admins (`customers:admin`) change any and remove
//! them; viewers (`customers:read`) read.

pub mod handlers;

use aws_config::SdkConfig;
use clientele_auth::Access;
use clientele_http::{DELETE, GET, HttpFunction, POST, PUT, Routes};
use clientele_operations::Context;
use clientele_startup::{ConfigError, Lookup};

/// The routes of the group: one a line, as a table.
#[rustfmt::skip]
pub fn routes() -> Routes<Context> {
    use handlers::*;
    Routes::new()
        .route(POST,   "/api/interactions",                          Access::Write, log)
        .route(GET,    "/api/interactions/customer/{customer_id}",   Access::Read,  timeline)
        .route(GET,    "/api/interactions/date-range",               Access::Read,  in_range)
        .route(GET,    "/api/interactions/statistics",               Access::Read,  statistics)
        .route(GET,    "/api/interactions/search",                   Access::Read,  search)
        .route(GET,    "/api/interactions/{interaction_id}",         Access::Read,  get)
        .route(PUT,    "/api/interactions/{interaction_id}",         Access::Write, replace)
        .route(DELETE, "/api/interactions/{interaction_id}",         Access::Admin, remove)
}

/// The function, built from its environment (`TABLE_NAME`, and
/// `JWT_SECRET_ID` when credentials are checked in-process).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let context = Context::from_env(env, sdk).await?;
    let clients = context.store.clone();
    routes().serve_from_env(context, clients, env, sdk).await
}
