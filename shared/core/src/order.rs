//! Orders as the orders service reports them (`order.created`,
//! `order.updated`, `order.completed`, `order.cancelled`): a read model of a
//! customer's orders, for its order history and reports. Each event carries
//! the order's `sequence`; a change applies only over an older one, so
//! events may arrive out of order and more than once.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::id::{BusinessId, CustomerId};
use crate::text::text_enum;
use crate::time::Timestamp;
use crate::validation::{ValidationErrors, whole_number};

/// Longest order id, in characters.
pub const ORDER_ID_MAX_CHARS: usize = 128;
/// Longest delivery place.
pub const PLACE_MAX_CHARS: usize = 500;
/// Longest line item name.
pub const ITEM_NAME_MAX_CHARS: usize = 200;
/// Longest payment method.
pub const PAYMENT_METHOD_MAX_CHARS: usize = 50;
/// Most line items an order may list.
pub const MAX_LINE_ITEMS: usize = 100;
/// Largest quantity of one line.
pub const MAX_QUANTITY: i64 = 100_000;
/// Largest amount (a total or a unit price).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

text_enum!(
    /// The order events, by their EventBridge detail-type.
    OrderEventKind {
        /// An order was placed.
        Created => "order.created",
        /// An order changed (its status, times, lines, payment).
        Updated => "order.updated",
        /// An order was completed; also a fact counted in the statistics.
        Completed => "order.completed",
        /// An order was cancelled.
        Cancelled => "order.cancelled",
    }
);

text_enum!(
    /// Where an order stands.
    OrderStatus {
        /// Placed, not yet being prepared.
        Placed => "placed",
        /// Being prepared.
        Preparing => "preparing",
        /// Prepared, waiting to leave.
        Ready => "ready",
        /// On its way.
        Delivering => "delivering",
        /// Delivered and done.
        Completed => "completed",
        /// Cancelled.
        Cancelled => "cancelled",
    }
);

text_enum!(
    /// Where an order's payment stands.
    PaymentStatus {
        /// Not paid yet.
        Pending => "pending",
        /// Paid.
        Paid => "paid",
        /// Paid back.
        Refunded => "refunded",
        /// The payment failed.
        Failed => "failed",
    }
);

/// A money amount with its currency (ISO 4217, three upper-case letters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// The amount, 0 or more, at most 4 decimals.
    pub amount: Decimal,
    /// Its currency.
    pub currency: String,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// What was ordered.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// The price of one, in the order's currency.
    pub unit_price: Decimal,
}

/// A time an order reached a step, and the time it was expected to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// When it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<Timestamp>,
    /// When it was expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated: Option<Timestamp>,
}

/// What one order event says: the fields it carries, each replacing the
/// stored one; those it leaves out stay as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderChange {
    /// The event.
    pub kind: OrderEventKind,
    /// The order's id in the orders service.
    pub order_id: OrderId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// The order's version in the orders service: a change applies only
    /// over an older one.
    pub sequence: u64,
    /// Its status: the event's own for a completion or cancellation.
    pub status: Option<OrderStatus>,
    /// When it was placed.
    pub placed_at: Option<Timestamp>,
    /// When it was, or is expected to be, prepared.
    pub prepared: Milestone,
    /// When it was, or is expected to be, delivered.
    pub delivered: Milestone,
    /// Its total.
    pub total: Option<Money>,
    /// Its lines, all of them.
    pub items: Option<Vec<LineItem>>,
    /// Where it goes.
    pub delivery_place: Option<String>,
    /// How it is paid.
    pub payment_method: Option<String>,
    /// Whether it is paid.
    pub payment_status: Option<PaymentStatus>,
}

/// An order's id in the orders service: trimmed, 1 to 128 characters, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderId(String);

/// Why a string is not an order id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to {ORDER_ID_MAX_CHARS} characters, without control characters")]
pub struct InvalidOrderId;

impl OrderId {
    /// Parses an order id.
    pub fn parse(input: &str) -> Result<Self, InvalidOrderId> {
        let id = input.trim();
        if id.is_empty() || id.chars().count() > ORDER_ID_MAX_CHARS || id.chars().any(char::is_control) {
            return Err(InvalidOrderId);
        }
        Ok(Self(id.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::text::parsed_text!(OrderId, InvalidOrderId);

impl std::fmt::Display for OrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A customer's order as this service keeps it: what the latest event
/// applied (by sequence) says, field by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Its id in the orders service.
    pub order_id: OrderId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// The sequence of the latest event applied.
    pub sequence: u64,
    /// Where it stands.
    pub status: OrderStatus,
    /// When it was placed, once an event said so.
    pub placed_at: Option<Timestamp>,
    /// When it was, or is expected to be, prepared.
    pub prepared: Milestone,
    /// When it was, or is expected to be, delivered.
    pub delivered: Milestone,
    /// Its total.
    pub total: Option<Money>,
    /// Its lines.
    pub items: Vec<LineItem>,
    /// Where it goes.
    pub delivery_place: Option<String>,
    /// How it is paid.
    pub payment_method: Option<String>,
    /// Whether it is paid.
    pub payment_status: Option<PaymentStatus>,
    /// When this service first heard of it.
    pub first_seen_at: Timestamp,
    /// When this service last applied an event to it.
    pub updated_at: Timestamp,
}

impl Order {
    /// The order after `change`, or `None` when `change` is not newer than
    /// what `current` holds (a duplicate, or an event overtaken by a later
    /// one). Fields the change leaves out stay as they are.
    pub fn after(current: Option<&Order>, change: &OrderChange, now: Timestamp) -> Option<Order> {
        if let Some(current) = current
            && change.sequence <= current.sequence
        {
            return None;
        }
        let mut next = current.cloned().unwrap_or_else(|| Order {
            order_id: change.order_id.clone(),
            customer_id: change.customer_id,
            business_id: change.business_id,
            sequence: change.sequence,
            status: OrderStatus::Placed,
            placed_at: None,
            prepared: Milestone::default(),
            delivered: Milestone::default(),
            total: None,
            items: Vec::new(),
            delivery_place: None,
            payment_method: None,
            payment_status: None,
            first_seen_at: now,
            updated_at: now,
        });
        next.sequence = change.sequence;
        next.updated_at = now;
        if let Some(status) = change.status {
            next.status = status;
        }
        fn take<T: Clone>(into: &mut Option<T>, from: &Option<T>) {
            if from.is_some() {
                into.clone_from(from);
            }
        }
        take(&mut next.placed_at, &change.placed_at);
        take(&mut next.prepared.actual, &change.prepared.actual);
        take(&mut next.prepared.estimated, &change.prepared.estimated);
        take(&mut next.delivered.actual, &change.delivered.actual);
        take(&mut next.delivered.estimated, &change.delivered.estimated);
        take(&mut next.total, &change.total);
        take(&mut next.delivery_place, &change.delivery_place);
        take(&mut next.payment_method, &change.payment_method);
        take(&mut next.payment_status, &change.payment_status);
        if let Some(items) = &change.items {
            next.items.clone_from(items);
        }
        Some(next)
    }

    /// When it was placed, or else when this service first heard of it: its
    /// place in a customer's order history.
    pub fn placed_or_seen(&self) -> Timestamp {
        self.placed_at.unwrap_or(self.first_seen_at)
    }
}

/// Reads the fields of an order event's detail, recording every problem.
struct Reader<'a> {
    detail: &'a Value,
    errors: ValidationErrors,
}

impl<'a> Reader<'a> {
    fn present(&self, field: &str) -> Option<&'a Value> {
        self.detail.get(field).filter(|v| !v.is_null())
    }

    fn text(&mut self, field: &str, max: usize, required: bool) -> Option<String> {
        match self.present(field) {
            None if required => {
                self.errors.push(field, "is required");
                None
            }
            None => None,
            Some(Value::String(s)) => {
                let t = s.trim();
                if t.is_empty() || t.chars().count() > max || t.chars().any(crate::text::refused_in_line) {
                    self.errors.push(
                        field,
                        format!(
                            "must be 1 to {max} characters, without control, bidirectional or invisible characters"
                        ),
                    );
                    None
                } else {
                    Some(t.to_owned())
                }
            }
            Some(_) => {
                self.errors.push(field, "must be a string");
                None
            }
        }
    }

    fn parsed<T: FromStr>(&mut self, field: &str, required: bool) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.text(field, 64, required)?;
        text.parse::<T>()
            .map_err(|e| self.errors.push(field, e.to_string()))
            .ok()
    }

    fn time(&mut self, field: &str) -> Option<Timestamp> {
        let text = self.text(field, 64, false)?;
        Timestamp::parse(&text)
            .map_err(|_| self.errors.push(field, "must be an RFC 3339 date and time"))
            .ok()
    }

    fn amount(&mut self, field: &str, value: &Value) -> Option<Decimal> {
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_owned(),
            _ => {
                self.errors.push(field, "must be a number");
                return None;
            }
        };
        match Decimal::from_str(&text) {
            Ok(d) if d.is_sign_negative() => self.errors.push(field, "must not be negative"),
            Ok(d) if d.scale() > 4 => self.errors.push(field, "must have at most 4 decimals"),
            Ok(d) if d > Decimal::from(MAX_AMOUNT) => self.errors.push(field, "is too large"),
            Ok(d) => return Some(d.normalize()),
            Err(_) => self.errors.push(field, "must be a number"),
        }
        None
    }

    fn currency(&mut self) -> Option<String> {
        let text = self.text("currency", 3, false)?;
        if text.len() == 3 && text.chars().all(|c| c.is_ascii_uppercase()) {
            Some(text)
        } else {
            self.errors
                .push("currency", "must be an ISO 4217 code: three upper-case letters");
            None
        }
    }

    fn total(&mut self, kind: OrderEventKind) -> Option<Money> {
        let currency = self.currency();
        // A completion written before orders were kept names its amount
        // `amount`; with a currency, that is the order's total.
        let value = self
            .present("total")
            .map(|v| ("total", v))
            .or_else(|| (kind == OrderEventKind::Completed).then(|| self.present("amount").map(|v| ("amount", v)))?);
        match (value, currency) {
            (Some((field, value)), Some(currency)) => Some(Money {
                amount: self.amount(field, value)?,
                currency,
            }),
            (Some(("total", _)), None) if self.present("currency").is_none() => {
                self.errors.push("currency", "is required with a total");
                None
            }
            (None, Some(_)) => {
                self.errors.push("total", "is required with a currency");
                None
            }
            _ => None,
        }
    }

    fn items(&mut self) -> Option<Vec<LineItem>> {
        let lines = match self.present("items")? {
            Value::Array(lines) if lines.len() <= MAX_LINE_ITEMS => lines,
            Value::Array(_) => {
                self.errors
                    .push("items", format!("must hold at most {MAX_LINE_ITEMS} lines"));
                return None;
            }
            _ => {
                self.errors.push("items", "must be a list");
                return None;
            }
        };
        let mut items = Vec::with_capacity(lines.len());
        for (n, line) in lines.iter().enumerate() {
            let field = |name: &str| format!("items[{n}].{name}");
            if !line.is_object() {
                self.errors.push(&format!("items[{n}]"), "must be an object");
                continue;
            }
            let mut reader = Reader {
                detail: line,
                errors: ValidationErrors::new(),
            };
            let name = reader.text("name", ITEM_NAME_MAX_CHARS, true);
            let quantity = match line.get("quantity").and_then(whole_number) {
                Some(q) if (1..=MAX_QUANTITY).contains(&q) => u32::try_from(q).ok(),
                _ => {
                    reader
                        .errors
                        .push("quantity", format!("must be a whole number from 1 to {MAX_QUANTITY}"));
                    None
                }
            };
            let unit_price = match line.get("unitPrice").filter(|v| !v.is_null()) {
                Some(v) => reader.amount("unitPrice", v),
                None => {
                    reader.errors.push("unitPrice", "is required");
                    None
                }
            };
            for problem in reader.errors.errors() {
                self.errors.push(&field(&problem.field), problem.detail.clone());
            }
            if let (Some(name), Some(quantity), Some(unit_price)) = (name, quantity, unit_price) {
                items.push(LineItem {
                    name,
                    quantity,
                    unit_price,
                });
            }
        }
        Some(items)
    }
}

impl OrderChange {
    /// Whether an `order.completed` detail also reports the order itself
    /// (a `sequence`, as its second version does), not only the fact that
    /// counts in the statistics.
    pub fn carried_by(detail: &Value) -> bool {
        detail.get("sequence").is_some_and(|v| !v.is_null())
    }

    /// Reads an order event's detail; `sent_at` (the event's time) is when
    /// a new order was placed unless the detail says `placedAt`. Names every
    /// offending field; fields it does not know are ignored.
    pub fn from_detail(kind: OrderEventKind, detail: &Value, sent_at: Timestamp) -> Result<Self, ValidationErrors> {
        let mut reader = Reader {
            detail,
            errors: ValidationErrors::new(),
        };
        if !detail.is_object() {
            reader.errors.push("detail", "must be a JSON object");
            return Err(reader.errors);
        }
        let customer_id = reader.parsed::<CustomerId>("customerId", true);
        let business_id = crate::inbound::business_id(detail, &mut reader.errors);
        let order_id = reader.text("orderId", ORDER_ID_MAX_CHARS, true).and_then(|t| {
            OrderId::parse(&t)
                .map_err(|e| reader.errors.push("orderId", e.to_string()))
                .ok()
        });
        let sequence = match reader.present("sequence").map(whole_number) {
            Some(Some(n)) if n >= 1 => u64::try_from(n).ok(),
            None => {
                reader.errors.push("sequence", "is required");
                None
            }
            Some(_) => {
                reader.errors.push("sequence", "must be a whole number of 1 or more");
                None
            }
        };
        let status = match kind {
            OrderEventKind::Completed => Some(OrderStatus::Completed),
            OrderEventKind::Cancelled => Some(OrderStatus::Cancelled),
            OrderEventKind::Created => reader.parsed("status", false).or(Some(OrderStatus::Placed)),
            OrderEventKind::Updated => reader.parsed("status", false),
        };
        let placed_at = reader
            .time("placedAt")
            .or((kind == OrderEventKind::Created).then_some(sent_at));
        let prepared = Milestone {
            actual: reader.time("preparedAt"),
            estimated: reader.time("estimatedPreparedAt"),
        };
        let delivered = Milestone {
            actual: reader.time("deliveredAt"),
            estimated: reader.time("estimatedDeliveredAt"),
        };
        let total = reader.total(kind);
        let items = reader.items();
        let delivery_place = reader.text("deliveryPlace", PLACE_MAX_CHARS, false);
        let payment_method = reader.text("paymentMethod", PAYMENT_METHOD_MAX_CHARS, false);
        let payment_status = reader.parsed("paymentStatus", false);
        reader.errors.into_result(|| {
            Some(Self {
                kind,
                order_id: order_id?,
                customer_id: customer_id?,
                business_id: business_id?,
                sequence: sequence?,
                status,
                placed_at,
                prepared,
                delivered,
                total,
                items,
                delivery_place,
                payment_method,
                payment_status,
            })
        })
    }
}

/// The spread of some durations: their average and 90th percentile
/// (nearest rank), in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    /// How many durations.
    pub orders: u64,
    /// Their mean, rounded down.
    pub average_seconds: i64,
    /// The smallest duration at least 90% of them do not exceed.
    pub p90_seconds: i64,
}

impl Spread {
    /// The spread of `seconds`, if there are any.
    pub fn of(mut seconds: Vec<i64>) -> Option<Self> {
        if seconds.is_empty() {
            return None;
        }
        seconds.sort_unstable();
        let n = seconds.len();
        let sum: i128 = seconds.iter().map(|s| i128::from(*s)).sum();
        let average = i64::try_from(sum / i128::try_from(n).unwrap_or(i128::MAX)).unwrap_or(i64::MAX);
        let rank = (n * 9).div_ceil(10).max(1);
        Some(Self {
            orders: u64::try_from(n).unwrap_or(u64::MAX),
            average_seconds: average,
            p90_seconds: seconds[rank - 1],
        })
    }
}

/// How long orders took from being placed to a step, and how long they
/// were expected to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepTimes {
    /// From placed to the step's actual time.
    pub actual: Option<Spread>,
    /// From placed to the step's estimated time.
    pub estimated: Option<Spread>,
}

impl StepTimes {
    fn of<'a>(orders: impl Iterator<Item = &'a Order> + Clone, step: impl Fn(&Order) -> Milestone) -> Self {
        let since_placed = |pick: &dyn Fn(Milestone) -> Option<Timestamp>| -> Vec<i64> {
            orders
                .clone()
                .filter_map(|o| {
                    let placed = o.placed_at?;
                    let at = pick(step(o))?;
                    let seconds = at.unix_seconds() - placed.unix_seconds();
                    (seconds >= 0).then_some(seconds)
                })
                .collect()
        };
        Self {
            actual: Spread::of(since_placed(&|m| m.actual)),
            estimated: Spread::of(since_placed(&|m| m.estimated)),
        }
    }
}

/// The orders of one currency, cancelled ones left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyValue {
    /// The currency.
    pub currency: String,
    /// How many orders with a total in it.
    pub orders: u64,
    /// Their totals added up.
    pub total: Decimal,
    /// Their average total, to 4 decimals.
    pub average: Decimal,
}

/// A customer's order report: counts by status, value by currency, and
/// preparation and delivery times against their estimates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderReport {
    /// How many orders it was made from.
    pub orders: u64,
    /// Whether those are all the customer's orders (only the most recent
    /// are read beyond a bound).
    pub complete: bool,
    /// Orders by status, every status named.
    pub by_status: BTreeMap<&'static str, u64>,
    /// Average order value per currency: amounts of different currencies
    /// are never added up.
    pub value_by_currency: Vec<CurrencyValue>,
    /// From placed to prepared.
    pub preparation: StepTimes,
    /// From placed to delivered.
    pub delivery: StepTimes,
}

impl OrderReport {
    /// The report of `orders`; `complete` says whether they are all there are.
    pub fn of(orders: &[Order], complete: bool) -> Self {
        let mut by_status: BTreeMap<&'static str, u64> = OrderStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        let mut value: BTreeMap<&str, (u64, Decimal)> = BTreeMap::new();
        for order in orders {
            *by_status.entry(order.status.as_str()).or_default() += 1;
            if let (Some(total), false) = (&order.total, order.status == OrderStatus::Cancelled) {
                let entry = value.entry(total.currency.as_str()).or_default();
                entry.0 += 1;
                entry.1 += total.amount;
            }
        }
        let value_by_currency = value
            .into_iter()
            .map(|(currency, (n, total))| CurrencyValue {
                currency: currency.to_owned(),
                orders: n,
                total: total.normalize(),
                average: (total / Decimal::from(n)).round_dp(4).normalize(),
            })
            .collect();
        let kept = orders.iter().filter(|o| o.status != OrderStatus::Cancelled);
        Self {
            orders: u64::try_from(orders.len()).unwrap_or(u64::MAX),
            complete,
            by_status,
            value_by_currency,
            preparation: StepTimes::of(kept.clone(), |o| o.prepared),
            delivery: StepTimes::of(kept, |o| o.delivered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn detail(extra: Value) -> Value {
        let mut base = json!({
            "customerId": CustomerId::random().to_string(),
            "businessId": BusinessId::random().to_string(),
            "orderId": " order-1 ",
            "sequence": 1,
        });
        if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
            base.extend(extra);
        }
        base
    }

    #[test]
    fn an_event_names_every_offending_field() {
        let sent = at("2026-11-25T10:00:00Z");
        let bad = json!({"customerId": "nope", "businessId": 5, "orderId": "", "sequence": 0,
            "status": "lost", "placedAt": "yesterday", "total": -1, "currency": "eur",
            "items": [{"name": "Tea", "quantity": 0, "unitPrice": "1.23456"}, 3],
            "paymentStatus": "maybe", "deliveryPlace": "a\u{0}b"});
        let errors = OrderChange::from_detail(OrderEventKind::Created, &bad, sent).unwrap_err();
        assert_eq!(
            errors.fields(),
            vec![
                "customerId",
                "businessId",
                "orderId",
                "sequence",
                "status",
                "placedAt",
                "currency",
                "items[0].quantity",
                "items[0].unitPrice",
                "items[1]",
                "deliveryPlace",
                "paymentStatus"
            ]
        );
        let too_many = detail(json!({"items": vec![json!({"name": "x", "quantity": 1, "unitPrice": 1}); 101]}));
        assert_eq!(
            OrderChange::from_detail(OrderEventKind::Updated, &too_many, sent)
                .unwrap_err()
                .fields(),
            vec!["items"]
        );
        let no_currency = detail(json!({"total": 10}));
        assert_eq!(
            OrderChange::from_detail(OrderEventKind::Updated, &no_currency, sent)
                .unwrap_err()
                .fields(),
            vec!["currency"]
        );
        let no_sequence = json!({"customerId": CustomerId::random().to_string(),
            "businessId": BusinessId::random().to_string(), "orderId": "o"});
        assert_eq!(
            OrderChange::from_detail(OrderEventKind::Cancelled, &no_sequence, sent)
                .unwrap_err()
                .fields(),
            vec!["sequence"]
        );
    }

    #[test]
    fn a_created_order_is_placed_when_sent_unless_it_says_and_a_completion_carries_its_amount() {
        let sent = at("2026-11-25T10:00:00Z");
        let created = OrderChange::from_detail(
            OrderEventKind::Created,
            &detail(json!({"total": "25.50", "currency": "EUR",
                "items": [{"name": "Soup", "quantity": 2, "unitPrice": 12.75}]})),
            sent,
        )
        .unwrap();
        assert_eq!(created.order_id.as_str(), "order-1");
        assert_eq!(created.status, Some(OrderStatus::Placed));
        assert_eq!(created.placed_at, Some(sent));
        assert_eq!(
            created.total.as_ref().map(|t| t.amount.to_string()).as_deref(),
            Some("25.5")
        );
        assert_eq!(created.items.as_ref().map(Vec::len), Some(1));
        let completed = OrderChange::from_detail(
            OrderEventKind::Completed,
            &detail(json!({"amount": 25.5, "currency": "EUR", "status": "placed"})),
            sent,
        )
        .unwrap();
        assert_eq!(completed.status, Some(OrderStatus::Completed), "the event's own status");
        assert_eq!(completed.placed_at, None, "only a creation places an order");
        assert_eq!(completed.total.map(|t| t.currency).as_deref(), Some("EUR"));
        assert!(OrderChange::carried_by(&detail(json!({}))));
        assert!(!OrderChange::carried_by(&json!({"orderId": "o", "amount": 1})));
    }

    #[test]
    fn events_apply_in_sequence_whatever_their_arrival() {
        let sent = at("2026-11-25T10:00:00Z");
        let now = at("2026-11-25T11:00:00Z");
        let base = detail(json!({}));
        let with = |extra: Value, sequence: u64| {
            let mut d = base.clone();
            if let (Some(d), Value::Object(extra)) = (d.as_object_mut(), extra) {
                d.extend(extra);
                d.insert("sequence".to_owned(), json!(sequence));
            }
            d
        };
        let created = OrderChange::from_detail(
            OrderEventKind::Created,
            &with(
                json!({"total": 30, "currency": "EUR", "deliveryPlace": "Str. Lalelelor 3"}),
                1,
            ),
            sent,
        )
        .unwrap();
        let preparing = OrderChange::from_detail(
            OrderEventKind::Updated,
            &with(
                json!({"status": "preparing", "estimatedPreparedAt": "2026-11-25T10:20:00Z"}),
                2,
            ),
            sent,
        )
        .unwrap();
        let done = OrderChange::from_detail(
            OrderEventKind::Completed,
            &with(json!({"deliveredAt": "2026-11-25T10:50:00Z"}), 3),
            sent,
        )
        .unwrap();
        // The completion first, then the older events: they change nothing.
        let order = Order::after(None, &done, now).unwrap();
        assert_eq!(order.status, OrderStatus::Completed);
        assert!(Order::after(Some(&order), &created, now).is_none());
        assert!(Order::after(Some(&order), &preparing, now).is_none());
        assert!(Order::after(Some(&order), &done, now).is_none(), "a duplicate");
        // In order, each keeps what the others said.
        let in_order = [&created, &preparing, &done]
            .into_iter()
            .try_fold(None::<Order>, |current, change| {
                Order::after(current.as_ref(), change, now).map(Some)
            })
            .unwrap()
            .unwrap();
        assert_eq!(in_order.status, OrderStatus::Completed);
        assert_eq!(in_order.sequence, 3);
        assert_eq!(in_order.placed_at, Some(sent));
        assert_eq!(in_order.prepared.estimated, Some(at("2026-11-25T10:20:00Z")));
        assert_eq!(in_order.delivered.actual, Some(at("2026-11-25T10:50:00Z")));
        assert_eq!(in_order.delivery_place.as_deref(), Some("Str. Lalelelor 3"));
    }

    #[test]
    fn a_report_keeps_currencies_apart_and_takes_the_nearest_rank_p90() {
        let placed = at("2026-11-25T10:00:00Z");
        let order = |n: i64, currency: &str, amount: i64, status: OrderStatus| Order {
            order_id: OrderId::parse(&format!("o-{n}")).unwrap(),
            customer_id: CustomerId::random(),
            business_id: BusinessId::random(),
            sequence: 1,
            status,
            placed_at: Some(placed),
            prepared: Milestone {
                actual: Some(placed.plus_seconds(n * 60)),
                estimated: Some(placed.plus_seconds(600)),
            },
            delivered: Milestone::default(),
            total: Some(Money {
                amount: Decimal::from(amount),
                currency: currency.to_owned(),
            }),
            items: Vec::new(),
            delivery_place: None,
            payment_method: None,
            payment_status: None,
            first_seen_at: placed,
            updated_at: placed,
        };
        let mut orders: Vec<Order> = (1..=10)
            .map(|n| order(n, "EUR", 10 * n, OrderStatus::Completed))
            .collect();
        orders.push(order(11, "RON", 7, OrderStatus::Completed));
        orders.push(order(99, "EUR", 1_000, OrderStatus::Cancelled));
        let report = OrderReport::of(&orders, true);
        assert_eq!(report.orders, 12);
        assert_eq!(report.by_status["completed"], 11);
        assert_eq!(report.by_status["cancelled"], 1);
        assert_eq!(report.by_status["placed"], 0, "every status named");
        let eur = &report.value_by_currency[0];
        assert_eq!((eur.currency.as_str(), eur.orders), ("EUR", 10));
        assert_eq!((eur.total, eur.average), (Decimal::from(550), Decimal::from(55)));
        assert_eq!(report.value_by_currency[1].currency, "RON");
        let prep = report.preparation.actual.unwrap();
        assert_eq!(prep.orders, 11, "cancelled orders left out");
        assert_eq!(prep.p90_seconds, 600, "the 10th of 11 durations of 1 to 11 minutes");
        assert_eq!(prep.average_seconds, 360);
        assert_eq!(report.preparation.estimated.unwrap().p90_seconds, 600);
        assert!(report.delivery.actual.is_none());
        assert_eq!(Spread::of(vec![5]).unwrap().p90_seconds, 5);
    }
}
