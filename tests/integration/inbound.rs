//! The inbound function: what other services send, from the fixtures in
//! `events/inbound/`, against DynamoDB Local and moto.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use clientele_auth::Role;
use clientele_operations::Context;
use clientele_operations::data::DataPolicy;
use clientele_store::DynamoStore;
use clientele_tests::delivery::{EventFlow, assert_matches_schema};
use clientele_tests::proxy::FaultyProxy;
use clientele_tests::services::{dynamodb_endpoint, project_root};
use clientele_tests::{Call, TestApp, customer_body};
use inbound::Outcome;
use serde_json::{Value, json};

/// The ids the fixtures name: the demo business and customer of `make run`.
const FIXTURE_BUSINESS: &str = "123e4567-e89b-12d3-a456-426614174001";
const FIXTURE_CUSTOMER: &str = "123e4567-e89b-12d3-a456-426614174002";

fn function(app: &TestApp, flow: &EventFlow) -> inbound::App {
    inbound::App {
        context: app.context(),
        publisher: flow.publisher.publisher.clone(),
        settings: inbound::Settings {
            allowed_sources: [
                "platform.admin",
                "platform.orders",
                "platform.appointments",
                "platform.profiles",
            ]
            .map(str::to_owned)
            .into(),
            data_policy: DataPolicy::parse(r#"{"platform.profiles": ["id", "email", "status", "customer_type"]}"#)
                .unwrap(),
        },
    }
}

/// A fixture, about `customer` of `app`'s business.
fn fixture(name: &str, app: &TestApp, customer: &str) -> EventBridgeEvent<Value> {
    let path = project_root().join("events/inbound").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text
        .replace(FIXTURE_CUSTOMER, customer)
        .replace(FIXTURE_BUSINESS, &app.business.to_string());
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not an EventBridge event: {e}"))
}

struct Setup {
    app: TestApp,
    flow: EventFlow,
    function: inbound::App,
    customer: String,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let flow = EventFlow::new(&app).await;
    let function = function(&app, &flow);
    let customer = app.created(&customer_body("Ines Inbound")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Setup {
        app,
        flow,
        function,
        customer,
    }
}

impl Setup {
    async fn handle(&self, name: &str) -> Outcome {
        let event = fixture(name, &self.app, &self.customer);
        self.function
            .handle(&event)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    async fn customer(&self) -> Value {
        let response = self
            .app
            .send(Call::get(&format!("/api/customers/{}", self.customer)).bearer(&self.app.token(Role::Viewer)))
            .await;
        assert_eq!(response.status, 200);
        response.json()
    }

    async fn stats(&self) -> Value {
        let response = self
            .app
            .send(Call::get(&format!("/api/customers/{}/stats", self.customer)).bearer(&self.app.token(Role::Viewer)))
            .await;
        assert_eq!(response.status, 200);
        response.json()
    }
}

fn dropped(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Dropped(_))
}

#[tokio::test]
async fn order_and_appointment_facts_keep_the_statistics_and_count_once() {
    let s = setup().await;
    assert_eq!(s.handle("order-completed.json").await, Outcome::Done);
    assert_eq!(
        s.handle("order-completed.json").await,
        Outcome::AlreadyDone,
        "EventBridge delivered it twice"
    );
    assert_eq!(s.handle("order-returned.json").await, Outcome::Done);
    assert_eq!(s.handle("appointment-booked.json").await, Outcome::Done);
    assert_eq!(s.handle("appointment-cancelled.json").await, Outcome::Done);
    assert_eq!(s.handle("appointment-cancelled.json").await, Outcome::AlreadyDone);

    let stats = s.stats().await;
    assert_eq!(stats["customer_id"], s.customer.as_str());
    let flat = stats.to_string();
    let find = |key: &str| -> Value {
        stats
            .get(key)
            .or_else(|| stats["stats"].get(key))
            .or_else(|| stats["history"].get(key))
            .cloned()
            .unwrap_or_else(|| panic!("{key} not in {flat}"))
    };
    assert_eq!(find("total_orders"), 1, "counted once");
    assert_eq!(find("lifetime_value"), json!(100.0), "149.99 completed, 49.99 returned");
    assert_eq!(find("returned_orders"), 1);
    assert_eq!(find("total_appointments"), 1);
    assert_eq!(find("cancelled_appointments"), 1);
    assert_eq!(find("last_order_date"), find("first_order_date"));
    assert!(
        find("last_order_date")
            .as_str()
            .unwrap()
            .starts_with("2026-11-25T09:58:12")
    );
    assert!(
        find("first_appointment_date")
            .as_str()
            .unwrap()
            .starts_with("2026-11-25T10:15:00")
    );
}

#[tokio::test]
async fn admin_actions_drive_the_lifecycle_state_machine() {
    let s = setup().await;
    assert_eq!(s.handle("admin-customer-action-validate.json").await, Outcome::Done);
    assert_eq!(s.customer().await["status"], "active");
    assert!(
        dropped(&s.handle("admin-customer-action-reactivate.json").await),
        "an active customer cannot be reactivated"
    );
    assert_eq!(s.handle("admin-customer-action-suspend.json").await, Outcome::Done);
    assert_eq!(s.customer().await["status"], "suspended");
    assert_eq!(s.handle("admin-customer-action-reactivate.json").await, Outcome::Done);
    assert_eq!(s.customer().await["status"], "active");

    let events = s.flow.deliver().await;
    let suspended: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail-type"] == "customer.suspended")
        .collect();
    assert_eq!(suspended.len(), 1);
    assert_eq!(
        suspended[0]["detail"]["adminId"],
        "8f14e45f-ceea-467a-9af0-7d6f0c1e2a11"
    );
    assert_eq!(suspended[0]["detail"]["reason"], "Unpaid invoices since September");
    for event in &events {
        assert_matches_schema(event);
    }
}

#[tokio::test]
async fn an_update_request_applies_as_patch_would_and_a_server_owned_field_is_refused() {
    let s = setup().await;
    let before = s.customer().await;
    assert!(dropped(&s.handle("update-request-server-owned-field.json").await));
    assert_eq!(s.customer().await, before, "nothing changed");

    assert_eq!(s.handle("customer-update-request.json").await, Outcome::Done);
    let after = s.customer().await;
    assert_eq!(after["phone"], "+40 723 456 780");
    assert_eq!(after["version"], before["version"].as_u64().unwrap() + 1);
    let events = s.flow.deliver().await;
    let updated: Vec<&Value> = events
        .iter()
        .filter(|e| e["detail-type"] == "customer.updated")
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["detail"]["updatedFields"], json!(["phone"]));
}

#[tokio::test]
async fn a_data_request_is_answered_with_only_the_fields_the_requester_may_see() {
    let s = setup().await;
    s.flow.deliver().await;
    assert_eq!(s.handle("data-request.json").await, Outcome::Done);
    let answers = s.flow.published().await;
    assert_eq!(answers.len(), 1, "{answers:#?}");
    let answer = &answers[0];
    assert_eq!(answer["detail-type"], "customer.data.response");
    assert_matches_schema(answer);
    let detail = &answer["detail"];
    assert_eq!(detail["requestId"], "profiles-req-0002");
    assert_eq!(detail["requester"], "platform.profiles");
    assert_eq!(detail["found"], true);
    let data = detail["data"].as_object().unwrap();
    let mut fields: Vec<&str> = data.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["customer_type", "email", "status"],
        "asked for total_orders too, which platform.profiles may not see"
    );
    assert!(data["email"].as_str().unwrap().starts_with("ines.inbound."));

    assert_eq!(s.handle("data-request.json").await, Outcome::Done, "delivered again");
    let again = s.flow.published().await;
    assert_eq!(
        again[0]["detail"]["eventId"], detail["eventId"],
        "the answer to a request delivered twice is a duplicate a consumer can drop"
    );

    assert_eq!(s.handle("customer-data-request.json").await, Outcome::Done);
    let everything = s.flow.published().await;
    let data = everything[0]["detail"]["data"].as_object().unwrap();
    assert_eq!(data.len(), 4, "no fields named: every allowed field: {data:?}");
}

#[tokio::test]
async fn malformed_unknown_and_unallowed_events_are_dropped_and_change_nothing() {
    let s = setup().await;
    s.flow.deliver().await;
    let items = s.app.items().await.len();
    let before = s.customer().await;
    for name in [
        "order-completed-malformed.json",
        "unknown-detail-type.json",
        "disallowed-source.json",
        "admin-action-unknown-action.json",
        "update-request-server-owned-field.json",
    ] {
        assert!(dropped(&s.handle(name).await), "{name}");
    }
    // Facts and actions about a customer this business does not have.
    let mut stranger = fixture("order-completed.json", &s.app, &s.customer);
    stranger.detail["businessId"] = json!(clientele_core::BusinessId::random().to_string());
    assert!(dropped(&s.function.handle(&stranger).await.unwrap()));
    let mut missing = fixture("admin-customer-action-validate.json", &s.app, &s.customer);
    missing.detail["customerId"] = json!(clientele_core::CustomerId::random().to_string());
    assert!(dropped(&s.function.handle(&missing).await.unwrap()));
    // A data request from a source with no fields allowed.
    let mut nosy = fixture("data-request.json", &s.app, &s.customer);
    nosy.source = "platform.orders".to_owned();
    assert!(dropped(&s.function.handle(&nosy).await.unwrap()));

    assert_eq!(s.app.items().await.len(), items, "no item written");
    assert_eq!(s.customer().await, before);
    assert!(s.flow.deliver().await.is_empty(), "nothing published");
}

#[tokio::test]
async fn with_the_table_unavailable_an_event_fails_so_that_lambda_retries_it() {
    let s = setup().await;
    let proxy = FaultyProxy::start(dynamodb_endpoint()).await;
    let client = aws_sdk_dynamodb::Client::new(&clientele_tests::app::sdk_config(&proxy.endpoint).await);
    let function = inbound::App {
        context: Context {
            store: DynamoStore::new(client, s.app.table.clone()),
            clock: Arc::new(clientele_core::SystemClock),
        },
        ..function(&s.app, &s.flow)
    };
    proxy.fail("TransactWriteItems");
    let event = fixture("order-completed.json", &s.app, &s.customer);
    assert!(function.handle(&event).await.is_err(), "a passing failure is retried");
    proxy.heal("TransactWriteItems");
    assert_eq!(function.handle(&event).await.unwrap(), Outcome::Done);
    assert_eq!(function.handle(&event).await.unwrap(), Outcome::AlreadyDone);
}

#[tokio::test]
async fn every_inbound_fixture_is_handled_without_failing_the_invocation() {
    let s = setup().await;
    let folder = project_root().join("events/inbound");
    let mut handled = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") {
            let outcome = s.function.handle(&fixture(&name, &s.app, &s.customer)).await;
            assert!(outcome.is_ok(), "{name}: {outcome:?}");
            handled += 1;
        }
    }
    assert!(handled >= 15, "only {handled} fixtures");
}
