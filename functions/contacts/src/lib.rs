//! The contacts route group: the people at a customer, with their channels
//! and marketing consent, and the customer's primary contact. The paths are
//! the CRM's (`/api/contacts/...`). [`routes`] is the group's table.
//!
//! Staff (and a client with `customers:write`) add, replace and choose the
//! primary contact; admins (`customers:admin`) remove contacts; viewers
//! (`customers:read`) read.

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
        .route(POST,   "/api/contacts",                            Access::Write, add)
        .route(GET,    "/api/contacts/customer/{customer_id}",     Access::Read,  of_customer)
        .route(GET,    "/api/contacts/search",                     Access::Read,  search)
        .route(GET,    "/api/contacts/{contact_id}",               Access::Read,  get)
        .route(PUT,    "/api/contacts/{contact_id}",               Access::Write, replace)
        .route(DELETE, "/api/contacts/{contact_id}",               Access::Admin, remove)
        .route(PUT,    "/api/contacts/{contact_id}/primary",       Access::Write, make_primary)
}

/// The function, built from its environment (`TABLE_NAME`, and
/// `JWT_SECRET_ID` when credentials are checked in-process).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let context = Context::from_env(env, sdk).await?;
    let clients = context.store.clone();
    routes().serve_from_env(context, clients, env, sdk).await
}
