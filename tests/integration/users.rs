//! Team users: the people who sign in for a customer, added, read, changed
//! and removed, each email unique in the business, and password resets
//! recorded for the identity service, against DynamoDB Local.

use clientele_auth::Role;
use clientele_core::{BusinessId, CustomerId, TeamUserId};
use clientele_store::keys;
use clientele_tests::delivery::EventFlow;
use clientele_tests::sweeps::Sweeps;
use clientele_tests::{Call, TestApp, TestResponse, customer_body};
use serde_json::{Value, json};

async fn customer(app: &TestApp, name: &str) -> String {
    app.created(&customer_body(name)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn add(app: &TestApp, customer: &str, body: Value) -> TestResponse {
    app.send(
        Call::post(&format!("/api/customers/{customer}/users"))
            .bearer(&app.token(Role::Staff))
            .json(&body),
    )
    .await
}

async fn added(app: &TestApp, customer: &str, email: &str, name: &str) -> Value {
    let response = add(app, customer, json!({"email": email, "full_name": name})).await;
    assert_eq!(response.status, 201, "{}", response.problem());
    let user = response.json();
    assert_eq!(
        response.header("location").unwrap(),
        format!("/api/customers/{customer}/users/{}", user["id"].as_str().unwrap())
    );
    assert_eq!(response.header("etag").unwrap(), "\"1\"");
    user
}

fn path_of(customer: &str, user: &Value) -> String {
    format!("/api/customers/{customer}/users/{}", user["id"].as_str().unwrap())
}

async fn patch(app: &TestApp, path: &str, body: Value) -> TestResponse {
    app.send(Call::patch(path).bearer(&app.token(Role::Staff)).json(&body))
        .await
}

#[tokio::test]
async fn a_team_user_is_added_read_changed_and_removed_with_its_events() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let holder = customer(&app, "Team Holder").await;
    let ana = added(&app, &holder, "Ana.Pop@Example.com", "Ana Pop").await;
    assert_eq!(
        (
            &ana["role"],
            &ana["status"],
            &ana["platform_user_id"],
            &ana["customer_id"]
        ),
        (&json!("member"), &json!("invited"), &Value::Null, &json!(holder))
    );
    assert_eq!(ana["created_by"], "user:test-user");
    let path = path_of(&holder, &ana);
    let read = app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await;
    assert_eq!((read.status, read.json()), (200, ana.clone()));

    // She signs in: linked, active, an admin of the customer.
    let platform = "123e4567-e89b-12d3-a456-426614174099";
    let changed = patch(
        &app,
        &path,
        json!({"status": "active", "role": "admin", "platform_user_id": platform, "phone": "+40712345678"}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.problem());
    let active = changed.json();
    assert_eq!((&active["status"], &active["version"]), (&json!("active"), &json!(2)));
    assert_eq!(changed.header("etag").unwrap(), "\"2\"");
    let stale = app
        .send(
            Call::patch(&path)
                .bearer(&app.token(Role::Staff))
                .header("if-match", "\"1\"")
                .json(&json!({"full_name": "Ana P."})),
        )
        .await;
    assert_eq!(stale.status, 412);
    let back = patch(&app, &path, json!({"status": "invited"})).await;
    assert_eq!(back.status, 409, "an active user is not invited again");
    assert_eq!(back.json()["errors"][0]["field"], "status");

    let reset = app
        .send(Call::post(&format!("{path}/password-reset")).bearer(&app.token(Role::Staff)))
        .await;
    assert_eq!(reset.status, 202, "{}", reset.problem());

    let bob = added(&app, &holder, "bob@example.com", "Bob Ionescu").await;
    let listed = app
        .send(Call::get(&format!("/api/customers/{holder}/users")).bearer(&app.token(Role::Viewer)))
        .await
        .json();
    let ids: Vec<&Value> = listed["items"].as_array().unwrap().iter().map(|u| &u["id"]).collect();
    assert_eq!(ids, [&ana["id"], &bob["id"]], "oldest first");

    // Staff may not remove a user; admins may.
    let refused = app
        .send(Call::delete(&path_of(&holder, &bob)).bearer(&app.token(Role::Staff)))
        .await;
    assert_eq!(refused.status, 403);
    let removed = app
        .send(Call::delete(&path_of(&holder, &bob)).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(removed.status, 204);
    let gone = app
        .send(Call::get(&path_of(&holder, &bob)).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(gone.status, 404);

    let published = flow.deliver().await;
    for event in &published {
        clientele_tests::delivery::assert_matches_schema(event);
    }
    let of_users: Vec<(&str, &Value)> = published
        .iter()
        .filter(|e| e["detail-type"].as_str().unwrap().starts_with("user."))
        .map(|e| (e["detail-type"].as_str().unwrap(), &e["detail"]))
        .collect();
    let types: Vec<&str> = of_users.iter().map(|(t, _)| *t).collect();
    for kind in ["user.created", "user.updated", "user.password.reset", "user.deleted"] {
        assert!(types.contains(&kind), "{kind} not in {types:?}");
    }
    let (_, updated) = of_users.iter().find(|(t, _)| *t == "user.updated").unwrap();
    assert_eq!(updated["userId"], ana["id"]);
    assert_eq!(
        updated["updatedFields"],
        json!(["phone", "role", "status", "platform_user_id"])
    );
    let (_, reset) = of_users.iter().find(|(t, _)| *t == "user.password.reset").unwrap();
    assert_eq!(
        reset["platformUserId"], platform,
        "the identity service knows whom to send it to"
    );
    let everything = published.iter().map(Value::to_string).collect::<String>();
    for personal in ["Ana", "ana.pop", "Bob", "bob@example.com", "40712345678"] {
        assert!(!everything.contains(personal), "an event leaks {personal}");
    }
    assert!(app.violations().await.is_empty(), "{:?}", app.violations().await);
}

#[tokio::test]
async fn an_email_belongs_to_one_user_of_the_business_and_moves_with_it() {
    let app = TestApp::spawn().await;
    let first = customer(&app, "First Team").await;
    let second = customer(&app, "Second Team").await;
    let ana = added(&app, &first, "ana@example.com", "Ana").await;
    for (holder, email) in [(&first, "ANA@example.com"), (&second, "ana@example.com")] {
        let taken = add(&app, holder, json!({"email": email, "full_name": "Another Ana"})).await;
        assert_eq!(taken.status, 409, "{email}");
        assert_eq!(taken.json()["errors"][0]["field"], "email");
    }
    // Her email changes: the old one is free, the new one hers.
    let moved = patch(&app, &path_of(&first, &ana), json!({"email": "ana.new@example.com"})).await;
    assert_eq!(moved.status, 200, "{}", moved.problem());
    added(&app, &second, "ana@example.com", "The Other Ana").await;
    let taken = add(&app, &second, json!({"email": "ana.new@example.com", "full_name": "X"})).await;
    assert_eq!(taken.status, 409);
    let clash = patch(&app, &path_of(&first, &ana), json!({"email": "ana@example.com"})).await;
    assert_eq!(clash.status, 409, "taken by the other customer's user");
    // Removed, she leaves her email free.
    let removed = app
        .send(Call::delete(&path_of(&first, &ana)).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(removed.status, 204);
    added(&app, &first, "ana.new@example.com", "Ana Again").await;
    assert!(app.violations().await.is_empty(), "{:?}", app.violations().await);
}

#[tokio::test]
async fn bad_bodies_another_business_and_a_disabled_user_change_nothing() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Strict Team").await;
    let before = app.items().await.len();
    for (body, field) in [
        (json!({"full_name": "No Email"}), "email"),
        (
            json!({"email": "x@example.com", "full_name": "X", "status": "disabled"}),
            "status",
        ),
        (
            json!({"email": "x@example.com", "full_name": "X", "role": "king"}),
            "role",
        ),
        (
            json!({"email": "x@example.com", "full_name": "X", "password": "hunter2"}),
            "password",
        ),
        (
            json!({"email": "x@example.com", "full_name": "X", "version": 3}),
            "version",
        ),
    ] {
        let refused = add(&app, &holder, body).await;
        assert_eq!(refused.status, 422, "{field}");
        assert_eq!(refused.json()["errors"][0]["field"], field);
    }
    assert_eq!(app.items().await.len(), before, "nothing written");

    let user = added(&app, &holder, "off@example.com", "Off User").await;
    let path = path_of(&holder, &user);
    assert_eq!(patch(&app, &path, json!({"status": "disabled"})).await.status, 200);
    let reset = app
        .send(Call::post(&format!("{path}/password-reset")).bearer(&app.token(Role::Staff)))
        .await;
    assert_eq!(reset.status, 409, "no reset for a disabled user");

    // Another business sees none of it.
    let stranger = clientele_auth::Principal::user("stranger", BusinessId::random(), vec![Role::Admin]);
    let read = app.send(Call::get(&path).authorized_as(&stranger)).await;
    assert_eq!(read.status, 404);
    let unknown = format!("/api/customers/{holder}/users/{}", TeamUserId::random());
    assert_eq!(
        app.send(Call::get(&unknown).bearer(&app.token(Role::Viewer)))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_deleted_customer_takes_its_team_and_frees_their_emails() {
    let app = TestApp::spawn_with_stream().await;
    let sweeps = Sweeps::new(&app).await;
    let holder = customer(&app, "Leaving Team").await;
    added(&app, &holder, "leaver@example.com", "Leaver").await;
    let deleted = app
        .send(Call::delete(&format!("/api/customers/{holder}")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(deleted.status, 204);
    assert!(sweeps.settle().await);
    assert!(app.items_of("TeamUser").await.is_empty());
    assert!(app.items_of("TeamUserEmailClaim").await.is_empty());
    let other = customer(&app, "Staying Team").await;
    added(&app, &other, "leaver@example.com", "Leaver Again").await;
    assert!(app.violations().await.is_empty(), "{:?}", app.violations().await);
}

#[tokio::test]
async fn the_checker_finds_a_lost_claim_and_a_wrong_count() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Checked Team").await;
    let user = added(&app, &holder, "checked@example.com", "Checked").await;
    assert!(app.violations().await.is_empty());
    let business = app.business;
    app.delete_raw(&keys::team_user_email(business, "checked@example.com"))
        .await;
    let id = CustomerId::parse(&holder).unwrap();
    app.set_number_raw(&keys::counts(id), "team_users", 4).await;
    let found = app.violations().await;
    let user_id = user["id"].as_str().unwrap();
    let says = |words: &[&str]| found.iter().any(|v| words.iter().all(|w| v.contains(w)));
    assert!(says(&[user_id, "claim on its email is missing"]), "{found:#?}");
    assert!(says(&[&holder, "counts 4 team users, has 1"]), "{found:#?}");
}
