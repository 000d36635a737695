//! The JWT signing key from Secrets Manager (moto): current and previous
//! versions, refresh, and the in-process authenticator `make run` uses.

use std::time::Duration;

use clientele_auth::{KeySource, Role, SecretsManagerKeys, SigningKey, TokenSettings, TokenVerifier, issue};
use clientele_core::{BusinessId, Timestamp};
use clientele_http::Authenticator;
use clientele_tests::Call;
use clientele_tests::app::sdk_config;
use clientele_tests::services::moto_endpoint;

async fn secrets() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&sdk_config(moto_endpoint()).await)
}

fn key(text: &str) -> SigningKey {
    SigningKey::new(format!("{text}-padded-to-at-least-thirty-two-bytes")).unwrap()
}

fn signed(key: &SigningKey) -> String {
    issue(
        key,
        &TokenSettings::default(),
        "u",
        BusinessId::random(),
        &[Role::Staff],
        Duration::from_secs(600),
        Timestamp::now(),
    )
    .unwrap()
}

fn secret_id() -> String {
    format!("clientele/test/{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn a_rotation_keeps_the_previous_key_valid_until_it_is_retired() {
    let client = secrets().await;
    let id = secret_id();
    let (old, new, newest) = (key("old"), key("new"), key("newest"));
    clientele_stack::put_secret(&client, &id, std::str::from_utf8(old.expose()).unwrap())
        .await
        .unwrap();

    let keys = SecretsManagerKeys::load(client.clone(), id.clone(), Duration::ZERO)
        .await
        .unwrap();
    let loaded = keys.keys().await.unwrap();
    assert_eq!((loaded.current.clone(), loaded.previous.clone()), (old.clone(), None));
    let verifier = TokenVerifier::new(KeySource::SecretsManager(keys), &TokenSettings::default());
    let old_token = signed(&old);
    assert!(verifier.verify(&old_token).await.is_ok());

    clientele_stack::put_secret(&client, &id, std::str::from_utf8(new.expose()).unwrap())
        .await
        .unwrap();
    assert!(verifier.verify(&signed(&new)).await.is_ok(), "the new key signs");
    assert!(
        verifier.verify(&old_token).await.is_ok(),
        "the old key still verifies during the rotation"
    );

    clientele_stack::put_secret(&client, &id, std::str::from_utf8(newest.expose()).unwrap())
        .await
        .unwrap();
    assert!(verifier.verify(&signed(&newest)).await.is_ok());
    assert!(verifier.verify(&old_token).await.is_err(), "a retired key is refused");
}

#[tokio::test]
async fn a_process_started_during_a_rotation_reads_the_previous_key_when_a_token_needs_it() {
    let client = secrets().await;
    let id = secret_id();
    let (old, new) = (key("old"), key("new"));
    for k in [&old, &new] {
        clientele_stack::put_secret(&client, &id, std::str::from_utf8(k.expose()).unwrap())
            .await
            .unwrap();
    }
    // Started after the rotation, with the default 30 s between early reads.
    let keys = SecretsManagerKeys::load(client.clone(), id.clone(), Duration::from_secs(3_600))
        .await
        .unwrap();
    let loaded = keys.keys().await.unwrap();
    assert_eq!(
        (loaded.current.clone(), loaded.previous.clone()),
        (new.clone(), None),
        "only the current key is read at start"
    );
    let verifier = TokenVerifier::new(KeySource::SecretsManager(keys), &TokenSettings::default());
    assert!(verifier.verify(&signed(&new)).await.is_ok());
    assert!(
        verifier.verify(&signed(&old)).await.is_ok(),
        "a token from before the rotation is accepted: the previous key is read for it"
    );
    assert!(
        verifier.verify(&signed(&key("forged"))).await.is_err(),
        "a key the secret never held is refused"
    );
    assert!(verifier.verify(&signed(&old)).await.is_ok(), "the previous key is kept");
}

#[tokio::test]
async fn keys_are_read_once_until_the_refresh_interval() {
    let client = secrets().await;
    let id = secret_id();
    clientele_stack::put_secret(&client, &id, std::str::from_utf8(key("first").expose()).unwrap())
        .await
        .unwrap();
    let keys = SecretsManagerKeys::load(client.clone(), id.clone(), Duration::from_secs(3_600))
        .await
        .unwrap();
    clientele_stack::put_secret(&client, &id, std::str::from_utf8(key("second").expose()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        keys.keys().await.unwrap().current,
        key("first"),
        "cached until the interval passes"
    );
}

#[tokio::test]
async fn a_missing_or_unusable_secret_stops_start_up() {
    let client = secrets().await;
    assert!(
        SecretsManagerKeys::load(client.clone(), secret_id(), Duration::ZERO)
            .await
            .is_err()
    );
    let id = secret_id();
    clientele_stack::put_secret(&client, &id, "too-short").await.unwrap();
    let error = SecretsManagerKeys::load(client, id, Duration::ZERO).await.unwrap_err();
    assert!(
        !error.to_string().contains("too-short"),
        "the secret's value is never shown"
    );
}

#[tokio::test]
async fn with_jwt_secret_id_set_functions_verify_tokens_in_process() {
    let client = secrets().await;
    let id = secret_id();
    let local = key("local");
    clientele_stack::put_secret(&client, &id, std::str::from_utf8(local.expose()).unwrap())
        .await
        .unwrap();
    let env_id = id.clone();
    let env = move |name: &str| (name == "JWT_SECRET_ID").then(|| env_id.clone());
    let clients = clientele_tests::TestApp::spawn().await.store;
    let auth = Authenticator::from_env(&env, &sdk_config(moto_endpoint()).await, clients)
        .await
        .unwrap();
    assert!(matches!(auth, Authenticator::InProcess(_)));
    let business = BusinessId::random();
    let token = issue(
        &local,
        &TokenSettings::default(),
        "dev",
        business,
        &[Role::Viewer],
        Duration::from_secs(60),
        Timestamp::now(),
    )
    .unwrap();
    let request = Call::get("/api/customers").bearer(&token).to_request();
    let principal = auth.principal(request.headers(), request.extensions()).await.unwrap();
    assert_eq!(principal.business_id, business);
    let forged = Call::get("/api/customers").bearer(&signed(&key("other"))).to_request();
    assert!(auth.principal(forged.headers(), forged.extensions()).await.is_err());
}
