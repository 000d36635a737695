//! The inbound function: what other services send, on an EventBridge rule.
//!
//! | sender | detail-type | what it does |
//! |--------|-------------|--------------|
//! | `platform.admin` | `admin.customer.action` | validates, suspends or reactivates (the lifecycle routes' state machine) |
//! | `platform.profiles` | `customer.update.request` | applies `changes` as `PATCH` would: the same validation, rate limit and (with `expectedVersion`) precondition |
//! | `platform.profiles` | `customer.data.request` | answers with `customer.data.response`, only the fields the requester may see, delivered to the requester alone |
//! | `platform.orders` | `order.created`, `order.updated`, `order.completed`, `order.cancelled` | keep the customer's order as the orders service reports it, each event applied only over an older one (by `sequence`) |
//! | `platform.orders`, `platform.appointments` | `order.completed`, `order.returned`, `appointment.booked`, `appointment.cancelled` | keep the customer's statistics, each fact once |
//! | `platform.mobile` | `mobile.user.action` | a team user changes its own name or phone (`profile.update`), or asks for a password reset (`password.reset.request`), checked to be the customer's user in the business named and not disabled |
//! | `platform.accounting` | `accounting.customer.request` | answers with `customer.billing.response`: the subscription, its plan, the token balance and the newest ledger entries, delivered to the requester alone |
//! | `platform.portfolio-sme`, `platform.portfolio-institution` | `portfolio-sme.customer.update`, `portfolio-institution.customer.update` | change the fields of the customer's portfolio profile that portfolio owns, for customers of its type only, by `PATCH`'s rate limit and (with `expectedVersion`) precondition |
//!
//! Each source may send only its own detail-types
//! (`clientele_core::inbound::SENDERS`), and every event names the
//! customer's business: a customer of another business is never found.
//! Anything else, anything malformed, about a customer that does not exist,
//! refused by the rules or past the rate limit, is logged with its reason and
//! dropped: retrying cannot fix it. Only a failure that may pass (DynamoDB or
//! a destination unavailable) fails the invocation, so Lambda retries it and,
//! after its last retry, sends it to the function's dead-letter queue.

pub mod answers;

use aws_config::SdkConfig;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use clientele_core::facts::{Fact, FactKind};
use clientele_core::inbound::{
    AdminAction, Answer, BILLING_REQUEST, BillingRequest, ChangeRequest, DATA_REQUEST, DataRequest, MobileAction,
    MobileUserAction, PortfolioUpdate, UpdateRequest, may_send,
};
use clientele_core::order::{OrderChange, OrderEventKind};
use clientele_core::portfolio::PortfolioService;
use clientele_core::team_user::TeamUserStatus;
use clientele_core::{BusinessId, Customer, CustomerId, OperationError, Precondition, Rate, StoreError, Timestamp};
use clientele_operations::customers::Guards;
use clientele_operations::data::{DataPolicy, Requester};
use clientele_operations::facts::Counted;
use clientele_operations::orders::{self, Tracked};
use clientele_operations::{Actor, Context, DynamoStore, customers, data, facts, lifecycle, team_users};
use clientele_startup::{ConfigError, Lookup, parsed_or};
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use tracing::Instrument;

use crate::answers::Answers;

/// Why an event was dropped: the kinds the function counts, one log field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Its source may not send its detail-type (or any).
    NotAllowed,
    /// Its detail does not fit, or a fact's time is out of range.
    Malformed,
    /// No such customer in the business it names.
    NoCustomer,
    /// The rules refuse it: a lifecycle step the status does not allow, an
    /// invalid or conflicting change, a stale expected version.
    Refused,
    /// The customer's update rate is used up.
    RateLimited,
    /// A data or billing request from a requester the policy does not name.
    NotAnswered,
    /// No such team user of the customer named.
    NoUser,
}

impl Dropped {
    /// The reason's name in the log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Dropped::NotAllowed => "not_allowed",
            Dropped::Malformed => "malformed",
            Dropped::NoCustomer => "no_customer",
            Dropped::Refused => "refused",
            Dropped::RateLimited => "rate_limited",
            Dropped::NotAnswered => "not_answered",
            Dropped::NoUser => "no_user",
        }
    }
}

/// What became of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It did what it asks.
    Done,
    /// It was a duplicate of a fact already counted.
    AlreadyDone,
    /// It was dropped: why, and what exactly (logged).
    Dropped(Dropped, String),
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
    /// Who may be answered, with which customer fields, where and under
    /// which service name (`DATA_REQUESTERS`; nobody when unset).
    pub data_policy: DataPolicy,
    /// Update requests allowed per customer, counted with `PATCH`'s
    /// (`CUSTOMER_PATCH_RATE`, default `5/minute`).
    pub patch_rate: Rate,
}

impl Settings {
    /// Reads the settings.
    pub fn from_env(env: &impl Lookup) -> Result<Self, ConfigError> {
        let data_policy =
            DataPolicy::parse(&env.get("DATA_REQUESTERS").unwrap_or_else(|| "{}".to_owned())).map_err(|e| {
                ConfigError::Invalid {
                    name: "DATA_REQUESTERS",
                    reason: e.to_string(),
                }
            })?;
        Ok(Self {
            data_policy,
            patch_rate: parsed_or(env, "CUSTOMER_PATCH_RATE", Rate::DEFAULT_UPDATE_RATE)?,
        })
    }
}

/// The inbound function, built once per process.
#[derive(Debug)]
pub struct App {
    /// The table and the clock.
    pub context: Context,
    /// Delivers data responses to their requesters.
    pub answers: Answers,
    /// The function's own settings.
    pub settings: Settings,
}

impl App {
    /// Builds the function from its environment: `TABLE_NAME`, `EVENT_SOURCE`
    /// and its [`Settings`].
    pub async fn from_env(env: &impl Lookup, sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            settings: Settings::from_env(env)?,
            answers: Answers::from_env(env, sdk),
            context: Context::from_env(env, sdk).await?,
        })
    }

    fn store(&self) -> &DynamoStore {
        &self.context.store
    }
}

fn dropped(why: Dropped, detail: impl Into<String>) -> Result<Outcome, TryAgain> {
    Ok(Outcome::Dropped(why, detail.into()))
}

/// An operation's error as an outcome: what may pass is tried again; the
/// rest is dropped.
fn settle(error: OperationError) -> Result<Outcome, TryAgain> {
    match error {
        OperationError::Store(StoreError::Unavailable(e)) => Err(TryAgain(e.to_string())),
        OperationError::Contended => Err(TryAgain("the customer is being changed".to_owned())),
        OperationError::NotFound => dropped(Dropped::NoCustomer, "no such customer in the business named"),
        OperationError::RateLimited { retry_after_seconds } => dropped(
            Dropped::RateLimited,
            format!("the customer's update rate is used up for {retry_after_seconds} s"),
        ),
        other => dropped(Dropped::Refused, other.to_string()),
    }
}

/// The customer an inbound event names, in the business it names; otherwise
/// the event's outcome: dropped, or tried again.
async fn customer_of(
    store: &DynamoStore,
    id: CustomerId,
    business: BusinessId,
) -> Result<Customer, Result<Outcome, TryAgain>> {
    match store.find_customer(id).await {
        Ok(Some(customer)) if customer.business_id == business => Ok(customer),
        Ok(_) => Err(dropped(Dropped::NoCustomer, "no such customer in the business named")),
        Err(error) => Err(settle(error.into())),
    }
}

impl App {
    /// Handles one event, inside an `event` span that gives every log line
    /// written meanwhile the event's id, source and detail-type, and whether
    /// it is the process's first.
    pub async fn handle(&self, event: &EventBridgeEvent<Value>) -> Result<Outcome, TryAgain> {
        let span = tracing::info_span!(
            "event",
            event_id = event.id.as_deref().unwrap_or_default(),
            source = %event.source,
            detail_type = %event.detail_type,
            cold_start = clientele_startup::cold_start(),
        );
        self.handle_in_span(event).instrument(span).await
    }

    async fn handle_in_span(&self, event: &EventBridgeEvent<Value>) -> Result<Outcome, TryAgain> {
        let outcome = self.dispatch(event).await;
        let counted = match &outcome {
            Ok(Outcome::Done) => "done",
            Ok(Outcome::AlreadyDone) => "already_done",
            Ok(Outcome::Dropped(why, _)) => {
                metrics::counter!("InboundDropped", "reason" => why.as_str()).increment(1);
                "dropped"
            }
            Err(_) => "retried",
        };
        metrics::counter!("InboundEvents", "outcome" => counted).increment(1);
        match &outcome {
            Ok(Outcome::Dropped(why, detail)) => {
                tracing::warn!(source = %event.source, detail_type = %event.detail_type, id = ?event.id,
                    dropped = why.as_str(), %detail, "dropped an event");
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
        let (source, detail_type) = (event.source.as_str(), event.detail_type.as_str());
        if !may_send(source, detail_type) {
            return dropped(Dropped::NotAllowed, format!("{source:?} may not send {detail_type:?}"));
        }
        let now = self.context.clock.now();
        let detail = &event.detail;
        match detail_type {
            "admin.customer.action" => match AdminAction::from_detail(detail) {
                Ok(action) => self.admin_action(&action, source, now).await,
                Err(errors) => dropped(Dropped::Malformed, errors.to_string()),
            },
            "customer.update.request" => match UpdateRequest::from_detail(detail) {
                Ok(request) => self.change(&request, source, now, customers::update).await,
                Err(errors) => dropped(Dropped::Malformed, errors.to_string()),
            },
            DATA_REQUEST => match DataRequest::from_detail(detail) {
                Ok(request) => {
                    self.answer(source, now, |allowed| {
                        data::answer(self.store(), &request, source, allowed, now)
                    })
                    .await
                }
                Err(errors) => dropped(Dropped::Malformed, errors.to_string()),
            },
            BILLING_REQUEST => match BillingRequest::from_detail(detail) {
                Ok(request) => {
                    self.answer(source, now, |allowed| {
                        data::billing(self.store(), &request, source, allowed, now)
                    })
                    .await
                }
                Err(errors) => dropped(Dropped::Malformed, errors.to_string()),
            },
            "order.created" | "order.updated" | "order.cancelled" => match detail_type.parse::<OrderEventKind>() {
                Ok(kind) => match OrderChange::from_detail(kind, detail, sent_at(event, now)) {
                    Ok(change) => self.track(&change, now).await,
                    Err(errors) => dropped(Dropped::Malformed, errors.to_string()),
                },
                Err(_) => dropped(Dropped::NotAllowed, format!("{detail_type:?} is not read here")),
            },
            "order.completed" => self.completed(event, now).await,
            "mobile.user.action" => match MobileUserAction::from_detail(detail) {
                Ok(action) => self.mobile(&action, source, now).await,
                Err(errors) => dropped(Dropped::Malformed, errors.to_string()),
            },
            other if let Some(service) = PortfolioService::of_detail_type(other) => {
                match PortfolioUpdate::from_detail(service, detail) {
                    Ok(update) => self.change(&update, source, now, customers::update_portfolio).await,
                    Err(errors) => dropped(Dropped::Malformed, errors.to_string()),
                }
            }
            other => match other.parse::<FactKind>() {
                Ok(kind) => match Fact::from_detail(kind, detail, sent_at(event, now), now) {
                    Ok(fact) => self.count(&fact, now).await,
                    Err(errors) => dropped(Dropped::Malformed, errors.to_string()),
                },
                Err(_) => dropped(Dropped::NotAllowed, format!("{other:?} is not read here")),
            },
        }
    }

    /// An admin's lifecycle action, recorded as done by `<sender>:<admin id>`
    /// so that the sender's admin ids never read as a user's or a client's.
    async fn admin_action(&self, request: &AdminAction, sender: &str, now: Timestamp) -> Result<Outcome, TryAgain> {
        let admin = Actor {
            business: request.business_id,
            id: format!("{sender}:{}", request.admin_id),
            at: now,
        };
        let applied = lifecycle::apply(self.store(), &admin, request.customer_id, &request.action, None).await;
        applied.map(|_| Outcome::Done).or_else(settle)
    }

    /// A team user's own action from the mobile app, recorded as done by
    /// `<sender>:<user id>`: the user must be the named customer's, in the
    /// named business, and not disabled.
    async fn mobile(&self, request: &MobileUserAction, sender: &str, now: Timestamp) -> Result<Outcome, TryAgain> {
        let customer = match customer_of(self.store(), request.customer_id, request.business_id).await {
            Ok(customer) => customer,
            Err(outcome) => return outcome,
        };
        let user = match self.store().team_user(customer.id, request.user_id).await {
            Ok(Some(user)) => user,
            Ok(None) => return dropped(Dropped::NoUser, "no such user of the customer"),
            Err(error) => return settle(error.into()),
        };
        if user.status == TeamUserStatus::Disabled {
            return dropped(Dropped::Refused, "the user is disabled");
        }
        let actor = Actor {
            business: customer.business_id,
            id: format!("{sender}:{}", user.id),
            at: now,
        };
        let done = match &request.action {
            MobileAction::ProfileUpdate(patch) => {
                team_users::update(self.store(), &actor, (customer.id, user.id), patch, None)
                    .await
                    .map(|_| ())
            }
            MobileAction::PasswordResetRequest => {
                team_users::ask_password_reset(self.store(), &actor, (customer.id, user.id))
                    .await
                    .map(|_| ())
            }
        };
        done.map(|()| Outcome::Done).or_else(settle)
    }

    /// A change request made by `sender`, applied by `apply` (an update
    /// request by `PATCH`'s rules, a portfolio update by the portfolio's)
    /// under `PATCH`'s rate limit (refused changes are dropped, not retried)
    /// and, when the request names the version it expects, its precondition.
    async fn change<P>(
        &self,
        request: &ChangeRequest<P>,
        sender: &str,
        now: Timestamp,
        apply: impl AsyncFnOnce(&DynamoStore, &Actor, CustomerId, &P, Guards<'_>) -> Result<Customer, OperationError>,
    ) -> Result<Outcome, TryAgain> {
        let requester = Actor {
            business: request.business_id,
            id: sender.to_owned(),
            at: now,
        };
        let precondition = request.expected_version.map(|v| Precondition::Versions(vec![v]));
        let guards = Guards {
            precondition: precondition.as_ref(),
            rate: Some(&self.settings.patch_rate),
        };
        let changed = apply(self.store(), &requester, request.customer_id, &request.patch, guards).await;
        changed.map(|_| Outcome::Done).or_else(settle)
    }

    /// Answers `requester` with what `make` finds, where the policy sends its
    /// answers; a requester the policy does not name is answered nothing.
    async fn answer<'a, A, F>(
        &'a self,
        requester: &str,
        now: Timestamp,
        make: impl FnOnce(&'a Requester) -> F,
    ) -> Result<Outcome, TryAgain>
    where
        A: Answer,
        F: Future<Output = Result<A, OperationError>>,
    {
        let Some(allowed) = self.settings.data_policy.requester(requester) else {
            return dropped(
                Dropped::NotAnswered,
                format!("{requester} is not named in DATA_REQUESTERS"),
            );
        };
        match make(allowed).await {
            Ok(answer) => self.answers.deliver(&answer, &allowed.deliver_to, now).await,
            Err(error) => settle(error),
        }
    }

    /// An order completed: a fact counted in the statistics, once and only
    /// when recent (as ever); and, when the event carries the order's
    /// `sequence` (its second version), the order itself, whatever its age.
    /// A part that is dropped is logged as dropped; the event is done if the
    /// other part is.
    async fn completed(&self, event: &EventBridgeEvent<Value>, now: Timestamp) -> Result<Outcome, TryAgain> {
        let detail = &event.detail;
        let sent = sent_at(event, now);
        let tracked = if OrderChange::carried_by(detail) {
            Some(
                match OrderChange::from_detail(OrderEventKind::Completed, detail, sent) {
                    Ok(change) => self.track(&change, now).await?,
                    Err(errors) => Outcome::Dropped(Dropped::Malformed, errors.to_string()),
                },
            )
        } else {
            None
        };
        let counted = match Fact::from_detail(FactKind::OrderCompleted, detail, sent, now) {
            Ok(fact) => self.count(&fact, now).await?,
            Err(errors) => Outcome::Dropped(Dropped::Malformed, errors.to_string()),
        };
        let Some(tracked) = tracked else {
            return Ok(counted);
        };
        let (kept, part) = match (&tracked, &counted) {
            (Outcome::Dropped(..), _) => (counted.clone(), Some(("the order", &tracked))),
            (_, Outcome::Dropped(..)) => (tracked.clone(), Some(("the fact", &counted))),
            (Outcome::Done, _) | (_, Outcome::Done) => (Outcome::Done, None),
            _ => (Outcome::AlreadyDone, None),
        };
        if let (Some((what, Outcome::Dropped(why, detail))), false) = (part, matches!(kept, Outcome::Dropped(..))) {
            tracing::warn!(source = %event.source, detail_type = %event.detail_type, id = ?event.id,
                dropped = why.as_str(), part = what, %detail, "dropped part of an event");
        }
        Ok(kept)
    }

    async fn track(&self, change: &OrderChange, now: Timestamp) -> Result<Outcome, TryAgain> {
        match orders::track(self.store(), change, now).await {
            Ok(Tracked::Applied(_)) => Ok(Outcome::Done),
            Ok(Tracked::Stale) => Ok(Outcome::AlreadyDone),
            Ok(Tracked::NoCustomer) => dropped(Dropped::NoCustomer, "no such customer in the business named"),
            Err(error) => settle(error),
        }
    }

    async fn count(&self, fact: &Fact, now: Timestamp) -> Result<Outcome, TryAgain> {
        match facts::record(self.store(), fact, now).await {
            Ok(Counted::Now(_)) => Ok(Outcome::Done),
            Ok(Counted::Already) => Ok(Outcome::AlreadyDone),
            Ok(Counted::NoCustomer) => dropped(Dropped::NoCustomer, "no such customer in the business named"),
            Err(error) => settle(error),
        }
    }
}

/// When an event says it happened: its envelope's time, or `now` without one.
fn sent_at(event: &EventBridgeEvent<Value>, now: Timestamp) -> Timestamp {
    event.time.map(Timestamp::from).unwrap_or(now)
}

/// [`App::handle`], in the shape `lambda_runtime::run` wants.
pub async fn serve(app: &App, event: LambdaEvent<EventBridgeEvent<Value>>) -> Result<(), TryAgain> {
    app.handle(&event.payload).await.map(|_| ())
}
