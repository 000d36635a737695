//! Timestamps: UTC, microsecond precision, one fixed-width text form. The fixed
//! width makes the text sort in time order, which the table's sort keys rely on.

use std::fmt;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

/// A point in time, as the service records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(DateTime<Utc>);

/// Why a string is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an RFC 3339 date and time")]
pub struct InvalidTimestamp;

impl Timestamp {
    /// Now, from the system clock.
    pub fn now() -> Self {
        Self::from(Utc::now())
    }

    /// Parses any RFC 3339 date-time; the offset is converted to UTC.
    pub fn parse(input: &str) -> Result<Self, InvalidTimestamp> {
        DateTime::parse_from_rfc3339(input)
            .map(|t| Self::from(t.with_timezone(&Utc)))
            .map_err(|_| InvalidTimestamp)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }

    /// This instant plus a number of seconds.
    pub fn plus_seconds(&self, seconds: i64) -> Self {
        Self(self.0 + chrono::Duration::seconds(seconds))
    }

    /// The chrono value inside.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t.trunc_subsecs(6))
    }
}

impl fmt::Display for Timestamp {
    /// `2026-11-25T09:30:00.123456Z`: always 27 characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

impl TryFrom<String> for Timestamp {
    type Error = InvalidTimestamp;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> Self {
        t.to_string()
    }
}

/// Where "now" comes from. The system clock in functions; a fixed one in tests
/// that must not depend on when they run (rate-limit windows, for one).
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn prints_a_fixed_width_utc_form() {
        let t = Timestamp::parse("2026-11-25T10:30:00+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-25T08:30:00.000000Z");
    }

    #[test]
    fn refuses_what_is_not_rfc_3339() {
        for input in ["", "2026-11-25", "yesterday", "2026-13-01T00:00:00Z"] {
            assert_eq!(Timestamp::parse(input), Err(InvalidTimestamp), "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn text_order_is_time_order(a in 0i64..4_102_444_800_000_000, b in 0i64..4_102_444_800_000_000) {
            let ta = Timestamp::from(DateTime::from_timestamp_micros(a).unwrap());
            let tb = Timestamp::from(DateTime::from_timestamp_micros(b).unwrap());
            prop_assert_eq!(ta.to_string().len(), 27);
            prop_assert_eq!(ta.cmp(&tb), ta.to_string().cmp(&tb.to_string()));
            prop_assert_eq!(Timestamp::parse(&ta.to_string()), Ok(ta));
        }
    }
}
