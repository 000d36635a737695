//! `DELETE /api/customers/{id}`.

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_tests::{Call, TestApp, customer_body, token};
use serde_json::json;

#[tokio::test]
async fn an_admin_deletes_a_customer_and_everything_under_it() {
    let app = TestApp::spawn().await;
    let body = customer_body("Gone Soon");
    let customer = app.created(&body).await;
    let id = customer["id"].as_str().unwrap();
    let path = format!("/api/customers/{id}");
    let patched = app
        .send(
            Call::patch(&path)
                .bearer(&app.token(Role::Staff))
                .json(&json!({"full_name": "Gone Sooner"})),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(app.items_of("RateWindow").await.len(), 1);

    let response = app.send(Call::delete(&path).bearer(&app.token(Role::Admin))).await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());

    let read = app.send(Call::get(&path).bearer(&app.token(Role::Admin))).await;
    assert_eq!(read.status, 404);
    let left: Vec<String> = app
        .items()
        .await
        .iter()
        .map(|item| item["entity"].as_s().unwrap().clone())
        .collect();
    assert!(
        left.iter().all(|entity| entity == "Event"),
        "only outbox events remain: {left:?}"
    );
    let events: Vec<String> = app
        .items_of("Event")
        .await
        .iter()
        .map(|e| e["event_type"].as_s().unwrap().clone())
        .collect();
    assert!(events.contains(&"customer.deleted".to_owned()), "{events:?}");

    assert_eq!(
        app.create(&body).await.status,
        201,
        "the email and user id are free again"
    );
    let again = app.send(Call::delete(&path).bearer(&app.token(Role::Admin))).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn only_admins_of_the_business_delete() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Kept")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/customers/{id}");
    for role in [Role::Viewer, Role::Staff] {
        let response = app.send(Call::delete(&path).bearer(&app.token(role))).await;
        assert_eq!(
            (response.status, response.problem()),
            (403, "forbidden".to_owned()),
            "{role}"
        );
    }
    let outsider = app
        .send(Call::delete(&path).bearer(&token(BusinessId::random(), &[Role::Admin])))
        .await;
    assert_eq!(outsider.status, 404);
    assert_eq!(app.items_of("Customer").await.len(), 1);
}

#[tokio::test]
async fn a_delete_honours_if_match() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Conditional")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/customers/{id}");
    let stale = app
        .send(
            Call::delete(&path)
                .bearer(&app.token(Role::Admin))
                .header("if-match", "\"7\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(app.items_of("Customer").await.len(), 1);
    let current = app
        .send(
            Call::delete(&path)
                .bearer(&app.token(Role::Admin))
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(current.status, 204);
}
