//! The service routes: `GET /` describes the service, `GET /health` says it is
//! alive, and any path no other function serves answers a problem+json 404
//! (the API's catch-all route reaches this function). No AWS client: this
//! function starts in a few milliseconds.

use lambda_http::http::StatusCode;
use serde_json::json;

use clientele_http::response::json;
use clientele_http::{Authenticator, GET, HttpFunction, Response, Routes};

/// The service's name, as `GET /` reports it.
pub const NAME: &str = "clientele";
/// The version built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The routes of the group: public, no credentials.
#[rustfmt::skip]
pub fn routes() -> Routes<()> {
    Routes::new()
        .public(GET, "/",       root)
        .public(GET, "/health", health)
}

/// The function: its routes, and a 404 for any other path.
pub fn function() -> HttpFunction {
    routes().serve((), Authenticator::Gateway)
}

/// `GET /`: what this is, and where to go.
pub async fn root() -> Response {
    json(
        StatusCode::OK,
        &json!({
            "service": NAME,
            "version": VERSION,
            "description": "Customer data for multi-tenant business platforms.",
            "links": {"health": "/health", "customers": "/api/customers/"}
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
