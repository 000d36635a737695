//! Answering other services' data requests with only what each may see.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use clientele_core::event::SCHEMA_VERSION;
use clientele_core::inbound::{DataRequest, DataResponse};
use clientele_core::{EventId, OperationError, Timestamp};
use clientele_store::DynamoStore;

use crate::views::CustomerView;

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
    "created_at",
    "updated_at",
    "version",
];

/// Which requester (an event source) may receive which fields
/// (`DATA_REQUEST_FIELDS`, a JSON object of source → list of field names).
/// A source not named may ask nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataPolicy {
    allowed: HashMap<String, BTreeSet<String>>,
}

/// A policy that names a field no customer has, or is not a JSON object of lists.
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
        let mut allowed = HashMap::new();
        for (source, fields) in object {
            let fields = fields
                .as_array()
                .ok_or_else(|| InvalidPolicy(format!("{source}: must be a list of field names")))?;
            let mut set = BTreeSet::new();
            for field in fields {
                match field.as_str() {
                    Some(name) if SHAREABLE_FIELDS.contains(&name) => {
                        set.insert(name.to_owned());
                    }
                    _ => return Err(InvalidPolicy(format!("{source}: {field} is not a customer field"))),
                }
            }
            allowed.insert(source.clone(), set);
        }
        Ok(Self { allowed })
    }

    /// The fields a requester may receive, if it may ask at all.
    pub fn fields_for(&self, requester: &str) -> Option<&BTreeSet<String>> {
        self.allowed.get(requester)
    }
}

/// The answer to a data request from `requester`, or `None` when the policy
/// lets it ask nothing.
pub async fn answer(
    store: &DynamoStore,
    request: &DataRequest,
    requester: &str,
    policy: &DataPolicy,
    now: Timestamp,
) -> Result<Option<DataResponse>, OperationError> {
    let Some(allowed) = policy.fields_for(requester) else {
        return Ok(None);
    };
    let customer = store
        .find_customer(request.customer_id)
        .await?
        .filter(|c| request.business_id.is_none_or(|b| b == c.business_id));
    let mut data = Map::new();
    let shown = customer.as_ref().map(|c| serde_json::to_value(CustomerView::from(c)));
    if let Some(Ok(Value::Object(all))) = shown {
        for (name, value) in all {
            let wanted = request.fields.as_ref().is_none_or(|f| f.contains(&name));
            if allowed.contains(&name) && wanted {
                data.insert(name, value);
            }
        }
    }
    Ok(Some(DataResponse {
        event_id: EventId::answering(requester, &request.request_id),
        schema_version: SCHEMA_VERSION,
        request_id: request.request_id.clone(),
        requester: requester.to_owned(),
        customer_id: request.customer_id,
        business_id: customer.as_ref().map(|c| c.business_id),
        found: customer.is_some(),
        data,
        timestamp: now,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_names_only_customer_fields() {
        let policy =
            DataPolicy::parse(r#"{"accounting-service": ["customer_type", "status"], "admin-service": []}"#).unwrap();
        assert_eq!(policy.fields_for("accounting-service").unwrap().len(), 2);
        assert!(policy.fields_for("admin-service").unwrap().is_empty());
        assert!(policy.fields_for("anyone-else").is_none());
        assert!(DataPolicy::parse(r#"{"x": ["password"]}"#).is_err());
        assert!(DataPolicy::parse(r#"{"x": "email"}"#).is_err());
        assert!(DataPolicy::parse("[]").is_err());
    }
}
