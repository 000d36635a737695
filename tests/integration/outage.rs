//! When DynamoDB fails: 503 with Retry-After, and nothing half-written.

use std::net::TcpListener;

use clientele_auth::Role;
use clientele_tests::app::{dynamodb_client, fresh_table, sdk_config};
use clientele_tests::{Call, TestApp, customer_body};
use serde_json::json;

/// An address where nothing listens.
fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn every_route_answers_503_with_retry_after_when_dynamodb_is_down() {
    let dynamodb = dynamodb_client().await;
    let table = fresh_table(&dynamodb).await;
    let healthy = TestApp::over(dynamodb.clone(), dynamodb.clone(), table.clone());
    let id = healthy.created(&customer_body("Before The Outage")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = healthy.items().await;

    let unreachable = aws_sdk_dynamodb::Client::new(&sdk_config(&dead_endpoint()).await);
    let mut down = TestApp::over(unreachable, dynamodb, table);
    down.business = healthy.business;
    let admin = down.token(Role::Admin);
    let item = format!("/api/customers/{id}");
    for call in [
        Call::post("/api/customers/").json(&customer_body("During The Outage")),
        Call::get("/api/customers/"),
        Call::get(&item),
        Call::patch(&item).json(&json!({"full_name": "Changed During The Outage"})),
        Call::delete(&item),
        Call::get(&format!("{item}/stats")),
    ] {
        let response = down.send(call.clone().bearer(&admin)).await;
        assert_eq!(response.status, 503, "{call:?}");
        assert_eq!(response.problem(), "service-unavailable");
        assert_eq!(response.header("retry-after"), Some("2"));
        assert!(
            !String::from_utf8_lossy(&response.body).contains("127.0.0.1"),
            "no internals leak"
        );
    }
    assert_eq!(healthy.items().await, before, "nothing was written");
}
