//! `GET /api/customers/search`: words of names in any script, emails and
//! phone digits, through the term index, re-checked against the customers
//! as they are.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_auth::Role;
use clientele_core::{BusinessId, CustomerId};
use clientele_store::keys;
use clientele_tests::{Call, TestApp, customer_body, token};
use serde_json::{Value, json};

async fn search(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .send(Call::get(&format!("/api/customers/search?{query}")).bearer(&app.token(Role::Viewer)))
        .await;
    (response.status, response.json())
}

/// `q=` with `text` percent-encoded, every byte but letters and digits.
fn q(text: &str) -> String {
    let encoded: String = text
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("q={encoded}")
}

fn names(page: &Value) -> Vec<String> {
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["full_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

async fn person(app: &TestApp, name: &str, email: &str, phone: Option<&str>) -> Value {
    let mut body = customer_body(name);
    body["email"] = json!(email);
    if let Some(phone) = phone {
        body["phone"] = json!(phone);
    }
    app.created(&body).await
}

#[tokio::test]
async fn finds_words_of_names_in_any_script_emails_and_phone_digits() {
    let app = TestApp::spawn().await;
    person(&app, "André Müller", "andre.m@example.com", Some("+40 712 345 679")).await;
    person(&app, "Иван Петров", "ivan@example.com", None).await;
    person(&app, "Ελένη Παπαδοπούλου", "eleni@example.com", None).await;
    person(&app, "Jane Doe", "jane.doe@example.org", Some("0723 000 111")).await;
    person(&app, "Andrea Rossi", "rossi@example.com", None).await;

    let cases: &[(&str, &[&str])] = &[
        ("andre", &["Andrea Rossi", "André Müller"]),
        ("ANDRÉ", &["Andrea Rossi", "André Müller"]),
        ("andre mull", &["André Müller"]),
        ("andre smith", &[]),
        ("иван", &["Иван Петров"]),
        ("ИВ пет", &["Иван Петров"]),
        ("ελενη", &["Ελένη Παπαδοπούλου"]),
        ("jane.doe@example.org", &["Jane Doe"]),
        ("jane.doe", &["Jane Doe"]),
        ("janedoe", &["Jane Doe"]),
        ("5679", &["André Müller"]),
        ("+40 712", &["André Müller"]),
        ("0723", &["Jane Doe"]),
        ("000 111", &["Jane Doe"]),
        ("345 6", &[]),
        ("rossi@", &["Andrea Rossi"]),
        ("zz", &[]),
    ];
    for (text, expected) in cases {
        let (status, page) = search(&app, &q(text)).await;
        assert_eq!(status, 200, "{text}: {page}");
        assert_eq!(names(&page), *expected, "{text}");
    }

    // Another business's customers are never among the results.
    let outsider = token(BusinessId::random(), &[Role::Viewer]);
    let response = app
        .send(Call::get("/api/customers/search?q=andre").bearer(&outsider))
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["items"], json!([]));
}

#[tokio::test]
async fn combines_with_status_type_and_tag() {
    let app = TestApp::spawn().await;
    let first = person(&app, "Maria Active", "maria.a@example.com", None).await;
    let mut body = customer_body("Maria Institution");
    body["customer_type"] = json!("institution");
    app.created(&body).await;
    person(&app, "Maria Pending", "maria.p@example.com", None).await;
    let id = first["id"].as_str().unwrap();
    let admin = app.token(Role::Admin);
    let validate = Call::post(&format!("/api/customers/{id}/validate")).bearer(&admin);
    assert_eq!(app.send(validate).await.status, 200);
    let tag = Call::post(&format!("/api/customers/{id}/tags"))
        .bearer(&admin)
        .json(&json!({"label": "VIP"}));
    assert_eq!(app.send(tag).await.status, 201);

    let (_, page) = search(&app, "q=maria").await;
    assert_eq!(names(&page).len(), 3);
    let (_, page) = search(&app, "q=maria&status=active").await;
    assert_eq!(names(&page), ["Maria Active"]);
    let (_, page) = search(&app, "q=maria&customer_type=institution").await;
    assert_eq!(names(&page), ["Maria Institution"]);
    let (_, page) = search(&app, "q=maria&tag=vip").await;
    assert_eq!(names(&page), ["Maria Active"]);
    let (_, page) = search(&app, "q=maria&status=pending&customer_type=sme").await;
    assert_eq!(names(&page), ["Maria Pending"]);
}

#[tokio::test]
async fn pages_show_every_match_once_and_cursors_belong_to_their_search() {
    let app = TestApp::spawn().await;
    // Each has several terms starting with "pa" (first name, last name, the
    // email's local part): each is shown once.
    for i in 0..9 {
        person(&app, &format!("Paula Parker {i}"), &format!("pa{i}@example.com"), None).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let query = match &cursor {
            Some(c) => format!("q=pa&limit=4&cursor={c}"),
            None => "q=pa&limit=4".to_owned(),
        };
        let (status, page) = search(&app, &query).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["items"].as_array().unwrap().len() <= 4);
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 9, "each once: {seen:?}");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 9);

    let (_, first) = search(&app, "q=pa&limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (status, refused) = search(&app, &format!("q=parker&limit=2&cursor={cursor}")).await;
    assert_eq!(status, 400, "another search's cursor: {refused}");
    let (status, _) = search(&app, &format!("q=pa&limit=2&status=active&cursor={cursor}")).await;
    assert_eq!(status, 400, "other filters' cursor");
}

#[tokio::test]
async fn a_term_most_of_a_business_shares_is_sharded_and_every_match_found() {
    let app = TestApp::spawn().await;
    for i in 0..16 {
        person(&app, &format!("Ion Popescu {i}"), &format!("ion{i}@example.com"), None).await;
    }
    let shards: HashSet<String> = app
        .items_of("SearchTerm")
        .await
        .iter()
        .filter(|t| t["term"].as_s().unwrap() == "w:popescu")
        .map(|t| t["gsi4pk"].as_s().unwrap().clone())
        .collect();
    assert!(shards.len() > 1, "spread over shards: {shards:?}");
    assert!(
        shards
            .iter()
            .all(|s| s.starts_with(&format!("BUSINESS#{}#TERM#w:p#", app.business)))
    );
    let (_, page) = search(&app, "q=popescu&limit=100").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 16);
}

#[tokio::test]
async fn a_stale_index_entry_never_shows_a_wrong_result() {
    let app = TestApp::spawn().await;
    let renamed = person(&app, "Old Name", "renamed@example.com", None).await;
    let gone = person(&app, "Gone Soon", "gone@example.com", None).await;
    let id = renamed["id"].as_str().unwrap();
    let patch = Call::patch(&format!("/api/customers/{id}"))
        .bearer(&app.token(Role::Staff))
        .json(&json!({"full_name": "New Name"}));
    assert_eq!(app.send(patch).await.status, 200);
    let (_, page) = search(&app, "q=old").await;
    assert_eq!(names(&page), Vec::<String>::new());
    let (_, page) = search(&app, "q=new").await;
    assert_eq!(names(&page), ["New Name"]);
    let terms: Vec<String> = app
        .items_of("SearchTerm")
        .await
        .iter()
        .filter(|t| t["customer_id"].as_s().unwrap() == id)
        .map(|t| t["term"].as_s().unwrap().clone())
        .collect();
    assert!(terms.contains(&"w:new".to_owned()) && !terms.contains(&"w:old".to_owned()));

    // An entry the index still holds for a term the customer no longer has
    // (as an index not yet caught up would), and one for a customer deleted
    // and not yet swept: neither shows.
    let customer = CustomerId::parse(id).unwrap();
    let mut stale = app.item(&keys::search_term(customer, "w:new")).await.unwrap();
    let term = "w:oldname";
    let shard = keys::shard_of(customer, keys::TERM_SHARDS);
    stale.insert(
        "sk".to_owned(),
        AttributeValue::S(format!("{}{term}", keys::TERM_PREFIX)),
    );
    stale.insert("term".to_owned(), AttributeValue::S(term.to_owned()));
    stale.insert(
        "gsi4pk".to_owned(),
        AttributeValue::S(keys::term_bucket(app.business, term, shard)),
    );
    stale.insert("gsi4sk".to_owned(), AttributeValue::S(keys::term_order(term, customer)));
    app.put_raw(stale).await;
    let (_, page) = search(&app, "q=oldname").await;
    assert_eq!(names(&page), Vec::<String>::new());
    let gone_id = gone["id"].as_str().unwrap();
    let delete = Call::delete(&format!("/api/customers/{gone_id}")).bearer(&app.token(Role::Admin));
    assert_eq!(app.send(delete).await.status, 204);
    let (_, page) = search(&app, "q=gone").await;
    assert_eq!(names(&page), Vec::<String>::new());
}

#[tokio::test]
async fn bad_queries_are_named() {
    let app = TestApp::spawn().await;
    for (query, named) in [
        ("", "q"),
        ("q=a", "q"),
        ("q=a%20b", "q"),
        ("q=ok&q=ok", "q"),
        ("q=%00x", "q"),
        ("q=ok&limit=0", "limit"),
        ("q=ok&cursor=nonsense", "cursor"),
        ("q=ok&name_prefix=x", "name_prefix"),
    ] {
        let response = app
            .send(Call::get(&format!("/api/customers/search?{query}")).bearer(&app.token(Role::Viewer)))
            .await;
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.problem_fields(), [named], "{query}");
    }
}

#[tokio::test]
async fn a_name_that_folds_long_is_stored_and_found_by_its_start() {
    let app = TestApp::spawn().await;
    // Each of these folds to several characters: the name's terms are cut
    // to what an index key holds, and it is still found.
    let long = "\u{3300}".repeat(200);
    person(&app, &long, "long@example.com", None).await;
    person(&app, &"\u{FDFA}".repeat(200), "ligature@example.com", None).await;
    let (status, page) = search(&app, &q(&"\u{3300}".repeat(150))).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"][0]["full_name"], long.as_str());
    let (status, page) = list_named(&app, &"\u{3300}".repeat(120)).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

async fn list_named(app: &TestApp, prefix: &str) -> (u16, Value) {
    let encoded = q(prefix).replacen("q=", "name_prefix=", 1);
    let response = app
        .send(Call::get(&format!("/api/customers/?{encoded}")).bearer(&app.token(Role::Viewer)))
        .await;
    (response.status, response.json())
}
