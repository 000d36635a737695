//! Idempotent retries of `POST` requests, as Stripe's API has them: a `POST`
//! sent with an `Idempotency-Key` header runs once, and a retry with the same
//! key and the same request gets the first answer again, status, headers and
//! body, marked `Idempotent-Replayed: true`.
//!
//! - A key is the caller's own: it is remembered per business and caller,
//!   for 24 hours from its first use.
//! - The same key with another request (another path or body) answers 422
//!   `idempotency-key-reused`; while the key's first request is still
//!   running, a second one answers 409 `idempotency-key-in-use` with
//!   `Retry-After`.
//! - An answer that says the request did not take effect and may be retried
//!   (429, any 5xx) is not kept: a retry with the key runs the request
//!   again. So is an answer too large to keep (over [`MAX_KEPT_BODY`]).
//! - Kept successful answers about a customer go when the customer is
//!   deleted or erased (see [`clientele_store::idempotency`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_lc_rs::digest::{Context, SHA256};
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use clientele_auth::Principal;
use clientele_core::{Clock, CustomerId, SystemClock};
use clientele_store::DynamoStore;
use clientele_store::idempotency::{Claim, KeptAnswer};
use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::problem::{ApiError, Location};

/// The request header that names a retry's key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header that marks a replayed answer.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// The longest key accepted, in characters.
pub const MAX_KEY_LENGTH: usize = 255;
/// The largest answer body kept for replay, in bytes (an item of the table
/// holds at most 400 KB).
pub const MAX_KEPT_BODY: usize = 256 * 1024;
/// The largest request body read to tell one request from another: API
/// Gateway's own limit.
const MAX_REQUEST_BODY: usize = 10 * 1024 * 1024;
/// The headers of an answer that are kept and replayed with it.
const KEPT_HEADERS: [&str; 4] = ["content-type", "location", "etag", "cache-control"];
/// Seconds a request that finds its key in use is asked to wait.
const IN_USE_RETRY_AFTER: u64 = 1;

/// The customer an answer is about, when the request's path does not say
/// it (a customer just created, a customer named in the body): a handler
/// puts it in the response's extensions, so that the kept answer goes with
/// the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerAbout(pub CustomerId);

/// The response with the customer it is about (see [`AnswerAbout`]).
pub fn about(mut response: Response, customer: CustomerId) -> Response {
    response.extensions_mut().insert(AnswerAbout(customer));
    response
}

/// Where the answers of keyed requests are kept.
#[derive(Clone)]
pub struct Idempotency {
    store: DynamoStore,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency").finish_non_exhaustive()
    }
}

impl Idempotency {
    /// Answers kept in `store`.
    pub fn new(store: DynamoStore) -> Self {
        Self {
            store,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same, its time told by `clock` (a test's own).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Runs `request` through `next` once per key: the answer of its first
    /// run is kept and replayed to the key's retries. A request without the
    /// header runs as it is. `path_customer` is the customer the request's
    /// path names, if it names one.
    pub async fn run(
        &self,
        principal: &Principal,
        path_customer: Option<CustomerId>,
        request: Request,
        next: Next,
    ) -> Response {
        let key = match key_of(request.headers()) {
            Ok(Some(key)) => key,
            Ok(None) => return next.run(request).await,
            Err(refused) => return refused.into_response(),
        };
        let (parts, body) = request.into_parts();
        let Ok(body) = to_bytes(body, MAX_REQUEST_BODY).await else {
            return ApiError::PayloadTooLarge {
                limit: MAX_REQUEST_BODY,
            }
            .into_response();
        };
        let key_id = hex_digest(&[
            principal.business_id.to_string().as_bytes(),
            principal.qualified_id().as_bytes(),
            key.as_bytes(),
        ]);
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .map(HeaderValue::as_bytes)
            .unwrap_or_default();
        let fingerprint = hex_digest(&[
            parts.method.as_str().as_bytes(),
            parts.uri.path().as_bytes(),
            content_type,
            &body,
        ]);
        let lease = match self.store.claim_key(&key_id, &fingerprint, self.clock.now()).await {
            Ok(Claim::Granted { lease }) => lease,
            Ok(Claim::Answered(answer)) => return replay(answer),
            Ok(Claim::Running) => {
                return ApiError::IdempotencyKeyInUse {
                    retry_after: IN_USE_RETRY_AFTER,
                }
                .into_response();
            }
            Ok(Claim::Mismatch) => return ApiError::IdempotencyKeyReused.into_response(),
            Err(error) => return ApiError::from(error).into_response(),
        };
        let response = next.run(Request::from_parts(parts, Body::from(body))).await;
        self.keep(&key_id, &lease, response, path_customer).await
    }

    /// Lets the key go unanswered: a retry runs the request again.
    async fn release(&self, key_id: &str, lease: &str) {
        if let Err(error) = self.store.release_key(key_id, lease).await {
            tracing::warn!(%error, "an idempotency key stays held until its lease runs out");
        }
    }

    /// Keeps `response` as the key's answer when it is worth keeping, and
    /// answers it.
    async fn keep(&self, key_id: &str, lease: &str, response: Response, path_customer: Option<CustomerId>) -> Response {
        let status = response.status();
        let (parts, body) = response.into_parts();
        let body = match to_bytes(body, usize::MAX).await {
            Ok(body) => body,
            Err(error) => {
                self.release(key_id, lease).await;
                return ApiError::Internal(Box::new(error)).into_response();
            }
        };
        if !worth_keeping(status) || body.len() > MAX_KEPT_BODY {
            self.release(key_id, lease).await;
            return Response::from_parts(parts, Body::from(body));
        }
        // Only a success shows a customer's data; a refusal (a 404 for a
        // customer of another business among them) is kept on its own.
        let customer = parts
            .extensions
            .get::<AnswerAbout>()
            .map(|about| about.0)
            .or(path_customer)
            .filter(|_| status.is_success());
        let answer = KeptAnswer {
            status: status.as_u16(),
            headers: kept_headers(&parts.headers),
            body: body.to_vec(),
        };
        if let Err(error) = self
            .store
            .keep_answer(key_id, lease, &answer, customer, self.clock.now())
            .await
        {
            // The request is done; only its replay is lost: a retry finds
            // the key held until the lease runs out, then runs it again.
            tracing::error!(%error, "an answer could not be kept for its idempotency key");
        }
        Response::from_parts(parts, Body::from(body))
    }
}

/// Whether an answer says what the request did, for good: not a refusal to
/// be retried later (429) nor a failure (5xx).
fn worth_keeping(status: StatusCode) -> bool {
    !status.is_server_error() && status != StatusCode::TOO_MANY_REQUESTS
}

/// The request's key, if it has one: 1 to 255 visible ASCII characters.
fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let refused = |detail: &str| ApiError::parameter("Idempotency-Key", Location::Header, detail);
    if values.next().is_some() {
        return Err(refused("must be given once"));
    }
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LENGTH {
        return Err(refused("must be 1 to 255 characters long"));
    }
    if !bytes.iter().all(u8::is_ascii_graphic) {
        return Err(refused("must be visible ASCII characters, without spaces"));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// The answer kept for a key, marked as a replay.
fn replay(answer: KeptAnswer) -> Response {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}

fn kept_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some(((*name).to_owned(), value.to_owned()))
        })
        .collect()
}

/// The SHA-256 of `parts`, each length-prefixed so that no two lists of
/// parts share a digest, in hex.
fn hex_digest(parts: &[&[u8]]) -> String {
    let mut context = Context::new(&SHA256);
    for part in parts {
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part);
    }
    context
        .finish()
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(IDEMPOTENCY_KEY, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters_given_once() {
        assert_eq!(key_of(&HeaderMap::new()).unwrap(), None);
        assert_eq!(
            key_of(&headers(&["order-7f3a"])).unwrap().as_deref(),
            Some("order-7f3a")
        );
        assert!(key_of(&headers(&[&"k".repeat(255)])).unwrap().is_some());
        for refused in [&"k".repeat(256), "two words", "tab\there"] {
            assert!(key_of(&headers(&[refused])).is_err(), "{refused:?}");
        }
        assert!(key_of(&headers(&["a", "b"])).is_err());
        let mut empty = HeaderMap::new();
        empty.insert(IDEMPOTENCY_KEY, HeaderValue::from_static(""));
        assert!(key_of(&empty).is_err());
    }

    #[test]
    fn refusals_to_retry_and_failures_are_not_kept() {
        assert!(worth_keeping(StatusCode::CREATED));
        assert!(worth_keeping(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(worth_keeping(StatusCode::CONFLICT));
        assert!(!worth_keeping(StatusCode::TOO_MANY_REQUESTS));
        assert!(!worth_keeping(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!worth_keeping(StatusCode::INTERNAL_SERVER_ERROR));
    }

    #[test]
    fn digests_keep_their_parts_apart() {
        assert_ne!(hex_digest(&[b"ab", b"c"]), hex_digest(&[b"a", b"bc"]));
        assert_eq!(hex_digest(&[b"x"]).len(), 64);
    }

    #[test]
    fn a_replay_carries_the_kept_status_headers_and_body() {
        let answer = KeptAnswer {
            status: 201,
            headers: BTreeMap::from([("location".to_owned(), "/api/customers/1".to_owned())]),
            body: b"{}".to_vec(),
        };
        let response = replay(answer);
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["location"], "/api/customers/1");
        assert_eq!(response.headers()[IDEMPOTENT_REPLAYED], "true");
    }
}
