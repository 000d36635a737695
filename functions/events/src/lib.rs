//! The events function: what other services send, on EventBridge rules.
//!
//! | detail-type               | what it does |
//! |---------------------------|--------------|
//! | `admin.customer.action`   | validates, suspends or reactivates (the lifecycle routes' state machine) |
//! | `customer.update.request` | applies `changes` as `PATCH` would |
//! | `customer.data.request`   | answers with `customer.data.response`, only the fields the requester may see |
//! | `order.completed`, `order.returned`, `appointment.booked`, `appointment.cancelled` | keep the customer's statistics, each fact once |
//!
//! Only events from `ALLOWED_EVENT_SOURCES` are read. Anything malformed,
//! unknown, or about a customer that does not exist is logged and dropped:
//! retrying cannot fix it. Only a failure that may pass (DynamoDB or the bus
//! unavailable) fails the invocation, so Lambda retries it and, after its
//! last retry, sends it to the function's dead-letter queue.

use std::collections::HashSet;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use clientele_core::facts::{Fact, FactKind};
use clientele_core::inbound::{AdminAction, DATA_RESPONSE, DataRequest, UpdateRequest};
use clientele_core::operations::data::DataPolicy;
use clientele_core::operations::facts::Counted;
use clientele_core::operations::{self, CustomerError};
use clientele_core::{
    BusinessId, Clock, Customer, CustomerId, CustomerReader, CustomerWriter, FactStore, StoreError, SystemClock,
    Timestamp,
};
use clientele_events::{DEFAULT_SOURCE, Delivery, Outgoing, Publisher};
use clientele_http::config::{ConfigError, Lookup, required};
use clientele_store::DynamoStore;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

/// What became of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It did what it asks.
    Done,
    /// It was a duplicate of a fact already counted.
    AlreadyDone,
    /// It was dropped, and why (logged).
    Dropped(String),
}

/// A failure that may pass: the invocation fails so that Lambda retries it.
#[derive(Debug, thiserror::Error)]
#[error("try again later: {0}")]
pub struct TryAgain(String);

impl From<TryAgain> for lambda_runtime::Diagnostic {
    fn from(error: TryAgain) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "TryAgain".to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// The events function, built once per process.
pub struct App<S> {
    /// Where customers are kept.
    pub store: S,
    /// Sends data responses.
    pub publisher: Publisher,
    /// The sources whose events are read.
    pub allowed_sources: HashSet<String>,
    /// Who may ask for which fields.
    pub data_policy: DataPolicy,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
}

impl App<DynamoStore> {
    /// Builds the function from its environment: `TABLE_NAME`,
    /// `EVENT_BUS_NAME`, `EVENT_SOURCE`, `ALLOWED_EVENT_SOURCES` (comma-separated)
    /// and `DATA_REQUEST_FIELDS` (a JSON object of source → field names).
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), required(env, "TABLE_NAME")?);
        let source = env.get("EVENT_SOURCE").unwrap_or_else(|| DEFAULT_SOURCE.to_owned());
        let allowed_sources = required(env, "ALLOWED_EVENT_SOURCES")?
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let data_policy = DataPolicy::parse(&env.get("DATA_REQUEST_FIELDS").unwrap_or_else(|| "{}".to_owned()))
            .map_err(|e| ConfigError::Invalid {
                name: "DATA_REQUEST_FIELDS",
                reason: e.to_string(),
            })?;
        store.warm_up().await;
        Ok(Self {
            store,
            publisher: Publisher::new(
                aws_sdk_eventbridge::Client::new(sdk),
                required(env, "EVENT_BUS_NAME")?,
                source,
            ),
            allowed_sources,
            data_policy,
            clock: Arc::new(SystemClock),
        })
    }
}

fn dropped(why: impl Into<String>) -> Result<Outcome, TryAgain> {
    Ok(Outcome::Dropped(why.into()))
}

/// A customer error as an outcome: what may pass is tried again; the rest is dropped.
fn settle(error: CustomerError) -> Result<Outcome, TryAgain> {
    match error {
        CustomerError::Store(StoreError::Unavailable(e)) => Err(TryAgain(e.to_string())),
        CustomerError::Contended => Err(TryAgain("the customer is being changed".to_owned())),
        other => dropped(other.to_string()),
    }
}

/// The customer an inbound event names, in the business it names (if any).
async fn customer_of<S: CustomerReader>(
    store: &S,
    id: CustomerId,
    business: Option<BusinessId>,
) -> Result<Option<Customer>, CustomerError> {
    Ok(store
        .find(id)
        .await?
        .filter(|c| business.is_none_or(|b| b == c.business_id)))
}

impl<S: CustomerReader + CustomerWriter + FactStore> App<S> {
    /// Handles one event.
    pub async fn handle(&self, event: &EventBridgeEvent<Value>) -> Result<Outcome, TryAgain> {
        let outcome = self.dispatch(event).await;
        match &outcome {
            Ok(Outcome::Dropped(why)) => {
                tracing::warn!(source = %event.source, detail_type = %event.detail_type, id = ?event.id, reason = %why, "dropped an event");
            }
            Ok(done) => {
                tracing::info!(source = %event.source, detail_type = %event.detail_type, ?done, "handled an event")
            }
            Err(error) => {
                tracing::error!(source = %event.source, detail_type = %event.detail_type, %error, "will be retried")
            }
        }
        outcome
    }

    async fn dispatch(&self, event: &EventBridgeEvent<Value>) -> Result<Outcome, TryAgain> {
        if !self.allowed_sources.contains(&event.source) {
            return dropped(format!("source {:?} is not allowed", event.source));
        }
        let now = self.clock.now();
        let detail = &event.detail;
        match event.detail_type.as_str() {
            "admin.customer.action" => match AdminAction::from_detail(detail) {
                Ok(action) => self.admin_action(&action, now).await,
                Err(errors) => dropped(errors.to_string()),
            },
            "customer.update.request" => match UpdateRequest::from_detail(detail) {
                Ok(request) => self.update(&request, now).await,
                Err(errors) => dropped(errors.to_string()),
            },
            "customer.data.request" => match DataRequest::from_detail(detail) {
                Ok(request) => self.answer(&request, &event.source, now).await,
                Err(errors) => dropped(errors.to_string()),
            },
            other => match other.parse::<FactKind>() {
                Ok(kind) => {
                    let sent_at = event.time.map(Timestamp::from).unwrap_or(now);
                    match Fact::from_detail(kind, detail, sent_at) {
                        Ok(fact) => self.count(&fact, now).await,
                        Err(errors) => dropped(errors.to_string()),
                    }
                }
                Err(_) => dropped(format!("detail-type {other:?} is not one this service reads")),
            },
        }
    }

    async fn admin_action(&self, request: &AdminAction, now: Timestamp) -> Result<Outcome, TryAgain> {
        let customer = match customer_of(&self.store, request.customer_id, request.business_id).await {
            Ok(Some(customer)) => customer,
            Ok(None) => return dropped("no such customer"),
            Err(error) => return settle(error),
        };
        let applied = operations::lifecycle::apply(
            &self.store,
            customer.business_id,
            customer.id,
            &request.action,
            &request.admin_id,
            None,
            now,
        )
        .await;
        applied.map(|_| Outcome::Done).or_else(settle)
    }

    async fn update(&self, request: &UpdateRequest, now: Timestamp) -> Result<Outcome, TryAgain> {
        let customer = match customer_of(&self.store, request.customer_id, request.business_id).await {
            Ok(Some(customer)) => customer,
            Ok(None) => return dropped("no such customer"),
            Err(error) => return settle(error),
        };
        let updated = operations::update(
            &self.store,
            customer.business_id,
            customer.id,
            &request.patch,
            None,
            None,
            now,
        )
        .await;
        updated.map(|_| Outcome::Done).or_else(settle)
    }

    async fn answer(&self, request: &DataRequest, requester: &str, now: Timestamp) -> Result<Outcome, TryAgain> {
        let response = match operations::data::answer(&self.store, request, requester, &self.data_policy, now).await {
            Ok(Some(response)) => response,
            Ok(None) => return dropped(format!("{requester} may not ask for customer data")),
            Err(error) => return settle(error),
        };
        let detail = serde_json::to_string(&response).map_err(|e| TryAgain(e.to_string()))?;
        let outgoing = Outgoing {
            event_id: response.event_id.to_string(),
            detail_type: DATA_RESPONSE.to_owned(),
            detail,
            time: now,
        };
        match self.publisher.publish(&[outgoing]).await.first() {
            Some(Delivery::Sent) => Ok(Outcome::Done),
            Some(Delivery::Rejected { code }) => dropped(format!("EventBridge refused the response: {code}")),
            other => Err(TryAgain(format!("the response was not sent: {other:?}"))),
        }
    }

    async fn count(&self, fact: &Fact, now: Timestamp) -> Result<Outcome, TryAgain> {
        match operations::facts::record(&self.store, fact, now).await {
            Ok(Counted::Now(_)) => Ok(Outcome::Done),
            Ok(Counted::Already) => Ok(Outcome::AlreadyDone),
            Ok(Counted::NoCustomer) => dropped("no such customer"),
            Err(error) => settle(error),
        }
    }
}

/// [`App::handle`], in the shape `lambda_runtime::run` wants.
pub async fn serve<S: CustomerReader + CustomerWriter + FactStore>(
    app: &App<S>,
    event: LambdaEvent<EventBridgeEvent<Value>>,
) -> Result<(), TryAgain> {
    app.handle(&event.payload).await.map(|_| ())
}
