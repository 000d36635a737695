//! The notes route group.

use clientele_auth::{Principal, Role};
use clientele_core::BusinessId;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};
use serde_json::{Value, json};

async fn customer(app: &TestApp) -> String {
    app.created(&customer_body("Noted Nora")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn write(app: &TestApp, customer: &str, as_who: &Principal, content: &str) -> TestResponse {
    app.send(
        Call::post(&format!("/api/customers/{customer}/notes"))
            .authorized_as(as_who)
            .json(&json!({ "content": content })),
    )
    .await
}

fn staff(app: &TestApp, id: &str) -> Principal {
    Principal::user(id, app.business, vec![Role::Staff])
}

#[tokio::test]
async fn the_original_note_example_is_written_with_its_author_and_event() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let text = "Clientul a solicitat un apel de urmărire săptămâna viitoare.";
    let response = app
        .send(
            Call::post(&format!("/api/customers/{id}/notes"))
                .bearer(&app.token(Role::Staff))
                .json(&json!({"content": format!("  {text}\r\n")})),
        )
        .await;
    assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
    let note = response.json();
    assert_eq!(note["content"], text, "trimmed");
    assert_eq!(note["customer_id"], id.as_str());
    assert_eq!(note["created_by"], "user:test-user");

    let events = app.items_of("Event").await;
    let noted: Vec<_> = events
        .iter()
        .filter(|e| e["event_type"].as_s().unwrap() == "customer.note.added")
        .collect();
    assert_eq!(noted.len(), 1);
    let detail = noted[0]["detail"].as_s().unwrap();
    let parsed: Value = serde_json::from_str(detail).unwrap();
    assert_eq!(parsed["noteId"], note["id"]);
    assert!(
        !detail.contains("apel") && !detail.contains("Clientul"),
        "the event never carries the text"
    );
}

#[tokio::test]
async fn content_is_checked_in_characters_and_for_control_characters() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let me = staff(&app, "writer");
    assert_eq!(
        write(&app, &id, &me, &"ș".repeat(500)).await.status,
        201,
        "500 characters, 1000 bytes"
    );
    assert_eq!(write(&app, &id, &me, "line one\nline two").await.status, 201);
    for (bad, why) in [
        ("ș".repeat(501), "too long"),
        ("   ".to_owned(), "empty"),
        ("tab\there".to_owned(), "a tab"),
        ("bell\u{7}".to_owned(), "a bell"),
    ] {
        let response = write(&app, &id, &me, &bad).await;
        assert_eq!(
            (response.status, response.problem_fields()),
            (422, vec!["content".to_owned()]),
            "{why}"
        );
    }
    let extra = app
        .send(
            Call::post(&format!("/api/customers/{id}/notes"))
                .authorized_as(&me)
                .json(&json!({"content": "ok", "created_by": "someone-else", "pinned": true})),
        )
        .await;
    assert_eq!(extra.problem_fields(), ["created_by", "pinned"]);
    assert_eq!(app.items_of("Note").await.len(), 2);
}

#[tokio::test]
async fn notes_list_newest_first_in_complete_pages() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let me = staff(&app, "writer");
    for i in 0..5 {
        assert_eq!(write(&app, &id, &me, &format!("note {i}")).await.status, 201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/api/customers/{id}/notes?limit=2&cursor={c}"),
            None => format!("/api/customers/{id}/notes?limit=2"),
        };
        let page = app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["content"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["note 4", "note 3", "note 2", "note 1", "note 0"]);
    let bad = app
        .send(Call::get(&format!("/api/customers/{id}/notes?cursor=nope&sort=asc")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!((bad.status, bad.problem_fields()), (400, vec!["sort".to_owned()]));
    let bad = app
        .send(Call::get(&format!("/api/customers/{id}/notes?cursor=nope")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!((bad.status, bad.problem_fields()), (400, vec!["cursor".to_owned()]));
}

#[tokio::test]
async fn staff_delete_their_own_notes_and_admins_any() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let (alice, bob) = (staff(&app, "alice"), staff(&app, "bob"));
    let note = |r: TestResponse| r.json()["id"].as_str().unwrap().to_owned();
    let by_alice = note(write(&app, &id, &alice, "from alice").await);
    let by_bob = note(write(&app, &id, &bob, "from bob").await);
    let delete = |n: &str| Call::delete(&format!("/api/customers/{id}/notes/{n}"));

    let refused = app.send(delete(&by_bob).authorized_as(&alice)).await;
    assert_eq!((refused.status, refused.problem()), (403, "forbidden".to_owned()));
    assert_eq!(app.send(delete(&by_alice).authorized_as(&alice)).await.status, 204);
    assert_eq!(
        app.send(delete(&by_alice).authorized_as(&alice)).await.status,
        404,
        "already gone"
    );
    let viewer = Principal::user("bob", app.business, vec![Role::Viewer]);
    assert_eq!(
        app.send(delete(&by_bob).authorized_as(&viewer)).await.status,
        403,
        "viewers delete nothing"
    );
    assert_eq!(
        app.send(delete(&by_bob).bearer(&app.token(Role::Admin))).await.status,
        204,
        "admins delete any"
    );
    assert!(app.items_of("Note").await.is_empty());
}

#[tokio::test]
async fn another_businesss_notes_are_not_found() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let note = write(&app, &id, &staff(&app, "w"), "private").await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = token(BusinessId::random(), &[Role::Admin]);
    for call in [
        Call::get(&format!("/api/customers/{id}/notes")),
        Call::post(&format!("/api/customers/{id}/notes")).json(&json!({"content": "hijack"})),
        Call::delete(&format!("/api/customers/{id}/notes/{note}")),
    ] {
        assert_eq!(app.send(call.clone().bearer(&outsider)).await.status, 404, "{call:?}");
    }
    assert_eq!(app.items_of("Note").await.len(), 1);
}

#[tokio::test]
async fn deleting_a_customer_deletes_its_notes() {
    let app = TestApp::spawn_with_stream().await;
    let sweeps = clientele_tests::sweeps::Sweeps::new(&app).await;
    let id = customer(&app).await;
    for i in 0..3 {
        write(&app, &id, &staff(&app, "w"), &format!("n{i}")).await;
    }
    let deleted = app
        .send(Call::delete(&format!("/api/customers/{id}")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(deleted.status, 204);
    assert!(sweeps.settle().await);
    assert!(app.items_of("Note").await.is_empty());
    let listed = app
        .send(Call::get(&format!("/api/customers/{id}/notes")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(listed.status, 404);
}

#[tokio::test]
async fn a_customer_has_at_most_a_thousand_notes() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let writer = staff(&app, "w");
    assert_eq!(write(&app, &id, &writer, "the first").await.status, 201);
    let counts = app.items_of("Counts").await;
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0]["notes"].as_n().unwrap(), "1", "counted with the note");
    // As if 998 more had been written.
    let mut full = counts[0].clone();
    full.insert(
        "notes".to_owned(),
        aws_sdk_dynamodb::types::AttributeValue::N("999".to_owned()),
    );
    app.dynamodb
        .put_item()
        .table_name(&app.table)
        .set_item(Some(full))
        .send()
        .await
        .unwrap();
    let last = write(&app, &id, &writer, "the thousandth").await;
    assert_eq!(last.status, 201);
    let notes = app.items_of("Note").await.len();
    let over = write(&app, &id, &writer, "one too many").await;
    assert_eq!((over.status, over.problem()), (409, "conflict".to_owned()));
    assert!(over.json()["detail"].as_str().unwrap().contains("1000 notes"));
    assert_eq!(app.items_of("Note").await.len(), notes, "nothing written");

    let note = last.json()["id"].as_str().unwrap().to_owned();
    let deleted = app
        .send(Call::delete(&format!("/api/customers/{id}/notes/{note}")).authorized_as(&writer))
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(write(&app, &id, &writer, "room again").await.status, 201);
}

#[tokio::test]
async fn a_client_whose_id_equals_a_users_subject_is_not_that_user() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    // Token subjects are often UUIDs, as client ids are.
    let shared = uuid::Uuid::new_v4().to_string();
    let user = staff(&app, &shared);
    let client = Principal::client(&shared, app.business, vec![clientele_core::Scope::CustomersWrite]);
    let by_user = write(&app, &id, &user, "the user's").await.json();
    assert_eq!(by_user["created_by"], format!("user:{shared}"));
    let by_client = write(&app, &id, &client, "the client's").await.json();
    assert_eq!(by_client["created_by"], format!("client:{shared}"));

    let delete = |n: &Value| Call::delete(&format!("/api/customers/{id}/notes/{}", n["id"].as_str().unwrap()));
    let refused = app.send(delete(&by_user).authorized_as(&client)).await;
    assert_eq!((refused.status, refused.problem()), (403, "forbidden".to_owned()));
    let refused = app.send(delete(&by_client).authorized_as(&user)).await;
    assert_eq!(refused.status, 403);
    assert_eq!(app.send(delete(&by_client).authorized_as(&client)).await.status, 204);
    assert_eq!(app.items_of("Note").await.len(), 1);
}
