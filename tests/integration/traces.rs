//! X-Ray subsegments: every AWS call a function makes, sent by the SDK's
//! wrapped HTTP client to the daemon named by `AWS_XRAY_DAEMON_ADDRESS`,
//! under the segment the invocation's trace header names. A UDP socket on
//! 127.0.0.1 stands where Lambda's daemon listens; the calls go to DynamoDB
//! Local and moto.

use std::net::UdpSocket;
use std::time::Duration;

use aws_config::Region;
use aws_sdk_dynamodb::config::Credentials;
use clientele_startup::xray;
use clientele_tests::services::{dynamodb_endpoint, moto_endpoint};
use serde_json::Value;

const ROOT: &str = "1-6745a1b2-0c1d2e3f4a5b6c7d8e9f0a1b";
const PARENT: &str = "3c4d5e6f7a8b9c0d";

fn sampled() -> Option<String> {
    Some(format!("Root={ROOT};Parent={PARENT};Sampled=1"))
}

fn not_sampled() -> Option<String> {
    Some(format!("Root={ROOT};Parent={PARENT};Sampled=0"))
}

async fn sdk(endpoint: &str, daemon: &UdpSocket, trace_header: xray::TraceHeader) -> aws_config::SdkConfig {
    let address = daemon.local_addr().unwrap().to_string();
    clientele_startup::aws::sdk_config_loader()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "clientele-tests"))
        .http_client(xray::traced(xray::https_client(), &address, trace_header))
        .load()
        .await
}

fn daemon() -> UdpSocket {
    let socket = UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    socket
}

/// The documents the daemon has received, each checked for its header.
fn received(daemon: &UdpSocket) -> Vec<Value> {
    let mut documents = Vec::new();
    let mut buffer = [0u8; 65_536];
    while let Ok(read) = daemon.recv(&mut buffer) {
        let text = std::str::from_utf8(&buffer[..read]).unwrap();
        let (header, document) = text.split_once('\n').unwrap();
        assert_eq!(header, r#"{"format":"json","version":1}"#);
        documents.push(serde_json::from_str(document).unwrap());
    }
    documents
}

#[tokio::test]
async fn each_aws_call_of_a_sampled_invocation_is_a_subsegment_of_its_segment() {
    let daemon = daemon();
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk(dynamodb_endpoint(), &daemon, sampled).await);
    let events = aws_sdk_eventbridge::Client::new(&sdk(moto_endpoint(), &daemon, sampled).await);

    dynamodb.list_tables().limit(1).send().await.unwrap();
    let missing = dynamodb.describe_table().table_name("no-such-table").send().await;
    assert!(missing.is_err());
    events.list_event_buses().send().await.unwrap();

    let documents = received(&daemon);
    assert_eq!(documents.len(), 3, "{documents:#?}");
    for document in &documents {
        assert_eq!(document["type"], "subsegment");
        assert_eq!(document["namespace"], "aws");
        assert_eq!(document["trace_id"], ROOT);
        assert_eq!(document["parent_id"], PARENT);
        assert_eq!(document["aws"]["region"], "us-east-1");
        let (start, end) = (
            document["start_time"].as_f64().unwrap(),
            document["end_time"].as_f64().unwrap(),
        );
        assert!(start > 1.7e9 && end >= start, "{document}");
    }
    let listed = &documents[0];
    assert_eq!(
        (&listed["name"], &listed["aws"]["operation"]),
        (&"DynamoDB".into(), &"ListTables".into())
    );
    assert_eq!(listed["http"]["response"]["status"], 200);
    assert!(listed["aws"]["request_id"].is_string(), "{listed}");
    assert!(listed.get("error").is_none() && listed.get("fault").is_none());
    let refused = &documents[1];
    assert_eq!(refused["aws"]["operation"], "DescribeTable");
    assert_eq!(refused["http"]["response"]["status"], 400);
    assert_eq!(refused["error"], true);
    let bus = &documents[2];
    assert_eq!(
        (&bus["name"], &bus["aws"]["operation"]),
        (&"EventBridge".into(), &"ListEventBuses".into())
    );
}

#[tokio::test]
async fn an_invocation_that_is_not_sampled_sends_nothing() {
    let daemon = daemon();
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk(dynamodb_endpoint(), &daemon, not_sampled).await);
    dynamodb.list_tables().limit(1).send().await.unwrap();
    assert_eq!(received(&daemon), Vec::<Value>::new());
}
