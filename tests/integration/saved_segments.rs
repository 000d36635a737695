//! Saved segments: an admin's named filters, evaluated when their members
//! are listed, and static lists of chosen customers, against DynamoDB Local.

use clientele_auth::Role;
use clientele_core::{BusinessId, Clock};
use clientele_store::items::entity;
use clientele_tests::{Call, TestApp, customer_body, token};
use serde_json::{Value, json};

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

async fn save(app: &TestApp, body: Value) -> Value {
    let response = app
        .send(
            Call::post("/api/customers/segments")
                .bearer(&app.token(Role::Admin))
                .json(&body),
        )
        .await;
    assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
    let saved = response.json();
    assert_eq!(
        response.header("location").unwrap(),
        format!("/api/customers/segments/{}", id(&saved))
    );
    saved
}

/// Every member of a segment, page by page, by name.
async fn members(app: &TestApp, segment: &Value, limit: usize) -> Vec<String> {
    let href = segment["members_href"].as_str().unwrap();
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let path = match &cursor {
            Some(c) => format!("{href}?limit={limit}&cursor={c}"),
            None => format!("{href}?limit={limit}"),
        };
        let response = app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await;
        assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
        let page = response.json();
        names.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["full_name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return names,
        }
    }
    panic!("the pages never ended");
}

#[tokio::test]
async fn a_filter_finds_its_members_when_asked_so_later_changes_count() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let early = app.created(&customer_body("Early Bird")).await;
    app.clock.advance(3_600);
    let from = app.clock.now();
    let mut made = Vec::new();
    for name in ["Spring One", "Spring Two", "Spring Three"] {
        made.push(app.created(&customer_body(name)).await);
        app.clock.advance(60);
    }
    let mut institution = customer_body("Spring Institution");
    institution["customer_type"] = json!("institution");
    app.created(&institution).await;
    for customer in [&early, &made[0], &made[1]] {
        let validate = Call::post(&format!("/api/customers/{}/validate", id(customer))).bearer(&admin);
        assert_eq!(app.send(validate).await.status, 200);
    }
    let tag = Call::post(&format!("/api/customers/{}/tags", id(&made[1])))
        .bearer(&admin)
        .json(&json!({"label": "VIP"}));
    assert_eq!(app.send(tag).await.status, 201);

    let active_since = save(
        &app,
        json!({"name": "Active SMEs since spring", "filter": {
            "status": "active", "customer_type": "sme", "created_from": from.to_string()}}),
    )
    .await;
    assert_eq!(active_since["kind"], "filter");
    assert_eq!(active_since["filter"]["status"], "active");
    assert_eq!(active_since["filter"]["created_from"], from.to_string());
    assert_eq!(
        members(&app, &active_since, 1).await,
        ["Spring Two", "Spring One"],
        "newest first, in pages of one, the early customer outside the range"
    );

    // Evaluated on read: a customer validated now is a member now.
    let validate = Call::post(&format!("/api/customers/{}/validate", id(&made[2]))).bearer(&admin);
    assert_eq!(app.send(validate).await.status, 200);
    assert_eq!(
        members(&app, &active_since, 20).await,
        ["Spring Three", "Spring Two", "Spring One"]
    );

    let vip = save(
        &app,
        json!({"name": "VIPs", "filter": {"tag": "vip", "status": "active"}}),
    )
    .await;
    assert_eq!(members(&app, &vip, 20).await, ["Spring Two"]);
    let until = save(
        &app,
        json!({"name": "Before spring", "filter": {"created_to": from.to_string()}}),
    )
    .await;
    assert_eq!(
        members(&app, &until, 20).await,
        ["Early Bird"],
        "the end is not included"
    );

    // The same range on the list itself.
    let listed = app
        .send(
            Call::get(&format!(
                "/api/customers?customer_type=sme&created_from={}&created_to={}",
                from,
                from.plus_seconds(90)
            ))
            .bearer(&admin),
        )
        .await;
    let listed = listed.json();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Spring Two", "Spring One"]);
    let backwards = app
        .send(Call::get(&format!("/api/customers?created_from={from}&created_to={from}")).bearer(&admin))
        .await;
    assert_eq!(backwards.status, 400);
    assert_eq!(backwards.problem_fields(), ["created_to"]);
}

#[tokio::test]
async fn a_static_list_holds_the_customers_put_on_it_and_goes_with_them() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let list = save(&app, json!({"name": "Launch guests", "kind": "list"})).await;
    assert_eq!(list["kind"], "list");
    assert_eq!(list["filter"], Value::Null);
    let href = list["members_href"].as_str().unwrap().to_owned();
    let ana = app.created(&customer_body("Ana Guest")).await;
    let bo = app.created(&customer_body("Bo Guest")).await;
    let cy = app.created(&customer_body("Cy Stranger")).await;
    for guest in [&ana, &bo] {
        let place = format!("{href}/{}", id(guest));
        assert_eq!(app.send(Call::new("PUT", &place).bearer(&admin)).await.status, 201);
        assert_eq!(
            app.send(Call::new("PUT", &place).bearer(&admin)).await.status,
            204,
            "putting it there again changes nothing"
        );
    }
    assert_eq!(members(&app, &list, 1).await, ["Bo Guest", "Ana Guest"]);
    assert_eq!(app.items_of(entity::LIST_MEMBER).await.len(), 2);

    let off = format!("{href}/{}", id(&cy));
    assert_eq!(
        app.send(Call::delete(&off).bearer(&admin)).await.status,
        404,
        "not on the list"
    );
    let off = format!("{href}/{}", id(&ana));
    assert_eq!(app.send(Call::delete(&off).bearer(&admin)).await.status, 204);
    assert_eq!(members(&app, &list, 20).await, ["Bo Guest"]);

    // A deleted customer leaves the list with everything else it had.
    let delete = Call::delete(&format!("/api/customers/{}", id(&bo))).bearer(&admin);
    assert_eq!(app.send(delete).await.status, 204);
    assert!(members(&app, &list, 20).await.is_empty());

    // Staff may read lists but not change them; a filter takes no one.
    let staff = app.token(Role::Staff);
    let place = format!("{href}/{}", id(&cy));
    assert_eq!(app.send(Call::new("PUT", &place).bearer(&staff)).await.status, 403);
    let filter = save(&app, json!({"name": "Pending", "filter": {"status": "pending"}})).await;
    let on_filter = format!("{}/{}", filter["members_href"].as_str().unwrap(), id(&cy));
    let refused = app.send(Call::new("PUT", &on_filter).bearer(&admin)).await;
    assert_eq!(refused.status, 409);
    refused.problem();
    let nobody = format!("{href}/{}", uuid::Uuid::new_v4());
    assert_eq!(app.send(Call::new("PUT", &nobody).bearer(&admin)).await.status, 404);
}

#[tokio::test]
async fn deleting_a_list_takes_every_place_on_it_and_no_customer() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let list = save(&app, json!({"name": "Big list", "kind": "list"})).await;
    let other = save(&app, json!({"name": "Other list", "kind": "list"})).await;
    let href = list["members_href"].as_str().unwrap().to_owned();
    let mut guests = Vec::new();
    for n in 0..120 {
        guests.push(app.created(&customer_body(&format!("Guest Number{n}"))).await);
    }
    for guest in &guests {
        let place = format!("{href}/{}", id(guest));
        assert_eq!(app.send(Call::new("PUT", &place).bearer(&admin)).await.status, 201);
    }
    let kept = format!("{}/{}", other["members_href"].as_str().unwrap(), id(&guests[0]));
    assert_eq!(app.send(Call::new("PUT", &kept).bearer(&admin)).await.status, 201);
    assert_eq!(members(&app, &list, 100).await.len(), 120);

    let segment = format!("/api/customers/segments/{}", id(&list));
    let deleted = app.send_retrying(Call::delete(&segment).bearer(&admin)).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(app.send(Call::get(&segment).bearer(&admin)).await.status, 404);
    assert_eq!(app.send(Call::get(&href).bearer(&admin)).await.status, 404);
    assert_eq!(app.send(Call::delete(&segment).bearer(&admin)).await.status, 404);
    assert_eq!(
        app.items_of(entity::LIST_MEMBER).await.len(),
        1,
        "more than a page of places went; the other list's stays"
    );
    assert_eq!(app.items_of(entity::CUSTOMER).await.len(), 120);
    let again = save(&app, json!({"name": "big LIST", "kind": "list"})).await;
    assert_ne!(id(&again), id(&list), "the name is free again");
}

#[tokio::test]
async fn names_are_unique_per_business_and_segments_are_the_businesss_own() {
    let app = TestApp::spawn().await;
    let first = save(
        &app,
        json!({"name": "Key accounts", "filter": {"customer_type": "institution"}}),
    )
    .await;
    let taken = app
        .send(
            Call::post("/api/customers/segments")
                .bearer(&app.token(Role::Admin))
                .json(&json!({"name": "KEY ACCOUNTS", "kind": "list"})),
        )
        .await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.problem_fields(), ["name"]);
    let invalid = app
        .send(
            Call::post("/api/customers/segments")
                .bearer(&app.token(Role::Admin))
                .json(&json!({"name": "X", "filter": {"status": "gone"}, "colour": 1})),
        )
        .await;
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.problem_fields(), ["colour", "filter.status"]);

    let mut ids = vec![id(&first)];
    for n in 0..4 {
        ids.push(id(
            &save(&app, json!({"name": format!("List {n}"), "kind": "list"})).await
        ));
    }
    let mut seen = Vec::new();
    let mut path = "/api/customers/segments/saved?limit=2".to_owned();
    loop {
        let page = app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await.json();
        seen.extend(page["items"].as_array().unwrap().iter().map(id));
        match page["next_cursor"].as_str() {
            Some(next) => path = format!("/api/customers/segments/saved?limit=2&cursor={next}"),
            None => break,
        }
    }
    seen.sort();
    ids.sort();
    assert_eq!(seen, ids, "every segment once, in pages");

    let elsewhere = token(BusinessId::random(), &[Role::Admin]);
    let segment = format!("/api/customers/segments/{}", id(&first));
    for call in [
        Call::get(&segment),
        Call::get(&format!("{segment}/customers")),
        Call::delete(&segment),
    ] {
        assert_eq!(app.send(call.bearer(&elsewhere)).await.status, 404);
    }
    let theirs = app
        .send(Call::get("/api/customers/segments/saved").bearer(&elsewhere))
        .await
        .json();
    assert!(theirs["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_list_place_is_exported_and_erased_with_its_customer() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let list = save(&app, json!({"name": "Newsletter", "kind": "list"})).await;
    let customer = app.created(&customer_body("Exported Guest")).await;
    let place = format!("{}/{}", list["members_href"].as_str().unwrap(), id(&customer));
    assert_eq!(app.send(Call::new("PUT", &place).bearer(&admin)).await.status, 201);
    let export = app
        .send(
            Call::post("/api/gdpr/export")
                .bearer(&admin)
                .json(&json!({"customer_id": id(&customer)})),
        )
        .await;
    assert_eq!(export.status, 200);
    let lists = export.json()["lists"].clone();
    assert_eq!(lists.as_array().unwrap().len(), 1);
    assert_eq!(lists[0]["segment_id"], list["id"]);
    let erase = app
        .send(
            Call::post("/api/gdpr/delete")
                .bearer(&admin)
                .json(&json!({"customer_id": id(&customer)})),
        )
        .await;
    assert_eq!(erase.status, 200);
    assert!(app.items_of(entity::LIST_MEMBER).await.is_empty());
    assert!(members(&app, &list, 20).await.is_empty());
}

#[tokio::test]
async fn the_checker_holds_saved_segments_to_their_claims_and_count() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use clientele_core::{SegmentId, Timestamp};
    use clientele_store::keys;

    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let list = save(&app, json!({"name": "Checked list", "kind": "list"})).await;
    let filter = save(&app, json!({"name": "Checked filter", "filter": {"status": "active"}})).await;
    let customer = app.created(&customer_body("Checked Guest")).await;
    let place = format!("{}/{}", list["members_href"].as_str().unwrap(), id(&customer));
    assert_eq!(app.send(Call::new("PUT", &place).bearer(&admin)).await.status, 201);
    let gone = save(&app, json!({"name": "Gone soon", "kind": "list"})).await;
    let segment = format!("/api/customers/segments/{}", id(&gone));
    assert_eq!(app.send(Call::delete(&segment).bearer(&admin)).await.status, 204);
    let found = app.store.violations(Timestamp::now()).await.unwrap();
    assert!(found.is_empty(), "{found:#?}");

    app.delete_raw(&keys::segment_name_claim(app.business, "checked filter"))
        .await;
    app.set_number_raw(&keys::saved_segments_count(app.business), "saved", 7)
        .await;
    let stray = SegmentId::random();
    app.dynamodb
        .put_item()
        .table_name(&app.table)
        .set_item(Some(
            [
                ("pk", keys::segment_name_claim(app.business, "stray").pk),
                ("sk", "CLAIM".to_owned()),
                ("entity", entity::SEGMENT_NAME_CLAIM.to_owned()),
                ("segment_id", stray.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), AttributeValue::S(v)))
            .collect(),
        ))
        .send()
        .await
        .unwrap();
    let found = app.violations().await;
    let says = |words: &[&str]| found.iter().any(|v| words.iter().all(|w| v.contains(w)));
    assert!(says(&[&id(&filter), "claim on its name is missing"]), "{found:#?}");
    assert!(says(&["counts 7 saved segments, keeps 2"]), "{found:#?}");
    assert!(says(&[&stray.to_string(), "another name or is gone"]), "{found:#?}");
    assert_eq!(found.len(), 3, "{found:#?}");
}
