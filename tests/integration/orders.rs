//! Orders: the read model the orders service's events keep, the order
//! history, one order and the statistics, against DynamoDB Local.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use clientele_auth::Role;
use clientele_core::{BusinessId, Rate};
use clientele_operations::data::DataPolicy;
use clientele_store::items::entity;
use clientele_tests::delivery::SOURCE;
use clientele_tests::services::{moto_endpoint, project_root};
use clientele_tests::{Call, TestApp, customer_body, token};
use inbound::answers::Answers;
use inbound::{Dropped, Outcome};
use serde_json::{Value, json};

/// The ids the fixtures name: the demo business and customer of `make run`.
const FIXTURE_BUSINESS: &str = "123e4567-e89b-12d3-a456-426614174001";
const FIXTURE_CUSTOMER: &str = "123e4567-e89b-12d3-a456-426614174002";

struct Setup {
    app: TestApp,
    function: inbound::App,
    customer: String,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let moto = clientele_tests::app::sdk_config(moto_endpoint()).await;
    let function = inbound::App {
        context: app.context(),
        answers: Answers::new(
            aws_sdk_eventbridge::Client::new(&moto),
            aws_sdk_sqs::Client::new(&moto),
            SOURCE,
        ),
        settings: inbound::Settings {
            data_policy: DataPolicy::parse("{}").unwrap(),
            patch_rate: Rate::DEFAULT_UPDATE_RATE,
        },
    };
    let customer = app.created(&customer_body("Olga Orders")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Setup {
        app,
        function,
        customer,
    }
}

/// A fixture of `events/inbound/`, about the setup's customer and business.
fn fixture(name: &str) -> Value {
    let path = project_root().join("events/inbound").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

impl Setup {
    fn event(&self, name: &str) -> EventBridgeEvent<Value> {
        let text = fixture(name)
            .to_string()
            .replace(FIXTURE_CUSTOMER, &self.customer)
            .replace(FIXTURE_BUSINESS, &self.app.business.to_string());
        serde_json::from_str(&text).unwrap()
    }

    /// An order event of the setup's customer, with `detail` over the ids.
    fn order_event(&self, detail_type: &str, detail: Value) -> EventBridgeEvent<Value> {
        let mut event = self.event("order-created.json");
        event.detail_type = detail_type.to_owned();
        let mut full = json!({"customerId": self.customer, "businessId": self.app.business.to_string()});
        if let (Some(full), Value::Object(detail)) = (full.as_object_mut(), detail) {
            full.extend(detail);
        }
        event.detail = full;
        event
    }

    async fn send(&self, event: EventBridgeEvent<Value>) -> Outcome {
        self.function.handle(&event).await.unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .app
            .send(Call::get(path).bearer(&self.app.token(Role::Viewer)))
            .await;
        assert_eq!(
            response.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()
    }

    fn path(&self, rest: &str) -> String {
        format!("/api/customers/{}{rest}", self.customer)
    }
}

#[tokio::test]
async fn order_events_apply_by_sequence_whatever_their_arrival_and_count_once() {
    let s = setup().await;
    assert_eq!(s.send(s.event("order-created.json")).await, Outcome::Done);
    assert_eq!(s.send(s.event("order-completed-v2.json")).await, Outcome::Done);
    // The update (sequence 2) arrives after the completion (3): overtaken.
    assert_eq!(s.send(s.event("order-updated.json")).await, Outcome::AlreadyDone);
    assert_eq!(
        s.send(s.event("order-completed-v2.json")).await,
        Outcome::AlreadyDone,
        "a second delivery changes nothing"
    );
    assert_eq!(s.send(s.event("order-created.json")).await, Outcome::AlreadyDone);

    let order = s.get(&s.path("/orders/order-2001")).await;
    assert_eq!(order["status"], "completed");
    assert_eq!(order["sequence"], 3);
    assert_eq!(order["placed_at"], "2026-11-25T18:02:00.000000Z");
    assert_eq!(order["delivered"]["actual"], "2026-11-25T18:51:00.000000Z");
    assert_eq!(order["delivered"]["estimated"], "2026-11-25T18:45:00.000000Z");
    assert_eq!(order["prepared"]["actual"], Value::Null, "the overtaken update's");
    assert_eq!(order["total"], json!({"amount": "42.5", "currency": "RON"}));
    assert_eq!(order["items"][0]["name"], "Ciorbă de burtă");
    assert_eq!(order["items"][1]["unit_price"], "9");
    assert_eq!(order["delivery_place"], "Str. Lalelelor 3, ap. 4, Cluj-Napoca");
    assert_eq!(order["payment_status"], "paid");

    let stats = s.get(&s.path("/stats")).await;
    assert_eq!(stats["total_orders"], 1, "the completion counted once");
    assert_eq!(stats["lifetime_value"], 42.5);

    // In order, the update applies.
    let updated = s.order_event(
        "order.updated",
        json!({"orderId": "order-3", "sequence": 5, "status": "preparing", "preparedAt": "2026-11-25T19:00:00Z"}),
    );
    assert_eq!(s.send(updated).await, Outcome::Done);
    let older = s.order_event(
        "order.updated",
        json!({"orderId": "order-3", "sequence": 4, "status": "ready"}),
    );
    assert_eq!(s.send(older).await, Outcome::AlreadyDone);
    let order = s.get(&s.path("/orders/order-3")).await;
    assert_eq!(order["status"], "preparing");
    let cancelled = s.order_event("order.cancelled", json!({"orderId": "order-3", "sequence": 6}));
    assert_eq!(s.send(cancelled).await, Outcome::Done);
    assert_eq!(s.get(&s.path("/orders/order-3")).await["status"], "cancelled");
}

#[tokio::test]
async fn an_order_of_no_customer_of_the_business_named_is_dropped_and_nothing_is_stored() {
    let s = setup().await;
    let mut nobody = s.event("order-created.json");
    nobody.detail["customerId"] = json!(uuid::Uuid::new_v4().to_string());
    assert!(matches!(s.send(nobody).await, Outcome::Dropped(Dropped::NoCustomer, _)));
    let mut elsewhere = s.event("order-created.json");
    elsewhere.detail["businessId"] = json!(BusinessId::random().to_string());
    assert!(matches!(
        s.send(elsewhere).await,
        Outcome::Dropped(Dropped::NoCustomer, _)
    ));
    let mut malformed = s.event("order-created.json");
    malformed.detail["sequence"] = json!(0);
    malformed.detail["currency"] = json!("euro");
    match s.send(malformed).await {
        Outcome::Dropped(Dropped::Malformed, why) => {
            assert!(why.contains("sequence") && why.contains("currency"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    let mut stranger = s.event("order-created.json");
    stranger.source = "platform.admin".to_owned();
    assert!(matches!(
        s.send(stranger).await,
        Outcome::Dropped(Dropped::NotAllowed, _)
    ));
    assert!(s.app.items_of(entity::ORDER).await.is_empty());

    // An old completion without a sequence counts as it always did, and
    // keeps no order.
    assert_eq!(s.send(s.event("order-completed.json")).await, Outcome::Done);
    assert!(s.app.items_of(entity::ORDER).await.is_empty());
    assert_eq!(s.get(&s.path("/stats")).await["total_orders"], 1);
}

#[tokio::test]
async fn a_completion_too_old_to_count_still_keeps_its_order() {
    let s = setup().await;
    let old = s.order_event(
        "order.completed",
        json!({"orderId": "order-old", "sequence": 2, "amount": 10, "currency": "EUR",
            "occurredAt": "2020-01-01T00:00:00Z"}),
    );
    assert_eq!(s.send(old).await, Outcome::Done, "the order part was done");
    assert_eq!(s.get(&s.path("/orders/order-old")).await["status"], "completed");
    assert_eq!(
        s.get(&s.path("/stats")).await["total_orders"],
        0,
        "the fact is past its age bound"
    );
}

#[tokio::test]
async fn the_history_comes_newest_first_filtered_and_in_pages() {
    let s = setup().await;
    let placed = [
        "2026-11-01T10:00:00Z",
        "2026-11-05T10:00:00Z",
        "2026-11-10T10:00:00Z",
        "2026-11-20T10:00:00Z",
    ];
    for (n, at) in placed.iter().enumerate() {
        let event = s.order_event(
            "order.created",
            json!({"orderId": format!("order #{n}"), "sequence": 1, "placedAt": at, "total": 10, "currency": "EUR"}),
        );
        assert_eq!(s.send(event).await, Outcome::Done);
    }
    let done = s.order_event(
        "order.completed",
        json!({"orderId": "order #1", "sequence": 2, "amount": 10}),
    );
    assert_eq!(s.send(done).await, Outcome::Done);

    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen = Vec::new();
    let mut path = s.path("/orders?limit=3");
    loop {
        let page = s.get(&path).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => path = s.path(&format!("/orders?limit=3&cursor={next}")),
            None => break,
        }
    }
    assert_eq!(seen, ["order #3", "order #2", "order #1", "order #0"]);
    let completed = s.get(&s.path("/orders?status=completed")).await;
    assert_eq!(ids(&completed), ["order #1"]);
    let range = s
        .get(&s.path("/orders?placed_from=2026-11-05T10:00:00Z&placed_to=2026-11-20T10:00:00Z"))
        .await;
    assert_eq!(ids(&range), ["order #2", "order #1"], "from included, to not");
    let one = s.get(&s.path("/orders/order%20%231")).await;
    assert_eq!(one["status"], "completed");

    let admin = s.app.token(Role::Admin);
    let backwards = s
        .app
        .send(
            Call::get(&s.path("/orders?placed_from=2026-11-05T10:00:00Z&placed_to=2026-11-01T10:00:00Z"))
                .bearer(&admin),
        )
        .await;
    assert_eq!(backwards.status, 400);
    assert_eq!(backwards.problem_fields(), ["placed_to"]);
    let unknown = s
        .app
        .send(Call::get(&s.path("/orders?colour=red")).bearer(&admin))
        .await;
    assert_eq!(unknown.status, 400);
    let other_filter = s.get(&s.path("/orders?limit=1")).await;
    let cursor = other_filter["next_cursor"].as_str().unwrap();
    let crossed = s
        .app
        .send(Call::get(&s.path(&format!("/orders?status=placed&cursor={cursor}"))).bearer(&admin))
        .await;
    assert_eq!(crossed.status, 400, "a cursor of another filter");
    let missing = s.app.send(Call::get(&s.path("/orders/nope")).bearer(&admin)).await;
    assert_eq!(missing.status, 404);
    missing.problem();

    let elsewhere = token(BusinessId::random(), &[Role::Admin]);
    for path in [s.path("/orders"), s.path("/orders/order%20%231"), s.path("/statistics")] {
        assert_eq!(
            s.app.send(Call::get(&path).bearer(&elsewhere)).await.status,
            404,
            "{path}"
        );
    }
}

#[tokio::test]
async fn statistics_average_each_currency_apart_and_time_each_step_against_its_estimate() {
    let s = setup().await;
    let minutes = |m: i64| format!("2026-11-25T10:{m:02}:00Z");
    for (n, (total, currency, prepared, estimated)) in [
        (10, "EUR", 10, 15),
        (20, "EUR", 20, 15),
        (30, "EUR", 30, 15),
        (7, "RON", 5, 5),
    ]
    .iter()
    .enumerate()
    {
        let created = s.order_event(
            "order.created",
            json!({"orderId": format!("o-{n}"), "sequence": 1, "placedAt": minutes(0), "total": total,
                "currency": currency, "estimatedPreparedAt": minutes(*estimated)}),
        );
        assert_eq!(s.send(created).await, Outcome::Done);
        let completed = s.order_event(
            "order.completed",
            json!({"orderId": format!("o-{n}"), "sequence": 2, "amount": total, "currency": currency,
                "preparedAt": minutes(*prepared), "deliveredAt": minutes(*prepared + 20)}),
        );
        assert_eq!(s.send(completed).await, Outcome::Done);
    }
    let cancelled = s.order_event(
        "order.cancelled",
        json!({"orderId": "o-x", "sequence": 1, "total": 999, "currency": "EUR"}),
    );
    assert_eq!(s.send(cancelled).await, Outcome::Done);

    let body = s.get(&s.path("/statistics")).await;
    assert_eq!(body["customer_id"], s.customer.as_str());
    assert_eq!(body["total_orders"], 4, "what /stats says, too");
    let report = &body["orders"];
    assert_eq!(report["orders"], 5);
    assert_eq!(report["complete"], true);
    assert_eq!(report["by_status"]["completed"], 4);
    assert_eq!(report["by_status"]["cancelled"], 1);
    assert_eq!(report["by_status"]["placed"], 0);
    assert_eq!(
        report["value_by_currency"],
        json!([
            {"currency": "EUR", "orders": 3, "total": "60", "average": "20"},
            {"currency": "RON", "orders": 1, "total": "7", "average": "7"}
        ]),
        "never added across currencies; the cancelled order left out"
    );
    let preparation = &report["preparation"];
    assert_eq!(
        preparation["actual"],
        json!({"orders": 4, "average_seconds": 975, "p90_seconds": 1800})
    );
    assert_eq!(
        preparation["estimated"],
        json!({"orders": 4, "average_seconds": 750, "p90_seconds": 900})
    );
    assert_eq!(report["delivery"]["actual"]["p90_seconds"], 3000);
    assert_eq!(report["delivery"]["estimated"], Value::Null, "no estimate given");
}

#[tokio::test]
async fn orders_are_exported_and_erased_with_their_customer() {
    let s = setup().await;
    assert_eq!(s.send(s.event("order-created.json")).await, Outcome::Done);
    let admin = s.app.token(Role::Admin);
    let export = s
        .app
        .send(
            Call::post("/api/gdpr/export")
                .bearer(&admin)
                .json(&json!({"customer_id": s.customer})),
        )
        .await;
    assert_eq!(export.status, 200);
    let orders = export.json()["orders"].clone();
    assert_eq!(orders.as_array().unwrap().len(), 1);
    assert_eq!(orders[0]["delivery_place"], "Str. Lalelelor 3, ap. 4, Cluj-Napoca");
    let erase = s
        .app
        .send(
            Call::post("/api/gdpr/delete")
                .bearer(&admin)
                .json(&json!({"customer_id": s.customer})),
        )
        .await;
    assert_eq!(erase.status, 200);
    assert!(s.app.items_of(entity::ORDER).await.is_empty());
    assert!(
        matches!(
            s.send(s.event("order-updated.json")).await,
            Outcome::Dropped(Dropped::NoCustomer, _)
        ),
        "an order of an erased customer is not kept again"
    );
    assert!(s.app.items_of(entity::ORDER).await.is_empty());
}

#[test]
fn every_order_fixture_matches_its_schema_and_the_schemas_accept_version_one() {
    let schema_of = |detail_type: &str| {
        let path = project_root()
            .join("events/schemas/inbound")
            .join(format!("{detail_type}.json"));
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    };
    for name in [
        "order-created.json",
        "order-updated.json",
        "order-completed.json",
        "order-completed-v2.json",
        "order-cancelled.json",
    ] {
        let event = fixture(name);
        let validator = schema_of(event["detail-type"].as_str().unwrap());
        let problems: Vec<String> = validator.iter_errors(&event["detail"]).map(|e| e.to_string()).collect();
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
    let created = schema_of("order.created");
    for bad in [
        json!({"customerId": FIXTURE_CUSTOMER, "businessId": FIXTURE_BUSINESS, "orderId": "o"}),
        json!({"customerId": FIXTURE_CUSTOMER, "businessId": FIXTURE_BUSINESS, "orderId": "o", "sequence": 0}),
        json!({"customerId": FIXTURE_CUSTOMER, "businessId": FIXTURE_BUSINESS, "orderId": "o", "sequence": 1,
            "currency": "eur"}),
        json!({"customerId": FIXTURE_CUSTOMER, "businessId": FIXTURE_BUSINESS, "orderId": "o", "sequence": 1,
            "items": [{"name": "x", "quantity": 0, "unitPrice": 1}]}),
    ] {
        assert!(!created.is_valid(&bad), "{bad}");
    }
}
