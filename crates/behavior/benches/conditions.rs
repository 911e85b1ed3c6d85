//! Condition evaluation throughput: 100 live patterns of mixed shapes (eq, in,
//! regex, gt, contains, ne, all/any/not nesting, metadata paths) against a
//! stream of varied events, on one thread. One element = one pattern's
//! condition evaluated against one event.
#![expect(
    clippy::unwrap_used,
    reason = "bench code: a panic is the failure report"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_behavior::{Engine, Operators, PatternBody};

const PATTERNS: usize = 100;

fn condition(i: usize) -> Value {
    let n = i as i64;
    match i % 10 {
        0 => json!({"all": [
            {"field": "action", "op": "eq", "value": "auth_failure"},
            {"field": "status", "op": "in", "value": [401, 403, 429]}
        ]}),
        1 => json!({"all": [
            {"field": "method", "op": "in", "value": ["POST", "PUT", "PATCH", "DELETE"]},
            {"field": "path", "op": "regex", "value": format!("^/api/v1/(admin|users|products)/[0-9a-f-]{{{}}}", 30 + i % 7)}
        ]}),
        2 => json!({"any": [
            {"field": "latency_us", "op": "gt", "value": 1_500_000 + n * 1000},
            {"field": "bytes_out", "op": "gte", "value": 5_000_000 + n}
        ]}),
        3 => json!({"all": [
            {"field": "kind", "op": "eq", "value": "resource_delete"},
            {"field": "actor_roles", "op": "contains", "value": "admin"},
            {"not": {"field": "metadata.approved", "op": "eq", "value": true}}
        ]}),
        4 => json!({"all": [
            {"field": "metadata.geo.country", "op": "in", "value": ["KP", "IR", "SY", "CU", "RU"]},
            {"field": "metadata.risk.score", "op": "gt", "value": 0.5 + (i % 5) as f64 / 10.0}
        ]}),
        5 => json!({"all": [
            {"field": "user_agent", "op": "regex", "value": "(?i)(curl|python-requests|go-http-client|sqlmap|nikto)"},
            {"field": "status", "op": "gte", "value": 400}
        ]}),
        6 => json!({"any": [
            {"field": "path", "op": "contains", "value": "/.env"},
            {"field": "path", "op": "contains", "value": "wp-login"},
            {"field": "path", "op": "regex", "value": "\\.(php|asp|jsp)$"}
        ]}),
        7 => json!({"all": [
            {"field": "kind", "op": "eq", "value": "security"},
            {"any": [
                {"field": "action", "op": "eq", "value": format!("role_change_{}", i % 3)},
                {"field": "action", "op": "eq", "value": "cross_tenant_attempt"},
                {"all": [
                    {"field": "action", "op": "eq", "value": "rate_limited"},
                    {"field": "metadata.window", "op": "eq", "value": "minute"}
                ]}
            ]}
        ]}),
        8 => json!({"all": [
            {"field": "resource_type", "op": "eq", "value": "products"},
            {"field": "method", "op": "eq", "value": "GET"},
            {"field": "bytes_out", "op": "gt", "value": 100_000 + n * 10},
            {"not": {"field": "actor_roles", "op": "in", "value": ["service", "exporter"]}}
        ]}),
        _ => json!({"all": [
            {"field": "metadata.payment.amount", "op": "gt", "value": 1000 + n},
            {"field": "metadata.payment.currency", "op": "ne", "value": "EUR"},
            {"field": "metadata.payment.card_country", "op": "ne", "value": null}
        ]}),
    }
}

fn engine() -> Engine {
    let ops = Operators::builtin();
    Engine::new((0..PATTERNS).map(|i| {
        let body: PatternBody = serde_json::from_value(json!({
            "name": format!("pattern {i}"),
            "condition": condition(i),
            "window": {"seconds": 60, "per": "actor", "above": 5},
            "severity": "medium",
            "cooldown_seconds": 300,
            "mode": "live"
        }))
        .unwrap();
        (Uuid::now_v7(), Arc::new(body.compile(&ops).unwrap()))
    }))
}

fn events() -> Vec<ActivityEvent> {
    let actions = [
        "GET /api/v1/products/{id}",
        "POST /api/v1/products",
        "auth_failure",
        "role_change_1",
        "rate_limited",
        "DELETE /api/v1/users/{id}",
    ];
    let paths = [
        "/api/v1/products/0d6f1c9e-7f4a-4c1b-9a55-1f2e3d4c5b6a",
        "/api/v1/admin/users/8a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
        "/api/v1/login",
        "/wp-login.php",
        "/api/v1/orders?page=3",
        "/.env",
    ];
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.31",
        "Warden-Mobile/3.2 (iOS 17.4)",
    ];
    let countries = ["NL", "US", "IR", "DE", "RU", "BR"];
    let start = Utc::now();
    (0..1024usize)
        .map(|i| {
            let mut e = ActivityEvent::new(Kind::ALL[i % Kind::ALL.len()], actions[i % actions.len()]);
            e.occurred_at = start + TimeDelta::milliseconds(i as i64);
            e.actor_id = (i % 4 != 0).then(Uuid::now_v7);
            e.actor_subject = Some(format!("user-{}", i % 50));
            e.actor_roles = match i % 5 {
                0 => vec!["admin".into()],
                1 => vec!["viewer".into(), "editor".into()],
                2 => vec!["service".into()],
                _ => vec![],
            };
            e.method = Some(["GET", "POST", "DELETE", "PUT"][i % 4].into());
            e.path = Some(paths[i % paths.len()].into());
            e.route = Some("/api/v1/products/{id}".into());
            e.status = Some([200, 201, 401, 403, 404, 429, 500][i % 7]);
            e.latency_us = Some(((i * 7919) % 2_000_000) as i64);
            e.bytes_in = Some(((i * 31) % 4096) as i64);
            e.bytes_out = Some(((i * 104_729) % 6_000_000) as i64);
            e.client_ip = Some(format!("203.0.113.{}", i % 250));
            e.user_agent = Some(agents[i % agents.len()].into());
            e.resource_type = Some(["products", "users", "orders"][i % 3].into());
            e.resource_id = Some(format!("{}", i * 13));
            e.metadata = json!({
                "approved": i % 3 == 0,
                "window": if i % 2 == 0 { "minute" } else { "hour" },
                "geo": {"country": countries[i % countries.len()], "city": "x"},
                "risk": {"score": (i % 10) as f64 / 10.0},
                "payment": {"amount": (i * 37) % 3000, "currency": if i % 4 == 0 { "EUR" } else { "USD" }, "card_country": "NL"},
            });
            e
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let engine = engine();
    let events = events();

    // A plain timed run, so the headline number is printed on its own line.
    let mut i = 0usize;
    let mut matched = 0usize;
    let started = Instant::now();
    let mut evaluated = 0u64;
    while started.elapsed() < Duration::from_millis(1500) {
        for _ in 0..1000 {
            i = (i + 1) % events.len();
            matched += engine.matching(black_box(&events[i])).count();
            evaluated += PATTERNS as u64;
        }
    }
    let rate = evaluated as f64 / started.elapsed().as_secs_f64();
    eprintln!(
        "condition evaluations per second (one thread, {PATTERNS} patterns): {:.0} ({:.1} M/s; {:.1}% matched)",
        rate,
        rate / 1e6,
        100.0 * matched as f64 / evaluated as f64,
    );

    let mut group = c.benchmark_group("conditions");
    group.throughput(Throughput::Elements(PATTERNS as u64));
    group.bench_function("100_patterns_per_event", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 1) % events.len();
            black_box(engine.matching(black_box(&events[i])).count())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
