//! The service routes: `GET /` describes the service, `GET /health` says it is
//! alive, and any path no other function serves answers a problem+json 404
//! (the API's catch-all route reaches this function). No AWS client: this
//! function starts in a few milliseconds.
//!
//! Under `make run` it also serves the API reference page at `/docs`, from
//! the file `API_REFERENCE_PAGE` names; in the cloud nothing names one, and
//! the page is published as a file (`make docs`), not as a route.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::http::{HeaderValue, Method, StatusCode};
use serde_json::json;

use clientele_http::response::json;
use clientele_http::{Authenticator, GET, HttpFunction, Response, Routes};
use clientele_startup::{ConfigError, Lookup};

/// The service's name, as `GET /` reports it.
pub const NAME: &str = "clientele";
/// The version built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Where the API reference page is served, when it is.
pub const REFERENCE_PATH: &str = "/docs";

/// Whether this process serves the API reference page: `GET /` then
/// links to it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reference(pub bool);

/// The routes of the group: public, no credentials.
#[rustfmt::skip]
pub fn routes() -> Routes<Reference> {
    Routes::new()
        .public(GET, "/",       root)
        .public(GET, "/health", health)
}

/// The function: its routes, and a 404 for any other path.
pub fn function() -> HttpFunction {
    routes().serve(Reference(false), Authenticator::Gateway)
}

/// The function, and the API reference page when one is served.
#[derive(Debug, Clone)]
pub struct Service {
    function: HttpFunction,
    reference: Option<Arc<str>>,
}

impl Service {
    /// Reads `API_REFERENCE_PAGE`, the page's file, when it is set.
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        let reference = match env.get("API_REFERENCE_PAGE").filter(|p| !p.is_empty()) {
            Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| ConfigError::Invalid {
                name: "API_REFERENCE_PAGE",
                reason: format!("{path}: {e}"),
            })?),
            None => None,
        };
        Ok(Self::new(reference))
    }

    /// The service, serving `page` at [`REFERENCE_PATH`] when there is one.
    pub fn new(page: Option<String>) -> Self {
        let served = Reference(page.is_some());
        Self {
            function: routes().serve(served, Authenticator::Gateway),
            reference: page.map(Arc::from),
        }
    }

    /// Answers one request.
    pub async fn handle(&self, request: lambda_http::Request) -> Response {
        let path = request.uri().path();
        let asks_for_page = request.method() == Method::GET && (path == REFERENCE_PATH || path == "/docs/");
        match (&self.reference, asks_for_page) {
            (Some(page), true) => {
                let mut response = Response::new(axum::body::Body::from(page.to_string()));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                response
            }
            _ => self.function.handle(request).await,
        }
    }

    /// [`Service::handle`], in the shape the Lambda runtime wants.
    pub async fn serve(&self, request: lambda_http::Request) -> Result<Response, Infallible> {
        Ok(self.handle(request).await)
    }
}

/// `GET /`: what this is, and where to go.
pub async fn root(State(Reference(reference)): State<Reference>) -> Response {
    let mut links = json!({"health": "/health", "customers": "/api/customers/"});
    if reference {
        links["reference"] = json!(REFERENCE_PATH);
    }
    json(
        StatusCode::OK,
        &json!({
            "service": NAME,
            "version": VERSION,
            "description": "Customer data for multi-tenant business platforms.",
            "links": links
        }),
    )
}

/// `GET /health`: alive.
pub async fn health() -> Response {
    json(StatusCode::OK, &json!({"status": "ok", "version": VERSION}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    async fn call(method: &str, path: &str) -> (u16, Value) {
        let request = lambda_http::http::Request::builder()
            .method(method)
            .uri(path)
            .body(lambda_http::Body::Empty)
            .unwrap();
        let response = function().handle(request).await;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        if bytes.is_empty() {
            return (status, Value::Null);
        }
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn the_reference_page_is_served_and_linked_only_when_there_is_one() {
        let get = |path: &str| {
            lambda_http::http::Request::builder()
                .uri(path)
                .body(lambda_http::Body::Empty)
                .unwrap()
        };
        let read = |response: Response| async move {
            let status = response.status().as_u16();
            let kind = response.headers().get(CONTENT_TYPE).cloned();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            (status, kind, String::from_utf8(body.to_vec()).unwrap())
        };
        let with = Service::new(Some("<!doctype html><title>reference</title>".to_owned()));
        let (status, kind, body) = read(with.handle(get("/docs")).await).await;
        assert_eq!(
            (status, body.as_str()),
            (200, "<!doctype html><title>reference</title>")
        );
        assert_eq!(kind.unwrap(), "text/html; charset=utf-8");
        let (_, _, root) = read(with.handle(get("/")).await).await;
        assert_eq!(
            serde_json::from_str::<Value>(&root).unwrap()["links"]["reference"],
            "/docs"
        );

        let without = Service::new(None);
        let (status, _, _) = read(without.handle(get("/docs")).await).await;
        assert_eq!(status, 404, "not a route where no page is served");
        let (_, _, root) = read(without.handle(get("/")).await).await;
        assert!(
            serde_json::from_str::<Value>(&root).unwrap()["links"]
                .get("reference")
                .is_none()
        );
        let env = |name: &str| (name == "API_REFERENCE_PAGE").then(|| "/nonexistent/page.html".to_owned());
        assert!(
            Service::from_env(&env).is_err(),
            "a page named but missing stops the start"
        );
    }

    #[tokio::test]
    async fn root_and_health_answer() {
        let (status, body) = call("GET", "/").await;
        assert_eq!((status, body["service"].as_str()), (200, Some(NAME)));
        let (status, body) = call("GET", "/health").await;
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    }

    #[tokio::test]
    async fn other_paths_and_methods_are_problems() {
        let (status, body) = call("GET", "/nowhere").await;
        assert_eq!(
            (status, body["type"].as_str()),
            (404, Some("urn:clientele:problem:not-found"))
        );
        let (status, body) = call("POST", "/health").await;
        assert_eq!(
            (status, body["type"].as_str()),
            (405, Some("urn:clientele:problem:method-not-allowed"))
        );
        let (status, body) = call("HEAD", "/health").await;
        assert_eq!(status, 405, "API Gateway routes only the methods declared");
        assert_eq!(body, Value::Null, "an answer to HEAD has no body");
    }
}
