//! Answering other services' requests, for a customer's data or its
//! billing information, with only what each may see and to it alone.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use clientele_core::event::SCHEMA_VERSION;
use clientele_core::inbound::{
    Addressee, BILLING_REQUEST, BillingRequest, BillingResponse, DATA_REQUEST, DATA_RESPONSE_SCHEMA_VERSION,
    DataRequest, DataResponse, may_send,
};
use clientele_core::subscription::SubscriptionStatus;
use clientele_core::token::LedgerQuery;
use clientele_core::{BusinessId, Customer, CustomerId, EventId, OperationError, Timestamp};
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
    "primary_contact_id",
    "portfolio",
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
    /// The customer fields it may receive in a data response.
    pub fields: BTreeSet<String>,
    /// Where its answers are delivered.
    pub deliver_to: Destination,
    /// Its service's name, set as the answers' `targetService`.
    pub service: String,
}

impl Requester {
    /// Who `requester` answers are for, on its request `request_id`.
    pub fn addressee(&self, requester: &str, request_id: &str) -> Addressee {
        Addressee {
            request_id: request_id.to_owned(),
            requester: requester.to_owned(),
            target_service: self.service.clone(),
        }
    }
}

/// The requests a requester policy answers.
const ANSWERED: &[&str] = &[DATA_REQUEST, BILLING_REQUEST];

/// Longest service name.
pub const SERVICE_MAX_CHARS: usize = 64;

/// Which requester (an event source) may be answered, with which customer
/// fields, where, and under what service name (`DATA_REQUESTERS`: a JSON
/// object of source → `{"fields": [...], "deliver_to": "<queue URL or bus
/// ARN>", "service": "<name>"}`). A source not named is answered nothing.
/// Only a source allowed to send a request that is answered may be named;
/// `fields` is required of a source that sends data requests, and of no
/// other; `service` defaults to the source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataPolicy {
    requesters: HashMap<String, Requester>,
}

/// A policy that is not a JSON object of requesters, names a field no
/// customer has, a destination that is none, or a source that may not ask.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the data request policy is invalid: {0}")]
pub struct InvalidPolicy(String);

fn service_name(source: &str, entry: &Value) -> Result<String, InvalidPolicy> {
    let Some(value) = entry.get("service") else {
        return Ok(source.to_owned());
    };
    match value.as_str() {
        Some(name)
            if !name.is_empty()
                && name.len() <= SERVICE_MAX_CHARS
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) =>
        {
            Ok(name.to_owned())
        }
        _ => Err(InvalidPolicy(format!(
            "{source}: service must be 1 to {SERVICE_MAX_CHARS} lower-case letters, digits, '.', '_' or '-'"
        ))),
    }
}

fn fields(source: &str, entry: &Value) -> Result<BTreeSet<String>, InvalidPolicy> {
    let asks_for_data = may_send(source, DATA_REQUEST);
    let listed = match (entry.get("fields"), asks_for_data) {
        (None, false) => return Ok(BTreeSet::new()),
        (Some(_), false) => {
            return Err(InvalidPolicy(format!(
                "{source}: fields is only for a source that sends {DATA_REQUEST}"
            )));
        }
        (fields, true) => fields
            .and_then(Value::as_array)
            .ok_or_else(|| InvalidPolicy(format!("{source}: fields must be a list of field names")))?,
    };
    let mut set = BTreeSet::new();
    for field in listed {
        match field.as_str() {
            Some(name) if SHAREABLE_FIELDS.contains(&name) => {
                set.insert(name.to_owned());
            }
            _ => return Err(InvalidPolicy(format!("{source}: {field} is not a customer field"))),
        }
    }
    Ok(set)
}

impl DataPolicy {
    /// Reads a policy from its JSON text.
    pub fn parse(text: &str) -> Result<Self, InvalidPolicy> {
        let value: Value = serde_json::from_str(text).map_err(|e| InvalidPolicy(e.to_string()))?;
        let object = value
            .as_object()
            .ok_or_else(|| InvalidPolicy("it must be a JSON object".into()))?;
        let mut requesters = HashMap::new();
        for (source, entry) in object {
            if !ANSWERED.iter().any(|request| may_send(source, request)) {
                return Err(InvalidPolicy(format!(
                    "{source} may send none of: {}",
                    ANSWERED.join(", ")
                )));
            }
            let Some(settings) = entry.as_object() else {
                return Err(InvalidPolicy(format!("{source}: its entry must be an object")));
            };
            if let Some(other) = settings
                .keys()
                .find(|k| !["fields", "deliver_to", "service"].contains(&k.as_str()))
            {
                return Err(InvalidPolicy(format!("{source}: {other} is not a setting")));
            }
            let deliver_to = entry
                .get("deliver_to")
                .and_then(Value::as_str)
                .ok_or_else(|| InvalidPolicy(format!("{source}: deliver_to must name its queue or bus")))
                .and_then(Destination::parse)?;
            requesters.insert(
                source.clone(),
                Requester {
                    fields: fields(source, entry)?,
                    deliver_to,
                    service: service_name(source, entry)?,
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

/// The customer a request names, in the business it names: a customer the
/// request's business does not have is [`OperationError::NotFound`], and
/// whether it exists in another business is never told.
async fn in_business(
    store: &DynamoStore,
    customer: CustomerId,
    business: BusinessId,
) -> Result<Customer, OperationError> {
    store
        .find_customer(customer)
        .await?
        .filter(|c| c.business_id == business)
        .ok_or(OperationError::NotFound)
}

/// The answer to `requester`'s data request: only the fields `allowed`
/// gives it, of those the request names.
pub async fn answer(
    store: &DynamoStore,
    request: &DataRequest,
    requester: &str,
    allowed: &Requester,
    now: Timestamp,
) -> Result<DataResponse, OperationError> {
    let customer = in_business(store, request.customer_id, request.business_id).await?;
    let mut data = Map::new();
    if let Ok(Value::Object(all)) = serde_json::to_value(CustomerView::from(&customer)) {
        for (name, value) in all {
            let wanted = request.fields.as_ref().is_none_or(|f| f.contains(&name));
            if allowed.fields.contains(&name) && wanted {
                data.insert(name, value);
            }
        }
    }
    Ok(DataResponse {
        event_id: EventId::answering(requester, request.customer_id, &request.request_id),
        schema_version: DATA_RESPONSE_SCHEMA_VERSION,
        to: allowed.addressee(requester, &request.request_id),
        customer_id: request.customer_id,
        business_id: customer.business_id,
        found: true,
        data,
        timestamp: now,
    })
}

/// The answer to `requester`'s billing request: the customer's active
/// subscription (else its latest) with its plan, its balance and the newest
/// entries of its ledger.
pub async fn billing(
    store: &DynamoStore,
    request: &BillingRequest,
    requester: &str,
    allowed: &Requester,
    now: Timestamp,
) -> Result<BillingResponse, OperationError> {
    let customer = in_business(store, request.customer_id, request.business_id).await?;
    let subscriptions = store.subscriptions_of(customer.id).await?;
    let subscription = subscriptions
        .iter()
        .find(|s| s.status == SubscriptionStatus::Active)
        .or(subscriptions.first())
        .cloned();
    let plan = match &subscription {
        Some(s) => store.plan(customer.business_id, s.plan_id).await?,
        None => None,
    };
    let balance = store.token_balance(customer.id).await?;
    let newest = LedgerQuery {
        from: None,
        to: None,
        limit: request.ledger_limit,
        cursor: None,
    };
    let ledger = store.ledger(customer.id, &newest).await?.items;
    Ok(BillingResponse {
        event_id: EventId::answering(requester, request.customer_id, &request.request_id),
        schema_version: SCHEMA_VERSION,
        to: allowed.addressee(requester, &request.request_id),
        customer_id: customer.id,
        business_id: customer.business_id,
        subscription,
        plan,
        balance,
        ledger,
        timestamp: now,
    })
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
            r#"{"platform.accounting": {"fields": [], "deliver_to": "https://q"}}"#,
            r#"{"platform.accounting": {"deliver_to": "https://q", "service": "Accounting Service"}}"#,
            r#"{"platform.accounting": {"deliver_to": "https://q", "service": ""}}"#,
            "[]",
        ] {
            assert!(DataPolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_requester_is_addressed_by_its_service_name_or_else_its_source() {
        let policy = DataPolicy::parse(
            r#"{"platform.accounting": {"deliver_to": "https://q", "service": "accounting-service"},
                "platform.profiles": {"fields": ["status"], "deliver_to": "https://p"}}"#,
        )
        .unwrap();
        let accounting = policy.requester("platform.accounting").unwrap();
        assert!(accounting.fields.is_empty());
        assert_eq!(
            accounting.addressee("platform.accounting", "r-1").target_service,
            "accounting-service"
        );
        let profiles = policy.requester("platform.profiles").unwrap();
        assert_eq!(
            profiles.addressee("platform.profiles", "r-2").target_service,
            "platform.profiles"
        );
    }
}
