//! What every HTTP function shares: problem+json errors, JSON bodies, the
//! caller's principal, path and query parsing, and conditional requests.
//!
//! A route handler returns `Result<Response<Body>, ApiError>`; [`respond`]
//! turns the error side into its problem document, so no handler builds an
//! error response by hand.

pub mod auth;
pub mod body;
pub mod config;
pub mod problem;
pub mod request;
pub mod response;
pub mod upload;

pub use auth::{Authenticator, require};
pub use problem::{ApiError, PROBLEM_JSON, Problem};

use lambda_http::{Body, Response};

/// The response for a handler's result.
pub fn respond(result: Result<Response<Body>, ApiError>) -> Response<Body> {
    result.unwrap_or_else(ApiError::into_response)
}

/// Starts the tracing subscriber Lambda's log settings ask for
/// (`AWS_LAMBDA_LOG_FORMAT=JSON`, `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`).
pub fn init_telemetry() {
    lambda_http::tracing::init_default_subscriber();
}
