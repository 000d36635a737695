//! `PATCH /api/customers/{id}`: merge patch, If-Match, email moves, rate limit; and `PUT`, the full replacement with the same rules.

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};
use serde_json::{Value, json};

async fn patch(app: &TestApp, id: &str, body: &Value) -> TestResponse {
    app.send(
        Call::patch(&format!("/api/customers/{id}"))
            .bearer(&app.token(Role::Staff))
            .json(body),
    )
    .await
}

async fn get(app: &TestApp, id: &str) -> Value {
    app.send(Call::get(&format!("/api/customers/{id}")).bearer(&app.token(Role::Viewer)))
        .await
        .json()
}

fn id_of(customer: &Value) -> String {
    customer["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_merge_patch_changes_what_it_names_and_records_the_fields() {
    let app = TestApp::spawn().await;
    let before = app.created(&customer_body("Rosalind Franklin")).await;
    let id = id_of(&before);
    let response = app
        .send(
            Call::patch(&format!("/api/customers/{id}"))
                .bearer(&app.token(Role::Staff))
                .header("content-type", "application/merge-patch+json")
                .text(r#"{"full_name": "Rosalind E. Franklin", "phone": null, "customer_type": "institution"}"#),
        )
        .await;
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    assert_eq!(response.header("etag"), Some("\"2\""));
    let after = response.json();
    assert_eq!(after["full_name"], "Rosalind E. Franklin");
    assert!(after["phone"].is_null());
    assert_eq!(after["customer_type"], "institution");
    assert_eq!(after["email"], before["email"]);
    assert_eq!(after["version"], 2);
    assert_eq!(after["created_at"], before["created_at"]);
    assert_ne!(after["updated_at"], before["updated_at"]);
    assert_eq!(get(&app, &id).await, after);

    let events = app.items_of("Event").await;
    let updated: Vec<_> = events
        .iter()
        .filter(|e| e["event_type"].as_s().unwrap() == "customer.updated")
        .collect();
    assert_eq!(updated.len(), 1);
    let detail: Value = serde_json::from_str(updated[0]["detail"].as_s().unwrap()).unwrap();
    assert_eq!(detail["updatedFields"], json!(["full_name", "phone", "customer_type"]));
    assert!(!updated[0]["detail"].as_s().unwrap().contains("Rosalind"));
}

#[tokio::test]
async fn a_patch_that_changes_nothing_writes_nothing() {
    let app = TestApp::spawn().await;
    let before = app.created(&customer_body("Same Same")).await;
    let response = patch(&app, &id_of(&before), &json!({"full_name": "Same Same"})).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), before);
    assert_eq!(app.items_of("Event").await.len(), 1, "only customer.created");
}

#[tokio::test]
async fn a_stale_if_match_is_refused_with_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.created(&customer_body("Optimistic Olga")).await);
    assert_eq!(patch(&app, &id, &json!({"full_name": "Olga Two"})).await.status, 200);

    let path = format!("/api/customers/{id}");
    let stale = app
        .send(
            Call::patch(&path)
                .bearer(&app.token(Role::Staff))
                .header("if-match", "\"1\"")
                .json(&json!({"full_name": "Olga Stale"})),
        )
        .await;
    assert_eq!((stale.status, stale.problem()), (412, "precondition-failed".to_owned()));
    assert_eq!(get(&app, &id).await["full_name"], "Olga Two");

    for (current, tag) in [
        (2, "\"2\"".to_owned()),
        (3, "*".to_owned()),
        (4, "\"1\", \"4\"".to_owned()),
    ] {
        let fresh = app
            .send(
                Call::patch(&path)
                    .bearer(&app.token(Role::Staff))
                    .header("if-match", &tag)
                    .json(&json!({"full_name": format!("Olga {current}")})),
            )
            .await;
        assert_eq!(fresh.status, 200, "If-Match: {tag}");
        assert_eq!(fresh.json()["version"], current + 1);
        assert_eq!(fresh.header("etag"), Some(format!("\"{}\"", current + 1).as_str()));
    }
    let weak = app
        .send(
            Call::patch(&path)
                .bearer(&app.token(Role::Staff))
                .header("if-match", "W/\"5\"")
                .json(&json!({"full_name": "Weak"})),
        )
        .await;
    assert_eq!(weak.status, 412, "weak tags never match If-Match");
    let garbage = app
        .send(
            Call::patch(&path)
                .bearer(&app.token(Role::Staff))
                .header("if-match", "5")
                .json(&json!({"full_name": "Bad"})),
        )
        .await;
    assert_eq!(
        (garbage.status, garbage.problem_fields()),
        (400, vec!["if-match".to_owned()])
    );
}

#[tokio::test]
async fn changing_the_email_moves_its_claim_atomically() {
    let app = TestApp::spawn().await;
    let mut first = customer_body("Mover");
    first["email"] = json!("old@example.com");
    let id = id_of(&app.created(&first).await);
    let mut holder = customer_body("Holder");
    holder["email"] = json!("taken@example.com");
    app.created(&holder).await;

    let clash = patch(
        &app,
        &id,
        &json!({"email": "TAKEN@example.com", "full_name": "Mover Renamed"}),
    )
    .await;
    assert_eq!((clash.status, clash.problem_fields()), (409, vec!["email".to_owned()]));
    let unchanged = get(&app, &id).await;
    assert_eq!(
        (unchanged["email"].as_str(), unchanged["version"].as_u64()),
        (Some("old@example.com"), Some(1))
    );

    assert_eq!(patch(&app, &id, &json!({"email": "new@example.com"})).await.status, 200);
    let mut reuse = customer_body("Reuser");
    reuse["email"] = json!("old@example.com");
    assert_eq!(app.create(&reuse).await.status, 201, "the old address is free again");
    let mut grab = customer_body("Grabber");
    grab["email"] = json!("NEW@example.com");
    assert_eq!(app.create(&grab).await.status, 409, "the new address is claimed");

    assert_eq!(
        patch(&app, &id, &json!({"email": "New@Example.com"})).await.status,
        200,
        "a change of case keeps the claim"
    );
    assert_eq!(app.items_of("EmailClaim").await.len(), 3);
}

#[tokio::test]
async fn fixed_server_owned_and_unknown_fields_are_refused() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.created(&customer_body("Fixed Fields")).await);
    let response = patch(
        &app,
        &id,
        &json!({
            "user_id": uuid::Uuid::new_v4().to_string(),
            "business_id": BusinessId::random().to_string(),
            "status": "active",
            "version": 9,
            "full_name": null,
            "email": "bad",
            "shoe_size": 42
        }),
    )
    .await;
    assert_eq!(response.status, 422);
    assert_eq!(
        response.problem_fields(),
        [
            "full_name",
            "email",
            "user_id",
            "business_id",
            "status",
            "version",
            "shoe_size"
        ]
    );
    assert_eq!(get(&app, &id).await["version"], 1);
}

#[tokio::test]
async fn updates_are_rate_limited_per_customer() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.created(&customer_body("Busy Bee")).await);
    let other = id_of(&app.created(&customer_body("Calm Cat")).await);
    for n in 1..=5 {
        let response = patch(&app, &id, &json!({"full_name": format!("Busy Bee {n}")})).await;
        assert_eq!(response.status, 200, "update {n}");
    }
    let limited = patch(&app, &id, &json!({"full_name": "Busy Bee 6"})).await;
    assert_eq!((limited.status, limited.problem()), (429, "rate-limited".to_owned()));
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        get(&app, &id).await["full_name"],
        "Busy Bee 5",
        "the refused update changed nothing"
    );

    assert_eq!(
        patch(&app, &other, &json!({"full_name": "Calm Cat 2"})).await.status,
        200,
        "per customer"
    );

    app.clock.advance(60);
    assert_eq!(
        patch(&app, &id, &json!({"full_name": "Busy Bee 7"})).await.status,
        200,
        "a new window"
    );
}

#[tokio::test]
async fn patching_needs_staff_and_the_callers_business() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.created(&customer_body("Guarded")).await);
    let path = format!("/api/customers/{id}");
    let body = json!({"full_name": "Hijacked"});
    let viewer = app
        .send(Call::patch(&path).bearer(&app.token(Role::Viewer)).json(&body))
        .await;
    assert_eq!(viewer.status, 403);
    let outsider = app
        .send(
            Call::patch(&path)
                .bearer(&token(BusinessId::random(), &[Role::Admin]))
                .json(&body),
        )
        .await;
    assert_eq!(outsider.status, 404);
    let missing = patch(&app, &uuid::Uuid::new_v4().to_string(), &body).await;
    assert_eq!(missing.status, 404);
    assert_eq!(get(&app, &id).await["full_name"], "Guarded");
}

#[tokio::test]
async fn a_patch_with_the_wrong_media_type_is_415() {
    let app = TestApp::spawn().await;
    let id = id_of(&app.created(&customer_body("Media Type")).await);
    let response = app
        .send(
            Call::patch(&format!("/api/customers/{id}"))
                .bearer(&app.token(Role::Staff))
                .header("content-type", "application/xml")
                .text("<full_name>x</full_name>"),
        )
        .await;
    assert_eq!(response.status, 415);
}

#[tokio::test]
async fn a_client_that_may_only_write_gets_no_representation_back() {
    let app = TestApp::spawn().await;
    let writer = clientele_auth::Principal::client(
        uuid::Uuid::new_v4().to_string(),
        app.business,
        vec![clientele_core::Scope::CustomersWrite],
    );
    let created = app
        .send(
            Call::post("/api/customers/")
                .authorized_as(&writer)
                .json(&customer_body("Write Only")),
        )
        .await;
    assert_eq!(created.status, 201);
    let body = created.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "version"], "{body}");
    let path = format!("/api/customers/{}", body["id"].as_str().unwrap());
    assert_eq!(app.send(Call::get(&path).authorized_as(&writer)).await.status, 403);
    let empty_patch = app
        .send(Call::patch(&path).authorized_as(&writer).json(&json!({})))
        .await;
    assert_eq!(empty_patch.status, 200);
    assert_eq!(
        empty_patch.json(),
        json!({"id": body["id"], "version": 1}),
        "PATCH {{}} reads nothing"
    );
    assert_eq!(empty_patch.header("etag"), Some("\"1\""));

    let reader = clientele_auth::Principal::client(
        uuid::Uuid::new_v4().to_string(),
        app.business,
        vec![
            clientele_core::Scope::CustomersRead,
            clientele_core::Scope::CustomersWrite,
        ],
    );
    let full = app
        .send(Call::patch(&path).authorized_as(&reader).json(&json!({})))
        .await;
    assert_eq!(full.json()["full_name"], "Write Only");
}

async fn put(app: &TestApp, id: &str, body: &Value, if_match: Option<&str>) -> TestResponse {
    let mut call = Call::new("PUT", &format!("/api/customers/{id}"))
        .bearer(&app.token(Role::Staff))
        .json(body);
    if let Some(tag) = if_match {
        call = call.header("If-Match", tag);
    }
    app.send(call).await
}

#[tokio::test]
async fn a_put_replaces_every_writable_field_and_names_the_changed_ones() {
    let app = TestApp::spawn().await;
    let mut body = customer_body("Grace Hopper");
    body["customer_type"] = json!("institution");
    let before = app.created(&body).await;
    assert!(!before["phone"].is_null(), "the fixture has a phone");
    let id = id_of(&before);
    let replacement = json!({
        "full_name": "Grace B. Hopper",
        "email": before["email"],
        "gender": before["gender"]
    });
    let response = put(&app, &id, &replacement, Some("\"1\"")).await;
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    assert_eq!(response.header("etag"), Some("\"2\""));
    let after = response.json();
    assert_eq!(after["full_name"], "Grace B. Hopper");
    assert!(after["phone"].is_null(), "an absent phone is removed");
    assert_eq!(after["customer_type"], "sme", "an absent type is the default");
    assert_eq!(after["user_id"], before["user_id"]);
    assert_eq!(get(&app, &id).await, after);

    let updated: Vec<Value> = app
        .items_of("Event")
        .await
        .iter()
        .filter(|e| e["event_type"].as_s().unwrap() == "customer.updated")
        .map(|e| serde_json::from_str(e["detail"].as_s().unwrap()).unwrap())
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(
        updated[0]["updatedFields"],
        json!(["full_name", "phone", "customer_type"])
    );

    let same = put(&app, &id, &replacement, None).await;
    assert_eq!(same.status, 200);
    assert_eq!(same.json()["version"], 2, "nothing changed, nothing written");
}

#[tokio::test]
async fn a_put_keeps_patchs_rules() {
    let app = TestApp::spawn().await;
    let first = app.created(&customer_body("Ada Lovelace")).await;
    let mut other_body = customer_body("Charles Babbage");
    other_body["email"] = json!("charles@example.com");
    other_body["user_id"] = json!("123e4567-e89b-12d3-a456-426614174555");
    let other = app.created(&other_body).await;
    let id = id_of(&first);
    let body = |email: &str| json!({"full_name": "Ada Lovelace", "email": email, "gender": "female"});

    let stale = put(&app, &id, &body("ada@example.com"), Some("\"9\"")).await;
    assert_eq!(stale.status, 412);
    let empty = put(&app, &id, &body("ada@example.com"), Some("")).await;
    assert_eq!(empty.status, 400, "an empty If-Match lists no tag");
    assert_eq!(empty.problem_fields(), vec!["if-match".to_owned()]);
    let taken = put(&app, &id, &body("Charles@Example.com"), None).await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.problem_fields(), vec!["email".to_owned()]);
    let refused = put(
        &app,
        &id,
        &json!({"email": "ada@example.com", "user_id": other["user_id"], "version": 3}),
        None,
    )
    .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.problem_fields(),
        vec!["full_name", "gender", "user_id", "version"]
    );
    assert_eq!(get(&app, &id).await, first, "nothing changed");

    // The update rate is PATCH's, counted together.
    for n in 0..5 {
        let email = format!("ada{n}@example.com");
        let response = if n % 2 == 0 {
            put(&app, &id, &body(&email), None).await
        } else {
            patch(&app, &id, &json!({"email": email})).await
        };
        assert_eq!(response.status, 200, "{n}");
    }
    let limited = put(&app, &id, &body("ada-late@example.com"), None).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.problem(), "rate-limited");
}
