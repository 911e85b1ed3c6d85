//! The Redis backend against a real Redis: shared budgets across limiter
//! instances, the same decisions as the in-process store, and both fail modes
//! when Redis goes away.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is the failure report"
)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;
use warden_quotas::QuotaError;
use warden_quotas::gcra::Window;
use warden_quotas::limiter::{FailMode, Limit, LimitKey, MemoryStore, RateLimiter, RedisStore};
use warden_tenancy::clock::ManualClock;

const S: u64 = 1_000_000;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn prefix() -> String {
    format!("warden:test:{}", Uuid::now_v7())
}

fn tenant_limit(tenant: Uuid, per_minute: u64, per_hour: u64) -> Limit {
    Limit {
        key: LimitKey::Tenant(tenant),
        windows: vec![
            Window::new("minute", per_minute, 60),
            Window::new("hour", per_hour, 3600),
        ],
    }
}

#[tokio::test]
async fn two_limiters_on_one_redis_share_one_budget() {
    let clock = ManualClock::at(1_000 * S);
    let p = prefix();
    let a = RateLimiter::with_redis(
        RedisStore::new(&redis_url(), &p).unwrap(),
        FailMode::Closed,
        Arc::new(clock.clone()),
    );
    let b = RateLimiter::with_redis(
        RedisStore::new(&redis_url(), &p).unwrap(),
        FailMode::Closed,
        Arc::new(clock.clone()),
    );
    let tenant = Uuid::now_v7();
    let limits = [tenant_limit(tenant, 5, 100)];
    let mut admitted = 0;
    for i in 0..12 {
        let limiter = if i % 2 == 0 { &a } else { &b };
        if limiter.check(&limits).await.unwrap()[0].allowed {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 5, "two replicas must share one budget of 5");
    // Another tenant on the same Redis is untouched.
    let other = [tenant_limit(Uuid::now_v7(), 5, 100)];
    let d = a.check(&other).await.unwrap();
    assert!(d[0].allowed);
    assert_eq!(d[0].windows[0].remaining, 4);
}

#[tokio::test]
async fn redis_and_memory_decide_alike_across_window_boundaries() {
    let redis = RedisStore::new(&redis_url(), &prefix()).unwrap();
    let memory = MemoryStore::new();
    let tenant = Uuid::now_v7();
    let user = Uuid::now_v7();
    let limits = [
        tenant_limit(tenant, 3, 5),
        Limit {
            key: LimitKey::User { tenant, user },
            windows: vec![Window::new("user-minute", 2, 60)],
        },
    ];
    let mut now = 5_000 * S;
    // Bursts, waits just short of and just past a cell, and a wait past the hour.
    let steps = [
        0,
        0,
        0,
        0,
        29 * S,
        S,
        30 * S - 1,
        1,
        0,
        0,
        60 * S,
        0,
        3600 * S,
        0,
        0,
        0,
    ];
    for (i, step) in steps.iter().enumerate() {
        now += step;
        let from_redis = redis.check(&limits, Some(now)).await.unwrap();
        let from_memory = memory.check(&limits, now);
        let admitted: Vec<bool> = from_redis.iter().map(|d| d.allowed).collect();
        assert_eq!(
            from_redis.iter().map(|d| &d.windows).collect::<Vec<_>>(),
            from_memory.iter().map(|d| &d.windows).collect::<Vec<_>>(),
            "step {i}: window states differ"
        );
        assert_eq!(
            admitted,
            from_memory.iter().map(|d| d.allowed).collect::<Vec<_>>(),
            "step {i}"
        );
        let timing = |ds: &[warden_quotas::gcra::Decision]| -> Vec<(Option<&str>, u64)> {
            ds.iter().map(|d| (d.tripped, d.retry_after_secs)).collect()
        };
        let (r, m) = (timing(&from_redis), timing(&from_memory));
        // Both name a tripped window and the same wait; the store may attribute
        // it to one limit or each, so compare the longest.
        assert_eq!(
            r.iter().map(|x| x.1).max(),
            m.iter().map(|x| x.1).max(),
            "step {i}: retry-after differs"
        );
        assert_eq!(
            r.iter()
                .filter(|x| x.0.is_some())
                .max_by_key(|x| x.1)
                .map(|x| x.0),
            m.iter()
                .filter(|x| x.0.is_some())
                .max_by_key(|x| x.1)
                .map(|x| x.0),
            "step {i}: tripped window differs"
        );
    }
}

#[tokio::test]
async fn a_refused_request_charges_no_window_in_redis() {
    let redis = RedisStore::new(&redis_url(), &prefix()).unwrap();
    let tenant = Uuid::now_v7();
    let limits = [tenant_limit(tenant, 2, 10)];
    let now = 9_000 * S;
    assert!(redis.check(&limits, Some(now)).await.unwrap()[0].allowed);
    assert!(redis.check(&limits, Some(now)).await.unwrap()[0].allowed);
    for _ in 0..5 {
        let d = redis.check(&limits, Some(now)).await.unwrap();
        assert!(!d[0].allowed);
        assert_eq!(d[0].tripped, Some("minute"));
        assert_eq!(d[0].retry_after_secs, 30);
        assert_eq!(
            d[0].windows[1].remaining, 8,
            "the hour window was charged for a refusal"
        );
    }
}

#[tokio::test]
async fn a_changed_limit_carries_the_used_amount_over_in_redis_and_in_memory() {
    let redis = RedisStore::new(&redis_url(), &prefix()).unwrap();
    let memory = MemoryStore::new();
    let tenant = Uuid::now_v7();
    let day = |limit| Limit {
        key: LimitKey::Tenant(tenant),
        windows: vec![
            Window::new("minute", 1_000, 60),
            Window::new("day", limit, 86_400),
        ],
    };
    let now = 50_000 * S;
    for _ in 0..280 {
        assert!(redis.check(&[day(1_000)], Some(now)).await.unwrap()[0].allowed);
        assert!(memory.check(&[day(1_000)], now)[0].allowed);
    }
    for (used, limit) in [(281, 10_000), (282, 10_000), (283, 2_000)] {
        let from_redis = redis.check(&[day(limit)], Some(now)).await.unwrap();
        let from_memory = memory.check(&[day(limit)], now);
        for d in [&from_redis[0], &from_memory[0]] {
            assert_eq!(d.windows[1].remaining, limit - used, "limit {limit}");
            assert_eq!(d.windows[0].remaining, 1_000 - used, "the unchanged minute");
        }
    }
}

/// A private redis-server on a free port, so a test can stop it.
struct OwnRedis {
    child: Child,
    url: String,
}

impl OwnRedis {
    fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/ensure-redis.sh)");
        let url = format!("redis://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, url }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn redis_stopped_fail_open_keeps_each_node_protected_by_its_own_limiter() {
    let mut redis = OwnRedis::start();
    let clock = ManualClock::at(2_000 * S);
    let limiter = RateLimiter::with_redis(
        RedisStore::new(&redis.url, &prefix()).unwrap(),
        FailMode::Open,
        Arc::new(clock),
    );
    let limits = [tenant_limit(Uuid::now_v7(), 3, 100)];
    assert!(limiter.check(&limits).await.unwrap()[0].allowed);
    assert_eq!(
        limiter
            .stats()
            .redis_errors
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    redis.stop();
    // Redis is gone: requests are still answered, by the in-process limiter,
    // which still refuses past the limit.
    let mut admitted = 0;
    for _ in 0..6 {
        if limiter.check(&limits).await.unwrap()[0].allowed {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 3);
    assert!(
        limiter
            .stats()
            .redis_errors
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 6
    );
}

#[tokio::test]
async fn redis_stopped_fail_closed_refuses_every_request() {
    let mut redis = OwnRedis::start();
    let limiter = RateLimiter::with_redis(
        RedisStore::new(&redis.url, &prefix()).unwrap(),
        FailMode::Closed,
        Arc::new(ManualClock::at(3_000 * S)),
    );
    let limits = [tenant_limit(Uuid::now_v7(), 3, 100)];
    assert!(limiter.check(&limits).await.unwrap()[0].allowed);
    redis.stop();
    for _ in 0..3 {
        assert!(matches!(
            limiter.check(&limits).await,
            Err(QuotaError::LimiterUnavailable)
        ));
    }
}

#[tokio::test]
async fn redis_down_at_start_up_does_not_stop_the_limiter() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let limiter = RateLimiter::with_redis(
        RedisStore::new(&url, &prefix()).unwrap(),
        FailMode::Open,
        Arc::new(ManualClock::at(S)),
    );
    let started = std::time::Instant::now();
    let d = limiter
        .check(&[tenant_limit(Uuid::now_v7(), 3, 100)])
        .await
        .unwrap();
    assert!(d[0].allowed);
    assert!(started.elapsed() < Duration::from_secs(5));
}
