//! Reading a JSON object body: the media type first, then the size, then the
//! syntax, each refused with its own status before anything is done.

use lambda_http::Request;
use lambda_http::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

use crate::problem::ApiError;

/// `application/json`.
pub const JSON: &str = "application/json";
/// `application/merge-patch+json` (RFC 7396).
pub const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

/// Whether the request's media type is one of `accepted` (its charset, if
/// named, must be UTF-8).
fn media_type_is(request: &Request, accepted: &[&str]) -> bool {
    let Some(value) = request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
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

/// The body as a JSON object, if its media type is one of `accepted` and it is
/// at most `limit` bytes.
pub fn json_object(
    request: &Request,
    accepted: &'static [&'static str],
    limit: usize,
) -> Result<Map<String, Value>, ApiError> {
    match json_value(request, accepted, limit)? {
        Value::Object(object) => Ok(object),
        _ => Err(ApiError::MalformedJson("the body must be a JSON object".to_owned())),
    }
}

/// The body as JSON of any shape, if its media type is one of `accepted` and
/// it is at most `limit` bytes.
pub fn json_value(request: &Request, accepted: &'static [&'static str], limit: usize) -> Result<Value, ApiError> {
    if !media_type_is(request, accepted) {
        return Err(ApiError::UnsupportedMediaType {
            expected: match accepted {
                [JSON] => JSON,
                _ => "application/json or application/merge-patch+json",
            },
        });
    }
    let bytes = request.body().as_ref();
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
    use lambda_http::Body;

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = lambda_http::http::Request::builder().method("POST").uri("/");
        if let Some(ct) = content_type {
            builder = builder.header(CONTENT_TYPE, ct);
        }
        builder.body(Body::from(body)).unwrap()
    }

    const ACCEPT: &[&str] = &[JSON];

    #[test]
    fn reads_an_object() {
        let object = json_object(
            &request(Some("application/json; charset=UTF-8"), r#"{"a":1}"#),
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
            let result = json_object(&request(ct, "{}"), ACCEPT, 100);
            assert!(matches!(result, Err(ApiError::UnsupportedMediaType { .. })), "{ct:?}");
        }
    }

    #[test]
    fn refuses_oversized_bodies_before_parsing_them() {
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(200));
        assert!(matches!(
            json_object(&request(Some(JSON), &big), ACCEPT, 100),
            Err(ApiError::PayloadTooLarge { limit: 100 })
        ));
    }

    #[test]
    fn refuses_malformed_json_and_non_objects() {
        for body in ["", "  ", "{", "[1,2]", "\"text\"", "null", "{\"a\":1,}"] {
            let result = json_object(&request(Some(JSON), body), ACCEPT, 100);
            assert!(matches!(result, Err(ApiError::MalformedJson(_))), "{body:?}");
        }
    }
}
