//! Plans and subscriptions.
//!
//! A plan is a business's configuration: a name, a period (a month or a
//! year), a price, and the tokens each period grants. A customer subscribes
//! to a plan: at most one subscription of a customer is active at a time.
//! An active subscription is renewed when its period ends (its next period
//! starts where the last ended, and grants the plan's tokens once), or, when
//! it was cancelled at the end of its period, expires then; cancelled now,
//! it ends at once. A subscription that ended never starts again: the
//! customer subscribes anew.

use std::str::FromStr;

use chrono::Months;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::id::{BusinessId, CustomerId, PlanId, SubscriptionId};
use crate::order::Money;
use crate::text::{one_line, text_enum};
use crate::time::Timestamp;
use crate::token::{Identifier, MAX_MOVEMENT, SUBSCRIPTION_KEY_PREFIX};
use crate::validation::{ObjectReader, ValidationErrors, whole_number};

/// Longest plan name, in characters.
pub const PLAN_NAME_MAX_CHARS: usize = 100;
/// Largest price, in the currency's units.
pub const MAX_PRICE: i64 = 1_000_000_000;

text_enum!(
    /// How long a plan's period lasts.
    Period {
        /// A calendar month.
        Month => "month",
        /// A calendar year.
        Year => "year",
    }
);

impl Period {
    /// When a period starting at `start` ends: the same day and time a month
    /// or a year later (the last day of a shorter month when the day is
    /// past it).
    pub fn end_of(self, start: Timestamp) -> Timestamp {
        self.end_of_nth(start, 1)
    }

    /// When the `n`-th period of a subscription that started at `anchor`
    /// ends: `n` months or years after it, so that a subscription started on
    /// the 31st ends its periods on the 31st, or on a shorter month's last
    /// day, and never drifts to the 28th for good.
    pub fn end_of_nth(self, anchor: Timestamp, n: u32) -> Timestamp {
        let months = match self {
            Period::Month => n,
            Period::Year => n.saturating_mul(12),
        };
        anchor
            .as_datetime()
            .checked_add_months(Months::new(months))
            .map(Timestamp::from)
            .unwrap_or(anchor)
    }
}

text_enum!(
    /// Where a subscription stands.
    SubscriptionStatus {
        /// Running: renewed at the end of each period unless cancelled.
        Active => "active",
        /// Ended by a cancellation.
        Cancelled => "cancelled",
        /// Ended at the end of a period it was not renewed for.
        Expired => "expired",
    }
);

/// A plan of a business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Its id.
    pub id: PlanId,
    /// Its business.
    pub business_id: BusinessId,
    /// Its name.
    pub name: String,
    /// How long a period lasts.
    pub period: Period,
    /// The price of a period.
    pub price: Money,
    /// Tokens each period grants.
    pub tokens_per_period: i64,
    /// Whether customers may subscribe to it; a retired plan keeps its
    /// subscriptions running.
    pub active: bool,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change.
    pub version: u64,
}

/// A plan's writable fields.
const PLAN_FIELDS: &[&str] = &["name", "period", "price", "tokens_per_period", "active"];
/// The fields the server sets.
const PLAN_SERVER_OWNED: &[&str] = &["id", "business_id", "created_at", "updated_at", "version"];

fn price(body: &Map<String, Value>, errors: &mut ValidationErrors) -> Option<Money> {
    let object = match body.get("price") {
        Some(Value::Object(object)) => object,
        None | Some(Value::Null) => {
            errors.push("price", "is required");
            return None;
        }
        Some(_) => {
            errors.push("price", "must be an object with amount and currency");
            return None;
        }
    };
    let mut reader = ObjectReader::nested(object, "price.");
    reader.refuse_unknown(&["amount", "currency"]);
    let currency = reader.required("currency", |t: &str| {
        if t.len() == 3 && t.chars().all(|c| c.is_ascii_uppercase()) {
            Ok(t.to_owned())
        } else {
            Err("must be an ISO 4217 code: three upper-case letters")
        }
    });
    errors.extend(reader.finish());
    let amount = match object.get("amount") {
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string()).ok(),
        Some(Value::String(s)) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    };
    let amount = match amount {
        Some(d) if !d.is_sign_negative() && d.scale() <= 4 && d <= Decimal::from(MAX_PRICE) => Some(d.normalize()),
        _ => {
            errors.push(
                "price.amount",
                format!("must be a number from 0 to {MAX_PRICE}, with at most 4 decimals"),
            );
            None
        }
    };
    Some(Money {
        amount: amount?,
        currency: currency?,
    })
}

fn tokens(body: &Map<String, Value>, errors: &mut ValidationErrors, required: bool) -> Option<i64> {
    match body.get("tokens_per_period") {
        None | Some(Value::Null) if !required => None,
        value => match value.and_then(whole_number) {
            Some(n) if (0..=MAX_MOVEMENT).contains(&n) => Some(n),
            _ => {
                errors.push(
                    "tokens_per_period",
                    format!("must be a whole number from 0 to {MAX_MOVEMENT}"),
                );
                None
            }
        },
    }
}

fn active(body: &Map<String, Value>, errors: &mut ValidationErrors) -> Option<bool> {
    match body.get("active") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errors.push("active", "must be true or false");
            None
        }
    }
}

fn plan_reader<'a>(body: &'a Map<String, Value>) -> ObjectReader<'a> {
    let mut reader = ObjectReader::new(body);
    reader.refuse(PLAN_SERVER_OWNED, "is set by the server and cannot be written");
    let known: Vec<&str> = PLAN_FIELDS.iter().chain(PLAN_SERVER_OWNED).copied().collect();
    reader.refuse_unknown(&known);
    reader
}

/// A plan to make, read from a create body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    /// Name.
    pub name: String,
    /// Period.
    pub period: Period,
    /// Price.
    pub price: Money,
    /// Tokens each period grants.
    pub tokens_per_period: i64,
}

impl NewPlan {
    /// Reads a create body, naming every offending field.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = plan_reader(body);
        let name = reader.required("name", |t| one_line(t, PLAN_NAME_MAX_CHARS));
        let period = reader.required("period", Period::from_str);
        reader.refuse(&["active"], "is true for a new plan; retire it with PATCH");
        let mut errors = reader.finish();
        let price = price(body, &mut errors);
        let tokens_per_period = tokens(body, &mut errors, true);
        errors.into_result(|| {
            Some(Self {
                name: name?,
                period: period?,
                price: price?,
                tokens_per_period: tokens_per_period?,
            })
        })
    }

    /// The plan this body makes in `business` at `now`.
    pub fn into_plan(self, business: BusinessId, now: Timestamp) -> Plan {
        Plan {
            id: PlanId::random(),
            business_id: business,
            name: self.name,
            period: self.period,
            price: self.price,
            tokens_per_period: self.tokens_per_period,
            active: true,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// A merge patch of a plan: its name, price, tokens and whether it takes
/// new subscriptions. Its period is fixed: subscriptions count on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanPatch {
    /// New name.
    pub name: Option<String>,
    /// New price (for periods that start from now on).
    pub price: Option<Money>,
    /// New tokens per period (for periods that start from now on).
    pub tokens_per_period: Option<i64>,
    /// Taking new subscriptions, or retired.
    pub active: Option<bool>,
}

impl PlanPatch {
    /// Reads a merge patch, naming every offending field.
    pub fn from_json(body: &Map<String, Value>) -> Result<Self, ValidationErrors> {
        let mut reader = plan_reader(body);
        let name = reader.patch_required("name", |t| one_line(t, PLAN_NAME_MAX_CHARS));
        reader.refuse(&["period"], "is fixed when the plan is made");
        let mut errors = reader.finish();
        let price = body.contains_key("price").then(|| price(body, &mut errors)).flatten();
        let tokens_per_period = tokens(body, &mut errors, false);
        let active = active(body, &mut errors);
        errors.into_result(|| {
            Some(Self {
                name,
                price,
                tokens_per_period,
                active,
            })
        })
    }
}

impl Plan {
    /// The plan after `patch`, at `now` (the version bumped when anything
    /// changed).
    pub fn patched(&self, patch: &PlanPatch, now: Timestamp) -> Plan {
        let mut after = self.clone();
        if let Some(name) = &patch.name {
            after.name = name.clone();
        }
        if let Some(price) = &patch.price {
            after.price = price.clone();
        }
        if let Some(tokens) = patch.tokens_per_period {
            after.tokens_per_period = tokens;
        }
        if let Some(active) = patch.active {
            after.active = active;
        }
        if after != *self {
            after.updated_at = now;
            after.version = self.version + 1;
        }
        after
    }
}

/// A customer's subscription to a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The customer.
    pub customer_id: CustomerId,
    /// Its business.
    pub business_id: BusinessId,
    /// The plan its current period is of.
    pub plan_id: PlanId,
    /// Where it stands.
    pub status: SubscriptionStatus,
    /// The current (for an ended subscription, the last) period's start.
    pub current_period_start: Timestamp,
    /// The current period's end: when it is renewed or expires.
    pub current_period_end: Timestamp,
    /// How many periods it has started: 1 for the first.
    pub period_number: u32,
    /// Whether it expires at the end of the current period instead of
    /// being renewed.
    pub cancel_at_period_end: bool,
    /// When it ended, if it did.
    #[serde(default)]
    pub ended_at: Option<Timestamp>,
    /// The principal who made it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change; the ETag is made from it.
    pub version: u64,
}

/// A step the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionRefusal {
    /// The subscription ended: nothing more happens to it.
    #[error("the subscription is {0}: it has ended")]
    Ended(SubscriptionStatus),
    /// The plan takes no new subscriptions.
    #[error("the plan is retired: it takes no new subscriptions")]
    RetiredPlan,
    /// A change of plan to another period.
    #[error("a plan change keeps the period: the new plan must be {0}ly too")]
    OtherPeriod(Period),
}

/// What the end of a period does to an active subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueStep {
    /// Its next period starts, granting the plan's tokens.
    Renew(Subscription),
    /// It ends, as it was cancelled at the end of this period.
    Expire(Subscription),
}

impl Subscription {
    /// A new active subscription of `customer` to `plan`, its first period
    /// starting at `now`.
    pub fn start(
        plan: &Plan,
        customer: CustomerId,
        actor: &str,
        now: Timestamp,
    ) -> Result<Subscription, SubscriptionRefusal> {
        if !plan.active {
            return Err(SubscriptionRefusal::RetiredPlan);
        }
        Ok(Subscription {
            id: SubscriptionId::random(),
            customer_id: customer,
            business_id: plan.business_id,
            plan_id: plan.id,
            status: SubscriptionStatus::Active,
            current_period_start: now,
            current_period_end: plan.period.end_of(now),
            period_number: 1,
            cancel_at_period_end: false,
            ended_at: None,
            created_by: actor.to_owned(),
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    fn active(&self) -> Result<(), SubscriptionRefusal> {
        match self.status {
            SubscriptionStatus::Active => Ok(()),
            ended => Err(SubscriptionRefusal::Ended(ended)),
        }
    }

    fn bumped(&self, now: Timestamp) -> Subscription {
        Subscription {
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The subscription moved to `plan` (of the same period as its plan
    /// now, `current`) for the periods to come: the current period was
    /// paid for and granted as it was, and the next renewal charges and
    /// grants the new plan's.
    pub fn with_plan(&self, plan: &Plan, current: &Plan, now: Timestamp) -> Result<Subscription, SubscriptionRefusal> {
        self.active()?;
        if !plan.active {
            return Err(SubscriptionRefusal::RetiredPlan);
        }
        if plan.period != current.period {
            return Err(SubscriptionRefusal::OtherPeriod(current.period));
        }
        Ok(Subscription {
            plan_id: plan.id,
            ..self.bumped(now)
        })
    }

    /// Cancelled now (ended at once), or at the end of its period (it then
    /// expires instead of being renewed).
    pub fn cancelled(&self, at_period_end: bool, now: Timestamp) -> Result<Subscription, SubscriptionRefusal> {
        self.active()?;
        Ok(if at_period_end {
            Subscription {
                cancel_at_period_end: true,
                ..self.bumped(now)
            }
        } else {
            Subscription {
                status: SubscriptionStatus::Cancelled,
                ended_at: Some(now),
                ..self.bumped(now)
            }
        })
    }

    /// What the end of its period does at `now`, if it is due: active and
    /// past the end of its period.
    pub fn due(&self, plan: &Plan, now: Timestamp) -> Option<DueStep> {
        if self.status != SubscriptionStatus::Active || self.current_period_end > now {
            return None;
        }
        Some(if self.cancel_at_period_end {
            DueStep::Expire(Subscription {
                status: SubscriptionStatus::Expired,
                ended_at: Some(self.current_period_end),
                ..self.bumped(now)
            })
        } else {
            DueStep::Renew(Subscription {
                current_period_start: self.current_period_end,
                current_period_end: plan.period.end_of_nth(self.created_at, self.period_number + 1),
                period_number: self.period_number + 1,
                ..self.bumped(now)
            })
        })
    }

    /// The movement key of the tokens its current period grants: one
    /// allocation per period, however often a renewal runs.
    pub fn allocation_key(&self) -> Option<Identifier> {
        Identifier::parse(&format!("{SUBSCRIPTION_KEY_PREFIX}{}:{}", self.id, self.period_number)).ok()
    }
}

/// The plan a subscribe body, or a change of plan, names: `{"plan_id"}`
/// and nothing else.
pub fn plan_named(body: &Map<String, Value>) -> Result<PlanId, ValidationErrors> {
    let mut reader = ObjectReader::new(body);
    let plan = reader.required("plan_id", PlanId::parse);
    reader.refuse_unknown(&["plan_id"]);
    reader.finish().into_result(|| plan)
}

/// Whether a cancel body asks for the end of the period
/// (`{"at_period_end": true}`) rather than now (an empty body, or `false`).
pub fn at_period_end(body: &Map<String, Value>) -> Result<bool, ValidationErrors> {
    let mut reader = ObjectReader::new(body);
    reader.refuse_unknown(&["at_period_end"]);
    let mut errors = reader.finish();
    let at_end = match body.get("at_period_end") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push("at_period_end", "must be true or false");
            false
        }
    };
    errors.into_result(|| Some(at_end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::object;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn plan(period: &str, tokens: i64) -> Plan {
        NewPlan::from_json(&object(json!({
            "name": "Pro", "period": period, "price": {"amount": "49.90", "currency": "EUR"},
            "tokens_per_period": tokens
        })))
        .unwrap()
        .into_plan(BusinessId::random(), at("2026-01-01T00:00:00Z"))
    }

    #[test]
    fn a_period_ends_the_same_day_a_month_or_a_year_later_or_the_months_last() {
        assert_eq!(
            Period::Month.end_of(at("2026-01-15T10:00:00Z")),
            at("2026-02-15T10:00:00Z")
        );
        assert_eq!(
            Period::Month.end_of(at("2026-01-31T10:00:00Z")),
            at("2026-02-28T10:00:00Z")
        );
        assert_eq!(
            Period::Year.end_of(at("2024-02-29T00:00:00Z")),
            at("2025-02-28T00:00:00Z")
        );
        assert_eq!(
            Period::Month.end_of_nth(at("2026-01-31T10:00:00Z"), 3),
            at("2026-04-30T10:00:00Z"),
            "counted from the start, not from the short month"
        );
    }

    #[test]
    fn every_bad_plan_field_is_named() {
        let refused = NewPlan::from_json(&object(json!({
            "name": "", "period": "week", "price": {"amount": -1, "currency": "eur"},
            "tokens_per_period": 1.5, "active": false, "id": "x"
        })))
        .unwrap_err();
        let mut fields = refused.fields();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "active",
                "id",
                "name",
                "period",
                "price.amount",
                "price.currency",
                "tokens_per_period"
            ]
        );
        let refused = PlanPatch::from_json(&object(json!({"period": "year", "name": null}))).unwrap_err();
        assert_eq!(refused.fields(), ["name", "period"]);
    }

    #[test]
    fn a_subscription_renews_period_after_period_then_expires_when_cancelled_at_its_end() {
        let plan = plan("month", 100);
        let start = at("2026-03-31T12:00:00Z");
        let first = Subscription::start(&plan, CustomerId::random(), "user:a", start).unwrap();
        assert_eq!(
            (first.period_number, first.current_period_end),
            (1, at("2026-04-30T12:00:00Z"))
        );
        assert_eq!(first.due(&plan, at("2026-04-30T11:59:59Z")), None, "not yet");
        let Some(DueStep::Renew(second)) = first.due(&plan, at("2026-05-02T00:00:00Z")) else {
            panic!("due for renewal");
        };
        assert_eq!(
            (
                second.current_period_start,
                second.current_period_end,
                second.period_number
            ),
            (at("2026-04-30T12:00:00Z"), at("2026-05-31T12:00:00Z"), 2),
            "the next period starts where the last ended, however late the renewal runs, and ends on the day the first began"
        );
        assert_ne!(first.allocation_key(), second.allocation_key());
        let cancelling = second.cancelled(true, at("2026-05-10T00:00:00Z")).unwrap();
        assert_eq!(cancelling.status, SubscriptionStatus::Active);
        let Some(DueStep::Expire(ended)) = cancelling.due(&plan, at("2026-06-01T00:00:00Z")) else {
            panic!("due to expire");
        };
        assert_eq!(
            (ended.status, ended.ended_at),
            (SubscriptionStatus::Expired, Some(at("2026-05-31T12:00:00Z")))
        );
        assert_eq!(
            ended.due(&plan, at("2027-01-01T00:00:00Z")),
            None,
            "an ended subscription is never due"
        );
        assert_eq!(
            ended.cancelled(false, at("2026-06-02T00:00:00Z")),
            Err(SubscriptionRefusal::Ended(SubscriptionStatus::Expired))
        );
    }

    #[test]
    fn a_retired_plan_takes_no_subscription_and_a_plan_change_keeps_the_period() {
        let monthly = plan("month", 10);
        let retired = monthly.patched(
            &PlanPatch {
                active: Some(false),
                ..PlanPatch::default()
            },
            Timestamp::now(),
        );
        assert_eq!(
            Subscription::start(&retired, CustomerId::random(), "a", Timestamp::now()),
            Err(SubscriptionRefusal::RetiredPlan)
        );
        let running = Subscription::start(&monthly, CustomerId::random(), "a", Timestamp::now()).unwrap();
        let yearly = plan("year", 10);
        assert_eq!(
            running.with_plan(&yearly, &monthly, Timestamp::now()),
            Err(SubscriptionRefusal::OtherPeriod(Period::Month))
        );
        let other = plan("month", 50);
        let moved = running.with_plan(&other, &monthly, Timestamp::now()).unwrap();
        assert_eq!((moved.plan_id, moved.version), (other.id, 2));
        let now = running.cancelled(false, at("2026-06-02T00:00:00Z")).unwrap();
        assert_eq!(now.status, SubscriptionStatus::Cancelled);
    }
}
