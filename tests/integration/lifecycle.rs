//! The lifecycle routes: validate, suspend and reactivate, admins only, over
//! one state machine.

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};
use serde_json::{Value, json};

async fn act(app: &TestApp, id: &str, action: &str, role: Role, body: Option<Value>) -> TestResponse {
    let call = Call::post(&format!("/api/customers/{id}/{action}")).bearer(&app.token(role));
    app.send(match body {
        Some(body) => call.json(&body),
        None => call,
    })
    .await
}

async fn read(app: &TestApp, id: &str) -> Value {
    let response = app
        .send(Call::get(&format!("/api/customers/{id}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(response.status, 200);
    response.json()
}

async fn lifecycle_events(app: &TestApp) -> Vec<Value> {
    let mut events: Vec<Value> = app
        .items_of("Event")
        .await
        .iter()
        .filter(|e| {
            let kind = e["event_type"].as_s().unwrap();
            ["customer.validated", "customer.suspended", "customer.reactivated"].contains(&kind.as_str())
        })
        .map(|e| {
            let mut detail: Value = serde_json::from_str(e["detail"].as_s().unwrap()).unwrap();
            detail["type"] = e["event_type"].as_s().unwrap().as_str().into();
            detail
        })
        .collect();
    events.sort_by_key(|e| e["timestamp"].as_str().unwrap_or_default().to_owned());
    events
}

#[tokio::test]
async fn a_customer_goes_from_pending_to_active_to_suspended_and_back() {
    let app = TestApp::spawn().await;
    let customer = app.created(&customer_body("Lena Lifecycle")).await;
    let id = customer["id"].as_str().unwrap();
    assert_eq!(customer["status"], "pending");

    let validated = act(&app, id, "validate", Role::Admin, None).await;
    assert_eq!(validated.status, 200, "{}", validated.problem());
    assert_eq!(validated.json()["status"], "active");
    assert_eq!(validated.header("etag"), Some("\"2\""));
    app.clock.advance(1);

    let suspended = act(
        &app,
        id,
        "suspend",
        Role::Admin,
        Some(json!({"reason": "Chargebacks under review"})),
    )
    .await;
    assert_eq!(suspended.status, 200, "{}", suspended.problem());
    assert_eq!(suspended.json()["status"], "suspended");
    app.clock.advance(1);

    let reactivated = act(&app, id, "reactivate", Role::Admin, None).await;
    assert_eq!(reactivated.status, 200, "{}", reactivated.problem());
    assert_eq!(read(&app, id).await["status"], "active");

    let events = lifecycle_events(&app).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["customer.validated", "customer.suspended", "customer.reactivated"]
    );
    for event in &events {
        assert_eq!(event["adminId"], "user:test-user");
        assert_eq!(event["customerId"], id);
    }
    assert_eq!(events[1]["reason"], "Chargebacks under review");
    assert!(events[0].get("reason").is_none() && events[2].get("reason").is_none());
}

#[tokio::test]
async fn any_other_transition_answers_409_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Tobias Transition")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reason = Some(json!({"reason": "testing"}));
    for (action, body) in [("suspend", reason.clone()), ("reactivate", None)] {
        let response = act(&app, &id, action, Role::Admin, body).await;
        assert_eq!(response.status, 409, "{action} a pending customer");
        assert_eq!(response.problem(), "conflict");
        assert_eq!(response.problem_fields(), ["status"]);
    }
    assert_eq!(act(&app, &id, "validate", Role::Admin, None).await.status, 200);
    for (action, body) in [("validate", None), ("reactivate", None)] {
        let response = act(&app, &id, action, Role::Admin, body).await;
        assert_eq!(response.status, 409, "{action} an active customer");
    }
    let customer = read(&app, &id).await;
    assert_eq!(customer["status"], "active");
    assert_eq!(customer["version"], 2, "refused transitions write nothing");
    assert_eq!(lifecycle_events(&app).await.len(), 1);
}

#[tokio::test]
async fn suspending_needs_a_reason_and_nothing_else() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Rhea Reason")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(act(&app, &id, "validate", Role::Admin, None).await.status, 200);
    for body in [
        None,
        Some(json!({})),
        Some(json!({"reason": "   "})),
        Some(json!({"reason": 42})),
        Some(json!({"reason": "x".repeat(501)})),
    ] {
        let response = act(&app, &id, "suspend", Role::Admin, body.clone()).await;
        assert_eq!(response.status, 422, "{body:?}");
        assert_eq!(response.problem_fields(), ["reason"], "{body:?}");
    }
    let response = act(
        &app,
        &id,
        "suspend",
        Role::Admin,
        Some(json!({"reason": "ok", "status": "x"})),
    )
    .await;
    assert_eq!(response.status, 422);
    assert_eq!(response.problem_fields(), ["status"]);
    let response = act(&app, &id, "validate", Role::Admin, Some(json!({"reason": "no"}))).await;
    assert_eq!(response.status, 422, "validate takes no body fields");
    assert_eq!(read(&app, &id).await["status"], "active");
}

#[tokio::test]
async fn only_admins_of_the_customers_business_may_act_and_if_match_is_honoured() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Ada Admin")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for role in [Role::Viewer, Role::Staff] {
        assert_eq!(act(&app, &id, "validate", role, None).await.status, 403, "{role:?}");
    }
    let stranger = token(BusinessId::random(), &[Role::Admin]);
    let response = app
        .send(Call::post(&format!("/api/customers/{id}/validate")).bearer(&stranger))
        .await;
    assert_eq!(response.status, 404, "another business's customer does not exist");

    let stale = app
        .send(
            Call::post(&format!("/api/customers/{id}/validate"))
                .bearer(&app.token(Role::Admin))
                .header("if-match", "\"7\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    let current = app
        .send(
            Call::post(&format!("/api/customers/{id}/validate"))
                .bearer(&app.token(Role::Admin))
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(current.status, 200, "{}", current.problem());
    let response = app
        .send(Call::get(&format!("/api/customers/{id}/validate")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(response.status, 405);
}
