//! `GET /api/customers/`: newest first, filters, cursor pages.

use std::collections::HashSet;

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_tests::{Call, TestApp, customer_body, token};
use serde_json::{Value, json};

async fn list(app: &TestApp, query: &str) -> (u16, Value) {
    let response = app
        .send(Call::get(&format!("/api/customers/?{query}")).bearer(&app.token(Role::Viewer)))
        .await;
    (response.status, response.json())
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["full_name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_newest_first_in_complete_pages() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(
            app.created(&customer_body(&format!("Person {i}"))).await["full_name"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    created.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=3&cursor={c}"),
            None => "limit=3".to_owned(),
        };
        let (status, page) = list(&app, &query).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(seen, created, "every customer once, newest first");
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn an_exact_last_page_ends_without_a_cursor() {
    let app = TestApp::spawn().await;
    for i in 0..4 {
        app.created(&customer_body(&format!("Even {i}"))).await;
    }
    let (_, first) = list(&app, "limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = list(&app, &format!("limit=2&cursor={cursor}")).await;
    assert_eq!(names(&second).len(), 2);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn filters_by_status_type_email_and_name_prefix() {
    let app = TestApp::spawn().await;
    let mut sme = customer_body("Marie Curie");
    sme["email"] = json!("marie@example.com");
    app.created(&sme).await;
    let mut institution = customer_body("Mario Rossi");
    institution["customer_type"] = json!("institution");
    app.created(&institution).await;
    let mut other = customer_body("Pierre Curie");
    other["customer_type"] = json!("institution");
    app.created(&other).await;

    let (_, page) = list(&app, "customer_type=institution").await;
    assert_eq!(names(&page), ["Pierre Curie", "Mario Rossi"]);
    // A name prefix is read from the search index: in the order of the names.
    let (_, page) = list(&app, "name_prefix=MAR").await;
    assert_eq!(names(&page), ["Marie Curie", "Mario Rossi"]);
    let (_, page) = list(&app, "name_prefix=mar&customer_type=sme").await;
    assert_eq!(names(&page), ["Marie Curie"]);
    let (_, page) = list(&app, "status=pending&customer_type=institution&name_prefix=pierre").await;
    assert_eq!(names(&page), ["Pierre Curie"]);
    let (_, page) = list(&app, "status=active").await;
    assert!(names(&page).is_empty());
    let (_, page) = list(&app, "email=MARIE@example.com").await;
    assert_eq!(names(&page), ["Marie Curie"]);
    assert!(page["next_cursor"].is_null());
    let (_, page) = list(&app, "email=marie@example.com&customer_type=institution").await;
    assert!(names(&page).is_empty());
}

#[tokio::test]
async fn filtered_pages_skip_what_does_not_match() {
    let app = TestApp::spawn().await;
    for i in 0..6 {
        let name = if i % 2 == 0 {
            format!("Keep {i}")
        } else {
            format!("Drop {i}")
        };
        app.created(&customer_body(&name)).await;
    }
    // A name prefix is read from the search index: in the order of the names.
    let (_, first) = list(&app, "name_prefix=keep&limit=2").await;
    assert_eq!(names(&first), ["Keep 0", "Keep 2"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = list(&app, &format!("name_prefix=keep&limit=2&cursor={cursor}")).await;
    assert_eq!(names(&second), ["Keep 4"]);
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn a_business_sees_only_its_own_customers() {
    let app = TestApp::spawn().await;
    app.created(&customer_body("Ours")).await;
    let theirs = TestApp::over(app.dynamodb.clone(), app.dynamodb.clone(), app.table.clone()).await;
    theirs.created(&customer_body("Theirs")).await;
    let (_, page) = list(&app, "").await;
    assert_eq!(names(&page), ["Ours"]);
    let (_, page) = list(&theirs, "").await;
    assert_eq!(names(&page), ["Theirs"]);

    let response = app
        .send(Call::get(&format!("/api/customers/?business_id={}", theirs.business)).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!((response.status, response.problem()), (403, "forbidden".to_owned()));
    let (status, page) = list(&app, &format!("business_id={}", app.business)).await;
    assert_eq!((status, names(&page)), (200, vec!["Ours".to_owned()]));
}

#[tokio::test]
async fn a_cursor_cannot_be_turned_on_another_business_or_query() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.created(&customer_body(&format!("Mine {i}"))).await;
    }
    let theirs = TestApp::over(app.dynamodb.clone(), app.dynamodb.clone(), app.table.clone()).await;
    for i in 0..3 {
        theirs.created(&customer_body(&format!("Theirs {i}"))).await;
    }
    let (_, page) = list(&theirs, "limit=1").await;
    let their_cursor = page["next_cursor"].as_str().unwrap().to_owned();

    // Their cursor, used by us, pages through our own customers only.
    let (status, page) = list(&app, &format!("limit=10&cursor={their_cursor}")).await;
    assert_eq!(status, 200);
    let seen: HashSet<String> = names(&page).into_iter().collect();
    assert!(seen.iter().all(|n| n.starts_with("Mine")), "{seen:?}");

    // A cursor for another query, or a forged one, is refused.
    for query in [
        format!("status=pending&cursor={their_cursor}"),
        "cursor=not-a-cursor".to_owned(),
        // A lookup by email is one page: no cursor is its own.
        format!("email=mine@example.com&cursor={their_cursor}"),
        format!(
            "cursor={}",
            base64_url(r#"{"v":1,"q":"all","k":"BUSINESS#x#CUSTOMERS"}"#)
        ),
    ] {
        let response = app
            .send(Call::get(&format!("/api/customers/?{query}")).bearer(&app.token(Role::Viewer)))
            .await;
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.problem_fields(), ["cursor"]);
    }
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn bad_parameters_are_named_together() {
    let app = TestApp::spawn().await;
    let response = app
        .send(
            Call::get("/api/customers/?limit=0&status=gone&customer_type=big&email=nope&colour=red&limit=3")
                .bearer(&app.token(Role::Viewer)),
        )
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.problem(), "invalid-parameters");
    assert_eq!(
        response.problem_fields(),
        ["limit", "status", "customer_type", "email", "colour"]
    );
    // A name prefix is read as a name is: no control, bidirectional or invisible characters.
    for query in [
        "limit=101",
        "limit=-1",
        "limit=abc",
        "name_prefix=",
        "name_prefix=%C3%97%C2%9B",
        "name_prefix=a%E2%80%AE",
        "name_prefix=%20%20",
    ] {
        let response = app
            .send(Call::get(&format!("/api/customers?{query}")).bearer(&app.token(Role::Viewer)))
            .await;
        assert_eq!(response.status, 400, "{query}");
    }
}

#[tokio::test]
async fn an_empty_business_lists_nothing() {
    let app = TestApp::spawn().await;
    let outsider = token(BusinessId::random(), &[Role::Viewer]);
    let response = app.send(Call::get("/api/customers").bearer(&outsider)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"items": [], "next_cursor": null}));
}

#[tokio::test]
async fn a_filtered_page_costs_a_bounded_number_of_reads_however_little_matches() {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    use clientele_core::{CustomerId, CustomerQuery, TagLabel, Timestamp};
    use clientele_store::DynamoStore;
    use clientele_store::keys;
    use clientele_tests::iam::{Recorder, recorded_dynamodb};

    let app = TestApp::spawn().await;
    // More customers with one name than one page may read, only one of whom
    // has the tag asked for: the worst case of `?tag=&name_prefix=`. One is
    // made (and tagged) through the API; the rest are copies of its record
    // and of its full-name search term under new ids, written in batches
    // (the reads are what is measured).
    let model = app.created(&customer_body("Bulk Model")).await;
    let model_id = model["id"].as_str().unwrap();
    let tag = Call::post(&format!("/api/customers/{model_id}/tags"))
        .bearer(&app.token(Role::Staff))
        .json(&json!({ "label": "bulk" }));
    assert_eq!(app.send(tag).await.status, 201);
    let record = app.items_of("Customer").await.remove(0);
    let name_term = app
        .items_of("SearchTerm")
        .await
        .into_iter()
        .find(|t| t["term"].as_s().unwrap().starts_with("f:"))
        .unwrap();
    let term = name_term["term"].as_s().unwrap().clone();
    let s = |text: String| AttributeValue::S(text);
    let mut copies = Vec::new();
    for i in 0..520 {
        let id = CustomerId::random();
        let created = Timestamp::now().plus_seconds(-1 - i);
        let order = keys::created_order(created, id);
        let mut customer: HashMap<String, AttributeValue> = record.clone();
        customer.insert("created_at".to_owned(), s(created.to_string()));
        customer.insert("pk".to_owned(), s(keys::customer_partition(id)));
        customer.insert("id".to_owned(), s(id.to_string()));
        for index_sort_key in ["gsi1sk", "gsi2sk", "gsi3sk", "gsi4sk"] {
            customer.insert(index_sort_key.to_owned(), s(order.clone()));
        }
        let mut named = name_term.clone();
        let shard = keys::shard_of(id, keys::TERM_SHARDS);
        named.insert("pk".to_owned(), s(keys::customer_partition(id)));
        named.insert("customer_id".to_owned(), s(id.to_string()));
        named.insert("gsi4pk".to_owned(), s(keys::term_bucket(app.business, &term, shard)));
        named.insert("gsi4sk".to_owned(), s(keys::term_order(&term, id)));
        copies.push(customer);
        copies.push(named);
    }
    for batch in copies.chunks(25) {
        let requests = batch
            .iter()
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item.clone())).build().unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        let written = app
            .dynamodb
            .batch_write_item()
            .request_items(&app.table, requests)
            .send()
            .await
            .unwrap();
        assert!(written.unprocessed_items.is_none_or(|u| u.is_empty()));
    }

    let recorder = Recorder::default();
    let store = DynamoStore::new(recorded_dynamodb(&recorder).await, app.table.clone());
    let mut query = CustomerQuery {
        tag: Some(TagLabel::parse("bulk").unwrap()),
        name_prefix: Some("bulk".to_owned()),
        limit: 20,
        ..CustomerQuery::default()
    };
    let page = store.list_customers(app.business, &query).await.unwrap();
    // One page reads at most two rounds of a query of 50 per shard, each
    // round with batch reads of the customers and their tags: it stops,
    // with a cursor, well before it has read every customer of that name.
    let (queries, gets) = (
        recorder.count("dynamodb:Query"),
        recorder.count("dynamodb:BatchGetItem"),
    );
    assert!(queries <= 8, "{queries} queries for one page");
    assert!(gets <= 8, "{gets} batch reads for one page");
    let mut found: Vec<String> = page.items.iter().map(|c| c.id.to_string()).collect();
    let mut cursor = page.next_cursor;
    assert!(cursor.is_some(), "a cursor where reading stopped");

    // The cursor goes on from there, the listing ends, and the one tagged
    // customer was found once on the way.
    for _ in 0..20 {
        let Some(next) = cursor.take() else { break };
        query.cursor = Some(next);
        let page = store.list_customers(app.business, &query).await.unwrap();
        found.extend(page.items.iter().map(|c| c.id.to_string()));
        cursor = page.next_cursor;
    }
    assert_eq!(cursor, None, "the listing ends");
    assert_eq!(found, [model_id.to_owned()]);

    // Without the tag, every customer of that name is found.
    query.tag = None;
    query.cursor = None;
    query.limit = 100;
    let mut found = Vec::new();
    for _ in 0..100 {
        let page = store.list_customers(app.business, &query).await.unwrap();
        found.extend(page.items.into_iter().map(|c| c.id.to_string()));
        match page.next_cursor {
            Some(next) => query.cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(found.len(), 521, "the copies carry the model's name too");
}
