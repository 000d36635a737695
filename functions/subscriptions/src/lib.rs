//! The subscriptions route group: a business's plans, and its customers'
//! subscriptions to them. [`routes`] is the group's table.
//!
//! Plans are the business's configuration: admins (`customers:admin`) make
//! and change them, viewers (`customers:read`) read them. A subscription
//! grants tokens, so admins start, change and cancel them; viewers read.
//! Renewals and expiries are not routes: the renewals function makes them
//! when periods end.

pub mod handlers;

use aws_config::SdkConfig;
use clientele_auth::Access;
use clientele_http::{GET, HttpFunction, PATCH, POST, Routes};
use clientele_operations::Context;
use clientele_startup::{ConfigError, Lookup};

/// The routes of the group: one a line, as a table.
#[rustfmt::skip]
pub fn routes() -> Routes<Context> {
    use handlers::*;
    Routes::new()
        .route(POST,  "/api/plans",                                                         Access::Admin, create_plan)
        .route(GET,   "/api/plans",                                                         Access::Read,  plans)
        .route(GET,   "/api/plans/{plan_id}",                                               Access::Read,  plan)
        .route(PATCH, "/api/plans/{plan_id}",                                               Access::Admin, update_plan)
        .route(POST,  "/api/customers/{customer_id}/subscriptions",                         Access::Admin, subscribe)
        .route(GET,   "/api/customers/{customer_id}/subscriptions",                         Access::Read,  of_customer)
        .route(GET,   "/api/customers/{customer_id}/subscriptions/{subscription_id}",        Access::Read,  get)
        .route(PATCH, "/api/customers/{customer_id}/subscriptions/{subscription_id}",        Access::Admin, change_plan)
        .route(POST,  "/api/customers/{customer_id}/subscriptions/{subscription_id}/cancel", Access::Admin, cancel)
}

/// The function, built from its environment (`TABLE_NAME`, and
/// `JWT_SECRET_ID` when credentials are checked in-process).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let context = Context::from_env(env, sdk).await?;
    let clients = context.store.clone();
    routes().serve_from_env(context, clients, env, sdk).await
}
