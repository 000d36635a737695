//! `clientele check`: what must hold of the whole table holds after the
//! API's work, and each way it can break is named.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_auth::Role;
use clientele_core::{CustomerId, Timestamp};
use clientele_store::keys::{self, Key};
use clientele_tests::sweeps::Sweeps;
use clientele_tests::{Call, TestApp, customer_body};
use serde_json::{Value, json};

/// A business's worth of work through the API: customers created, changed,
/// tagged, noted; one deleted and swept, one deleted and not swept yet.
async fn worked(app: &TestApp) -> Vec<Value> {
    let staff = app.token(Role::Staff);
    let admin = app.token(Role::Admin);
    let mut customers = Vec::new();
    for name in ["Ida Intact", "Ned Noted", "Gus Gone", "Pat Pending"] {
        let customer = app.created(&customer_body(name)).await;
        let id = customer["id"].as_str().unwrap().to_owned();
        let tags = Call::post(&format!("/api/customers/{id}/tags"))
            .bearer(&staff)
            .json(&json!([{"label": "VIP"}, {"label": "Wholesale"}]));
        assert_eq!(app.send(tags).await.status, 201);
        let note = Call::post(&format!("/api/customers/{id}/notes"))
            .bearer(&staff)
            .json(&json!({"content": "called"}));
        assert_eq!(app.send(note).await.status, 201);
        let patch = Call::patch(&format!("/api/customers/{id}"))
            .bearer(&staff)
            .json(&json!({"email": format!("{}.new@example.com", uuid::Uuid::new_v4().simple())}));
        assert_eq!(app.send(patch).await.status, 200);
        customers.push(customer);
    }
    let sweeps = Sweeps::new(app).await;
    let delete = |customer: &Value| Call::delete(&format!("/api/customers/{}", customer["id"].as_str().unwrap()));
    assert_eq!(app.send(delete(&customers[2]).bearer(&admin)).await.status, 204);
    assert!(sweeps.settle().await, "swept");
    // Deleted, its sweep still to come: its tombstone says so.
    assert_eq!(app.send(delete(&customers[3]).bearer(&admin)).await.status, 204);
    customers
}

fn id_of(customer: &Value) -> CustomerId {
    CustomerId::parse(customer["id"].as_str().unwrap()).unwrap()
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

#[tokio::test]
async fn after_the_apis_work_everything_holds() {
    let app = TestApp::spawn_with_stream().await;
    worked(&app).await;
    let found = app.store.violations(Timestamp::now()).await.unwrap();
    assert!(found.is_empty(), "{found:#?}");
}

#[tokio::test]
async fn each_way_the_table_can_break_is_named() {
    let app = TestApp::spawn_with_stream().await;
    let customers = worked(&app).await;
    let (intact, noted) = (id_of(&customers[0]), id_of(&customers[1]));

    // A claim lost.
    let email = customers[0]["email"].as_str().unwrap();
    let record = app.items_of("Customer").await;
    let ida = record.iter().find(|c| c["id"] == s(&intact.to_string())).unwrap();
    let now_email = ida["email"].as_s().unwrap().clone();
    assert_ne!(email, now_email, "the email was changed");
    app.delete_raw(&keys::email_claim(app.business, &now_email)).await;
    // A tag's copy by id lost.
    let tag = app
        .items_of("TagById")
        .await
        .into_iter()
        .find(|t| t["customer_id"] == s(&intact.to_string()))
        .unwrap();
    app.delete_raw(&Key {
        pk: tag["pk"].as_s().unwrap().clone(),
        sk: tag["sk"].as_s().unwrap().clone(),
    })
    .await;
    // Counts that disagree with what is stored.
    app.set_number_raw(&keys::counts(intact), "tags", 7).await;
    // An outbox event lost.
    let event = app
        .items_of("Event")
        .await
        .into_iter()
        .find(|e| e["pk"] == s(&keys::outbox_partition(noted)))
        .unwrap();
    let event_key = Key {
        pk: event["pk"].as_s().unwrap().clone(),
        sk: event["sk"].as_s().unwrap().clone(),
    };
    app.delete_raw(&event_key).await;
    // A record gone without its tombstone, its notes left behind.
    app.delete_raw(&keys::customer(noted)).await;
    // A kind nobody writes.
    app.put_raw(HashMap::from([
        ("pk".to_owned(), s("MYSTERY#1")),
        ("sk".to_owned(), s("MYSTERY")),
        ("entity".to_owned(), s("Mystery")),
    ]))
    .await;

    let found = app.violations().await;
    let says = |words: &[&str]| found.iter().any(|v| words.iter().all(|w| v.contains(w)));
    let ida = intact.to_string();
    let ned = noted.to_string();
    assert!(says(&[&ida, "EmailClaim", "is missing"]), "{found:#?}");
    assert!(says(&["copy by id is missing"]), "{found:#?}");
    assert!(says(&[&ned, "is gone", "no tombstone"]), "{found:#?}");
    assert!(says(&["UserClaim", &ned, "who is gone"]), "{found:#?}");
    assert!(says(&[&ned, "has no event"]), "{found:#?}");
    assert!(says(&["Mystery"]), "{found:#?}");
    // The deleted-and-swept and the deleted-and-pending customers are fine.
    for fine in &customers[2..] {
        let id = fine["id"].as_str().unwrap();
        assert!(!says(&[id]), "{id}: {found:#?}");
    }
    assert!(
        says(&[&ida, "counts say 7 tags and 1 notes, it has 2 and 1"]),
        "{found:#?}"
    );
}
