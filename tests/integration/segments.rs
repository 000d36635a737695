//! `GET /api/customers/segments`: exact counts by status and type, kept in
//! the transactions that move customers between cells, and each cell listed
//! by one index query.

use std::collections::BTreeMap;

use clientele_auth::Role;
use clientele_core::{BusinessId, Timestamp};
use clientele_tests::{Call, TestApp, customer_body, token};
use serde_json::{Value, json};

/// The counts by "status/type", and the total.
async fn segments(app: &TestApp) -> (BTreeMap<String, u64>, u64) {
    let response = app
        .send(Call::get("/api/customers/segments").bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(response.status, 200);
    let body = response.json();
    let cells = body["segments"].as_array().unwrap();
    assert_eq!(cells.len(), 6, "every cell, those with none too");
    let counts: BTreeMap<String, u64> = cells
        .iter()
        .map(|c| {
            let key = format!(
                "{}/{}",
                c["status"].as_str().unwrap(),
                c["customer_type"].as_str().unwrap()
            );
            let href = c["href"].as_str().unwrap();
            assert_eq!(
                href,
                format!(
                    "/api/customers?status={}&customer_type={}",
                    c["status"].as_str().unwrap(),
                    c["customer_type"].as_str().unwrap()
                )
            );
            (key, c["count"].as_u64().unwrap())
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    (counts, body["total"].as_u64().unwrap())
}

fn cells(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

async fn listed(app: &TestApp, status: &str, customer_type: &str) -> usize {
    let response = app
        .send(
            Call::get(&format!(
                "/api/customers?status={status}&customer_type={customer_type}&limit=100"
            ))
            .bearer(&app.token(Role::Viewer)),
        )
        .await;
    assert_eq!(response.status, 200);
    response.json()["items"].as_array().unwrap().len()
}

fn id(customer: &Value) -> &str {
    customer["id"].as_str().unwrap()
}

#[tokio::test]
async fn every_change_that_moves_a_customer_keeps_the_counts_exact() {
    let app = TestApp::spawn().await;
    let (admin, staff) = (app.token(Role::Admin), app.token(Role::Staff));
    let a = app.created(&customer_body("Segment A")).await;
    let b = app.created(&customer_body("Segment B")).await;
    let mut body = customer_body("Segment C");
    body["customer_type"] = json!("institution");
    let c = app.created(&body).await;
    let d = app.created(&customer_body("Segment D")).await;
    assert_eq!(
        segments(&app).await,
        (cells(&[("pending/institution", 1), ("pending/sme", 3)]), 4)
    );

    // Lifecycle steps and a type change move a customer; a change of name
    // does not.
    let validate = Call::post(&format!("/api/customers/{}/validate", id(&a))).bearer(&admin);
    assert_eq!(app.send(validate).await.status, 200);
    let suspend = Call::post(&format!("/api/customers/{}/suspend", id(&a)))
        .bearer(&admin)
        .json(&json!({"reason": "unpaid invoices"}));
    assert_eq!(app.send(suspend).await.status, 200);
    let retype = Call::patch(&format!("/api/customers/{}", id(&b)))
        .bearer(&staff)
        .json(&json!({"customer_type": "institution", "full_name": "Segment B2"}));
    assert_eq!(app.send(retype).await.status, 200);
    let rename = Call::patch(&format!("/api/customers/{}", id(&d)))
        .bearer(&staff)
        .json(&json!({"full_name": "Segment D2"}));
    assert_eq!(app.send(rename).await.status, 200);
    assert_eq!(
        segments(&app).await,
        (
            cells(&[("pending/institution", 2), ("pending/sme", 1), ("suspended/sme", 1)]),
            4
        )
    );

    // A deletion and an erasure take the customer out.
    let delete = Call::delete(&format!("/api/customers/{}", id(&c))).bearer(&admin);
    assert_eq!(app.send(delete).await.status, 204);
    // An erasure answered 503 (a slow table) is asked for again, as the
    // API says; a repeat finishes it or finds nothing left.
    let mut erased = 0;
    for _ in 0..3 {
        let erase = Call::post("/api/gdpr/delete")
            .bearer(&admin)
            .json(&json!({"customer_id": id(&a)}));
        erased = app.send(erase).await.status;
        if erased != 503 {
            break;
        }
    }
    assert_eq!(erased, 200);
    assert_eq!(
        segments(&app).await,
        (cells(&[("pending/institution", 1), ("pending/sme", 1)]), 2)
    );
    assert_eq!(listed(&app, "pending", "institution").await, 1);
    assert_eq!(listed(&app, "pending", "sme").await, 1);
    assert_eq!(listed(&app, "suspended", "sme").await, 0);

    // Another business counts its own.
    let outsider = token(BusinessId::random(), &[Role::Viewer]);
    let response = app.send(Call::get("/api/customers/segments").bearer(&outsider)).await;
    assert_eq!(response.json()["total"], 0);
    let broken = app.store.violations(Timestamp::now()).await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
}

#[tokio::test]
async fn concurrent_creates_in_one_business_are_all_counted() {
    let app = TestApp::spawn().await;
    let bodies: Vec<Value> = (0..16).map(|i| customer_body(&format!("Rush {i}"))).collect();
    let responses = futures::future::join_all(bodies.iter().map(|body| app.create(body))).await;
    // A create answers 201, or 503 when the table was too slow to say (the
    // local DynamoDB, loaded by the rest of the suite, has taken over the
    // functions' timeouts to commit a burst): then it may or may not have
    // happened, as with any 5xx. Either way, every customer stored is
    // counted, once.
    for refused in responses.iter().filter(|r| r.status != 201) {
        assert_eq!(refused.status, 503, "{}", refused.problem());
    }
    let answered = responses.iter().filter(|r| r.status == 201).count();
    // A transaction answered 503 may still be committing: wait until what
    // is stored and what is counted stay the same for a moment.
    let mut seen = None;
    for _ in 0..60 {
        let stored = u64::try_from(app.items_of("Customer").await.len()).unwrap();
        let now = (stored, segments(&app).await);
        if seen.as_ref() == Some(&now) && now.0 == now.1.1 {
            break;
        }
        seen = Some(now);
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let (stored, counted) = seen.unwrap();
    assert!(
        stored >= u64::try_from(answered).unwrap() && stored > 0,
        "{stored} stored, {answered} answered 201"
    );
    assert_eq!(counted, (cells(&[("pending/sme", stored)]), stored));
    let broken = app.store.violations(Timestamp::now()).await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
}

#[tokio::test]
async fn one_cell_is_listed_by_one_index_query() {
    use clientele_core::{CustomerQuery, CustomerStatus, CustomerType};
    use clientele_store::DynamoStore;
    use clientele_tests::iam::{Recorder, recorded_dynamodb};

    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.created(&customer_body(&format!("Cell {i}"))).await;
    }
    let mut body = customer_body("Other Cell");
    body["customer_type"] = json!("institution");
    app.created(&body).await;
    let recorder = Recorder::default();
    let store = DynamoStore::new(recorded_dynamodb(&recorder).await, app.table.clone());
    let query = CustomerQuery {
        status: Some(CustomerStatus::Pending),
        customer_type: Some(CustomerType::Sme),
        limit: 10,
        ..CustomerQuery::default()
    };
    let page = store.list_customers(app.business, &query).await.unwrap();
    assert_eq!(page.items.len(), 5);
    assert!(page.items.iter().all(|c| c.customer_type == CustomerType::Sme));
    assert_eq!(recorder.count("dynamodb:Query"), 1);
    assert_eq!(recorder.count("dynamodb:BatchGetItem"), 0);
}
