//! Rate limiting and usage metering settings.

use std::num::NonZeroU32;
use std::time::Duration;

use warden_quotas::limiter::FailMode;

use super::parse::{Switch, nonzero_u32, percent, trimmed};

/// Rate-limit settings.
#[derive(Clone, Debug)]
pub struct RateLimitConfig {
    /// Whether tenant routes are rate limited at all (`RATE_LIMIT=off` for benchmarks).
    pub enabled: bool,
    /// Shared Redis for the limiter; in process when unset.
    pub redis_url: Option<String>,
    /// What to do when Redis is unreachable.
    pub fail_mode: FailMode,
    /// How often usage counts are written to the database.
    pub usage_flush_interval: Duration,
    /// Share of the tenant's minute window one user may use when the tenant
    /// set no per-user limit (`USER_RATE_SHARE_PERCENT`, 1 to 100; 100 is no
    /// default per-user limit). Staff are not held to it.
    pub user_share_percent: u8,
    /// Requests per minute of one client IP before authentication (`PRE_AUTH_PER_MINUTE`).
    pub pre_auth_per_minute: NonZeroU32,
    /// Failed authentications per minute of one client IP before all its
    /// requests are refused (`PRE_AUTH_FAILURES_PER_MINUTE`).
    pub pre_auth_failures_per_minute: NonZeroU32,
}

/// The rate-limit variables (and `REDIS_URL`, which behavior detection shares).
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Rate limits")]
pub struct RateLimitArgs {
    /// `off` disables rate limiting (the tenant routes' and the per-client
    /// limit before authentication) and metering (benchmarks only).
    #[arg(long, env = "RATE_LIMIT", value_enum, default_value = "on")]
    pub rate_limit: Switch,
    /// Shared Redis for the rate limiter and for behavior windows and
    /// cooldowns (all replicas count together); in process when unset.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// When Redis is unreachable: `open` admits by each node's in-process
    /// limiter, `closed` answers 503 `rate_limiter_unavailable`.
    #[arg(long, env = "RATE_LIMIT_FAIL_MODE", default_value = "open", value_parser = str::parse::<FailMode>)]
    pub rate_limit_fail_mode: FailMode,
    /// How often counted API calls are written to PostgreSQL, in ms (at least 100).
    #[arg(long, env = "USAGE_FLUSH_INTERVAL_MS", default_value = "2000", value_parser = trimmed::<u64>)]
    pub usage_flush_interval_ms: u64,
    /// When a tenant sets no `user_requests_per_minute`, each user who is not
    /// staff may use this share of the tenant's minute window (1-100; `100`
    /// turns the default per-user limit off).
    #[arg(long, env = "USER_RATE_SHARE_PERCENT", default_value = "20", value_parser = percent)]
    pub user_rate_share_percent: u8,
    /// Requests a minute of one client IP (an IPv6 client by its /64), counted
    /// before authentication.
    #[arg(long, env = "PRE_AUTH_PER_MINUTE", default_value = "1200", value_parser = nonzero_u32)]
    pub pre_auth_per_minute: NonZeroU32,
    /// Failed authentications a minute of one client IP; once used up, all its
    /// requests get 429 before authentication.
    #[arg(long, env = "PRE_AUTH_FAILURES_PER_MINUTE", default_value = "30", value_parser = nonzero_u32)]
    pub pre_auth_failures_per_minute: NonZeroU32,
}

impl RateLimitArgs {
    /// The rate-limit settings.
    pub fn resolve(self) -> RateLimitConfig {
        RateLimitConfig {
            enabled: self.rate_limit.is_on(),
            redis_url: self.redis_url,
            fail_mode: self.rate_limit_fail_mode,
            usage_flush_interval: Duration::from_millis(self.usage_flush_interval_ms.max(100)),
            user_share_percent: self.user_rate_share_percent,
            pre_auth_per_minute: self.pre_auth_per_minute,
            pre_auth_failures_per_minute: self.pre_auth_failures_per_minute,
        }
    }
}
