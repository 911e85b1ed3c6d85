//! Sustained ingestion rate of the audit writer into PostgreSQL: events queued
//! as fast as the queue takes them, spread over tenants, until all are written.
//!
//! `DATABASE_URL` must name a migrated database (`just bench` prepares one).
//! `EVENTS` (default 300000), `TENANTS` (20), `ACTORS` (200), `LISTINGS` (5000),
//! `BATCH` and `WRITERS` tune the run.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout
)]

use std::time::Instant;

use warden_audit::writer::{AuditWriter, WriterConfig};
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Db, NewTenant, TenantId, TenantRegistry};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://warden_bench_app@127.0.0.1:5432/warden_bench".into());
    let events = env("EVENTS", 300_000);
    let tenants = env("TENANTS", 20);
    let db = Db::connect(&url, 8).unwrap();
    let registry = TenantRegistry::new(db.clone());
    let mut ids = Vec::new();
    for i in 0..tenants {
        let t = registry
            .create(NewTenant {
                name: format!("ingest-{i}"),
                settings: None,
            })
            .await
            .unwrap();
        ids.push(TenantId::new(t.id));
    }
    let config = WriterConfig {
        batch_size: env("BATCH", 2_000),
        writers: env("WRITERS", 3),
        ..WriterConfig::default()
    };
    let actors: Vec<uuid::Uuid> = (0..env("ACTORS", 200))
        .map(|_| uuid::Uuid::now_v7())
        .collect();
    let listings: Vec<String> = (0..env("LISTINGS", 5_000))
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let (writer, task) = AuditWriter::start(db, config);
    let started = Instant::now();
    for i in 0..events {
        let mut e = ActivityEvent::new(Kind::ApiCall, "GET /api/v1/products/{id}");
        // Like real traffic: many users per tenant, each touching many listings,
        // so the actor and resource indexes take inserts all over.
        e.tenant = Some(ids[i % ids.len()]);
        e.request_id = Some(format!("ingest-{i}"));
        e.actor_id = Some(actors[(i / ids.len()) % actors.len()]);
        e.actor_subject = Some("seller".into());
        e.actor_roles = vec!["seller".into()];
        e.resource_id = Some(listings[(i * 7) % listings.len()].clone());
        e.method = Some("GET".into());
        e.route = Some("/api/v1/products/{id}".into());
        e.path = Some("/api/v1/products/01a2b3c4-0000-7000-8000-000000000000".into());
        e.status = Some(200);
        e.latency_us = Some(2500);
        e.bytes_out = Some(285);
        e.client_ip = Some("127.0.0.1".into());
        e.user_agent = Some("bench".into());
        e.resource_type = Some("products".into());
        writer.record(e).await.unwrap();
    }
    writer.flush().await.unwrap();
    let elapsed = started.elapsed();
    let m = writer.metrics();
    let batches = m.batches.load(std::sync::atomic::Ordering::Relaxed).max(1);
    println!(
        "audit ingest: {events} events over {tenants} tenants in {:.2} s = {:.0} events/s; {batches} batches, mean write {:.1} ms, max {:.1} ms",
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64(),
        m.total_flush_us.load(std::sync::atomic::Ordering::Relaxed) as f64
            / batches as f64
            / 1000.0,
        m.max_flush_us.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0,
    );
    // For `scripts/bench-report.py` (the README's table).
    let dir = std::env::var("BENCH_OUT_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../build/bench").into());
    std::fs::create_dir_all(&dir).unwrap();
    let result = serde_json::json!({
        "events": events,
        "tenants": tenants,
        "seconds": elapsed.as_secs_f64(),
        "events_per_s": events as f64 / elapsed.as_secs_f64(),
        "batches": batches,
    });
    std::fs::write(format!("{dir}/ingest.json"), result.to_string()).unwrap();
    task.shutdown(std::time::Duration::from_secs(30))
        .await
        .unwrap();
}
