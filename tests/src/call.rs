//! Requests as API Gateway HTTP API (payload 2.0) events, turned into
//! `lambda_http::Request`s by lambda_http itself, exactly as in Lambda; and
//! the responses that come back.

use std::collections::HashMap;

use clientele_auth::{Decision, Principal, to_context};
use lambda_http::Request;
use lambda_http::http::HeaderMap;
use serde_json::{Value, json};

/// A request to send.
#[derive(Debug, Clone)]
pub struct Call {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    base64: bool,
    authorizer: Option<HashMap<String, Value>>,
    request_id: String,
}

impl Call {
    /// A request with this method and path (which may carry a `?query`).
    pub fn new(method: &str, path: &str) -> Self {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: Vec::new(),
            body: None,
            base64: false,
            request_id: uuid::Uuid::new_v4().to_string(),
            authorizer: None,
        }
    }

    /// `GET`.
    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    /// `POST`.
    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }

    /// `PATCH`.
    pub fn patch(path: &str) -> Self {
        Self::new("PATCH", path)
    }

    /// `DELETE`.
    pub fn delete(path: &str) -> Self {
        Self::new("DELETE", path)
    }

    /// With a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// With this id for API Gateway's request (each call gets one of its own
    /// otherwise).
    pub fn request_id(mut self, id: &str) -> Self {
        self.request_id = id.to_owned();
        self
    }

    /// With `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// With a JSON body and `Content-Type: application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json").text(&body.to_string())
    }

    /// With a body as given, and no content type unless one was set.
    pub fn text(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self.base64 = false;
        self
    }

    /// With a binary body, base64-encoded in the event as API Gateway does.
    pub fn bytes(mut self, body: &[u8]) -> Self {
        use base64::Engine;
        self.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
        self.base64 = true;
        self
    }

    /// As if API Gateway's authorizer had proven this principal.
    pub fn authorized_as(self, principal: &Principal) -> Self {
        self.with_authorizer_context(to_context(&Decision::Allow(principal.clone())))
    }

    /// With the context an authorizer answered.
    pub fn with_authorizer_context(mut self, context: HashMap<String, Value>) -> Self {
        self.authorizer = Some(context);
        self
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A header's value, as given.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// The request an HTTP API Lambda authorizer receives for this call: the
    /// aws_lambda_events crate's own fixture, with this call's method, path
    /// and headers.
    pub fn to_authorizer_request(&self) -> auth_check::AuthorizerRequest {
        let mut event = crate::fixtures::authorizer_request();
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect();
        event["headers"] = Value::Object(headers);
        event["identitySource"] = json!(self.header_value("authorization").into_iter().collect::<Vec<_>>());
        event["rawPath"] = Value::from(self.path.clone());
        event["rawQueryString"] = Value::from(self.query.clone());
        event["routeKey"] = Value::from(format!("{} {}", self.method, self.path));
        event["requestContext"]["http"]["method"] = Value::from(self.method.clone());
        event["requestContext"]["http"]["path"] = Value::from(self.path.clone());
        serde_json::from_value(event).expect("the fixture is an authorizer request")
    }

    /// The API Gateway v2 event.
    pub fn to_event(&self) -> Value {
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .fold(HashMap::<String, Vec<String>>::new(), |mut all, (k, v)| {
                all.entry(k.clone()).or_default().push(v.clone());
                all
            })
            .into_iter()
            .map(|(k, v)| (k, Value::from(v.join(","))))
            .collect();
        let mut context = json!({
            "routeKey": "$default",
            "accountId": "123456789012",
            "stage": "$default",
            "requestId": self.request_id,
            "apiId": "test-api",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "time": "25/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_600_000_000_i64,
            "http": {
                "method": self.method,
                "path": self.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "clientele-tests"
            }
        });
        if let Some(fields) = &self.authorizer {
            context["authorizer"] = json!({ "lambda": fields });
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": self.base64
        });
        if let Some(body) = &self.body {
            event["body"] = Value::from(body.clone());
        }
        event
    }

    /// The same call as an HTTP request to `base` (`http://127.0.0.1:9000`),
    /// for a real `make run`.
    pub fn to_http(&self, base: &str) -> Result<hyper::Request<http_body_util::Full<bytes::Bytes>>, String> {
        use base64::Engine;
        let uri = if self.query.is_empty() {
            format!("{base}{}", self.path)
        } else {
            format!("{base}{}?{}", self.path, self.query)
        };
        let body = match (&self.body, self.base64) {
            (Some(text), true) => base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| e.to_string())?,
            (Some(text), false) => text.clone().into_bytes(),
            (None, _) => Vec::new(),
        };
        let mut request = hyper::Request::builder().method(self.method.as_str()).uri(uri);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        request
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .map_err(|e| e.to_string())
    }

    /// The request a function receives.
    pub fn to_request(&self) -> Request {
        lambda_http::request::from_str(&self.to_event().to_string())
            .expect("the test event is a valid API Gateway v2 event")
    }
}

/// A function's answer.
#[derive(Debug)]
pub struct TestResponse {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl TestResponse {
    /// A function's response, read whole.
    pub async fn read(response: clientele_http::Response) -> Self {
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("a function's body is in memory");
        Self {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.to_vec(),
        }
    }

    /// Asserts a success (below 400), naming `what` otherwise; the body as JSON.
    pub fn success(&self, what: &str) -> Value {
        assert!(
            self.status < 400,
            "{what}: {} {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }

    /// The body as JSON (`null` when empty).
    pub fn json(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem type's slug of a problem+json answer.
    pub fn problem(&self) -> String {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "expected a problem, got {} {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        let body = self.json();
        assert_eq!(body["status"], self.status, "the problem's status is the response's");
        body["type"]
            .as_str()
            .and_then(|t| t.strip_prefix("urn:clientele:problem:"))
            .unwrap_or_default()
            .to_owned()
    }

    /// The offending fields a problem names.
    pub fn problem_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}
