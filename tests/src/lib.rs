//! The integration-test harness: real local services (DynamoDB Local, moto)
//! started by the tests themselves, a fresh table per test, and requests built
//! as API Gateway events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

pub mod app;
pub mod call;
pub mod clock;
pub mod cloudformation;
pub mod contract;
pub mod delivery;
pub mod fixtures;
pub mod iam;
pub mod load;
pub mod logs;
pub mod proxy;
pub mod reads;
pub mod services;
pub mod sweeps;
pub mod table_stream;
pub mod transfers;

pub use app::{TestApp, basic, customer_body, token};
pub use call::{Call, TestResponse};
