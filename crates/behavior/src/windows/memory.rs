//! The in-process store: windows and cooldowns in sharded maps, pruned by
//! event time and bounded in size.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{AggregateKind, RECENT_MEMBERS, WindowReading, WindowStore};
use crate::error::BehaviorError;
use crate::window::MAX_WINDOW_MEMBERS;

/// Shards of a full-size store.
const SHARDS: usize = 32;
/// Keys a shard holds before expired ones are dropped.
const PRUNE_AT: usize = 1024;
/// Keys held at most by default (windows and cooldowns counted apart).
const DEFAULT_MAX_KEYS: usize = 1_000_000;
/// When the magnitude of the values a window holds falls this far below its
/// peak since the running sum was last exact, the sum is recomputed: adding a
/// small value to a huge one rounds the small one away, and once the huge one
/// leaves the window the running sum would be missing it for good.
const RESUM_RATIO: f64 = 1024.0;

/// One group's window: members ordered by time, and by name for re-adds.
struct Window {
    window_ms: i64,
    newest: i64,
    seq: u64,
    /// Sum of every held value, so an in-order add needs no scan.
    total: f64,
    /// Sum of the magnitudes of the held values.
    magnitude: f64,
    /// Largest `magnitude` since `total` was last summed exactly: it bounds
    /// the rounding error `total` may carry (see [`RESUM_RATIO`]).
    peak: f64,
    by_time: BTreeMap<(i64, u64), (Arc<str>, f64)>,
    by_member: HashMap<Arc<str>, (i64, u64)>,
}

impl Window {
    fn new(window_ms: i64) -> Self {
        Self {
            window_ms,
            newest: i64::MIN,
            seq: 0,
            total: 0.0,
            magnitude: 0.0,
            peak: 0.0,
            by_time: BTreeMap::new(),
            by_member: HashMap::new(),
        }
    }

    fn add(
        &mut self,
        at: i64,
        window_ms: i64,
        kind: AggregateKind,
        member: &str,
        value: f64,
    ) -> WindowReading {
        self.window_ms = window_ms;
        self.newest = self.newest.max(at);
        let mut removed = false;
        match self.by_member.get(member).copied() {
            Some((ts, _)) if ts >= at => {}
            old => {
                self.seq += 1;
                let slot = (at, self.seq);
                let name: Arc<str> = match old.and_then(|slot| self.by_time.remove(&slot)) {
                    Some((name, old_value)) => {
                        self.forget(old_value);
                        removed = true;
                        name
                    }
                    None => member.into(),
                };
                self.by_member.insert(name.clone(), slot);
                self.by_time.insert(slot, (name, value));
                self.total += value;
                self.magnitude += value.abs();
                self.peak = self.peak.max(self.magnitude);
            }
        }
        // Drop what is older than this window, then the oldest beyond the cap.
        let lo = at.saturating_sub(window_ms);
        let keep = self.by_time.split_off(&(lo.saturating_add(1), 0));
        for (_, (name, v)) in std::mem::replace(&mut self.by_time, keep) {
            self.by_member.remove(&name);
            self.forget(v);
            removed = true;
        }
        while self.by_time.len() > MAX_WINDOW_MEMBERS {
            if let Some((_, (name, v))) = self.by_time.pop_first() {
                self.by_member.remove(&name);
                self.forget(v);
                removed = true;
            }
        }
        if self.by_time.is_empty() {
            self.total = 0.0;
            self.magnitude = 0.0;
            self.peak = 0.0;
        } else if removed
            && !(self.magnitude.is_finite() && self.peak <= RESUM_RATIO * self.magnitude)
        {
            self.resum();
        }
        let range = self
            .by_time
            .range((lo.saturating_add(1), 0)..=(at, u64::MAX));
        // In order (nothing newer than `at` held), the whole map is the window.
        let in_order = self.newest == at;
        let value = match kind {
            AggregateKind::Sum if in_order => self.total,
            AggregateKind::Sum => range.clone().map(|(_, (_, v))| v).sum(),
            AggregateKind::Count | AggregateKind::DistinctCount if in_order => {
                self.by_time.len() as f64
            }
            AggregateKind::Count | AggregateKind::DistinctCount => range.clone().count() as f64,
        };
        let recent = range
            .rev()
            .take(RECENT_MEMBERS)
            .map(|(_, (name, _))| name.to_string())
            .collect();
        WindowReading { value, recent }
    }

    /// Takes a value that left the window out of the running sums.
    fn forget(&mut self, value: f64) {
        self.total -= value;
        self.magnitude -= value.abs();
    }

    /// Sums the held values again, exactly as a scan would.
    fn resum(&mut self) {
        self.total = self.by_time.values().map(|(_, v)| v).sum();
        self.magnitude = self.by_time.values().map(|(_, v)| v.abs()).sum();
        self.peak = self.magnitude;
    }

    fn expired(&self, at: i64) -> bool {
        self.newest <= at.saturating_sub(self.window_ms)
    }
}

struct Shard {
    windows: HashMap<String, Window>,
    /// Key → event time the cooldown ends.
    cooldowns: HashMap<String, i64>,
    windows_prune_at: usize,
    cooldowns_prune_at: usize,
}

/// Window and cooldown state in this process. Right for one replica, tests
/// and backtests; several replicas need [`super::RedisWindows`].
///
/// Memory is bounded: when a shard grows past a threshold, windows whose
/// newest event is older than their length (relative to the event time being
/// added) and cooldowns that have ended are dropped; if the store is still
/// over its key limit, the least recently active keys are evicted.
pub struct MemoryWindows {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    max_keys_per_shard: usize,
}

impl Default for MemoryWindows {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryWindows {
    /// An empty store holding up to a million windows and a million cooldowns.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_MAX_KEYS)
    }

    /// An empty store holding up to about `max_keys` windows and as many
    /// cooldowns.
    pub fn with_capacity(max_keys: usize) -> Self {
        let shards = (max_keys / PRUNE_AT).clamp(1, SHARDS);
        let max_keys_per_shard = (max_keys / shards).max(1);
        let prune_at = PRUNE_AT.min(max_keys_per_shard);
        Self {
            shards: (0..shards)
                .map(|_| {
                    Mutex::new(Shard {
                        windows: HashMap::new(),
                        cooldowns: HashMap::new(),
                        windows_prune_at: prune_at,
                        cooldowns_prune_at: prune_at,
                    })
                })
                .collect(),
            hasher: RandomState::new(),
            max_keys_per_shard,
        }
    }

    /// How many windows and cooldowns are held.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = lock(s);
                s.windows.len() + s.cooldowns.len()
            })
            .sum()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, key: &str) -> MutexGuard<'_, Shard> {
        let i = (self.hasher.hash_one(key) as usize) % self.shards.len();
        lock(&self.shards[i])
    }

    fn next_prune_at(&self, len: usize) -> usize {
        let floor = PRUNE_AT.min(self.max_keys_per_shard);
        len.saturating_mul(2)
            .max(floor)
            .min(self.max_keys_per_shard)
    }

    fn prune_windows(&self, shard: &mut Shard, at: i64) {
        shard.windows.retain(|_, w| !w.expired(at));
        let max = self.max_keys_per_shard;
        if shard.windows.len() >= max {
            let mut ages: Vec<i64> = shard.windows.values().map(|w| w.newest).collect();
            let drop = shard.windows.len() - max * 3 / 4;
            ages.select_nth_unstable(drop.saturating_sub(1));
            let cut = ages[drop.saturating_sub(1)];
            let mut left = drop;
            shard.windows.retain(|_, w| {
                if left > 0 && w.newest <= cut {
                    left -= 1;
                    false
                } else {
                    true
                }
            });
        }
        shard.windows_prune_at = self.next_prune_at(shard.windows.len());
    }

    fn prune_cooldowns(&self, shard: &mut Shard, at: i64) {
        shard.cooldowns.retain(|_, until| *until > at);
        let max = self.max_keys_per_shard;
        if shard.cooldowns.len() >= max {
            let mut ends: Vec<i64> = shard.cooldowns.values().copied().collect();
            let drop = shard.cooldowns.len() - max * 3 / 4;
            ends.select_nth_unstable(drop.saturating_sub(1));
            let cut = ends[drop.saturating_sub(1)];
            let mut left = drop;
            shard.cooldowns.retain(|_, until| {
                if left > 0 && *until <= cut {
                    left -= 1;
                    false
                } else {
                    true
                }
            });
        }
        shard.cooldowns_prune_at = self.next_prune_at(shard.cooldowns.len());
    }
}

/// A poisoned shard only means another thread panicked mid-update; the state
/// in it is still usable.
fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl WindowStore for MemoryWindows {
    async fn add(
        &self,
        key: &str,
        at_ms: i64,
        window_ms: i64,
        aggregate: AggregateKind,
        member: &str,
        value: f64,
    ) -> Result<WindowReading, BehaviorError> {
        let mut shard = self.shard(key);
        if !shard.windows.contains_key(key) && shard.windows.len() >= shard.windows_prune_at {
            self.prune_windows(&mut shard, at_ms);
        }
        let window = shard
            .windows
            .entry(key.to_owned())
            .or_insert_with(|| Window::new(window_ms));
        Ok(window.add(at_ms, window_ms, aggregate, member, value))
    }

    async fn try_start_cooldown(
        &self,
        key: &str,
        at_ms: i64,
        cooldown_ms: i64,
    ) -> Result<bool, BehaviorError> {
        let mut shard = self.shard(key);
        if let Some(until) = shard.cooldowns.get_mut(key) {
            if *until > at_ms {
                return Ok(false);
            }
            *until = at_ms.saturating_add(cooldown_ms);
            return Ok(true);
        }
        if shard.cooldowns.len() >= shard.cooldowns_prune_at {
            self.prune_cooldowns(&mut shard, at_ms);
        }
        shard
            .cooldowns
            .insert(key.to_owned(), at_ms.saturating_add(cooldown_ms));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::conformance;

    #[tokio::test]
    async fn conforms() {
        conformance::all(&MemoryWindows::new()).await;
    }

    #[tokio::test]
    async fn drops_expired_keys_by_event_time() {
        let store = MemoryWindows::with_capacity(100);
        for i in 0..100 {
            store
                .add(
                    &format!("old{i}"),
                    1_000,
                    1_000,
                    AggregateKind::Count,
                    "e",
                    1.0,
                )
                .await
                .unwrap();
            store
                .try_start_cooldown(&format!("old{i}"), 1_000, 1_000)
                .await
                .unwrap();
        }
        assert_eq!(store.len(), 200);
        // Far later in event time, the old windows and cooldowns have ended.
        for i in 0..10 {
            store
                .add(
                    &format!("new{i}"),
                    100_000,
                    1_000,
                    AggregateKind::Count,
                    "e",
                    1.0,
                )
                .await
                .unwrap();
            store
                .try_start_cooldown(&format!("new{i}"), 100_000, 1_000)
                .await
                .unwrap();
        }
        assert_eq!(store.len(), 20);
    }

    #[tokio::test]
    async fn evicts_the_least_recent_beyond_capacity() {
        let store = MemoryWindows::with_capacity(100);
        // Long windows that never expire, each newer than the last.
        for i in 0..1_000 {
            let r = store
                .add(
                    &format!("k{i}"),
                    i,
                    1_000_000,
                    AggregateKind::Count,
                    "e",
                    1.0,
                )
                .await
                .unwrap();
            assert_eq!(r.value, 1.0);
        }
        assert!(store.len() <= 100, "{}", store.len());
        // The newest key survived with its state.
        let r = store
            .add("k999", 1_000, 1_000_000, AggregateKind::Count, "f", 1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 2.0);
        // An old one was evicted and starts over.
        let r = store
            .add("k0", 1_000, 1_000_000, AggregateKind::Count, "f", 1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 1.0);
        assert!(!store.is_empty());
    }

    /// Found by `fuzz/fuzz_targets/behavior_windows.rs`: a huge value held by
    /// the window absorbed the small ones added after it into the running sum,
    /// so once it expired the sum read 0 instead of 404 (and stayed short for
    /// as long as the window never emptied).
    #[test]
    fn regression_sum_after_a_huge_value_expires() {
        let mut w = Window::new(3000);
        for (at, member, value) in [
            (-2_793_072_546_238_906, "m8", 402.0),
            (-2_793_072_546_237_780, "m11", 990_245_917.0),
            (-2_659_079_168_643_835, "m9", -7.521_479_718_935_391e18),
            (-4_042_596_957_625_839, "m1", -6.106_000_551_250_279e-31),
            (-4_042_596_957_623_997, "m4", -2.0),
        ] {
            w.add(at, 3000, AggregateKind::Sum, member, value);
        }
        let r = w.add(2_504_142_043_095_417, 3000, AggregateKind::Sum, "m7", 404.0);
        assert_eq!(r.value, 404.0);

        // The same in order: an amount of -1e20 hides later small amounts.
        let mut w = Window::new(10_000);
        w.add(0, 10_000, AggregateKind::Sum, "huge", -1e20);
        for i in 1..=5 {
            w.add(
                i * 1000,
                10_000,
                AggregateKind::Sum,
                &format!("e{i}"),
                5000.0,
            );
        }
        let r = w.add(10_500, 10_000, AggregateKind::Sum, "last", 5000.0);
        assert_eq!(r.value, 30_000.0, "the huge amount has left the window");
        let r = w.add(11_000, 10_000, AggregateKind::Sum, "more", 1.0);
        assert_eq!(r.value, 25_001.0, "e1 (at 1 s) has left too");
    }

    #[tokio::test]
    async fn caps_members_per_window() {
        let mut w = Window::new(i64::MAX / 4);
        for i in 0..(MAX_WINDOW_MEMBERS + 10) {
            w.add(
                i as i64,
                i64::MAX / 4,
                AggregateKind::Count,
                &i.to_string(),
                1.0,
            );
        }
        assert_eq!(w.by_time.len(), MAX_WINDOW_MEMBERS);
        assert_eq!(w.by_member.len(), MAX_WINDOW_MEMBERS);
        assert!(!w.by_member.contains_key("0"));
    }
}
