//! Interactions: logged, read, replaced and removed by their owners, a
//! customer's timeline, a business's days, statistics kept exact in daily
//! counters, and search by subject, against DynamoDB Local.

use clientele_auth::{Principal, Role};
use clientele_core::{BusinessId, Timestamp};
use clientele_store::items::entity;
use clientele_tests::delivery::EventFlow;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};
use serde_json::{Value, json};

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

async fn customer(app: &TestApp, name: &str) -> String {
    id(&app.created(&customer_body(name)).await)
}

fn call_body(customer: &str, subject: &str, at: &str) -> Value {
    json!({
        "customer_id": customer, "type": "call", "direction": "outbound",
        "subject": subject, "occurred_at": at, "duration_seconds": 600,
        "body": "Talked through the renewal.", "outcome": "Agreed",
    })
}

async fn log_as(app: &TestApp, who: &Principal, body: &Value) -> TestResponse {
    app.send(Call::post("/api/interactions").authorized_as(who).json(body))
        .await
}

async fn logged(app: &TestApp, body: &Value) -> Value {
    let response = app
        .send(
            Call::post("/api/interactions")
                .bearer(&app.token(Role::Staff))
                .json(body),
        )
        .await;
    assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
    let made = response.json();
    assert_eq!(
        response.header("location").unwrap(),
        format!("/api/interactions/{}", id(&made))
    );
    assert_eq!(response.header("etag").unwrap(), "\"1\"");
    made
}

async fn read(app: &TestApp, path: &str) -> Value {
    let response = app.send(Call::get(path).bearer(&app.token(Role::Viewer))).await;
    assert_eq!(
        response.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&response.body)
    );
    response.json()
}

fn subjects(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["subject"].as_str().unwrap().to_owned())
        .collect()
}

/// Every page of `path` (which has a query string), `limit` at a time.
async fn all_pages(app: &TestApp, path: &str, limit: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..50 {
        let sep = if path.ends_with('?') { "" } else { "&" };
        let page_path = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let page = read(app, &page_path).await;
        assert!(page["items"].as_array().unwrap().len() <= limit);
        found.extend(subjects(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return found,
        }
    }
    panic!("{path}: the pages never end");
}

#[tokio::test]
async fn an_interaction_is_logged_read_replaced_and_removed_by_its_owner_or_an_admin() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let holder = customer(&app, "Interaction Holder").await;
    let contact = app
        .send(
            Call::post("/api/contacts")
                .bearer(&app.token(Role::Staff))
                .json(&json!({"customer_id": holder, "full_name": "Dana Contact"})),
        )
        .await
        .json();
    let mut body = call_body(&holder, "Quarterly review", "2026-11-20T10:00:00+02:00");
    body["contact_id"] = json!(id(&contact));
    let made = logged(&app, &body).await;
    assert_eq!(made["type"], "call");
    assert_eq!(made["occurred_at"], "2026-11-20T08:00:00.000000Z");
    assert_eq!(made["created_by"], "user:test-user");
    assert_eq!(made["contact_id"], id(&contact));
    let path = format!("/api/interactions/{}", id(&made));
    assert_eq!(read(&app, &path).await, made);

    // Another staff member may not change it; its author and admins may.
    let mut changed = body.clone();
    changed["type"] = json!("meeting");
    changed["subject"] = json!("Quarterly review, in person");
    let colleague = Principal::user("colleague", app.business, vec![Role::Staff]);
    let refused = app
        .send(Call::new("PUT", &path).authorized_as(&colleague).json(&changed))
        .await;
    assert_eq!(refused.status, 403);
    let stale = app
        .send(
            Call::new("PUT", &path)
                .bearer(&app.token(Role::Staff))
                .header("if-match", "\"9\"")
                .json(&changed),
        )
        .await;
    assert_eq!(stale.status, 412);
    let replaced = app
        .send(
            Call::new("PUT", &path)
                .bearer(&app.token(Role::Staff))
                .header("if-match", "\"1\"")
                .json(&changed),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", String::from_utf8_lossy(&replaced.body));
    assert_eq!(replaced.json()["version"], 2);
    assert_eq!(replaced.header("etag").unwrap(), "\"2\"");
    let admin = Principal::user("an-admin", app.business, vec![Role::Admin]);
    changed["outcome"] = Value::Null;
    let by_admin = app
        .send(Call::new("PUT", &path).authorized_as(&admin).json(&changed))
        .await
        .json();
    assert_eq!(
        (by_admin["outcome"].clone(), by_admin["updated_by"].clone()),
        (Value::Null, json!("user:an-admin"))
    );
    assert_eq!(by_admin["created_by"], "user:test-user");

    // The trail names what changed; the events carry no subject or body.
    let trail = app
        .send(Call::get(&format!("/api/customers/{holder}/audit")).bearer(&app.token(Role::Admin)))
        .await
        .json();
    let actions: Vec<(&str, Value)> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["fields"].clone()))
        .collect();
    assert!(
        actions.contains(&("customer.interaction.updated", json!(["type", "subject"]))),
        "{actions:?}"
    );

    // Staff may not remove it; an admin may.
    let staff_delete = app.send(Call::delete(&path).bearer(&app.token(Role::Staff))).await;
    assert_eq!(staff_delete.status, 403);
    assert_eq!(app.send(Call::delete(&path).authorized_as(&admin)).await.status, 204);
    assert_eq!(
        app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await.status,
        404
    );

    let events = flow.deliver().await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["detail-type"].as_str()).collect();
    for kind in [
        "customer.interaction.logged",
        "customer.interaction.updated",
        "customer.interaction.removed",
    ] {
        assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
    }
    for event in events
        .iter()
        .filter(|e| e["detail-type"].as_str().is_some_and(|k| k.contains("interaction")))
    {
        clientele_tests::delivery::assert_matches_schema(event);
        assert_eq!(event["detail"]["interactionId"], id(&made));
        let text = event.to_string();
        for personal in ["Quarterly", "renewal", "Agreed"] {
            assert!(!text.contains(personal), "{personal:?} in {text}");
        }
    }
    assert!(app.violations().await.is_empty());
}

#[tokio::test]
async fn bad_input_is_named_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Strict Holder").await;
    let other = customer(&app, "Other Holder").await;
    let contact_of_other = app
        .send(
            Call::post("/api/contacts")
                .bearer(&app.token(Role::Staff))
                .json(&json!({"customer_id": other, "full_name": "Not Theirs"})),
        )
        .await
        .json();
    let staff = Principal::user("test-user", app.business, vec![Role::Staff]);
    let future = Timestamp::now().plus_seconds(3_600).to_string();
    let cases = [
        (json!({"type": "fax"}), "type"),
        (json!({"direction": "up"}), "direction"),
        (json!({"subject": " "}), "subject"),
        (json!({"subject": "x".repeat(201)}), "subject"),
        (json!({"body": "y".repeat(10_001)}), "body"),
        (json!({"occurred_at": future}), "occurred_at"),
        (json!({"occurred_at": "yesterday"}), "occurred_at"),
        (json!({"duration_seconds": -1}), "duration_seconds"),
        (json!({"duration_seconds": 86_401}), "duration_seconds"),
        (json!({"contact_id": id(&contact_of_other)}), "contact_id"),
        (json!({"created_by": "someone"}), "created_by"),
        (json!({"mood": "good"}), "mood"),
    ];
    for (change, field) in cases {
        let mut body = call_body(&holder, "Checked", "2026-11-20T10:00:00Z");
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = log_as(&app, &staff, &body).await;
        assert_eq!(
            response.status,
            422,
            "{field}: {}",
            String::from_utf8_lossy(&response.body)
        );
        assert_eq!(response.problem_fields(), [field], "{field}");
    }
    let foreign = log_as(
        &app,
        &staff,
        &call_body(&uuid::Uuid::new_v4().to_string(), "Nobody", "2026-11-20T10:00:00Z"),
    )
    .await;
    assert_eq!(foreign.status, 404);
    assert!(
        app.items_of(entity::INTERACTION).await.is_empty(),
        "nothing was written"
    );
    assert!(app.items_of(entity::INTERACTION_STATS).await.is_empty());

    // Another business's interaction is not found, and not theirs to change.
    let made = logged(&app, &call_body(&holder, "Private", "2026-11-20T10:00:00Z")).await;
    let path = format!("/api/interactions/{}", id(&made));
    let elsewhere = token(BusinessId::random(), &[Role::Admin]);
    for call in [
        Call::get(&path),
        Call::new("PUT", &path).json(&call_body(&holder, "Taken", "2026-11-20T10:00:00Z")),
        Call::delete(&path),
        Call::get(&format!("/api/interactions/customer/{holder}")),
        Call::get(&format!(
            "/api/interactions/statistics?from=2026-11-01&to=2026-11-30&customer_id={holder}"
        )),
    ] {
        assert_eq!(app.send(call.bearer(&elsewhere)).await.status, 404);
    }
    let timeline_of_fax = format!("/api/interactions/customer/{holder}?type=fax");
    for (query, field) in [
        ("/api/interactions/date-range?from=2026-11-01T00:00:00Z", "to"),
        (
            "/api/interactions/date-range?from=2026-11-01T00:00:00Z&to=2026-12-15T00:00:00Z",
            "to",
        ),
        (
            "/api/interactions/date-range?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z",
            "to",
        ),
        ("/api/interactions/statistics?from=2026-11-01&to=2026-11", "to"),
        ("/api/interactions/statistics?from=2025-01-01&to=2026-11-30", "to"),
        (
            "/api/interactions/statistics?from=2026-11-01&to=2026-11-30&sort=up",
            "sort",
        ),
        ("/api/interactions/search?q=a", "q"),
        (timeline_of_fax.as_str(), "type"),
    ] {
        let response = app.send(Call::get(query).bearer(&app.token(Role::Viewer))).await;
        assert_eq!(
            response.status,
            400,
            "{query}: {}",
            String::from_utf8_lossy(&response.body)
        );
        assert_eq!(response.problem_fields(), [field], "{query}");
    }
}

#[tokio::test]
async fn timelines_and_days_come_newest_first_in_pages_and_by_type() {
    let app = TestApp::spawn().await;
    let (first, second) = (
        customer(&app, "Timeline One").await,
        customer(&app, "Timeline Two").await,
    );
    // Five over three days for the first customer, two for the second.
    let plan = [
        (&first, "call", "one a", "2026-11-10T09:00:00Z"),
        (&first, "meeting", "one b", "2026-11-10T15:00:00Z"),
        (&first, "call", "one c", "2026-11-11T08:00:00Z"),
        (&first, "email", "one d", "2026-11-12T23:59:59Z"),
        (&first, "call", "one e", "2026-11-13T00:00:00Z"),
        (&second, "call", "two a", "2026-11-11T12:00:00Z"),
        (&second, "visit", "two b", "2026-11-12T12:00:00Z"),
    ];
    for (holder, kind, subject, at) in plan {
        let mut body = call_body(holder, subject, at);
        body["type"] = json!(kind);
        logged(&app, &body).await;
    }
    let timeline = format!("/api/interactions/customer/{first}?");
    assert_eq!(
        all_pages(&app, &timeline, 2).await,
        ["one e", "one d", "one c", "one b", "one a"]
    );
    assert_eq!(
        all_pages(&app, &format!("{timeline}type=call"), 1).await,
        ["one e", "one c", "one a"]
    );
    assert_eq!(
        all_pages(
            &app,
            &format!("{timeline}from=2026-11-10T12:00:00Z&to=2026-11-13T00:00:00Z"),
            10
        )
        .await,
        ["one d", "one c", "one b"],
        "from included, to excluded"
    );
    let exact = read(&app, &format!("{timeline}limit=5")).await;
    assert_eq!(exact["next_cursor"], Value::Null, "an exact last page ends");

    let range = "/api/interactions/date-range?from=2026-11-10T00:00:00Z&to=2026-11-13T00:00:00Z";
    assert_eq!(
        all_pages(&app, range, 2).await,
        ["one d", "two b", "two a", "one c", "one b", "one a"]
    );
    assert_eq!(
        all_pages(&app, &format!("{range}&type=call"), 1).await,
        ["two a", "one c", "one a"]
    );
    let cursor = read(&app, &format!("{range}&limit=1")).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_query = app
        .send(Call::get(&format!("{range}&type=visit&cursor={cursor}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(other_query.status, 400, "a cursor continues only its own query");
    let elsewhere = app
        .send(Call::get(range).bearer(&token(BusinessId::random(), &[Role::Viewer])))
        .await
        .json();
    assert_eq!(elsewhere["items"], json!([]), "another business sees none of them");
}

#[tokio::test]
async fn a_sparse_month_pages_the_same_at_every_page_size_across_the_days_read_at_once() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Sparse Month").await;
    // Days far apart, so that pages end inside the waves of days read at
    // once, and the month's edges: its first instant is in, the next
    // month's first instant is out, and so is the month before.
    let plan = [
        ("call", "before", "2026-09-30T23:59:59Z"),
        ("call", "first instant", "2026-10-01T00:00:00Z"),
        ("meeting", "sixth", "2026-10-06T10:00:00Z"),
        ("call", "fourteenth early", "2026-10-14T08:00:00Z"),
        ("email", "fourteenth late", "2026-10-14T18:00:00Z"),
        ("call", "twenty-second", "2026-10-22T12:00:00Z"),
        ("visit", "thirtieth", "2026-10-30T12:00:00Z"),
        ("call", "last evening", "2026-10-31T23:00:00Z"),
        ("call", "after", "2026-11-01T00:00:00Z"),
    ];
    for (kind, subject, at) in plan {
        let mut body = call_body(&holder, subject, at);
        body["type"] = json!(kind);
        logged(&app, &body).await;
    }
    let month = "/api/interactions/date-range?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z";
    let newest_first = [
        "last evening",
        "thirtieth",
        "twenty-second",
        "fourteenth late",
        "fourteenth early",
        "sixth",
        "first instant",
    ];
    for limit in [1, 2, 3, 5, 7, 50] {
        assert_eq!(all_pages(&app, month, limit).await, newest_first, "pages of {limit}");
    }
    let calls = ["last evening", "twenty-second", "fourteenth early", "first instant"];
    for limit in [1, 3, 4] {
        assert_eq!(
            all_pages(&app, &format!("{month}&type=call"), limit).await,
            calls,
            "calls in pages of {limit}"
        );
    }
    let whole = read(&app, &format!("{month}&limit=7")).await;
    assert_eq!(
        whole["next_cursor"],
        Value::Null,
        "a page that ends on the range's first day ends"
    );
}

async fn statistics(app: &TestApp, query: &str) -> Value {
    read(app, &format!("/api/interactions/statistics?{query}")).await
}

#[tokio::test]
async fn statistics_stay_exact_when_interactions_move_across_days_months_and_types() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Counted Holder").await;
    let other = customer(&app, "Other Counted").await;
    let october = logged(&app, &call_body(&holder, "Late October call", "2026-10-31T23:30:00Z")).await;
    let mut inbound = call_body(&holder, "November call", "2026-11-02T10:00:00Z");
    inbound["direction"] = json!("inbound");
    inbound["duration_seconds"] = json!(300);
    logged(&app, &inbound).await;
    let mut visit = call_body(&other, "November visit", "2026-11-03T10:00:00Z");
    visit["type"] = json!("visit");
    visit.as_object_mut().unwrap().remove("duration_seconds");
    logged(&app, &visit).await;

    let november = statistics(&app, "from=2026-11-01&to=2026-11-30").await;
    assert_eq!(
        (november["count"].clone(), november["duration_seconds"].clone()),
        (json!(2), json!(300))
    );
    assert_eq!(
        november["by_type"],
        json!([
            {"type": "call", "direction": "inbound", "count": 1, "duration_seconds": 300},
            {"type": "visit", "direction": "outbound", "count": 1, "duration_seconds": 0},
        ])
    );
    let autumn = statistics(&app, "from=2026-10-01&to=2026-11-30").await;
    assert_eq!(
        (autumn["count"].clone(), autumn["duration_seconds"].clone()),
        (json!(3), json!(900))
    );

    // Moved into November, and from a call to a meeting, by a concurrent
    // pair of edits: whichever lands, the counts follow it exactly.
    let path = format!("/api/interactions/{}", id(&october));
    let mut moved = call_body(&holder, "Late October call", "2026-11-01T00:30:00Z");
    moved["type"] = json!("meeting");
    let mut moved_again = moved.clone();
    moved_again["occurred_at"] = json!("2026-11-30T23:00:00Z");
    let staff = app.token(Role::Staff);
    let (one, two) = tokio::join!(
        app.send(Call::new("PUT", &path).bearer(&staff).json(&moved)),
        app.send(Call::new("PUT", &path).bearer(&staff).json(&moved_again))
    );
    assert_eq!((one.status, two.status), (200, 200));
    let october_now = statistics(&app, "from=2026-10-01&to=2026-10-31").await;
    assert_eq!(october_now["count"], 0);
    assert_eq!(october_now["by_type"], json!([]));
    let november = statistics(&app, "from=2026-11-01&to=2026-11-30").await;
    assert_eq!(november["count"], 3);
    assert!(
        november["by_type"]
            .as_array()
            .unwrap()
            .contains(&json!({"type": "meeting", "direction": "outbound", "count": 1, "duration_seconds": 600})),
        "{november}"
    );

    // A customer's own: over the range, of any date, and its newest.
    let own = statistics(&app, &format!("from=2026-11-01&to=2026-11-30&customer_id={holder}")).await;
    assert_eq!((own["count"].clone(), own["total"].clone()), (json!(2), json!(2)));
    let moved_at = read(&app, &format!("/api/interactions/{}", id(&october))).await["occurred_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let newest = moved_at.max("2026-11-02T10:00:00.000000Z".to_owned());
    assert_eq!(own["last_interaction_at"], newest.as_str());
    let first_day = statistics(&app, &format!("from=2026-11-02&to=2026-11-02&customer_id={holder}")).await;
    assert_eq!(first_day["count"], 1, "a single day");
    assert!(app.violations().await.is_empty());

    // Removed, and its customer erased: the business's counts lose them.
    let admin = app.token(Role::Admin);
    assert_eq!(app.send(Call::delete(&path).bearer(&admin)).await.status, 204);
    let erase = app
        .send(
            Call::post("/api/gdpr/delete")
                .bearer(&admin)
                .json(&json!({"customer_id": holder})),
        )
        .await;
    assert_eq!(erase.status, 200);
    let after = statistics(&app, "from=2026-10-01&to=2026-12-31").await;
    assert_eq!(
        (after["count"].clone(), after["by_type"][0]["type"].clone()),
        (json!(1), json!("visit"))
    );
    for kind in [entity::INTERACTION_DAY, entity::INTERACTION_TERM] {
        assert!(
            app.items_of(kind)
                .await
                .iter()
                .all(|i| !i["pk"].as_s().unwrap().contains(&holder)),
            "{kind}"
        );
    }
    assert!(app.violations().await.is_empty());
}

#[tokio::test]
async fn interactions_are_found_by_subject_words_and_filtered() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Searched Holder").await;
    let contact = app
        .send(
            Call::post("/api/contacts")
                .bearer(&app.token(Role::Staff))
                .json(&json!({"customer_id": holder, "full_name": "Searched Contact"})),
        )
        .await
        .json();
    let mut with_contact = call_body(&holder, "Renewal négociation", "2026-11-05T10:00:00Z");
    with_contact["contact_id"] = json!(id(&contact));
    logged(&app, &with_contact).await;
    let mut meeting = call_body(&holder, "Renewal kickoff", "2026-11-20T10:00:00Z");
    meeting["type"] = json!("meeting");
    logged(&app, &meeting).await;
    logged(&app, &call_body(&holder, "Invoice question", "2026-11-21T10:00:00Z")).await;

    let found = |query: &'static str| {
        let app = &app;
        async move {
            let mut names = subjects(&read(app, &format!("/api/interactions/search?{query}")).await);
            names.sort();
            names
        }
    };
    assert_eq!(found("q=renewal").await, ["Renewal kickoff", "Renewal négociation"]);
    assert_eq!(
        found("q=NEGOC").await,
        ["Renewal négociation"],
        "case and diacritics folded"
    );
    assert_eq!(found("q=renewal&type=meeting").await, ["Renewal kickoff"]);
    assert_eq!(
        found("q=renewal&to=2026-11-10T00:00:00Z").await,
        ["Renewal négociation"]
    );
    let with = format!("/api/interactions/search?q=renewal&contact_id={}", id(&contact));
    assert_eq!(subjects(&read(&app, &with).await), ["Renewal négociation"]);
    assert!(found("q=renewal%20invoice").await.is_empty(), "every word must match");
    let elsewhere = app
        .send(Call::get("/api/interactions/search?q=renewal").bearer(&token(BusinessId::random(), &[Role::Viewer])))
        .await
        .json();
    assert_eq!(elsewhere["items"], json!([]));
}

#[tokio::test]
async fn a_deleted_customers_interactions_leave_the_statistics_when_it_is_swept() {
    let app = TestApp::spawn_with_stream().await;
    let sweeps = clientele_tests::sweeps::Sweeps::new(&app).await;
    let (gone, kept) = (
        customer(&app, "Swept Holder").await,
        customer(&app, "Kept Holder").await,
    );
    logged(&app, &call_body(&gone, "First swept call", "2026-11-04T10:00:00Z")).await;
    logged(&app, &call_body(&gone, "Second swept call", "2026-11-05T10:00:00Z")).await;
    logged(&app, &call_body(&kept, "Kept call", "2026-11-05T11:00:00Z")).await;
    assert_eq!(statistics(&app, "from=2026-11-01&to=2026-11-30").await["count"], 3);

    let delete = Call::delete(&format!("/api/customers/{gone}")).bearer(&app.token(Role::Admin));
    assert_eq!(app.send(delete).await.status, 204);
    assert!(sweeps.settle().await, "the sweep finishes");
    let after = statistics(&app, "from=2026-11-01&to=2026-11-30").await;
    assert_eq!(
        (after["count"].clone(), after["duration_seconds"].clone()),
        (json!(1), json!(600))
    );
    for kind in [
        entity::INTERACTION,
        entity::INTERACTION_BY_ID,
        entity::INTERACTION_TERM,
        entity::INTERACTION_DAY,
    ] {
        let left: Vec<String> = app
            .items_of(kind)
            .await
            .iter()
            .map(|i| format!("{:?}", i))
            .filter(|text| text.contains(&gone))
            .collect();
        assert!(left.is_empty(), "{kind}: {left:?}");
    }
    let found = read(&app, "/api/interactions/search?q=swept").await;
    assert_eq!(found["items"], json!([]));
    assert!(app.violations().await.is_empty());
}
