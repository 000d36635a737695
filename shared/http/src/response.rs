//! Successful responses, and the conditional-request headers around them.

use lambda_http::http::header::{CONTENT_TYPE, ETAG, HeaderName, IF_MATCH, IF_NONE_MATCH};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use clientele_core::{Location, Precondition, ValidationErrors};

use crate::problem::ApiError;

/// The body of a page of results: `{"items": [...], "next_cursor": ...}`.
#[derive(Debug, Serialize)]
pub struct PageBody<T> {
    /// The results.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub next_cursor: Option<String>,
}

impl<T> From<clientele_core::Page<T>> for PageBody<T> {
    fn from(page: clientele_core::Page<T>) -> Self {
        Self {
            items: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// The body of a whole, unpaged list: `{"items": [...]}`.
#[derive(Debug, Serialize)]
pub struct ItemsBody<T> {
    /// The results.
    pub items: Vec<T>,
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    match serde_json::to_string(body) {
        Ok(text) => {
            let mut response = Response::new(Body::Text(text));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => ApiError::Internal(Box::new(error)).into_response(),
    }
}

/// An empty response.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    response
}

/// The response with one more header. Values are the service's own; one that
/// is not a valid header value is left out (and logged) rather than panicking.
pub fn with_header(mut response: Response<Body>, name: HeaderName, value: &str) -> Response<Body> {
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
pub fn tagged(response: Response<Body>, version: u64) -> Response<Body> {
    with_header(response, ETAG, &etag(version))
}

fn header_list(request: &Request, name: HeaderName) -> Result<Option<Vec<String>>, ApiError> {
    let mut items = Vec::new();
    for value in request.headers().get_all(&name) {
        let text = value.to_str().map_err(|_| invalid_header(&name))?;
        items.extend(
            text.split(',')
                .map(|item| item.trim().to_owned())
                .filter(|i| !i.is_empty()),
        );
    }
    Ok((!items.is_empty()).then_some(items))
}

fn invalid_header(name: &HeaderName) -> ApiError {
    ApiError::InvalidParameters(ValidationErrors::single(
        name.as_str(),
        Location::Header,
        "must be * or a list of entity tags, like \"3\"",
    ))
}

/// What `If-Match` asks for. A weak tag never matches (RFC 9110 uses the
/// strong comparison for `If-Match`), nor does a tag this service did not issue.
pub fn if_match(request: &Request) -> Result<Option<Precondition>, ApiError> {
    let Some(items) = header_list(request, IF_MATCH)? else {
        return Ok(None);
    };
    if items.iter().any(|item| item == "*") {
        return Ok(Some(Precondition::Any));
    }
    let mut versions = Vec::new();
    for item in &items {
        let tag = item.strip_prefix("W/").unwrap_or(item);
        let opaque = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .ok_or_else(|| invalid_header(&IF_MATCH))?;
        if !item.starts_with("W/")
            && let Ok(version) = opaque.parse::<u64>()
        {
            versions.push(version);
        }
    }
    Ok(Some(Precondition::Versions(versions)))
}

/// Whether `If-None-Match` names the current version (weak comparison), so a
/// GET can answer 304 Not Modified.
pub fn not_modified(request: &Request, version: u64) -> bool {
    let current = etag(version);
    match header_list(request, IF_NONE_MATCH) {
        Ok(Some(items)) => items
            .iter()
            .any(|item| item == "*" || item.strip_prefix("W/").unwrap_or(item) == current),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(name: HeaderName, values: &[&str]) -> Request {
        let mut builder = lambda_http::http::Request::builder().uri("/");
        for value in values {
            builder = builder.header(name.clone(), *value);
        }
        builder.body(Body::Empty).unwrap()
    }

    #[test]
    fn if_match_reads_star_lists_and_ignores_weak_tags() {
        assert_eq!(if_match(&request(IF_MATCH, &[])).unwrap(), None);
        assert_eq!(if_match(&request(IF_MATCH, &["*"])).unwrap(), Some(Precondition::Any));
        assert_eq!(
            if_match(&request(IF_MATCH, &["\"3\", W/\"4\"", "\"5\""])).unwrap(),
            Some(Precondition::Versions(vec![3, 5]))
        );
        assert_eq!(
            if_match(&request(IF_MATCH, &["\"abc\""])).unwrap(),
            Some(Precondition::Versions(vec![]))
        );
        assert!(if_match(&request(IF_MATCH, &["3"])).is_err());
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison() {
        assert!(not_modified(&request(IF_NONE_MATCH, &["W/\"7\""]), 7));
        assert!(not_modified(&request(IF_NONE_MATCH, &["\"1\", \"7\""]), 7));
        assert!(!not_modified(&request(IF_NONE_MATCH, &["\"6\""]), 7));
        assert!(!not_modified(&request(IF_NONE_MATCH, &[]), 7));
    }

    #[test]
    fn json_sets_the_content_type() {
        let response = json(StatusCode::CREATED, &serde_json::json!({"a": 1}));
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }
}
