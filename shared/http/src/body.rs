//! Reading a JSON body: the media type first, then the size, then the
//! syntax, each refused with its own status before anything is done.

use lambda_http::http::HeaderMap;
use lambda_http::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

use crate::problem::ApiError;

/// `application/json`.
pub const JSON: &str = "application/json";
/// `application/merge-patch+json` (RFC 7396).
pub const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

/// Whether the request's media type is one of `accepted` (its charset, if
/// named, must be UTF-8).
fn media_type_is(headers: &HeaderMap, accepted: &[&str]) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let charset_ok = parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    charset_ok && accepted.contains(&essence.as_str())
}

/// 415 unless the request's media type is one of `accepted`.
fn check_media_type(headers: &HeaderMap, accepted: &'static [&'static str]) -> Result<(), ApiError> {
    if media_type_is(headers, accepted) {
        return Ok(());
    }
    Err(ApiError::UnsupportedMediaType {
        expected: match accepted {
            [JSON] => JSON,
            _ => "application/json or application/merge-patch+json",
        },
    })
}

/// The body as a JSON object, if its media type is one of `accepted` and it is
/// at most `limit` bytes.
pub fn json_object(
    headers: &HeaderMap,
    bytes: &[u8],
    accepted: &'static [&'static str],
    limit: usize,
) -> Result<Map<String, Value>, ApiError> {
    match json_value(headers, bytes, accepted, limit)? {
        Value::Object(object) => Ok(object),
        _ => Err(ApiError::MalformedJson("the body must be a JSON object".to_owned())),
    }
}

/// The body as JSON of any shape, if its media type is one of `accepted` and
/// it is at most `limit` bytes.
pub fn json_value(
    headers: &HeaderMap,
    bytes: &[u8],
    accepted: &'static [&'static str],
    limit: usize,
) -> Result<Value, ApiError> {
    check_media_type(headers, accepted)?;
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::MalformedJson("the body is empty".to_owned()));
    }
    serde_json::from_slice::<Value>(bytes).map_err(|error| ApiError::MalformedJson(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, ct.parse().unwrap());
        }
        headers
    }

    const ACCEPT: &[&str] = &[JSON];

    #[test]
    fn reads_an_object() {
        let object = json_object(
            &headers(Some("application/json; charset=UTF-8")),
            br#"{"a":1}"#,
            ACCEPT,
            100,
        )
        .unwrap();
        assert_eq!(object["a"], 1);
    }

    #[test]
    fn refuses_other_media_types_and_charsets() {
        for ct in [
            None,
            Some("text/plain"),
            Some("application/json; charset=latin1"),
            Some("application/jsonx"),
        ] {
            let result = json_object(&headers(ct), b"{}", ACCEPT, 100);
            assert!(matches!(result, Err(ApiError::UnsupportedMediaType { .. })), "{ct:?}");
        }
    }

    #[test]
    fn refuses_oversized_bodies_before_parsing_them() {
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(200));
        assert!(matches!(
            json_object(&headers(Some(JSON)), big.as_bytes(), ACCEPT, 100),
            Err(ApiError::PayloadTooLarge { limit: 100 })
        ));
    }

    #[test]
    fn refuses_malformed_json_and_non_objects() {
        for body in ["", "  ", "{", "[1,2]", "\"text\"", "null", "{\"a\":1,}"] {
            let result = json_object(&headers(Some(JSON)), body.as_bytes(), ACCEPT, 100);
            assert!(matches!(result, Err(ApiError::MalformedJson(_))), "{body:?}");
        }
    }
}
