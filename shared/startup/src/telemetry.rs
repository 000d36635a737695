//! Logs as Lambda's log settings ask for them: JSON lines when
//! `AWS_LAMBDA_LOG_FORMAT=JSON` (as the template sets it), at
//! `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG` (INFO otherwise); and the business
//! metrics ([`crate::metrics`]).
//!
//! A development build (`make run`, the tests) also reads per-module
//! directives from `RUST_LOG` (`info,clientele_store=debug`), through
//! tracing-subscriber's `EnvFilter`. A release build takes a level only, as
//! Lambda's log controls give one: it leaves out the filter's regular
//! expressions, about half a megabyte of every binary.

use crate::env::{Lookup, ProcessEnv};
use lambda_runtime::tracing::subscriber::filter::LevelFilter;

/// Starts the tracing subscriber and the metrics. Call once, first thing in
/// `main`.
pub fn init() {
    if crate::DEVELOPMENT_BUILD {
        lambda_runtime::tracing::init_default_subscriber();
    } else {
        init_at_level(&ProcessEnv);
    }
    crate::metrics::init(&ProcessEnv);
}

/// Every line at Lambda's log level or above, formatted as
/// `init_default_subscriber` formats them (no target, no time: Lambda adds it).
fn init_at_level(env: &impl Lookup) {
    let logs = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(log_level(env))
        .with_writer(std::io::stdout);
    let json = env
        .get("AWS_LAMBDA_LOG_FORMAT")
        .is_some_and(|format| format.eq_ignore_ascii_case("json"));
    if json { logs.json().init() } else { logs.init() }
}

/// `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, as a level; INFO when neither is one.
fn log_level(env: &impl Lookup) -> LevelFilter {
    env.get("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|| env.get("RUST_LOG"))
        .and_then(|level| level.trim().parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambdas_level_comes_first_then_rust_log_then_info() {
        let level = |lambda: Option<&'static str>, rust_log: Option<&'static str>| {
            log_level(&move |name: &str| match name {
                "AWS_LAMBDA_LOG_LEVEL" => lambda.map(str::to_owned),
                "RUST_LOG" => rust_log.map(str::to_owned),
                _ => None,
            })
        };
        assert_eq!(level(Some("DEBUG"), Some("error")), LevelFilter::DEBUG);
        assert_eq!(level(None, Some("warn")), LevelFilter::WARN);
        assert_eq!(level(None, None), LevelFilter::INFO);
        assert_eq!(
            level(None, Some("info,clientele_store=debug")),
            LevelFilter::INFO,
            "directives are a development build's"
        );
        assert_eq!(level(Some("verbose"), None), LevelFilter::INFO);
    }
}
