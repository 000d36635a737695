//! Plans and subscriptions: one active subscription per customer whatever
//! runs at once, a change of plan, cancellations, and the renewals that
//! move due subscriptions on, each period granting its tokens once, against
//! DynamoDB Local.

use std::sync::Arc;

use clientele_auth::Role;
use clientele_core::CustomerId;
use clientele_operations::Context;
use clientele_store::keys;
use clientele_tests::clock::TestClock;
use clientele_tests::delivery::EventFlow;
use clientele_tests::{Call, TestApp, TestResponse, customer_body};
use serde_json::{Value, json};

const DAY: i64 = 24 * 3_600;

async fn customer(app: &TestApp, name: &str) -> String {
    app.created(&customer_body(name)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn admin(app: &TestApp, call: Call) -> TestResponse {
    app.send(call.bearer(&app.token(Role::Admin))).await
}

async fn plan(app: &TestApp, name: &str, period: &str, tokens: i64) -> Value {
    let body = json!({"name": name, "period": period, "price": {"amount": "19.90", "currency": "EUR"},
        "tokens_per_period": tokens});
    let made = admin(app, Call::post("/api/plans").json(&body)).await;
    assert_eq!(made.status, 201, "{}", made.problem());
    made.json()
}

async fn subscribe(app: &TestApp, customer: &str, plan: &Value) -> TestResponse {
    admin(
        app,
        Call::post(&format!("/api/customers/{customer}/subscriptions")).json(&json!({"plan_id": plan["id"]})),
    )
    .await
}

async fn balance(app: &TestApp, customer: &str) -> i64 {
    let read = app
        .send(Call::get(&format!("/api/customers/{customer}/tokens")).bearer(&app.token(Role::Viewer)))
        .await;
    read.json()["balance"].as_i64().unwrap()
}

/// The renewals over `app`'s table, their clock `days` ahead of now.
fn renewals(app: &TestApp, days: i64) -> renewals::App {
    let clock = Arc::new(TestClock::new());
    clock.advance(days * DAY);
    renewals::App {
        context: Context {
            store: app.store.clone(),
            clock,
        },
    }
}

#[tokio::test]
async fn plans_are_the_businesss_and_only_admins_make_or_change_them() {
    let app = TestApp::spawn().await;
    let pro = plan(&app, "Pro", "month", 100).await;
    assert_eq!((&pro["active"], &pro["version"]), (&json!(true), &json!(1)));
    assert_eq!(pro["price"], json!({"amount": "19.9", "currency": "EUR"}));
    let path = format!("/api/plans/{}", pro["id"].as_str().unwrap());
    let staff = app
        .send(
            Call::post("/api/plans")
                .bearer(&app.token(Role::Staff))
                .json(&json!({"name": "X"})),
        )
        .await;
    assert_eq!(staff.status, 403);
    let retired = admin(
        &app,
        Call::patch(&path).json(&json!({"active": false, "tokens_per_period": 120})),
    )
    .await;
    assert_eq!(retired.status, 200, "{}", retired.problem());
    assert_eq!(
        (&retired.json()["active"], &retired.json()["version"]),
        (&json!(false), &json!(2))
    );
    let period = admin(&app, Call::patch(&path).json(&json!({"period": "year"}))).await;
    assert_eq!(period.status, 422, "a plan's period is fixed");
    let listed = app
        .send(Call::get("/api/plans").bearer(&app.token(Role::Viewer)))
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let bad = admin(
        &app,
        Call::post("/api/plans")
            .json(&json!({"name": "", "period": "week", "price": {"amount": -1, "currency": "eur"}})),
    )
    .await;
    assert_eq!(bad.status, 422);
    let holder = customer(&app, "Retired Plan").await;
    let refused = subscribe(&app, &holder, &retired.json()).await;
    assert_eq!(refused.status, 409, "a retired plan takes no new subscription");
}

#[tokio::test]
async fn a_customer_has_one_active_subscription_even_when_two_start_at_once() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Once Subscribed").await;
    let basic = plan(&app, "Basic", "month", 10).await;
    let pro = plan(&app, "Pro", "month", 50).await;
    let (first, second) = tokio::join!(subscribe(&app, &holder, &basic), subscribe(&app, &holder, &pro));
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", first.problem(), second.problem());
    let won = if first.status == 201 { &basic } else { &pro };
    assert_eq!(
        balance(&app, &holder).await,
        won["tokens_per_period"].as_i64().unwrap(),
        "the first period granted its plan's tokens, once"
    );
    assert!(app.violations().await.is_empty(), "{:?}", app.violations().await);
}

#[tokio::test]
async fn renewals_move_each_due_subscription_on_once_and_grant_each_period_once() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let renewing = customer(&app, "Renewing Customer").await;
    let leaving = customer(&app, "Leaving Customer").await;
    let monthly = plan(&app, "Monthly", "month", 30).await;
    let made = subscribe(&app, &renewing, &monthly).await;
    assert_eq!(made.status, 201, "{}", made.problem());
    let subscription = made.json();
    assert_eq!(made.header("etag").unwrap(), "\"1\"");
    assert_eq!(
        (&subscription["status"], &subscription["period_number"]),
        (&json!("active"), &json!(1))
    );
    let ending = subscribe(&app, &leaving, &monthly).await.json();
    let ending_path = format!(
        "/api/customers/{leaving}/subscriptions/{}",
        ending["id"].as_str().unwrap()
    );
    let cancelled = admin(
        &app,
        Call::post(&format!("{ending_path}/cancel")).json(&json!({"at_period_end": true})),
    )
    .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.problem());
    assert_eq!(cancelled.json()["cancel_at_period_end"], true);

    // Nothing is due yet.
    let early = renewals::run(&renewals(&app, 1)).await.unwrap();
    assert_eq!((early.renewed, early.expired), (0, 0));

    // Two months and a bit on: two periods start for the one, the other ends.
    let late = renewals(&app, 63);
    let (one, two) = tokio::join!(renewals::run(&late), renewals::run(&late));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(
        one.renewed + two.renewed,
        2,
        "two periods, however many runs: {one:?} {two:?}"
    );
    assert_eq!(one.expired + two.expired, 1);
    let again = renewals::run(&late).await.unwrap();
    assert_eq!((again.renewed, again.expired), (0, 0), "a run again finds nothing due");

    assert_eq!(balance(&app, &renewing).await, 90, "three periods, 30 tokens each");
    assert_eq!(balance(&app, &leaving).await, 30, "its one period");
    let path = format!(
        "/api/customers/{renewing}/subscriptions/{}",
        subscription["id"].as_str().unwrap()
    );
    let now = app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await.json();
    assert_eq!(now["period_number"], 3);
    let ended = app
        .send(Call::get(&ending_path).bearer(&app.token(Role::Viewer)))
        .await
        .json();
    assert_eq!(ended["status"], "expired");
    // Ended, it frees the customer for a new one.
    assert_eq!(subscribe(&app, &leaving, &monthly).await.status, 201);

    let published = flow.deliver().await;
    for event in &published {
        clientele_tests::delivery::assert_matches_schema(event);
    }
    let types: Vec<&str> = published.iter().filter_map(|e| e["detail-type"].as_str()).collect();
    for kind in [
        "subscription.created",
        "subscription.updated",
        "subscription.renewed",
        "subscription.expired",
        "token.allocated",
    ] {
        assert!(types.contains(&kind), "{kind} not in {types:?}");
    }
    assert_eq!(types.iter().filter(|t| **t == "subscription.renewed").count(), 2);
    assert!(app.violations().await.is_empty(), "{:?}", app.violations().await);
}

#[tokio::test]
async fn a_plan_change_keeps_the_period_and_a_cancellation_ends_it_for_good() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Changing Customer").await;
    let monthly = plan(&app, "Monthly", "month", 10).await;
    let bigger = plan(&app, "Monthly Plus", "month", 40).await;
    let yearly = plan(&app, "Yearly", "year", 500).await;
    let subscription = subscribe(&app, &holder, &monthly).await.json();
    let path = format!(
        "/api/customers/{holder}/subscriptions/{}",
        subscription["id"].as_str().unwrap()
    );
    let other_period = admin(&app, Call::patch(&path).json(&json!({"plan_id": yearly["id"]}))).await;
    assert_eq!(other_period.status, 409, "{}", other_period.problem());
    let stale = admin(
        &app,
        Call::patch(&path)
            .header("if-match", "\"7\"")
            .json(&json!({"plan_id": bigger["id"]})),
    )
    .await;
    assert_eq!(stale.status, 412);
    let moved = admin(&app, Call::patch(&path).json(&json!({"plan_id": bigger["id"]}))).await;
    assert_eq!(moved.status, 200, "{}", moved.problem());
    assert_eq!(moved.json()["plan_id"], bigger["id"]);
    assert_eq!(
        balance(&app, &holder).await,
        10,
        "the current period was granted as it was"
    );

    let cancelled = admin(&app, Call::post(&format!("{path}/cancel"))).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.problem());
    assert_eq!(cancelled.json()["status"], "cancelled");
    let again = admin(&app, Call::post(&format!("{path}/cancel"))).await;
    assert_eq!(again.status, 409, "ended for good");
    let renewed = renewals::run(&renewals(&app, 40)).await.unwrap();
    assert_eq!(renewed.renewed, 0, "a cancelled subscription is never renewed");
    assert_eq!(balance(&app, &holder).await, 10);
    let listed = app
        .send(Call::get(&format!("/api/customers/{holder}/subscriptions")).bearer(&app.token(Role::Viewer)))
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    for (body, field) in [
        (json!({}), "plan_id"),
        (json!({"plan_id": "nope"}), "plan_id"),
        (json!({"plan_id": monthly["id"], "trial": true}), "trial"),
    ] {
        let refused = admin(
            &app,
            Call::post(&format!("/api/customers/{holder}/subscriptions")).json(&body),
        )
        .await;
        assert_eq!(refused.status, 422);
        assert_eq!(refused.json()["errors"][0]["field"], field);
    }
}

#[tokio::test]
async fn the_checker_finds_an_active_subscription_without_its_claim() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Checked Subscriber").await;
    let monthly = plan(&app, "Monthly", "month", 0).await;
    subscribe(&app, &holder, &monthly).await;
    assert!(app.violations().await.is_empty());
    let id = CustomerId::parse(&holder).unwrap();
    app.delete_raw(&keys::active_subscription(id)).await;
    let found = app.violations().await;
    assert!(
        found
            .iter()
            .any(|v| v.contains(&holder) && v.contains("an active subscription holds no claim")),
        "{found:#?}"
    );
}
