//! The customers route group: one Lambda binary serving
//!
//! | method | path                          | needs  |
//! |--------|-------------------------------|--------|
//! | POST   | `/api/customers/`             | staff  |
//! | GET    | `/api/customers/`             | viewer |
//! | GET    | `/api/customers/{id}`         | viewer |
//! | PATCH  | `/api/customers/{id}`         | staff  |
//! | DELETE | `/api/customers/{id}`         | admin  |
//! | GET    | `/api/customers/{id}/stats`   | viewer |
//! | POST   | `/api/customers/{id}/avatar`  | staff  |
//! | GET    | `/api/customers/{id}/avatar`  | viewer |
//! | POST   | `/api/customers/{id}/validate`, `/suspend`, `/reactivate` | admin |
//!
//! [`handle`] is the whole function: tests call it with a `lambda_http::Request`
//! exactly as the runtime does.

pub mod handlers;
pub mod routes;

use std::convert::Infallible;
use std::sync::Arc;

use aws_config::SdkConfig;
use lambda_http::{Body, Request, Response};

use clientele_avatars::AvatarBucket;
use clientele_core::{Clock, CustomerReader, CustomerWriter, Rate, SystemClock};
use clientele_http::config::{ConfigError, Lookup, authenticator, parsed_or, required};
use clientele_http::{ApiError, Authenticator, respond};
use clientele_store::DynamoStore;

use crate::routes::Route;

/// Settings of this function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Updates allowed per customer (`CUSTOMER_PATCH_RATE`, default `5/minute`).
    pub patch_rate: Rate,
}

impl Settings {
    /// The default rate of seed 002.
    pub const DEFAULT_PATCH_RATE: Rate = Rate {
        limit: 5,
        period_seconds: 60,
    };

    /// Reads the settings.
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        Ok(Self {
            patch_rate: parsed_or(env, "CUSTOMER_PATCH_RATE", Self::DEFAULT_PATCH_RATE)?,
        })
    }
}

/// Everything a request needs, built once per process.
pub struct App<S> {
    /// Where customers are kept.
    pub store: S,
    /// How the caller is found.
    pub auth: Authenticator,
    /// Where avatar images are kept.
    pub avatars: AvatarBucket,
    /// This function's settings.
    pub settings: Settings,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
}

impl App<DynamoStore> {
    /// Builds the function from its environment (`TABLE_NAME`,
    /// `AVATAR_BUCKET`, `CUSTOMER_PATCH_RATE`, and the authenticator's
    /// variables), and opens the first DynamoDB connection.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), required(env, "TABLE_NAME")?);
        let app = Self {
            auth: authenticator(env, sdk, store.clone()).await?,
            avatars: AvatarBucket::new(sdk, required(env, "AVATAR_BUCKET")?),
            settings: Settings::from_env(env)?,
            clock: Arc::new(SystemClock),
            store,
        };
        app.store.warm_up().await;
        Ok(app)
    }
}

/// Answers one request.
pub async fn handle<S: CustomerReader + CustomerWriter>(app: &App<S>, request: Request) -> Response<Body> {
    respond(dispatch(app, &request).await)
}

/// [`handle`], in the shape `lambda_http::run` wants.
pub async fn serve<S: CustomerReader + CustomerWriter>(
    app: &App<S>,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    Ok(handle(app, request).await)
}

async fn dispatch<S: CustomerReader + CustomerWriter>(
    app: &App<S>,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let route = Route::resolve(request.method(), request.uri().path())?;
    let principal = app.auth.principal(request).await?;
    match route {
        Route::List => handlers::list(app, &principal, request).await,
        Route::Create => handlers::create(app, &principal, request).await,
        Route::Get(id) => handlers::get(app, &principal, request, id).await,
        Route::Update(id) => handlers::update(app, &principal, request, id).await,
        Route::Delete(id) => handlers::delete(app, &principal, request, id).await,
        Route::Stats(id) => handlers::stats(app, &principal, id).await,
        Route::SetAvatar(id) => handlers::set_avatar(app, &principal, request, id).await,
        Route::Avatar(id) => handlers::avatar(app, &principal, id).await,
        Route::Lifecycle(id, which) => handlers::lifecycle(app, &principal, request, id, which).await,
    }
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
