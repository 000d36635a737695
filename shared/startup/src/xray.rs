//! X-Ray subsegments for every AWS call a function makes: DynamoDB,
//! EventBridge, S3, SQS and Secrets Manager, each attempt timed, with its
//! operation, status and request id, under the invocation's segment.
//!
//! Lambda traces each invocation itself (`Tracing: Active`) and runs an
//! X-Ray daemon beside the function, named by `AWS_XRAY_DAEMON_ADDRESS`; the
//! runtime puts the invocation's trace header in `_X_AMZN_TRACE_ID`. The SDK
//! clients' HTTP client is wrapped ([`traced`]) so that each request it sends
//! is timed and reported to the daemon as a subsegment of that invocation's
//! segment: one UDP datagram, sent without waiting, after the answer. Nothing
//! is sent for an invocation the trace header says is not sampled, and
//! without a daemon (locally) the client is not wrapped at all
//! ([`crate::aws::sdk_config`]).
//!
//! The call is named from the request as signed: the service from the
//! signature's credential scope (`.../dynamodb/aws4_request`), the operation
//! from `X-Amz-Target` (the JSON protocols) or, for S3, from the method.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_http_client::tls::Provider;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use serde::Serialize;

/// The variable naming the X-Ray daemon Lambda runs beside the function.
pub const DAEMON_ADDRESS: &str = "AWS_XRAY_DAEMON_ADDRESS";
/// The variable holding the current invocation's trace header.
pub const TRACE_HEADER: &str = "_X_AMZN_TRACE_ID";

/// The header of every document sent to the daemon.
const DOCUMENT_HEADER: &str = "{\"format\":\"json\",\"version\":1}\n";

/// How the trace header of the invocation being served is read.
pub type TraceHeader = fn() -> Option<String>;

/// The trace header Lambda's runtime set for the invocation being served.
pub fn invocation_trace_header() -> Option<String> {
    std::env::var(TRACE_HEADER).ok()
}

/// The SDK's own HTTPS client (hyper, rustls over aws-lc), as the SDK builds
/// it by default.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build_https()
}

/// `client`, reporting each request it sends, while `trace_header` names a
/// sampled trace, to the daemon at `address` (`host:port`, or the daemon's
/// own `udp:host:port tcp:host:port` form). With an address that cannot be
/// reached, `client` as it is.
pub fn traced(client: SharedHttpClient, address: &str, trace_header: TraceHeader) -> SharedHttpClient {
    match Daemon::connect(address) {
        Some(daemon) => SharedHttpClient::new(Traced {
            inner: client,
            daemon: Arc::new(daemon),
            trace_header,
        }),
        None => client,
    }
}

/// The daemon: a UDP socket connected to it, which never blocks.
#[derive(Debug)]
struct Daemon(UdpSocket);

impl Daemon {
    fn connect(address: &str) -> Option<Self> {
        let address = address
            .split_whitespace()
            .find_map(|part| part.strip_prefix("udp:"))
            .unwrap_or(address);
        let connect = || -> std::io::Result<UdpSocket> {
            let daemon = address
                .to_socket_addrs()?
                .next()
                .ok_or_else(|| std::io::Error::other("names no address"))?;
            // A daemon on this machine is reached from the loopback interface.
            let local: IpAddr = match daemon.ip() {
                ip if ip.is_loopback() => ip,
                IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
                IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
            };
            let socket = UdpSocket::bind((local, 0))?;
            socket.connect(daemon)?;
            socket.set_nonblocking(true)?;
            Ok(socket)
        };
        match connect() {
            Ok(socket) => Some(Self(socket)),
            Err(error) => {
                tracing::warn!(%address, %error, "the X-Ray daemon cannot be reached; AWS calls are not traced");
                None
            }
        }
    }

    /// Sends one document; a datagram that cannot go is dropped, as the
    /// daemon's clients do.
    fn send(&self, document: &impl Serialize) {
        let mut datagram = Vec::with_capacity(512);
        datagram.extend_from_slice(DOCUMENT_HEADER.as_bytes());
        if serde_json::to_writer(&mut datagram, document).is_err() {
            return;
        }
        if let Err(error) = self.0.send(&datagram) {
            tracing::debug!(%error, "a subsegment was not sent to the X-Ray daemon");
        }
    }
}

#[derive(Debug)]
struct Traced {
    inner: SharedHttpClient,
    daemon: Arc<Daemon>,
    trace_header: TraceHeader,
}

impl HttpClient for Traced {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(TracedConnector {
            inner: self.inner.http_connector(settings, components),
            daemon: self.daemon.clone(),
            trace_header: self.trace_header,
        })
    }
}

#[derive(Debug)]
struct TracedConnector {
    inner: SharedHttpConnector,
    daemon: Arc<Daemon>,
    trace_header: TraceHeader,
}

impl HttpConnector for TracedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let trace = (self.trace_header)().and_then(|header| Trace::sampled(&header));
        let Some(trace) = trace else {
            return self.inner.call(request);
        };
        let call = AwsCall::of(&request);
        let daemon = self.daemon.clone();
        let start = SystemTime::now();
        let answer = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let result = answer.await;
            daemon.send(&subsegment(&trace, &call, start, SystemTime::now(), &result));
            result
        })
    }
}

/// Where a subsegment belongs: the invocation's trace and its segment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Trace {
    root: String,
    parent: String,
}

impl Trace {
    /// The trace of a header (`Root=...;Parent=...;Sampled=1`), if it is
    /// sampled and names both.
    fn sampled(header: &str) -> Option<Self> {
        let mut root = None;
        let mut parent = None;
        let mut sampled = false;
        for part in header.split(';') {
            match part.trim().split_once('=') {
                Some(("Root", value)) => root = Some(value.to_owned()),
                Some(("Parent", value)) => parent = Some(value.to_owned()),
                Some(("Sampled", value)) => sampled = value == "1",
                _ => {}
            }
        }
        Some(Self {
            root: root?,
            parent: parent?,
        })
        .filter(|_| sampled)
    }
}

/// An AWS call as X-Ray names it.
#[derive(Debug, PartialEq, Eq)]
struct AwsCall {
    service: String,
    operation: String,
    region: Option<String>,
}

impl AwsCall {
    fn of(request: &HttpRequest) -> Self {
        let header = |name: &str| request.headers().get(name).map(str::to_owned);
        // AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...
        let scope: Vec<String> = header("authorization")
            .and_then(|value| {
                let credential = value.split("Credential=").nth(1)?;
                let credential = credential.split([',', ' ']).next()?;
                Some(credential.split('/').map(str::to_owned).collect())
            })
            .unwrap_or_default();
        let signing_name = scope.get(3).map_or("aws", String::as_str);
        let operation = match header("x-amz-target") {
            Some(target) => target.rsplit('.').next().unwrap_or(&target).to_owned(),
            None => rest_operation(request.method(), request.uri()),
        };
        Self {
            service: service_name(signing_name).to_owned(),
            operation,
            region: scope.get(2).cloned(),
        }
    }
}

/// The service as X-Ray's console names it, from its signing name.
fn service_name(signing_name: &str) -> &str {
    match signing_name {
        "dynamodb" => "DynamoDB",
        "events" => "EventBridge",
        "s3" => "S3",
        "sqs" => "SQS",
        "secretsmanager" => "SecretsManager",
        other => other,
    }
}

/// The operation of a REST call (S3's): what it does to an object, or a
/// listing.
fn rest_operation(method: &str, uri: &str) -> String {
    let query = uri.split_once('?').map_or("", |(_, query)| query);
    if method == "GET" && query.split('&').any(|pair| pair.starts_with("list-type=")) {
        return "ListObjectsV2".to_owned();
    }
    match method {
        "GET" => "GetObject",
        "PUT" => "PutObject",
        "HEAD" => "HeadObject",
        "DELETE" => "DeleteObject",
        "POST" if query.split('&').any(|pair| pair == "delete" || pair == "delete=") => "DeleteObjects",
        other => other,
    }
    .to_owned()
}

/// Seconds since the epoch, as X-Ray takes times.
fn seconds(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// A subsegment document, as the daemon takes it.
#[derive(Debug, Serialize)]
struct Subsegment<'a> {
    name: &'a str,
    id: String,
    trace_id: &'a str,
    parent_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    namespace: &'static str,
    start_time: f64,
    end_time: f64,
    aws: AwsFields<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http: Option<HttpFields>,
    #[serde(skip_serializing_if = "is_false")]
    error: bool,
    #[serde(skip_serializing_if = "is_false")]
    throttle: bool,
    #[serde(skip_serializing_if = "is_false")]
    fault: bool,
}

#[derive(Debug, Serialize)]
struct AwsFields<'a> {
    operation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct HttpFields {
    response: StatusField,
}

#[derive(Debug, Serialize)]
struct StatusField {
    status: u16,
}

fn is_false(flag: &bool) -> bool {
    !flag
}

/// A new subsegment id: 16 hex digits, random (keyed hashes of a counter,
/// so that no id costs a system call).
fn subsegment_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(NEXT.fetch_add(1, Ordering::Relaxed));
    format!("{:016x}", hasher.finish())
}

/// The subsegment document of one attempt of `call`.
fn subsegment<'a>(
    trace: &'a Trace,
    call: &'a AwsCall,
    start: SystemTime,
    end: SystemTime,
    result: &'a Result<HttpResponse, ConnectorError>,
) -> Subsegment<'a> {
    let response = result.as_ref().ok();
    let status = response.map(|r| r.status().as_u16());
    let request_id = response.and_then(|r| {
        ["x-amzn-requestid", "x-amz-request-id"]
            .iter()
            .find_map(|name| r.headers().get(*name))
    });
    Subsegment {
        name: &call.service,
        id: subsegment_id(),
        trace_id: &trace.root,
        parent_id: &trace.parent,
        kind: "subsegment",
        namespace: "aws",
        start_time: seconds(start),
        end_time: seconds(end),
        aws: AwsFields {
            operation: &call.operation,
            region: call.region.as_deref(),
            request_id,
        },
        http: status.map(|status| HttpFields {
            response: StatusField { status },
        }),
        error: matches!(status, Some(400..=499)),
        throttle: status == Some(429),
        // A 5xx, or no answer at all.
        fault: status.is_none_or(|status| status >= 500),
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use serde_json::{Value, json};

    use super::*;

    fn document(
        trace: &Trace,
        call: &AwsCall,
        start: SystemTime,
        end: SystemTime,
        result: &Result<HttpResponse, ConnectorError>,
    ) -> Value {
        serde_json::to_value(subsegment(trace, call, start, end, result)).unwrap()
    }

    fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        HttpRequest::try_from(builder.body(SdkBody::empty()).unwrap()).unwrap()
    }

    const SIGNED_DYNAMODB: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261203/eu-west-1/dynamodb/aws4_request, \
                                   SignedHeaders=host;x-amz-date, Signature=abc";

    #[test]
    fn only_a_sampled_trace_with_a_root_and_a_parent_is_followed() {
        let header = "Root=1-6745a1b2-0c1d2e3f4a5b6c7d8e9f0a1b;Parent=3c4d5e6f7a8b9c0d;Sampled=1;Lineage=a:0";
        assert_eq!(
            Trace::sampled(header),
            Some(Trace {
                root: "1-6745a1b2-0c1d2e3f4a5b6c7d8e9f0a1b".to_owned(),
                parent: "3c4d5e6f7a8b9c0d".to_owned(),
            })
        );
        assert_eq!(Trace::sampled(&header.replace("Sampled=1", "Sampled=0")), None);
        assert_eq!(
            Trace::sampled("Root=1-6745a1b2-0c1d2e3f4a5b6c7d8e9f0a1b;Sampled=1"),
            None
        );
        assert_eq!(Trace::sampled(""), None);
    }

    #[test]
    fn a_call_is_named_by_its_signing_service_and_its_target_or_method() {
        let put = request(
            "POST",
            "https://dynamodb.eu-west-1.amazonaws.com/",
            &[
                ("authorization", SIGNED_DYNAMODB),
                ("x-amz-target", "DynamoDB_20120810.TransactWriteItems"),
            ],
        );
        assert_eq!(
            AwsCall::of(&put),
            AwsCall {
                service: "DynamoDB".to_owned(),
                operation: "TransactWriteItems".to_owned(),
                region: Some("eu-west-1".to_owned()),
            }
        );
        let s3 = SIGNED_DYNAMODB.replace("/dynamodb/", "/s3/");
        let get = request(
            "GET",
            "https://b.s3.eu-west-1.amazonaws.com/transfers/a.csv",
            &[("authorization", &s3)],
        );
        assert_eq!(AwsCall::of(&get).service, "S3");
        assert_eq!(AwsCall::of(&get).operation, "GetObject");
        let list = request(
            "GET",
            "https://b.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=avatars",
            &[("authorization", &s3)],
        );
        assert_eq!(AwsCall::of(&list).operation, "ListObjectsV2");
        let unsigned = request("HEAD", "http://127.0.0.1:5050/b/k", &[]);
        assert_eq!(
            (AwsCall::of(&unsigned).service.as_str(), AwsCall::of(&unsigned).region),
            ("aws", None)
        );
    }

    #[test]
    fn a_subsegment_says_its_trace_times_status_and_request_id_and_marks_failures() {
        let trace = Trace {
            root: "1-6745a1b2-0c1d2e3f4a5b6c7d8e9f0a1b".to_owned(),
            parent: "3c4d5e6f7a8b9c0d".to_owned(),
        };
        let call = AwsCall {
            service: "DynamoDB".to_owned(),
            operation: "GetItem".to_owned(),
            region: Some("eu-west-1".to_owned()),
        };
        let start = UNIX_EPOCH + std::time::Duration::from_millis(1_764_000_000_250);
        let end = start + std::time::Duration::from_millis(7);
        let answer = |status: u16| {
            let mut response = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
            response.headers_mut().insert("x-amzn-requestid", "REQ1");
            Ok(response)
        };

        let ok = document(&trace, &call, start, end, &answer(200));
        assert_eq!(ok["name"], "DynamoDB");
        assert_eq!(ok["type"], "subsegment");
        assert_eq!(ok["namespace"], "aws");
        assert_eq!(ok["trace_id"], "1-6745a1b2-0c1d2e3f4a5b6c7d8e9f0a1b");
        assert_eq!(ok["parent_id"], "3c4d5e6f7a8b9c0d");
        assert_eq!(ok["id"].as_str().map(str::len), Some(16));
        assert_eq!(
            ok["aws"],
            json!({"operation": "GetItem", "region": "eu-west-1", "request_id": "REQ1"})
        );
        assert_eq!(ok["http"]["response"]["status"], 200);
        let took = ok["end_time"].as_f64().unwrap() - ok["start_time"].as_f64().unwrap();
        assert!((took - 0.007).abs() < 1e-6, "{took}");
        assert!(ok.get("error").is_none() && ok.get("fault").is_none());

        let refused = document(&trace, &call, start, end, &answer(400));
        assert_eq!((refused.get("error"), refused.get("fault")), (Some(&json!(true)), None));
        let throttled = document(&trace, &call, start, end, &answer(429));
        assert_eq!(throttled["throttle"], true);
        let failed = document(&trace, &call, start, end, &answer(503));
        assert_eq!(failed["fault"], true);
        let cut = document(&trace, &call, start, end, &Err(ConnectorError::io("reset".into())));
        assert_eq!(cut["fault"], true);
        assert!(cut.get("http").is_none());
    }

    #[test]
    fn a_daemon_gets_one_document_a_datagram() {
        let listener = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let daemon = Daemon::connect(&format!("udp:{address} tcp:{address}")).unwrap();
        daemon.send(&json!({"name": "DynamoDB"}));
        let mut buffer = [0u8; 256];
        let read = listener.recv(&mut buffer).unwrap();
        assert_eq!(
            std::str::from_utf8(&buffer[..read]).ok(),
            Some("{\"format\":\"json\",\"version\":1}\n{\"name\":\"DynamoDB\"}")
        );
        assert!(Daemon::connect("not an address").is_none());
    }
}
