//! The time the platform runs on. Bans are dated by it and expire by it, and
//! rate limits count by it, so tests move it forward instead of waiting a day.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time, as a date or in microseconds since the Unix
/// epoch (the one derived from the other).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;

    /// Now, in microseconds since the Unix epoch (0 before it).
    fn now_us(&self) -> u64 {
        u64::try_from(self.now().timestamp_micros()).unwrap_or(0)
    }

    /// Whether this is the real wall clock, so a shared store may use its own
    /// (common) clock instead of this process's.
    fn is_wall_clock(&self) -> bool {
        false
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn now_us(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }

    fn is_wall_clock(&self) -> bool {
        true
    }
}

/// A clock that moves only when told to (tests). Clones share one time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// A clock standing `us` microseconds after the Unix epoch.
    pub fn at(us: u64) -> Self {
        let us = i64::try_from(us).unwrap_or(i64::MAX);
        Self::new(DateTime::from_timestamp_micros(us).unwrap_or(DateTime::<Utc>::MAX_UTC))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }

    /// Moves the clock forward by `us` microseconds.
    pub fn advance_us(&self, us: u64) {
        self.advance(Duration::microseconds(
            i64::try_from(us).unwrap_or(i64::MAX),
        ));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_time_reads_the_same_as_a_date_and_in_microseconds() {
        let clock = ManualClock::at(1_000_000);
        assert_eq!(clock.now_us(), 1_000_000);
        assert_eq!(clock.now().timestamp(), 1);
        clock.advance_us(5);
        assert_eq!(clock.now_us(), 1_000_005);
        clock.clone().advance(Duration::seconds(1));
        assert_eq!(clock.now_us(), 2_000_005);
        assert!(!clock.is_wall_clock());
    }

    #[test]
    fn the_system_clock_agrees_with_itself() {
        let us = SystemClock.now_us();
        let date = SystemClock.now().timestamp_micros();
        assert!(SystemClock.is_wall_clock());
        assert!(date.abs_diff(i64::try_from(us).unwrap_or(0)) < 60_000_000);
    }
}
