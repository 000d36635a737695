//! Facts other services report (the orders and scheduling services): orders completed and
//! returned, appointments booked and cancelled. Each keeps a customer's
//! statistics; each is counted once, however often it is delivered.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::customer::Customer;
use crate::id::{BusinessId, CustomerId};
use crate::text::text_enum;
use crate::time::Timestamp;
use crate::validation::ValidationErrors;

text_enum!(
    /// The kinds of fact, by their EventBridge detail-type.
    FactKind {
        /// An order was completed: one more order, its amount added to the lifetime value.
        OrderCompleted => "order.completed",
        /// An order was returned: one more return, its amount (if given) taken off.
        OrderReturned => "order.returned",
        /// An appointment was booked.
        AppointmentBooked => "appointment.booked",
        /// An appointment was cancelled.
        AppointmentCancelled => "appointment.cancelled",
    }
);

impl FactKind {
    /// The detail field holding the fact's own id.
    pub fn id_field(&self) -> &'static str {
        match self {
            FactKind::OrderCompleted | FactKind::OrderReturned => "orderId",
            FactKind::AppointmentBooked | FactKind::AppointmentCancelled => "appointmentId",
        }
    }
}

/// Longest fact id accepted.
pub const FACT_ID_MAX_CHARS: usize = 128;
/// How long a fact is remembered as counted (its marker's lifetime), in
/// days: a duplicate arriving later would count again, so a fact older than
/// this is not counted at all.
pub const FACT_MARKER_DAYS: i64 = 30;
/// How far ahead of this service's clock a fact's time may be, in seconds:
/// clocks differ a little; a fact from the future is refused.
pub const FACT_CLOCK_SKEW_SECONDS: i64 = 300;
/// Largest amount accepted.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// One fact about one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// What happened.
    pub kind: FactKind,
    /// The order's or appointment's id in its own service: with the kind, what
    /// makes a delivery a duplicate.
    pub id: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// The order's amount (required for a completed order).
    pub amount: Option<Decimal>,
    /// When it happened.
    pub at: Timestamp,
}

fn text<'a>(detail: &'a Value, field: &str, errors: &mut ValidationErrors) -> Option<&'a str> {
    match detail.get(field) {
        Some(Value::String(s)) => Some(s.as_str()),
        None | Some(Value::Null) => {
            errors.push(field, "is required");
            None
        }
        Some(_) => {
            errors.push(field, "must be a string");
            None
        }
    }
}

/// A money amount: a JSON number or a decimal string, 0 or more, at most 4
/// decimals.
fn amount(value: &Value) -> Result<Decimal, &'static str> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return Err("must be a number"),
    };
    match Decimal::from_str(&text) {
        Ok(d) if d.is_sign_negative() => Err("must not be negative"),
        Ok(d) if d.scale() > 4 => Err("must have at most 4 decimals"),
        Ok(d) if d > Decimal::from(MAX_AMOUNT) => Err("is too large"),
        Ok(d) => Ok(d),
        Err(_) => Err("must be a number"),
    }
}

impl Fact {
    /// Reads a fact from an event's detail; `sent_at` (the event's time) is
    /// used unless the detail says `occurredAt`. The fact's time must lie
    /// between [`FACT_MARKER_DAYS`] before `now` and
    /// [`FACT_CLOCK_SKEW_SECONDS`] after it. Names every offending field.
    pub fn from_detail(
        kind: FactKind,
        detail: &Value,
        sent_at: Timestamp,
        now: Timestamp,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let customer_id = text(detail, "customerId", &mut errors).and_then(|t| match CustomerId::parse(t) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push("customerId", e.to_string());
                None
            }
        });
        let id = text(detail, kind.id_field(), &mut errors).and_then(|t| {
            let t = t.trim();
            if t.is_empty() || t.chars().count() > FACT_ID_MAX_CHARS || t.chars().any(char::is_control) {
                errors.push(kind.id_field(), format!("must be 1 to {FACT_ID_MAX_CHARS} characters"));
                None
            } else {
                Some(t.to_owned())
            }
        });
        let business_id = crate::inbound::business_id(detail, &mut errors);
        let amount = match (detail.get("amount"), kind) {
            (None | Some(Value::Null), FactKind::OrderCompleted) => {
                errors.push("amount", "is required");
                None
            }
            (None | Some(Value::Null), _) => None,
            (Some(v), _) => match amount(v) {
                Ok(a) => Some(a),
                Err(why) => {
                    errors.push("amount", why);
                    None
                }
            },
        };
        let at = match detail.get("occurredAt") {
            None | Some(Value::Null) => Some(sent_at),
            Some(v) => match v.as_str().map(Timestamp::parse) {
                Some(Ok(t)) => Some(t),
                _ => {
                    errors.push("occurredAt", "must be an RFC 3339 date and time");
                    None
                }
            },
        };
        let at = at.filter(|at| {
            let field = if detail.get("occurredAt").is_some() {
                "occurredAt"
            } else {
                "time"
            };
            if *at > now.plus_seconds(FACT_CLOCK_SKEW_SECONDS) {
                errors.push(field, "is in the future");
                false
            } else if *at < now.plus_seconds(-FACT_MARKER_DAYS * 86_400) {
                errors.push(
                    field,
                    format!("is more than {FACT_MARKER_DAYS} days ago: too old to be counted once"),
                );
                false
            } else {
                true
            }
        });
        errors.into_result(|| {
            Some(Self {
                kind,
                id: id?,
                customer_id: customer_id?,
                business_id: business_id?,
                amount,
                at: at?,
            })
        })
    }
}

fn later(current: Option<Timestamp>, at: Timestamp) -> Option<Timestamp> {
    Some(current.map_or(at, |c| c.max(at)))
}

fn earlier(current: Option<Timestamp>, at: Timestamp) -> Option<Timestamp> {
    Some(current.map_or(at, |c| c.min(at)))
}

impl Customer {
    /// The customer with a fact counted in its statistics. Dates move only
    /// forward (last) or backward (first), so facts may arrive in any order.
    pub fn with_fact(&self, fact: &Fact, now: Timestamp) -> Customer {
        let mut next = self.clone();
        let (stats, history) = (&mut next.stats, &mut next.history);
        let amount = fact.amount.unwrap_or_default();
        match fact.kind {
            FactKind::OrderCompleted => {
                stats.total_orders += 1;
                stats.lifetime_value += amount;
                stats.last_order_date = later(stats.last_order_date, fact.at);
                history.first_order_date = earlier(history.first_order_date, fact.at);
            }
            FactKind::OrderReturned => {
                history.returned_orders += 1;
                stats.lifetime_value -= amount;
            }
            FactKind::AppointmentBooked => {
                stats.total_appointments += 1;
                stats.last_appointment_date = later(stats.last_appointment_date, fact.at);
                history.first_appointment_date = earlier(history.first_appointment_date, fact.at);
            }
            FactKind::AppointmentCancelled => history.cancelled_appointments += 1,
        }
        next.updated_at = now;
        next.version = self.version + 1;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::NewCustomer;
    use crate::test_support::object;
    use serde_json::json;

    fn customer() -> Customer {
        let body = object(
            json!({"full_name": "Ola", "email": "ola@example.com", "gender": "female",
            "user_id": "123e4567-e89b-12d3-a456-426614174000"}),
        );
        NewCustomer::from_json(&body)
            .unwrap()
            .into_customer(BusinessId::random(), Timestamp::now())
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn fact(kind: FactKind, mut detail: Value) -> Fact {
        detail["businessId"] = json!(BusinessId::random().to_string());
        Fact::from_detail(kind, &detail, at("2026-11-25T10:00:00Z"), at("2026-11-25T10:00:00Z")).unwrap()
    }

    #[test]
    fn orders_and_appointments_keep_totals_dates_and_value() {
        let c = customer();
        let id = c.id.to_string();
        let facts = [
            fact(
                FactKind::OrderCompleted,
                json!({"customerId": id, "orderId": "o-2", "amount": 12.5, "occurredAt": "2026-11-21T00:00:00Z"}),
            ),
            fact(
                FactKind::OrderCompleted,
                json!({"customerId": id, "orderId": "o-1", "amount": "100.25", "occurredAt": "2026-11-01T00:00:00Z"}),
            ),
            fact(
                FactKind::OrderReturned,
                json!({"customerId": id, "orderId": "o-2", "amount": 12.5}),
            ),
            fact(
                FactKind::AppointmentBooked,
                json!({"customerId": id, "appointmentId": "a-1"}),
            ),
            fact(
                FactKind::AppointmentCancelled,
                json!({"customerId": id, "appointmentId": "a-1"}),
            ),
        ];
        let after = facts.iter().fold(c.clone(), |c, f| c.with_fact(f, Timestamp::now()));
        assert_eq!(after.stats.total_orders, 2);
        assert_eq!(after.stats.lifetime_value, Decimal::from_str("100.25").unwrap());
        assert_eq!(
            after.stats.last_order_date,
            Some(at("2026-11-21T00:00:00Z")),
            "the later order, whatever the order of arrival"
        );
        assert_eq!(after.history.first_order_date, Some(at("2026-11-01T00:00:00Z")));
        assert_eq!(after.history.returned_orders, 1);
        assert_eq!(after.stats.total_appointments, 1);
        assert_eq!(
            after.stats.last_appointment_date,
            Some(at("2026-11-25T10:00:00Z")),
            "the event's time by default"
        );
        assert_eq!(after.history.cancelled_appointments, 1);
        assert_eq!(after.version, c.version + 5);
    }

    #[test]
    fn a_bad_fact_names_every_field() {
        let now = Timestamp::now();
        let errors = Fact::from_detail(
            FactKind::OrderCompleted,
            &json!({"customerId": "nope", "amount": -3, "businessId": 5, "occurredAt": "yesterday"}),
            now,
            now,
        )
        .unwrap_err();
        assert_eq!(
            errors.fields(),
            vec!["customerId", "orderId", "businessId", "amount", "occurredAt"]
        );
        let business = BusinessId::random().to_string();
        for bad in [json!(1.23456), json!("ten"), json!(true), json!(2_000_000_000_000i64)] {
            let detail = json!({"customerId": CustomerId::random().to_string(), "businessId": business,
                "orderId": "o", "amount": bad});
            assert!(
                Fact::from_detail(FactKind::OrderCompleted, &detail, now, now).is_err(),
                "{bad}"
            );
        }
        let no_amount = json!({"customerId": CustomerId::random().to_string(), "businessId": business, "orderId": "o"});
        assert!(
            Fact::from_detail(FactKind::OrderReturned, &no_amount, now, now).is_ok(),
            "a return's amount is optional"
        );
        let no_business = json!({"customerId": CustomerId::random().to_string(), "orderId": "o"});
        assert_eq!(
            Fact::from_detail(FactKind::OrderReturned, &no_business, now, now)
                .unwrap_err()
                .fields(),
            vec!["businessId"]
        );
    }

    #[test]
    fn a_fact_from_the_future_or_older_than_its_marker_is_refused() {
        let now = at("2026-11-25T10:00:00Z");
        let detail = |occurred: &str| {
            json!({"customerId": CustomerId::random().to_string(), "businessId": BusinessId::random().to_string(),
                "orderId": "o", "amount": 1, "occurredAt": occurred})
        };
        let read = |occurred: &str| Fact::from_detail(FactKind::OrderCompleted, &detail(occurred), now, now);
        assert!(read("2026-11-25T10:04:00Z").is_ok(), "a little clock skew is fine");
        assert_eq!(read("9999-01-01T00:00:00Z").unwrap_err().fields(), vec!["occurredAt"]);
        assert_eq!(read("2026-11-25T10:06:00Z").unwrap_err().fields(), vec!["occurredAt"]);
        assert!(read("2026-10-27T10:00:00Z").is_ok(), "29 days ago");
        assert_eq!(read("2026-10-25T09:00:00Z").unwrap_err().fields(), vec!["occurredAt"]);
        let from_the_envelope = json!({"customerId": CustomerId::random().to_string(),
            "businessId": BusinessId::random().to_string(), "orderId": "o", "amount": 1});
        let sent = at("2027-01-01T00:00:00Z");
        assert_eq!(
            Fact::from_detail(FactKind::OrderCompleted, &from_the_envelope, sent, now)
                .unwrap_err()
                .fields(),
            vec!["time"]
        );
    }
}
