//! Sustained ingestion rate of the audit writer into PostgreSQL: events queued
//! as fast as the queue takes them, spread over tenants, until all are written.
//! The events are built before the clock starts (requests build them, and the
//! activity middleware's cost is measured separately), so the figure is the
//! writer's: queueing, batching, encoding and the inserts.
//!
//! `DATABASE_URL` must name a migrated database (`just bench` prepares one).
//! `EVENTS` (default 300000), `TENANTS` (20), `ACTORS` (200), `LISTINGS` (5000),
//! `BATCH` and `WRITERS` tune the run.
//!
//! The baseline, in the same run: the same rows written by PostgreSQL's own
//! bulk path, `COPY … FROM STDIN` as the table owner (`DATABASE_ADMIN_URL`),
//! `WRITERS` connections in parallel, `BATCH` rows per COPY. The owner is not
//! subject to row-level security; the runtime role cannot COPY into a table
//! with it, which is why the writer inserts through `activity_log_ingest`.
//! COPY's timing likewise includes formatting its text from the events.
#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "bench code: a panic is the failure report and the results are printed"
)]

use std::collections::VecDeque;
use std::time::Instant;

use futures::SinkExt;

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
    let event = |i: usize| {
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
        e
    };
    // Both paths start from the same events in memory, as requests leave them
    // in the queue; each path's own encoding is inside its timing.
    let all: Vec<ActivityEvent> = (0..events).map(event).collect();
    let queued = all.clone();
    let (writer, task) = AuditWriter::start(db, config.clone());
    let started = Instant::now();
    for e in queued {
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
    let copy_rate = copy_baseline(all, config.batch_size, config.writers).await;
    println!(
        "baseline: the same {events} rows by COPY as the table owner, {} connections: {copy_rate:.0} rows/s",
        config.writers
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
        "copy_events_per_s": copy_rate,
    });
    std::fs::write(format!("{dir}/ingest.json"), result.to_string()).unwrap();
    task.shutdown(std::time::Duration::from_secs(30))
        .await
        .unwrap();
}

/// One event as a line of COPY's text format, in [`COPY_COLUMNS`] order,
/// under a fresh id (the writer stored the original).
fn copy_line(e: &ActivityEvent, out: &mut String) {
    use std::fmt::Write;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "\\N".into());
    let num = |v: Option<i64>| v.map_or_else(|| "\\N".into(), |n| n.to_string());
    let _ = writeln!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}\t{{{}}}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        e.tenant.map(|t| t.as_uuid()).unwrap_or_default(),
        uuid::Uuid::now_v7(),
        e.occurred_at.to_rfc3339(),
        opt(&e.request_id),
        e.actor_id.map_or_else(|| "\\N".into(), |a| a.to_string()),
        opt(&e.actor_subject),
        e.actor_roles.join(","),
        e.kind.unwrap_or(Kind::ApiCall).as_str(),
        e.action,
        opt(&e.method),
        opt(&e.route),
        opt(&e.path),
        num(e.status.map(i64::from)),
        num(e.latency_us),
        num(e.bytes_in),
        num(e.bytes_out),
        opt(&e.client_ip),
        opt(&e.user_agent),
        opt(&e.resource_type),
        opt(&e.resource_id),
        e.metadata,
    );
}

const COPY_COLUMNS: &str = "tenant_id, id, occurred_at, request_id, actor_id, actor_subject, actor_roles, kind, action, method, route, path, status, latency_us, bytes_in, bytes_out, client_ip, user_agent, resource_type, resource_id, metadata";

/// Rows per second COPY takes the same events at, as the table owner, on
/// `connections` connections in parallel, `batch` rows per COPY.
async fn copy_baseline(events: Vec<ActivityEvent>, batch: usize, connections: usize) -> f64 {
    let url = std::env::var("DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/warden_bench".into());
    let count = events.len();
    let events = std::sync::Arc::new(events);
    let batch = batch.max(1);
    let per_connection = count.div_ceil(batch).div_ceil(connections.max(1)) * batch;
    let mut clients = Vec::new();
    for _ in 0..connections.max(1) {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        clients.push(client);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (n, client) in clients.into_iter().enumerate() {
        let events = events.clone();
        let share = (n * per_connection).min(count)..((n + 1) * per_connection).min(count);
        tasks.spawn(async move {
            for chunk in events[share].chunks(batch) {
                // Formatting the COPY text is this path's encoding: timed,
                // like the writer's.
                let mut text = String::new();
                for e in chunk {
                    copy_line(e, &mut text);
                }
                let sink = client
                    .copy_in::<_, VecDeque<u8>>(&format!(
                        "COPY activity_log ({COPY_COLUMNS}) FROM STDIN"
                    ))
                    .await
                    .unwrap();
                let mut sink = std::pin::pin!(sink);
                sink.send(VecDeque::from(text.into_bytes())).await.unwrap();
                sink.finish().await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}
