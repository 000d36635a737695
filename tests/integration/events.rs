//! Every request event in `events/` parses as lambda_http parses it in Lambda,
//! and reaches a route of the function its folder names.

use std::fs;

use clientele_auth::from_context;
use clientele_tests::app::Function;
use clientele_tests::services::project_root;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

fn events_of(function: &str) -> Vec<(String, Request)> {
    let folder = project_root().join("events").join(function);
    let mut events = Vec::new();
    for entry in fs::read_dir(&folder).unwrap_or_else(|e| panic!("{}: {e}", folder.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = fs::read_to_string(&path).unwrap();
            let request = lambda_http::request::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not an API Gateway event: {e}", path.display()));
            events.push((path.display().to_string(), request));
        }
    }
    events.sort_by(|a, b| a.0.cmp(&b.0));
    events
}

fn principal_in(request: &Request) -> bool {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .is_some_and(|a| from_context(&a.fields).is_ok()),
        _ => false,
    }
}

/// Checks every event of a function's folder reaches one of its declared
/// routes and carries a principal; returns how many there are.
fn check_route_events(function: Function) -> usize {
    let events = events_of(function.name());
    let routes = function.routes();
    for (name, request) in &events {
        let reached = routes
            .iter()
            .any(|route| route.matches(request.method().as_str(), request.uri().path()));
        assert!(reached, "{name} does not reach a route of {}", function.name());
        assert!(principal_in(request), "{name} has no valid authorizer context");
    }
    events.len()
}

#[test]
fn every_route_event_reaches_its_route_and_carries_a_principal() {
    assert_eq!(
        check_route_events(Function::Customers),
        31,
        "one event per customers route"
    );
    assert_eq!(
        check_route_events(Function::Tags),
        6,
        "one event per tags route, and a list"
    );
    assert_eq!(check_route_events(Function::Notes), 3, "one event per notes route");
    assert_eq!(
        check_route_events(Function::Contacts),
        7,
        "one event per contacts route"
    );
    assert_eq!(
        check_route_events(Function::Interactions),
        8,
        "one event per interactions route"
    );
    assert_eq!(check_route_events(Function::Tokens), 7, "one event per tokens route");
    assert_eq!(check_route_events(Function::Users), 6, "one event per users route");
    assert_eq!(
        check_route_events(Function::Subscriptions),
        9,
        "one event per subscriptions route"
    );
    assert_eq!(check_route_events(Function::Gdpr), 2, "one event per gdpr route");
}

#[tokio::test]
async fn the_avatar_event_carries_an_image_the_function_accepts() {
    let (_, request) = events_of("customers")
        .into_iter()
        .find(|(name, _)| name.ends_with("avatar-set.json"))
        .expect("an avatar upload event");
    let image = customers::upload::image(request.headers(), request.body().as_ref())
        .await
        .expect("a PNG the upload route accepts");
    assert_eq!(image.content_type, "image/png");
}

#[tokio::test]
async fn every_service_event_is_answered() {
    let events = events_of("service");
    assert_eq!(events.len(), 2);
    for (name, request) in events {
        assert_eq!(service::function().handle(request).await.status(), 200, "{name}");
    }
}

#[tokio::test]
async fn every_authorizer_event_is_allowed_or_refused_as_its_name_says() {
    use clientele_auth::{Decision, Denial, Gatekeeper, KeySet, KeySource, SigningKey, TokenSettings, TokenVerifier};
    use clientele_stack::demo;

    let app = clientele_tests::TestApp::spawn().await;
    demo::ensure(&app.store).await.unwrap();
    let local_key = SigningKey::new(demo::LOCAL_SIGNING_KEY).unwrap();
    let authorizer = auth_check::Authorizer::new(Gatekeeper::new(
        TokenVerifier::new(KeySource::Fixed(KeySet::single(local_key)), &TokenSettings::default()),
        app.store.clone(),
    ));
    let folder = project_root().join("events/auth-check");
    let mut seen = 0;
    for entry in fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let event: auth_check::AuthorizerRequest = serde_json::from_str(&fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name} is not an authorizer request: {e}"));
        let decision = clientele_auth::from_context(&authorizer.authorize(&event).await.context).unwrap();
        match name.as_str() {
            "client-active.json" => assert!(matches!(decision, Decision::Allow(_)), "{name}"),
            "no-credentials.json" => assert_eq!(decision, Decision::Deny(Denial::MissingCredentials), "{name}"),
            _ => assert_eq!(decision, Decision::Deny(Denial::InvalidCredentials), "{name}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 8);
}

#[test]
fn the_makefiles_local_key_is_the_one_the_demo_data_uses() {
    let makefile = fs::read_to_string(project_root().join("Makefile")).unwrap();
    let line = format!("LOCAL_JWT_KEY := {}", clientele_stack::demo::LOCAL_SIGNING_KEY);
    assert!(
        makefile.lines().any(|l| l.trim() == line),
        "the Makefile should say: {line}"
    );
}
