//! Answering other services' data requests with only what each may see.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use clientele_core::event::SCHEMA_VERSION;
use clientele_core::inbound::{DataRequest, DataResponse, may_send};
use clientele_core::{EventId, OperationError, Timestamp};
use clientele_store::DynamoStore;

use crate::views::CustomerView;

/// The detail-type of a data request.
pub const DATA_REQUEST: &str = "customer.data.request";

/// The customer fields a data request may be given: those of
/// [`CustomerView`], the customer as the API shows it.
pub const SHAREABLE_FIELDS: &[&str] = &[
    "id",
    "user_id",
    "business_id",
    "full_name",
    "email",
    "phone",
    "gender",
    "avatar_url",
    "customer_type",
    "status",
    "total_orders",
    "total_appointments",
    "last_order_date",
    "last_appointment_date",
    "lifetime_value",
    "primary_contact_id",
    "created_at",
    "updated_at",
    "version",
];

/// Where a requester's answers are delivered: to it alone, never on the
/// shared bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An SQS queue, by its URL.
    Queue(String),
    /// An EventBridge bus of the requester's, by its ARN.
    Bus(String),
}

impl Destination {
    /// A queue URL (`https://sqs...`, or a local `http://...`) or a bus ARN
    /// (`arn:aws:events:...:event-bus/...`).
    pub fn parse(text: &str) -> Result<Self, InvalidPolicy> {
        if text.starts_with("https://") || text.starts_with("http://") {
            Ok(Destination::Queue(text.to_owned()))
        } else if text.starts_with("arn:") && text.contains(":events:") && text.contains(":event-bus/") {
            Ok(Destination::Bus(text.to_owned()))
        } else {
            Err(InvalidPolicy(format!(
                "{text:?} is neither an SQS queue URL nor an EventBridge bus ARN"
            )))
        }
    }
}

/// What one requester may ask for, and where its answers go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// The customer fields it may receive.
    pub fields: BTreeSet<String>,
    /// Where its answers are delivered.
    pub deliver_to: Destination,
}

/// Which requester (an event source) may receive which fields, and where
/// (`DATA_REQUESTERS`: a JSON object of source →
/// `{"fields": [...], "deliver_to": "<queue URL or bus ARN>"}`). A source
/// not named may ask nothing, and only a source allowed to send
/// `customer.data.request` may be named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataPolicy {
    requesters: HashMap<String, Requester>,
}

/// A policy that is not a JSON object of requesters, names a field no
/// customer has, a destination that is none, or a source that may not ask.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the data request policy is invalid: {0}")]
pub struct InvalidPolicy(String);

impl DataPolicy {
    /// Reads a policy from its JSON text.
    pub fn parse(text: &str) -> Result<Self, InvalidPolicy> {
        let value: Value = serde_json::from_str(text).map_err(|e| InvalidPolicy(e.to_string()))?;
        let object = value
            .as_object()
            .ok_or_else(|| InvalidPolicy("it must be a JSON object".into()))?;
        let mut requesters = HashMap::new();
        for (source, entry) in object {
            if !may_send(source, DATA_REQUEST) {
                return Err(InvalidPolicy(format!("{source} may not send {DATA_REQUEST}")));
            }
            let fields = entry
                .get("fields")
                .and_then(Value::as_array)
                .ok_or_else(|| InvalidPolicy(format!("{source}: fields must be a list of field names")))?;
            let mut set = BTreeSet::new();
            for field in fields {
                match field.as_str() {
                    Some(name) if SHAREABLE_FIELDS.contains(&name) => {
                        set.insert(name.to_owned());
                    }
                    _ => return Err(InvalidPolicy(format!("{source}: {field} is not a customer field"))),
                }
            }
            let deliver_to = entry
                .get("deliver_to")
                .and_then(Value::as_str)
                .ok_or_else(|| InvalidPolicy(format!("{source}: deliver_to must name its queue or bus")))
                .and_then(Destination::parse)?;
            if let Some(other) = entry
                .as_object()
                .and_then(|o| o.keys().find(|k| *k != "fields" && *k != "deliver_to"))
            {
                return Err(InvalidPolicy(format!("{source}: {other} is not a setting")));
            }
            requesters.insert(
                source.clone(),
                Requester {
                    fields: set,
                    deliver_to,
                },
            );
        }
        Ok(Self { requesters })
    }

    /// What a requester may ask for and where its answers go, if it may ask at all.
    pub fn requester(&self, source: &str) -> Option<&Requester> {
        self.requesters.get(source)
    }
}

/// The answer to a data request from `requester`, or `None` when the policy
/// lets it ask nothing. A customer the request's business does not have is
/// [`OperationError::NotFound`]: whether it exists in another business is
/// never told.
pub async fn answer(
    store: &DynamoStore,
    request: &DataRequest,
    requester: &str,
    policy: &DataPolicy,
    now: Timestamp,
) -> Result<Option<DataResponse>, OperationError> {
    let Some(allowed) = policy.requester(requester).map(|r| &r.fields) else {
        return Ok(None);
    };
    let customer = store
        .find_customer(request.customer_id)
        .await?
        .filter(|c| c.business_id == request.business_id)
        .ok_or(OperationError::NotFound)?;
    let mut data = Map::new();
    if let Ok(Value::Object(all)) = serde_json::to_value(CustomerView::from(&customer)) {
        for (name, value) in all {
            let wanted = request.fields.as_ref().is_none_or(|f| f.contains(&name));
            if allowed.contains(&name) && wanted {
                data.insert(name, value);
            }
        }
    }
    Ok(Some(DataResponse {
        event_id: EventId::answering(requester, request.customer_id, &request.request_id),
        schema_version: SCHEMA_VERSION,
        request_id: request.request_id.clone(),
        requester: requester.to_owned(),
        customer_id: request.customer_id,
        business_id: customer.business_id,
        found: true,
        data,
        timestamp: now,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_names_only_customer_fields_and_a_destination_for_each_requester() {
        let policy = DataPolicy::parse(
            r#"{"platform.profiles": {"fields": ["customer_type", "status"],
                "deliver_to": "https://sqs.eu-central-1.amazonaws.com/123456789012/profiles-answers"}}"#,
        )
        .unwrap();
        let profiles = policy.requester("platform.profiles").unwrap();
        assert_eq!(profiles.fields.len(), 2);
        assert!(matches!(profiles.deliver_to, Destination::Queue(_)));
        assert!(policy.requester("anyone-else").is_none());
        let to_a_bus = r#"{"platform.profiles": {"fields": [],
            "deliver_to": "arn:aws:events:eu-central-1:123456789012:event-bus/profiles"}}"#;
        assert!(matches!(
            DataPolicy::parse(to_a_bus)
                .unwrap()
                .requester("platform.profiles")
                .unwrap()
                .deliver_to,
            Destination::Bus(_)
        ));
        for bad in [
            r#"{"platform.profiles": {"fields": ["password"], "deliver_to": "https://q"}}"#,
            r#"{"platform.profiles": {"fields": "email", "deliver_to": "https://q"}}"#,
            r#"{"platform.profiles": {"fields": ["email"]}}"#,
            r#"{"platform.profiles": {"fields": ["email"], "deliver_to": "the shared bus"}}"#,
            r#"{"platform.profiles": {"fields": ["email"], "deliver_to": "https://q", "cc": "x"}}"#,
            r#"{"platform.orders": {"fields": ["email"], "deliver_to": "https://q"}}"#,
            r#"{"platform.profiles": ["email"]}"#,
            "[]",
        ] {
            assert!(DataPolicy::parse(bad).is_err(), "{bad}");
        }
    }
}
