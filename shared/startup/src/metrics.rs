//! Business metrics, in CloudWatch's Embedded Metric Format: code counts
//! with the `metrics` facade (`metrics::counter!("Requests", "route" => ..)`),
//! and after every invocation the counts go to standard output as EMF JSON
//! lines, which CloudWatch Logs turns into metrics: no API call, no latency,
//! no permission beyond writing logs.
//!
//! Every metric is in the `METRICS_NAMESPACE` namespace (`Clientele` unless
//! set) with the dimension `function` (the Lambda function's name), plus
//! its own few labels as dimensions: a route, a status class, a reason;
//! never a customer's or a business's id. [`CATALOGUE`] names them all.

use std::sync::OnceLock;

use metrics::Unit;
use metrics_cloudwatch_embedded::{Builder, Collector};

use crate::env::Lookup;

/// The namespace unless `METRICS_NAMESPACE` names another.
pub const DEFAULT_NAMESPACE: &str = "Clientele";

/// Every metric the functions emit: its name, unit and meaning.
pub const CATALOGUE: &[(&str, Unit, &str)] = &[
    ("ColdStart", Unit::Count, "a process served its first invocation"),
    ("Requests", Unit::Count, "requests answered, by route and status class"),
    (
        "Latency",
        Unit::Milliseconds,
        "time to answer, by route and status class",
    ),
    (
        "Throttled",
        Unit::Count,
        "429 answers, by reason (rate-limited, budget-spent)",
    ),
    ("CustomersCreated", Unit::Count, "customers created"),
    ("CustomersErased", Unit::Count, "customers erased (GDPR)"),
    (
        "AuthorizerRefusals",
        Unit::Count,
        "requests the authorizer refused, by reason",
    ),
    ("InboundEvents", Unit::Count, "inbound events handled, by outcome"),
    ("InboundDropped", Unit::Count, "inbound events dropped, by reason"),
    ("EventsPublished", Unit::Count, "outbox events published to the bus"),
    (
        "EventsDeadLettered",
        Unit::Count,
        "stream records sent to the publisher's dead-letter queue",
    ),
    (
        "PeakMemory",
        Unit::Bytes,
        "the process's peak resident memory (VmHWM) after an invocation",
    ),
];

static COLLECTOR: OnceLock<&'static Collector> = OnceLock::new();

/// Starts collecting, once per process. Where a recorder is already set (a
/// test's), the functions count into that one instead.
pub fn init(env: &impl Lookup) {
    let namespace = env
        .get("METRICS_NAMESPACE")
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    let function = env
        .get("AWS_LAMBDA_FUNCTION_NAME")
        .unwrap_or_else(|| "local".to_owned());
    let started = Builder::new()
        .cloudwatch_namespace(namespace)
        .with_dimension("function", function)
        .lambda_cold_start_metric("ColdStart")
        .init();
    match started {
        Ok(collector) => {
            let _ = COLLECTOR.set(collector);
            describe();
        }
        Err(error) => tracing::warn!(%error, "metrics are not collected here"),
    }
}

/// Gives the recorder every metric's unit.
pub fn describe() {
    for (name, unit, meaning) in CATALOGUE {
        match unit {
            Unit::Milliseconds => metrics::describe_histogram!(*name, *unit, *meaning),
            Unit::Bytes => metrics::describe_gauge!(*name, *unit, *meaning),
            _ => metrics::describe_counter!(*name, *unit, *meaning),
        }
    }
}

/// The process's peak resident memory so far, in bytes (`VmHWM` in
/// `/proc/self/status`, what Lambda's `report` line calls "Max Memory
/// Used"); `None` where there is no such file.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kibibytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kibibytes * 1024)
}

/// Records [`peak_memory_bytes`] as `PeakMemory`, after an invocation: the
/// memory the function's size must leave room for, which the logs do not
/// carry (the template keeps Lambda's own `report` lines out).
pub fn record_peak_memory() {
    if let Some(bytes) = peak_memory_bytes() {
        metrics::gauge!("PeakMemory").set(bytes as f64);
    }
}

/// The process's collector, once [`init`] has set one.
pub fn collector() -> Option<&'static Collector> {
    COLLECTOR.get().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_memory_is_read_from_the_process_status() {
        let bytes = peak_memory_bytes().expect("Linux has /proc/self/status");
        assert!(bytes > 1024 * 1024, "{bytes}");
        assert_eq!(bytes % 1024, 0, "counted in kibibytes");
    }

    #[test]
    fn the_catalogue_names_each_metric_once() {
        let mut names: Vec<&str> = CATALOGUE.iter().map(|(name, ..)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
    }
}
