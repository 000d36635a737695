//! Every function's handler against DynamoDB Local and moto, which the tests
//! start themselves. One binary, so the local services start once; each test
//! has its own table, so tests run in parallel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod access;
mod audit;
mod authorizer;
mod avatars;
mod bindings;
mod budget;
mod build;
mod check;
mod clients;
mod contacts;
mod contract;
mod correlation;
mod create;
mod dashboard;
mod delete;
mod delivery;
mod events;
mod faults;
mod gdpr;
mod iam;
mod idempotency;
mod inbound;
mod inputs;
mod interactions;
mod lifecycle;
mod list;
mod local_stack;
mod migrate;
mod notes;
mod orders;
mod outage;
mod read;
mod samconfig;
mod saved_segments;
mod search;
mod seed;
mod segments;
mod senders;
mod signing_keys;
mod subscriptions;
mod tags;
mod tokens;
mod traces;
mod transfers;
mod update;
mod users;
