//! The Redis store: the same GCRA as [`crate::gcra`], run by one Lua script that
//! checks every window of every key of a request and charges them only if all
//! admit it. One round trip per request; keys of a tenant share a hash tag so
//! the script also runs on Redis Cluster.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::{Limit, LimitKey};
use crate::gcra::{Decision, WindowState};

/// KEYS: one hash per limit key, field i = theoretical arrival time of window i,
/// field `i:iv` = the cell interval it was counted in (restated in the window's
/// interval when the limit changed, so the used amount carries over exactly).
/// ARGV: now_us (0: use the Redis server's clock, shared by every replica), then
/// per key: window count, then per window: capacity_us, interval_us.
/// Returns: allowed, then per window (all keys, in order): remaining, used_us, wait_us.
const SCRIPT: &str = r"
local now = tonumber(ARGV[1])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local pos = 2
local rows = {}
local allowed = 1
for k = 1, #KEYS do
  local n = tonumber(ARGV[pos]); pos = pos + 1
  local fields = {}
  for i = 1, n do fields[2 * i - 1] = tostring(i); fields[2 * i] = i .. ':iv' end
  local tats = redis.call('HMGET', KEYS[k], unpack(fields))
  for i = 1, n do
    local cap = tonumber(ARGV[pos]); local interval = tonumber(ARGV[pos + 1]); pos = pos + 2
    local tat = tonumber(tats[2 * i - 1]) or 0
    local old_interval = tonumber(tats[2 * i]) or 0
    if old_interval > 0 and old_interval ~= interval and tat > now then
      tat = now + math.floor((tat - now) * interval / old_interval)
    end
    local base = math.max(tat, now)
    local new_tat = base + interval
    local wait = new_tat - cap - now
    if wait > 0 then allowed = 0 end
    rows[#rows + 1] = {k, i, base, new_tat, cap, interval, wait}
  end
end
local out = {allowed}
local longest = {}
for _, r in ipairs(rows) do
  local tat = r[3]
  if allowed == 1 then tat = r[4] end
  local used = tat - now
  out[#out + 1] = math.floor(math.max(r[5] - used, 0) / r[6])
  out[#out + 1] = used
  out[#out + 1] = math.max(r[7], 0)
  if allowed == 1 then
    redis.call('HSET', KEYS[r[1]], tostring(r[2]), string.format('%.0f', r[4]), r[2] .. ':iv', string.format('%.0f', r[6]))
    longest[r[1]] = math.max(longest[r[1]] or 0, r[5])
  end
end
for k, period in pairs(longest) do
  redis.call('PEXPIRE', KEYS[k], math.ceil(period / 1000))
end
return out
";

/// How long to stop trying to connect after a failed attempt, so that requests
/// fail over at once while Redis is down instead of each waiting for a timeout.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// Limiter state in Redis.
pub struct RedisStore {
    client: redis::Client,
    conn: OnceCell<ConnectionManager>,
    failed_at: Mutex<Option<Instant>>,
    script: redis::Script,
    prefix: String,
}

fn ceil_secs(us: i64) -> u64 {
    u64::try_from(us.max(0)).unwrap_or(0).div_ceil(1_000_000)
}

impl RedisStore {
    /// A store for `url`. Connects lazily, so Redis may be down at start-up.
    /// `prefix` namespaces the keys (tests use a fresh one each).
    pub fn new(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            conn: OnceCell::new(),
            failed_at: Mutex::new(None),
            script: redis::Script::new(SCRIPT),
            prefix: prefix.to_owned(),
        })
    }

    fn key(&self, key: &LimitKey) -> String {
        match key {
            LimitKey::Tenant(t) => format!("{}:{{{t}}}:t", self.prefix),
            LimitKey::User { tenant, user } => format!("{}:{{{tenant}}}:u:{user}", self.prefix),
            LimitKey::UserAction {
                tenant,
                user,
                action,
            } => format!("{}:{{{tenant}}}:a:{action}:{user}", self.prefix),
        }
    }

    fn paused(&self) -> bool {
        self.failed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_some_and(|t| t.elapsed() < RECONNECT_PAUSE)
    }

    fn mark_failed(&self) {
        *self
            .failed_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
    }

    async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        if let Some(c) = self.conn.get() {
            return Ok(c.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(250)))
            .set_response_timeout(Some(Duration::from_millis(250)))
            .set_number_of_retries(1);
        self.conn
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned()
    }

    /// Checks `limits` in one script call, at `now_us` or, with `None`, at the
    /// Redis server's time (so replicas with skewed clocks still agree).
    ///
    /// After a failure, calls fail at once for a second instead of each waiting
    /// for a timeout, so the fail mode takes over without slowing requests.
    pub async fn check(
        &self,
        limits: &[Limit],
        now_us: Option<u64>,
    ) -> Result<Vec<Decision>, redis::RedisError> {
        if self.paused() {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "Redis failed moments ago",
            )));
        }
        let result = self.run(limits, now_us.unwrap_or(0)).await;
        if result.is_err() {
            self.mark_failed();
        }
        result
    }

    async fn run(&self, limits: &[Limit], now_us: u64) -> Result<Vec<Decision>, redis::RedisError> {
        let mut conn = self.connection().await?;
        let mut invocation = self.script.prepare_invoke();
        invocation.arg(now_us);
        for limit in limits {
            invocation.key(self.key(&limit.key));
            invocation.arg(limit.windows.len());
            for w in &limit.windows {
                invocation.arg(w.capacity_us()).arg(w.interval_us());
            }
        }
        let out: Vec<i64> = invocation.invoke_async(&mut conn).await?;
        let expected = 1 + 3 * limits.iter().map(|l| l.windows.len()).sum::<usize>();
        if out.len() != expected {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Parse,
                "rate-limit script returned an unexpected shape",
            )));
        }
        let allowed = out[0] == 1;
        let mut rows = out[1..].chunks_exact(3);
        let mut decisions = Vec::with_capacity(limits.len());
        for limit in limits {
            let mut windows = Vec::with_capacity(limit.windows.len());
            let mut tripped: Option<(&'static str, i64)> = None;
            for w in &limit.windows {
                let Some(&[remaining, used, wait]) = rows.next() else {
                    break;
                };
                if wait > 0 && tripped.is_none_or(|(_, longest)| wait > longest) {
                    tripped = Some((w.name, wait));
                }
                windows.push(WindowState {
                    name: w.name,
                    limit: w.limit,
                    period_secs: w.seconds(),
                    remaining: u64::try_from(remaining).unwrap_or(0),
                    reset_secs: ceil_secs(used),
                });
            }
            decisions.push(Decision {
                allowed,
                windows,
                tripped: tripped.map(|(n, _)| n),
                retry_after_secs: tripped.map_or(0, |(_, wait)| ceil_secs(wait).max(1)),
            });
        }
        Ok(decisions)
    }
}
