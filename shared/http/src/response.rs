//! Successful responses: JSON bodies, pages, entity tags.

use axum::body::Body;
use axum::response::Response;
use lambda_http::http::header::{CONTENT_TYPE, ETAG, HeaderName};
use lambda_http::http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::problem::ApiError;

/// The body of a page of results: `{"items": [...], "next_cursor": ...}`.
#[derive(Debug, Serialize)]
pub struct PageBody<T> {
    /// The results.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub next_cursor: Option<String>,
}

/// The body of a whole, unpaged list: `{"items": [...]}`.
#[derive(Debug, Serialize)]
pub struct ItemsBody<T> {
    /// The results.
    pub items: Vec<T>,
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => {
            let mut response = Response::new(Body::from(text));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => axum::response::IntoResponse::into_response(ApiError::Internal(Box::new(error))),
    }
}

/// An empty response.
pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// The response with one more header. Values are the service's own; one that
/// is not a valid header value is left out (and logged) rather than panicking.
pub fn with_header(mut response: Response, name: HeaderName, value: &str) -> Response {
    match HeaderValue::from_str(value) {
        Ok(value) => {
            response.headers_mut().insert(name, value);
        }
        Err(_) => tracing::error!(header = %name, "left out a header with an invalid value"),
    }
    response
}

/// The strong entity tag of a record version.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// The response tagged with a record version's ETag.
pub fn tagged(response: Response, version: u64) -> Response {
    with_header(response, ETAG, &etag(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_sets_the_content_type() {
        let response = json(StatusCode::CREATED, &serde_json::json!({"a": 1}));
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn a_tag_is_the_quoted_version() {
        assert_eq!(etag(7), "\"7\"");
        assert_eq!(tagged(empty(StatusCode::OK), 3).headers()[ETAG], "\"3\"");
    }
}
