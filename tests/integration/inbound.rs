//! The inbound function: what other services send, from the fixtures in
//! `events/inbound/`, against DynamoDB Local and moto.

use std::sync::Arc;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use clientele_auth::Role;
use clientele_core::{Clock, Rate};
use clientele_operations::Context;
use clientele_operations::data::DataPolicy;
use clientele_stack::{create_event_bus, create_queue, create_tap};
use clientele_store::DynamoStore;
use clientele_tests::delivery::{EventFlow, SOURCE, assert_matches_schema};
use clientele_tests::proxy::FaultyProxy;
use clientele_tests::services::{dynamodb_endpoint, moto_endpoint, project_root};
use clientele_tests::{Call, TestApp, customer_body};
use inbound::answers::Answers;
use inbound::{Dropped, Outcome};
use serde_json::{Value, json};

/// The ids the fixtures name: the demo business and customer of `make run`.
const FIXTURE_BUSINESS: &str = "123e4567-e89b-12d3-a456-426614174001";
const FIXTURE_CUSTOMER: &str = "123e4567-e89b-12d3-a456-426614174002";

/// The requester's own queue, where its answers go, and the function.
async fn function(app: &TestApp, flow: &EventFlow) -> (inbound::App, String) {
    let answers = create_queue(flow.sqs(), &format!("{}-answers", flow.bus))
        .await
        .expect("moto creates the queue");
    let policy = json!({
        "platform.profiles": {"fields": ["id", "email", "status", "customer_type"], "deliver_to": answers},
        "platform.accounting": {"deliver_to": answers, "service": "accounting-service"},
    });
    let function = inbound::App {
        context: app.context(),
        answers: Answers::new(
            aws_sdk_eventbridge::Client::new(&moto().await),
            flow.sqs().clone(),
            SOURCE,
        ),
        settings: inbound::Settings {
            data_policy: DataPolicy::parse(&policy.to_string()).unwrap(),
            patch_rate: Rate::DEFAULT_UPDATE_RATE,
        },
    };
    (function, answers)
}

async fn moto() -> aws_config::SdkConfig {
    clientele_tests::app::sdk_config(moto_endpoint()).await
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
    /// The requester's own queue.
    answers: String,
    customer: String,
}

async fn setup() -> Setup {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let (function, answers) = function(&app, &flow).await;
    let customer = app.created(&customer_body("Ines Inbound")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Setup {
        app,
        flow,
        function,
        answers,
        customer,
    }
}

impl Setup {
    async fn handle(&self, name: &str) -> Outcome {
        self.send(fixture(name, &self.app, &self.customer)).await
    }

    async fn send(&self, event: EventBridgeEvent<Value>) -> Outcome {
        self.function
            .handle(&event)
            .await
            .unwrap_or_else(|e| panic!("{} from {}: {e}", event.detail_type, event.source))
    }

    fn event(&self, name: &str) -> EventBridgeEvent<Value> {
        fixture(name, &self.app, &self.customer)
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

    /// What reached the requester's own queue.
    async fn answers(&self) -> Vec<Value> {
        self.flow.received(&self.answers).await
    }
}

fn dropped(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Dropped(..))
}

fn dropped_as(outcome: &Outcome, why: Dropped) -> bool {
    matches!(outcome, Outcome::Dropped(reason, _) if *reason == why)
}

/// A time `hours` before the test's clock, as an event would write it.
fn hours_ago(app: &TestApp, hours: i64) -> String {
    app.clock.now().plus_seconds(-hours * 3_600).to_string()
}

#[tokio::test]
async fn order_and_appointment_facts_keep_the_statistics_and_count_once() {
    let s = setup().await;
    let ordered_at = hours_ago(&s.app, 26);
    let mut completed = s.event("order-completed.json");
    completed.detail["occurredAt"] = json!(ordered_at);
    assert_eq!(s.send(completed.clone()).await, Outcome::Done);
    assert_eq!(
        s.send(completed).await,
        Outcome::AlreadyDone,
        "EventBridge delivered it twice"
    );
    assert_eq!(s.handle("order-returned.json").await, Outcome::Done);
    let booked_at = hours_ago(&s.app, 3);
    let mut booked = s.event("appointment-booked.json");
    booked.detail["occurredAt"] = json!(booked_at);
    assert_eq!(s.send(booked).await, Outcome::Done);
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
    let same_second = |found: Value, sent: &str| found.as_str().unwrap()[..19] == sent[..19];
    assert!(same_second(find("last_order_date"), &ordered_at), "{flat}");
    assert!(same_second(find("first_appointment_date"), &booked_at), "{flat}");
}

#[tokio::test]
async fn a_fact_from_the_future_or_older_than_its_marker_is_dropped_and_never_counted() {
    let s = setup().await;
    let items = s.app.items().await.len();
    let before = s.stats().await;
    for (order, at) in [
        ("order-9999", "9999-12-31T23:59:59Z".to_owned()),
        ("order-tomorrow", s.app.clock.now().plus_seconds(86_400).to_string()),
        ("order-old", hours_ago(&s.app, 31 * 24)),
    ] {
        let mut forged = s.event("order-completed.json");
        forged.detail["orderId"] = json!(order);
        forged.detail["occurredAt"] = json!(at);
        assert!(dropped_as(&s.send(forged).await, Dropped::Malformed), "{order} at {at}");
    }
    // The envelope's time stands in for a missing occurredAt, bounded alike.
    let mut late = s.event("order-completed.json");
    late.time = Some(
        chrono::DateTime::parse_from_rfc3339("9999-01-01T00:00:00Z")
            .unwrap()
            .into(),
    );
    assert!(dropped_as(&s.send(late).await, Dropped::Malformed));
    assert_eq!(s.app.items().await.len(), items, "no marker, nothing counted");
    assert_eq!(s.stats().await, before);

    // Within the clock skew it counts.
    let mut early = s.event("order-completed.json");
    early.detail["occurredAt"] = json!(s.app.clock.now().plus_seconds(60).to_string());
    assert_eq!(s.send(early).await, Outcome::Done);
}

#[tokio::test]
async fn admin_actions_drive_the_lifecycle_state_machine() {
    let s = setup().await;
    assert_eq!(s.handle("admin-customer-action-validate.json").await, Outcome::Done);
    assert_eq!(s.customer().await["status"], "active");
    assert!(
        dropped_as(
            &s.handle("admin-customer-action-reactivate.json").await,
            Dropped::Refused
        ),
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
        "platform.admin:8f14e45f-ceea-467a-9af0-7d6f0c1e2a11"
    );
    assert_eq!(suspended[0]["detail"]["reason"], "Unpaid invoices since September");
    for event in &events {
        assert_matches_schema(event);
    }
}

#[tokio::test]
async fn a_source_may_send_only_its_own_detail_types() {
    let s = setup().await;
    s.flow.deliver().await;
    let items = s.app.items().await.len();
    let before = s.customer().await;
    // Every pair but the allowed ones: the orders service cannot suspend,
    // the admin service cannot count orders, nobody can pass for us.
    let names = [
        "admin-customer-action-suspend.json",
        "customer-update-request.json",
        "data-request.json",
        "order-completed.json",
        "appointment-booked.json",
    ];
    let mut tried = 0;
    for source in [
        "platform.admin",
        "platform.profiles",
        "platform.orders",
        "platform.appointments",
        SOURCE,
        "somebody.else",
    ] {
        for name in names {
            let mut event = s.event(name);
            if clientele_core::inbound::may_send(source, &event.detail_type) {
                continue;
            }
            event.source = source.to_owned();
            let outcome = s.send(event).await;
            assert!(
                dropped_as(&outcome, Dropped::NotAllowed),
                "{source} sent {name}: {outcome:?}"
            );
            tried += 1;
        }
    }
    assert!(tried >= 20, "only {tried} pairs tried");
    assert_eq!(s.app.items().await.len(), items, "no item written");
    assert_eq!(s.customer().await, before);
    assert!(s.answers().await.is_empty(), "nothing answered");
    assert!(s.flow.deliver().await.is_empty(), "nothing published");
}

#[tokio::test]
async fn every_request_must_name_the_customers_own_business() {
    let s = setup().await;
    s.flow.deliver().await;
    let items = s.app.items().await.len();
    let before = s.customer().await;
    for name in [
        "admin-customer-action-suspend.json",
        "customer-update-request.json",
        "data-request.json",
        "order-completed.json",
        "appointment-booked.json",
    ] {
        let mut without = s.event(name);
        without.detail.as_object_mut().unwrap().remove("businessId");
        assert!(
            dropped_as(&s.send(without).await, Dropped::Malformed),
            "{name} without a business"
        );
        let mut elsewhere = s.event(name);
        elsewhere.detail["businessId"] = json!(clientele_core::BusinessId::random().to_string());
        assert!(
            dropped_as(&s.send(elsewhere).await, Dropped::NoCustomer),
            "{name} naming another business"
        );
    }
    assert_eq!(s.app.items().await.len(), items, "no item written");
    assert_eq!(s.customer().await, before);
    assert!(
        s.answers().await.is_empty(),
        "nothing answered about another business's customer"
    );
    assert!(s.flow.deliver().await.is_empty(), "nothing published");
}

#[tokio::test]
async fn an_update_request_applies_as_patch_would_and_a_server_owned_field_is_refused() {
    let s = setup().await;
    let before = s.customer().await;
    assert!(dropped_as(
        &s.handle("update-request-server-owned-field.json").await,
        Dropped::Malformed
    ));
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
async fn an_update_request_naming_a_stale_version_changes_nothing() {
    let s = setup().await;
    let before = s.customer().await;
    let version = before["version"].as_u64().unwrap();
    let mut stale = s.event("customer-update-request.json");
    stale.detail["expectedVersion"] = json!(version + 7);
    assert!(dropped_as(&s.send(stale).await, Dropped::Refused));
    assert_eq!(s.customer().await, before);
    let mut current = s.event("customer-update-request.json");
    current.detail["expectedVersion"] = json!(version);
    assert_eq!(s.send(current).await, Outcome::Done);
    assert_eq!(s.customer().await["version"], version + 1);
    let mut not_a_version = s.event("customer-update-request.json");
    not_a_version.detail["expectedVersion"] = json!("latest");
    assert!(dropped_as(&s.send(not_a_version).await, Dropped::Malformed));
}

#[tokio::test]
async fn update_requests_share_patchs_rate_limit_and_are_dropped_not_retried_past_it() {
    let s = setup().await;
    let limit = Rate::DEFAULT_UPDATE_RATE.limit;
    let path = format!("/api/customers/{}", s.customer);
    // One PATCH counts in the same window as the requests.
    let patched = s
        .app
        .send(
            Call::patch(&path)
                .json(&json!({"full_name": "Ines I. Inbound"}))
                .bearer(&s.app.token(Role::Admin)),
        )
        .await;
    patched.success("PATCH");
    for n in 1..limit {
        let mut request = s.event("customer-update-request.json");
        request.detail["changes"] = json!({"phone": format!("+40 723 456 78{n}")});
        assert_eq!(s.send(request).await, Outcome::Done, "request {n}");
    }
    let before = s.customer().await;
    let mut one_more = s.event("customer-update-request.json");
    one_more.detail["changes"] = json!({"phone": "+40 700 000 000"});
    let outcome = s.function.handle(&one_more).await;
    assert!(
        matches!(outcome, Ok(Outcome::Dropped(Dropped::RateLimited, _))),
        "dropped, not failed into the dead-letter queue: {outcome:?}"
    );
    assert_eq!(s.customer().await, before);
    let refused = s
        .app
        .send(
            Call::patch(&path)
                .json(&json!({"full_name": "Ines Again"}))
                .bearer(&s.app.token(Role::Admin)),
        )
        .await;
    assert_eq!(refused.status, 429, "the requests used PATCH's window too");
}

#[tokio::test]
async fn a_data_request_is_answered_to_the_requester_alone_with_only_the_fields_it_may_see() {
    let s = setup().await;
    s.flow.deliver().await;
    assert_eq!(s.handle("data-request.json").await, Outcome::Done);
    assert!(
        s.flow.published().await.is_empty(),
        "nothing on the shared bus, where any rule on our source would receive it"
    );
    let answers = s.answers().await;
    assert_eq!(answers.len(), 1, "{answers:#?}");
    let answer = &answers[0];
    assert_eq!(answer["detail-type"], "customer.data.response");
    assert_eq!(answer["source"], SOURCE);
    assert_matches_schema(answer);
    let detail = &answer["detail"];
    assert_eq!(answer["id"], detail["eventId"]);
    assert_eq!(detail["requestId"], "profiles-req-0002");
    assert_eq!(detail["requester"], "platform.profiles");
    assert_eq!(
        detail["targetService"], "platform.profiles",
        "addressed to its source, as its entry names no service"
    );
    assert_eq!(detail["schemaVersion"], 3);
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
    let again = s.answers().await;
    assert_eq!(
        again[0]["detail"]["eventId"], detail["eventId"],
        "the answer to a request delivered twice is a duplicate a consumer can drop"
    );

    // The same request id about another customer: another answer, whose id
    // a sender cannot have taken first by asking about someone else.
    let other = s.app.created(&customer_body("Olga Other")).await;
    let mut about_other = s.event("data-request.json");
    about_other.detail["customerId"] = other["id"].clone();
    assert_eq!(s.send(about_other).await, Outcome::Done);
    let other_answer = s.answers().await;
    assert_eq!(other_answer[0]["detail"]["customerId"], other["id"]);
    assert_ne!(other_answer[0]["detail"]["eventId"], detail["eventId"]);

    assert_eq!(s.handle("customer-data-request.json").await, Outcome::Done);
    let everything = s.answers().await;
    let data = everything[0]["detail"]["data"].as_object().unwrap();
    assert_eq!(data.len(), 4, "no fields named: every allowed field: {data:?}");
}

#[tokio::test]
async fn a_requester_with_a_bus_of_its_own_gets_its_answers_there() {
    let s = setup().await;
    s.flow.deliver().await;
    let moto = moto().await;
    let events = aws_sdk_eventbridge::Client::new(&moto);
    let bus = format!("{}-profiles", s.flow.bus);
    create_event_bus(&events, &bus).await.unwrap();
    let inbox = create_tap(&events, s.flow.sqs(), &bus, SOURCE, &format!("{bus}-inbox"))
        .await
        .unwrap();
    let arn = format!("arn:aws:events:us-east-1:123456789012:event-bus/{bus}");
    let policy = json!({"platform.profiles": {"fields": ["status"], "deliver_to": arn}});
    let function = inbound::App {
        settings: inbound::Settings {
            data_policy: DataPolicy::parse(&policy.to_string()).unwrap(),
            patch_rate: Rate::DEFAULT_UPDATE_RATE,
        },
        ..function(&s.app, &s.flow).await.0
    };
    let outcome = function.handle(&s.event("data-request.json")).await.unwrap();
    assert_eq!(outcome, Outcome::Done);
    let received = s.flow.received(&inbox).await;
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0]["detail-type"], "customer.data.response");
    assert_eq!(received[0]["detail"]["data"], json!({"status": "pending"}));
    assert!(s.flow.published().await.is_empty(), "not on the shared bus");
    assert!(s.answers().await.is_empty(), "not on the other destination");
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
    let mut missing = s.event("admin-customer-action-validate.json");
    missing.detail["customerId"] = json!(clientele_core::CustomerId::random().to_string());
    assert!(dropped_as(&s.send(missing).await, Dropped::NoCustomer));
    // A data request the policy does not answer: no fields for anyone else.
    let function = inbound::App {
        settings: inbound::Settings {
            data_policy: DataPolicy::default(),
            patch_rate: Rate::DEFAULT_UPDATE_RATE,
        },
        ..function(&s.app, &s.flow).await.0
    };
    let unanswered = function.handle(&s.event("data-request.json")).await.unwrap();
    assert!(dropped_as(&unanswered, Dropped::NotAnswered), "{unanswered:?}");

    assert_eq!(s.app.items().await.len(), items, "no item written");
    assert_eq!(s.customer().await, before);
    assert!(s.answers().await.is_empty(), "nothing answered");
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
        ..function(&s.app, &s.flow).await.0
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

#[tokio::test]
async fn every_dropped_event_is_counted_by_why() {
    // The template counts the lines its metric filter matches, by the value
    // its dimension names.
    let filter = clientele_tests::cloudformation::Deployed::template(&[]).properties("InboundEventsDropped");
    assert_eq!(filter["FilterPattern"], r#"{ $.fields.dropped = "*" }"#);
    let dimension = &filter["MetricTransformations"][0]["Dimensions"][0];
    assert_eq!(dimension["Value"], "$.fields.dropped");

    let s = setup().await;
    let (logs, guard) = clientele_tests::logs::CapturedLogs::start_json();
    let mut event = s.event("order-completed.json");
    event.source = "platform.admin".to_owned();
    assert!(dropped_as(&s.send(event).await, Dropped::NotAllowed));
    let handled = s.send(s.event("order-completed.json")).await;
    drop(guard);
    assert!(!matches!(handled, Outcome::Dropped(..)));

    let lines: Vec<Value> = logs
        .text()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let counted: Vec<&str> = lines
        .iter()
        .filter_map(|line| line["fields"]["dropped"].as_str())
        .collect();
    assert_eq!(
        counted,
        [Dropped::NotAllowed.as_str()],
        "one line counted, with its reason"
    );
}

#[tokio::test]
async fn a_team_user_changes_its_own_profile_or_asks_for_a_reset_from_the_mobile_app() {
    let s = setup().await;
    let users = format!("/api/customers/{}/users", s.customer);
    let added = s
        .app
        .send(
            Call::post(&users)
                .bearer(&s.app.token(Role::Staff))
                .json(&json!({"email": "ana.mobile@example.com", "full_name": "Ana Mobile", "status": "active"})),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.problem());
    let user = added.json()["id"].as_str().unwrap().to_owned();
    let as_user = |name: &str| {
        let mut event = s.event(name);
        event.detail["userId"] = json!(user);
        event
    };
    assert_eq!(
        s.send(as_user("mobile-user-action-profile-update.json")).await,
        Outcome::Done
    );
    let path = format!("{users}/{user}");
    let read = s
        .app
        .send(Call::get(&path).bearer(&s.app.token(Role::Viewer)))
        .await
        .json();
    assert_eq!(
        (&read["full_name"], &read["phone"], &read["email"]),
        (
            &json!("Ana Popescu"),
            &json!("+40 723 456 781"),
            &json!("ana.mobile@example.com")
        )
    );
    assert_eq!(
        s.send(as_user("mobile-user-action-password-reset-request.json")).await,
        Outcome::Done
    );
    let published = s.flow.deliver().await;
    let types: Vec<&str> = published.iter().filter_map(|e| e["detail-type"].as_str()).collect();
    assert!(
        types.contains(&"user.updated") && types.contains(&"user.password.reset"),
        "{types:?}"
    );
    let audit = s
        .app
        .send(Call::get(&format!("/api/customers/{}/audit", s.customer)).bearer(&s.app.token(Role::Admin)))
        .await
        .json();
    let actor = format!("platform.mobile:{user}");
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == actor.as_str()),
        "the user acted on itself: {audit}"
    );

    // Another field, another customer's user, or a disabled user: dropped,
    // and nothing changes.
    let mut email = as_user("mobile-user-action-profile-update.json");
    email.detail["changes"] = json!({"email": "taken.over@example.com"});
    assert!(dropped_as(&s.send(email).await, Dropped::Malformed));
    let mut stranger = s.event("mobile-user-action-profile-update.json");
    stranger.detail["userId"] = json!(uuid::Uuid::new_v4().to_string());
    assert!(dropped_as(&s.send(stranger).await, Dropped::NoUser));
    let other = s.app.created(&customer_body("Other Mobile")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut elsewhere = as_user("mobile-user-action-profile-update.json");
    elsewhere.detail["customerId"] = json!(other);
    assert!(
        dropped_as(&s.send(elsewhere).await, Dropped::NoUser),
        "a user of another customer"
    );
    let disabled = s
        .app
        .send(
            Call::patch(&path)
                .bearer(&s.app.token(Role::Staff))
                .json(&json!({"status": "disabled"})),
        )
        .await;
    assert_eq!(disabled.status, 200);
    assert!(dropped_as(
        &s.send(as_user("mobile-user-action-password-reset-request.json")).await,
        Dropped::Refused
    ));
    let after = s
        .app
        .send(Call::get(&path).bearer(&s.app.token(Role::Viewer)))
        .await
        .json();
    assert_eq!(after["email"], "ana.mobile@example.com");
}

#[tokio::test]
async fn the_accounting_service_is_answered_with_the_billing_information_alone() {
    let s = setup().await;
    let admin = s.app.token(Role::Admin);
    let plan = s
        .app
        .send(
            Call::post("/api/plans")
                .bearer(&admin)
                .json(&json!({"name": "Billing Plan", "period": "month",
            "price": {"amount": "19.90", "currency": "EUR"}, "tokens_per_period": 40})),
        )
        .await;
    assert_eq!(plan.status, 201, "{}", plan.problem());
    let plan = plan.json();
    let customer_path = format!("/api/customers/{}", s.customer);
    let subscribed = s
        .app
        .send(
            Call::post(&format!("{customer_path}/subscriptions"))
                .bearer(&admin)
                .json(&json!({"plan_id": plan["id"]})),
        )
        .await;
    assert_eq!(subscribed.status, 201, "{}", subscribed.problem());
    let subscription = subscribed.json();
    for (n, amount) in [(1, 5), (2, 7), (3, 3)] {
        let used = s
            .app
            .send(
                Call::post(&format!("{customer_path}/tokens/use"))
                    .bearer(&s.app.token(Role::Staff))
                    .json(&json!({"amount": amount, "movement_key": format!("use-{n}")})),
            )
            .await;
        assert_eq!(used.status, 201, "{}", used.problem());
    }
    s.flow.deliver().await;

    let mut request = s.event("accounting-customer-request.json");
    request.detail["ledgerLimit"] = json!(2);
    assert_eq!(s.send(request).await, Outcome::Done);
    assert!(s.flow.published().await.is_empty(), "nothing on the shared bus");
    let answers = s.answers().await;
    assert_eq!(answers.len(), 1, "{answers:#?}");
    let answer = &answers[0];
    assert_eq!(answer["detail-type"], "customer.billing.response");
    assert_matches_schema(answer);
    let detail = &answer["detail"];
    assert_eq!(
        (&detail["requester"], &detail["targetService"]),
        (&json!("platform.accounting"), &json!("accounting-service"))
    );
    assert_eq!(detail["customerId"], s.customer.as_str());
    assert_eq!(detail["subscription"]["id"], subscription["id"]);
    assert_eq!(detail["plan"]["id"], plan["id"]);
    assert_eq!(detail["balance"]["balance"], 40 - 5 - 7 - 3);
    assert_eq!(detail["balance"]["sequence"], 4);
    let ledger: Vec<(i64, i64)> = detail["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["sequence"].as_i64().unwrap(), e["balance_after"].as_i64().unwrap()))
        .collect();
    assert_eq!(ledger, [(4, 25), (3, 28)], "the two newest entries, newest first");

    // Another customer, never subscribed: an empty account, not an error.
    let other = s.app.created(&customer_body("Nadia Nobill")).await;
    let mut about_other = s.event("accounting-customer-request.json");
    about_other.detail["customerId"] = other["id"].clone();
    assert_eq!(s.send(about_other).await, Outcome::Done);
    let empty = &s.answers().await[0]["detail"];
    assert_eq!(
        (
            &empty["subscription"],
            &empty["plan"],
            &empty["balance"]["balance"],
            &empty["ledger"]
        ),
        (&Value::Null, &Value::Null, &json!(0), &json!([]))
    );

    // A customer of no business of the sender's, or a requester the policy
    // does not name: no answer at all.
    let mut stranger = s.event("accounting-customer-request.json");
    stranger.detail["businessId"] = json!(clientele_core::BusinessId::random().to_string());
    assert!(dropped_as(&s.send(stranger).await, Dropped::NoCustomer));
    let profiles_only = json!({"platform.profiles": {"fields": ["status"], "deliver_to": s.answers}});
    let function = inbound::App {
        settings: inbound::Settings {
            data_policy: DataPolicy::parse(&profiles_only.to_string()).unwrap(),
            patch_rate: Rate::DEFAULT_UPDATE_RATE,
        },
        ..function(&s.app, &s.flow).await.0
    };
    let unanswered = function
        .handle(&s.event("accounting-customer-request.json"))
        .await
        .unwrap();
    assert!(dropped_as(&unanswered, Dropped::NotAnswered), "{unanswered:?}");
    assert!(s.answers().await.is_empty());
}

#[tokio::test]
async fn each_portfolio_keeps_the_profile_of_its_own_customers_and_only_its_fields() {
    let s = setup().await;
    s.flow.deliver().await;
    let before = s.customer().await;
    assert_eq!(before["portfolio"], json!({}), "nothing kept yet");
    assert_eq!(s.handle("portfolio-sme-customer-update.json").await, Outcome::Done);
    let after = s.customer().await;
    let profile = &after["portfolio"];
    assert_eq!(profile["legal_name"], "Popescu Consulting SRL");
    assert_eq!(profile["employee_count"], 12);
    assert_eq!(profile["updated_at"], after["updated_at"]);
    assert_eq!(after["version"], before["version"].as_u64().unwrap() + 1);
    let published = s.flow.deliver().await;
    assert_eq!(published.len(), 1, "{published:#?}");
    assert_eq!(published[0]["detail-type"], "customer.portfolio.updated");
    assert_matches_schema(&published[0]);
    let mut fields: Vec<&str> = published[0]["detail"]["updatedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["employee_count", "legal_name", "registration_number", "sector"]
    );
    let audit = s
        .app
        .send(Call::get(&format!("/api/customers/{}/audit", s.customer)).bearer(&s.app.token(Role::Admin)))
        .await
        .json();
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "customer.portfolio.updated")
        .cloned()
        .unwrap_or_default();
    assert_eq!(entry["actor"], "platform.portfolio-sme", "{audit}");
    assert!(
        entry["fields"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("portfolio.legal_name"))),
        "{entry}"
    );

    // The same update again changes nothing and says nothing.
    assert_eq!(s.handle("portfolio-sme-customer-update.json").await, Outcome::Done);
    assert_eq!(s.customer().await, after);
    assert!(s.flow.deliver().await.is_empty());

    // The institution portfolio does not keep an SME's profile; a field the
    // SME portfolio does not own, and a stale version, are refused too.
    assert!(dropped_as(
        &s.handle("portfolio-institution-customer-update.json").await,
        Dropped::Refused
    ));
    let mut not_its_own = s.event("portfolio-sme-customer-update.json");
    not_its_own.detail["changes"] = json!({"email": "taken.over@example.com", "sector": "retail"});
    assert!(dropped_as(&s.send(not_its_own).await, Dropped::Malformed));
    let mut stale = s.event("portfolio-sme-customer-update.json");
    stale.detail["changes"] = json!({"sector": "retail"});
    stale.detail["expectedVersion"] = before["version"].clone();
    assert!(dropped_as(&s.send(stale).await, Dropped::Refused));
    assert_eq!(s.customer().await, after, "nothing changed");

    // Nor may the API write it.
    let written = s
        .app
        .send(
            Call::patch(&format!("/api/customers/{}", s.customer))
                .bearer(&s.app.token(Role::Admin))
                .json(&json!({"portfolio": {"sector": "retail"}})),
        )
        .await;
    assert_eq!(written.status, 422);
    assert_eq!(written.problem_fields(), ["portfolio"], "{}", written.problem());

    // An institution's profile is the institution portfolio's.
    let mut body = customer_body("Banca Comunitara");
    body["customer_type"] = json!("institution");
    let institution = s.app.created(&body).await["id"].as_str().unwrap().to_owned();
    let mut update = s.event("portfolio-institution-customer-update.json");
    update.detail["customerId"] = json!(institution);
    assert_eq!(s.send(update).await, Outcome::Done);
    let read = s
        .app
        .send(Call::get(&format!("/api/customers/{institution}")).bearer(&s.app.token(Role::Viewer)))
        .await
        .json();
    assert_eq!(read["portfolio"]["institution_kind"], "microfinance institution");
    let mut sme_on_institution = s.event("portfolio-sme-customer-update.json");
    sme_on_institution.detail["customerId"] = json!(institution);
    assert!(dropped_as(&s.send(sme_on_institution).await, Dropped::Refused));
}
