//! The request budget: a business, and a client within it, may make so many
//! requests per window across every instance of every route function; the
//! next is refused with 429 and `Retry-After` before anything else is read,
//! at the cost of one write per request. A refused caller costs nothing.

use clientele_auth::{Decision, Denial, Principal, Role, to_context};
use clientele_core::{BusinessId, Rate, Scope};
use clientele_http::{Authenticator, HttpFunction};
use clientele_operations::Context;
use clientele_store::DynamoStore;
use clientele_store::budget::RequestBudget;
use clientele_tests::iam::{Recorder, recorded_dynamodb};
use clientele_tests::{Call, TestApp, TestResponse};

fn per_minute(limit: u32) -> Rate {
    Rate {
        limit,
        period_seconds: 60,
    }
}

/// The tags function as deployed, behind API Gateway's authorizer, with a
/// budget of `business` and `client` requests a minute.
fn tags_with_budget(app: &TestApp, store: DynamoStore, business: u32, client: u32) -> HttpFunction {
    let context = Context {
        store: store.clone(),
        clock: app.clock.clone(),
    };
    let budget = RequestBudget::new(store, per_minute(business), per_minute(client))
        .unwrap()
        .with_clock(app.clock.clone());
    tags::routes()
        .serve(context, Authenticator::Gateway)
        .with_budget(budget)
}

async fn list(function: &HttpFunction, caller: &Principal, customer: &str) -> TestResponse {
    let call = Call::get(&format!("/api/customers/tags/customer/{customer}")).authorized_as(caller);
    TestResponse::read(function.handle(call.to_request()).await).await
}

#[tokio::test]
async fn a_business_and_each_client_spend_their_own_budget() {
    let app = TestApp::spawn().await;
    let customer = app.created(&clientele_tests::customer_body("Budget Bo")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Two instances of the function share the budget through the table.
    let first = tags_with_budget(&app, app.store.clone(), 4, 2);
    let second = tags_with_budget(&app, app.store.clone(), 4, 2);
    let client = Principal::client(
        uuid::Uuid::new_v4().to_string(),
        app.business,
        vec![Scope::CustomersRead],
    );
    let user = Principal::user("budget-user", app.business, vec![Role::Viewer]);

    assert_eq!(list(&first, &client, &customer).await.status, 200);
    assert_eq!(list(&second, &client, &customer).await.status, 200);
    let spent = list(&first, &client, &customer).await;
    assert_eq!((spent.status, spent.problem()), (429, "budget-spent".to_owned()));
    let retry_after: u64 = spent.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");

    // The client's spent budget is its own: its business's users go on,
    // until the business's budget (which counted the client's two) is spent.
    assert_eq!(list(&second, &user, &customer).await.status, 200);
    assert_eq!(list(&first, &user, &customer).await.status, 200);
    assert_eq!(list(&second, &user, &customer).await.status, 429);

    // Another business is not starved.
    let stranger = Principal::user("other", BusinessId::random(), vec![Role::Viewer]);
    assert_eq!(
        list(&first, &stranger, &customer).await.status,
        404,
        "served, and not found"
    );
}

#[tokio::test]
async fn a_refused_caller_costs_no_call_to_dynamodb_and_spends_no_budget() {
    let app = TestApp::spawn().await;
    let recorder = Recorder::default();
    let store = DynamoStore::new(recorded_dynamodb(&recorder).await, app.table.clone());
    let function = tags_with_budget(&app, store, 1, 1);
    for denial in [Denial::MissingCredentials, Denial::InvalidCredentials] {
        let call = Call::get("/api/customers/tags/customer/123e4567-e89b-12d3-a456-426614174002")
            .with_authorizer_context(to_context(&Decision::Deny(denial)));
        let response = TestResponse::read(function.handle(call.to_request()).await).await;
        assert_eq!((response.status, response.problem()), (401, "unauthorized".to_owned()));
    }
    // Forbidden by its access: refused before the budget, too.
    let viewer = Principal::user("v", app.business, vec![Role::Viewer]);
    let call = Call::delete("/api/customers/tags/123e4567-e89b-12d3-a456-426614174002").authorized_as(&viewer);
    assert_eq!(
        TestResponse::read(function.handle(call.to_request()).await)
            .await
            .status,
        403
    );
    assert!(recorder.actions().is_empty(), "{:?}", recorder.actions());
}
