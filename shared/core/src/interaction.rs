//! Interactions: what happened between a business and one of its customers
//! (a call, a meeting, an email...), when, for how long and with which of
//! its contacts. Each is logged by the principal who had it; statistics over
//! them are counted per UTC day.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::id::{BusinessId, ContactId, CustomerId, InteractionId};
use crate::text::{refused_in_text, text_enum};
use crate::time::Timestamp;
use crate::validation::{ObjectReader, ValidationErrors};

/// Longest subject, in characters.
pub const SUBJECT_MAX_CHARS: usize = 200;
/// Longest body, in characters.
pub const BODY_MAX_CHARS: usize = 10_000;
/// Longest outcome, in characters.
pub const OUTCOME_MAX_CHARS: usize = 200;
/// Longest duration: a day.
pub const MAX_DURATION_SECONDS: i64 = 86_400;
/// How far in the future `occurred_at` may be: clocks differ.
pub const FUTURE_SKEW_SECONDS: i64 = 300;
/// The earliest `occurred_at` accepted (2000-01-01, UTC), in Unix seconds.
pub const EARLIEST_UNIX_SECONDS: i64 = 946_684_800;
/// Most days a date-range listing spans.
pub const MAX_RANGE_DAYS: i64 = 31;
/// Most days statistics span.
pub const MAX_STATISTICS_DAYS: i64 = 366;

text_enum!(
    /// What kind of interaction it was.
    InteractionType {
        /// A phone call.
        Call => "call",
        /// A meeting.
        Meeting => "meeting",
        /// An email.
        Email => "email",
        /// A chat or text message.
        Message => "message",
        /// A visit.
        Visit => "visit",
        /// Anything else.
        Other => "other",
    }
);

text_enum!(
    /// Who started it.
    Direction {
        /// The customer.
        Inbound => "inbound",
        /// The business.
        Outbound => "outbound",
    }
);

/// One interaction with a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// Its id.
    pub id: InteractionId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The customer's business.
    pub business_id: BusinessId,
    /// What kind it was.
    #[serde(rename = "type")]
    pub interaction_type: InteractionType,
    /// Who started it.
    pub direction: Direction,
    /// What it was about, in one line.
    pub subject: String,
    /// What was said or written.
    #[serde(default)]
    pub body: Option<String>,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// How long it took.
    #[serde(default)]
    pub duration_seconds: Option<u32>,
    /// How it ended.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The customer's contact it was with.
    #[serde(default)]
    pub contact_id: Option<ContactId>,
    /// The principal who logged it: whose it is.
    pub created_by: String,
    /// When it was logged.
    pub created_at: Timestamp,
    /// The principal who changed it last.
    pub updated_by: String,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped on every change; the ETag is made from it.
    pub version: u64,
}

/// An interaction's writable fields, read from a log or replace body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionInput {
    /// The customer the body names (`customer_id`), if it names one.
    pub customer_id: Option<CustomerId>,
    /// What kind it was.
    pub interaction_type: InteractionType,
    /// Who started it.
    pub direction: Direction,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: Option<String>,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// How long it took.
    pub duration_seconds: Option<u32>,
    /// How it ended.
    pub outcome: Option<String>,
    /// The contact it was with.
    pub contact_id: Option<ContactId>,
}

/// The fields a body may write.
const WRITABLE: &[&str] = &[
    "customer_id",
    "type",
    "direction",
    "subject",
    "body",
    "occurred_at",
    "duration_seconds",
    "outcome",
    "contact_id",
];
/// The fields the server sets.
const SERVER_OWNED: &[&str] = &[
    "id",
    "business_id",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "version",
];

use crate::text::one_line as line;

fn body_text(text: &str) -> Result<String, String> {
    let normalized = text.replace("\r\n", "\n").replace('\t', " ");
    let t = normalized.trim();
    if t.is_empty() || t.chars().count() > BODY_MAX_CHARS || t.chars().any(refused_in_text) {
        return Err(format!(
            "must be 1 to {BODY_MAX_CHARS} characters, without control (but line breaks), bidirectional or invisible characters"
        ));
    }
    Ok(t.to_owned())
}

/// `occurred_at`: any RFC 3339 instant from 2000-01-01 to a few minutes
/// after `now`.
fn occurred_at(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    let at = Timestamp::parse(text).map_err(|_| "must be an RFC 3339 date-time".to_owned())?;
    if at.unix_seconds() < EARLIEST_UNIX_SECONDS {
        return Err("must not be before 2000-01-01T00:00:00Z".to_owned());
    }
    if at > now.plus_seconds(FUTURE_SKEW_SECONDS) {
        return Err(format!(
            "must not be more than {} minutes in the future",
            FUTURE_SKEW_SECONDS / 60
        ));
    }
    Ok(at)
}

impl InteractionInput {
    /// Reads a log (`POST`) or replace (`PUT`) body at `now`, naming every
    /// offending field. A log must name its customer.
    pub fn from_json(body: &Map<String, Value>, create: bool, now: Timestamp) -> Result<Self, ValidationErrors> {
        let mut reader = ObjectReader::new(body);
        reader.refuse(SERVER_OWNED, "is set by the server and cannot be written");
        let known: Vec<&str> = WRITABLE.iter().chain(SERVER_OWNED).copied().collect();
        reader.refuse_unknown(&known);
        let customer_id = if create {
            reader.required("customer_id", CustomerId::parse)
        } else {
            reader.optional("customer_id", CustomerId::parse)
        };
        let interaction_type = reader.required("type", InteractionType::from_str);
        let direction = reader.required("direction", Direction::from_str);
        let subject = reader.required("subject", |t| line(t, SUBJECT_MAX_CHARS));
        let text = reader.optional("body", body_text);
        let at = reader.required("occurred_at", |t| occurred_at(t, now));
        let duration = reader.optional_integer("duration_seconds", 0..=MAX_DURATION_SECONDS);
        let outcome = reader.optional("outcome", |t| line(t, OUTCOME_MAX_CHARS));
        let contact_id = reader.optional("contact_id", ContactId::parse);
        reader.finish().into_result(|| {
            Some(Self {
                customer_id,
                interaction_type: interaction_type?,
                direction: direction?,
                subject: subject?,
                body: text,
                occurred_at: at?,
                duration_seconds: duration.and_then(|d| u32::try_from(d).ok()),
                outcome,
                contact_id,
            })
        })
    }

    /// The interaction this body logs for `customer`, by `actor` at `now`.
    pub fn into_interaction(
        self,
        customer: CustomerId,
        business: BusinessId,
        actor: &str,
        now: Timestamp,
    ) -> Interaction {
        Interaction {
            id: InteractionId::random(),
            customer_id: customer,
            business_id: business,
            interaction_type: self.interaction_type,
            direction: self.direction,
            subject: self.subject,
            body: self.body,
            occurred_at: self.occurred_at,
            duration_seconds: self.duration_seconds,
            outcome: self.outcome,
            contact_id: self.contact_id,
            created_by: actor.to_owned(),
            created_at: now,
            updated_by: actor.to_owned(),
            updated_at: now,
            version: 1,
        }
    }
}

impl Interaction {
    /// The interaction with every writable field as `input` says (absent
    /// optional fields become empty), changed by `actor` at `now`.
    pub fn replaced(&self, input: InteractionInput, actor: &str, now: Timestamp) -> Interaction {
        Interaction {
            interaction_type: input.interaction_type,
            direction: input.direction,
            subject: input.subject,
            body: input.body,
            occurred_at: input.occurred_at,
            duration_seconds: input.duration_seconds,
            outcome: input.outcome,
            contact_id: input.contact_id,
            updated_by: actor.to_owned(),
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The names of the writable fields whose values differ from `other`'s.
    pub fn changed_fields(&self, other: &Interaction) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut check = |name: &'static str, differs: bool| {
            if differs {
                changed.push(name);
            }
        };
        check("type", self.interaction_type != other.interaction_type);
        check("direction", self.direction != other.direction);
        check("subject", self.subject != other.subject);
        check("body", self.body != other.body);
        check("occurred_at", self.occurred_at != other.occurred_at);
        check("duration_seconds", self.duration_seconds != other.duration_seconds);
        check("outcome", self.outcome != other.outcome);
        check("contact_id", self.contact_id != other.contact_id);
        changed
    }

    /// The UTC day it happened on.
    pub fn day(&self) -> Day {
        Day::of(self.occurred_at)
    }

    /// What it adds to its day's counters.
    pub fn tally(&self) -> Tally {
        Tally {
            count: 1,
            duration_seconds: u64::from(self.duration_seconds.unwrap_or(0)),
        }
    }
}

/// A calendar day in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(NaiveDate);

/// Why a day is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a date as YYYY-MM-DD")]
pub struct InvalidDay;

impl Day {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, InvalidDay> {
        if text.len() != 10 {
            return Err(InvalidDay);
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| InvalidDay)
    }

    /// The UTC day of an instant.
    pub fn of(at: Timestamp) -> Self {
        Self(at.as_datetime().date_naive())
    }

    /// The UTC day of the last instant before `at`: the last day a range
    /// ending (excluded) at `at` reaches.
    pub fn last_before(at: Timestamp) -> Self {
        Self((at.as_datetime() - chrono::Duration::microseconds(1)).date_naive())
    }

    /// The day after.
    pub fn next(self) -> Option<Self> {
        self.0.succ_opt().map(Self)
    }

    /// The day before.
    pub fn previous(self) -> Option<Self> {
        self.0.pred_opt().map(Self)
    }

    /// Days from `self` to `later` (0 for the same day).
    pub fn days_until(self, later: Day) -> i64 {
        (later.0 - self.0).num_days()
    }

    /// Its month, as `YYYY-MM`.
    pub fn month(self) -> String {
        format!("{:04}-{:02}", self.0.year(), self.0.month())
    }

    /// The first day of its month.
    pub fn first_of_month(self) -> Self {
        Self(self.0.with_day(1).unwrap_or(self.0))
    }

    /// The first day of the next month.
    pub fn first_of_next_month(self) -> Option<Self> {
        let (year, month) = match self.0.month() {
            12 => (self.0.year() + 1, 1),
            m => (self.0.year(), m + 1),
        };
        NaiveDate::from_ymd_opt(year, month, 1).map(Self)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// How many interactions, and how long they took together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// How many.
    pub count: u64,
    /// Their durations added up, in seconds.
    pub duration_seconds: u64,
}

impl Tally {
    /// `self` and `other` together.
    pub fn plus(self, other: Tally) -> Tally {
        Tally {
            count: self.count + other.count,
            duration_seconds: self.duration_seconds + other.duration_seconds,
        }
    }
}

/// The name of a day's counter of interactions of one type and direction,
/// and of their duration: `call#outbound#count`, `call#outbound#duration`.
pub fn counter_names(kind: InteractionType, direction: Direction) -> (String, String) {
    (
        format!("{kind}#{direction}#count"),
        format!("{kind}#{direction}#duration"),
    )
}

/// The type and direction a counter's name is of, and whether it counts
/// (rather than adds durations).
pub fn counter_of(name: &str) -> Option<(InteractionType, Direction, bool)> {
    let mut parts = name.split('#');
    let kind = parts.next()?.parse().ok()?;
    let direction = parts.next()?.parse().ok()?;
    let counts = match parts.next()? {
        "count" => true,
        "duration" => false,
        _ => return None,
    };
    parts.next().is_none().then_some((kind, direction, counts))
}

/// Counts of interactions by type and direction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statistics {
    /// By type and direction; only those with interactions.
    pub by_type: BTreeMap<(InteractionType, Direction), Tally>,
}

impl Statistics {
    /// Adds one counter's value (`name` as [`counter_names`] gives it); a
    /// name of no counter is left out.
    pub fn add(&mut self, name: &str, value: u64) {
        if let Some((kind, direction, counts)) = counter_of(name) {
            let tally = self.by_type.entry((kind, direction)).or_default();
            if counts {
                tally.count += value;
            } else {
                tally.duration_seconds += value;
            }
        }
    }

    /// Every type and direction together.
    pub fn total(&self) -> Tally {
        self.by_type.values().fold(Tally::default(), |sum, t| sum.plus(*t))
    }
}

/// Whether a range `from` (included) to `to` (excluded) is one: `to` after
/// `from`, at most `max_days` later. The reason when it is not.
pub fn check_span(from: Timestamp, to: Timestamp, max_days: i64) -> Result<(), String> {
    if to <= from {
        return Err("must be after from".to_owned());
    }
    if to.unix_seconds() - from.unix_seconds() > max_days * 86_400 {
        return Err(format!("must be at most {max_days} days after from"));
    }
    Ok(())
}

/// Whether whole days `from` to `to` (both included) are a range of at most
/// [`MAX_STATISTICS_DAYS`]. The reason when they are not.
pub fn check_days(from: Day, to: Day) -> Result<(), String> {
    let span = from.days_until(to);
    if span < 0 {
        return Err("must not be before from".to_owned());
    }
    if span >= MAX_STATISTICS_DAYS {
        return Err(format!("must be less than {MAX_STATISTICS_DAYS} days after from"));
    }
    Ok(())
}

/// What a customer's timeline asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineQuery {
    /// Only of this type.
    pub interaction_type: Option<InteractionType>,
    /// From this instant, included.
    pub from: Option<Timestamp>,
    /// Until this instant, excluded.
    pub to: Option<Timestamp>,
    /// Page size.
    pub limit: usize,
    /// Where the previous page stopped.
    pub cursor: Option<String>,
}

/// What a listing of a business's interactions over a range asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeQuery {
    /// From this instant, included.
    pub from: Timestamp,
    /// Until this instant, excluded.
    pub to: Timestamp,
    /// Only of this type.
    pub interaction_type: Option<InteractionType>,
    /// Page size.
    pub limit: usize,
    /// Where the previous page stopped.
    pub cursor: Option<String>,
}

/// What an interaction search filters on besides its words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilters {
    /// Only of this type.
    pub interaction_type: Option<InteractionType>,
    /// Only with this contact.
    pub contact_id: Option<ContactId>,
    /// From this instant, included.
    pub from: Option<Timestamp>,
    /// Until this instant, excluded.
    pub to: Option<Timestamp>,
}

impl SearchFilters {
    /// Whether `interaction` passes every filter.
    pub fn matches(&self, interaction: &Interaction) -> bool {
        self.interaction_type.is_none_or(|t| t == interaction.interaction_type)
            && self.contact_id.is_none_or(|c| Some(c) == interaction.contact_id)
            && self.from.is_none_or(|from| interaction.occurred_at >= from)
            && self.to.is_none_or(|to| interaction.occurred_at < to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-25T12:00:00Z").unwrap()
    }

    fn read(body: Value) -> Result<InteractionInput, ValidationErrors> {
        InteractionInput::from_json(body.as_object().unwrap(), true, now())
    }

    fn valid() -> Value {
        json!({
            "customer_id": "123e4567-e89b-12d3-a456-426614174000",
            "type": "call", "direction": "outbound", "subject": "Quarterly review",
            "occurred_at": "2026-11-20T10:00:00+02:00", "duration_seconds": 900,
            "body": "Line one\r\nLine two", "outcome": "Agreed a renewal",
        })
    }

    #[test]
    fn a_logged_call_is_read_with_its_time_in_utc() {
        let input = read(valid()).unwrap();
        assert_eq!(input.interaction_type, InteractionType::Call);
        assert_eq!(input.occurred_at.to_string(), "2026-11-20T08:00:00.000000Z");
        assert_eq!(input.body.as_deref(), Some("Line one\nLine two"));
        let made = input.into_interaction(CustomerId::random(), BusinessId::random(), "user:a", now());
        assert_eq!(made.day().to_string(), "2026-11-20");
        assert_eq!(
            made.tally(),
            Tally {
                count: 1,
                duration_seconds: 900
            }
        );
    }

    #[test]
    fn every_offending_field_is_named() {
        let mut body = valid();
        body["type"] = json!("fax");
        body["direction"] = json!("sideways");
        body["subject"] = json!("");
        body["occurred_at"] = json!("2026-11-25T12:06:00Z");
        body["duration_seconds"] = json!(86_401);
        body["contact_id"] = json!("nope");
        body["version"] = json!(3);
        body["colour"] = json!("red");
        let errors = read(body).unwrap_err();
        let mut fields = errors.fields();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "colour",
                "contact_id",
                "direction",
                "duration_seconds",
                "occurred_at",
                "subject",
                "type",
                "version"
            ]
        );
        let mut old = valid();
        old["occurred_at"] = json!("1999-12-31T23:59:59Z");
        assert_eq!(read(old).unwrap_err().fields(), ["occurred_at"]);
        let mut soon = valid();
        soon["occurred_at"] = json!("2026-11-25T12:04:59Z");
        assert!(read(soon).is_ok(), "a few minutes ahead is a clock's skew");
        let mut customerless = valid();
        customerless.as_object_mut().unwrap().remove("customer_id");
        assert_eq!(read(customerless.clone()).unwrap_err().fields(), ["customer_id"]);
        assert!(InteractionInput::from_json(customerless.as_object().unwrap(), false, now()).is_ok());
    }

    #[test]
    fn a_replacement_empties_what_it_leaves_out_and_names_what_changed() {
        let first =
            read(valid())
                .unwrap()
                .into_interaction(CustomerId::random(), BusinessId::random(), "user:a", now());
        let mut body = valid();
        body.as_object_mut().unwrap().remove("body");
        body["type"] = json!("meeting");
        let second = first.replaced(read(body).unwrap(), "user:b", now().plus_seconds(60));
        assert_eq!(second.body, None);
        assert_eq!(second.version, 2);
        assert_eq!(
            (second.created_by.as_str(), second.updated_by.as_str()),
            ("user:a", "user:b")
        );
        assert_eq!(second.changed_fields(&first), ["type", "body"]);
    }

    #[test]
    fn days_and_months_are_utc_calendar_ones() {
        let day = Day::parse("2024-02-29").unwrap();
        assert_eq!(day.month(), "2024-02");
        assert_eq!(day.next().unwrap().to_string(), "2024-03-01");
        assert_eq!(day.first_of_month().to_string(), "2024-02-01");
        assert_eq!(
            Day::parse("2024-12-31")
                .unwrap()
                .first_of_next_month()
                .unwrap()
                .to_string(),
            "2025-01-01"
        );
        assert_eq!(Day::parse("2024-01-01").unwrap().days_until(day), 59);
        for bad in ["2023-02-29", "2024-2-1", "20240201", "2024-02-01T00:00:00Z", ""] {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Day::of(Timestamp::parse("2026-11-20T23:30:00-02:00").unwrap()).to_string(),
            "2026-11-21"
        );
        let midnight = Timestamp::parse("2026-11-21T00:00:00Z").unwrap();
        assert_eq!(Day::last_before(midnight).to_string(), "2026-11-20");
        assert_eq!(Day::last_before(midnight.plus_seconds(1)).to_string(), "2026-11-21");
    }

    #[test]
    fn ranges_are_bounded() {
        let from = now();
        assert!(check_span(from, from.plus_seconds(31 * 86_400), MAX_RANGE_DAYS).is_ok());
        assert!(check_span(from, from.plus_seconds(31 * 86_400 + 1), MAX_RANGE_DAYS).is_err());
        assert!(check_span(from, from, MAX_RANGE_DAYS).is_err());
        let day = Day::parse("2026-01-01").unwrap();
        assert!(check_days(day, Day::parse("2026-12-31").unwrap()).is_ok(), "365 days");
        assert!(check_days(day, Day::parse("2027-01-01").unwrap()).is_ok(), "366 days");
        assert!(check_days(day, Day::parse("2027-01-02").unwrap()).is_err());
        assert!(check_days(day, Day::parse("2025-12-31").unwrap()).is_err());
        assert!(check_days(day, day).is_ok());
    }

    #[test]
    fn statistics_add_up_counters_by_name() {
        let mut stats = Statistics::default();
        let (count, duration) = counter_names(InteractionType::Call, Direction::Inbound);
        stats.add(&count, 2);
        stats.add(&duration, 120);
        stats.add("visit#outbound#count", 1);
        stats.add("pk", 7);
        stats.add("call#inbound#count#x", 7);
        assert_eq!(
            stats.total(),
            Tally {
                count: 3,
                duration_seconds: 120
            }
        );
        assert_eq!(stats.by_type.len(), 2);
    }

    proptest! {
        #[test]
        fn reading_any_body_never_panics(body in proptest::collection::btree_map(
            "[a-z_]{1,16}", prop_oneof![Just(Value::Null), any::<i64>().prop_map(Value::from), "\\PC{0,40}".prop_map(Value::from)], 0..10
        )) {
            let object: Map<String, Value> = body.into_iter().collect();
            let _ = InteractionInput::from_json(&object, true, now());
        }

        #[test]
        fn a_counter_name_reads_back(kind in 0usize..6, direction in 0usize..2) {
            let (kind, direction) = (InteractionType::ALL[kind], Direction::ALL[direction]);
            let (count, duration) = counter_names(kind, direction);
            prop_assert_eq!(counter_of(&count), Some((kind, direction, true)));
            prop_assert_eq!(counter_of(&duration), Some((kind, direction, false)));
        }
    }
}
