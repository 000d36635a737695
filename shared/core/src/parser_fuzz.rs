//! Property tests of every parser of outside input: request bodies (create,
//! patch, tags, notes, GDPR requests) and inbound event details (admin
//! actions, update and data requests, facts), fed arbitrary JSON built
//! around the field names they read. None may panic, and every refusal
//! names the fields it refuses.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::customer::{CustomerPatch, NewCustomer};
use crate::facts::{Fact, FactKind};
use crate::gdpr::GdprRequest;
use crate::inbound::{AdminAction, DataRequest, UpdateRequest};
use crate::note::NewNote;
use crate::tag::NewTag;
use crate::time::Timestamp;
use crate::validation::ValidationErrors;

/// The field names the parsers read, and a few they do not.
const KEYS: &[&str] = &[
    "full_name",
    "email",
    "phone",
    "gender",
    "customer_type",
    "user_id",
    "business_id",
    "customer_id",
    "label",
    "color",
    "priority",
    "content",
    "customerId",
    "businessId",
    "adminId",
    "action",
    "details",
    "reason",
    "changes",
    "requestId",
    "fields",
    "expectedVersion",
    "orderId",
    "appointmentId",
    "amount",
    "occurredAt",
    "id",
    "version",
];

/// Strings near what the parsers accept, and far from it.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("123e4567-e89b-12d3-a456-426614174001".to_owned()),
        Just("00000000-0000-0000-0000-000000000000".to_owned()),
        Just("ann@example.com".to_owned()),
        Just("suspend".to_owned()),
        Just("2026-11-25T10:00:00Z".to_owned()),
        Just("#FFD700".to_owned()),
        Just("\u{202E}".to_owned()),
        "\\PC{0,24}",
        ".{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e20f64..1e20).prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            object_of(inner),
        ]
    })
}

fn object_of(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    let key = prop_oneof![prop::sample::select(KEYS).prop_map(str::to_owned), "\\PC{0,8}"];
    prop::collection::btree_map(key, values, 0..8).prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

/// A refusal must say what it refuses.
fn names_fields<T>(result: Result<T, ValidationErrors>) -> Result<(), TestCaseError> {
    if let Err(errors) = result {
        prop_assert!(!errors.fields().is_empty(), "a refusal that names no field");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn request_bodies_never_panic_and_name_what_they_refuse(body in object_of(json_value())) {
        let Value::Object(body) = body else { unreachable!("object_of makes objects") };
        names_fields(NewCustomer::from_json(&body))?;
        names_fields(CustomerPatch::from_json(&body))?;
        names_fields(NewNote::from_json(&body))?;
        names_fields(GdprRequest::from_json(&body))?;
        names_fields(NewTag::with_customer_from_json(&body))?;
        names_fields(NewTag::many_from_json(&Value::Object(body)))?;
    }

    #[test]
    fn tag_lists_never_panic_and_name_what_they_refuse(body in json_value()) {
        names_fields(NewTag::many_from_json(&body))?;
    }

    #[test]
    fn inbound_details_never_panic_and_name_what_they_refuse(detail in json_value()) {
        names_fields(AdminAction::from_detail(&detail))?;
        names_fields(UpdateRequest::from_detail(&detail))?;
        names_fields(DataRequest::from_detail(&detail))?;
        let now = Timestamp::now();
        for kind in [FactKind::OrderCompleted, FactKind::OrderReturned, FactKind::AppointmentBooked, FactKind::AppointmentCancelled] {
            names_fields(Fact::from_detail(kind, &detail, now, now))?;
        }
    }

    #[test]
    fn folding_is_stable(text in "\\PC{0,40}") {
        let once = crate::text::fold(&text);
        prop_assert_eq!(crate::text::fold(&once), once);
    }
}
