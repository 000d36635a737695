//! The dashboard and the alarms read the metrics the functions write, in
//! the namespace the template gives them.

use clientele_startup::metrics::CATALOGUE;
use clientele_tests::cloudformation::{Deployed, STACK};
use serde_json::Value;

/// Every `expression` in a dashboard's body.
fn expressions(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("expression", Value::String(text)) => found.push(text.clone()),
                    _ => expressions(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| expressions(item, found)),
        _ => {}
    }
}

#[test]
fn the_dashboard_charts_every_metric_in_the_namespace_the_functions_write() {
    let template = Deployed::template(&[]);
    let namespace = template.globals()["Function"]["Environment"]["Variables"]["METRICS_NAMESPACE"].clone();
    let namespace = namespace.as_str().expect("every function is given the namespace");
    assert_eq!(namespace, format!("Clientele/{STACK}"), "one namespace per stack");

    let body = template.properties("Dashboard")["DashboardBody"].clone();
    let body: Value = serde_json::from_str(body.as_str().unwrap()).expect("the dashboard's body is JSON");
    let mut searches = Vec::new();
    expressions(&body, &mut searches);
    for (name, ..) in CATALOGUE {
        let wanted = format!("MetricName=\"{name}\"");
        let charted = searches
            .iter()
            .find(|search| search.contains(&wanted))
            .unwrap_or_else(|| panic!("{name} is on no chart: {searches:#?}"));
        assert!(
            charted.contains(&format!("{{{namespace},")),
            "{name} is searched in its namespace: {charted}"
        );
    }

    for alarm in ["ServerErrorsAlarm", "SlowAnswersAlarm"] {
        let query = template.properties(alarm)["Metrics"][0]["Expression"].clone();
        let query = query.as_str().unwrap_or_default();
        assert!(
            query.contains(&format!("SCHEMA(\"{namespace}\", function, route, status_class)")),
            "{alarm}: {query}"
        );
    }
}
