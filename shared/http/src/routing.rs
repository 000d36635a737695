//! Route tables. A route group declares each route once, as data next to its
//! handlers: the method, the path as API Gateway writes it
//! (`/api/customers/{customer_id}/stats`), what the caller needs, and the
//! handler. The same table is what the function serves (an axum `Router`
//! inside `lambda_http`) and what the contract test, the test harness and
//! the docs read, so none of them keeps a copy.
//!
//! Every route answers the same way around its handler:
//! - a path no route has: 404; a known path with another method: 405 with
//!   `Allow` (HEAD included: API Gateway routes only the methods declared);
//! - a path with or without one trailing slash is the same path;
//! - a route's gate finds the caller (401, or 503 when credentials cannot be
//!   checked now) and checks its access (403) before the handler reads
//!   anything; no handler checks a role itself. A refused caller costs no
//!   call to DynamoDB or Secrets Manager (in the cloud its refusal is in the
//!   authorizer's context);
//! - then it spends one request of the caller's business (and client) from
//!   the request budget, or answers 429 with `Retry-After`;
//! - a `POST` sent with an `Idempotency-Key` runs once per key, and its
//!   retries get its first answer ([`crate::idempotency`]).
//!
//! All of them are problem+json.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use aws_config::SdkConfig;
use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use clientele_auth::{Access, Principal, PrincipalKind};
use clientele_startup::{ConfigError, Lookup};
use clientele_store::DynamoStore;
use clientele_store::budget::RequestBudget;
use lambda_http::http::uri::{PathAndQuery, Uri};
use tower::ServiceExt;
use tracing::Instrument;

use crate::auth::{Authenticator, require};
use crate::correlation;
use crate::idempotency::Idempotency;
use crate::problem::ApiError;

/// The methods a route may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

/// `GET`.
pub const GET: Verb = Verb::Get;
/// `POST`.
pub const POST: Verb = Verb::Post;
/// `PUT`.
pub const PUT: Verb = Verb::Put;
/// `PATCH`.
pub const PATCH: Verb = Verb::Patch;
/// `DELETE`.
pub const DELETE: Verb = Verb::Delete;

impl Verb {
    /// Every method, in the order `Allow` lists them.
    pub const ALL: [Verb; 5] = [GET, POST, PUT, PATCH, DELETE];

    /// The method's name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    fn filter(&self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Patch => MethodFilter::PATCH,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One route, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    /// Its method.
    pub method: Verb,
    /// Its path as API Gateway writes it: `{name}` for a parameter.
    pub path: &'static str,
    /// The access its caller needs; `None` for a public route, which takes
    /// no credentials at all.
    pub access: Option<Access>,
}

impl RouteSpec {
    /// Whether a request for `method` and `path` reaches this route.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.method.as_str() == method && self.matches_path(path)
    }

    /// Whether `path` is this route's path: a `{parameter}` stands for any
    /// one segment that is not empty, and one trailing slash is ignored.
    pub fn matches_path(&self, path: &str) -> bool {
        let wanted: Vec<&str> = normalised(self.path).split('/').collect();
        let given: Vec<&str> = normalised(path).split('/').collect();
        wanted.len() == given.len()
            && wanted.iter().zip(&given).all(|(w, g)| {
                if w.starts_with('{') && w.ends_with('}') {
                    !g.is_empty()
                } else {
                    w == g
                }
            })
    }
}

/// A path without its one trailing slash, if it has one.
fn normalised(path: &str) -> &str {
    match path.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => path,
    }
}

/// A route group's routes: the table, and the handlers it dispatches to.
/// `S` is the state every handler is given (the function's clients and
/// settings).
pub struct Routes<S> {
    specs: Vec<RouteSpec>,
    paths: BTreeMap<&'static str, (Vec<Verb>, MethodRouter<S>)>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self {
            specs: Vec::new(),
            paths: BTreeMap::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// No routes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A route for callers with `access`: its gate finds the caller and
    /// checks the access before `handler` reads anything.
    pub fn route<H, T>(self, method: Verb, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let gated = handler.layer(from_fn(move |request: Request, next: Next| {
            gate(access, (method == POST).then_some(path), request, next)
        }));
        self.add(
            RouteSpec {
                method,
                path,
                access: Some(access),
            },
            gated,
        )
    }

    /// A route anyone may call, without credentials.
    pub fn public<H, T>(self, method: Verb, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(
            RouteSpec {
                method,
                path,
                access: None,
            },
            handler,
        )
    }

    fn add<H, T>(mut self, spec: RouteSpec, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let (verbs, endpoint) = self
            .paths
            .entry(normalised(spec.path))
            .or_insert_with(|| (Vec::new(), MethodRouter::new()));
        verbs.push(spec.method);
        *endpoint = std::mem::take(endpoint).on(spec.method.filter(), handler);
        self.specs.push(spec);
        self
    }

    /// The routes, in the order they were declared.
    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    /// The function that serves these routes with `state`, its callers found
    /// as the environment says ([`Authenticator::from_env`]), client
    /// credentials checked against `store`, where the request budget
    /// ([`RequestBudget::from_env`]) is counted too.
    pub async fn serve_from_env(
        self,
        state: S,
        store: DynamoStore,
        env: &impl Lookup,
        sdk: &SdkConfig,
    ) -> Result<HttpFunction, ConfigError> {
        let budget = RequestBudget::from_env(env, store.clone())?;
        let idempotency = Idempotency::new(store.clone());
        let auth = Authenticator::from_env(env, sdk, store).await?;
        Ok(self
            .serve(state, auth)
            .with_budget(budget)
            .with_idempotency(idempotency))
    }

    /// The function that serves these routes with `state`, its callers found
    /// by `auth`.
    pub fn serve(self, state: S, auth: Authenticator) -> HttpFunction {
        let mut router = Router::new();
        for (path, (mut verbs, mut endpoint)) in self.paths {
            verbs.sort();
            verbs.dedup();
            let allowed = verbs.iter().map(Verb::as_str).collect::<Vec<_>>().join(", ");
            if verbs.contains(&GET) {
                endpoint = endpoint.on(MethodFilter::HEAD, not_allowed(allowed.clone()));
            }
            router = router.route(path, endpoint.fallback(not_allowed(allowed)));
        }
        HttpFunction {
            router: router.fallback(not_found).with_state(state),
            auth,
            budget: None,
            idempotency: None,
            routes: self.specs.into(),
        }
    }
}

/// The handler answering 405 for a path whose methods are `allowed`.
fn not_allowed(allowed: String) -> impl Fn() -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    move || {
        std::future::ready(
            ApiError::MethodNotAllowed {
                allowed: allowed.clone(),
            }
            .into_response(),
        )
    }
}

/// The path a request asked for, before its trailing slash was trimmed.
#[derive(Debug, Clone)]
struct RequestedPath(String);

async fn not_found(request: Request) -> Response {
    let path = match request.extensions().get::<RequestedPath>() {
        Some(RequestedPath(path)) => path.clone(),
        None => request.uri().path().to_owned(),
    };
    ApiError::NotFound(format!("There is no route {path}.")).into_response()
}

/// A route's gate: the caller, and the access the route needs, before its
/// handler reads anything. `post_path` is the route's path when it is a
/// `POST`, which runs once per `Idempotency-Key`.
async fn gate(access: Access, post_path: Option<&'static str>, mut request: Request, next: Next) -> Response {
    let Some(auth) = request.extensions().get::<Authenticator>().cloned() else {
        return ApiError::Internal("the route's function has no authenticator".into()).into_response();
    };
    let principal = match auth.principal(request.headers(), request.extensions()).await {
        Ok(principal) => principal,
        Err(refused) => return refused.into_response(),
    };
    if let Err(forbidden) = require(&principal, access) {
        return forbidden.into_response();
    }
    if let Some(budget) = request.extensions().get::<Arc<RequestBudget>>()
        && let Err(spent) = spend(budget, &principal).await
    {
        return spent.into_response();
    }
    request.extensions_mut().insert(principal.clone());
    match (post_path, request.extensions().get::<Arc<Idempotency>>().cloned()) {
        (Some(route), Some(idempotency)) => {
            let customer = path_parameter(route, request.uri().path(), "customer_id").and_then(|id| id.parse().ok());
            idempotency.run(&principal, customer, request, next).await
        }
        _ => next.run(request).await,
    }
}

/// The segment of `path` that stands where the route's path has `{name}`.
fn path_parameter<'a>(route: &str, path: &'a str, name: &str) -> Option<&'a str> {
    let wanted = format!("{{{name}}}");
    normalised(route)
        .split('/')
        .zip(normalised(path).split('/'))
        .find_map(|(w, given)| (w == wanted).then_some(given))
}

/// One request of the caller's business, and of the client that makes it.
async fn spend(budget: &RequestBudget, principal: &Principal) -> Result<(), ApiError> {
    let client = (principal.kind == PrincipalKind::Client).then_some(principal.id.as_str());
    match budget.spend(principal.business_id, client).await {
        Ok(()) => Ok(()),
        Err(spent) => Err(ApiError::BudgetSpent {
            detail: if client.is_some() {
                "This client, or its business, has made as many requests as it may in this window"
            } else {
                "This business has made as many requests as it may in this window"
            },
            retry_after: spent.retry_after_seconds,
        }),
    }
}

/// A route group ready to serve: what a function's `main` hands to the
/// Lambda runtime, and what the tests call with a request built from an API
/// Gateway event.
#[derive(Clone)]
pub struct HttpFunction {
    router: Router,
    auth: Authenticator,
    budget: Option<Arc<RequestBudget>>,
    idempotency: Option<Arc<Idempotency>>,
    routes: Arc<[RouteSpec]>,
}

impl fmt::Debug for HttpFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpFunction")
            .field("auth", &self.auth)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl HttpFunction {
    /// The same function, spending each authenticated request from `budget`.
    pub fn with_budget(mut self, budget: RequestBudget) -> Self {
        self.budget = Some(Arc::new(budget));
        self
    }

    /// The same function, keeping the answers of `POST` requests sent with
    /// an `Idempotency-Key` in `idempotency`.
    pub fn with_idempotency(mut self, idempotency: Idempotency) -> Self {
        self.idempotency = Some(Arc::new(idempotency));
        self
    }

    /// Answers one request, inside a `request` span that gives every log
    /// line written meanwhile the request's id, its route and whether it is
    /// the process's first; the answer names the request's id
    /// ([`correlation`]). Counts it in `Requests` and `Latency`, by route and
    /// status class.
    pub async fn handle(&self, request: lambda_http::Request) -> Response {
        let began = std::time::Instant::now();
        let request_id = correlation::request_id_of(&request);
        let route = self.route_of(request.method().as_str(), request.uri().path());
        let span = tracing::info_span!(
            "request",
            request_id = %request_id,
            route,
            cold_start = clientele_startup::cold_start(),
        );
        async move {
            let response = self.dispatch(request).await;
            let (status, elapsed_ms) = (response.status().as_u16(), began.elapsed().as_secs_f64() * 1000.0);
            tracing::info!(status, elapsed_ms, "answered");
            let class = status_class(status);
            metrics::counter!("Requests", "route" => route.clone(), "status_class" => class).increment(1);
            metrics::histogram!("Latency", "route" => route, "status_class" => class).record(elapsed_ms);
            correlation::named(response, &request_id).await
        }
        .instrument(span)
        .await
    }

    /// The route a request is for, as its table writes it (`GET
    /// /api/customers/{customer_id}`), or `none` when no route matches.
    fn route_of(&self, method: &str, path: &str) -> String {
        self.routes
            .iter()
            .find(|spec| spec.matches(method, path))
            .map_or_else(|| "none".to_owned(), |spec| format!("{} {}", spec.method, spec.path))
    }

    async fn dispatch(&self, mut request: lambda_http::Request) -> Response {
        let requested = request.uri().path().to_owned();
        trim_trailing_slash(&mut request);
        request.extensions_mut().insert(self.auth.clone());
        if let Some(budget) = &self.budget {
            request.extensions_mut().insert(budget.clone());
        }
        if let Some(idempotency) = &self.idempotency {
            request.extensions_mut().insert(idempotency.clone());
        }
        request.extensions_mut().insert(RequestedPath(requested));
        match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// [`HttpFunction::handle`], in the shape the Lambda runtime wants.
    pub async fn serve(&self, request: lambda_http::Request) -> Result<Response, Infallible> {
        Ok(self.handle(request).await)
    }

    /// The routes it serves.
    pub fn routes(&self) -> &[RouteSpec] {
        &self.routes
    }
}

/// The class of an HTTP status, as the `status_class` dimension writes it.
fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Takes one trailing slash off the request's path, keeping its query.
fn trim_trailing_slash<B>(request: &mut lambda_http::http::Request<B>) {
    let path = request.uri().path();
    let trimmed = normalised(path);
    if trimmed.len() == path.len() {
        return;
    }
    let rebuilt = match request.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = PathAndQuery::try_from(rebuilt) {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_matches_its_path_with_any_parameter_and_an_optional_trailing_slash() {
        let spec = RouteSpec {
            method: GET,
            path: "/api/customers/{customer_id}/stats",
            access: Some(Access::Read),
        };
        assert!(spec.matches("GET", "/api/customers/abc/stats"));
        assert!(spec.matches("GET", "/api/customers/abc/stats/"));
        assert!(!spec.matches("POST", "/api/customers/abc/stats"));
        assert!(!spec.matches_path("/api/customers//stats"));
        assert!(!spec.matches_path("/api/customers/abc"));
        let collection = RouteSpec {
            method: POST,
            path: "/api/customers/",
            access: Some(Access::Write),
        };
        assert!(collection.matches_path("/api/customers"));
        assert!(collection.matches_path("/api/customers/"));
        assert!(!collection.matches_path("/api/customersx"));
    }

    #[test]
    fn a_path_parameter_is_the_segment_in_its_place() {
        let route = "/api/customers/{customer_id}/notes";
        assert_eq!(
            path_parameter(route, "/api/customers/abc/notes/", "customer_id"),
            Some("abc")
        );
        assert_eq!(path_parameter(route, "/api/customers/abc/notes", "note_id"), None);
        assert_eq!(path_parameter("/api/customers/", "/api/customers", "customer_id"), None);
    }

    #[test]
    fn statuses_are_counted_by_class() {
        assert_eq!(
            [200, 201, 304, 404, 429, 503].map(status_class),
            ["2xx", "2xx", "3xx", "4xx", "4xx", "5xx"]
        );
    }

    #[test]
    fn one_trailing_slash_is_trimmed_and_the_query_kept() {
        let mut request = lambda_http::http::Request::builder()
            .uri("/api/customers/?limit=2")
            .body(())
            .unwrap();
        trim_trailing_slash(&mut request);
        assert_eq!(request.uri().path(), "/api/customers");
        assert_eq!(request.uri().query(), Some("limit=2"));
        let mut root = lambda_http::http::Request::builder().uri("/").body(()).unwrap();
        trim_trailing_slash(&mut root);
        assert_eq!(root.uri().path(), "/");
    }
}
