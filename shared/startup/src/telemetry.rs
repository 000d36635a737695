//! Logs as Lambda's log settings ask for them: JSON lines when
//! `AWS_LAMBDA_LOG_FORMAT=JSON` (as the template sets it), at
//! `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG` (INFO otherwise); and the business
//! metrics ([`crate::metrics`]).

/// Starts the tracing subscriber and the metrics. Call once, first thing in
/// `main`.
pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
    crate::metrics::init(&crate::env::ProcessEnv);
}
