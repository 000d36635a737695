//! The metrics requests produce, as CloudWatch reads them: Embedded Metric
//! Format lines. A binary of its own, as the recorder is the process's: the
//! integration tests count into none, this one into its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use clientele_auth::Role;
use clientele_tests::{Call, TestApp, customer_body};
use serde_json::{Value, json};

fn settings(name: &str) -> Option<String> {
    match name {
        "METRICS_NAMESPACE" => Some("Clientele/test".to_owned()),
        "AWS_LAMBDA_FUNCTION_NAME" => Some("clientele-test-customers".to_owned()),
        _ => None,
    }
}

/// Every document flushed since the last flush.
fn flushed() -> Vec<Value> {
    let collector = clientele_startup::metrics::collector().expect("this test's recorder");
    let mut out = Vec::new();
    collector.flush(&mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON document"))
        .collect()
}

/// The documents of `route` with `status_class`.
fn of<'a>(documents: &'a [Value], route: &str, class: &str) -> Vec<&'a Value> {
    documents
        .iter()
        .filter(|d| d["route"] == route && d["status_class"] == class)
        .collect()
}

#[tokio::test]
async fn requests_are_counted_by_route_and_status_class_and_never_by_customer() {
    clientele_startup::metrics::init(&settings);
    let app = TestApp::spawn().await;
    flushed();

    let created = app.create(&customer_body("Mia Metric")).await;
    assert_eq!(created.status, 201);
    let refused = app.create(&json!({"full_name": ""})).await;
    assert_eq!(refused.status, 422);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let read = app
        .send(Call::get(&format!("/api/customers/{id}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(read.status, 200);
    // What the runtime wrappers record after every invocation.
    clientele_startup::metrics::record_peak_memory();
    let documents = flushed();

    let create = "POST /api/customers/";
    let ok = of(&documents, create, "2xx");
    assert_eq!(ok.len(), 1, "{documents:#?}");
    assert_eq!(ok[0]["Requests"], 1);
    assert_eq!(ok[0]["Latency"].as_array().map(Vec::len), Some(1));
    assert_eq!(of(&documents, create, "4xx")[0]["Requests"], 1);
    assert_eq!(
        of(&documents, "GET /api/customers/{customer_id}", "2xx")[0]["Requests"],
        1,
        "the route as the table writes it, not the path with the id"
    );
    let created_count: Vec<&Value> = documents.iter().filter_map(|d| d.get("CustomersCreated")).collect();
    assert_eq!(created_count, [&json!(1)]);

    for document in &documents {
        let directive = &document["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Clientele/test");
        assert_eq!(document["function"], "clientele-test-customers");
        let dimensions: Vec<&str> = directive["Dimensions"][0]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(dimensions.len() <= 3, "few dimensions: {dimensions:?}");
        for dimension in &dimensions {
            assert!(
                ["function", "route", "status_class", "reason", "outcome"].contains(dimension),
                "no id is a dimension: {dimension}"
            );
        }
        assert!(
            !document.to_string().contains(&id),
            "no customer id anywhere: {document}"
        );
    }
    let units: Vec<(&str, &str)> = documents
        .iter()
        .flat_map(|d| d["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap())
        .filter_map(|m| Some((m["Name"].as_str()?, m["Unit"].as_str()?)))
        .collect();
    assert!(units.contains(&("Latency", "Milliseconds")), "{units:?}");
    assert!(units.contains(&("Requests", "Count")), "{units:?}");
    assert!(units.contains(&("PeakMemory", "Bytes")), "{units:?}");
    let peak: Vec<f64> = documents.iter().filter_map(|d| d["PeakMemory"].as_f64()).collect();
    assert!(
        peak.len() == 1 && peak[0] > 1_048_576.0,
        "the process's peak memory, once: {peak:?}"
    );
}
