//! The rate limiter: checks a request against its tenant's windows (and the
//! user's, when the tenant has a per-user limit) in one atomic step, in process
//! or in Redis so that several replicas share one budget.

mod memory;
mod redis;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use memory::MemoryStore;
pub use redis::RedisStore;
use uuid::Uuid;
use warden_tenancy::clock::Clock;

use crate::QuotaError;
use crate::gcra::{Decision, Window};

/// Whose budget a check draws on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitKey {
    /// The whole tenant.
    Tenant(Uuid),
    /// One user inside a tenant.
    User {
        /// Tenant.
        tenant: Uuid,
        /// User.
        user: Uuid,
    },
    /// One kind of action of one user inside a tenant (e.g. `reports`), with
    /// a budget of its own beside the user's requests.
    UserAction {
        /// Tenant.
        tenant: Uuid,
        /// User.
        user: Uuid,
        /// The action's name.
        action: &'static str,
    },
}

impl LimitKey {
    /// The tenant the key belongs to.
    pub fn tenant(&self) -> Uuid {
        match self {
            Self::Tenant(t) | Self::User { tenant: t, .. } | Self::UserAction { tenant: t, .. } => {
                *t
            }
        }
    }
}

/// One key and its windows.
#[derive(Clone, Debug)]
pub struct Limit {
    /// Whose budget.
    pub key: LimitKey,
    /// Its windows.
    pub windows: Vec<Window>,
}

/// What to do when Redis cannot be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailMode {
    /// Admit by the in-process limiter alone, so each node still protects itself.
    Open,
    /// Refuse every request until Redis answers again.
    Closed,
}

impl std::str::FromStr for FailMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            other => Err(format!("{other:?}: use open or closed")),
        }
    }
}

/// Counters of the limiter's own health.
#[derive(Debug, Default)]
pub struct LimiterStats {
    /// Checks that could not reach Redis.
    pub redis_errors: AtomicU64,
}

/// The rate limiter.
pub struct RateLimiter {
    local: MemoryStore,
    shared: Option<RedisStore>,
    fail_mode: FailMode,
    clock: Arc<dyn Clock>,
    stats: LimiterStats,
}

impl RateLimiter {
    /// An in-process limiter.
    pub fn in_process(clock: Arc<dyn Clock>) -> Self {
        Self {
            local: MemoryStore::new(),
            shared: None,
            fail_mode: FailMode::Open,
            clock,
            stats: LimiterStats::default(),
        }
    }

    /// A limiter sharing its budgets through Redis, falling back as `fail_mode` says.
    pub fn with_redis(store: RedisStore, fail_mode: FailMode, clock: Arc<dyn Clock>) -> Self {
        Self {
            shared: Some(store),
            fail_mode,
            ..Self::in_process(clock)
        }
    }

    /// `memory` or `redis`.
    pub fn backend(&self) -> &'static str {
        if self.shared.is_some() {
            "redis"
        } else {
            "memory"
        }
    }

    /// Health counters.
    pub fn stats(&self) -> &LimiterStats {
        &self.stats
    }

    /// Checks one request against every limit together: it is admitted only if
    /// all admit it, and only then is anything charged. All limits must belong
    /// to one tenant. Returns one decision per limit, in order.
    pub async fn check(&self, limits: &[Limit]) -> Result<Vec<Decision>, QuotaError> {
        let now = self.clock.now_us();
        let Some(shared) = &self.shared else {
            return Ok(self.local.check(limits, now));
        };
        let shared_now = (!self.clock.is_wall_clock()).then_some(now);
        match shared.check(limits, shared_now).await {
            Ok(decisions) => Ok(decisions),
            Err(e) => {
                let n = self.stats.redis_errors.fetch_add(1, Ordering::Relaxed) + 1;
                // One line per hundred failures is enough to see an outage.
                if n == 1 || n.is_multiple_of(100) {
                    tracing::warn!(error = %e, failures = n, fail_mode = ?self.fail_mode, "Redis rate limiter unreachable");
                }
                match self.fail_mode {
                    FailMode::Open => Ok(self.local.check(limits, now)),
                    FailMode::Closed => Err(QuotaError::LimiterUnavailable),
                }
            }
        }
    }
}
