//! Cost of one rate-limit check: the pure GCRA, the in-process store, and the
//! Redis store (one script call, so one round trip), over minute, hour and day.
#![expect(
    clippy::unwrap_used,
    reason = "bench code: a panic is the failure report"
)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use uuid::Uuid;
use warden_quotas::gcra;
use warden_quotas::limiter::{Limit, LimitKey, MemoryStore, RateLimiter, RedisStore};
use warden_quotas::limits::TenantLimits;
use warden_tenancy::clock::SystemClock;

fn limits(tenants: &[Uuid]) -> Vec<Vec<Limit>> {
    // Generous limits so every check is an admission that writes state.
    let l = TenantLimits {
        requests_per_minute: 1_000_000,
        requests_per_hour: 100_000_000,
        requests_per_day: 1_000_000_000,
        ..TenantLimits::default()
    };
    tenants
        .iter()
        .map(|t| {
            vec![Limit {
                key: LimitKey::Tenant(*t),
                windows: l.tenant_windows(),
            }]
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tenants: Vec<Uuid> = (0..1000).map(|_| Uuid::now_v7()).collect();
    let checks = limits(&tenants);
    let windows = TenantLimits::default().tenant_windows();

    c.bench_function("gcra_check_3_windows", |b| {
        let mut tats = vec![gcra::Cell::default(); 3];
        let mut now = 1_000_000_000u64;
        b.iter(|| {
            now += 1_000;
            black_box(gcra::check(&windows, &mut tats, now))
        })
    });

    let store = MemoryStore::new();
    c.bench_function("memory_store_check_1000_tenants", |b| {
        let mut i = 0usize;
        let mut now = 1_000_000_000u64;
        b.iter(|| {
            i = (i + 1) % checks.len();
            now += 10;
            black_box(store.check(&checks[i], now))
        })
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let limiter = RateLimiter::in_process(Arc::new(SystemClock));
    c.bench_function("rate_limiter_in_process_check", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % checks.len();
            black_box(rt.block_on(limiter.check(&checks[i])).unwrap())
        })
    });

    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("warden:bench:{}", Uuid::now_v7());
    let redis = RedisStore::new(&url, &prefix).unwrap();
    if rt.block_on(redis.check(&checks[0], Some(1))).is_ok() {
        c.bench_function("redis_store_check_one_round_trip", |b| {
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) % checks.len();
                black_box(rt.block_on(redis.check(&checks[i], None)).unwrap())
            })
        });
    } else {
        eprintln!("Redis at {url} not reachable: skipping the Redis benchmark");
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
