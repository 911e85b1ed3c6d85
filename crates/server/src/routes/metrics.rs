//! `GET /metrics`: Prometheus text exposition of the process's own gauges and
//! counters (not part of the API document).

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// Registers `/metrics`.
pub fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

/// Renders the metrics.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let w = state.audit.metrics();
    let hub = state.hub.stats();
    let mut out = String::with_capacity(2048);
    let mut line = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    line(
        "warden_audit_queue_depth",
        "gauge",
        "Activity events waiting to be written.",
        state.audit.queue_depth() as u64,
    );
    line(
        "warden_audit_queue_capacity",
        "gauge",
        "Activity queue capacity.",
        state.audit.capacity() as u64,
    );
    line(
        "warden_audit_events_written_total",
        "counter",
        "Activity events written.",
        w.written.load(Ordering::Relaxed),
    );
    line(
        "warden_audit_batches_total",
        "counter",
        "Activity batches written.",
        w.batches.load(Ordering::Relaxed),
    );
    line(
        "warden_audit_write_failures_total",
        "counter",
        "Failed batch writes (retried).",
        w.failures.load(Ordering::Relaxed),
    );
    line(
        "warden_audit_flush_last_microseconds",
        "gauge",
        "Duration of the last batch write.",
        w.last_flush_us.load(Ordering::Relaxed),
    );
    line(
        "warden_audit_flush_max_microseconds",
        "gauge",
        "Longest batch write.",
        w.max_flush_us.load(Ordering::Relaxed),
    );
    line(
        "warden_audit_flush_microseconds_total",
        "counter",
        "Total time spent writing batches.",
        w.total_flush_us.load(Ordering::Relaxed),
    );
    let d = state.detector.metrics();
    line(
        "warden_behavior_queue_depth",
        "gauge",
        "Activity events waiting for behavior evaluation.",
        state.detector.queue_depth() as u64,
    );
    line(
        "warden_behavior_events_evaluated_total",
        "counter",
        "Activity events evaluated against behavior patterns.",
        d.evaluated.load(Ordering::Relaxed),
    );
    line(
        "warden_behavior_detections_total",
        "counter",
        "Detections recorded.",
        d.detections.load(Ordering::Relaxed),
    );
    line(
        "warden_behavior_failures_total",
        "counter",
        "Evaluations that failed (window store or database).",
        d.failures.load(Ordering::Relaxed),
    );
    line(
        "warden_behavior_lag_microseconds_total",
        "counter",
        "Sum over evaluated events of the time from the event to its evaluation.",
        d.lag_us_total.load(Ordering::Relaxed),
    );
    line(
        "warden_live_subscribers",
        "gauge",
        "Live subscriptions (WebSocket connections and in-process consumers).",
        state.hub.subscriber_count() as u64,
    );
    line(
        "warden_live_events_delivered_total",
        "counter",
        "Events handed to subscribers.",
        hub.delivered.load(Ordering::Relaxed),
    );
    line(
        "warden_live_slow_consumers_total",
        "counter",
        "Subscribers dropped for falling behind.",
        hub.slow_consumers.load(Ordering::Relaxed),
    );
    line(
        "warden_rate_limiter_redis_errors_total",
        "counter",
        "Rate-limit checks that could not reach Redis.",
        state.limiter.stats().redis_errors.load(Ordering::Relaxed),
    );
    let (refused_requests, refused_failures) = state.pre_auth.refused();
    line(
        "warden_pre_auth_refused_requests_total",
        "counter",
        "Requests refused before authentication: the client's request quota was used up.",
        refused_requests,
    );
    line(
        "warden_pre_auth_refused_failures_total",
        "counter",
        "Requests refused before authentication: the client's failed-authentication quota was used up.",
        refused_failures,
    );
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4"))
        .body(out)
}
