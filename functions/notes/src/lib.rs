//! The notes route group (seed 002's paths): one Lambda binary serving
//!
//! | method | path                                            | needs  |
//! |--------|-------------------------------------------------|--------|
//! | POST   | `/api/customers/{customer_id}/notes`            | staff  |
//! | GET    | `/api/customers/{customer_id}/notes`            | viewer |
//! | DELETE | `/api/customers/{customer_id}/notes/{note_id}`  | staff, for the notes they wrote; admin, any |
//!
//! (A client needs the matching `customers:read`, `customers:write` or
//! `customers:admin` scope; with `customers:write` only, it deletes only the
//! notes it wrote.)

pub mod handlers;
pub mod routes;

use std::convert::Infallible;
use std::sync::Arc;

use aws_config::SdkConfig;
use lambda_http::{Body, Request, Response};

use clientele_core::{Clock, CustomerReader, NoteStore, SystemClock};
use clientele_http::config::{ConfigError, Lookup, authenticator, required};
use clientele_http::{ApiError, Authenticator, respond};
use clientele_store::DynamoStore;

use crate::routes::Route;

/// Everything a request needs, built once per process.
pub struct App<S> {
    /// Where customers and their notes are kept.
    pub store: S,
    /// How the caller is found.
    pub auth: Authenticator,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
}

impl App<DynamoStore> {
    /// Builds the function from its environment (`TABLE_NAME` and the
    /// authenticator's variables), and opens the first DynamoDB connection.
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), required(env, "TABLE_NAME")?);
        let app = Self {
            auth: authenticator(env, sdk, store.clone()).await?,
            clock: Arc::new(SystemClock),
            store,
        };
        app.store.warm_up().await;
        Ok(app)
    }
}

/// Answers one request.
pub async fn handle<S: CustomerReader + NoteStore>(app: &App<S>, request: Request) -> Response<Body> {
    respond(dispatch(app, &request).await)
}

/// [`handle`], in the shape `lambda_http::run` wants.
pub async fn serve<S: CustomerReader + NoteStore>(
    app: &App<S>,
    request: Request,
) -> Result<Response<Body>, Infallible> {
    Ok(handle(app, request).await)
}

async fn dispatch<S: CustomerReader + NoteStore>(app: &App<S>, request: &Request) -> Result<Response<Body>, ApiError> {
    let route = Route::resolve(request.method(), request.uri().path())?;
    let principal = app.auth.principal(request).await?;
    match route {
        Route::Add(customer) => handlers::add(app, &principal, request, customer).await,
        Route::List(customer) => handlers::list(app, &principal, request, customer).await,
        Route::Remove(customer, note) => handlers::remove(app, &principal, customer, note).await,
    }
}
