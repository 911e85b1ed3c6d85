//! Latency from a request to its detection: a tenant with one live-evaluated
//! pattern matching a route; each request is timed from being sent until the
//! detection it caused arrives on the tenant's live hub (the path staff
//! dashboards see it by: activity middleware → detector → detection row and
//! NOTIFY in one transaction → LISTEN → hub). Windows and cooldowns in real
//! Redis. Needs a migrated database.
#![expect(
    clippy::expect_used,
    clippy::print_stdout,
    reason = "bench code: a panic is the failure report and the results are printed"
)]

use std::time::{Duration, Instant};

use serde_json::json;
use warden_audit::hub::{Topic, Topics};
use warden_commerce::Role;
use warden_tenancy::TenantId;
use warden_tests::{TestApp, generous_limits, test_config};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n = env("REQUESTS", 500) as usize;
    let mut config = test_config();
    config.rate_limit.enabled = false;
    let app = TestApp::start_with(config).await;
    let tenant = app
        .tenant_with_limits("behavior-bench", generous_limits())
        .await;
    let admin = app.member(tenant, "bench-admin", &[Role::TenantAdmin]);
    let user = app.member(tenant, "bench-user", &[Role::Buyer]);
    app.get("/api/v1/users/me", &user).await.assert_status(200);
    // 99 patterns that never match this request, and the one that does
    // (windowed, so each request also counts in Redis).
    for k in 0..99 {
        app.post(
            "/api/v1/behavior/patterns",
            &admin,
            json!({"name": format!("other {k}"), "severity": "low",
                   "condition": {"all": [{"field": "status", "op": "eq", "value": 500 + k},
                                         {"field": "path", "op": "regex", "value": "^/api/v1/orders"}]}}),
        )
        .await
        .assert_status(201);
    }
    app.post(
        "/api/v1/behavior/patterns",
        &admin,
        json!({"name": "profile reads", "severity": "low",
               "condition": {"field": "route", "op": "eq", "value": "/api/v1/users/me"},
               "window": {"seconds": 60, "per": "actor", "aggregate": "count", "above": 0}}),
    )
    .await
    .assert_status(201);
    let mut detections = app.state.hub.subscribe(
        Some(TenantId::new(tenant)),
        Topics::from(&[Topic::Detection][..]),
        1024,
    );
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        app.get("/api/v1/users/me", &user).await.assert_status(200);
        let d = tokio::time::timeout(Duration::from_secs(5), detections.recv())
            .await
            .expect("no detection within 5 s")
            .expect("hub closed");
        assert_eq!(d.event.topic, Topic::Detection);
        latencies.push(started.elapsed());
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    println!(
        "request → detection on the live hub, 100 patterns, {n} sequential requests: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    warden_tests::load::write_bench_json(
        "behavior",
        &json!({"requests": n, "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": pct(1.0)}),
    );
}
