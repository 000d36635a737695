//! The customers route group: customers created, read, listed, searched,
//! counted by segment, gathered in saved segments and lists, changed,
//! replaced and deleted; their statistics, orders, avatars, lifecycle and
//! audit trail. [`routes`] is the group's table: every route's method, path,
//! the access it needs and its handler.

pub mod handlers;
pub mod orders;
pub mod saved_segments;
pub mod transfers;
pub mod upload;

use std::sync::Arc;

use aws_config::SdkConfig;
use clientele_auth::Access;
use clientele_core::Rate;
use clientele_http::{DELETE, GET, HttpFunction, PATCH, POST, PUT, Routes};
use clientele_operations::FileContext;
use clientele_startup::{ConfigError, Lookup, parsed_or};

/// The routes of the group: one a line, as a table.
#[rustfmt::skip]
pub fn routes() -> Routes<Arc<App>> {
    use handlers::*;
    Routes::new()
        .route(GET,    "/api/customers/",                         Access::Read,  list)
        .route(POST,   "/api/customers/",                         Access::Write, create)
        .route(GET,    "/api/customers/search",                   Access::Read,  search)
        .route(GET,    "/api/customers/segments",                 Access::Read,  segments)
        .route(POST,   "/api/customers/segments",                 Access::Admin, saved_segments::save)
        .route(POST,   "/api/customers/imports",                  Access::Write, transfers::begin_import)
        .route(GET,    "/api/customers/imports/{import_id}",      Access::Write, transfers::import)
        .route(POST,   "/api/customers/imports/{import_id}/start", Access::Write, transfers::start_import)
        .route(GET,    "/api/customers/imports/{import_id}/rows", Access::Write, transfers::import_rows)
        .route(POST,   "/api/customers/exports",                  Access::Admin, transfers::begin_export)
        .route(GET,    "/api/customers/exports/{export_id}",      Access::Admin, transfers::export)
        .route(GET,    "/api/customers/segments/saved",           Access::Read,  saved_segments::list)
        .route(GET,    "/api/customers/segments/{segment_id}",    Access::Read,  saved_segments::get)
        .route(DELETE, "/api/customers/segments/{segment_id}",    Access::Admin, saved_segments::delete)
        .route(GET,    "/api/customers/segments/{segment_id}/customers", Access::Read, saved_segments::members)
        .route(PUT,    "/api/customers/segments/{segment_id}/customers/{customer_id}", Access::Admin, saved_segments::add_member)
        .route(DELETE, "/api/customers/segments/{segment_id}/customers/{customer_id}", Access::Admin, saved_segments::remove_member)
        .route(GET,    "/api/customers/{customer_id}",            Access::Read,  get)
        .route(PATCH,  "/api/customers/{customer_id}",            Access::Write, update)
        .route(PUT,    "/api/customers/{customer_id}",            Access::Write, replace)
        .route(DELETE, "/api/customers/{customer_id}",            Access::Admin, delete)
        .route(GET,    "/api/customers/{customer_id}/stats",      Access::Read,  stats)
        .route(GET,    "/api/customers/{customer_id}/statistics", Access::Read,  orders::statistics)
        .route(GET,    "/api/customers/{customer_id}/orders",     Access::Read,  orders::history)
        .route(GET,    "/api/customers/{customer_id}/orders/{order_id}", Access::Read, orders::order)
        .route(POST,   "/api/customers/{customer_id}/avatar",     Access::Write, set_avatar)
        .route(GET,    "/api/customers/{customer_id}/avatar",     Access::Read,  avatar)
        .route(POST,   "/api/customers/{customer_id}/validate",   Access::Admin, lifecycle_step::<Validate>)
        .route(POST,   "/api/customers/{customer_id}/suspend",    Access::Admin, lifecycle_step::<Suspend>)
        .route(POST,   "/api/customers/{customer_id}/reactivate", Access::Admin, lifecycle_step::<Reactivate>)
        .route(GET,    "/api/customers/{customer_id}/audit",      Access::Admin, audit_trail)
}

/// The group's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Updates allowed per customer (`CUSTOMER_PATCH_RATE`, default `5/minute`).
    pub patch_rate: Rate,
}

impl Settings {
    /// Reads the settings.
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        Ok(Self {
            patch_rate: parsed_or(env, "CUSTOMER_PATCH_RATE", Rate::DEFAULT_UPDATE_RATE)?,
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            patch_rate: Rate::DEFAULT_UPDATE_RATE,
        }
    }
}

/// Everything a request needs, built once per process: the table, the
/// bucket and the group's [`Settings`].
pub type App = FileContext<Settings>;

/// The function, built from its environment: the group's routes over its
/// [`App`], callers found as the environment says (`JWT_SECRET_ID`).
pub async fn function(env: &impl Lookup, sdk: &SdkConfig) -> Result<HttpFunction, ConfigError> {
    let app = App::from_env(env, sdk, Settings::from_env(env)?).await?;
    let clients = app.context.store.clone();
    routes().serve_from_env(Arc::new(app), clients, env, sdk).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patch_rate_defaults_to_five_a_minute_and_is_configurable() {
        let none = |_: &str| None;
        assert_eq!(Settings::from_env(&none).unwrap().patch_rate.to_string(), "5/minute");
        let set = |name: &str| (name == "CUSTOMER_PATCH_RATE").then(|| "10/hour".to_owned());
        assert_eq!(Settings::from_env(&set).unwrap().patch_rate.to_string(), "10/hour");
        let bad = |name: &str| (name == "CUSTOMER_PATCH_RATE").then(|| "lots".to_owned());
        assert!(Settings::from_env(&bad).is_err());
    }
}
