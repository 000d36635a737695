//! Every request event in `events/` parses as lambda_http parses it in Lambda,
//! and reaches a route of the function its folder names.

use std::fs;

use clientele_auth::from_context;
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

#[test]
fn every_customers_event_routes_and_carries_a_principal() {
    let events = events_of("customers");
    assert_eq!(events.len(), 6, "one event per route");
    for (name, request) in events {
        let route = customers::routes::Route::resolve(request.method(), request.uri().path());
        assert!(route.is_ok(), "{name} does not reach a route: {route:?}");
        assert!(principal_in(&request), "{name} has no valid authorizer context");
    }
}

#[test]
fn every_service_event_is_answered() {
    let events = events_of("service");
    assert_eq!(events.len(), 2);
    for (name, request) in events {
        assert_eq!(service::handle(&request).status(), 200, "{name}");
    }
}
