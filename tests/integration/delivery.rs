//! Delivery, end to end: DynamoDB Local's stream, the publisher, moto's
//! EventBridge, and a queue subscribed to the bus by a rule.

use std::collections::HashSet;

use clientele_auth::Role;
use clientele_tests::delivery::{EventFlow, SOURCE, assert_matches_schema, detail_types};
use clientele_tests::fixtures::TINY_PNG;
use clientele_tests::proxy::FaultyProxy;
use clientele_tests::services::moto_endpoint;
use clientele_tests::{Call, TestApp, customer_body};
use serde_json::{Value, json};

async fn created(app: &TestApp, name: &str) -> String {
    app.created(&customer_body(name)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn ok(app: &TestApp, call: Call) -> Value {
    let what = format!("{} {}", call.method(), call.path());
    app.send(call).await.success(&what)
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

#[tokio::test]
async fn every_routes_event_arrives_once_with_its_fields_and_matches_its_schema() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let (staff, admin) = (app.token(Role::Staff), app.token(Role::Admin));
    let body = customer_body("Evelyn Event");
    let id = app.created(&body).await["id"].as_str().unwrap().to_owned();
    let path = format!("/api/customers/{id}");
    ok(
        &app,
        Call::patch(&path)
            .bearer(&staff)
            .json(&json!({"phone": "+40 723 456 789"})),
    )
    .await;
    let tag = ok(
        &app,
        Call::post(&format!("{path}/tags"))
            .bearer(&staff)
            .json(&json!({"label": "VIP"})),
    )
    .await;
    let tag_id = tag["id"].as_str().unwrap();
    ok(&app, Call::delete(&format!("{path}/tags/{tag_id}")).bearer(&admin)).await;
    let note = ok(
        &app,
        Call::post(&format!("{path}/notes"))
            .bearer(&staff)
            .json(&json!({"content": "Prefers mornings"})),
    )
    .await;
    ok(
        &app,
        Call::post(&format!("{path}/avatar"))
            .bearer(&staff)
            .header("content-type", "image/png")
            .bytes(&TINY_PNG),
    )
    .await;
    ok(&app, Call::post(&format!("{path}/validate")).bearer(&admin)).await;
    ok(
        &app,
        Call::post(&format!("{path}/suspend"))
            .bearer(&admin)
            .json(&json!({"reason": "Unpaid invoices"})),
    )
    .await;
    ok(&app, Call::post(&format!("{path}/reactivate")).bearer(&admin)).await;
    ok(&app, Call::delete(&path).bearer(&admin)).await;

    let events = flow.deliver().await;
    assert_eq!(
        sorted(detail_types(&events)),
        sorted(vec![
            "customer.created",
            "customer.updated",
            "customer.tag.added",
            "customer.tag.removed",
            "customer.note.added",
            "customer.updated",
            "customer.validated",
            "customer.suspended",
            "customer.reactivated",
            "customer.deleted",
        ])
    );
    let ids: HashSet<&str> = events.iter().filter_map(|e| e["detail"]["eventId"].as_str()).collect();
    assert_eq!(ids.len(), events.len(), "every event once, each with its own id");
    for event in &events {
        assert_matches_schema(event);
        assert_eq!(event["source"], SOURCE);
        assert_eq!(event["detail"]["customerId"], id.as_str());
        assert_eq!(event["detail"]["businessId"], app.business.to_string());
        assert_eq!(event["detail"]["schemaVersion"], 2);
        let text = event.to_string();
        for personal in ["Evelyn", "evelyn", "+40", "Prefers mornings"] {
            assert!(!text.contains(personal), "{personal:?} in {text}");
        }
    }
    let of = |name: &str| -> Vec<&Value> { events.iter().filter(|e| e["detail-type"] == name).collect() };
    let mut updated: Vec<Value> = of("customer.updated")
        .iter()
        .map(|e| e["detail"]["updatedFields"].clone())
        .collect();
    updated.sort_by_key(|v| v.to_string());
    assert_eq!(updated, vec![json!(["avatar_url"]), json!(["phone"])]);
    assert_eq!(of("customer.tag.added")[0]["detail"]["tagId"], tag_id);
    assert_eq!(of("customer.tag.removed")[0]["detail"]["tagId"], tag_id);
    assert_eq!(of("customer.note.added")[0]["detail"]["noteId"], note["id"]);
    for lifecycle in ["customer.validated", "customer.suspended", "customer.reactivated"] {
        assert_eq!(of(lifecycle)[0]["detail"]["adminId"], "user:test-user", "{lifecycle}");
    }
    assert_eq!(of("customer.suspended")[0]["detail"]["reason"], "Unpaid invoices");

    assert_eq!(flow.deliver().await, Vec::<Value>::new(), "nothing is sent twice");
    assert!(flow.dead_lettered().await.is_empty());
}

#[tokio::test]
async fn with_the_bus_unreachable_records_are_reported_failed_and_arrive_once_it_is_back() {
    let app = TestApp::spawn_with_stream().await;
    let proxy = FaultyProxy::start(moto_endpoint()).await;
    let flow = EventFlow::through(&app, &proxy.endpoint).await;
    let mut ids = HashSet::new();
    for name in ["Olga Outage", "Otto Outage", "Oona Outage"] {
        ids.insert(created(&app, name).await);
    }

    proxy.fail("PutEvents");
    for _ in 0..2 {
        let (_, answer) = flow.feed_once().await;
        assert_eq!(
            answer.batch_item_failures.len(),
            1,
            "the batch is handed back from its first unsent event"
        );
        assert!(flow.published().await.is_empty());
    }
    assert!(
        flow.dead_lettered().await.is_empty(),
        "a passing outage is not a poison"
    );

    proxy.heal("PutEvents");
    let events = flow.deliver().await;
    assert_eq!(detail_types(&events), vec!["customer.created"; 3]);
    let arrived: HashSet<String> = events
        .iter()
        .map(|e| e["detail"]["customerId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(arrived, ids, "none lost");
    assert!(flow.deliver().await.is_empty(), "none twice");
}

#[tokio::test]
async fn entries_eventbridge_refuses_inside_a_successful_answer_are_sent_again_alone() {
    let app = TestApp::spawn_with_stream().await;
    let proxy = FaultyProxy::start(moto_endpoint()).await;
    let flow = EventFlow::through(&app, &proxy.endpoint).await;
    let mut ids = HashSet::new();
    for name in ["Rita Retry", "Rudi Retry", "Rosa Retry"] {
        ids.insert(created(&app, name).await);
    }
    proxy.refuse_first_entry(1);
    let events = flow.deliver().await;
    assert_eq!(events.len(), 3, "each event once: {events:#?}");
    let arrived: HashSet<String> = events
        .iter()
        .map(|e| e["detail"]["customerId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(arrived, ids);
}

#[tokio::test]
async fn a_poison_record_is_dead_lettered_without_holding_back_the_others() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let before = created(&app, "Paula Before").await;
    app.dynamodb
        .put_item()
        .table_name(&app.table)
        .item("pk", aws_sdk_dynamodb::types::AttributeValue::S("EVENT#poison".into()))
        .item("sk", aws_sdk_dynamodb::types::AttributeValue::S("EVENT#poison".into()))
        .item("entity", aws_sdk_dynamodb::types::AttributeValue::S("Event".into()))
        .item("detail", aws_sdk_dynamodb::types::AttributeValue::S("not JSON".into()))
        .send()
        .await
        .unwrap();
    let after = created(&app, "Peter After").await;

    let events = flow.deliver().await;
    let arrived: Vec<&str> = events
        .iter()
        .filter_map(|e| e["detail"]["customerId"].as_str())
        .collect();
    assert_eq!(sorted(arrived), sorted(vec![before.as_str(), after.as_str()]));
    let dead = flow.dead_lettered().await;
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert!(dead[0]["reason"].as_str().unwrap().contains("not an outbox event"));
    assert_eq!(dead[0]["record"]["dynamodb"]["Keys"]["pk"]["S"], "EVENT#poison");
    assert!(flow.deliver().await.is_empty() && flow.dead_lettered().await.is_empty());
}

#[tokio::test]
async fn more_events_than_one_put_events_call_takes_go_out_in_batches_of_ten() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let mut ids = HashSet::new();
    for n in 0..23 {
        ids.insert(created(&app, &format!("Bulk Customer {n}")).await);
    }
    let events = flow.deliver().await;
    assert_eq!(events.len(), 23);
    let arrived: HashSet<String> = events
        .iter()
        .map(|e| e["detail"]["customerId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(arrived, ids);
}
