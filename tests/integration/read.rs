//! `GET /api/customers/{id}` and `GET /api/customers/{id}/stats`.

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_tests::{Call, TestApp, customer_body, token};

#[tokio::test]
async fn a_read_carries_the_etag_and_answers_304_when_it_still_matches() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Hedy Lamarr")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/customers/{id}");
    let viewer = app.token(Role::Viewer);
    let response = app.send(Call::get(&path).bearer(&viewer)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("etag"), Some("\"1\""));

    let cached = app
        .send(Call::get(&path).bearer(&viewer).header("if-none-match", "\"1\""))
        .await;
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    assert_eq!(cached.header("etag"), Some("\"1\""));

    let stale = app
        .send(Call::get(&path).bearer(&viewer).header("if-none-match", "\"0\""))
        .await;
    assert_eq!(stale.status, 200);
}

#[tokio::test]
async fn another_businesss_customer_is_not_found() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Secret Customer")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = token(BusinessId::random(), &[Role::Admin]);
    for path in [format!("/api/customers/{id}"), format!("/api/customers/{id}/stats")] {
        let response = app.send(Call::get(&path).bearer(&outsider)).await;
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(response.problem(), "not-found");
        assert!(!String::from_utf8_lossy(&response.body).contains("Secret"));
    }
}

#[tokio::test]
async fn unknown_ids_are_404_and_malformed_ids_400() {
    let app = TestApp::spawn().await;
    let viewer = app.token(Role::Viewer);
    let missing = app
        .send(Call::get(&format!("/api/customers/{}", uuid::Uuid::new_v4())).bearer(&viewer))
        .await;
    assert_eq!((missing.status, missing.problem()), (404, "not-found".to_owned()));
    for bad in ["not-a-uuid", "123", "00000000-0000-0000-0000-000000000000", "%20"] {
        let response = app
            .send(Call::get(&format!("/api/customers/{bad}")).bearer(&viewer))
            .await;
        assert_eq!(response.status, 400, "{bad}");
        assert_eq!(response.problem(), "invalid-parameters");
        assert_eq!(response.problem_fields(), ["customer_id"]);
    }
}

#[tokio::test]
async fn stats_start_at_zero_with_empty_history() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Stat Person")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .send(Call::get(&format!("/api/customers/{id}/stats")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(response.status, 200);
    let stats = response.json();
    assert_eq!(stats["customer_id"], id.as_str());
    for counter in [
        "total_orders",
        "total_appointments",
        "returned_orders",
        "cancelled_appointments",
    ] {
        assert_eq!(stats[counter], 0, "{counter}");
    }
    assert_eq!(stats["lifetime_value"], 0.0);
    for date in [
        "last_order_date",
        "last_appointment_date",
        "first_order_date",
        "first_appointment_date",
    ] {
        assert!(stats[date].is_null(), "{date}");
    }
    assert!(stats.get("email").is_none(), "stats hold no profile data");
}
