//! `Idempotency-Key` on every `POST`: a retry gets the first answer, another
//! request with the key is refused, concurrent ones run once, and the kept
//! answers go with their customer.

use clientele_auth::Role;
use clientele_core::{BusinessId, Clock, Timestamp};
use clientele_store::idempotency::{Claim, KEY_LIFETIME_SECONDS, LEASE_SECONDS, POINTER, RECORD};
use clientele_tests::sweeps::Sweeps;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};
use serde_json::{Value, json};

async fn create_keyed(app: &TestApp, key: &str, body: &Value) -> TestResponse {
    app.send(
        Call::post("/api/customers/")
            .bearer(&app.token(Role::Staff))
            .header("Idempotency-Key", key)
            .json(body),
    )
    .await
}

async fn customers(app: &TestApp) -> usize {
    app.items_of("Customer").await.len()
}

#[tokio::test]
async fn a_retry_with_the_key_gets_the_first_answer_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let body = customer_body("Once Only");
    let first = create_keyed(&app, "create-once-1", &body).await;
    assert_eq!(first.status, 201, "{}", String::from_utf8_lossy(&first.body));
    assert_eq!(first.header("idempotent-replayed"), None);

    let again = create_keyed(&app, "create-once-1", &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "the same body, byte for byte");
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(customers(&app).await, 1);
    assert_eq!(app.items_of("Event").await.len(), 1, "one customer.created");

    let fresh = create_keyed(&app, "create-once-2", &customer_body("Twice Over")).await;
    assert_eq!(fresh.status, 201, "another key is another request");
    assert_eq!(customers(&app).await, 2);
    let unkeyed = app.create(&customer_body("No Key")).await;
    assert_eq!(unkeyed.status, 201);
    assert!(app.store.violations(Timestamp::now()).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_key_with_another_request_is_refused_and_nothing_is_done() {
    let app = TestApp::spawn().await;
    let first = create_keyed(&app, "k-1", &customer_body("First Body")).await;
    assert_eq!(first.status, 201);
    let other = create_keyed(&app, "k-1", &customer_body("Other Body")).await;
    assert_eq!(other.status, 422);
    assert_eq!(other.problem(), "idempotency-key-reused");
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let elsewhere = app
        .send(
            Call::post(&format!("/api/customers/{id}/notes"))
                .bearer(&app.token(Role::Staff))
                .header("Idempotency-Key", "k-1")
                .json(&json!({"content": "x"})),
        )
        .await;
    assert_eq!(elsewhere.status, 422, "another path is another request");
    assert_eq!(customers(&app).await, 1);
    assert!(app.items_of("Note").await.is_empty());
}

#[tokio::test]
async fn a_key_is_its_callers_own() {
    let app = TestApp::spawn().await;
    let body = customer_body("Mine Alone");
    assert_eq!(create_keyed(&app, "shared-key", &body).await.status, 201);
    let other_business = BusinessId::random();
    let theirs = app
        .send(
            Call::post("/api/customers/")
                .bearer(&token(other_business, &[Role::Staff]))
                .header("Idempotency-Key", "shared-key")
                .json(&body),
        )
        .await;
    assert_eq!(theirs.status, 201, "another business's key is another key");
    assert_eq!(theirs.header("idempotent-replayed"), None);
    assert_ne!(
        theirs.json()["id"],
        create_keyed(&app, "shared-key", &body).await.json()["id"]
    );
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_once() {
    let app = TestApp::spawn().await;
    let body = customer_body("Raced Once");
    let answers = futures::future::join_all((0..6).map(|_| create_keyed(&app, "raced", &body))).await;
    let created: Vec<&TestResponse> = answers
        .iter()
        .filter(|a| a.status == 201 && a.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    for answer in &answers {
        match answer.status {
            201 => assert_eq!(answer.body, created[0].body),
            409 => {
                assert_eq!(answer.problem(), "idempotency-key-in-use");
                assert_eq!(answer.header("retry-after"), Some("1"));
            }
            other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&answer.body)),
        }
    }
    assert_eq!(customers(&app).await, 1);
    let retried = create_keyed(&app, "raced", &body).await;
    assert_eq!(retried.status, 201);
    assert_eq!(retried.body, created[0].body);
}

#[tokio::test]
async fn refusals_are_replayed_but_answers_to_retry_later_are_not_kept() {
    let app = TestApp::spawn().await;
    let invalid = json!({"full_name": ""});
    let refused = create_keyed(&app, "bad-body", &invalid).await;
    assert_eq!(refused.status, 422);
    let replayed = create_keyed(&app, "bad-body", &invalid).await;
    assert_eq!(replayed.status, 422);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    // The first answer, named by the replay's own request id.
    let without_id = |response: &clientele_tests::TestResponse| {
        let mut problem = response.json();
        let id = problem.as_object_mut().and_then(|o| o.remove("request_id"));
        assert_eq!(id.as_ref().and_then(|id| id.as_str()), response.header("x-request-id"));
        problem
    };
    assert_eq!(without_id(&replayed), without_id(&refused));
    assert_ne!(replayed.header("x-request-id"), refused.header("x-request-id"));

    // A customer's update rate is spent: the 429 is not kept, so the same
    // key runs the request again once the window has passed.
    let id = app.created(&customer_body("Busy Bea")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let upload = |key: String| {
        Call::post(&format!("/api/customers/{id}/avatar"))
            .bearer(&app.token(Role::Staff))
            .header("Idempotency-Key", &key)
            .header("content-type", "image/png")
            .bytes(&clientele_tests::fixtures::TINY_PNG)
    };
    for attempt in 0..5 {
        assert_eq!(app.send(upload(format!("upload-{attempt}"))).await.status, 200);
    }
    let limited = app.send(upload("limited".to_owned())).await;
    assert_eq!(limited.status, 429, "{}", String::from_utf8_lossy(&limited.body));
    app.clock.advance(61);
    let later = app.send(upload("limited".to_owned())).await;
    assert_eq!(later.status, 200, "the 429 was not kept");
    assert_eq!(later.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn a_key_is_remembered_for_a_day() {
    let app = TestApp::spawn().await;
    assert_eq!(create_keyed(&app, "daily", &customer_body("Day One")).await.status, 201);
    app.clock.advance(KEY_LIFETIME_SECONDS - 1);
    let within = create_keyed(&app, "daily", &customer_body("Day Two")).await;
    assert_eq!(within.status, 422, "still the first request's key");
    app.clock.advance(2);
    let after = create_keyed(&app, "daily", &customer_body("Day Two")).await;
    assert_eq!(after.status, 201, "a day later the key is new again");
    let records = app.items_of(RECORD).await;
    assert_eq!(records.len(), 1, "the one record, claimed anew");
    let expires: i64 = records[0]["expires_at"].as_n().unwrap().parse().unwrap();
    let now = app.clock.now().unix_seconds();
    assert!(
        (now + KEY_LIFETIME_SECONDS - expires).abs() <= 1,
        "and expires by TTL a day on"
    );
}

#[tokio::test]
async fn a_claim_whose_request_died_is_taken_over_after_its_lease() {
    let app = TestApp::spawn().await;
    let now = Timestamp::now();
    let Claim::Granted { .. } = app.store.claim_key("died", "fp", now).await.unwrap() else {
        panic!("a new key is granted");
    };
    assert_eq!(app.store.claim_key("died", "fp", now).await.unwrap(), Claim::Running);
    assert_eq!(
        app.store.claim_key("died", "other", now).await.unwrap(),
        Claim::Mismatch
    );
    let later = now.plus_seconds(LEASE_SECONDS + 1);
    let Claim::Granted { lease } = app.store.claim_key("died", "fp", later).await.unwrap() else {
        panic!("a lease that ran out is taken over");
    };
    app.store.release_key("died", &lease).await.unwrap();
    assert!(app.items_of(RECORD).await.is_empty(), "released: a retry runs again");
}

#[tokio::test]
async fn an_invalid_key_is_refused_before_anything_is_done() {
    let app = TestApp::spawn().await;
    for key in [&"k".repeat(256), "two words"] {
        let refused = create_keyed(&app, key, &customer_body("Never Made")).await;
        assert_eq!(refused.status, 400, "{key:?}");
        assert_eq!(refused.problem_fields(), vec!["Idempotency-Key".to_owned()]);
    }
    assert_eq!(customers(&app).await, 0);
    assert!(app.items_of(RECORD).await.is_empty());
}

#[tokio::test]
async fn kept_answers_go_with_their_deleted_customer() {
    let app = TestApp::spawn_with_stream().await;
    let sweeps = Sweeps::new(&app).await;
    let created = create_keyed(&app, "made", &customer_body("Kept Kim")).await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let noted = app
        .send(
            Call::post(&format!("/api/customers/{id}/notes"))
                .bearer(&app.token(Role::Staff))
                .header("Idempotency-Key", "noted")
                .json(&json!({"content": "private words"})),
        )
        .await;
    assert_eq!(noted.status, 201);
    let unrelated = create_keyed(&app, "unrelated", &customer_body("Other Olga")).await;
    assert_eq!(unrelated.status, 201);
    assert_eq!(app.items_of(RECORD).await.len(), 3);
    let pointers = app.items_of(POINTER).await;
    assert_eq!(pointers.len(), 3, "each answer is about a customer");
    assert_eq!(
        pointers
            .iter()
            .filter(|p| p["pk"].as_s().unwrap() == &format!("CUSTOMER#{id}"))
            .count(),
        2
    );

    let deleted = app
        .send(Call::delete(&format!("/api/customers/{id}")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(deleted.status, 204);
    assert!(sweeps.settle().await);
    let records = app.items_of(RECORD).await;
    assert_eq!(records.len(), 1, "only the other customer's answer is left");
    assert!(!format!("{records:?}").contains("private words"));
    assert!(!format!("{records:?}").contains(&id));
    assert!(app.store.violations(Timestamp::now()).await.unwrap().is_empty());
}

#[tokio::test]
async fn kept_answers_go_with_their_erased_customer() {
    let app = TestApp::spawn().await;
    let created = create_keyed(&app, "made", &customer_body("Erased Ella")).await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let gdpr = |what: &str, key: &str| {
        Call::post(&format!("/api/gdpr/{what}"))
            .bearer(&app.token(Role::Admin))
            .header("Idempotency-Key", key)
            .json(&json!({"customer_id": id}))
    };
    let exported = app.send(gdpr("export", "exported")).await;
    assert_eq!(exported.status, 200);
    assert_eq!(app.items_of(POINTER).await.len(), 2);

    let erased = app.send(gdpr("delete", "erased")).await;
    assert_eq!(erased.status, 200, "{}", String::from_utf8_lossy(&erased.body));
    assert!(app.items_of(POINTER).await.is_empty());
    let records = app.items_of(RECORD).await;
    assert_eq!(
        records.len(),
        1,
        "only the erasure's own answer, its receipt: {records:?}"
    );
    assert!(!format!("{records:?}").contains("Ella"));
    let again = app.send(gdpr("delete", "erased")).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, erased.body);
    assert!(app.store.violations(Timestamp::now()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refusal_is_kept_on_its_own_and_leaves_nothing_with_another_business() {
    let app = TestApp::spawn().await;
    let theirs = app.created(&customer_body("Their Theo")).await;
    let id = theirs["id"].as_str().unwrap();
    let outsider = token(BusinessId::random(), &[Role::Staff]);
    let call = || {
        Call::post(&format!("/api/customers/{id}/notes"))
            .bearer(&outsider)
            .header("Idempotency-Key", "probe")
            .json(&json!({"content": "hello"}))
    };
    assert_eq!(app.send(call()).await.status, 404);
    let replayed = app.send(call()).await;
    assert_eq!(replayed.status, 404);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert!(
        app.items_of(POINTER).await.is_empty(),
        "nothing in the other business's partition"
    );
}
