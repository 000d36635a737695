//! The tags route group, and listing customers by tag.

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_tests::app::staff_of;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};
use serde_json::{Value, json};

async fn customer(app: &TestApp, name: &str) -> String {
    app.created(&customer_body(name)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn add(app: &TestApp, customer: &str, body: &Value) -> TestResponse {
    app.send(
        Call::post(&format!("/api/customers/{customer}/tags"))
            .bearer(&app.token(Role::Staff))
            .json(body),
    )
    .await
}

async fn tags_of(app: &TestApp, customer: &str) -> Vec<String> {
    let response = app
        .send(Call::get(&format!("/api/customers/tags/customer/{customer}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(response.status, 200);
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_original_tag_example_adds_a_tag_and_records_its_event() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Tagged Tina").await;
    let response = add(&app, &id, &json!({"label": "VIP", "color": "#FFD700"})).await;
    assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
    let tag = response.json();
    assert_eq!(tag["label"], "VIP");
    assert_eq!(tag["color"], "#FFD700");
    assert_eq!(tag["priority"], 0);
    assert_eq!(tag["customer_id"], id.as_str());
    assert_eq!(tag["created_by"], "user:test-user");
    assert!(tag["id"].is_string() && tag["created_at"].is_string());

    let events = app.items_of("Event").await;
    let added: Vec<_> = events
        .iter()
        .filter(|e| e["event_type"].as_s().unwrap() == "customer.tag.added")
        .collect();
    assert_eq!(added.len(), 1);
    let detail: Value = serde_json::from_str(added[0]["detail"].as_s().unwrap()).unwrap();
    assert_eq!(detail["tagId"], tag["id"]);
    assert_eq!(detail["customerId"], id.as_str());
}

#[tokio::test]
async fn the_tags_collection_route_takes_the_customer_in_the_body() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Body Named").await;
    let response = app
        .send(
            Call::post("/api/customers/tags/")
                .bearer(&app.token(Role::Staff))
                .json(&json!({"customer_id": id, "label": "Wholesale", "priority": 3})),
        )
        .await;
    assert_eq!(response.status, 201);
    assert_eq!(response.json()["priority"], 3);
    assert_eq!(tags_of(&app, &id).await, ["Wholesale"]);
    let missing = app
        .send(
            Call::post("/api/customers/tags")
                .bearer(&app.token(Role::Staff))
                .json(&json!({"label": "x"})),
        )
        .await;
    assert_eq!(
        (missing.status, missing.problem_fields()),
        (422, vec!["customer_id".to_owned()])
    );
}

#[tokio::test]
async fn a_label_is_unique_per_customer_case_insensitively() {
    let app = TestApp::spawn().await;
    let (first, second) = (customer(&app, "One").await, customer(&app, "Two").await);
    assert_eq!(add(&app, &first, &json!({"label": "VIP"})).await.status, 201);
    let again = add(&app, &first, &json!({"label": " vip "})).await;
    assert_eq!((again.status, again.problem_fields()), (409, vec!["label".to_owned()]));
    assert_eq!(
        add(&app, &second, &json!({"label": "vip"})).await.status,
        201,
        "another customer may"
    );
    assert_eq!(app.items_of("Tag").await.len(), 2);
}

#[tokio::test]
async fn a_list_is_all_or_nothing() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Bulk Betty").await;
    let invalid = add(&app, &id, &json!([{"label": "Gold"}, {"label": "", "color": "gold"}])).await;
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.problem_fields(), ["[1].label", "[1].color"]);
    assert!(
        app.items_of("Tag").await.is_empty(),
        "no tag of a refused list is written"
    );

    assert_eq!(add(&app, &id, &json!({"label": "Silver"})).await.status, 201);
    let clash = add(
        &app,
        &id,
        &json!([{"label": "Gold"}, {"label": "Bronze"}, {"label": "SILVER"}]),
    )
    .await;
    assert_eq!(
        (clash.status, clash.problem_fields()),
        (409, vec!["[2].label".to_owned()])
    );
    assert_eq!(
        tags_of(&app, &id).await,
        ["Silver"],
        "Gold and Bronze were not added either"
    );

    let ok = add(
        &app,
        &id,
        &json!([{"label": "Gold", "priority": -1}, {"label": "Bronze"}]),
    )
    .await;
    assert_eq!(ok.status, 201);
    assert_eq!(ok.json().as_array().unwrap().len(), 2, "a list is answered with a list");
    let events = app.items_of("Event").await;
    let added = events
        .iter()
        .filter(|e| e["event_type"].as_s().unwrap() == "customer.tag.added")
        .count();
    assert_eq!(added, 3, "one event per tag added, none for refused ones");
}

#[tokio::test]
async fn of_two_concurrent_adds_of_one_label_one_wins() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Raced Rita").await;
    let body = json!({"label": "Priority"});
    let attempts = (0..8).map(|_| add(&app, &id, &body));
    let responses = futures::future::join_all(attempts).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert_eq!(app.items_of("Tag").await.len(), 1);
    assert_eq!(app.items_of("TagById").await.len(), 1);
}

#[tokio::test]
async fn a_customers_tags_list_by_priority_then_label() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Sorted Sam").await;
    let body = json!([
        {"label": "beta", "priority": 2},
        {"label": "Alpha", "priority": 2},
        {"label": "zeta", "priority": -5},
        {"label": "gamma"}
    ]);
    assert_eq!(add(&app, &id, &body).await.status, 201);
    assert_eq!(tags_of(&app, &id).await, ["zeta", "gamma", "Alpha", "beta"]);
}

#[tokio::test]
async fn tags_are_removed_by_id_on_either_route_and_record_their_event() {
    let app = TestApp::spawn().await;
    let (id, other) = (customer(&app, "Untagged Una").await, customer(&app, "Other Otto").await);
    let tag = add(&app, &id, &json!({"label": "Temporary"})).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = app.token(Role::Admin);
    let wrong_customer = app
        .send(Call::delete(&format!("/api/customers/{other}/tags/{tag}")).bearer(&admin))
        .await;
    assert_eq!(wrong_customer.status, 404, "the tag is not on that customer");
    let removed = app
        .send(Call::delete(&format!("/api/customers/{id}/tags/{tag}")).bearer(&admin))
        .await;
    assert_eq!(removed.status, 204);
    assert!(tags_of(&app, &id).await.is_empty());
    let again = app
        .send(Call::delete(&format!("/api/customers/tags/{tag}")).bearer(&admin))
        .await;
    assert_eq!(again.status, 404);

    let second = add(&app, &id, &json!({"label": "temporary"})).await;
    assert_eq!(second.status, 201, "the label is free again");
    let second = second.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send(Call::delete(&format!("/api/customers/tags/{second}")).bearer(&admin))
            .await
            .status,
        204
    );
    let events = app.items_of("Event").await;
    let removed = events
        .iter()
        .filter(|e| e["event_type"].as_s().unwrap() == "customer.tag.removed")
        .count();
    assert_eq!(removed, 2);
    assert!(app.items_of("TagById").await.is_empty());
}

#[tokio::test]
async fn another_businesss_customers_and_tags_are_not_found() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Private Pat").await;
    let tag = add(&app, &id, &json!({"label": "Secret"})).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outsider = token(BusinessId::random(), &[Role::Admin]);
    for call in [
        Call::post(&format!("/api/customers/{id}/tags")).json(&json!({"label": "Hijack"})),
        Call::post("/api/customers/tags/").json(&json!({"customer_id": id, "label": "Hijack"})),
        Call::get(&format!("/api/customers/tags/customer/{id}")),
        Call::delete(&format!("/api/customers/tags/{tag}")),
        Call::delete(&format!("/api/customers/{id}/tags/{tag}")),
    ] {
        let response = app.send(call.clone().bearer(&outsider)).await;
        assert_eq!(response.status, 404, "{call:?}");
    }
    assert_eq!(tags_of(&app, &id).await, ["Secret"]);
}

#[tokio::test]
async fn bad_tags_and_ids_are_named() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Picky Pam").await;
    let response = add(
        &app,
        &id,
        &json!({"label": "x".repeat(51), "color": "#12345G", "priority": 1.5, "created_by": "me", "shade": 1}),
    )
    .await;
    assert_eq!(response.status, 422);
    assert_eq!(
        response.problem_fields(),
        ["label", "color", "priority", "created_by", "shade"]
    );
    let bad_id = app
        .send(Call::delete("/api/customers/tags/not-a-uuid").bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(
        (bad_id.status, bad_id.problem_fields()),
        (400, vec!["tag_id".to_owned()])
    );
    let missing = add(&app, &uuid::Uuid::new_v4().to_string(), &json!({"label": "x"})).await;
    assert_eq!(missing.status, 404);
    let not_json = app
        .send(
            Call::post(&format!("/api/customers/{id}/tags"))
                .bearer(&app.token(Role::Staff))
                .text("VIP"),
        )
        .await;
    assert_eq!(not_json.status, 415);
    assert!(app.items_of("Tag").await.is_empty());
}

async fn listed(app: &TestApp, query: &str) -> (Vec<String>, Option<String>) {
    let response = app
        .send(Call::get(&format!("/api/customers/?{query}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    let page = response.json();
    let names = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["full_name"].as_str().unwrap().to_owned())
        .collect();
    (names, page["next_cursor"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn customers_with_a_tag_list_newest_first_in_pages() {
    let app = TestApp::spawn().await;
    for name in ["Vip One", "Plain Two", "Vip Three", "Vip Four", "Plain Five"] {
        let id = customer(&app, name).await;
        if name.starts_with("Vip") {
            assert_eq!(add(&app, &id, &json!({"label": "VIP"})).await.status, 201);
        }
    }
    let elsewhere = TestApp::over(app.dynamodb.clone(), app.dynamodb.clone(), app.table.clone()).await;
    let theirs = elsewhere.created(&customer_body("Their Vip")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(add(&elsewhere, &theirs, &json!({"label": "VIP"})).await.status, 201);

    let (first, cursor) = listed(&app, "tag=vip&limit=2").await;
    assert_eq!(first, ["Vip Four", "Vip Three"]);
    let (second, end) = listed(&app, &format!("tag=vip&limit=2&cursor={}", cursor.unwrap())).await;
    assert_eq!((second, end), (vec!["Vip One".to_owned()], None));
    let (named, _) = listed(&app, "tag=VIP&name_prefix=vip%20t").await;
    assert_eq!(named, ["Vip Three"]);
    let (none, _) = listed(&app, "tag=VIP&status=active").await;
    assert!(none.is_empty());
}

#[tokio::test]
async fn deleting_a_customer_removes_its_tags_everywhere() {
    let app = TestApp::spawn_with_stream().await;
    let sweeps = clientele_tests::sweeps::Sweeps::new(&app).await;
    let id = customer(&app, "Gone Gail").await;
    let tag = add(&app, &id, &json!([{"label": "VIP"}, {"label": "Late"}]))
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = app
        .send(Call::delete(&format!("/api/customers/{id}")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(deleted.status, 204);
    let (listed_before_the_sweep, _) = listed(&app, "tag=VIP").await;
    assert!(listed_before_the_sweep.is_empty(), "a deleted customer is never listed");
    assert!(sweeps.settle().await);
    assert!(app.items_of("Tag").await.is_empty());
    assert!(app.items_of("TagById").await.is_empty());
    let (listed, _) = listed(&app, "tag=VIP").await;
    assert!(listed.is_empty());
    let by_id = app
        .send(Call::delete(&format!("/api/customers/tags/{tag}")).authorized_as(&staff_of(app.business)))
        .await;
    assert_eq!(by_id.status, 403, "staff may not delete tags");
}

#[tokio::test]
async fn a_customer_has_at_most_a_hundred_tags() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Many Tags").await;
    for batch in 0..4 {
        let labels: Vec<Value> = (0..25).map(|n| json!({"label": format!("t{batch}-{n}")})).collect();
        assert_eq!(add(&app, &id, &Value::Array(labels)).await.status, 201, "batch {batch}");
    }
    let items = app.items().await.len();
    let over = add(&app, &id, &json!({"label": "one too many"})).await;
    assert_eq!((over.status, over.problem()), (409, "conflict".to_owned()));
    assert!(over.json()["detail"].as_str().unwrap().contains("100 tags"));
    let over_by_list = add(&app, &id, &json!([{"label": "x"}, {"label": "y"}])).await;
    assert_eq!(over_by_list.status, 409);
    assert_eq!(app.items().await.len(), items, "nothing written");
    assert_eq!(tags_of(&app, &id).await.len(), 100);

    let first = app
        .send(Call::get(&format!("/api/customers/tags/customer/{id}")).bearer(&app.token(Role::Viewer)))
        .await
        .json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removed = app
        .send(Call::delete(&format!("/api/customers/{id}/tags/{first}")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(add(&app, &id, &json!({"label": "room again"})).await.status, 201);
}

#[tokio::test]
async fn labels_that_differ_only_in_width_or_ligatures_are_one_label() {
    let app = TestApp::spawn().await;
    let id = customer(&app, "Ligature Lee").await;
    assert_eq!(add(&app, &id, &json!({"label": "ﬁnance"})).await.status, 201);
    for twin in ["finance", "ＦＩＮＡＮＣＥ"] {
        assert_eq!(add(&app, &id, &json!({ "label": twin })).await.status, 409, "{twin}");
    }
    let hidden = add(&app, &id, &json!({"label": "VIP\u{202E}"})).await;
    assert_eq!(hidden.status, 422);
    assert_eq!(tags_of(&app, &id).await, ["ﬁnance"]);
}
