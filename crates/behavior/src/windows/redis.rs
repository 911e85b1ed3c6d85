//! The Redis store, shared by every replica: one sorted set per window scored
//! by event time, updated and read by one Lua script call per add; cooldowns
//! are keys holding the event time they end, set by a script when absent or
//! past.
//!
//! Members: `count` uses the event id, `distinct_count` the distinct value
//! (re-scored to the later time on repeat), `sum` `"<event id>|<value>"`,
//! summed in the script. Keys carry the tenant as a hash tag (see
//! [`super::window_key`]), so the scripts also run on Redis Cluster.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::{AggregateKind, RECENT_MEMBERS, WindowReading, WindowStore};
use crate::error::BehaviorError;
use crate::window::MAX_WINDOW_MEMBERS;

/// KEYS[1]: the window's sorted set.
/// ARGV: at, lo (the window is (lo, at]), kind, member, value, max members,
/// recent count, TTL in ms.
/// Returns: {aggregate as text, {recent members, newest first}}.
const ADD_SCRIPT: &str = r"
local key = KEYS[1]
local at = tonumber(ARGV[1])
local lo = ARGV[2]
local kind = ARGV[3]
local member = ARGV[4]
if kind == 'sum' then member = member .. '|' .. ARGV[5] end
local old = redis.call('ZSCORE', key, member)
if (not old) or tonumber(old) < at then
  redis.call('ZADD', key, ARGV[1], member)
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', lo)
local n = redis.call('ZCARD', key)
local max = tonumber(ARGV[6])
if n > max then redis.call('ZREMRANGEBYRANK', key, 0, n - max - 1) end
local agg
if kind == 'sum' then
  local s = 0
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', key, '(' .. lo, ARGV[1])) do
    s = s + (tonumber(string.match(m, '|([^|]*)$')) or 0)
  end
  agg = string.format('%.17g', s)
else
  agg = tostring(redis.call('ZCOUNT', key, '(' .. lo, ARGV[1]))
end
local recent = redis.call('ZREVRANGEBYSCORE', key, ARGV[1], '(' .. lo, 'LIMIT', 0, tonumber(ARGV[7]))
redis.call('PEXPIRE', key, ARGV[8])
return {agg, recent}
";

/// KEYS[1]: the cooldown. ARGV: at, until, TTL in ms. Returns 1 when started.
const COOLDOWN_SCRIPT: &str = r"
local u = redis.call('GET', KEYS[1])
if u and tonumber(u) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
";

/// How long to stop trying after a failure, so that evaluation fails at once
/// while Redis is down instead of each call waiting for a timeout.
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// Window and cooldown state in Redis, for several replicas.
pub struct RedisWindows {
    client: redis::Client,
    conn: OnceCell<ConnectionManager>,
    failed_at: Mutex<Option<Instant>>,
    add_script: redis::Script,
    cooldown_script: redis::Script,
    prefix: String,
}

impl RedisWindows {
    /// A store for `url`. Connects lazily, so Redis may be down at start-up.
    /// `prefix` (without `{` or `}`) namespaces the keys; tests use a fresh one each.
    pub fn new(url: &str, prefix: &str) -> Result<Self, BehaviorError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            conn: OnceCell::new(),
            failed_at: Mutex::new(None),
            add_script: redis::Script::new(ADD_SCRIPT),
            cooldown_script: redis::Script::new(COOLDOWN_SCRIPT),
            prefix: prefix.to_owned(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.prefix)
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

    async fn connection(&self) -> Result<ConnectionManager, BehaviorError> {
        if self.paused() {
            return Err(BehaviorError::WindowStore(
                "Redis failed moments ago".into(),
            ));
        }
        if let Some(c) = self.conn.get() {
            return Ok(c.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(250)))
            .set_response_timeout(Some(Duration::from_millis(250)))
            .set_number_of_retries(1);
        let conn = self
            .conn
            .get_or_try_init(|| ConnectionManager::new_with_config(self.client.clone(), config))
            .await
            .cloned();
        if conn.is_err() {
            self.mark_failed();
        }
        Ok(conn?)
    }

    fn failed<T>(&self, r: Result<T, redis::RedisError>) -> Result<T, BehaviorError> {
        r.map_err(|e| {
            self.mark_failed();
            BehaviorError::from(e)
        })
    }
}

#[async_trait]
impl WindowStore for RedisWindows {
    async fn add(
        &self,
        key: &str,
        at_ms: i64,
        window_ms: i64,
        aggregate: AggregateKind,
        member: &str,
        value: f64,
    ) -> Result<WindowReading, BehaviorError> {
        let mut conn = self.connection().await?;
        let lo = at_ms.saturating_sub(window_ms);
        let mut invocation = self.add_script.prepare_invoke();
        invocation
            .key(self.key(key))
            .arg(at_ms)
            .arg(lo)
            .arg(aggregate.as_str())
            .arg(member)
            .arg(value.to_string())
            .arg(MAX_WINDOW_MEMBERS)
            .arg(RECENT_MEMBERS)
            .arg(window_ms.max(1));
        let (agg, recent): (String, Vec<String>) =
            self.failed(invocation.invoke_async(&mut conn).await)?;
        let value = agg.parse::<f64>().map_err(|_| {
            BehaviorError::WindowStore(format!("window script returned {agg:?}, not a number"))
        })?;
        let recent = match aggregate {
            AggregateKind::Sum => recent
                .into_iter()
                .map(|m| match m.rsplit_once('|') {
                    Some((id, _)) => id.to_owned(),
                    None => m,
                })
                .collect(),
            AggregateKind::Count | AggregateKind::DistinctCount => recent,
        };
        Ok(WindowReading { value, recent })
    }

    async fn try_start_cooldown(
        &self,
        key: &str,
        at_ms: i64,
        cooldown_ms: i64,
    ) -> Result<bool, BehaviorError> {
        if cooldown_ms <= 0 {
            return Ok(true);
        }
        let mut conn = self.connection().await?;
        let mut invocation = self.cooldown_script.prepare_invoke();
        invocation
            .key(self.key(key))
            .arg(at_ms)
            .arg(at_ms.saturating_add(cooldown_ms))
            .arg(cooldown_ms);
        let started: i64 = self.failed(invocation.invoke_async(&mut conn).await)?;
        Ok(started == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::conformance;

    fn store() -> RedisWindows {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        RedisWindows::new(
            &url,
            &format!("warden:test:behavior:{}", uuid::Uuid::now_v7()),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn out_of_order() {
        conformance::out_of_order(&store()).await;
    }

    #[tokio::test]
    async fn recent_is_capped() {
        conformance::recent_is_capped(&store()).await;
    }

    #[tokio::test]
    async fn count_and_expiry() {
        conformance::count_expires_by_event_time(&store()).await;
    }

    #[tokio::test]
    async fn sums() {
        conformance::sums(&store()).await;
    }

    #[tokio::test]
    async fn distinct_counts() {
        conformance::distinct_counts(&store()).await;
    }

    #[tokio::test]
    async fn cooldowns() {
        conformance::cooldowns(&store()).await;
    }

    #[tokio::test]
    async fn fails_fast_when_unreachable() {
        let s = RedisWindows::new("redis://127.0.0.1:1", "warden:test").unwrap();
        let e = s
            .add("k", 1, 1000, AggregateKind::Count, "m", 1.0)
            .await
            .unwrap_err();
        assert_eq!(e.code().as_str(), "window_store_unavailable");
        let started = Instant::now();
        let e = s.try_start_cooldown("k", 1, 1000).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "window store unavailable: Redis failed moments ago"
        );
        assert!(started.elapsed() < Duration::from_millis(50));
    }
}
