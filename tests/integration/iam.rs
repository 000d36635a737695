//! Least privilege, checked against the code: every route of every function,
//! the authorizer, the inbound function and the publisher run with AWS clients
//! (DynamoDB, S3, EventBridge, SQS, Secrets Manager) that record the IAM
//! action each call needs; each function's policy in `infra/template.yaml`
//! must grant every action recorded, and nothing else but the few actions
//! named below, which are used without a call of the function's own.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use clientele_auth::{Principal, Role};
use clientele_avatars::AvatarBucket;
use clientele_core::{BusinessId, ClientName, Scope, Timestamp};
use clientele_http::idempotency::Idempotency;
use clientele_http::{Authenticator, HttpFunction};
use clientele_operations::Context;
use clientele_operations::data::DataPolicy;
use clientele_stack::Template;
use clientele_store::DynamoStore;
use clientele_store::budget::RequestBudget;
use clientele_tests::app::{Stream, basic, dynamodb_client, fresh_bucket, fresh_table, sdk_config, verifier_through};
use clientele_tests::clock::TestClock;
use clientele_tests::cloudformation::{Deployed, Request as PolicyRequest, allowed};
use clientele_tests::fixtures::TINY_PNG;
use clientele_tests::iam::{RecordedMoto, Recorder, recorded_dynamodb};
use clientele_tests::services::{moto_endpoint, project_root};
use clientele_tests::{Call, TestResponse, customer_body};
use serde_json::{Value, json};

/// Actions a policy grants that this run does not see called, and why.
const NOT_REACHED: &[(&str, &str, &str)] = &[
    ("publisher", "dynamodb:DescribeStream", STREAM),
    ("publisher", "dynamodb:GetRecords", STREAM),
    ("publisher", "dynamodb:GetShardIterator", STREAM),
    ("publisher", "dynamodb:ListStreams", STREAM),
    ("sweeper", "dynamodb:DescribeStream", SWEEPER_STREAM),
    ("sweeper", "dynamodb:GetRecords", SWEEPER_STREAM),
    ("sweeper", "dynamodb:GetShardIterator", SWEEPER_STREAM),
    ("sweeper", "dynamodb:ListStreams", SWEEPER_STREAM),
    (
        "tokens",
        "dynamodb:DeleteItem",
        "a request that fails on our side gives up its Idempotency-Key, so that a retry runs it again",
    ),
    (
        "sweeper",
        "sqs:SendMessage",
        "the stream mapping sends exhausted batches to the dead-letter queue",
    ),
];

/// The sweeper's mapping reads the same stream, as the sweeper.
const SWEEPER_STREAM: &str = "the stream mapping reads the table's stream as the sweeper";

/// Lambda's event source mapping reads the stream with the function's role.
const STREAM: &str = "the stream mapping reads the table's stream as the publisher";

/// The actions each function's inline policies allow, in the template as
/// deployed with a requester's queue and bus for data responses.
fn granted() -> BTreeMap<String, BTreeSet<String>> {
    let template = Deployed::template(&[
        ("DataResponseQueueArns", "arn:aws:sqs:us-east-1:210987654321:answers"),
        (
            "DataResponseBusArns",
            "arn:aws:events:us-east-1:210987654321:event-bus/answers",
        ),
    ]);
    let mut granted = BTreeMap::new();
    for function in Template::bundled().unwrap().functions() {
        let mut actions = BTreeSet::new();
        for statement in template.function_statements(&function.resource) {
            if statement["Effect"] == "Allow" {
                match &statement["Action"] {
                    Value::String(one) => {
                        actions.insert(one.clone());
                    }
                    Value::Array(many) => actions.extend(many.iter().filter_map(|a| a.as_str().map(str::to_owned))),
                    _ => {}
                }
            }
        }
        granted.insert(function.binary, actions);
    }
    granted
}

struct Recorded {
    recorder: Recorder,
    store: DynamoStore,
    moto: RecordedMoto,
}

async fn recorded(table: &str) -> Recorded {
    let recorder = Recorder::default();
    let store = DynamoStore::new(recorded_dynamodb(&recorder).await, table.to_owned());
    let moto = RecordedMoto::new(&recorder).await;
    Recorded { recorder, store, moto }
}

fn ok(response: TestResponse, what: &str) -> Value {
    response.success(what)
}

fn inbound(
    name: &str,
    customer: &str,
    business: BusinessId,
) -> aws_lambda_events::event::eventbridge::EventBridgeEvent<Value> {
    let text = std::fs::read_to_string(project_root().join("events/inbound").join(name)).unwrap();
    let text = text
        .replace("123e4567-e89b-12d3-a456-426614174002", customer)
        .replace("123e4567-e89b-12d3-a456-426614174001", &business.to_string());
    serde_json::from_str(&text).unwrap()
}

/// Feeds the table's stream, from its start, to `handle` until it is
/// drained, as the function's event source mapping would.
async fn drain<H, F>(dynamodb: &aws_sdk_dynamodb::Client, table: &str, batch: usize, handle: H)
where
    H: Fn(aws_lambda_events::event::dynamodb::Event) -> F,
    F: std::future::Future<Output = aws_lambda_events::event::streams::DynamoDbEventResponse>,
{
    let stream = clientele_tests::table_stream::TableStream::of(dynamodb, table).await;
    while stream.feed_once(batch, &handle).await.0 > 0 {}
}

#[tokio::test]
async fn every_aws_action_a_function_calls_is_granted_to_it_and_no_other() {
    let dynamodb = dynamodb_client().await;
    let table = fresh_table(&dynamodb, Stream::On).await;
    let business = BusinessId::random();
    let admin = Principal::user("iam-admin", business, vec![Role::Admin]);
    let clock: Arc<dyn clientele_core::Clock> = Arc::new(TestClock::new());
    let bucket = fresh_bucket().await;
    let moto = sdk_config(moto_endpoint()).await;
    let bus = format!("clientele-iam-{}", uuid::Uuid::new_v4().simple());
    clientele_stack::create_event_bus(&aws_sdk_eventbridge::Client::new(&moto), &bus)
        .await
        .unwrap();
    // Every POST is sent with its own Idempotency-Key, as a careful client sends it.
    let as_admin = |call: Call| {
        let call = if call.method() == "POST" {
            call.header("Idempotency-Key", &uuid::Uuid::new_v4().to_string())
        } else {
            call
        };
        call.authorized_as(&admin).to_request()
    };

    let context = |recorded: &Recorded| Context {
        store: recorded.store.clone(),
        clock: clock.clone(),
    };
    let customers = recorded(&table).await;
    // Every route function spends from the request budget and keeps the
    // answers of keyed POSTs, as deployed.
    let budget = |recorded: &Recorded| {
        RequestBudget::new(
            recorded.store.clone(),
            RequestBudget::DEFAULT_BUSINESS,
            RequestBudget::DEFAULT_CLIENT,
        )
        .unwrap()
    };
    let kept = |recorded: &Recorded| Idempotency::new(recorded.store.clone());
    let customers_app = customers::routes()
        .serve(
            Arc::new(customers::App {
                context: context(&customers),
                files: AvatarBucket::with_client(customers.moto.s3(), bucket.name()),
                settings: customers::Settings::default(),
            }),
            Authenticator::Gateway,
        )
        .with_budget(budget(&customers))
        .with_idempotency(kept(&customers));
    let tags = recorded(&table).await;
    let tags_app = tags::routes()
        .serve(context(&tags), Authenticator::Gateway)
        .with_budget(budget(&tags))
        .with_idempotency(kept(&tags));
    let notes = recorded(&table).await;
    let notes_app = notes::routes()
        .serve(context(&notes), Authenticator::Gateway)
        .with_budget(budget(&notes))
        .with_idempotency(kept(&notes));
    let contacts = recorded(&table).await;
    let contacts_app = contacts::routes()
        .serve(context(&contacts), Authenticator::Gateway)
        .with_budget(budget(&contacts))
        .with_idempotency(kept(&contacts));
    let interactions = recorded(&table).await;
    let interactions_app = interactions::routes()
        .serve(context(&interactions), Authenticator::Gateway)
        .with_budget(budget(&interactions))
        .with_idempotency(kept(&interactions));
    let tokens = recorded(&table).await;
    let tokens_app = tokens::routes()
        .serve(context(&tokens), Authenticator::Gateway)
        .with_budget(budget(&tokens))
        .with_idempotency(kept(&tokens));
    let users = recorded(&table).await;
    let users_app = users::routes()
        .serve(context(&users), Authenticator::Gateway)
        .with_budget(budget(&users))
        .with_idempotency(kept(&users));
    let subscriptions = recorded(&table).await;
    let subscriptions_app = subscriptions::routes()
        .serve(context(&subscriptions), Authenticator::Gateway)
        .with_budget(budget(&subscriptions))
        .with_idempotency(kept(&subscriptions));
    let gdpr = recorded(&table).await;
    let gdpr_app = gdpr::routes()
        .serve(
            Arc::new(gdpr::App {
                context: context(&gdpr),
                files: AvatarBucket::with_client(gdpr.moto.s3(), bucket.name()),
                // Small, so that the export is stored in the bucket.
                settings: gdpr::Settings { max_inline_bytes: 100 },
            }),
            Authenticator::Gateway,
        )
        .with_budget(budget(&gdpr))
        .with_idempotency(kept(&gdpr));
    let send =
        async |function: &HttpFunction, call: Call| TestResponse::read(function.handle(as_admin(call)).await).await;
    let customer = |call: Call| send(&customers_app, call);
    let tag = |call: Call| send(&tags_app, call);
    let note = |call: Call| send(&notes_app, call);
    let contact = |call: Call| send(&contacts_app, call);
    let interaction = |call: Call| send(&interactions_app, call);
    let token = |call: Call| send(&tokens_app, call);
    let user = |call: Call| send(&users_app, call);
    let billing = |call: Call| send(&subscriptions_app, call);

    // The customers function: every route.
    let created = ok(
        customer(Call::post("/api/customers/").json(&customer_body("Ivy Iam"))).await,
        "create",
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let path = format!("/api/customers/{id}");
    ok(customer(Call::get(&path)).await, "get");
    ok(
        customer(Call::get("/api/customers/?status=pending&limit=5")).await,
        "list",
    );
    ok(
        customer(Call::patch(&path).json(&json!({"full_name": "Ivy I. Am"}))).await,
        "update",
    );
    ok(customer(Call::get(&format!("{path}/stats"))).await, "stats");
    ok(
        customer(
            Call::post(&format!("{path}/avatar"))
                .header("content-type", "image/png")
                .bytes(&TINY_PNG),
        )
        .await,
        "avatar",
    );
    ok(
        customer(
            Call::post(&format!("{path}/avatar"))
                .header("content-type", "image/png")
                .bytes(&TINY_PNG),
        )
        .await,
        "avatar replaced",
    );
    ok(customer(Call::get(&format!("{path}/avatar"))).await, "avatar link");
    ok(customer(Call::post(&format!("{path}/validate"))).await, "validate");
    ok(
        customer(Call::post(&format!("{path}/suspend")).json(&json!({"reason": "IAM"}))).await,
        "suspend",
    );
    ok(customer(Call::post(&format!("{path}/reactivate"))).await, "reactivate");
    ok(customer(Call::get("/api/customers/search?q=ivy")).await, "search");
    ok(customer(Call::get(&format!("{path}/statistics"))).await, "statistics");
    ok(
        customer(Call::get(&format!("{path}/orders?status=completed"))).await,
        "orders",
    );
    let missing = customer(Call::get(&format!("{path}/orders/order-1"))).await;
    assert_eq!(missing.status, 404, "no such order yet");
    ok(customer(Call::get("/api/customers/segments")).await, "segment counts");
    let list = ok(
        customer(Call::post("/api/customers/segments").json(&json!({"name": "IAM list", "kind": "list"}))).await,
        "save a list",
    );
    let segment = format!("/api/customers/segments/{}", list["id"].as_str().unwrap());
    ok(
        customer(Call::new("PUT", &format!("{segment}/customers/{id}"))).await,
        "put on the list",
    );
    ok(
        customer(Call::get(&format!("{segment}/customers"))).await,
        "the list's members",
    );
    ok(
        customer(Call::get("/api/customers/segments/saved")).await,
        "saved segments",
    );
    ok(customer(Call::get(&segment)).await, "a saved segment");
    ok(
        customer(Call::delete(&format!("{segment}/customers/{id}"))).await,
        "take off the list",
    );
    ok(
        customer(Call::new("PUT", &format!("{segment}/customers/{id}"))).await,
        "put back on it",
    );
    ok(
        customer(Call::delete(&segment)).await,
        "delete the list, and its places",
    );

    // The tags function: every route, and the customers list by tag.
    let one = ok(
        tag(Call::post("/api/customers/tags/").json(&json!({"customer_id": id, "label": "VIP"}))).await,
        "tag create",
    );
    let many = ok(
        tag(Call::post(&format!("{path}/tags")).json(&json!([{"label": "A"}, {"label": "B"}]))).await,
        "tags add",
    );
    ok(
        tag(Call::get(&format!("/api/customers/tags/customer/{id}"))).await,
        "tags of",
    );
    ok(customer(Call::get("/api/customers/?tag=VIP")).await, "list by tag");
    ok(
        tag(Call::delete(&format!(
            "/api/customers/tags/{}",
            one["id"].as_str().unwrap()
        )))
        .await,
        "tag remove",
    );
    let second = many["items"][0]["id"]
        .as_str()
        .or(many[0]["id"].as_str())
        .unwrap()
        .to_owned();
    ok(
        tag(Call::delete(&format!("{path}/tags/{second}"))).await,
        "tag remove from",
    );

    // The notes function: every route.
    let written = ok(
        note(Call::post(&format!("{path}/notes")).json(&json!({"content": "IAM"}))).await,
        "note add",
    );
    ok(note(Call::get(&format!("{path}/notes"))).await, "notes");
    ok(
        note(Call::delete(&format!(
            "{path}/notes/{}",
            written["id"].as_str().unwrap()
        )))
        .await,
        "note remove",
    );

    // The contacts function: every route.
    let added = ok(
        contact(
            Call::post("/api/contacts").json(&json!({"customer_id": id, "full_name": "Ina Contact",
            "emails": [{"address": "ina@example.com"}]})),
        )
        .await,
        "contact add",
    );
    let contact_path = format!("/api/contacts/{}", added["id"].as_str().unwrap());
    ok(
        contact(Call::get(&format!("/api/contacts/customer/{id}"))).await,
        "contacts of a customer",
    );
    ok(contact(Call::get(&contact_path)).await, "contact");
    ok(
        contact(Call::new("PUT", &contact_path).json(&json!({"full_name": "Ina Contact",
            "emails": [{"address": "ina.new@example.com"}]})))
        .await,
        "contact replace",
    );
    ok(
        contact(Call::new("PUT", &format!("{contact_path}/primary"))).await,
        "contact primary",
    );
    ok(
        contact(Call::get("/api/contacts/search?q=ina")).await,
        "contacts found in the business",
    );
    ok(
        contact(Call::get(&format!("/api/contacts/search?q=ina&customer_id={id}"))).await,
        "contacts found of a customer",
    );

    // The interactions function: every route; one is left for the sweeper.
    let call_about = |customer: &str, subject: &str| {
        json!({"customer_id": customer, "type": "call", "direction": "outbound",
            "subject": subject, "occurred_at": "2026-11-20T10:00:00Z", "duration_seconds": 60})
    };
    let mut first = call_about(&id, "Iam review");
    first["contact_id"] = added["id"].clone();
    let logged = ok(
        interaction(Call::post("/api/interactions").json(&first)).await,
        "interaction log",
    );
    let interaction_path = format!("/api/interactions/{}", logged["id"].as_str().unwrap());
    ok(interaction(Call::get(&interaction_path)).await, "interaction");
    first["type"] = json!("meeting");
    ok(
        interaction(Call::new("PUT", &interaction_path).json(&first)).await,
        "interaction replace",
    );
    for (query, what) in [
        (format!("/api/interactions/customer/{id}?type=meeting"), "timeline"),
        (
            "/api/interactions/date-range?from=2026-11-19T00:00:00Z&to=2026-11-21T00:00:00Z".to_owned(),
            "date range",
        ),
        (
            "/api/interactions/statistics?from=2026-10-01&to=2026-11-30".to_owned(),
            "business statistics",
        ),
        (
            format!("/api/interactions/statistics?from=2026-11-01&to=2026-11-30&customer_id={id}"),
            "customer statistics",
        ),
        ("/api/interactions/search?q=iam".to_owned(), "interaction search"),
    ] {
        ok(interaction(Call::get(&query)).await, what);
    }
    ok(interaction(Call::delete(&interaction_path)).await, "interaction remove");
    ok(
        interaction(Call::post("/api/interactions").json(&call_about(&id, "Left for the sweep"))).await,
        "interaction log",
    );
    ok(contact(Call::delete(&contact_path)).await, "contact remove");

    // The tokens function: every route, a movement asked again replayed.
    let tokens_path = format!("/api/customers/{id}/tokens");
    for (route, body, what) in [
        (
            "purchase",
            json!({"amount": 10, "movement_key": "iam-1", "reference": "INV-1"}),
            "purchase",
        ),
        ("allocate", json!({"amount": 5, "movement_key": "iam-2"}), "allocation"),
        ("use", json!({"amount": 3, "movement_key": "iam-3"}), "use"),
        ("use", json!({"amount": 3, "movement_key": "iam-3"}), "use replayed"),
        (
            "refund",
            json!({"amount": 1, "movement_key": "iam-4", "reference": "iam-3"}),
            "refund",
        ),
        (
            "adjust",
            json!({"amount": -2, "movement_key": "iam-5", "reason": "correction"}),
            "adjustment",
        ),
    ] {
        ok(
            token(Call::post(&format!("{tokens_path}/{route}")).json(&body)).await,
            what,
        );
    }
    ok(token(Call::get(&tokens_path)).await, "balance");

    // The subscriptions function: every route; then the renewals, a month
    // on, expire one subscription and renew another.
    let plan_body = |name: &str| json!({"name": name, "period": "month", "price": {"amount": 10, "currency": "EUR"}, "tokens_per_period": 5});
    let basic_plan = ok(
        billing(Call::post("/api/plans").json(&plan_body("Iam Basic"))).await,
        "plan",
    );
    let pro_plan = ok(
        billing(Call::post("/api/plans").json(&plan_body("Iam Pro"))).await,
        "plan",
    );
    let plan_path = format!("/api/plans/{}", basic_plan["id"].as_str().unwrap());
    ok(billing(Call::get("/api/plans")).await, "plans");
    ok(billing(Call::get(&plan_path)).await, "plan");
    ok(
        billing(Call::patch(&plan_path).json(&json!({"tokens_per_period": 6}))).await,
        "plan update",
    );
    let subscriptions_path = format!("/api/customers/{id}/subscriptions");
    let subscribed = ok(
        billing(Call::post(&subscriptions_path).json(&json!({"plan_id": basic_plan["id"]}))).await,
        "subscribe",
    );
    let subscription_path = format!("{subscriptions_path}/{}", subscribed["id"].as_str().unwrap());
    ok(billing(Call::get(&subscriptions_path)).await, "subscriptions");
    ok(billing(Call::get(&subscription_path)).await, "subscription");
    ok(
        billing(Call::patch(&subscription_path).json(&json!({"plan_id": pro_plan["id"]}))).await,
        "plan change",
    );
    ok(
        billing(Call::post(&format!("{subscription_path}/cancel")).json(&json!({"at_period_end": true}))).await,
        "cancel at the period's end",
    );
    let renewed = ok(
        customer(Call::post("/api/customers/").json(&customer_body("Ren Ewed"))).await,
        "create",
    );
    let renewed_path = format!("/api/customers/{}/subscriptions", renewed["id"].as_str().unwrap());
    let to_renew = ok(
        billing(Call::post(&renewed_path).json(&json!({"plan_id": basic_plan["id"]}))).await,
        "subscribe",
    );
    let renewals = recorded(&table).await;
    let month_on = Arc::new(TestClock::new());
    month_on.advance(32 * 24 * 3_600);
    let renewals_app = renewals::App {
        context: Context {
            store: renewals.store.clone(),
            clock: month_on,
        },
    };
    let run = renewals::run(&renewals_app).await.unwrap();
    assert_eq!((run.renewed, run.expired), (1, 1), "{run:?}");
    let renewed_subscription = format!("{renewed_path}/{}", to_renew["id"].as_str().unwrap());
    ok(
        billing(Call::post(&format!("{renewed_subscription}/cancel"))).await,
        "cancel now",
    );

    // The users function: every route; one user is left for the sweeper.
    let users_path = format!("/api/customers/{id}/users");
    let added_user = ok(
        user(Call::post(&users_path).json(&json!({"email": "iam.user@example.com", "full_name": "Iam User"}))).await,
        "user add",
    );
    let user_path = format!("{users_path}/{}", added_user["id"].as_str().unwrap());
    ok(user(Call::get(&users_path)).await, "users");
    ok(user(Call::get(&user_path)).await, "user");
    ok(
        user(Call::patch(&user_path).json(&json!({"email": "iam.user2@example.com", "status": "active"}))).await,
        "user update",
    );
    ok(
        user(Call::post(&format!("{user_path}/password-reset"))).await,
        "password reset",
    );
    ok(user(Call::delete(&user_path)).await, "user remove");
    ok(
        user(Call::post(&users_path).json(&json!({"email": "iam.kept@example.com", "full_name": "Iam Kept"}))).await,
        "user add",
    );
    ok(
        token(Call::get(&format!("{tokens_path}/ledger?limit=2"))).await,
        "ledger",
    );

    // The inbound function: a fact, an admin action, an update and a data request.
    let events = recorded(&table).await;
    let answers_queue = clientele_stack::create_queue(&aws_sdk_sqs::Client::new(&moto), &format!("{bus}-answers"))
        .await
        .unwrap();
    let answers_bus = format!("{bus}-answers");
    clientele_stack::create_event_bus(&aws_sdk_eventbridge::Client::new(&moto), &answers_bus)
        .await
        .unwrap();
    let answering = |deliver_to: &str| inbound::App {
        context: context(&events),
        answers: inbound::answers::Answers::new(
            events.moto.eventbridge(),
            events.moto.sqs(),
            clientele_bus::DEFAULT_SOURCE,
        ),
        settings: inbound::Settings {
            data_policy: DataPolicy::parse(
                &json!({"platform.profiles": {"fields": ["id"], "deliver_to": deliver_to},
                    "platform.accounting": {"deliver_to": deliver_to}})
                .to_string(),
            )
            .unwrap(),
            patch_rate: clientele_core::Rate::DEFAULT_UPDATE_RATE,
        },
    };
    let events_app = answering(&answers_queue);
    let to_a_bus = answering(&format!(
        "arn:aws:events:us-east-1:123456789012:event-bus/{answers_bus}"
    ));
    for name in ["data-request.json", "accounting-customer-request.json"] {
        assert_eq!(
            to_a_bus.handle(&inbound(name, &id, business)).await.unwrap(),
            inbound::Outcome::Done,
            "{name}"
        );
    }
    for name in [
        "order-completed.json",
        "order-created.json",
        "order-updated.json",
        "order-completed-v2.json",
        "order-cancelled.json",
        "admin-customer-action-suspend.json",
        "customer-update-request.json",
        "data-request.json",
        "accounting-customer-request.json",
    ] {
        let outcome = events_app.handle(&inbound(name, &id, business)).await;
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
    }
    let mut new_email = inbound("customer-update-request.json", &id, business);
    new_email.detail["changes"] = json!({"email": format!("ivy.{}@example.com", uuid::Uuid::new_v4().simple())});
    assert_eq!(events_app.handle(&new_email).await.unwrap(), inbound::Outcome::Done);
    // Last, as it may find the customer's update rate used up: its
    // transaction is tried either way.
    let portfolio = events_app
        .handle(&inbound("portfolio-sme-customer-update.json", &id, business))
        .await;
    assert!(portfolio.is_ok(), "{portfolio:?}");

    // The authorizer: an external system's client.
    let auth = recorded(&table).await;
    let (client, secret) = clientele_auth::clients::create(
        &DynamoStore::new(dynamodb.clone(), table.clone()),
        business,
        ClientName::parse("IAM").unwrap(),
        vec![Scope::CustomersRead],
        Timestamp::now(),
    )
    .await
    .unwrap();
    let verifier = verifier_through(auth.moto.secrets()).await;
    let authorizer = auth_check::Authorizer::new(clientele_auth::Gatekeeper::new(verifier, auth.store.clone()));
    let request = Call::get("/api/customers/")
        .header("authorization", &basic(&client.id.to_string(), secret.expose()))
        .to_authorizer_request();
    let decision = serde_json::to_value(authorizer.authorize(&request).await).unwrap();
    assert_eq!(decision["context"]["kind"], "client", "{decision}");

    // The gdpr function, and the customer's deletion, last.
    let other = ok(
        customer(Call::post("/api/customers/").json(&customer_body("Eve Erased"))).await,
        "create",
    );
    let other_id = other["id"].as_str().unwrap();
    ok(
        interaction(Call::post("/api/interactions").json(&call_about(other_id, "Left for the erasure"))).await,
        "interaction log",
    );
    ok(
        send(
            &gdpr_app,
            Call::post("/api/gdpr/export").json(&json!({"customer_id": other["id"]})),
        )
        .await,
        "export",
    );
    ok(
        send(
            &gdpr_app,
            Call::post("/api/gdpr/delete").json(&json!({"customer_id": other["id"]})),
        )
        .await,
        "erase",
    );
    ok(customer(Call::delete(&path)).await, "delete");

    // The sweeper: the deleted customer's tombstone, from the table's stream.
    let sweeper = recorded(&table).await;
    let sweeper_app = sweeper::App {
        context: context(&sweeper),
        files: AvatarBucket::with_client(sweeper.moto.s3(), bucket.name()),
        settings: (),
    };
    let app = &sweeper_app;
    drain(&dynamodb, &table, 10, |event| async move {
        sweeper::handle(app, &event).await
    })
    .await;
    assert!(
        app.context
            .store
            .tombstone(id.parse().unwrap())
            .await
            .unwrap()
            .is_none(),
        "swept"
    );

    // The publisher: everything the run recorded, from the table's stream,
    // with a poison record for its dead-letter queue.
    dynamodb
        .put_item()
        .table_name(&table)
        .item("pk", aws_sdk_dynamodb::types::AttributeValue::S("EVENT#poison".into()))
        .item("sk", aws_sdk_dynamodb::types::AttributeValue::S("EVENT#poison".into()))
        .item("entity", aws_sdk_dynamodb::types::AttributeValue::S("Event".into()))
        .send()
        .await
        .unwrap();
    let publisher = recorded(&table).await;
    let queue = clientele_stack::create_queue(&aws_sdk_sqs::Client::new(&moto), &format!("{bus}-dead-letters"))
        .await
        .unwrap();
    let publisher_app = publisher::App {
        publisher: clientele_bus::Publisher::new(publisher.moto.eventbridge(), &bus, clientele_bus::DEFAULT_SOURCE),
        dead_letters: publisher::DeadLetters::new(publisher.moto.sqs(), queue),
    };
    let app = &publisher_app;
    drain(&dynamodb, &table, 1000, |event| async move {
        publisher::handle(app, &event).await
    })
    .await;

    let used = BTreeMap::from([
        ("customers", customers.recorder.actions()),
        ("tags", tags.recorder.actions()),
        ("notes", notes.recorder.actions()),
        ("contacts", contacts.recorder.actions()),
        ("interactions", interactions.recorder.actions()),
        ("tokens", tokens.recorder.actions()),
        ("users", users.recorder.actions()),
        ("subscriptions", subscriptions.recorder.actions()),
        ("renewals", renewals.recorder.actions()),
        ("gdpr", gdpr.recorder.actions()),
        ("inbound", events.recorder.actions()),
        ("auth-check", auth.recorder.actions()),
        ("publisher", publisher.recorder.actions()),
        ("sweeper", sweeper.recorder.actions()),
    ]);
    let granted = granted();
    for (function, used) in &used {
        let allowed = &granted[*function];
        let missing: Vec<&String> = used.difference(allowed).collect();
        assert!(
            missing.is_empty(),
            "{function} calls {missing:?}, which its policy does not grant"
        );
        let unused: Vec<&String> = allowed
            .difference(used)
            .filter(|action| !NOT_REACHED.iter().any(|(f, a, _)| f == function && a == action))
            .collect();
        assert!(
            unused.is_empty(),
            "{function} is granted {unused:?}, which its code never calls"
        );
    }
    assert!(
        granted["service"].is_empty(),
        "the service function calls no AWS service"
    );

    // The keys: each DynamoDB call, with the partition keys it touched, is
    // allowed by the function's policy as deployed, conditions included.
    let keyed = BTreeMap::from([
        ("CustomersFunction", customers.recorder.keyed_calls()),
        ("TagsFunction", tags.recorder.keyed_calls()),
        ("NotesFunction", notes.recorder.keyed_calls()),
        ("ContactsFunction", contacts.recorder.keyed_calls()),
        ("InteractionsFunction", interactions.recorder.keyed_calls()),
        ("TokensFunction", tokens.recorder.keyed_calls()),
        ("UsersFunction", users.recorder.keyed_calls()),
        ("SubscriptionsFunction", subscriptions.recorder.keyed_calls()),
        ("RenewalsFunction", renewals.recorder.keyed_calls()),
        ("GdprFunction", gdpr.recorder.keyed_calls()),
        ("InboundFunction", events.recorder.keyed_calls()),
        ("AuthCheckFunction", auth.recorder.keyed_calls()),
        ("SweeperFunction", sweeper.recorder.keyed_calls()),
    ]);
    let template = Deployed::template(&[]);
    let table = template.arn("CustomersTable");
    for (function, calls) in &keyed {
        let statements = template.function_statements(function);
        assert!(!calls.is_empty(), "{function} made no DynamoDB call");
        for call in calls {
            let resource = match &call.index {
                Some(index) => format!("{table}/index/{index}"),
                None => table.clone(),
            };
            let keys: Vec<&str> = call.leading_keys.iter().map(String::as_str).collect();
            let request = PolicyRequest::new(&format!("{function}Role"), &call.action, &resource)
                .with("dynamodb:LeadingKeys", &keys);
            assert!(
                allowed(&statements, &request),
                "{function}'s policy refuses {} on {keys:?}",
                call.action
            );
        }
    }
}

#[test]
fn no_function_may_write_keys_of_a_kind_it_does_not_own() {
    let template = Deployed::template(&[]);
    let table = template.arn("CustomersTable");
    // What each function must never touch: clients' secrets are the
    // authorizer's alone, which only reads them; receipts are the GDPR
    // function's; budgets are counted only by route functions.
    let forbidden: &[(&str, &[&str])] = &[
        ("CustomersFunction", &["CLIENT#x", "ERASURE#x", "TAG#x"]),
        ("TagsFunction", &["CLIENT#x", "BUSINESS#x", "ERASURE#x", "DELETED#x"]),
        (
            "NotesFunction",
            &["CLIENT#x", "BUSINESS#x", "TAG#x", "ERASURE#x", "DELETED#x"],
        ),
        (
            "ContactsFunction",
            &["CLIENT#x", "BUSINESS#x", "TAG#x", "ERASURE#x", "DELETED#x"],
        ),
        (
            "InteractionsFunction",
            &["CLIENT#x", "BUSINESS#x", "TAG#x", "ERASURE#x", "DELETED#x"],
        ),
        ("GdprFunction", &["CLIENT#x"]),
        (
            "InboundFunction",
            &[
                "CLIENT#x",
                "TAG#x",
                "ERASURE#x",
                "DELETED#x",
                "BUDGET#x",
                "IDEMPOTENCY#x",
            ],
        ),
        ("SweeperFunction", &["CLIENT#x", "BUSINESS#x", "ERASURE#x", "BUDGET#x"]),
        (
            "TransfersFunction",
            &["CLIENT#x", "ERASURE#x", "DELETED#x", "BUDGET#x", "IDEMPOTENCY#x"],
        ),
        ("AuthCheckFunction", &["CLIENT#x", "CUSTOMER#x", "IDEMPOTENCY#x"]),
    ];
    for (function, keys) in forbidden {
        let statements = template.function_statements(function);
        for key in *keys {
            for action in ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"] {
                let request =
                    PolicyRequest::new(&format!("{function}Role"), action, &table).with("dynamodb:LeadingKeys", &[key]);
                assert!(!allowed(&statements, &request), "{function} may {action} {key}");
            }
        }
        // A call without keys (a Scan, say) is never allowed by a key condition.
        let scan = PolicyRequest::new(&format!("{function}Role"), "dynamodb:GetItem", &table);
        assert!(!allowed(&statements, &scan), "{function} may read without naming keys");
    }
}
