//! `GET /api/customers/{id}/audit`: who changed a customer, which fields and
//! when; kept for the audit retention, and gone with the customer.

use clientele_auth::{Principal, Role};
use clientele_core::{Scope, Timestamp};
use clientele_tests::{Call, TestApp, TestResponse, customer_body};
use serde_json::{Value, json};

async fn trail(app: &TestApp, id: &str, query: &str) -> TestResponse {
    app.send(Call::get(&format!("/api/customers/{id}/audit?{query}")).bearer(&app.token(Role::Admin)))
        .await
}

fn ok(response: TestResponse) -> Value {
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    response.json()
}

/// A customer created by a staff member, changed by a client, tagged, noted
/// and suspended by an admin.
async fn changed_customer(app: &TestApp) -> String {
    let id = app.created(&customer_body("Audrey Audit")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = Principal::client(
        "7d1f3c5e-0a2b-4c6d-8e9f-0a1b2c3d4e5f",
        app.business,
        vec![Scope::CustomersWrite],
    );
    let patch = Call::patch(&format!("/api/customers/{id}"))
        .authorized_as(&client)
        .json(&json!({"phone": "0798765432", "customer_type": "institution"}));
    assert_eq!(app.send(patch).await.status, 200);
    let staff = app.token(Role::Staff);
    let tag = Call::post(&format!("/api/customers/{id}/tags"))
        .bearer(&staff)
        .json(&json!([{"label": "VIP"}, {"label": "Wholesale"}]));
    assert_eq!(app.send(tag).await.status, 201);
    let note = Call::post(&format!("/api/customers/{id}/notes"))
        .bearer(&staff)
        .json(&json!({"content": "prefers email"}));
    assert_eq!(app.send(note).await.status, 201);
    let validate = Call::post(&format!("/api/customers/{id}/validate")).bearer(&app.token(Role::Admin));
    assert_eq!(app.send(validate).await.status, 200);
    id
}

#[tokio::test]
async fn every_change_is_recorded_with_who_made_it_and_which_fields_newest_first() {
    let app = TestApp::spawn().await;
    let id = changed_customer(&app).await;

    let page = ok(trail(&app, &id, "").await);
    let entries = page["items"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "customer.validated",
            "customer.note.added",
            "customer.tag.added",
            "customer.updated",
            "customer.created"
        ]
    );
    let actors: Vec<&str> = entries.iter().map(|e| e["actor"].as_str().unwrap()).collect();
    assert_eq!(
        actors,
        [
            "user:test-user",
            "user:test-user",
            "user:test-user",
            "client:7d1f3c5e-0a2b-4c6d-8e9f-0a1b2c3d4e5f",
            "user:test-user"
        ]
    );
    assert_eq!(entries[0]["fields"], json!(["status"]));
    assert_eq!(
        entries[2]["tag_ids"].as_array().unwrap().len(),
        2,
        "one entry for the two tags"
    );
    assert!(entries[1]["note_id"].is_string());
    let mut fields: Vec<&str> = entries[3]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["customer_type", "phone"]);
    // No values: the trail says what changed, not what it became.
    assert!(!page.to_string().contains("0798765432"));
    assert_eq!(page["next_cursor"], Value::Null);
}

#[tokio::test]
async fn the_trail_is_for_admins_of_the_customers_business_in_pages() {
    let app = TestApp::spawn().await;
    let id = changed_customer(&app).await;
    for role in [Role::Viewer, Role::Staff] {
        let refused = app
            .send(Call::get(&format!("/api/customers/{id}/audit")).bearer(&app.token(role)))
            .await;
        assert_eq!(refused.status, 403, "{role}");
    }
    let elsewhere = TestApp::over(app.dynamodb.clone(), app.dynamodb.clone(), app.table.clone()).await;
    assert_eq!(trail(&elsewhere, &id, "").await.status, 404);

    let mut seen = Vec::new();
    let mut query = "limit=2".to_owned();
    loop {
        let page = ok(trail(&app, &id, &query).await);
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|e| e["event_id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    seen.dedup();
    assert_eq!(seen.len(), 5, "no entry twice");

    for bad in ["limit=0", "cursor=nonsense", "since=yesterday"] {
        let refused = trail(&app, &id, bad).await;
        assert_eq!(refused.status, 400, "{bad}: {}", String::from_utf8_lossy(&refused.body));
    }
}

#[tokio::test]
async fn entries_expire_after_the_retention_and_go_with_an_erased_customer() {
    let app = TestApp::spawn().await;
    let id = changed_customer(&app).await;
    let entries = app.items_of("AuditEntry").await;
    assert_eq!(entries.len(), 5);
    for entry in &entries {
        let at = Timestamp::parse(entry["at"].as_s().unwrap()).unwrap();
        let expires = entry["expires_at"].as_n().unwrap().parse::<i64>().unwrap();
        assert_eq!(
            expires - at.unix_seconds(),
            365 * 24 * 3_600,
            "a year unless configured"
        );
    }

    let erase = Call::post("/api/gdpr/delete")
        .bearer(&app.token(Role::Admin))
        .json(&json!({ "customer_id": id }));
    let erased = app.send(erase).await;
    assert_eq!(erased.status, 200, "{}", String::from_utf8_lossy(&erased.body));
    assert_eq!(erased.json()["receipt"]["items"]["AuditEntry"], 5);
    assert!(
        app.items_of("AuditEntry").await.is_empty(),
        "the trail goes with the customer"
    );
    assert_eq!(app.items_of("ErasureReceipt").await.len(), 1, "the receipt stays");
    assert_eq!(trail(&app, &id, "").await.status, 404);
}
