//! Imports and exports of a business's customers, against DynamoDB Local
//! and moto: asked for through the API, the file uploaded to the link it
//! answers, and run by the transfers function from the table's stream.

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_core::transfer::TransferStatus;
use clientele_operations::transfers::IMPORT_CHUNK_ROWS;
use clientele_tests::app::{download, upload};
use clientele_tests::transfers::Transfers;
use clientele_tests::{Call, TestApp, customer_body, token};
use serde_json::{Value, json};

/// Sends `call` as `bearer`, expecting `status`: the body.
async fn expect(app: &TestApp, call: Call, bearer: &str, status: u16) -> Value {
    let response = app.send(call.bearer(bearer)).await;
    assert_eq!(response.status, status, "{}", String::from_utf8_lossy(&response.body));
    if response.body.is_empty() {
        Value::Null
    } else {
        response.json()
    }
}

/// Asks for an import of `file` in `format` as `bearer`, uploads the file
/// and starts the import: its path.
async fn import(app: &TestApp, bearer: &str, format: &str, file: &[u8]) -> String {
    let asked = expect(
        app,
        Call::post("/api/customers/imports").json(&json!({"format": format})),
        bearer,
        201,
    )
    .await;
    assert_eq!(asked["status"], "awaiting_upload");
    let path = format!("/api/customers/imports/{}", asked["id"].as_str().unwrap());
    let content_type = if format == "csv" {
        "text/csv"
    } else {
        "application/x-ndjson"
    };
    let url = asked["upload_url"].as_str().unwrap();
    assert_eq!(upload(url, content_type, file).await, 200, "moto takes the upload");
    let started = expect(app, Call::post(&format!("{path}/start")), bearer, 202).await;
    assert_eq!(started["status"], "queued");
    path
}

/// Every row of an import that created nothing.
async fn rows(app: &TestApp, bearer: &str, path: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let page_path = match &cursor {
            Some(c) => format!("{path}/rows?limit=2&cursor={c}"),
            None => format!("{path}/rows?limit=2"),
        };
        let page = expect(app, Call::get(&page_path), bearer, 200).await;
        rows.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return rows,
        }
    }
    panic!("the rows never ended");
}

/// The customer of the business with this email, with its tags' labels.
async fn customer_by_email(app: &TestApp, bearer: &str, email: &str) -> Option<(Value, Vec<String>)> {
    let page = expect(
        app,
        Call::get(&format!("/api/customers/?email={}", email.replace('+', "%2B"))),
        bearer,
        200,
    )
    .await;
    let customer = page["items"].as_array().unwrap().first()?.clone();
    let tags = expect(
        app,
        Call::get(&format!(
            "/api/customers/tags/customer/{}",
            customer["id"].as_str().unwrap()
        )),
        bearer,
        200,
    )
    .await;
    let labels = tags["items"]
        .as_array()
        .or_else(|| tags.as_array())
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap().to_owned())
        .collect();
    Some((customer, labels))
}

fn user() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn a_csv_import_creates_each_valid_row_with_its_tags_and_reports_the_rest_and_runs_again_creating_nothing() {
    let app = TestApp::spawn_with_stream().await;
    let transfers = Transfers::new(&app).await;
    let staff = app.token(Role::Staff);
    let known = expect(
        &app,
        Call::post("/api/customers/").json(&customer_body("Known Before")),
        &staff,
        201,
    )
    .await;
    let known_email = known["email"].as_str().unwrap();
    let file = format!(
        "full_name,email,user_id,gender,phone,tags\n\
         \"Ada, Countess\",ada.import@example.com,{},female,0712345678,VIP;north;semi\\;colon\n\
         Bad Email,not-an-email,{},male,,\n\
         Known Again,{known_email},{},other,,vip\n\
         Too,few,cells\n\
         \"Multi\nLine\",multi.line@example.com,{},male,,\n\
         After Multi,after.multi@example.com,{},male,,\n",
        user(),
        user(),
        user(),
        user(),
        user(),
    );

    // Started before its file is there: refused, and it still waits.
    let asked = expect(
        &app,
        Call::post("/api/customers/imports").json(&json!({"format": "csv"})),
        &staff,
        201,
    )
    .await;
    let early = format!("/api/customers/imports/{}/start", asked["id"].as_str().unwrap());
    let refused = app.send(Call::post(&early).bearer(&staff)).await;
    assert_eq!(refused.status, 409, "{}", refused.problem());

    let path = import(&app, &staff, "csv", file.as_bytes()).await;
    let again = app.send(Call::post(&format!("{path}/start")).bearer(&staff)).await;
    assert_eq!(again.status, 409, "an import starts once");
    assert!(transfers.settle().await, "every step succeeded");

    let done = expect(&app, Call::get(&path), &staff, 200).await;
    assert_eq!(done["status"], "completed", "{done}");
    let reported = rows(&app, &staff, &path).await;
    assert_eq!(
        (&done["rows"], &done["created"], &done["existing"], &done["refused"]),
        (&json!(6), &json!(2), &json!(1), &json!(3)),
        "{done} {reported:?}"
    );
    assert_eq!(reported.len(), 4, "{reported:?}");
    assert_eq!(reported[0]["line"], 3);
    assert_eq!(reported[0]["outcome"], "refused");
    assert_eq!(reported[0]["errors"][0]["field"], "email");
    assert!(
        !reported[0].to_string().contains("not-an-email"),
        "a refusal names fields, never values"
    );
    assert_eq!(reported[1]["line"], 4);
    assert_eq!(reported[1]["outcome"], "existing");
    assert_eq!(reported[1]["customer_id"], known["id"]);
    assert_eq!(reported[2]["line"], 5);
    assert_eq!(reported[2]["errors"][0]["field"], "line");
    assert_eq!(reported[3]["line"], 6, "a quoted cell may span lines");
    assert_eq!(reported[3]["errors"][0]["field"], "full_name", "a name is one line");

    let (ada, labels) = customer_by_email(&app, &staff, "ada.import@example.com")
        .await
        .expect("Ada is imported");
    assert_eq!(ada["full_name"], "Ada, Countess");
    assert_eq!(ada["status"], "pending");
    let mut labels = labels;
    labels.sort();
    assert_eq!(labels, ["VIP", "north", "semi;colon"]);
    let (after, _) = customer_by_email(&app, &staff, "after.multi@example.com")
        .await
        .expect("the row after a record of two lines is read");
    assert_eq!(after["full_name"], "After Multi");
    let (known_now, known_tags) = customer_by_email(&app, &staff, known_email).await.unwrap();
    assert_eq!(
        known_now["version"], known["version"],
        "an existing customer is left alone"
    );
    assert!(known_tags.is_empty(), "{known_tags:?}");

    // The same file again: nothing is created twice.
    let rerun = import(&app, &staff, "csv", file.as_bytes()).await;
    assert!(transfers.settle().await);
    let done = expect(&app, Call::get(&rerun), &staff, 200).await;
    assert_eq!(
        (&done["status"], &done["created"], &done["existing"], &done["refused"]),
        (&json!("completed"), &json!(0), &json!(3), &json!(3)),
        "{done}"
    );
    let all = expect(&app, Call::get("/api/customers/?limit=100"), &staff, 200).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3, "Known, Ada and After");

    // Another business sees none of it.
    let elsewhere = token(BusinessId::random(), &[Role::Admin]);
    expect(&app, Call::get(&path), &elsewhere, 404).await;
    expect(&app, Call::get(&format!("{path}/rows")), &elsewhere, 404).await;
    // Jobs and their rows' outcomes are items the table's checker knows.
    let broken = app.violations().await;
    assert!(broken.is_empty(), "{broken:#?}");
}

#[tokio::test]
async fn a_large_import_runs_a_chunk_at_a_time_and_a_chunk_run_again_counts_its_customers_once() {
    let app = TestApp::spawn_with_stream().await;
    let transfers = Transfers::new(&app).await;
    let admin = app.token(Role::Admin);
    let count = IMPORT_CHUNK_ROWS + 30;
    let mut file = String::new();
    for i in 0..count {
        let row = json!({
            "user_id": user(), "full_name": format!("Bulk Person {i}"),
            "email": format!("bulk.{i}@example.com"), "gender": "other",
            "tags": [{"label": "bulk", "color": "#336699", "priority": 2}]
        });
        file.push_str(&row.to_string());
        file.push('\n');
        if i == 10 {
            file.push('\n');
        }
    }
    let path = import(&app, &admin, "ndjson", file.as_bytes()).await;

    // The start's record, then the first chunk's own new version.
    while transfers.feed_once().await.0 > 0 {
        let now = expect(&app, Call::get(&path), &admin, 200).await;
        if now["status"] == "running" {
            break;
        }
    }
    let halfway = expect(&app, Call::get(&path), &admin, 200).await;
    assert_eq!(halfway["status"], "running", "{halfway}");
    assert_eq!(halfway["rows"], IMPORT_CHUNK_ROWS, "{halfway}");
    let id = halfway["id"].as_str().unwrap().parse().unwrap();
    let stored_halfway = app.store.transfer(app.business, id).await.unwrap().unwrap();
    assert!(transfers.settle().await);
    let done = expect(&app, Call::get(&path), &admin, 200).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["created"], count, "{done}");

    // The last chunk cut short and run again: the job put back where it was
    // halfway, as if its last step had never been saved.
    let finished = app.store.transfer(app.business, id).await.unwrap().unwrap();
    let rewound = clientele_core::transfer::TransferJob {
        version: finished.version + 1,
        status: TransferStatus::Running,
        ..stored_halfway
    };
    app.store.save_transfer(&rewound, finished.version).await.unwrap();
    assert!(transfers.settle().await);
    let again = expect(&app, Call::get(&path), &admin, 200).await;
    assert_eq!(again["status"], "completed");
    assert_eq!(
        (&again["rows"], &again["created"], &again["existing"]),
        (&json!(count), &json!(count), &json!(0)),
        "the rows it created the first time are its own: {again}"
    );
    let (one, labels) = customer_by_email(&app, &admin, &format!("bulk.{}@example.com", count - 1))
        .await
        .unwrap();
    assert_eq!(one["full_name"], format!("Bulk Person {}", count - 1));
    assert_eq!(labels, ["bulk"]);
}

#[tokio::test]
async fn a_file_that_cannot_be_read_fails_its_import_with_the_reason() {
    let app = TestApp::spawn_with_stream().await;
    let transfers = Transfers::new(&app).await;
    let staff = app.token(Role::Staff);
    let path = import(&app, &staff, "csv", b"full_name,email,user_id,gender,shoe_size\n").await;
    assert!(transfers.settle().await);
    let failed = expect(&app, Call::get(&path), &staff, 200).await;
    assert_eq!(failed["status"], "failed");
    assert!(failed["failure"].as_str().unwrap().contains("shoe_size"), "{failed}");
    assert_eq!(failed["created"], 0);
}

#[tokio::test]
async fn an_export_writes_every_customer_with_its_tags_and_imports_into_another_business_as_it_is() {
    let app = TestApp::spawn_with_stream().await;
    let transfers = Transfers::new(&app).await;
    let admin = app.token(Role::Admin);
    let mut emails = Vec::new();
    for name in ["Exported One", "Exported Two", "Exported Three"] {
        let created = expect(
            &app,
            Call::post("/api/customers/").json(&customer_body(name)),
            &admin,
            201,
        )
        .await;
        emails.push(created["email"].as_str().unwrap().to_owned());
        let tags = Call::post(&format!("/api/customers/{}/tags", created["id"].as_str().unwrap()))
            .json(&json!({"label": format!("from {name}"), "priority": 3}));
        expect(&app, tags, &admin, 201).await;
    }
    let staff = app.token(Role::Staff);
    let refused = app
        .send(
            Call::post("/api/customers/exports")
                .bearer(&staff)
                .json(&json!({"format": "csv"})),
        )
        .await;
    assert_eq!(refused.status, 403, "exports are for admins");

    let mut files = Vec::new();
    for format in ["ndjson", "csv"] {
        let asked = app
            .send(
                Call::post("/api/customers/exports")
                    .bearer(&admin)
                    .json(&json!({"format": format})),
            )
            .await;
        assert_eq!(asked.status, 202);
        let path = asked.header("location").unwrap().to_owned();
        let queued = expect(&app, Call::get(&path), &admin, 200).await;
        assert_eq!(queued["status"], "queued");
        assert!(queued.get("download_url").is_none());
        assert!(transfers.settle().await);
        let done = expect(&app, Call::get(&path), &admin, 200).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["exported"], 3);
        let (status, bytes) = download(done["download_url"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        files.push((format, bytes.to_vec()));
    }
    let ndjson = String::from_utf8(files[0].1.clone()).unwrap();
    let lines: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert!(emails.contains(&line["email"].as_str().unwrap().to_owned()), "{line}");
        assert_eq!(line["tags"][0]["priority"], 3, "{line}");
        assert_eq!(line["status"], "pending");
    }
    let csv = String::from_utf8(files[1].1.clone()).unwrap();
    assert!(
        csv.starts_with("id,user_id,full_name,email,phone,gender,customer_type,status,tags,created_at,updated_at\n")
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");

    // Each file imports into another business as it is.
    for (format, bytes) in &files {
        let other = token(BusinessId::random(), &[Role::Admin]);
        let path = import(&app, &other, format, bytes).await;
        assert!(transfers.settle().await);
        let done = expect(&app, Call::get(&path), &other, 200).await;
        assert_eq!(
            (&done["status"], &done["created"], &done["refused"]),
            (&json!("completed"), &json!(3), &json!(0)),
            "{format}: {done}"
        );
        let (_, labels) = customer_by_email(&app, &other, &emails[1]).await.unwrap();
        assert_eq!(labels, ["from Exported Two"], "{format}");
    }
    let broken = app.violations().await;
    assert!(broken.is_empty(), "{broken:#?}");
}

#[tokio::test]
async fn a_file_larger_than_a_step_reads_is_read_a_window_at_a_time_without_losing_a_row_at_a_window_edge() {
    use clientele_core::transfer::{RowOutcome, WINDOW_BYTES};
    let app = TestApp::spawn_with_stream().await;
    let transfers = Transfers::new(&app).await;
    let staff = app.token(Role::Staff);
    // Rows of about 8 KiB, each refused (a name that long is no name), so
    // a window holds fewer rows than a step reads and a row is cut at
    // every window's edge; then one row that imports.
    let long_name = "x".repeat(8000);
    let mut file = String::new();
    let refused = 300;
    for i in 0..refused {
        let row = json!({"user_id": user(), "full_name": long_name, "email": format!("long.{i}@example.com"), "gender": "other"});
        file.push_str(&row.to_string());
        file.push('\n');
    }
    let last = json!({"user_id": user(), "full_name": "After The Long Ones", "email": "after.long@example.com", "gender": "other"});
    file.push_str(&last.to_string());
    assert!(file.len() as u64 > 2 * WINDOW_BYTES, "the file spans several windows");

    let path = import(&app, &staff, "ndjson", file.as_bytes()).await;
    assert!(transfers.settle().await);
    let done = expect(&app, Call::get(&path), &staff, 200).await;
    assert_eq!(
        (&done["status"], &done["rows"], &done["refused"], &done["created"]),
        (&json!("completed"), &json!(refused + 1), &json!(refused), &json!(1)),
        "{done}"
    );
    let id = done["id"].as_str().unwrap().parse().unwrap();
    let job = app.store.transfer(app.business, id).await.unwrap().unwrap();
    let outcomes = app.store.outcomes(&job, 1000, None).await.unwrap().items;
    let lines: Vec<u64> = outcomes.iter().map(RowOutcome::line).collect();
    assert_eq!(
        lines,
        (1..=refused as u64).collect::<Vec<_>>(),
        "every line once, in order"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, RowOutcome::Refused { errors, .. } if errors[0].field == "full_name"))
    );
    assert!(
        customer_by_email(&app, &staff, "after.long@example.com")
            .await
            .is_some()
    );
}
