//! A clock for tests: starts a second into the current minute and moves one
//! millisecond per reading, so records get distinct, ordered times and a test
//! never straddles a rate-limit window by chance.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DurationRound, TimeDelta, Utc};
use clientele_core::{Clock, Timestamp};

/// See the module documentation.
#[derive(Debug)]
pub struct TestClock {
    start: chrono::DateTime<Utc>,
    ticks: AtomicI64,
}

impl TestClock {
    /// A clock one second into the current minute.
    pub fn new() -> Self {
        let minute = Utc::now()
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or_else(|_| Utc::now());
        Self {
            start: minute + TimeDelta::seconds(1),
            ticks: AtomicI64::new(0),
        }
    }

    /// Moves the clock on.
    pub fn advance(&self, seconds: i64) {
        self.ticks.fetch_add(seconds * 1_000, Ordering::SeqCst);
    }
}

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        let tick = self.ticks.fetch_add(1, Ordering::SeqCst);
        Timestamp::from(self.start + TimeDelta::milliseconds(tick))
    }
}
