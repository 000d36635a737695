//! Tokens: a balance and its append-only ledger, moved once per movement
//! key, never below zero however many spend at once, against DynamoDB Local.

use clientele_auth::Role;
use clientele_core::CustomerId;
use clientele_store::keys;
use clientele_tests::delivery::EventFlow;
use clientele_tests::{Call, TestApp, TestResponse, customer_body};
use serde_json::{Value, json};

async fn customer(app: &TestApp, name: &str) -> String {
    app.created(&customer_body(name)).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn movement(app: &TestApp, customer: &str, route: &str, role: Role, body: Value) -> TestResponse {
    app.send(
        Call::post(&format!("/api/customers/{customer}/tokens/{route}"))
            .bearer(&app.token(role))
            .json(&body),
    )
    .await
}

async fn moved(app: &TestApp, customer: &str, route: &str, body: Value) -> Value {
    let response = movement(app, customer, route, Role::Admin, body).await;
    assert_eq!(response.status, 201, "{route}: {}", response.problem());
    response.json()
}

async fn balance(app: &TestApp, customer: &str) -> Value {
    let response = app
        .send(Call::get(&format!("/api/customers/{customer}/tokens")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(response.status, 200, "{}", response.problem());
    response.json()
}

async fn ledger(app: &TestApp, customer: &str, query: &str) -> Value {
    let path = format!("/api/customers/{customer}/tokens/ledger{query}");
    let response = app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await;
    assert_eq!(response.status, 200, "{path}: {}", response.problem());
    response.json()
}

#[tokio::test]
async fn movements_write_the_ledger_and_the_balance_with_their_events() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let holder = customer(&app, "Token Holder").await;
    let empty = balance(&app, &holder).await;
    assert_eq!(
        (&empty["balance"], &empty["sequence"], &empty["updated_at"]),
        (&json!(0), &json!(0), &Value::Null)
    );

    let bought = moved(
        &app,
        &holder,
        "purchase",
        json!({"amount": 100, "movement_key": "buy-1", "reference": "INV-2026-0042"}),
    )
    .await;
    assert_eq!(
        (
            &bought["kind"],
            &bought["amount"],
            &bought["balance_after"],
            &bought["sequence"]
        ),
        (&json!("purchase"), &json!(100), &json!(100), &json!(1))
    );
    assert_eq!(bought["reference"], "INV-2026-0042");
    assert_eq!(bought["created_by"], "user:test-user");
    moved(
        &app,
        &holder,
        "allocate",
        json!({"amount": 20, "movement_key": "gift-1"}),
    )
    .await;
    let spent = movement(
        &app,
        &holder,
        "use",
        Role::Staff,
        json!({"amount": 30, "movement_key": "use-1", "reference": "order:7"}),
    )
    .await;
    assert_eq!(spent.status, 201, "{}", spent.problem());
    assert_eq!(
        (&spent.json()["amount"], &spent.json()["balance_after"]),
        (&json!(-30), &json!(90))
    );
    moved(
        &app,
        &holder,
        "refund",
        json!({"amount": 10, "movement_key": "refund-1", "reference": "use-1"}),
    )
    .await;
    let adjusted = moved(
        &app,
        &holder,
        "adjust",
        json!({"amount": -5, "movement_key": "fix-1", "reason": "correction"}),
    )
    .await;
    assert_eq!(
        (&adjusted["reason"], &adjusted["balance_after"]),
        (&json!("correction"), &json!(95))
    );

    let now = balance(&app, &holder).await;
    assert_eq!((&now["balance"], &now["sequence"]), (&json!(95), &json!(5)));
    assert_eq!(now["updated_at"], adjusted["created_at"]);

    // Newest first, in pages.
    let first = ledger(&app, &holder, "?limit=2").await;
    let sequences = |page: &Value| -> Vec<u64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["sequence"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(sequences(&first), [5, 4]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = ledger(&app, &holder, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(sequences(&second), [3, 2]);

    // A date range: from included, to excluded.
    let from = bought["created_at"].as_str().unwrap();
    let to = adjusted["created_at"].as_str().unwrap();
    let ranged = ledger(&app, &holder, &format!("?from={from}&to={to}")).await;
    assert_eq!(sequences(&ranged), [4, 3, 2, 1]);
    let refused = app
        .send(
            Call::get(&format!("/api/customers/{holder}/tokens/ledger?from={to}&to={from}"))
                .bearer(&app.token(Role::Viewer)),
        )
        .await;
    assert_eq!(refused.status, 400);

    // Each movement published its event: ids and amounts, no reference.
    let published = flow.deliver().await;
    for event in &published {
        clientele_tests::delivery::assert_matches_schema(event);
    }
    let token_events: Vec<(String, Value)> = published
        .iter()
        .filter(|e| e["detail-type"].as_str().unwrap().starts_with("token."))
        .map(|e| (e["detail-type"].as_str().unwrap().to_owned(), e["detail"].clone()))
        .collect();
    let types: Vec<&str> = token_events.iter().map(|(t, _)| t.as_str()).collect();
    for kind in [
        "token.purchased",
        "token.allocated",
        "token.used",
        "token.refunded",
        "token.adjusted",
    ] {
        assert!(types.contains(&kind), "{kind} not in {types:?}");
    }
    let (_, used) = token_events.iter().find(|(t, _)| t == "token.used").unwrap();
    assert_eq!(
        (
            &used["customerId"],
            &used["amount"],
            &used["balanceAfter"],
            &used["sequence"]
        ),
        (&json!(holder), &json!(-30), &json!(90), &json!(3))
    );
    let everything = published.iter().map(Value::to_string).collect::<String>();
    assert!(!everything.contains("INV-2026-0042") && !everything.contains("order:7"));

    // The audit trail names who moved the balance.
    let audit = app
        .send(Call::get(&format!("/api/customers/{holder}/audit")).bearer(&app.token(Role::Admin)))
        .await
        .json();
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "token.used" && e["fields"] == json!(["balance"])),
        "{audit}"
    );
    assert!(app.violations().await.is_empty());
}

#[tokio::test]
async fn a_spend_beyond_the_balance_is_refused_naming_it_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Short Holder").await;
    moved(&app, &holder, "purchase", json!({"amount": 3, "movement_key": "buy"})).await;
    let before = app.items().await.len();
    let refused = movement(
        &app,
        &holder,
        "use",
        Role::Staff,
        json!({"amount": 5, "movement_key": "u"}),
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.problem());
    let problem = refused.json();
    assert!(
        problem["detail"].as_str().unwrap().contains("balance is 3 tokens"),
        "{problem}"
    );
    assert_eq!(problem["errors"][0]["field"], "amount");
    // An adjustment may not take it below zero either.
    let below = movement(
        &app,
        &holder,
        "adjust",
        Role::Admin,
        json!({"amount": -4, "movement_key": "a", "reason": "correction"}),
    )
    .await;
    assert_eq!(below.status, 409);
    assert_eq!(app.items().await.len(), before, "nothing was written");
    assert_eq!(balance(&app, &holder).await["balance"], 3);
    // The key of a refused movement is free for the next.
    let spent = movement(
        &app,
        &holder,
        "use",
        Role::Staff,
        json!({"amount": 3, "movement_key": "u"}),
    )
    .await;
    assert_eq!(spent.status, 201);
}

#[tokio::test]
async fn a_movement_key_replays_its_entry_and_refuses_other_values() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Keyed Holder").await;
    let body = json!({"amount": 40, "movement_key": "pay-77", "reference": "PAY-77"});
    let first = moved(&app, &holder, "purchase", body.clone()).await;
    let again = movement(&app, &holder, "purchase", Role::Admin, body).await;
    assert_eq!(again.status, 200, "a replay");
    assert_eq!(again.json(), first);
    assert_eq!(balance(&app, &holder).await["balance"], 40, "applied once");

    for (route, other) in [
        (
            "purchase",
            json!({"amount": 41, "movement_key": "pay-77", "reference": "PAY-77"}),
        ),
        ("purchase", json!({"amount": 40, "movement_key": "pay-77"})),
        (
            "allocate",
            json!({"amount": 40, "movement_key": "pay-77", "reference": "PAY-77"}),
        ),
    ] {
        let refused = movement(&app, &holder, route, Role::Admin, other).await;
        assert_eq!(refused.status, 409, "{route}: {}", refused.problem());
        assert_eq!(refused.json()["errors"][0]["field"], "movement_key");
    }
    // Keys are a customer's own: another customer's same key is another movement.
    let other = customer(&app, "Other Keyed Holder").await;
    moved(
        &app,
        &other,
        "purchase",
        json!({"amount": 40, "movement_key": "pay-77", "reference": "PAY-77"}),
    )
    .await;
    assert_eq!(balance(&app, &holder).await["balance"], 40);
}

#[tokio::test]
async fn concurrent_spends_never_take_the_balance_below_zero_and_it_always_equals_its_ledger() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Busy Holder").await;
    moved(
        &app,
        &holder,
        "purchase",
        json!({"amount": 10, "movement_key": "stock"}),
    )
    .await;
    // Sixteen spends of one token and their duplicates, at once, against ten
    // tokens: at most ten apply, each once. A client that gets a 503 asks
    // again with the same key, as it should: the key makes that safe.
    let spends = (0..16).flat_map(|n| [n, n]).map(|n| {
        let app = &app;
        let holder = &holder;
        async move {
            let body = json!({"amount": 1, "movement_key": format!("spend-{n}")});
            let mut answer = movement(app, holder, "use", Role::Staff, body.clone()).await;
            for _ in 0..3 {
                if answer.status != 503 {
                    break;
                }
                answer = movement(app, holder, "use", Role::Staff, body.clone()).await;
            }
            (n, answer)
        }
    });
    let answers = futures::future::join_all(spends).await;
    let mut applied = std::collections::BTreeSet::new();
    for (n, answer) in &answers {
        match answer.status {
            200 | 201 => {
                applied.insert(*n);
            }
            409 => {
                let field = answer.json()["errors"][0]["field"].clone();
                assert!(field == "amount" || field == Value::Null, "{}", answer.problem());
            }
            other => panic!("spend {n} answered {other}: {}", answer.problem()),
        }
    }
    let now = balance(&app, &holder).await;
    let entries = ledger(&app, &holder, "?limit=100").await;
    let items = entries["items"].as_array().unwrap();
    let uses = items.iter().filter(|e| e["kind"] == "use").count();
    assert_eq!(uses, applied.len(), "one entry per key that applied");
    assert!(uses <= 10);
    let sum: i64 = items.iter().map(|e| e["amount"].as_i64().unwrap()).sum();
    assert_eq!(now["balance"].as_i64().unwrap(), sum);
    assert!(sum >= 0);
    assert!(app.violations().await.is_empty(), "{:?}", app.violations().await);
}

#[tokio::test]
async fn bad_movements_are_refused_before_anything_is_read() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Strict Holder").await;
    for (route, body, field) in [
        ("purchase", json!({"amount": 0, "movement_key": "k"}), "amount"),
        ("purchase", json!({"amount": 5}), "movement_key"),
        (
            "purchase",
            json!({"amount": 5, "movement_key": "k", "reference": "jane@example.com"}),
            "reference",
        ),
        ("refund", json!({"amount": 5, "movement_key": "k"}), "reference"),
        ("adjust", json!({"amount": 5, "movement_key": "k"}), "reason"),
        (
            "adjust",
            json!({"amount": 5, "movement_key": "k", "reason": "because"}),
            "reason",
        ),
        ("use", json!({"amount": 5, "movement_key": "k", "note": "x"}), "note"),
    ] {
        let refused = movement(&app, &holder, route, Role::Admin, body).await;
        assert_eq!(refused.status, 422, "{route}");
        assert_eq!(refused.json()["errors"][0]["field"], field, "{route}");
    }
    // Staff spend, but buy, grant, refund and adjust only as admins.
    for route in ["purchase", "allocate", "refund", "adjust"] {
        let body = json!({"amount": 1, "movement_key": "k", "reference": "r", "reason": "other"});
        assert_eq!(
            movement(&app, &holder, route, Role::Staff, body).await.status,
            403,
            "{route}"
        );
    }
    let missing = CustomerId::random();
    let unknown = movement(
        &app,
        &missing.to_string(),
        "purchase",
        Role::Admin,
        json!({"amount": 1, "movement_key": "k"}),
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert!(app.items_of("LedgerEntry").await.is_empty());
}

#[tokio::test]
async fn the_checker_finds_a_ledger_that_does_not_add_up() {
    let app = TestApp::spawn().await;
    let holder = customer(&app, "Audited Holder").await;
    moved(&app, &holder, "purchase", json!({"amount": 10, "movement_key": "a"})).await;
    moved(&app, &holder, "allocate", json!({"amount": 5, "movement_key": "b"})).await;
    assert!(app.violations().await.is_empty());
    let id = CustomerId::parse(&holder).unwrap();
    app.set_number_raw(&keys::token_balance(id), "balance", 14).await;
    app.delete_raw(&keys::token_movement(id, "a")).await;
    let found = app.violations().await;
    let says = |words: &[&str]| found.iter().any(|v| words.iter().all(|w| v.contains(w)));
    assert!(says(&[&holder, "balance says 14", "adds up to 15"]), "{found:#?}");
    assert!(says(&[&holder, "movement key a does not name it"]), "{found:#?}");
}
