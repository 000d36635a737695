//! The service routes: `GET /` describes the service, `GET /health` says it is
//! alive, and any path no other function serves answers a problem+json 404.
//! No AWS client: this function starts in a few milliseconds.

use std::convert::Infallible;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use clientele_http::response::json;
use clientele_http::{ApiError, respond};

/// The service's name, as `GET /` reports it.
pub const NAME: &str = "clientele";
/// The version built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Answers one request.
pub fn handle(request: &Request) -> Response<Body> {
    respond(dispatch(request))
}

/// [`handle`], in the shape `lambda_http::run` wants.
pub async fn serve(request: Request) -> Result<Response<Body>, Infallible> {
    Ok(handle(&request))
}

fn dispatch(request: &Request) -> Result<Response<Body>, ApiError> {
    let path = request.uri().path();
    let body = match path {
        "/" => json!({
            "service": NAME,
            "version": VERSION,
            "description": "Customer data for multi-tenant business platforms.",
            "links": {"health": "/health", "customers": "/api/customers/"}
        }),
        "/health" => json!({"status": "ok", "version": VERSION}),
        _ => return Err(ApiError::NotFound(format!("There is no route {path}."))),
    };
    if request.method() != Method::GET {
        return Err(ApiError::MethodNotAllowed { allowed: &["GET"] });
    }
    Ok(json(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn call(method: &str, path: &str) -> (u16, Value) {
        let request = lambda_http::http::Request::builder()
            .method(method)
            .uri(path)
            .body(Body::Empty)
            .unwrap();
        let response = handle(&request);
        let body = serde_json::from_slice(response.body().as_ref()).unwrap();
        (response.status().as_u16(), body)
    }

    #[test]
    fn root_and_health_answer() {
        let (status, body) = call("GET", "/");
        assert_eq!((status, body["service"].as_str()), (200, Some(NAME)));
        let (status, body) = call("GET", "/health");
        assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    }

    #[test]
    fn other_paths_and_methods_are_problems() {
        let (status, body) = call("GET", "/nowhere");
        assert_eq!(
            (status, body["type"].as_str()),
            (404, Some("urn:clientele:problem:not-found"))
        );
        let (status, _) = call("POST", "/health");
        assert_eq!(status, 405);
    }
}
