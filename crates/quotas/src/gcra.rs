//! The generic cell rate algorithm over several windows checked together.
//!
//! Each window allows `limit` requests per `period`, spread as one "cell" every
//! `period / limit`, with a burst of up to `limit`. A request is admitted only
//! when every window admits it, and only then does any window's state move: a
//! rejected request costs nothing, in no window.
//!
//! The Redis backend runs the same arithmetic in a Lua script
//! (`limiter/redis.rs`); both are tested against the same cases.

/// One window of a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Name used in headers and errors: `minute`, `hour`, `day`, `user-minute`.
    pub name: &'static str,
    /// Requests allowed per period.
    pub limit: u64,
    /// Period length in microseconds.
    pub period_us: u64,
}

impl Window {
    /// A window of `limit` requests per `seconds`.
    pub fn new(name: &'static str, limit: u64, seconds: u64) -> Self {
        Self {
            name,
            limit: limit.max(1),
            period_us: seconds.saturating_mul(1_000_000),
        }
    }

    /// Microseconds between two cells.
    pub fn interval_us(&self) -> u64 {
        (self.period_us / self.limit).max(1)
    }

    /// Period in whole seconds.
    pub fn seconds(&self) -> u64 {
        self.period_us / 1_000_000
    }

    /// Burst capacity in microseconds: exactly `limit` cells. (Using the period
    /// itself would let a limit that does not divide it evenly burst past it.)
    pub fn capacity_us(&self) -> u64 {
        self.interval_us().saturating_mul(self.limit)
    }
}

/// What one window says after a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowState {
    /// The window's name.
    pub name: &'static str,
    /// Its limit.
    pub limit: u64,
    /// Its period in seconds.
    pub period_secs: u64,
    /// Requests that would still be admitted right now.
    pub remaining: u64,
    /// Seconds until the window is full again (all `limit` available).
    pub reset_secs: u64,
}

/// The outcome of checking a request against some windows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is admitted.
    pub allowed: bool,
    /// State of every window, in the order given.
    pub windows: Vec<WindowState>,
    /// For a rejection: the window that tripped (the one that frees up last).
    pub tripped: Option<&'static str>,
    /// For a rejection: seconds until the request would be admitted (at least 1).
    pub retry_after_secs: u64,
}

fn ceil_secs(us: u64) -> u64 {
    us.div_ceil(1_000_000)
}

/// One window's state: its theoretical arrival time and the cell interval that
/// time was counted in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// Theoretical arrival time in microseconds (0 = never used).
    pub tat_us: u64,
    /// The interval `tat_us` was advanced by (0 = unknown: taken as the window's).
    pub interval_us: u64,
}

/// The arrival time `tat_us`, counted in cells of `old_interval_us`, restated in
/// cells of `new_interval_us` at `now_us`: the same number of requests stays
/// used when a window's limit changes, so raising a limit adds exactly the
/// difference to what remains.
pub fn rescale(tat_us: u64, old_interval_us: u64, new_interval_us: u64, now_us: u64) -> u64 {
    if old_interval_us == 0 || old_interval_us == new_interval_us || tat_us <= now_us {
        return tat_us;
    }
    let used =
        u128::from(tat_us - now_us) * u128::from(new_interval_us) / u128::from(old_interval_us);
    now_us.saturating_add(u64::try_from(used).unwrap_or(u64::MAX))
}

/// Checks one request at `now_us` against `windows` whose states are `cells`.
/// A cell counted in another interval (the window's limit changed) is first
/// restated in the window's. On admission the cells are advanced; on rejection
/// they are left as they were.
pub fn check(windows: &[Window], cells: &mut [Cell], now_us: u64) -> Decision {
    debug_assert_eq!(windows.len(), cells.len());
    let mut next = Vec::with_capacity(windows.len());
    let mut allowed = true;
    let mut tripped: Option<(&'static str, u64)> = None;
    for (w, cell) in windows.iter().zip(cells.iter()) {
        let tat = rescale(cell.tat_us, cell.interval_us, w.interval_us(), now_us);
        let base = tat.max(now_us);
        let new_tat = base + w.interval_us();
        if new_tat - now_us > w.capacity_us() {
            allowed = false;
            let wait = new_tat - w.capacity_us() - now_us;
            if tripped.is_none_or(|(_, longest)| wait > longest) {
                tripped = Some((w.name, wait));
            }
        }
        next.push((base, new_tat));
    }
    let states = windows
        .iter()
        .zip(next.iter())
        .map(|(w, &(base, new_tat))| {
            // After an admission the new state counts; after a rejection the old one.
            let tat = if allowed { new_tat } else { base };
            let used = tat - now_us;
            WindowState {
                name: w.name,
                limit: w.limit,
                period_secs: w.seconds(),
                remaining: w.capacity_us().saturating_sub(used) / w.interval_us(),
                reset_secs: ceil_secs(used),
            }
        })
        .collect();
    if allowed {
        for ((cell, w), &(_, new_tat)) in cells.iter_mut().zip(windows).zip(next.iter()) {
            *cell = Cell {
                tat_us: new_tat,
                interval_us: w.interval_us(),
            };
        }
    }
    Decision {
        allowed,
        windows: states,
        tripped: tripped.map(|(name, _)| name),
        retry_after_secs: tripped.map_or(0, |(_, wait)| ceil_secs(wait).max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    fn minute_hour() -> Vec<Window> {
        vec![Window::new("minute", 3, 60), Window::new("hour", 5, 3600)]
    }

    #[test]
    fn a_full_burst_is_admitted_then_refused_until_a_cell_frees() {
        let w = vec![Window::new("minute", 60, 60)];
        let mut tats = vec![Cell::default()];
        let t0 = 1_000 * S;
        for i in 0..60 {
            let d = check(&w, &mut tats, t0);
            assert!(d.allowed, "request {i}");
            assert_eq!(d.windows[0].remaining, 59 - i);
        }
        let d = check(&w, &mut tats, t0);
        assert!(!d.allowed);
        assert_eq!(d.tripped, Some("minute"));
        assert_eq!(d.retry_after_secs, 1);
        // Just before the first cell frees: still refused; at it: admitted.
        assert!(!check(&w, &mut tats, t0 + S - 1).allowed);
        assert!(check(&w, &mut tats, t0 + S).allowed);
        // A whole period later the window is full again.
        let d = check(&w, &mut tats, t0 + 61 * S);
        assert!(d.allowed);
        assert_eq!(d.windows[0].remaining, 59);
    }

    #[test]
    fn rejection_consumes_nothing_in_any_window() {
        let w = minute_hour();
        let mut tats = vec![Cell::default(); 2];
        let t0 = 10 * S;
        for _ in 0..3 {
            assert!(check(&w, &mut tats, t0).allowed);
        }
        let before = tats.clone();
        let d = check(&w, &mut tats, t0);
        assert!(!d.allowed);
        assert_eq!(d.tripped, Some("minute"));
        assert_eq!(tats, before, "a refused request moved a window");
        assert_eq!(
            d.windows[1].remaining, 2,
            "hour budget was charged for a refused request"
        );
    }

    #[test]
    fn the_longest_wait_names_the_window() {
        let w = minute_hour();
        let mut tats = vec![Cell::default(); 2];
        let mut t = 10 * S;
        // Five requests spaced a minute apart exhaust the hour but never the minute.
        for _ in 0..5 {
            assert!(check(&w, &mut tats, t).allowed);
            t += 60 * S;
        }
        let d = check(&w, &mut tats, t);
        assert!(!d.allowed);
        assert_eq!(d.tripped, Some("hour"));
        assert!(d.retry_after_secs > 60, "{d:?}");
        assert_eq!(d.windows[0].remaining, 3);
    }

    #[test]
    fn a_limit_that_does_not_divide_the_period_still_bursts_exactly_the_limit() {
        let w = vec![Window::new("minute", 999_999, 60)];
        let mut tats = vec![Cell::default()];
        let d = check(&w, &mut tats, 7 * S);
        assert_eq!(d.windows[0].remaining, 999_998);
        let w = vec![Window::new("minute", 7, 60)];
        let mut tats = vec![Cell::default()];
        let admitted = (0..20)
            .filter(|_| check(&w, &mut tats, 7 * S).allowed)
            .count();
        assert_eq!(admitted, 7);
    }

    #[test]
    fn reset_counts_seconds_until_the_window_is_full() {
        let w = vec![Window::new("minute", 60, 60)];
        let mut tats = vec![Cell::default()];
        let d = check(&w, &mut tats, 5 * S);
        assert_eq!(d.windows[0].reset_secs, 1);
        for _ in 0..29 {
            check(&w, &mut tats, 5 * S);
        }
        let d = check(&w, &mut tats, 5 * S);
        assert_eq!(d.windows[0].reset_secs, 31);
        assert_eq!(d.windows[0].remaining, 29);
    }

    #[test]
    fn a_raised_limit_keeps_what_was_used_and_adds_the_difference() {
        let t0 = 1_000 * S;
        let mut cells = vec![Cell::default()];
        let day = vec![Window::new("day", 1_000, 86_400)];
        for _ in 0..280 {
            assert!(check(&day, &mut cells, t0).allowed);
        }
        let raised = vec![Window::new("day", 10_000, 86_400)];
        let d = check(&raised, &mut cells, t0);
        assert!(d.allowed);
        assert_eq!(d.windows[0].remaining, 10_000 - 281);
        // Lowered below what was used: refused until enough cells free.
        let lowered = vec![Window::new("day", 100, 86_400)];
        let d = check(&lowered, &mut cells, t0);
        assert!(!d.allowed);
        assert_eq!(d.windows[0].remaining, 0);
    }

    #[test]
    fn rescale_leaves_an_idle_or_unchanged_window_alone() {
        assert_eq!(rescale(5, 10, 20, 100), 5);
        assert_eq!(rescale(500, 10, 10, 100), 500);
        assert_eq!(rescale(500, 0, 10, 100), 500);
        assert_eq!(rescale(500, 10, 20, 100), 900);
    }
}
