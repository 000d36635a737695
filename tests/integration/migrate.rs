//! `clientele migrate`: items written the way an earlier version wrote them
//! are rewritten, once, resumably, and are then found as the API finds them.

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_auth::Role;
use clientele_core::text::fold_before_nfkc;
use clientele_store::keys::{self, Key};
use clientele_store::migrations::{Limits, MIGRATIONS};
use clientele_tests::{Call, TestApp, customer_body};
use serde_json::{Value, json};

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

/// Moves an item to another key, as an earlier version would have keyed it.
async fn rekey(app: &TestApp, from: &Key, to: &Key, changes: &[(&str, AttributeValue)]) {
    let mut item = app.item(from).await.expect("the item to rekey exists");
    item.insert("pk".to_owned(), s(&to.pk));
    item.insert("sk".to_owned(), s(&to.sk));
    for (name, value) in changes {
        item.insert((*name).to_owned(), value.clone());
    }
    app.delete_raw(from).await;
    app.put_raw(item).await;
}

async fn create(app: &TestApp, name: &str, email: &str) -> Value {
    let mut body = customer_body(name);
    body["email"] = json!(email);
    app.created(&body).await
}

/// Makes a customer look as an earlier version stored it: its email claim
/// and name folded by lower-casing alone, hidden characters in its name, and
/// no counts.
async fn written_the_old_way(app: &TestApp, customer: &Value, stored_name: &str) {
    let id = clientele_core::CustomerId::parse(customer["id"].as_str().unwrap()).unwrap();
    let email = customer["email"].as_str().unwrap();
    let new_claim = keys::email_claim(app.business, &clientele_core::text::fold(email));
    let old_claim = keys::email_claim(app.business, &fold_before_nfkc(email));
    if new_claim != old_claim {
        rekey(app, &new_claim, &old_claim, &[]).await;
    }
    let record = keys::customer(id);
    rekey(
        app,
        &record,
        &record,
        &[
            ("full_name", s(stored_name)),
            ("full_name_folded", s(&fold_before_nfkc(stored_name))),
        ],
    )
    .await;
    app.delete_raw(&keys::counts(id)).await;
}

async fn add_tag(app: &TestApp, customer: &str, label: &str) -> u16 {
    app.send(
        Call::post(&format!("/api/customers/{customer}/tags"))
            .bearer(&app.token(Role::Staff))
            .json(&json!({ "label": label })),
    )
    .await
    .status
}

async fn listed(app: &TestApp, query: &str) -> Vec<String> {
    let response = app
        .send(Call::get(&format!("/api/customers?{query}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn data_written_before_text_was_nfkc_compared_is_rewritten_and_then_found_as_the_api_finds_it() {
    let app = TestApp::spawn().await;
    // Full-width letters: one address to a person, two to an earlier version.
    let fiona = create(&app, "Fiona Fox", "ＦＩＯＮＡ@example.com").await;
    let id = fiona["id"].as_str().unwrap().to_owned();
    let customer_id = clientele_core::CustomerId::parse(&id).unwrap();
    assert_eq!(add_tag(&app, &id, "ﬁnance").await, 201);
    let note = app
        .send(
            Call::post(&format!("/api/customers/{id}/notes"))
                .bearer(&app.token(Role::Staff))
                .json(&json!({ "content": "called back" })),
        )
        .await;
    assert_eq!(note.status, 201);
    let note_id = note.json()["id"].as_str().unwrap().to_owned();

    // As an earlier version stored them: keys folded by lower-casing alone,
    // and a bidi override and a zero width space it did not refuse.
    written_the_old_way(&app, &fiona, "Fiona \u{202E}Fox").await;
    let new_tag = keys::tag(customer_id, "finance");
    let old_tag = keys::tag(customer_id, "ﬁnance");
    rekey(
        &app,
        &new_tag,
        &old_tag,
        &[("gsi1pk", s(&keys::business_tag(app.business, "ﬁnance")))],
    )
    .await;
    let note_key = Key {
        pk: keys::customer_partition(customer_id),
        sk: format!("{}{note_id}", keys::NOTE_PREFIX),
    };
    // Authors named by their bare ids: a user's subject, and a client's id.
    let (client, _) = app.client(app.business, &[clientele_core::Scope::CustomersWrite]).await;
    let tag_by_id = app.item(&old_tag).await.unwrap()["id"].as_s().unwrap().clone();
    let tag_by_id = Key {
        pk: format!("TAG#{tag_by_id}"),
        sk: "TAG".to_owned(),
    };
    let bare_client = s(&client.id.to_string());
    rekey(&app, &old_tag, &old_tag, &[("created_by", bare_client.clone())]).await;
    rekey(&app, &tag_by_id, &tag_by_id, &[("created_by", bare_client)]).await;
    rekey(
        &app,
        &note_key,
        &note_key,
        &[("content", s("called\u{200B} back")), ("created_by", s("test-user"))],
    )
    .await;
    // What that meant: the same address could be claimed twice.
    let old_claim = keys::email_claim(app.business, "ｆｉｏｎａ@example.com");
    assert!(app.item(&old_claim).await.is_some());

    let reports = app.store.migrate(Limits::default()).await.unwrap();
    assert_eq!(reports.len(), MIGRATIONS.len());
    assert!(
        reports.iter().all(|r| r.finished && r.conflicts.is_empty()),
        "{reports:?}"
    );
    // The record (with its claim), the tag and the note; then the counts.
    assert_eq!(reports[0].rewritten, 3, "{reports:?}");
    assert_eq!(reports[1].rewritten, 1, "{reports:?}");
    // Both copies of the tag, and the note.
    assert_eq!(reports[2].rewritten, 3, "{reports:?}");

    assert!(app.item(&old_claim).await.is_none());
    assert!(
        app.item(&keys::email_claim(app.business, "fiona@example.com"))
            .await
            .is_some()
    );
    assert!(app.item(&old_tag).await.is_none());
    let tag = app.item(&new_tag).await.expect("the tag under its new key");
    assert_eq!(tag["created_by"], s(&format!("client:{}", client.id)));
    assert_eq!(tag["gsi1pk"], s(&keys::business_tag(app.business, "finance")));
    let note = app.item(&note_key).await.unwrap();
    assert_eq!(
        (&note["content"], &note["created_by"]),
        (&s("called back"), &s("user:test-user"))
    );
    let client_author = s(&format!("client:{}", client.id));
    assert_eq!(app.item(&tag_by_id).await.unwrap()["created_by"], client_author);
    let counts = app.item(&keys::counts(customer_id)).await.expect("counts written");
    assert_eq!(counts["tags"], AttributeValue::N("1".to_owned()));
    assert_eq!(counts["notes"], AttributeValue::N("1".to_owned()));

    // Now the API reads it, and compares as it does for new data.
    let read = app
        .send(Call::get(&format!("/api/customers/{id}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["full_name"], "Fiona Fox");
    let mut twin = customer_body("Fiona Twin");
    twin["email"] = json!("fiona@example.com");
    assert_eq!(app.create(&twin).await.status, 409);
    assert_eq!(add_tag(&app, &id, "finance").await, 409);
    assert_eq!(listed(&app, "tag=finance").await, vec![id.clone()]);
    assert_eq!(listed(&app, "name_prefix=fiona%20f").await, vec![id.clone()]);

    // Run again: nothing pending. Forget that it ran: nothing to rewrite.
    assert!(app.store.migrate(Limits::default()).await.unwrap().is_empty());
    app.delete_raw(&Key {
        pk: "MIGRATIONS".to_owned(),
        sk: "STATE".to_owned(),
    })
    .await;
    let again = app.store.migrate(Limits::default()).await.unwrap();
    assert!(again.iter().all(|r| r.finished && r.rewritten == 0), "{again:?}");
}

#[tokio::test]
async fn a_migration_cut_short_resumes_where_it_stopped() {
    let app = TestApp::spawn().await;
    let mut customers = Vec::new();
    for i in 0..12 {
        let customer = create(&app, &format!("Width {i}"), &format!("ＷＩＤＴＨ{i}@example.com")).await;
        written_the_old_way(&app, &customer, &format!("Width {i}")).await;
        customers.push(customer);
    }

    let first = app
        .store
        .migrate(Limits {
            page_items: 5,
            pages: Some(2),
        })
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(!first[0].finished);
    assert_eq!(app.store.migration_state().await.unwrap().running, Some(1));

    let rest = app.store.migrate(Limits::default()).await.unwrap();
    assert!(rest.iter().all(|r| r.finished), "{rest:?}");
    // Resumed, not restarted: no customer is read twice.
    assert_eq!(first[0].examined + rest[0].examined, 12, "{first:?} {rest:?}");
    assert_eq!(first[0].rewritten + rest[0].rewritten, 12);
    let state = app.store.migration_state().await.unwrap();
    assert_eq!((state.version, state.running), (MIGRATIONS.len() as u32, None));
    for customer in &customers {
        let email = customer["email"].as_str().unwrap();
        let claim = keys::email_claim(app.business, &email.to_lowercase());
        assert!(app.item(&claim).await.is_none(), "{email} still claimed the old way");
    }
}

#[tokio::test]
async fn two_addresses_that_are_now_the_same_are_reported_and_left_for_a_person() {
    let app = TestApp::spawn().await;
    let first = create(&app, "Gus One", "gus@example.com").await;
    // Before, a full-width address was another address.
    let second = create(&app, "Gus Two", "ｇｕｓ2@example.com").await;
    written_the_old_way(&app, &second, "Gus Two").await;
    let old_claim = keys::email_claim(app.business, "ｇｕｓ2@example.com");
    let taken = keys::email_claim(app.business, "gus2@example.com");
    // A third customer holds the new form of the second's address.
    let mut third = customer_body("Gus Three");
    third["email"] = json!("gus2@example.com");
    let third = app.created(&third).await;

    let reports = app.store.migrate(Limits::default()).await.unwrap();
    // The migration read everything, named the two, and is not done.
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(!reports[0].finished);
    assert_eq!(reports[0].conflicts.len(), 1, "{reports:?}");
    assert!(reports[0].conflicts[0].contains(second["id"].as_str().unwrap()));
    assert!(reports[0].conflicts[0].contains(third["id"].as_str().unwrap()));
    assert_eq!(app.store.migration_state().await.unwrap().version, 0);
    // Both claims stay as they were; an address with no twin was not touched.
    assert!(app.item(&old_claim).await.is_some());
    assert_eq!(
        app.item(&taken).await.unwrap()["customer_id"],
        s(third["id"].as_str().unwrap())
    );
    let plain = keys::email_claim(app.business, "gus@example.com");
    assert_eq!(
        app.item(&plain).await.unwrap()["customer_id"],
        s(first["id"].as_str().unwrap())
    );

    // Found by a run that stops part-way, the conflict still holds the
    // migration back when a later run resumes past it.
    let stopped = app
        .store
        .migrate(Limits {
            page_items: 1,
            pages: Some(1),
        })
        .await
        .unwrap();
    assert!(!stopped[0].finished);
    let mut resumed = app
        .store
        .migrate(Limits {
            page_items: 1,
            pages: Some(1),
        })
        .await
        .unwrap();
    while resumed[0].conflicts.is_empty() && app.store.migration_state().await.unwrap().running.is_some() {
        resumed = app
            .store
            .migrate(Limits {
                page_items: 1,
                pages: Some(1),
            })
            .await
            .unwrap();
    }
    let rest = app.store.migrate(Limits::default()).await.unwrap();
    assert!(!rest[0].finished, "{rest:?}");
    assert_eq!(app.store.migration_state().await.unwrap().version, 0);

    // A person changes the third's address; the next run finishes.
    let third_id = third["id"].as_str().unwrap();
    let changed = app
        .send(
            Call::patch(&format!("/api/customers/{third_id}"))
                .bearer(&app.token(Role::Staff))
                .json(&json!({ "email": "gus3@example.com" })),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", String::from_utf8_lossy(&changed.body));
    let reports = app.store.migrate(Limits::default()).await.unwrap();
    assert!(
        reports.iter().all(|r| r.finished && r.conflicts.is_empty()),
        "{reports:?}"
    );
    assert_eq!(
        app.item(&taken).await.unwrap()["customer_id"],
        s(second["id"].as_str().unwrap())
    );
}

/// Makes a customer look as a version before search and segment counts
/// stored it: no search terms, no segment marker, no status-and-type index
/// keys.
async fn stored_before_search(app: &TestApp, customer: &Value) {
    let id = customer["id"].as_str().unwrap();
    let parsed = clientele_core::CustomerId::parse(id).unwrap();
    for term in app.items_of("SearchTerm").await {
        if term["customer_id"].as_s().unwrap() == id {
            let key = Key {
                pk: term["pk"].as_s().unwrap().clone(),
                sk: term["sk"].as_s().unwrap().clone(),
            };
            app.delete_raw(&key).await;
        }
    }
    app.delete_raw(&keys::segment_membership(parsed)).await;
    let mut record = app.item(&keys::customer(parsed)).await.unwrap();
    record.remove("gsi4pk");
    record.remove("gsi4sk");
    app.put_raw(record).await;
}

#[tokio::test]
async fn customers_stored_before_search_are_made_searchable_and_counted_once() {
    use clientele_core::Timestamp;

    let app = TestApp::spawn().await;
    let zoltan = create(&app, "Zoltan Earlier", "zoltan@example.com").await;
    let zelda = create(&app, "Zelda Earlier", "zelda@example.com").await;
    for customer in [&zoltan, &zelda] {
        stored_before_search(&app, customer).await;
    }
    for counts in app.items_of("SegmentCounts").await {
        let key = Key {
            pk: counts["pk"].as_s().unwrap().clone(),
            sk: counts["sk"].as_s().unwrap().clone(),
        };
        app.delete_raw(&key).await;
    }
    // A customer made since is counted as it is created.
    create(&app, "Zora Since", "zora@example.com").await;
    let viewer = app.token(Role::Viewer);
    let broken = app.store.violations(Timestamp::now()).await.unwrap();
    assert!(
        broken.iter().any(|v| v.0.contains("not counted in its segment")),
        "{broken:?}"
    );
    assert!(broken.iter().any(|v| v.0.contains("search terms")), "{broken:?}");

    // An uncounted customer moves cell before the migration: no count moves.
    let admin = app.token(Role::Admin);
    let id = zoltan["id"].as_str().unwrap();
    let validate = Call::post(&format!("/api/customers/{id}/validate")).bearer(&admin);
    assert_eq!(app.send(validate).await.status, 200);
    let segments = app
        .send(Call::get("/api/customers/segments").bearer(&viewer))
        .await
        .json();
    assert_eq!(segments["total"], 1, "only the one made since: {segments}");
    let search = |q: &str| Call::get(&format!("/api/customers/search?q={q}")).bearer(&viewer);
    assert_eq!(app.send(search("zelda")).await.json()["items"], json!([]));

    let reports = app.store.migrate(Limits::default()).await.unwrap();
    let last = reports.last().unwrap();
    assert!(last.finished, "{reports:?}");
    assert_eq!(last.rewritten, 2, "{reports:?}");

    let segments = app
        .send(Call::get("/api/customers/segments").bearer(&viewer))
        .await
        .json();
    assert_eq!(segments["total"], 3, "{segments}");
    let found = app.send(search("zelda")).await.json();
    assert_eq!(found["items"][0]["full_name"], "Zelda Earlier");
    let listed = app
        .send(Call::get("/api/customers?status=active&customer_type=sme").bearer(&viewer))
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let broken = app.store.violations(Timestamp::now()).await.unwrap();
    assert!(broken.is_empty(), "{broken:?}");
    assert!(
        app.store.migrate(Limits::default()).await.unwrap().is_empty(),
        "done once"
    );
}
