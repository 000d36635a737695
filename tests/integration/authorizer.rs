//! The auth-check authorizer, fed the API Gateway v2 authorizer request
//! fixture that the aws_lambda_events crate ships, with this test's headers.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clientele_auth::{
    Decision, Denial, Gatekeeper, KeySource, Role, SecretsManagerKeys, SigningKey, TokenSettings, TokenVerifier,
    from_context, issue,
};
use clientele_core::{BusinessId, Scope, Timestamp};
use clientele_store::DynamoStore;
use clientele_tests::app::{sdk_config, signing_key};
use clientele_tests::logs::CapturedLogs;
use clientele_tests::services::moto_endpoint;
use clientele_tests::{Call, TestApp, TestResponse, basic, token};
use serde_json::{Value, json};

async fn decide(authorizer: &auth_check::Authorizer<DynamoStore>, authorization: Option<&str>) -> Decision {
    let mut call = Call::get("/api/customers/");
    if let Some(value) = authorization {
        call = call.header("authorization", value);
    }
    let response = authorizer.authorize(&call.to_authorizer_request()).await;
    assert!(
        response.is_authorized,
        "refusals reach the function, which answers 401 itself"
    );
    assert!(
        response.context.values().all(Value::is_string),
        "API Gateway contexts hold strings"
    );
    from_context(&response.context).expect("the authorizer's context is one the functions read")
}

fn invalid() -> Decision {
    Decision::Deny(Denial::InvalidCredentials)
}

fn signed(key: &SigningKey, settings: &TokenSettings, roles: &[Role], lifetime: u64, at: Timestamp) -> String {
    issue(
        key,
        settings,
        "u-1",
        BusinessId::random(),
        roles,
        Duration::from_secs(lifetime),
        at,
    )
    .unwrap()
}

#[tokio::test]
async fn the_fixture_is_the_crates_own_authorizer_request() {
    let fixture = clientele_tests::fixtures::authorizer_request();
    assert_eq!(fixture["version"], "2.0");
    assert_eq!(fixture["type"], "REQUEST");
    let app = TestApp::spawn().await;
    let event = lambda_runtime::LambdaEvent::new(
        serde_json::from_value::<auth_check::AuthorizerRequest>(fixture).unwrap(),
        lambda_runtime::Context::default(),
    );
    let response = auth_check::serve(&app.authorizer, event).await.unwrap();
    assert_eq!(
        from_context(&response.context),
        Ok(Decision::Deny(Denial::MissingCredentials))
    );
}

#[tokio::test]
async fn a_valid_user_token_becomes_the_context_the_functions_read() {
    let app = TestApp::spawn().await;
    let decision = decide(
        &app.authorizer,
        Some(&format!("Bearer {}", token(app.business, &[Role::Staff]))),
    )
    .await;
    let Decision::Allow(principal) = decision else {
        panic!("a valid token is allowed")
    };
    assert_eq!(
        (principal.business_id, principal.roles),
        (app.business, vec![Role::Staff])
    );
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let settings = TokenSettings::default();
    let now = Timestamp::now();
    let good = signed(&signing_key(), &settings, &[Role::Viewer], 600, now);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    parts[1] = URL_SAFE_NO_PAD.encode(claims.replace("viewer", "admin"));
    let tampered = parts.join(".");
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.replace("viewer", "admin"))
    );
    let wrong_audience = TokenSettings {
        audience: "another-api".into(),
        ..TokenSettings::default()
    };
    let unknown_role = {
        let claims = json!({"sub": "u", "business_id": BusinessId::random().to_string(), "roles": ["owner"],
            "iss": "clientele", "aud": "clientele-api", "exp": now.unix_seconds() + 600});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(signing_key().expose()),
        )
        .unwrap()
    };
    for (what, token) in [
        ("tampered", tampered),
        ("alg none", none),
        (
            "expired",
            signed(
                &signing_key(),
                &settings,
                &[Role::Admin],
                1_800,
                now.plus_seconds(-7_200),
            ),
        ),
        (
            "wrong audience",
            signed(&signing_key(), &wrong_audience, &[Role::Admin], 600, now),
        ),
        ("a role it may not have", unknown_role),
        (
            "valid too long",
            signed(&signing_key(), &settings, &[Role::Admin], 48 * 3_600, now),
        ),
        (
            "not yet valid",
            signed(&signing_key(), &settings, &[Role::Admin], 600, now.plus_seconds(600)),
        ),
        (
            "another key",
            signed(
                &SigningKey::new("some-other-key-that-is-long-enough-1234").unwrap(),
                &settings,
                &[Role::Admin],
                600,
                now,
            ),
        ),
    ] {
        assert_eq!(
            decide(&app.authorizer, Some(&format!("Bearer {token}"))).await,
            invalid(),
            "{what}"
        );
    }
    assert_eq!(
        decide(&app.authorizer, None).await,
        Decision::Deny(Denial::MissingCredentials)
    );
    assert_eq!(decide(&app.authorizer, Some("Digest abc")).await, invalid());
}

#[tokio::test]
async fn a_key_rotation_logs_nobody_out_and_retires_the_old_key_in_time() {
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config(moto_endpoint()).await);
    let secret_id = format!("clientele/test/{}", uuid::Uuid::new_v4().simple());
    let key = |name: &str| SigningKey::new(format!("{name}-key-padded-to-at-least-32-bytes")).unwrap();
    let put = |k: SigningKey| {
        let (secrets, secret_id) = (secrets.clone(), secret_id.clone());
        async move {
            let text = String::from_utf8(k.expose().to_vec()).unwrap();
            clientele_stack::put_secret(&secrets, &secret_id, &text).await.unwrap();
        }
    };
    put(key("first")).await;
    let keys = SecretsManagerKeys::load(secrets.clone(), secret_id.clone(), Duration::from_secs(3_600))
        .await
        .unwrap()
        .early_refresh_spacing(Duration::ZERO);
    let app = TestApp::spawn().await;
    let authorizer = auth_check::Authorizer::new(Gatekeeper::new(
        TokenVerifier::new(KeySource::SecretsManager(keys), &TokenSettings::default()),
        app.store.clone(),
    ));
    let settings = TokenSettings::default();
    let bearer = |k: &SigningKey| format!("Bearer {}", signed(k, &settings, &[Role::Staff], 600, Timestamp::now()));
    let (first, second, third) = (bearer(&key("first")), bearer(&key("second")), bearer(&key("third")));
    assert!(matches!(decide(&authorizer, Some(&first)).await, Decision::Allow(_)));

    put(key("second")).await;
    assert!(
        matches!(decide(&authorizer, Some(&second)).await, Decision::Allow(_)),
        "new tokens work at once"
    );
    assert!(
        matches!(decide(&authorizer, Some(&first)).await, Decision::Allow(_)),
        "old tokens still work"
    );

    put(key("third")).await;
    assert!(matches!(decide(&authorizer, Some(&third)).await, Decision::Allow(_)));
    assert!(matches!(decide(&authorizer, Some(&second)).await, Decision::Allow(_)));
    assert_eq!(
        decide(&authorizer, Some(&first)).await,
        invalid(),
        "a retired key is refused"
    );
}

#[tokio::test]
async fn clients_are_checked_against_the_table_on_every_request() {
    let app = TestApp::spawn().await;
    let (client, secret) = app.client(app.business, &[Scope::CustomersRead]).await;
    let id = client.id.to_string();
    let Decision::Allow(principal) = decide(&app.authorizer, Some(&basic(&id, secret.expose()))).await else {
        panic!("an active client is allowed");
    };
    assert_eq!(
        (principal.business_id, principal.scopes),
        (app.business, vec![Scope::CustomersRead])
    );

    let new_secret = clientele_auth::clients::rotate(&app.store, client.id, Timestamp::now(), 0)
        .await
        .unwrap();
    assert_eq!(
        decide(&app.authorizer, Some(&basic(&id, secret.expose()))).await,
        invalid(),
        "old secret"
    );
    assert!(matches!(
        decide(&app.authorizer, Some(&basic(&id, new_secret.expose()))).await,
        Decision::Allow(_)
    ));

    clientele_auth::clients::deactivate(&app.store, client.id, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        decide(&app.authorizer, Some(&basic(&id, new_secret.expose()))).await,
        invalid(),
        "a deactivated client is refused at once"
    );
    assert_eq!(
        clientele_auth::clients::active_status(&app.store, client.id)
            .await
            .unwrap(),
        Some(false)
    );
}

#[tokio::test]
async fn when_clients_cannot_be_read_the_answer_is_503_not_a_guess() {
    let app = TestApp::spawn().await;
    let dead = aws_sdk_dynamodb::Client::new(&sdk_config("http://127.0.0.1:9").await);
    let authorizer = auth_check::Authorizer::new(Gatekeeper::new(
        TokenVerifier::new(
            KeySource::Fixed(clientele_auth::KeySet::single(signing_key())),
            &TokenSettings::default(),
        ),
        DynamoStore::new(dead, app.table.clone()),
    ));
    let header = basic(&uuid::Uuid::new_v4().to_string(), "cs_anything");
    let call = Call::get("/api/customers/").header("authorization", &header);
    let answer = authorizer.authorize(&call.to_authorizer_request()).await;
    assert_eq!(from_context(&answer.context), Ok(Decision::Deny(Denial::Unavailable)));
    let response = TestResponse::read(
        app.cloud
            .customers
            .handle(call.with_authorizer_context(answer.context).to_request())
            .await,
    )
    .await;
    assert_eq!((response.status, response.header("retry-after")), (503, Some("2")));
}

#[tokio::test]
async fn no_token_secret_or_key_reaches_a_log_line_or_an_error_body() {
    let app = TestApp::spawn().await;
    let (client, secret) = app.client(app.business, &[Scope::CustomersRead]).await;
    let good_token = token(app.business, &[Role::Admin]);
    let expired = signed(
        &signing_key(),
        &TokenSettings::default(),
        &[Role::Admin],
        60,
        Timestamp::now().plus_seconds(-3_600),
    );
    let wrong_secret = "cs_a-wrong-secret-that-must-not-be-logged-00000";
    let headers = [
        format!("Bearer {good_token}"),
        format!("Bearer {expired}"),
        basic(&client.id.to_string(), secret.expose()),
        basic(&client.id.to_string(), wrong_secret),
        "Bearer garbage-token-value-xyz".to_owned(),
    ];
    let (logs, guard) = CapturedLogs::start();
    let mut bodies = Vec::new();
    for header in &headers {
        decide(&app.authorizer, Some(header)).await;
        let call = Call::get("/api/customers/").header("authorization", header);
        bodies.push(app.send(call.clone()).await.body);
        bodies.push(app.send_via_gateway(call).await.body);
    }
    drop(guard);
    let logged = logs.text();
    assert!(logged.contains("refused"), "refusals are logged: {logged}");
    let everything = format!(
        "{logged}{}",
        bodies.iter().map(|b| String::from_utf8_lossy(b)).collect::<String>()
    );
    let secrets: HashMap<&str, &str> = HashMap::from([
        ("a valid token", good_token.as_str()),
        ("an expired token", expired.as_str()),
        ("a client secret", secret.expose()),
        ("a wrong secret", wrong_secret),
        ("a garbage token", "garbage-token-value-xyz"),
        ("the signing key", clientele_tests::app::TEST_SIGNING_KEY),
    ]);
    for (what, value) in secrets {
        assert!(!everything.contains(value), "{what} was logged or answered");
    }
    for header in &headers {
        let encoded = header.split_once(' ').map(|(_, v)| v).unwrap_or_default();
        assert!(!everything.contains(encoded), "an Authorization header was logged");
    }
}

#[tokio::test]
async fn every_payload_2_authorizer_fixture_of_the_crate_gets_a_decision() {
    let app = TestApp::spawn().await;
    for name in [
        "example-apigw-v2-custom-authorizer-v2-request.json",
        "example-apigw-v2-custom-authorizer-v2-request-null-maps.json",
        "example-apigw-v2-custom-authorizer-v2-request-without-cookies.json",
        "example-apigw-v2-custom-authorizer-v2-request-without-identity-source.json",
    ] {
        let fixture = clientele_tests::fixtures::aws_lambda_events_fixture(name);
        let request: auth_check::AuthorizerRequest =
            serde_json::from_value(fixture).unwrap_or_else(|e| panic!("{name}: {e}"));
        let response = app.authorizer.authorize(&request).await;
        assert_eq!(
            from_context(&response.context),
            Ok(Decision::Deny(Denial::MissingCredentials)),
            "{name} carries no Authorization header"
        );
    }
}

#[tokio::test]
async fn a_rotated_clients_old_secret_works_beside_the_new_one_until_its_time() {
    let app = TestApp::spawn().await;
    let (client, first) = app.client(app.business, &[Scope::CustomersRead]).await;
    let id = client.id.to_string();
    let allowed = |secret: &str| {
        let authorization = basic(&id, secret);
        let authorizer = &app.authorizer;
        async move { matches!(decide(authorizer, Some(&authorization)).await, Decision::Allow(_)) }
    };

    // Rotated an hour and a half ago with an hour's overlap: over.
    let long_ago = Timestamp::now().plus_seconds(-5_400);
    let second = clientele_auth::clients::rotate(&app.store, client.id, long_ago, 60)
        .await
        .unwrap();
    assert!(!allowed(first.expose()).await, "the overlap is over");
    assert!(allowed(second.expose()).await);

    // Rotated now with an hour's overlap: both work.
    let third = clientele_auth::clients::rotate(&app.store, client.id, Timestamp::now(), 60)
        .await
        .unwrap();
    assert!(
        allowed(second.expose()).await,
        "the replaced secret works during the overlap"
    );
    assert!(allowed(third.expose()).await, "the new secret works at once");
    assert!(!allowed(first.expose()).await, "only the secret just replaced is kept");

    // Rotated again without overlap: only the newest.
    let fourth = clientele_auth::clients::rotate(&app.store, client.id, Timestamp::now(), 0)
        .await
        .unwrap();
    assert!(!allowed(third.expose()).await);
    assert!(!allowed(second.expose()).await);
    assert!(allowed(fourth.expose()).await);
}
