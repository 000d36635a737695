//! The users route group: the people who sign in for a customer (its team,
//! not the platform user the customer record belongs to), and their password
//! resets. [`routes`] is the group's table.
//!
//! Staff (and a client with `customers:write`) add users, change them and
//! ask for password resets; admins (`customers:admin`) remove them; viewers
//! (`customers:read`) read.

pub mod handlers;

use aws_config::SdkConfig;
use clientele_auth::Access;
use clientele_http::{DELETE, GET, HttpFunction, PATCH, POST, Routes};
use clientele_operations::Context;
use clientele_startup::{ConfigError, Lookup};

/// The routes of the group: one a line, as a table.
#[rustfmt::skip]
pub fn routes() -> Routes<Context> {
    use handlers::*;
    Routes::new()
        .route(POST,   "/api/customers/{customer_id}/users",                          Access::Write, add)
        .route(GET,    "/api/customers/{customer_id}/users",                          Access::Read,  of_customer)
        .route(GET,    "/api/customers/{customer_id}/users/{user_id}",                Access::Read,  get)
        .route(PATCH,  "/api/customers/{customer_id}/users/{user_id}",                Access::Write, update)
        .route(DELETE, "/api/customers/{customer_id}/users/{user_id}",                Access::Admin, remove)
        .route(POST,   "/api/customers/{customer_id}/users/{user_id}/password-reset", Access::Write, password_reset)
}

/// The function, built from its environment (`TABLE_NAME`, and
/// `JWT_SECRET_ID` when credentials are checked in-process).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let context = Context::from_env(env, sdk).await?;
    let clients = context.store.clone();
    routes().serve_from_env(context, clients, env, sdk).await
}
