//! The HTTP kit every route group is built with: the route table
//! ([`Routes`]), the extractors a handler takes ([`extract`]), problem+json
//! errors ([`ApiError`]), responses, and finding the caller
//! ([`Authenticator`]).
//!
//! A route group is a table of routes next to their handlers:
//!
//! ```ignore
//! pub fn routes() -> Routes<Arc<App>> {
//!     Routes::new()
//!         .route(GET, "/api/customers/{customer_id}/stats", Access::Read, handlers::stats)
//! }
//!
//! async fn stats(
//!     State(app): State<Arc<App>>,
//!     Caller(principal): Caller,
//!     PathId(id): PathId<CustomerId>,
//! ) -> Result<Response, ApiError> { ... }
//! ```
//!
//! A handler returns `Result<Response, ApiError>`; the error side is its
//! problem document, so no handler builds an error response by hand.

pub mod auth;
pub mod body;
pub mod correlation;
pub mod extract;
pub mod idempotency;
pub mod problem;
pub mod query;
pub mod response;
pub mod routing;

pub use auth::Authenticator;
pub use axum::extract::State;
pub use axum::response::Response;
pub use extract::{Caller, IfMatch, IfNoneMatch, JsonObject, JsonValue, MergePatch, OptionalJsonObject, PathId};
pub use idempotency::{AnswerAbout, about};
pub use problem::{ApiError, FieldProblem, Location, PROBLEM_JSON, Problem};
pub use query::QueryReader;
pub use routing::{DELETE, GET, HttpFunction, PATCH, POST, PUT, RouteSpec, Routes, Verb};
