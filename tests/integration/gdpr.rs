//! The gdpr route group: an export holds everything the service keeps about
//! a customer; an erasure leaves no trace of it, even when cut short.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_auth::Role;
use clientele_core::facts::{Fact, FactKind};
use clientele_core::{BusinessId, Timestamp};
use clientele_http::HttpFunction;
use clientele_tests::app::{Stream, download};
use clientele_tests::fixtures::TINY_PNG;
use clientele_tests::proxy::behind_dynamodb_proxy;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};
use serde_json::{Value, json};

/// What a rich customer was made with, to look for afterwards.
struct Person {
    id: String,
    user_id: String,
    email: String,
    name: String,
    phone: String,
    notes: Vec<String>,
    team_email: String,
}

async fn ok(app: &TestApp, call: Call) -> Value {
    let what = format!("{} {}", call.method(), call.path());
    app.send(call).await.success(&what)
}

/// A customer with every kind of item: tags, notes, an avatar, an update (a
/// rate window), a team user, tokens bought and spent, a counted fact, and
/// the events all of them recorded.
async fn rich_customer(app: &TestApp, name: &str, notes: usize) -> Person {
    let staff = app.token(Role::Staff);
    let body = customer_body(name);
    let customer = app.created(&body).await;
    let id = customer["id"].as_str().unwrap().to_owned();
    let path = format!("/api/customers/{id}");
    let digits = uuid::Uuid::new_v4().as_u128() % 1_000_000;
    let phone = format!("+40 744 {:03} {:03}", digits / 1000, digits % 1000);
    ok(app, Call::patch(&path).bearer(&staff).json(&json!({"phone": &phone}))).await;
    ok(
        app,
        Call::post(&format!("{path}/tags"))
            .bearer(&staff)
            .json(&json!([{"label": "VIP", "priority": 1}, {"label": "Newsletter"}])),
    )
    .await;
    let mut written = Vec::new();
    for n in 0..notes {
        let content = format!("Private note {n} about {name}: {}", "x".repeat(300));
        ok(
            app,
            Call::post(&format!("{path}/notes"))
                .bearer(&staff)
                .json(&json!({"content": content})),
        )
        .await;
        written.push(content);
    }
    ok(
        app,
        Call::post(&format!("{path}/avatar"))
            .bearer(&staff)
            .header("content-type", "image/png")
            .bytes(&TINY_PNG),
    )
    .await;
    let first_name = name.split(' ').next().unwrap_or(name).to_lowercase();
    let team_email = format!("{first_name}.team-{digits}@example.com");
    ok(
        app,
        Call::post(&format!("{path}/users"))
            .bearer(&staff)
            .json(&json!({"email": &team_email, "full_name": format!("{name} Junior")})),
    )
    .await;
    let admin = app.token(Role::Admin);
    for (route, body) in [
        (
            "purchase",
            json!({"amount": 50, "movement_key": "gdpr-buy", "reference": "INV-1"}),
        ),
        ("use", json!({"amount": 20, "movement_key": "gdpr-use"})),
    ] {
        ok(
            app,
            Call::post(&format!("{path}/tokens/{route}")).bearer(&admin).json(&body),
        )
        .await;
    }
    let detail = json!({"orderId": "order-1", "customerId": id, "businessId": app.business, "amount": 25.5});
    let now = Timestamp::now();
    let fact = Fact::from_detail(FactKind::OrderCompleted, &detail, now, now).unwrap();
    clientele_operations::facts::record(&app.store, &fact, now)
        .await
        .unwrap();
    Person {
        id,
        user_id: body["user_id"].as_str().unwrap().to_owned(),
        email: body["email"].as_str().unwrap().to_owned(),
        name: name.to_owned(),
        phone,
        notes: written,
        team_email,
    }
}

/// The gdpr function of `app`, answering exports larger than `bytes` with a link.
fn inline_limit(app: &TestApp, bytes: usize) -> HttpFunction {
    let small = gdpr::App {
        context: app.context(),
        files: app.avatars.clone(),
        settings: gdpr::Settings {
            max_inline_bytes: bytes,
        },
    };
    gdpr::routes().serve(Arc::new(small), app.in_process.clone())
}

/// The original service's body: the customer's platform user, in `app`'s business.
fn user_body(app: &TestApp, person: &Person) -> Value {
    json!({"user_id": person.user_id, "business_id": app.business.to_string()})
}

async fn gdpr(app: &TestApp, action: &str, body: &Value) -> TestResponse {
    app.send(
        Call::post(&format!("/api/gdpr/{action}"))
            .bearer(&app.token(Role::Admin))
            .json(body),
    )
    .await
}

fn text_of(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) => s.clone(),
        AttributeValue::M(m) => m.values().map(text_of).collect::<Vec<_>>().join(" "),
        AttributeValue::L(l) => l.iter().map(text_of).collect::<Vec<_>>().join(" "),
        other => format!("{other:?}"),
    }
}

/// Every item of the table that names the customer anywhere, counted by kind.
async fn items_naming(app: &TestApp, id: &str) -> BTreeMap<String, u64> {
    let mut kinds = BTreeMap::new();
    for item in app.items().await {
        if item.values().any(|v| text_of(v).contains(id)) {
            let kind = item.get("entity").map(text_of).unwrap_or_else(|| "no entity".into());
            *kinds.entry(kind).or_insert(0) += 1;
        }
    }
    kinds
}

#[tokio::test]
async fn an_export_holds_every_kind_of_item_the_table_keeps_about_the_customer() {
    let app = TestApp::spawn().await;
    let person = rich_customer(&app, "Erika Export", 3).await;
    let response = gdpr(&app, "export", &json!({"customer_id": person.id})).await;
    assert_eq!(response.status, 200, "{}", response.problem());
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let export = response.json();

    assert_eq!(export["schema_version"], 1);
    assert!(export["exported_at"].is_string() && export["created_at"].is_string() && export["updated_at"].is_string());
    assert_eq!(export["profile"]["email"], person.email.as_str());
    assert_eq!(export["profile"]["phone"], person.phone.as_str());
    assert_eq!(export["statistics"]["total_orders"], 1);
    assert_eq!(export["statistics"]["returned_orders"], 0);
    let labels: Vec<&str> = export["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Newsletter", "VIP"], "by priority, then label");
    let notes: Vec<&str> = export["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["content"].as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 3);
    assert_eq!(notes[0], person.notes[2], "newest first");
    let (status, image) = download(export["avatar"]["download_url"].as_str().unwrap()).await;
    assert_eq!((status, image.as_ref()), (200, &TINY_PNG[..]));
    let history: Vec<&str> = export["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    for kind in [
        "customer.created",
        "customer.updated",
        "customer.tag.added",
        "customer.note.added",
    ] {
        assert!(history.contains(&kind), "{kind} not in {history:?}");
    }
    assert_eq!(export["facts_counted"].as_array().unwrap().len(), 1);
    assert!(!export["rate_limit_windows"].as_array().unwrap().is_empty());
    assert_eq!(export["uniqueness_claims"].as_array().unwrap().len(), 2);
    let team: Vec<&str> = export["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert_eq!(
        team,
        [person.team_email.as_str()],
        "the team user, with its email claim"
    );
    assert_eq!(export["users"].as_array().unwrap().len(), 2);
    let tokens = export["tokens"].as_array().unwrap();
    let balance = tokens.iter().find(|t| t.get("balance").is_some()).unwrap();
    assert_eq!(balance["balance"], 30);
    let entries: Vec<&Value> = tokens.iter().filter(|t| t.get("balance_after").is_some()).collect();
    assert_eq!(entries.len(), 2, "the ledger: a purchase and a use");

    // Every item that names the customer is counted in the export, and each
    // kind has a section of its own: a new kind of item fails here until the
    // export describes it.
    let counted: BTreeMap<String, u64> = serde_json::from_value(export["items"].clone()).unwrap();
    assert_eq!(counted, items_naming(&app, &person.id).await);
    assert_eq!(export["other_records"], json!({}), "every kind has its section");

    let by_user = gdpr(&app, "export", &user_body(&app, &person)).await;
    assert_eq!(by_user.status, 200, "the original service's body");
    assert_eq!(by_user.json()["profile"], export["profile"]);
}

#[tokio::test]
async fn an_erasure_leaves_no_trace_in_the_table_or_the_bucket_and_can_be_repeated() {
    let app = TestApp::spawn().await;
    let person = rich_customer(&app, "Elias Erased", 2).await;
    let other = rich_customer(&app, "Olivia Other", 1).await;
    let small = inline_limit(&app, 1_000);
    let request = Call::post("/api/gdpr/export")
        .bearer(&app.token(Role::Admin))
        .json(&json!({"customer_id": person.id}))
        .to_request();
    let stored = TestResponse::read(small.handle(request).await).await;
    assert!(stored.json()["download_url"].is_string(), "a large export is stored");
    assert_eq!(app.objects().await.len(), 3, "two avatars and one export");

    let erased = gdpr(&app, "delete", &user_body(&app, &person)).await;
    assert_eq!(erased.status, 200, "{}", erased.problem());
    let answer = erased.json();
    assert_eq!(answer["status"], "erased");
    let receipt = &answer["receipt"];
    assert_eq!(receipt["customer_id"], person.id.as_str());
    assert_eq!(receipt["erased_by"], "user:test-user");
    assert_eq!(receipt["objects"], 2, "the avatar and the export");
    assert_eq!(receipt["items"]["Note"], 2);
    assert_eq!(receipt["items"]["Tag"], 2);
    assert_eq!(receipt["items"]["Customer"], 1);
    assert!(
        receipt["items"].get("LedgerEntry").is_none(),
        "the ledger is not erased"
    );
    assert_eq!(
        receipt["kept"],
        json!({"LedgerEntry": 2, "TokenBalance": 1, "TokenMovement": 2}),
        "the ledger is kept for accounting, and the receipt says so"
    );

    let everything: String = app
        .items()
        .await
        .iter()
        .flat_map(|i| i.values().map(text_of))
        .collect::<Vec<_>>()
        .join("\n");
    let objects = app.objects().await;
    for trace in [
        person.email.as_str(),
        person.name.as_str(),
        person.phone.as_str(),
        person.notes[0].as_str(),
        person.user_id.as_str(),
        person.team_email.as_str(),
    ] {
        assert!(!everything.contains(trace), "{trace:?} is still in the table");
    }
    assert!(everything.contains(&other.email), "another customer is untouched");
    assert!(objects.iter().all(|k| !k.contains(&person.id)), "{objects:?}");
    assert_eq!(objects.len(), 1, "the other customer's avatar stays");
    let receipt_text = receipt.to_string();
    assert!(!receipt_text.contains(&person.email) && !receipt_text.contains("Elias"));

    let left = items_naming(&app, &person.id).await;
    assert_eq!(
        left,
        BTreeMap::from([
            ("ErasureReceipt".to_owned(), 1),
            ("Event".to_owned(), 1),
            ("LedgerEntry".to_owned(), 2),
            ("TokenBalance".to_owned(), 1),
            ("TokenMovement".to_owned(), 2),
        ]),
        "only the receipt, the erasure's own event, and the token ledger kept for accounting"
    );
    let deleted: Vec<Value> = app
        .items_of("Event")
        .await
        .iter()
        .filter(|e| text_of(&e["customer_id"]) == person.id)
        .map(|e| serde_json::from_str(&text_of(&e["detail"])).unwrap())
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["erasure"], true);

    assert_eq!(
        gdpr(&app, "export", &json!({"customer_id": person.id})).await.status,
        404
    );
    let again = gdpr(&app, "delete", &json!({"customer_id": person.id})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["status"], "nothing_left");
    assert_eq!(again.json()["receipt"], *receipt);
    let by_user = gdpr(&app, "delete", &user_body(&app, &person)).await;
    assert_eq!(by_user.status, 404, "the platform user is no longer known");
}

#[tokio::test]
async fn an_erasure_cut_short_completes_when_run_again() {
    let (app, proxy) = behind_dynamodb_proxy(Stream::Off).await;
    let person = rich_customer(&app, "Ida Interrupted", 4).await;

    proxy.fail("TransactWriteItems");
    let cut = gdpr(&app, "delete", &json!({"customer_id": person.id})).await;
    assert_eq!(cut.status, 503, "{}", cut.problem());
    let left = items_naming(&app, &person.id).await;
    assert!(
        left.contains_key("Customer"),
        "the record stays until the last step: {left:?}"
    );
    assert!(!left.contains_key("Note"), "the dependents went first: {left:?}");

    proxy.heal("TransactWriteItems");
    let done = gdpr(&app, "delete", &json!({"customer_id": person.id})).await;
    assert_eq!(done.status, 200, "{}", done.problem());
    assert_eq!(done.json()["status"], "erased");
    let everything: String = app
        .items()
        .await
        .iter()
        .flat_map(|i| i.values().map(text_of))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!everything.contains(&person.email) && !everything.contains(&person.notes[0]));
    assert!(app.objects().await.is_empty());
}

#[tokio::test]
async fn a_large_customer_exports_through_a_link_and_erases_completely() {
    let app = TestApp::spawn().await;
    let person = rich_customer(&app, "Lars Large", 120).await;
    let small = inline_limit(&app, 64 * 1024);
    let request = Call::post("/api/gdpr/export")
        .bearer(&app.token(Role::Admin))
        .json(&json!({"customer_id": person.id}))
        .to_request();
    let answer = TestResponse::read(small.handle(request).await).await;
    assert_eq!(answer.status, 200);
    let link = answer.json();
    assert!(link["size_bytes"].as_u64().unwrap() > 64 * 1024);
    let (status, body) = download(link["download_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let export: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(export["notes"].as_array().unwrap().len(), 120);
    assert_eq!(export["items"]["Note"], 120);

    let erased = gdpr(&app, "delete", &json!({"customer_id": person.id})).await;
    assert_eq!(erased.status, 200, "{}", erased.problem());
    assert_eq!(erased.json()["receipt"]["items"]["Note"], 120);
    let left = items_naming(&app, &person.id).await;
    assert_eq!(
        left.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "ErasureReceipt",
            "Event",
            "LedgerEntry",
            "TokenBalance",
            "TokenMovement"
        ]
    );
    assert!(app.objects().await.is_empty());
}

#[tokio::test]
async fn only_admins_of_the_customers_business_may_export_or_erase() {
    let app = TestApp::spawn().await;
    let person = rich_customer(&app, "Gina Guarded", 1).await;
    let body = json!({"customer_id": person.id});
    for role in [Role::Viewer, Role::Staff] {
        for action in ["export", "delete"] {
            let response = app
                .send(
                    Call::post(&format!("/api/gdpr/{action}"))
                        .bearer(&app.token(role))
                        .json(&body),
                )
                .await;
            assert_eq!(response.status, 403, "{role:?} {action}");
        }
    }
    let stranger = token(BusinessId::random(), &[Role::Admin]);
    for action in ["export", "delete"] {
        let response = app
            .send(Call::post(&format!("/api/gdpr/{action}")).bearer(&stranger).json(&body))
            .await;
        assert_eq!(response.status, 404, "another business's admin: {action}");
        let naming_other = gdpr(
            &app,
            action,
            &json!({"user_id": person.user_id, "business_id": BusinessId::random().to_string()}),
        )
        .await;
        assert_eq!(naming_other.status, 404, "a body naming another business: {action}");
    }
    for bad in [
        json!({}),
        json!({"customer_id": "nope"}),
        json!({"customer_id": person.id, "email": "x"}),
    ] {
        let response = gdpr(&app, "delete", &bad).await;
        assert_eq!(response.status, 422, "{bad}");
    }
    let wrong_method = app
        .send(Call::get("/api/gdpr/export").bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(wrong_method.status, 405);
    let still: HashMap<String, u64> = items_naming(&app, &person.id).await.into_iter().collect();
    assert_eq!(still.get("Customer"), Some(&1), "nothing was erased");
}
