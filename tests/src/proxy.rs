//! A proxy in front of DynamoDB Local or moto that fails the operations a
//! test names, so a test can let a request's reads through and break its
//! write, or have EventBridge refuse some entries of a `PutEvents` call inside
//! a successful answer, as EventBridge does.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

#[derive(Debug, Default)]
struct Faults {
    /// Operations answered with a 500.
    failing: HashSet<String>,
    /// `PutEvents` calls that still get their first entry refused.
    refuse_first_entry: usize,
    /// Operations that pass this many more calls, then fail until healed.
    fail_after: std::collections::HashMap<String, usize>,
    /// Every connection is closed without an answer (a cut network, a reset).
    cut: bool,
    /// Every call waits this long before it is passed on.
    delay: std::time::Duration,
}

type Failing = Arc<Mutex<Faults>>;

/// See the module documentation.
pub struct FaultyProxy {
    /// Where clients connect.
    pub endpoint: String,
    failing: Failing,
}

impl FaultyProxy {
    /// A proxy to `upstream` on a free loopback port, failing nothing yet.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("bound"));
        let failing: Failing = Arc::default();
        let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let upstream = upstream.to_owned();
        let state = failing.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (client, upstream, failing) = (client.clone(), upstream.clone(), state.clone());
                tokio::spawn(async move {
                    let service =
                        service_fn(move |request| forward(request, client.clone(), upstream.clone(), failing.clone()));
                    // A cut call ends its connection with an error: the
                    // client sees it closed without an answer.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { endpoint, failing }
    }

    /// From now on, answer this operation (`TransactWriteItems`, `Query`, ...)
    /// with DynamoDB's 500 InternalServerError.
    pub fn fail(&self, operation: &str) {
        self.failing
            .lock()
            .expect("not poisoned")
            .failing
            .insert(operation.to_owned());
    }

    /// Let the next `calls` calls of this operation through, then answer it
    /// with a 500 until healed: a failure halfway through a long job.
    pub fn fail_after(&self, operation: &str, calls: usize) {
        self.failing
            .lock()
            .expect("not poisoned")
            .fail_after
            .insert(operation.to_owned(), calls);
    }

    /// From now on, answer this operation as the upstream does.
    pub fn heal(&self, operation: &str) {
        let mut faults = self.failing.lock().expect("not poisoned");
        faults.failing.remove(operation);
        faults.fail_after.remove(operation);
    }

    /// From now on, close every connection without an answer, as a cut
    /// network or a reset does, until [`FaultyProxy::restore`].
    pub fn cut(&self) {
        self.failing.lock().expect("not poisoned").cut = true;
    }

    /// From now on, hold every call `delay` before passing it on.
    pub fn delay(&self, delay: std::time::Duration) {
        self.failing.lock().expect("not poisoned").delay = delay;
    }

    /// Undo [`FaultyProxy::cut`] and [`FaultyProxy::delay`].
    pub fn restore(&self) {
        let mut faults = self.failing.lock().expect("not poisoned");
        faults.cut = false;
        faults.delay = std::time::Duration::ZERO;
    }

    /// For the next `calls` `PutEvents` calls: pass on every entry but the
    /// first, and answer that the first failed (`InternalFailure`), in an
    /// answer that is otherwise a success.
    pub fn refuse_first_entry(&self, calls: usize) {
        self.failing.lock().expect("not poisoned").refuse_first_entry = calls;
    }
}

/// Takes the first entry out of a `PutEvents` body; `None` when there is none.
fn without_first_entry(body: &Bytes) -> Option<Bytes> {
    let mut request: serde_json::Value = serde_json::from_slice(body).ok()?;
    let entries = request.get_mut("Entries")?.as_array_mut()?;
    if entries.is_empty() {
        return None;
    }
    entries.remove(0);
    serde_json::to_vec(&request).ok().map(Bytes::from)
}

/// Puts a refused first entry back into a `PutEvents` answer.
fn with_first_entry_refused(body: &Bytes) -> Bytes {
    let Ok(mut answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.clone();
    };
    if let Some(entries) = answer.get_mut("Entries").and_then(|e| e.as_array_mut()) {
        entries.insert(
            0,
            serde_json::json!({ "ErrorCode": "InternalFailure", "ErrorMessage": "injected by the test" }),
        );
    }
    let failed = answer["FailedEntryCount"].as_u64().unwrap_or(0) + 1;
    answer["FailedEntryCount"] = failed.into();
    serde_json::to_vec(&answer)
        .map(Bytes::from)
        .unwrap_or_else(|_| body.clone())
}

/// Why a call got no answer: the proxy was told to cut it.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cut by the test")
    }
}

impl std::error::Error for Cut {}

async fn forward(
    request: Request<Incoming>,
    client: Client<HttpConnector, Full<Bytes>>,
    upstream: String,
    failing: Failing,
) -> Result<Response<Full<Bytes>>, Cut> {
    let delay = failing.lock().expect("not poisoned").delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if failing.lock().expect("not poisoned").cut {
        return Err(Cut);
    }
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or_default()
        .to_owned();
    let refuse_first = {
        let mut faults = failing.lock().expect("not poisoned");
        let refuse = operation == "PutEvents" && faults.refuse_first_entry > 0;
        if refuse {
            faults.refuse_first_entry -= 1;
        }
        if let Some(left) = faults.fail_after.get_mut(&operation) {
            if *left == 0 {
                faults.failing.insert(operation.clone());
            } else {
                *left -= 1;
            }
        }
        refuse
    };
    if failing.lock().expect("not poisoned").failing.contains(&operation) {
        let body =
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected by the test"}"#;
        return Ok(Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header("content-type", "application/x-amz-json-1.0")
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("a valid response"));
    }
    let (mut parts, body) = request.into_parts();
    let mut body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let refuse_first = refuse_first
        && without_first_entry(&body).is_some_and(|rest| {
            body = rest;
            true
        });
    parts.headers.remove(hyper::header::CONTENT_LENGTH);
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    parts.uri = format!("{upstream}{path}").parse().expect("a valid upstream URI");
    let answer = match client.request(Request::from_parts(parts, Full::new(body))).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            let mut body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            if refuse_first {
                body = with_first_entry_refused(&body);
                parts.headers.remove(hyper::header::CONTENT_LENGTH);
            }
            Response::from_parts(parts, Full::new(body))
        }
        Err(_) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Full::new(Bytes::new()))
            .expect("a valid response"),
    };
    Ok(answer)
}

/// The functions over a fresh table (with or without its stream),
/// reaching DynamoDB Local through a fault proxy (the app's own `dynamodb`
/// client still reaches it directly).
pub async fn behind_dynamodb_proxy(stream: crate::app::Stream) -> (crate::TestApp, FaultyProxy) {
    let dynamodb = crate::app::dynamodb_client().await;
    let table = crate::app::fresh_table(&dynamodb, stream).await;
    let proxy = FaultyProxy::start(crate::services::dynamodb_endpoint()).await;
    let proxied = aws_sdk_dynamodb::Client::new(&crate::app::sdk_config(&proxy.endpoint).await);
    (crate::TestApp::over(proxied, dynamodb, table).await, proxy)
}
