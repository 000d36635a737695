//! The tokens route group: a customer's balance, its ledger, and the
//! movements that write it. [`routes`] is the group's table.
//!
//! Viewers (`customers:read`) read the balance and the ledger; staff (and a
//! client with `customers:write`) spend; every other movement (a purchase,
//! an allocation, a refund, an adjustment) is for admins
//! (`customers:admin`). Every movement takes a `movement_key`: asked again
//! with the same key, it answers 200 with the entry it made the first time.

pub mod handlers;

use aws_config::SdkConfig;
use clientele_auth::Access;
use clientele_http::{GET, HttpFunction, POST, Routes};
use clientele_operations::Context;
use clientele_startup::{ConfigError, Lookup};

/// The routes of the group: one a line, as a table.
#[rustfmt::skip]
pub fn routes() -> Routes<Context> {
    use handlers::*;
    Routes::new()
        .route(GET,  "/api/customers/{customer_id}/tokens",          Access::Read,  balance)
        .route(GET,  "/api/customers/{customer_id}/tokens/ledger",   Access::Read,  ledger)
        .route(POST, "/api/customers/{customer_id}/tokens/use",      Access::Write, spend)
        .route(POST, "/api/customers/{customer_id}/tokens/purchase", Access::Admin, purchase)
        .route(POST, "/api/customers/{customer_id}/tokens/allocate", Access::Admin, allocate)
        .route(POST, "/api/customers/{customer_id}/tokens/refund",   Access::Admin, refund)
        .route(POST, "/api/customers/{customer_id}/tokens/adjust",   Access::Admin, adjust)
}

/// The function, built from its environment (`TABLE_NAME`, and
/// `JWT_SECRET_ID` when credentials are checked in-process).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let context = Context::from_env(env, sdk).await?;
    let clients = context.store.clone();
    routes().serve_from_env(context, clients, env, sdk).await
}
