//! Demo data in bulk for the local stack (`make seed N=500`): customers
//! across two businesses, with tags, notes, order and appointment facts and
//! lifecycle steps, so that paging, search, segments and statistics have
//! something to show. Everything goes through the operations the API and
//! the inbound function use, so it is stored as they store it, events
//! included.
//!
//! It is deterministic: the i-th customer always has the same name, email
//! and platform user, so seeding again only adds the customers missing.

use clientele_core::facts::{Fact, FactKind};
use clientele_core::lifecycle::{Action, Reason};
use clientele_core::note::NewNote;
use clientele_core::tag::NewTag;
use clientele_core::{BusinessId, CustomerId, NewCustomer, OperationError, Timestamp};
use clientele_operations::{Actor, customers, facts, lifecycle, notes, tags};
use clientele_store::DynamoStore;
use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};

use crate::demo::BUSINESS;

/// The second business: a third of the customers are its.
pub const SECOND_BUSINESS: &str = "123e4567-e89b-12d3-a456-426614174020";

/// Customers seeded at once.
const CONCURRENCY: usize = 8;

/// First names, as shown and as an email writes them.
const FIRST: &[(&str, &str)] = &[
    ("Ana", "ana"),
    ("Ștefan", "stefan"),
    ("Élodie", "elodie"),
    ("Mihai", "mihai"),
    ("Zoë", "zoe"),
    ("Andrei", "andrei"),
    ("Ioana", "ioana"),
    ("Luca", "luca"),
    ("Amara", "amara"),
    ("Kenji", "kenji"),
    ("Sofia", "sofia"),
    ("Mateo", "mateo"),
    ("Chiara", "chiara"),
    ("Nikolai", "nikolai"),
    ("Fatima", "fatima"),
    ("Jonas", "jonas"),
];

/// Last names, likewise.
const LAST: &[(&str, &str)] = &[
    ("Popescu", "popescu"),
    ("Ionescu", "ionescu"),
    ("Dubois", "dubois"),
    ("Müller", "muller"),
    ("García", "garcia"),
    ("Rossi", "rossi"),
    ("Nowak", "nowak"),
    ("Okafor", "okafor"),
    ("Tanaka", "tanaka"),
    ("Haddad", "haddad"),
    ("Novák", "novak"),
    ("Lindqvist", "lindqvist"),
    ("O'Brien", "obrien"),
];

/// Tags: label, colour, priority.
const TAGS: &[(&str, Option<&str>, i64)] = &[
    ("VIP", Some("#d4af37"), 0),
    ("Newsletter", None, 5),
    ("Wholesale", Some("#1f77b4"), 2),
    ("Late payer", Some("#d62728"), 1),
    ("Prospect", None, 8),
];

/// Notes a seeded customer may have.
const NOTES: &[&str] = &[
    "Called about the spring catalogue; send the price list.",
    "Prefers to be contacted by email, mornings only.",
    "Asked for a quote on 40 units, delivery in March.",
    "Met at the trade fair. Interested in the premium plan.",
];

/// What a seeding did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Customers created now.
    pub created: usize,
    /// Customers already there from an earlier seeding.
    pub present: usize,
}

fn business(i: usize) -> &'static str {
    if i % 3 == 2 { SECOND_BUSINESS } else { BUSINESS }
}

/// The i-th customer's create body.
pub fn customer_body(i: usize) -> Value {
    let (first, first_ascii) = FIRST[i % FIRST.len()];
    let (last, last_ascii) = LAST[(i / FIRST.len() + i * 5) % LAST.len()];
    let user = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("clientele-seed:{}:{i}", business(i)).as_bytes(),
    );
    let gender = match i % 17 {
        0 => "other",
        n if n % 2 == 0 => "female",
        _ => "male",
    };
    json!({
        "full_name": format!("{first} {last}"),
        "email": format!("{first_ascii}.{last_ascii}.{i}@example.com"),
        "phone": format!("+40 7{:02} {:03} {:03}", i % 100, (i * 37) % 1000, (i * 91) % 1000),
        "gender": gender,
        "customer_type": if i.is_multiple_of(5) { "institution" } else { "sme" },
        "user_id": user.to_string(),
    })
}

/// Seeds `count` customers (the first `count` of the deterministic list),
/// with what goes with each, as of `now`.
pub async fn seed(store: &DynamoStore, count: usize, now: Timestamp) -> Result<Seeded, String> {
    let results: Vec<Result<bool, String>> = stream::iter(0..count)
        .map(|i| seed_one(store, i, now))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut seeded = Seeded::default();
    for result in results {
        if result? {
            seeded.created += 1;
        } else {
            seeded.present += 1;
        }
    }
    Ok(seeded)
}

/// Seeds the i-th customer: `false` when it was there already.
async fn seed_one(store: &DynamoStore, i: usize, now: Timestamp) -> Result<bool, String> {
    let failed = |what: &str, e: OperationError| format!("customer {i}, {what}: {e}");
    let business = BusinessId::parse(business(i)).map_err(|e| e.to_string())?;
    let actor = Actor {
        business,
        id: "user:seed".to_owned(),
        at: now.plus_seconds(-((i as i64 % 60) * 86_400) - i as i64),
    };
    let body = customer_body(i);
    let new = NewCustomer::from_json(body.as_object().ok_or("a body is an object")?).map_err(|e| e.to_string())?;
    let customer = match customers::create(store, &actor, new).await {
        Ok(customer) => customer,
        Err(OperationError::Taken(_)) => return Ok(false),
        Err(e) => return Err(failed("create", e)),
    };
    let id = customer.id;
    let later = Actor { at: now, ..actor };
    if !i.is_multiple_of(4) {
        lifecycle::apply(store, &later, id, &Action::Validate, None)
            .await
            .map_err(|e| failed("validate", e))?;
        if i.is_multiple_of(23) {
            let reason = Reason::parse("Unpaid invoices since the last quarter").map_err(|e| e.to_string())?;
            lifecycle::apply(store, &later, id, &Action::Suspend(reason), None)
                .await
                .map_err(|e| failed("suspend", e))?;
        }
    }
    let chosen: Vec<Value> = TAGS
        .iter()
        .enumerate()
        .filter(|(n, _)| (i >> n) & 1 == 1 && !(i + n).is_multiple_of(3))
        .map(|(_, (label, color, priority))| json!({"label": label, "color": color, "priority": priority}))
        .collect();
    if !chosen.is_empty() {
        let new = NewTag::many_from_json(&Value::Array(chosen)).map_err(|e| e.to_string())?;
        tags::add(store, &later, id, new).await.map_err(|e| failed("tags", e))?;
    }
    if i.is_multiple_of(3) {
        let body = json!({"content": NOTES[i % NOTES.len()]});
        let note = NewNote::from_json(body.as_object().ok_or("a body is an object")?).map_err(|e| e.to_string())?;
        notes::add(store, &later, id, note)
            .await
            .map_err(|e| failed("note", e))?;
    }
    for fact in facts_of(i, id, business, now)? {
        facts::record(store, &fact, now).await.map_err(|e| failed("fact", e))?;
    }
    Ok(true)
}

/// The i-th customer's completed orders and booked appointments, within the
/// last four weeks.
fn facts_of(i: usize, customer: CustomerId, business: BusinessId, now: Timestamp) -> Result<Vec<Fact>, String> {
    let mut found = Vec::new();
    for k in 0..(i % 6) {
        let at = now.plus_seconds(-(((i * 7 + k * 29) % (28 * 24)) as i64 * 3_600) - 60);
        let cents = 2_000 + (i * 131 + k * 977) % 48_000;
        let detail = json!({
            "orderId": format!("seed-order-{i}-{k}"),
            "customerId": customer.to_string(),
            "businessId": business.to_string(),
            "amount": format!("{}.{:02}", cents / 100, cents % 100),
            "currency": "RON",
            "occurredAt": at.to_string(),
        });
        found.push(Fact::from_detail(FactKind::OrderCompleted, &detail, at, now).map_err(|e| e.to_string())?);
    }
    for k in 0..(i % 4) {
        let at = now.plus_seconds(-(((i * 11 + k * 53) % (28 * 24)) as i64 * 3_600) - 60);
        let detail = json!({
            "appointmentId": format!("seed-appointment-{i}-{k}"),
            "customerId": customer.to_string(),
            "businessId": business.to_string(),
            "occurredAt": at.to_string(),
        });
        found.push(Fact::from_detail(FactKind::AppointmentBooked, &detail, at, now).map_err(|e| e.to_string())?);
    }
    Ok(found)
}
