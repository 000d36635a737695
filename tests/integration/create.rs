//! `POST /api/customers/`.

use clientele_auth::Role;
use clientele_tests::{Call, TestApp, customer_body};
use serde_json::json;

/// The original service's create example, unchanged.
fn original_payload() -> serde_json::Value {
    json!({
        "full_name": "John Doe",
        "email": "john.doe@example.com",
        "phone": "0712345678",
        "gender": "male",
        "user_id": "123e4567-e89b-12d3-a456-426614174000",
        "business_id": "123e4567-e89b-12d3-a456-426614174001"
    })
}

#[tokio::test]
async fn the_original_payload_creates_a_pending_customer_with_location_and_etag() {
    let mut app = TestApp::spawn().await;
    app.business = "123e4567-e89b-12d3-a456-426614174001".parse().unwrap();
    let response = app.create(&original_payload()).await;
    assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
    let body = response.json();
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        response.header("location"),
        Some(format!("/api/customers/{id}").as_str())
    );
    assert_eq!(response.header("etag"), Some("\"1\""));
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(body["full_name"], "John Doe");
    assert_eq!(body["email"], "john.doe@example.com");
    assert_eq!(body["phone"], "0712345678");
    assert_eq!(body["gender"], "male");
    assert_eq!(body["business_id"], "123e4567-e89b-12d3-a456-426614174001");
    assert_eq!(body["customer_type"], "sme");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["total_orders"], 0);
    assert_eq!(body["lifetime_value"], 0.0);
    assert_eq!(body["version"], 1);
    assert_eq!(body["created_at"], body["updated_at"]);

    let read = app
        .send(Call::get(&format!("/api/customers/{id}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), body, "what was created is what is read");
}

#[tokio::test]
async fn the_created_event_is_recorded_with_the_customer_and_holds_no_personal_data() {
    let app = TestApp::spawn().await;
    let body = app.created(&customer_body("Ada Lovelace")).await;
    let events = app.items_of("Event").await;
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["event_type"].as_s().unwrap(), "customer.created");
    let detail: serde_json::Value = serde_json::from_str(event["detail"].as_s().unwrap()).unwrap();
    assert_eq!(detail["customerId"], body["id"]);
    assert_eq!(detail["businessId"], app.business.to_string());
    assert_eq!(detail["customerType"], "sme");
    assert_eq!(detail["schemaVersion"], 2);
    assert!(detail["eventId"].is_string());
    let text = event["detail"].as_s().unwrap();
    for personal in ["Ada", "Lovelace", body["email"].as_str().unwrap(), "0712345678"] {
        assert!(!text.contains(personal), "the event leaks {personal}");
    }
    assert!(event.contains_key("expires_at"), "outbox items expire");
}

#[tokio::test]
async fn every_invalid_field_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let response = app
        .create(&json!({
            "full_name": "   ",
            "email": "not-an-email",
            "phone": "call me",
            "gender": "unknown",
            "customer_type": "corporation",
            "user_id": "123"
        }))
        .await;
    assert_eq!(response.status, 422);
    assert_eq!(response.problem(), "validation-failed");
    assert_eq!(
        response.problem_fields(),
        ["user_id", "full_name", "email", "phone", "gender", "customer_type"]
    );
    assert!(app.items().await.is_empty());
}

#[tokio::test]
async fn server_owned_and_unknown_fields_are_refused() {
    let app = TestApp::spawn().await;
    let mut body = customer_body("Grace Hopper");
    for (field, value) in [
        ("id", json!("123e4567-e89b-12d3-a456-426614174009")),
        ("status", json!("active")),
        ("total_orders", json!(10)),
        ("lifetime_value", json!(99.5)),
        ("created_at", json!("2020-01-01T00:00:00Z")),
        ("version", json!(7)),
        ("avatar_url", json!("https://example.com/a.png")),
        ("nickname", json!("Amazing Grace")),
    ] {
        body[field] = value;
    }
    let response = app.create(&body).await;
    assert_eq!(response.status, 422);
    let fields = response.problem_fields();
    for field in [
        "id",
        "status",
        "total_orders",
        "lifetime_value",
        "created_at",
        "version",
        "avatar_url",
        "nickname",
    ] {
        assert!(
            fields.contains(&field.to_owned()),
            "{field} should be refused: {fields:?}"
        );
    }
    assert!(app.items().await.is_empty());
}

#[tokio::test]
async fn missing_required_fields_are_named() {
    let app = TestApp::spawn().await;
    let response = app.create(&json!({})).await;
    assert_eq!(response.status, 422);
    assert_eq!(response.problem_fields(), ["user_id", "full_name", "email", "gender"]);
}

#[tokio::test]
async fn a_body_naming_another_business_is_refused_and_not_honoured() {
    let app = TestApp::spawn().await;
    let mut body = customer_body("Mallory");
    body["business_id"] = json!(uuid::Uuid::new_v4().to_string());
    let response = app.create(&body).await;
    assert_eq!(response.status, 403);
    assert_eq!(response.problem(), "forbidden");
    assert!(app.items().await.is_empty());

    body["business_id"] = json!(app.business.to_string());
    assert_eq!(app.create(&body).await.status, 201, "naming one's own business is fine");
}

#[tokio::test]
async fn emails_are_unique_per_business_case_insensitively() {
    let app = TestApp::spawn().await;
    let mut first = customer_body("Alan Turing");
    first["email"] = json!("alan@example.com");
    app.created(&first).await;

    let mut second = customer_body("Alan Impostor");
    second["email"] = json!("  ALAN@Example.COM ");
    let response = app.create(&second).await;
    assert_eq!(response.status, 409);
    assert_eq!(response.problem(), "conflict");
    assert_eq!(response.problem_fields(), ["email"]);
    assert_eq!(
        app.items_of("Customer").await.len(),
        1,
        "nothing of the second was written"
    );
    assert_eq!(app.items_of("Event").await.len(), 1);

    let elsewhere = TestApp::over(app.dynamodb.clone(), app.dynamodb.clone(), app.table.clone()).await;
    assert_eq!(
        elsewhere.create(&second).await.status,
        201,
        "another business may use the same email"
    );
}

#[tokio::test]
async fn emails_that_differ_only_in_width_or_ligatures_are_one_address() {
    let app = TestApp::spawn().await;
    let mut first = customer_body("Fiona Width");
    first["email"] = json!("ﬁona@example.com");
    app.created(&first).await;
    for twin in ["fiona@example.com", "ＦＩＯＮＡ@example.com"] {
        let mut second = customer_body("Fiona Twin");
        second["email"] = json!(twin);
        let response = app.create(&second).await;
        assert_eq!(response.status, 409, "{twin}");
        assert_eq!(response.problem_fields(), ["email"]);
    }
}

#[tokio::test]
async fn names_with_bidirectional_or_invisible_characters_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    // An override that shows "Evil" reversed, and a zero width space.
    for name in ["Eve \u{202E}liveE", "Ali\u{200B}ce", "\u{2066}Bob\u{2069}"] {
        let mut body = customer_body("Someone");
        body["full_name"] = json!(name);
        let response = app.create(&body).await;
        assert_eq!(response.status, 422, "{name:?}");
        assert_eq!(response.problem_fields(), ["full_name"]);
    }
    assert!(app.items().await.is_empty());
    // The joiners Persian and Indic names need are kept.
    let mut body = customer_body("Someone");
    body["full_name"] = json!("Mehr\u{200C}dad");
    assert_eq!(app.created(&body).await["full_name"], "Mehr\u{200C}dad");
}

#[tokio::test]
async fn a_user_has_one_customer_record_per_business() {
    let app = TestApp::spawn().await;
    let first = customer_body("Katherine Johnson");
    app.created(&first).await;
    let mut again = customer_body("Katherine J");
    again["user_id"] = first["user_id"].clone();
    let response = app.create(&again).await;
    assert_eq!(response.status, 409);
    assert_eq!(response.problem_fields(), ["user_id"]);

    let mut both = first.clone();
    both["full_name"] = json!("Copy");
    let response = app.create(&both).await;
    assert_eq!(response.status, 409);
    assert_eq!(
        response.problem_fields(),
        ["email", "user_id"],
        "both duplicates are named"
    );
}

#[tokio::test]
async fn customer_type_is_validated_and_kept() {
    let app = TestApp::spawn().await;
    let mut body = customer_body("Institut Pasteur");
    body["customer_type"] = json!("institution");
    let created = app.created(&body).await;
    assert_eq!(created["customer_type"], "institution");
}

#[tokio::test]
async fn malformed_bodies_get_4xx_problems_and_change_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Staff);
    let post = || Call::post("/api/customers/").bearer(&token);
    let cases = [
        (
            post()
                .header("content-type", "application/json")
                .text("{\"full_name\": "),
            400,
            "malformed-json",
        ),
        (
            post().header("content-type", "application/json").text("[1, 2]"),
            400,
            "malformed-json",
        ),
        (
            post().header("content-type", "application/json").text(""),
            400,
            "malformed-json",
        ),
        (
            post().header("content-type", "text/plain").text("{}"),
            415,
            "unsupported-media-type",
        ),
        (post().text("{}"), 415, "unsupported-media-type"),
        (
            post()
                .header("content-type", "application/json")
                .text(&format!("{{\"full_name\": \"{}\"}}", "x".repeat(20_000))),
            413,
            "payload-too-large",
        ),
        (
            post()
                .header("content-type", "application/json")
                .bytes(&[0xff, 0xfe, 0x00]),
            400,
            "malformed-json",
        ),
    ];
    for (call, status, problem) in cases {
        let response = app.send(call).await;
        assert_eq!((response.status, response.problem()), (status, problem.to_owned()));
    }
    assert!(app.items().await.is_empty());
}

#[tokio::test]
async fn the_collection_path_works_without_a_trailing_slash() {
    let app = TestApp::spawn().await;
    let response = app
        .send(
            Call::post("/api/customers")
                .bearer(&app.token(Role::Staff))
                .json(&customer_body("No Slash")),
        )
        .await;
    assert_eq!(response.status, 201);
}

#[tokio::test]
async fn of_many_concurrent_creates_with_one_email_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let bodies: Vec<_> = (0..16)
        .map(|i| {
            let mut body = customer_body(&format!("Racer {i}"));
            body["email"] = json!("race@example.com");
            body
        })
        .collect();
    let responses = futures::future::join_all(bodies.iter().map(|body| app.create(body))).await;
    let created = responses.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for refused in responses.iter().filter(|r| r.status != 201) {
        assert_eq!(
            (refused.status, refused.problem_fields()),
            (409, vec!["email".to_owned()])
        );
    }
    assert_eq!(app.items_of("Customer").await.len(), 1);
    assert_eq!(app.items_of("EmailClaim").await.len(), 1);
    assert_eq!(app.items_of("UserClaim").await.len(), 1);
    assert_eq!(app.items_of("Event").await.len(), 1);
}

/// The README shows the answer to a bad create; it must be the real one.
#[tokio::test]
async fn the_readmes_validation_example_is_what_the_api_answers() {
    let readme = std::fs::read_to_string(clientele_tests::services::project_root().join("README.md")).unwrap();
    let section = readme
        .split("Bad input gets a problem document")
        .nth(1)
        .expect("the README shows a bad create");
    let block = |fence: &str| {
        let start = section.find(fence).expect("a fenced block") + fence.len();
        let end = start + section[start..].find("```").expect("a closing fence");
        section[start..end].to_owned()
    };
    let request = block("```sh");
    let body = request
        .split("-d '")
        .nth(1)
        .and_then(|b| b.split('\'').next())
        .expect("a -d body");
    let mut shown: serde_json::Value = serde_json::from_str(&block("```json")).unwrap();

    let app = TestApp::spawn().await;
    let response = app.create(&serde_json::from_str(body).unwrap()).await;
    let mut answered = response.json();
    // Each request has an id of its own: the example shows one.
    let ids = (
        answered.as_object_mut().and_then(|o| o.remove("request_id")),
        shown.as_object_mut().and_then(|o| o.remove("request_id")),
    );
    assert_eq!(
        ids.0.as_ref().and_then(|id| id.as_str()),
        response.header("x-request-id")
    );
    assert!(
        ids.1.is_some_and(|id| id.is_string()),
        "the example shows the request's id"
    );
    assert_eq!(answered, shown);
}
