//! Extractors: the parts of a request a handler asks for, each read by the
//! boundary's rules, and each failure answered as one problem. A handler's
//! arguments are read in order, so the order of its arguments is the order
//! in which a request's faults are reported: the caller first (checked by
//! the route's gate before any of them), then the path, the headers, the
//! query, and the body last.

use std::fmt;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use lambda_http::http::HeaderMap;
use lambda_http::http::header::{HeaderName, IF_MATCH, IF_NONE_MATCH};
use lambda_http::http::request::Parts;
use serde_json::{Map, Value};

use clientele_auth::Principal;
use clientele_core::order::OrderId;
use clientele_core::{
    ContactId, CustomerId, InteractionId, NoteId, PlanId, Precondition, SegmentId, SubscriptionId, TagId, TeamUserId,
};

use crate::body::{self, JSON, MERGE_PATCH_JSON};
use crate::problem::{ApiError, Location};
use crate::response::etag;

/// The caller, as the route's gate let it through: a route's handler never
/// checks credentials or roles itself.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::Internal("a handler asked for the caller of a route without a gate".into()))
    }
}

/// A value a route's path carries, under the name its routes give it.
pub trait PathParam: Sized {
    /// The parameter's name in the route's path (`{customer_id}`).
    const NAME: &'static str;
    /// Why a segment is not one.
    type Invalid: fmt::Display;
    /// Reads one from its path segment.
    fn parse(segment: &str) -> Result<Self, Self::Invalid>;
}

macro_rules! path_param {
    ($($type:ty => $name:literal),* $(,)?) => {$(
        impl PathParam for $type {
            const NAME: &'static str = $name;
            type Invalid = clientele_core::InvalidId;
            fn parse(segment: &str) -> Result<Self, Self::Invalid> {
                <$type>::parse(segment)
            }
        }
    )*};
}

path_param!(
    CustomerId => "customer_id",
    TagId => "tag_id",
    NoteId => "note_id",
    SegmentId => "segment_id",
    ContactId => "contact_id",
    InteractionId => "interaction_id",
    TeamUserId => "user_id",
    PlanId => "plan_id",
    SubscriptionId => "subscription_id",
);

/// An order's id is the orders service's own text, not a UUID.
impl PathParam for OrderId {
    const NAME: &'static str = "order_id";
    type Invalid = clientele_core::order::InvalidOrderId;
    fn parse(segment: &str) -> Result<Self, Self::Invalid> {
        OrderId::parse(segment)
    }
}

/// A typed path parameter: `{customer_id}` as a [`CustomerId`], or 400 naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: PathParam> FromRequestParts<S> for PathId<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::parameter(T::NAME, Location::Path, "is not valid UTF-8"))?;
        let segment = params
            .iter()
            .find(|(name, _)| *name == T::NAME)
            .map(|(_, value)| value)
            .ok_or_else(|| ApiError::Internal(format!("the route has no {{{}}}", T::NAME).into()))?;
        T::parse(segment)
            .map(PathId)
            .map_err(|e| ApiError::parameter(T::NAME, Location::Path, e.to_string()))
    }
}

/// What `If-Match` asks for, if anything. A weak tag never matches (RFC 9110
/// uses the strong comparison for `If-Match`), nor does a tag this service
/// did not issue; a header that is not a list of tags is 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(pub Option<Precondition>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        if_match(&parts.headers).map(IfMatch)
    }
}

fn if_match(headers: &HeaderMap) -> Result<Option<Precondition>, ApiError> {
    let Some(items) = header_list(headers, IF_MATCH)? else {
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

/// The entity tags `If-None-Match` lists; a header that is not a list of
/// tags counts as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfNoneMatch(Vec<String>);

impl IfNoneMatch {
    /// Whether it names this version (the weak comparison), so a GET can
    /// answer 304 Not Modified.
    pub fn matches(&self, version: u64) -> bool {
        let current = etag(version);
        self.0
            .iter()
            .any(|item| item == "*" || item.strip_prefix("W/").unwrap_or(item) == current)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IfNoneMatch(
            header_list(&parts.headers, IF_NONE_MATCH)
                .ok()
                .flatten()
                .unwrap_or_default(),
        ))
    }
}

/// The entity tags of every `name` header, as written (`"3"`, `W/"3"`), or
/// `*`: RFC 9110's `#entity-tag` list, whose tags may hold commas.
fn header_list(headers: &HeaderMap, name: HeaderName) -> Result<Option<Vec<String>>, ApiError> {
    let mut items = Vec::new();
    for value in headers.get_all(&name) {
        let tags = entity_tags(value.as_bytes()).ok_or_else(|| invalid_header(&name))?;
        items.extend(tags);
    }
    Ok((!items.is_empty()).then_some(items))
}

/// One header value read as `*` or a list of entity tags: `[W/]"<etagc>*"`,
/// separated by commas and optional whitespace, where an `etagc` is any
/// visible character but `"` (or a byte of obs-text), at least one. `None`
/// when it is neither.
fn entity_tags(value: &[u8]) -> Option<Vec<String>> {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let trimmed: Vec<u8> = {
        let start = value.iter().position(|b| !is_space(b)).unwrap_or(value.len());
        let end = value.iter().rposition(|b| !is_space(b)).map_or(start, |e| e + 1);
        value[start..end].to_vec()
    };
    if trimmed == b"*" {
        return Some(vec!["*".to_owned()]);
    }
    let mut tags = Vec::new();
    let mut at = 0;
    let rest = |at: usize| &trimmed[at..];
    loop {
        while at < trimmed.len() && (is_space(&trimmed[at]) || trimmed[at] == b',') {
            at += 1;
        }
        if at == trimmed.len() {
            // `1#entity-tag`: a list of none is not one.
            return (!tags.is_empty()).then_some(tags);
        }
        let start = at;
        if rest(at).starts_with(b"W/") {
            at += 2;
        }
        if trimmed.get(at) != Some(&b'"') {
            return None;
        }
        at += 1;
        while let Some(&byte) = trimmed.get(at) {
            if byte == b'"' {
                break;
            }
            if !(byte == 0x21 || (0x23..=0x7e).contains(&byte) || byte >= 0x80) {
                return None;
            }
            at += 1;
        }
        if trimmed.get(at) != Some(&b'"') {
            return None;
        }
        at += 1;
        tags.push(String::from_utf8_lossy(&trimmed[start..at]).into_owned());
        while at < trimmed.len() && is_space(&trimmed[at]) {
            at += 1;
        }
        if at < trimmed.len() && trimmed[at] != b',' {
            return None;
        }
    }
}

fn invalid_header(name: &HeaderName) -> ApiError {
    ApiError::parameter(
        name.as_str(),
        Location::Header,
        "must be * or a list of entity tags, like \"3\"",
    )
}

/// The body's bytes, whole: a Lambda request's body is already in memory.
pub async fn body_bytes(request: Request) -> Result<(Parts, Bytes), ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok((parts, bytes))
}

/// A JSON object body (`application/json`) of at most `LIMIT` bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonObject<const LIMIT: usize>(pub Map<String, Value>);

impl<S: Send + Sync, const LIMIT: usize> FromRequest<S> for JsonObject<LIMIT> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, bytes) = body_bytes(request).await?;
        body::json_object(&parts.headers, &bytes, &[JSON], LIMIT).map(JsonObject)
    }
}

/// A JSON object body, or none at all (an empty object): for actions whose
/// body is optional.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionalJsonObject<const LIMIT: usize>(pub Map<String, Value>);

impl<S: Send + Sync, const LIMIT: usize> FromRequest<S> for OptionalJsonObject<LIMIT> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, bytes) = body_bytes(request).await?;
        if bytes.is_empty() {
            return Ok(OptionalJsonObject(Map::new()));
        }
        body::json_object(&parts.headers, &bytes, &[JSON], LIMIT).map(OptionalJsonObject)
    }
}

/// A JSON merge patch (RFC 7396): an object sent as
/// `application/merge-patch+json` or `application/json`, of at most `LIMIT` bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct MergePatch<const LIMIT: usize>(pub Map<String, Value>);

impl<S: Send + Sync, const LIMIT: usize> FromRequest<S> for MergePatch<LIMIT> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, bytes) = body_bytes(request).await?;
        body::json_object(&parts.headers, &bytes, &[JSON, MERGE_PATCH_JSON], LIMIT).map(MergePatch)
    }
}

/// A JSON body of any shape (`application/json`), of at most `LIMIT` bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonValue<const LIMIT: usize>(pub Value);

impl<S: Send + Sync, const LIMIT: usize> FromRequest<S> for JsonValue<LIMIT> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (parts, bytes) = body_bytes(request).await?;
        body::json_value(&parts.headers, &bytes, &[JSON], LIMIT).map(JsonValue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: HeaderName, values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(name.clone(), value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn if_match_reads_star_lists_and_ignores_weak_tags() {
        assert_eq!(if_match(&headers(IF_MATCH, &[])).unwrap(), None);
        assert_eq!(if_match(&headers(IF_MATCH, &["*"])).unwrap(), Some(Precondition::Any));
        assert_eq!(
            if_match(&headers(IF_MATCH, &["\"3\", W/\"4\"", "\"5\""])).unwrap(),
            Some(Precondition::Versions(vec![3, 5]))
        );
        assert_eq!(
            if_match(&headers(IF_MATCH, &["\"abc\""])).unwrap(),
            Some(Precondition::Versions(vec![]))
        );
        assert!(if_match(&headers(IF_MATCH, &["3"])).is_err());
        assert_eq!(
            if_match(&headers(IF_MATCH, &["\"w,%_?qovN\", \"7\""])).unwrap(),
            Some(Precondition::Versions(vec![7])),
            "a tag may hold a comma"
        );
        assert_eq!(
            if_match(&headers(IF_MATCH, &["W/\";ec)(\""])).unwrap(),
            Some(Precondition::Versions(vec![])),
            "a weak tag is a tag, which never matches"
        );
        assert_eq!(
            if_match(&headers(IF_MATCH, &["\"\""])).unwrap(),
            Some(Precondition::Versions(vec![]))
        );
    }

    #[test]
    fn entity_tag_lists_follow_rfc_9110() {
        assert_eq!(
            entity_tags(b" \"1\" ,W/\"2\",, "),
            Some(vec!["\"1\"".to_owned(), "W/\"2\"".to_owned()])
        );
        assert_eq!(entity_tags(b"*"), Some(vec!["*".to_owned()]));
        for refused in [&b"3"[..], b"\"open", b"\"a\"b", b"\"a b\"", b"w/\"1\"", b"\"1\" *"] {
            assert_eq!(entity_tags(refused), None, "{:?}", String::from_utf8_lossy(refused));
        }
        assert_eq!(entity_tags(b""), None, "an empty list is not a list");
        assert_eq!(entity_tags(b" , ,"), None);
    }

    #[test]
    fn if_none_match_uses_the_weak_comparison() {
        let read = |values: &[&str]| {
            IfNoneMatch(
                header_list(&headers(IF_NONE_MATCH, values), IF_NONE_MATCH)
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            )
        };
        assert!(read(&["W/\"7\""]).matches(7));
        assert!(read(&["\"1\", \"7\""]).matches(7));
        assert!(!read(&["\"6\""]).matches(7));
        assert!(!read(&[]).matches(7));
    }
}
