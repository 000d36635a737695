//! Outside input of any shape through a whole function, as API Gateway hands
//! it over: query strings and `Authorization` headers drawn by proptest
//! (deterministic seeds, a bounded count). Never a panic or a 5xx; every
//! refusal is problem+json naming what it refuses.

use clientele_auth::Role;
use clientele_tests::{Call, TestApp, customer_body};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

const CASES: usize = 64;

/// Percent-encodes every byte but letters and digits.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn draw<T: std::fmt::Debug>(strategy: &impl Strategy<Value = T>, runner: &mut TestRunner) -> T {
    strategy.new_tree(runner).expect("the strategy draws").current()
}

#[tokio::test]
async fn any_query_string_is_read_or_refused_by_its_own_names() {
    let app = TestApp::spawn().await;
    app.created(&customer_body("Queried Quinn")).await;
    let names = prop_oneof![
        Just("limit".to_owned()),
        Just("status".to_owned()),
        Just("customer_type".to_owned()),
        Just("email".to_owned()),
        Just("name_prefix".to_owned()),
        Just("tag".to_owned()),
        Just("business_id".to_owned()),
        Just("cursor".to_owned()),
        "\\PC{1,8}",
    ];
    let values = prop_oneof![
        Just("20".to_owned()),
        Just("active".to_owned()),
        Just("sme".to_owned()),
        Just(app.business.to_string()),
        "\\PC{0,24}",
    ];
    let pairs = proptest::collection::vec((names, values), 0..6);
    let mut runner = TestRunner::deterministic();
    for _ in 0..CASES {
        let pairs = draw(&pairs, &mut runner);
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encoded(k), encoded(v)))
            .collect();
        let path = format!("/api/customers?{}", query.join("&"));
        let response = app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await;
        match response.status {
            200 => {}
            400 => {
                assert_eq!(response.problem(), "invalid-parameters", "{path}");
                for field in response.problem_fields() {
                    assert!(
                        pairs.iter().any(|(k, _)| *k == field),
                        "{path}: {field} is not in the query"
                    );
                }
            }
            403 => assert!(pairs.iter().any(|(k, _)| k == "business_id"), "{path}"),
            other => panic!("{path}: {other} {}", String::from_utf8_lossy(&response.body)),
        }
    }
}

#[tokio::test]
async fn any_authorization_header_is_refused_with_401() {
    let app = TestApp::spawn().await;
    let headers = prop_oneof![
        "[ -~]{0,120}",
        "[ -~]{0,80}".prop_map(|t| format!("Bearer {t}")),
        "[A-Za-z0-9+/=]{0,80}".prop_map(|t| format!("Basic {t}")),
        ("[A-Za-z0-9_-]{1,40}", "[A-Za-z0-9_-]{1,80}", "[A-Za-z0-9_-]{0,40}")
            .prop_map(|(h, p, s)| format!("Bearer {h}.{p}.{s}")),
    ];
    let mut runner = TestRunner::deterministic();
    for _ in 0..CASES {
        let header = draw(&headers, &mut runner);
        let response = app
            .send(Call::get("/api/customers").header("Authorization", &header))
            .await;
        assert_eq!(
            response.status,
            401,
            "{header:?}: {}",
            String::from_utf8_lossy(&response.body)
        );
        assert_eq!(response.problem(), "unauthorized");
    }
}
