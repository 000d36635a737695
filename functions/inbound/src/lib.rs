//! The inbound function: what other services send, on an EventBridge rule.
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

use aws_config::SdkConfig;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use clientele_bus::{Delivery, Outgoing, Publisher};
use clientele_core::facts::{Fact, FactKind};
use clientele_core::inbound::{AdminAction, DATA_RESPONSE, DataRequest, UpdateRequest};
use clientele_core::{BusinessId, Customer, CustomerId, OperationError, StoreError, Timestamp};
use clientele_operations::customers::Guards;
use clientele_operations::data::DataPolicy;
use clientele_operations::facts::Counted;
use clientele_operations::{Actor, Context, DynamoStore, customers, data, facts, lifecycle};
use clientele_startup::{ConfigError, Lookup, required};
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

/// The function's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The sources whose events are read (`ALLOWED_EVENT_SOURCES`, comma-separated).
    pub allowed_sources: HashSet<String>,
    /// Who may ask for which fields (`DATA_REQUEST_FIELDS`, a JSON object of
    /// source → field names; nobody when unset).
    pub data_policy: DataPolicy,
}

impl Settings {
    /// Reads the settings.
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
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
        Ok(Self {
            allowed_sources,
            data_policy,
        })
    }
}

/// The inbound function, built once per process.
#[derive(Debug)]
pub struct App {
    /// The table and the clock.
    pub context: Context,
    /// Sends data responses.
    pub publisher: Publisher,
    /// The function's own settings.
    pub settings: Settings,
}

impl App {
    /// Builds the function from its environment: `TABLE_NAME`,
    /// `EVENT_BUS_NAME`, `EVENT_SOURCE` and its [`Settings`].
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            settings: Settings::from_env(env)?,
            publisher: Publisher::from_env(env, sdk)?,
            context: Context::from_env(env, sdk).await?,
        })
    }

    fn store(&self) -> &DynamoStore {
        &self.context.store
    }
}

fn dropped(why: impl Into<String>) -> Result<Outcome, TryAgain> {
    Ok(Outcome::Dropped(why.into()))
}

/// An operation's error as an outcome: what may pass is tried again; the
/// rest is dropped.
fn settle(error: OperationError) -> Result<Outcome, TryAgain> {
    match error {
        OperationError::Store(StoreError::Unavailable(e)) => Err(TryAgain(e.to_string())),
        OperationError::Contended => Err(TryAgain("the customer is being changed".to_owned())),
        other => dropped(other.to_string()),
    }
}

/// The customer an inbound event names, in the business it names (if any);
/// otherwise the event's outcome: dropped, or tried again.
async fn customer_of(
    store: &DynamoStore,
    id: CustomerId,
    business: Option<BusinessId>,
) -> Result<Customer, Result<Outcome, TryAgain>> {
    match store.find_customer(id).await {
        Ok(Some(customer)) if business.is_none_or(|b| b == customer.business_id) => Ok(customer),
        Ok(_) => Err(dropped("no such customer")),
        Err(error) => Err(settle(error.into())),
    }
}

impl App {
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
        if !self.settings.allowed_sources.contains(&event.source) {
            return dropped(format!("source {:?} is not allowed", event.source));
        }
        let now = self.context.clock.now();
        let detail = &event.detail;
        match event.detail_type.as_str() {
            "admin.customer.action" => match AdminAction::from_detail(detail) {
                Ok(action) => self.admin_action(&action, now).await,
                Err(errors) => dropped(errors.to_string()),
            },
            "customer.update.request" => match UpdateRequest::from_detail(detail) {
                Ok(request) => self.update(&request, &event.source, now).await,
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
        let customer = match customer_of(self.store(), request.customer_id, request.business_id).await {
            Ok(customer) => customer,
            Err(outcome) => return outcome,
        };
        let admin = Actor {
            business: customer.business_id,
            id: request.admin_id.clone(),
            at: now,
        };
        let applied = lifecycle::apply(self.store(), &admin, customer.id, &request.action, None).await;
        applied.map(|_| Outcome::Done).or_else(settle)
    }

    async fn update(&self, request: &UpdateRequest, sender: &str, now: Timestamp) -> Result<Outcome, TryAgain> {
        let customer = match customer_of(self.store(), request.customer_id, request.business_id).await {
            Ok(customer) => customer,
            Err(outcome) => return outcome,
        };
        let requester = Actor {
            business: customer.business_id,
            id: sender.to_owned(),
            at: now,
        };
        let updated = customers::update(self.store(), &requester, customer.id, &request.patch, Guards::default()).await;
        updated.map(|_| Outcome::Done).or_else(settle)
    }

    async fn answer(&self, request: &DataRequest, requester: &str, now: Timestamp) -> Result<Outcome, TryAgain> {
        let response = match data::answer(self.store(), request, requester, &self.settings.data_policy, now).await {
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
        match facts::record(self.store(), fact, now).await {
            Ok(Counted::Now(_)) => Ok(Outcome::Done),
            Ok(Counted::Already) => Ok(Outcome::AlreadyDone),
            Ok(Counted::NoCustomer) => dropped("no such customer"),
            Err(error) => settle(error),
        }
    }
}

/// [`App::handle`], in the shape `lambda_runtime::run` wants.
pub async fn serve(app: &App, event: LambdaEvent<EventBridgeEvent<Value>>) -> Result<(), TryAgain> {
    app.handle(&event.payload).await.map(|_| ())
}
