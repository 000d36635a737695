//! Rate limits written as `5/minute` (`CUSTOMER_PATCH_RATE`), and the
//! fixed windows they are counted in.

use std::fmt;
use std::str::FromStr;

use crate::time::Timestamp;

/// At most `limit` actions per `period_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Actions allowed per period.
    pub limit: u32,
    /// The period's length.
    pub period_seconds: u32,
}

/// Why a string is not a rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a rate: write it as <count>/<second|minute|hour|day>, for example 5/minute")]
pub struct InvalidRate(String);

impl FromStr for Rate {
    type Err = InvalidRate;

    /// Accepts `5/minute`, `5 per minute`, `10/seconds`, `100/hour`, `1000/day`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidRate(s.to_owned());
        let text = s.trim().to_ascii_lowercase();
        let (count, unit) = text
            .split_once('/')
            .or_else(|| text.split_once(" per "))
            .ok_or_else(invalid)?;
        let limit: u32 = count.trim().parse().map_err(|_| invalid())?;
        let period_seconds = match unit.trim().trim_end_matches('s') {
            "second" => 1,
            "minute" => 60,
            "hour" => 3_600,
            "day" => 86_400,
            _ => return Err(invalid()),
        };
        if limit == 0 {
            return Err(invalid());
        }
        Ok(Self { limit, period_seconds })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period_seconds {
            1 => "second",
            60 => "minute",
            3_600 => "hour",
            86_400 => "day",
            other => return write!(f, "{}/{other}s", self.limit),
        };
        write!(f, "{}/{unit}", self.limit)
    }
}

/// The fixed window an action at some instant is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    /// Actions allowed in the window.
    pub limit: u32,
    /// Start of the window, in Unix seconds.
    pub starts_at: i64,
    /// End of the window (exclusive), in Unix seconds.
    pub ends_at: i64,
}

impl Rate {
    /// A customer's update rate when `CUSTOMER_PATCH_RATE` is not set: five
    /// a minute, shared by `PATCH`, avatar uploads and update requests.
    pub const DEFAULT_UPDATE_RATE: Rate = Rate {
        limit: 5,
        period_seconds: 60,
    };

    /// The window that contains `now`.
    pub fn window(&self, now: Timestamp) -> RateWindow {
        let period = i64::from(self.period_seconds);
        let starts_at = now.unix_seconds().div_euclid(period) * period;
        RateWindow {
            limit: self.limit,
            starts_at,
            ends_at: starts_at + period,
        }
    }
}

impl RateWindow {
    /// Whole seconds from `now` until the window ends: what `Retry-After` says. At least 1.
    pub fn retry_after(&self, now: Timestamp) -> u64 {
        u64::try_from(self.ends_at - now.unix_seconds()).unwrap_or(0).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_default_and_its_variants() {
        let five_a_minute = Rate {
            limit: 5,
            period_seconds: 60,
        };
        assert_eq!("5/minute".parse(), Ok(five_a_minute));
        assert_eq!(" 5 per Minutes ".parse(), Ok(five_a_minute));
        assert_eq!("10/second".parse::<Rate>().map(|r| r.period_seconds), Ok(1));
        assert_eq!("100/hour".parse::<Rate>().map(|r| r.period_seconds), Ok(3_600));
        assert_eq!("1000/day".parse::<Rate>().map(|r| r.period_seconds), Ok(86_400));
        assert_eq!(five_a_minute.to_string(), "5/minute");
    }

    #[test]
    fn refuses_what_is_not_a_rate() {
        for input in ["", "5", "five/minute", "5/fortnight", "0/minute", "-1/minute", "5/"] {
            assert!(input.parse::<Rate>().is_err(), "{input:?}");
        }
    }

    #[test]
    fn windows_are_aligned_and_retry_after_counts_down() {
        let rate: Rate = "5/minute".parse().unwrap();
        let now = Timestamp::parse("2026-11-25T10:00:45Z").unwrap();
        let window = rate.window(now);
        assert_eq!(window.starts_at % 60, 0);
        assert_eq!(window.ends_at - window.starts_at, 60);
        assert_eq!(window.retry_after(now), 15);
    }

    proptest! {
        #[test]
        fn every_instant_is_inside_its_window(secs in 0i64..4_000_000_000, period in 1u32..100_000) {
            let rate = Rate { limit: 1, period_seconds: period };
            let now = Timestamp::parse("1970-01-01T00:00:00Z").unwrap().plus_seconds(secs);
            let w = rate.window(now);
            prop_assert!(w.starts_at <= secs && secs < w.ends_at);
            prop_assert!(w.retry_after(now) >= 1 && w.retry_after(now) <= u64::from(period));
        }
    }
}
