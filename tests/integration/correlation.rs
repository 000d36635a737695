//! Correlation: the id a caller can quote, in every answer and in every log
//! line written for its request.

use clientele_auth::Role;
use clientele_tests::logs::CapturedLogs;
use clientele_tests::{Call, TestApp, customer_body};
use serde_json::{Value, json};

#[tokio::test]
async fn every_answer_names_its_request_and_so_does_every_log_line_written_for_it() {
    let app = TestApp::spawn().await;
    let customer = app.created(&customer_body("Cora Correlated")).await;
    let path = format!("/api/customers/{}", customer["id"].as_str().unwrap());
    let (logs, guard) = CapturedLogs::start_json();
    let refused = app
        .send(
            Call::patch(&path)
                .request_id("quoted-by-a-caller")
                .bearer(&app.token(Role::Staff))
                .json(&json!({"email": "not an email"})),
        )
        .await;
    let read = app
        .send(
            Call::get(&path)
                .request_id("read-request")
                .bearer(&app.token(Role::Viewer)),
        )
        .await;
    drop(guard);

    assert_eq!(refused.status, 422);
    assert_eq!(refused.header("x-request-id"), Some("quoted-by-a-caller"));
    assert_eq!(refused.json()["request_id"], "quoted-by-a-caller");
    assert_eq!(read.status, 200);
    assert_eq!(read.header("x-request-id"), Some("read-request"));
    assert!(
        read.json().get("request_id").is_none(),
        "only problems carry it in the body"
    );

    // The lines the functions write at their level (INFO unless set);
    // below it, the SDK's connection tasks trace outside any request.
    let lines: Vec<Value> = logs
        .text()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| ["INFO", "WARN", "ERROR"].contains(&line["level"].as_str().unwrap_or_default()))
        .collect();
    let request_of = |line: &Value| {
        line["spans"]
            .as_array()
            .and_then(|spans| spans.iter().find(|span| span["name"] == "request"))
            .cloned()
    };
    let route_of = |id: &str| match id {
        "quoted-by-a-caller" => "PATCH /api/customers/{customer_id}",
        "read-request" => "GET /api/customers/{customer_id}",
        _ => "another request",
    };
    assert!(!lines.is_empty());
    for line in &lines {
        let request = request_of(line).unwrap_or_else(|| panic!("a line outside any request: {line}"));
        let id = request["request_id"].as_str().unwrap_or_default();
        assert_eq!(request["route"], route_of(id), "{line}");
    }
    let answered: Vec<(&str, u64)> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "answered")
        .map(|line| {
            (
                line["span"]["request_id"].as_str().unwrap_or_default(),
                line["fields"]["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(answered, [("quoted-by-a-caller", 422), ("read-request", 200)]);
}
