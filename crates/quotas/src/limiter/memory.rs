//! The in-process store: theoretical arrival times (with the interval each
//! was counted in) in sharded maps. A tenant's
//! keys all live in one shard, so a multi-key check takes one lock.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use super::{Limit, LimitKey};
use crate::gcra::{self, Cell, Decision};

const SHARDS: usize = 64;
/// Entries a shard holds before idle ones (window already full again) are dropped.
const PRUNE_AT: usize = 4096;

struct Shard {
    tats: HashMap<LimitKey, Vec<Cell>>,
    /// Size at which idle entries are dropped next; doubles with the live set so
    /// a shard full of active keys is not rescanned on every check.
    prune_at: usize,
}

/// In-process limiter state.
pub struct MemoryStore {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        tats: HashMap::new(),
                        prune_at: PRUNE_AT,
                    })
                })
                .collect(),
            hasher: RandomState::new(),
        }
    }

    /// Checks `limits` (one tenant's) at `now_us`, charging only on admission.
    pub fn check(&self, limits: &[Limit], now_us: u64) -> Vec<Decision> {
        let Some(first) = limits.first() else {
            return Vec::new();
        };
        let shard = (self.hasher.hash_one(first.key.tenant()) as usize) % SHARDS;
        // A poisoned shard only means another thread panicked mid-check; the
        // numbers in it are still valid arrival times.
        let mut guard = self.shards[shard]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Shard {
            tats: map,
            prune_at,
        } = &mut *guard;
        if map.len() > *prune_at {
            map.retain(|_, cells| cells.iter().any(|c| c.tat_us > now_us));
            *prune_at = (map.len() * 2).max(PRUNE_AT);
        }
        if let [only] = limits {
            // The common case (no per-user limit): check in place, no copies.
            let tats = map
                .entry(only.key)
                .or_insert_with(|| vec![Cell::default(); only.windows.len()]);
            if tats.len() != only.windows.len() {
                *tats = vec![Cell::default(); only.windows.len()];
            }
            return vec![gcra::check(&only.windows, tats, now_us)];
        }
        let mut states: Vec<Vec<Cell>> = limits
            .iter()
            .map(|l| {
                map.get(&l.key)
                    .filter(|t| t.len() == l.windows.len())
                    .cloned()
                    .unwrap_or_else(|| vec![Cell::default(); l.windows.len()])
            })
            .collect();
        // Check every limit on a scratch copy; commit only if all admit.
        let windows: Vec<_> = limits
            .iter()
            .flat_map(|l| l.windows.iter().cloned())
            .collect();
        let mut flat: Vec<Cell> = states.iter().flatten().copied().collect();
        let all = gcra::check(&windows, &mut flat, now_us);
        let mut decisions = Vec::with_capacity(limits.len());
        let mut offset = 0;
        for (limit, state) in limits.iter().zip(states.iter_mut()) {
            let n = limit.windows.len();
            let part = &all.windows[offset..offset + n];
            let tripped = all
                .tripped
                .filter(|name| part.iter().any(|w| w.name == *name));
            decisions.push(Decision {
                allowed: all.allowed,
                windows: part.to_vec(),
                tripped,
                retry_after_secs: if tripped.is_some() {
                    all.retry_after_secs
                } else {
                    0
                },
            });
            if all.allowed {
                state.copy_from_slice(&flat[offset..offset + n]);
            }
            offset += n;
        }
        if all.allowed {
            for (limit, state) in limits.iter().zip(states) {
                map.insert(limit.key, state);
            }
        }
        decisions
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::gcra::Window;

    const S: u64 = 1_000_000;

    #[test]
    fn tenants_do_not_share_budgets_and_users_are_checked_with_their_tenant() {
        let store = MemoryStore::new();
        let (a, b, u) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let tenant = |t| Limit {
            key: LimitKey::Tenant(t),
            windows: vec![Window::new("minute", 5, 60)],
        };
        let user = Limit {
            key: LimitKey::User { tenant: a, user: u },
            windows: vec![Window::new("user-minute", 2, 60)],
        };
        let now = 100 * S;
        assert!(store.check(&[tenant(a), user.clone()], now)[0].allowed);
        assert!(store.check(&[tenant(a), user.clone()], now)[0].allowed);
        let d = store.check(&[tenant(a), user.clone()], now);
        assert!(!d[0].allowed);
        assert_eq!(d[1].tripped, Some("user-minute"));
        assert_eq!(d[0].tripped, None);
        // The refused request did not charge the tenant: three more fit.
        for _ in 0..3 {
            assert!(store.check(&[tenant(a)], now)[0].allowed);
        }
        assert!(!store.check(&[tenant(a)], now)[0].allowed);
        // Tenant B is untouched by all of that.
        let d = store.check(&[tenant(b)], now);
        assert!(d[0].allowed);
        assert_eq!(d[0].windows[0].remaining, 4);
    }
}
