//! Faults under load, injected by a proxy between the functions and
//! DynamoDB Local or moto (cut, delay), never by stopping them: the
//! requests answer 503 with Retry-After, never a 500 or a partial write,
//! the service recovers by itself, and no acknowledged write or published
//! event is lost.

use std::collections::HashSet;
use std::time::Duration;

use clientele_core::Timestamp;
use clientele_tests::app::{Stream, sdk_config};
use clientele_tests::delivery::EventFlow;
use clientele_tests::load::{self, Load};
use clientele_tests::proxy::{FaultyProxy, behind_dynamodb_proxy};
use clientele_tests::services::{dead_endpoint, moto_endpoint};
use clientele_tests::{TestApp, token};

fn tokens() -> Box<load::Tokens> {
    Box::new(|business, role| token(business, &[role]))
}

#[tokio::test]
async fn dynamodb_slowed_then_cut_under_load_answers_503_loses_nothing_and_recovers() {
    let (app, proxy) = behind_dynamodb_proxy(Stream::Off).await;
    let load = Load {
        clients: 4,
        businesses: 2,
        duration: Duration::from_secs(12),
    };
    let tokens = tokens();
    // The cut outlasts the SDK's own retries (three attempts within about
    // three seconds), so requests meet it whatever the machine's pace.
    let faults = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        proxy.delay(Duration::from_millis(200));
        tokio::time::sleep(Duration::from_secs(2)).await;
        proxy.restore();
        proxy.cut();
        tokio::time::sleep(Duration::from_secs(5)).await;
        proxy.restore();
    };
    // The functions' clock (which times leases, windows and expiries) keeps
    // pace with the real one, as a claim the cut kept from being given up
    // must run out for its retry to go through.
    let ticking = async {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            app.clock.advance(1);
        }
    };
    let (report, ()) = tokio::select! {
        both = async { tokio::join!(load::run(&app, tokens.as_ref(), &load), faults) } => both,
        () = ticking => unreachable!("the clock ticks forever"),
    };
    println!("{}", report.table());
    assert_eq!(report.problems(), Vec::<String>::new());
    assert!(report.unavailable() > 0, "the cut was met: {:?}", report.statuses);
    assert_eq!(report.statuses.get(&500), None, "never a 500");
    assert!(
        report.statuses.get(&201).is_some_and(|n| *n > 0),
        "writes went on after the cut: {:?}",
        report.statuses
    );
    let broken = app.store.violations(Timestamp::now()).await.unwrap();
    assert!(broken.is_empty(), "nothing half-written: {broken:?}");
}

#[tokio::test]
async fn with_the_bus_cut_the_publisher_loses_no_event_of_a_load() {
    let app = TestApp::spawn_with_stream().await;
    let load = Load {
        clients: 2,
        businesses: 1,
        duration: Duration::from_secs(2),
    };
    // More events than one PutEvents call takes, however slow the machine:
    // the load runs again until it has recorded that many, a few times at most.
    let mut recorded = HashSet::new();
    for _ in 0..8 {
        let report = load::run(&app, tokens().as_ref(), &load).await;
        assert_eq!(report.problems(), Vec::<String>::new());
        recorded = app
            .items_of("Event")
            .await
            .iter()
            .map(|e| e["sk"].as_s().unwrap().rsplit('#').next().unwrap().to_owned())
            .collect();
        if recorded.len() > 10 {
            break;
        }
    }
    assert!(recorded.len() > 10, "the load recorded events: {}", recorded.len());

    let proxy = FaultyProxy::start(moto_endpoint()).await;
    let flow = EventFlow::through(&app, &proxy.endpoint).await;
    proxy.cut();
    for _ in 0..2 {
        let (_, answer) = flow.feed_once().await;
        assert_eq!(
            answer.batch_item_failures.len(),
            1,
            "handed back from its first unsent event"
        );
    }
    assert!(flow.published().await.is_empty());
    proxy.restore();
    let events = flow.deliver().await;
    let published: Vec<String> = events
        .iter()
        .map(|e| e["detail"]["eventId"].as_str().unwrap().to_owned())
        .collect();
    let unique: HashSet<String> = published.iter().cloned().collect();
    assert_eq!(unique.len(), published.len(), "none twice");
    assert_eq!(unique, recorded, "every recorded event reached the bus, counted");
    assert!(flow.dead_lettered().await.is_empty());
}

#[tokio::test]
async fn with_secrets_manager_unreachable_a_function_does_not_start() {
    let sdk = sdk_config(&dead_endpoint()).await;
    let env = |name: &str| match name {
        "TABLE_NAME" => Some("clientele".to_owned()),
        "AVATAR_BUCKET" => Some("clientele-avatars".to_owned()),
        "JWT_SECRET_ID" => Some("clientele/jwt-signing-key".to_owned()),
        _ => None,
    };
    let refused = customers::function(&env, &sdk).await.unwrap_err().to_string();
    assert!(refused.contains("could not be read"), "a clear failure: {refused}");
    let refused = auth_check::Authorizer::from_env(&env, &sdk)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("could not be read"), "{refused}");
}
