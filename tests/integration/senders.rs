//! Who may send what on the bus, evaluated on the template as deployed:
//! the inbound function's rule matches exactly the (source, detail-type)
//! pairs of `clientele_core::inbound::SENDERS`, and the bus's policy lets
//! only each platform service's own principal put events under its source,
//! and only the publisher under ours, whatever the other principals' own IAM
//! policies allow.

use std::collections::BTreeSet;

use clientele_core::inbound::SENDERS;
use clientele_tests::cloudformation::{ACCOUNT, Deployed, Request, allowed, denied};
use serde_json::Value;

const SERVICES: [(&str, &str); 8] = [
    ("platform.admin", "AdminServicePrincipalArn"),
    ("platform.profiles", "ProfilesServicePrincipalArn"),
    ("platform.orders", "OrdersServicePrincipalArn"),
    ("platform.appointments", "AppointmentsServicePrincipalArn"),
    ("platform.mobile", "MobileServicePrincipalArn"),
    ("platform.accounting", "AccountingServicePrincipalArn"),
    ("platform.portfolio-sme", "PortfolioSmeServicePrincipalArn"),
    (
        "platform.portfolio-institution",
        "PortfolioInstitutionServicePrincipalArn",
    ),
];

fn role(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn put(principal: &str, bus: &str, source: &str) -> Request {
    Request::new(principal, "events:PutEvents", bus).with("events:source", &[source])
}

fn bus_statements(template: &Deployed) -> Vec<Value> {
    let policy = template.properties("EventBus")["Policy"].clone();
    policy["Statement"].as_array().cloned().expect("the bus has a policy")
}

#[test]
fn the_inbound_rule_matches_exactly_the_pairs_each_source_may_send() {
    let template = Deployed::template(&[]);
    let pattern = template.properties("InboundFunction")["Events"]["FromPlatform"]["Properties"]["Pattern"].clone();
    let mut in_template = BTreeSet::new();
    for alternative in pattern["$or"].as_array().expect("one alternative per sender") {
        let keys: BTreeSet<&str> = alternative.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["source", "detail-type"]), "{alternative}");
        for source in alternative["source"].as_array().unwrap() {
            for detail_type in alternative["detail-type"].as_array().unwrap() {
                let pair = (
                    source.as_str().unwrap().to_owned(),
                    detail_type.as_str().unwrap().to_owned(),
                );
                assert!(in_template.insert(pair.clone()), "{pair:?} twice");
            }
        }
    }
    let in_code: BTreeSet<(String, String)> = SENDERS
        .iter()
        .flat_map(|s| s.detail_types.iter().map(|t| (s.source.to_owned(), (*t).to_owned())))
        .collect();
    assert_eq!(in_template, in_code);
}

#[test]
fn only_each_services_own_principal_may_put_events_under_its_source() {
    let overrides: Vec<(&str, String)> = SERVICES
        .iter()
        .map(|(source, parameter)| (*parameter, role(&format!("{source}-service"))))
        .collect();
    let given: Vec<(&str, &str)> = overrides.iter().map(|(p, v)| (*p, v.as_str())).collect();
    let template = Deployed::template(&given);
    let bus = template.arn("EventBus");
    let statements = bus_statements(&template);
    let everyone: Vec<String> = SERVICES
        .iter()
        .map(|(source, _)| role(&format!("{source}-service")))
        .chain(
            [
                "PublisherFunctionRole",
                "InboundFunctionRole",
                "CustomersFunctionRole",
                "SomeOtherTeamsRole",
            ]
            .map(role),
        )
        .collect();
    for (source, _) in SERVICES {
        let owner = role(&format!("{source}-service"));
        for principal in &everyone {
            assert_eq!(
                denied(&statements, &put(principal, &bus, source)),
                *principal != owner,
                "{principal} putting {source} events"
            );
        }
    }
    for principal in &everyone {
        assert_eq!(
            denied(&statements, &put(principal, &bus, "clientele.customers")),
            *principal != role("PublisherFunctionRole"),
            "{principal} passing for us"
        );
    }
    // Other sources the rule never reads, and other actions, are left to IAM.
    assert!(!denied(
        &statements,
        &put(&role("SomeOtherTeamsRole"), &bus, "their.own")
    ));
}

#[test]
fn with_no_principal_named_nobody_may_send_as_a_platform_service() {
    let template = Deployed::template(&[]);
    let bus = template.arn("EventBus");
    let statements = bus_statements(&template);
    for (source, _) in SERVICES {
        for principal in [role(&format!("{source}-service")), role("PublisherFunctionRole")] {
            assert!(
                denied(&statements, &put(&principal, &bus, source)),
                "{principal} as {source}"
            );
        }
    }
}

#[test]
fn only_the_publisher_is_granted_putting_events_on_our_bus() {
    let template = Deployed::template(&[
        (
            "DataResponseBusArns",
            "arn:aws:events:us-east-1:210987654321:event-bus/profiles-answers",
        ),
        (
            "DataResponseQueueArns",
            "arn:aws:sqs:us-east-1:210987654321:profiles-answers",
        ),
    ]);
    let bus = template.arn("EventBus");
    for function in template.functions() {
        let statements = template.function_statements(&function);
        let ours = put(&role(&format!("{function}Role")), &bus, "clientele.customers")
            .with("events:detail-type", &["customer.created"]);
        assert_eq!(
            allowed(&statements, &ours),
            function == "PublisherFunction",
            "{function} putting events on our bus"
        );
    }
    let inbound = template.function_statements("InboundFunction");
    let answer = put(
        &role("InboundFunctionRole"),
        "arn:aws:events:us-east-1:210987654321:event-bus/profiles-answers",
        "clientele.customers",
    )
    .with("events:detail-type", &["customer.data.response"]);
    assert!(
        allowed(&inbound, &answer),
        "the inbound function answers on the requester's bus"
    );
    let queue = Request::new(
        &role("InboundFunctionRole"),
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:210987654321:profiles-answers",
    );
    assert!(allowed(&inbound, &queue), "and to the requester's queue");
    let elsewhere = Request::new(
        &role("InboundFunctionRole"),
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:210987654321:somebody-elses",
    );
    assert!(!allowed(&inbound, &elsewhere), "and nowhere else");
}
