//! A proxy in front of DynamoDB Local that fails the operations a test names,
//! so a test can let a request's reads through and break its write.

use std::collections::HashSet;
use std::convert::Infallible;
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

type Failing = Arc<Mutex<HashSet<String>>>;

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
        self.failing.lock().expect("not poisoned").insert(operation.to_owned());
    }
}

async fn forward(
    request: Request<Incoming>,
    client: Client<HttpConnector, Full<Bytes>>,
    upstream: String,
    failing: Failing,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or_default()
        .to_owned();
    if failing.lock().expect("not poisoned").contains(&operation) {
        let body =
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected by the test"}"#;
        return Ok(Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header("content-type", "application/x-amz-json-1.0")
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("a valid response"));
    }
    let (mut parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    parts.uri = format!("{upstream}{path}").parse().expect("a valid upstream URI");
    let answer = match client.request(Request::from_parts(parts, Full::new(body))).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            Response::from_parts(parts, Full::new(body))
        }
        Err(_) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Full::new(Bytes::new()))
            .expect("a valid response"),
    };
    Ok(answer)
}
