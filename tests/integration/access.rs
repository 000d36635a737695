//! Who may call what: every route of the customers group, for every kind of
//! caller, with the exact status each must get. Grows with every route.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clientele_auth::{Principal, PrincipalKind, Role, SigningKey, TokenSettings, issue};
use clientele_core::{BusinessId, Timestamp};
use clientele_http::Authenticator;
use clientele_tests::{Call, TestApp, customer_body, token};
use serde_json::json;

#[derive(Debug, Clone, Copy)]
enum Route {
    List,
    Create,
    Get,
    Update,
    Delete,
    Stats,
}

const ROUTES: [Route; 6] = [
    Route::List,
    Route::Create,
    Route::Get,
    Route::Update,
    Route::Delete,
    Route::Stats,
];

#[derive(Debug, Clone, Copy)]
enum Caller {
    Nobody,
    WrongKey,
    Expired,
    AlgNone,
    Viewer,
    Staff,
    Admin,
    AdminOfAnotherBusiness,
    /// Staff, proven by API Gateway's authorizer context rather than a token.
    GatewayStaff,
}

fn expected(caller: Caller) -> [u16; 6] {
    // List, Create, Get, Update, Delete, Stats
    match caller {
        Caller::Nobody | Caller::WrongKey | Caller::Expired | Caller::AlgNone => [401; 6],
        Caller::Viewer => [200, 403, 200, 403, 403, 200],
        Caller::Staff | Caller::GatewayStaff => [200, 201, 200, 200, 403, 200],
        Caller::Admin => [200, 201, 200, 200, 204, 200],
        Caller::AdminOfAnotherBusiness => [200, 201, 404, 404, 404, 404],
    }
}

fn alg_none_token(business: BusinessId) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let claims = json!({
        "sub": "intruder", "business_id": business.to_string(), "roles": ["admin"],
        "iss": "clientele", "aud": "clientele-api",
        "exp": Timestamp::now().unix_seconds() + 600
    });
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

fn authorize(call: Call, caller: Caller, business: BusinessId) -> Call {
    let signed = |key: &SigningKey, roles: &[Role], at: Timestamp| {
        issue(
            key,
            &TokenSettings::default(),
            "someone",
            business,
            roles,
            Duration::from_secs(1_800),
            at,
        )
        .unwrap()
    };
    let test_key = clientele_tests::app::signing_key();
    match caller {
        Caller::Nobody => call,
        Caller::WrongKey => {
            let other = SigningKey::new("not-the-key-the-service-trusts-at-all").unwrap();
            call.bearer(&signed(&other, &[Role::Admin], Timestamp::now()))
        }
        Caller::Expired => call.bearer(&signed(
            &test_key,
            &[Role::Admin],
            Timestamp::now().plus_seconds(-3_600),
        )),
        Caller::AlgNone => call.bearer(&alg_none_token(business)),
        Caller::Viewer => call.bearer(&token(business, &[Role::Viewer])),
        Caller::Staff => call.bearer(&token(business, &[Role::Staff])),
        Caller::Admin => call.bearer(&token(business, &[Role::Admin])),
        Caller::AdminOfAnotherBusiness => call.bearer(&token(BusinessId::random(), &[Role::Admin])),
        Caller::GatewayStaff => call.authorized_as(&Principal {
            id: "gateway-user".into(),
            kind: PrincipalKind::User,
            business_id: business,
            roles: vec![Role::Staff],
        }),
    }
}

async fn check(app: &TestApp, caller: Caller) {
    for (route, status) in ROUTES.into_iter().zip(expected(caller)) {
        let id = app.created(&customer_body("Matrix Cell")).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let item = format!("/api/customers/{id}");
        let call = match route {
            Route::List => Call::get("/api/customers/"),
            Route::Create => Call::post("/api/customers/").json(&customer_body("Created In Cell")),
            Route::Get => Call::get(&item),
            Route::Update => Call::patch(&item).json(&json!({"full_name": "Changed In Cell"})),
            Route::Delete => Call::delete(&item),
            Route::Stats => Call::get(&format!("{item}/stats")),
        };
        let response = app.send(authorize(call, caller, app.business)).await;
        assert_eq!(
            response.status,
            status,
            "{caller:?} {route:?}: {}",
            String::from_utf8_lossy(&response.body)
        );
        if status >= 400 {
            response.problem();
        }
        if status == 401 {
            assert!(response.header("www-authenticate").is_some());
        }
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_exactly() {
    let app = TestApp::spawn().await;
    for caller in [
        Caller::Nobody,
        Caller::WrongKey,
        Caller::Expired,
        Caller::AlgNone,
        Caller::Viewer,
        Caller::Staff,
        Caller::Admin,
        Caller::AdminOfAnotherBusiness,
        Caller::GatewayStaff,
    ] {
        check(&app, caller).await;
    }
}

#[tokio::test]
async fn behind_api_gateway_only_the_authorizer_context_counts() {
    let mut app = TestApp::spawn().await;
    app.app.auth = Authenticator::Gateway;
    check(&app, Caller::GatewayStaff).await;
    let valid_token_alone = app
        .send(Call::get("/api/customers/").bearer(&token(app.business, &[Role::Admin])))
        .await;
    assert_eq!(
        valid_token_alone.status, 401,
        "route functions do not verify tokens in the cloud"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_answered_before_credentials() {
    let app = TestApp::spawn().await;
    let response = app.send(Call::get("/api/customers/x/y/z")).await;
    assert_eq!((response.status, response.problem()), (404, "not-found".to_owned()));
    let response = app.send(Call::new("PUT", "/api/customers/")).await;
    assert_eq!((response.status, response.header("allow")), (405, Some("GET, POST")));
}
