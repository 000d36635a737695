//! `DELETE /api/customers/{id}`, and the sweep that finishes it.

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_store::DynamoStore;
use clientele_tests::app::sdk_config;
use clientele_tests::delivery::EventFlow;
use clientele_tests::fixtures::TINY_PNG;
use clientele_tests::proxy::FaultyProxy;
use clientele_tests::services::dynamodb_endpoint;
use clientele_tests::sweeps::Sweeps;
use clientele_tests::{Call, TestApp, customer_body, token};
use futures::StreamExt;
use serde_json::{Value, json};

/// Every item of the table that names the customer, in its keys or its
/// attributes.
async fn held_about(app: &TestApp, id: &str) -> Vec<String> {
    app.items()
        .await
        .iter()
        .filter(|item| format!("{item:?}").contains(id))
        .map(|item| {
            format!(
                "{} {}",
                item["entity"].as_s().map(String::as_str).unwrap_or("?"),
                item["pk"].as_s().map(String::as_str).unwrap_or("?")
            )
        })
        .collect()
}

#[tokio::test]
async fn an_admin_deletes_a_customer_and_the_sweeper_removes_everything_under_it() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let sweeps = Sweeps::new(&app).await;
    let body = customer_body("Gone Soon");
    let customer = app.created(&body).await;
    let id = customer["id"].as_str().unwrap();
    let path = format!("/api/customers/{id}");
    let patched = app
        .send(
            Call::patch(&path)
                .bearer(&app.token(Role::Staff))
                .json(&json!({"full_name": "Gone Sooner"})),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(app.items_of("RateWindow").await.len(), 1);
    let noted = app
        .send(
            Call::post(&format!("{path}/notes"))
                .bearer(&app.token(Role::Staff))
                .json(&json!({"content": "x"})),
        )
        .await;
    assert_eq!(noted.status, 201);

    let response = app.send(Call::delete(&path).bearer(&app.token(Role::Admin))).await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    let read = app.send(Call::get(&path).bearer(&app.token(Role::Admin))).await;
    assert_eq!(read.status, 404);
    assert_eq!(app.items_of("Tombstone").await.len(), 1, "until the sweep is done");

    assert!(sweeps.settle().await);
    assert_eq!(held_about(&app, id).await, Vec::<String>::new());
    let published = flow.deliver().await;
    assert!(
        published.iter().any(|e| e["detail-type"] == "customer.deleted"),
        "the sweep took the recorded event, not its publication: {published:?}"
    );

    assert_eq!(
        app.create(&body).await.status,
        201,
        "the email and user id are free again"
    );
    let again = app.send(Call::delete(&path).bearer(&app.token(Role::Admin))).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn a_customer_with_thousands_of_children_is_swept_to_nothing_despite_a_failed_sweep() {
    let app = TestApp::spawn_with_stream().await;
    let customer = app.created(&customer_body("Hoarder")).await;
    let id = customer["id"].as_str().unwrap().to_owned();
    let path = format!("/api/customers/{id}");
    let staff = app.token(Role::Staff);
    for batch in 0..4 {
        let labels: Vec<Value> = (0..25).map(|n| json!({"label": format!("tag-{batch}-{n}")})).collect();
        let tagged = app
            .send(
                Call::post(&format!("{path}/tags"))
                    .bearer(&staff)
                    .json(&Value::Array(labels)),
            )
            .await;
        tagged.success("tags");
    }
    let notes = futures::stream::iter(0..1_000)
        .map(|n| {
            let call = Call::post(&format!("{path}/notes"))
                .bearer(&staff)
                .json(&json!({"content": format!("note {n}")}));
            let app = &app;
            async move { app.send(call).await.status }
        })
        .buffer_unordered(16)
        .collect::<Vec<u16>>()
        .await;
    assert!(notes.iter().all(|status| *status == 201));
    for name in ["first.png", "second.png"] {
        let stray = format!("avatars/{}/{id}/{name}", app.business);
        app.avatars.put(&stray, TINY_PNG.to_vec(), "image/png").await.unwrap();
    }
    let export = format!("exports/{}/{id}/2026-01-01T00:00:00Z.json", app.business);
    app.avatars
        .put(&export, b"{}".to_vec(), "application/json")
        .await
        .unwrap();
    assert!(
        held_about(&app, &id).await.len() > 2_000,
        "thousands of items under the customer"
    );

    let deleted = app.send(Call::delete(&path).bearer(&app.token(Role::Admin))).await;
    assert_eq!(deleted.status, 204);

    // The sweep fails halfway, as DynamoDB might; the stream hands the
    // tombstone back, and the next attempt finishes.
    let proxy = FaultyProxy::start(dynamodb_endpoint()).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk_config(&proxy.endpoint).await);
    let sweeps = Sweeps::with_store(&app, DynamoStore::new(client, app.table.clone())).await;
    proxy.fail_after("BatchWriteItem", 20);
    assert!(!sweeps.run().await, "the first sweep fails");
    let left = held_about(&app, &id).await;
    assert!(
        left.len() > 100,
        "the failed sweep stopped partway: {} left",
        left.len()
    );
    assert!(
        left.iter().any(|item| item.starts_with("Tombstone")),
        "its tombstone stays"
    );
    proxy.heal("BatchWriteItem");
    // The stream hands the tombstone back until a sweep finishes; on a
    // loaded local DynamoDB one more attempt may time out first.
    let mut finished = false;
    for _ in 0..3 {
        finished = sweeps.run().await;
        if finished {
            break;
        }
    }
    assert!(finished, "a retried sweep succeeds");

    assert_eq!(
        held_about(&app, &id).await,
        Vec::<String>::new(),
        "a full scan finds nothing of it"
    );
    let objects: Vec<String> = app
        .objects()
        .await
        .into_iter()
        .filter(|key| key.contains(&id))
        .collect();
    assert_eq!(objects, Vec::<String>::new(), "nor does a bucket listing");
}

#[tokio::test]
async fn gdpr_requests_finish_a_deletion_the_sweeper_has_not() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin);
    let mut ids = Vec::new();
    for name in ["Ex Ported", "Er Ased"] {
        let id = app.created(&customer_body(name)).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/api/customers/{id}");
        for n in 0..3 {
            let noted = app
                .send(
                    Call::post(&format!("{path}/notes"))
                        .bearer(&admin)
                        .json(&json!({"content": format!("secret {n}")})),
                )
                .await;
            assert_eq!(noted.status, 201);
        }
        assert_eq!(app.send(Call::delete(&path).bearer(&admin)).await.status, 204);
        assert!(!held_about(&app, &id).await.is_empty(), "no sweeper ran");
        ids.push(id);
    }

    let export = app
        .send(
            Call::post("/api/gdpr/export")
                .bearer(&admin)
                .json(&json!({"customer_id": ids[0]})),
        )
        .await;
    assert_eq!(
        export.status,
        404,
        "nothing is held any more: {}",
        String::from_utf8_lossy(&export.body)
    );
    assert_eq!(
        held_about(&app, &ids[0]).await,
        Vec::<String>::new(),
        "the export finished the deletion"
    );

    let erased = app
        .send(
            Call::post("/api/gdpr/delete")
                .bearer(&admin)
                .json(&json!({"customer_id": ids[1]})),
        )
        .await
        .success("erase");
    assert_eq!(erased["status"], "erased");
    assert_eq!(erased["receipt"]["items"]["Note"], 3, "{erased}");
    let left = held_about(&app, &ids[1]).await;
    assert!(
        left.iter().all(|item| item.starts_with("ErasureReceipt")),
        "only the receipt stays: {left:?}"
    );
    let again = app
        .send(
            Call::post("/api/gdpr/delete")
                .bearer(&admin)
                .json(&json!({"customer_id": ids[1]})),
        )
        .await
        .success("erase again");
    assert_eq!(again["status"], "nothing_left");
    // Of another business, a deleted customer is not found at all.
    let other = app
        .send(
            Call::post("/api/gdpr/delete")
                .bearer(&token(BusinessId::random(), &[Role::Admin]))
                .json(&json!({"customer_id": ids[0]})),
        )
        .await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn only_admins_of_the_business_delete() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Kept")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/customers/{id}");
    for role in [Role::Viewer, Role::Staff] {
        let response = app.send(Call::delete(&path).bearer(&app.token(role))).await;
        assert_eq!(
            (response.status, response.problem()),
            (403, "forbidden".to_owned()),
            "{role}"
        );
    }
    let outsider = app
        .send(Call::delete(&path).bearer(&token(BusinessId::random(), &[Role::Admin])))
        .await;
    assert_eq!(outsider.status, 404);
    assert_eq!(app.items_of("Customer").await.len(), 1);
}

#[tokio::test]
async fn a_delete_honours_if_match() {
    let app = TestApp::spawn().await;
    let id = app.created(&customer_body("Conditional")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/customers/{id}");
    let stale = app
        .send(
            Call::delete(&path)
                .bearer(&app.token(Role::Admin))
                .header("if-match", "\"7\""),
        )
        .await;
    assert_eq!(stale.status, 412);
    assert_eq!(app.items_of("Customer").await.len(), 1);
    let current = app
        .send(
            Call::delete(&path)
                .bearer(&app.token(Role::Admin))
                .header("if-match", "\"1\""),
        )
        .await;
    assert_eq!(current.status, 204);
}
