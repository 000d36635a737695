//! When DynamoDB fails: 503 with Retry-After, and nothing half-written.

use clientele_auth::Role;
use clientele_tests::app::{Stream, dynamodb_client, fresh_table, sdk_config};
use clientele_tests::proxy::behind_dynamodb_proxy;
use clientele_tests::services::dead_endpoint;
use clientele_tests::{Call, TestApp, customer_body};
use serde_json::json;

#[tokio::test]
async fn every_route_answers_503_with_retry_after_when_dynamodb_is_down() {
    let dynamodb = dynamodb_client().await;
    let table = fresh_table(&dynamodb, Stream::Off).await;
    let healthy = TestApp::over(dynamodb.clone(), dynamodb.clone(), table.clone()).await;
    let id = healthy.created(&customer_body("Before The Outage")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = healthy.items().await;

    let unreachable = aws_sdk_dynamodb::Client::new(&sdk_config(&dead_endpoint()).await);
    let mut down = TestApp::over(unreachable, dynamodb, table).await;
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

/// A function whose reads reach DynamoDB and whose writes can be made to
/// fail, and a healthy one over the same table and business.
async fn behind_proxy() -> (TestApp, TestApp, clientele_tests::proxy::FaultyProxy) {
    let (flaky, proxy) = behind_dynamodb_proxy(Stream::Off).await;
    let mut healthy = TestApp::over(flaky.dynamodb.clone(), flaky.dynamodb.clone(), flaky.table.clone()).await;
    healthy.business = flaky.business;
    (healthy, flaky, proxy)
}

#[tokio::test]
async fn a_write_that_fails_after_its_reads_leaves_nothing_half_done() {
    let (healthy, flaky, proxy) = behind_proxy().await;
    let mut taken = customer_body("Holder Of The Email");
    taken["email"] = json!("held@example.com");
    let id = healthy.created(&taken).await["id"].as_str().unwrap().to_owned();
    let patched = flaky
        .send(
            Call::patch(&format!("/api/customers/{id}"))
                .bearer(&flaky.token(Role::Staff))
                .json(&json!({"full_name": "Through The Proxy"})),
        )
        .await;
    assert_eq!(patched.status, 200, "the proxy passes what it is not told to fail");
    let before = healthy.items().await;

    proxy.fail("TransactWriteItems");
    let item = format!("/api/customers/{id}");
    let admin = flaky.token(Role::Admin);
    for call in [
        Call::post("/api/customers/").json(&customer_body("Never Created")),
        Call::patch(&item).json(&json!({"email": "moved@example.com", "full_name": "Never Renamed"})),
        Call::delete(&item),
    ] {
        let response = flaky.send(call.clone().bearer(&admin)).await;
        assert_eq!(
            (response.status, response.problem()),
            (503, "service-unavailable".to_owned()),
            "{call:?}"
        );
        assert_eq!(response.header("retry-after"), Some("2"));
    }
    assert_eq!(
        healthy.items().await,
        before,
        "no claim moved, no event recorded, nothing deleted"
    );
    let read = flaky.send(Call::get(&item).bearer(&admin)).await;
    assert_eq!(
        (read.status, read.json()["full_name"].as_str()),
        (200, Some("Through The Proxy"))
    );
}
