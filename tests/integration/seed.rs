//! `make seed`: demo customers in bulk, stored as the operations store them,
//! and seeding again adds nothing that is there.

use clientele_auth::Role;
use clientele_core::{BusinessId, Timestamp};
use clientele_stack::demo::BUSINESS;
use clientele_stack::seed::{SECOND_BUSINESS, Seeded, seed};
use clientele_tests::app::token;
use clientele_tests::{Call, TestApp};
use serde_json::Value;

#[tokio::test]
async fn seeding_fills_two_businesses_once_and_everything_holds() {
    let app = TestApp::spawn().await;
    let now = Timestamp::now();
    assert_eq!(
        seed(&app.store, 24, now).await.unwrap(),
        Seeded {
            created: 24,
            present: 0
        }
    );
    assert_eq!(
        seed(&app.store, 30, now).await.unwrap(),
        Seeded {
            created: 6,
            present: 24
        },
        "again: only the customers missing"
    );
    assert!(app.violations().await.is_empty(), "{:#?}", app.violations().await);

    let page = |business: &str, query: &str| {
        let business = BusinessId::parse(business).unwrap();
        let call = Call::get(&format!("/api/customers/?limit=100{query}")).bearer(&token(business, &[Role::Viewer]));
        async { app.send(call).await.json() }
    };
    let demo = page(BUSINESS, "").await;
    let second = page(SECOND_BUSINESS, "").await;
    let (demo, second) = (demo["items"].as_array().unwrap(), second["items"].as_array().unwrap());
    assert_eq!((demo.len(), second.len()), (20, 10), "two thirds, one third");
    let statuses = |items: &[Value], status: &str| items.iter().filter(|c| c["status"] == status).count();
    let all: Vec<Value> = demo.iter().chain(second).cloned().collect();
    assert_eq!(statuses(&all, "pending"), 8, "a quarter are never validated");
    assert_eq!(statuses(&all, "suspended"), 1, "the 23rd is suspended");
    assert!(all.iter().any(|c| c["total_orders"].as_u64() > Some(0)));
    assert!(all.iter().any(|c| c["customer_type"] == "institution"));
    let orders: u64 = all.iter().filter_map(|c| c["total_orders"].as_u64()).sum();
    assert_eq!(
        orders,
        (0..30).map(|i| i % 6).sum::<u64>(),
        "every order fact counted once"
    );
}
