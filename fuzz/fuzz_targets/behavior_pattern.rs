//! `POST /behavior/analyze` without the database: the request JSON is parsed
//! as the endpoint parses it, the inline pattern is validated and compiled,
//! the events are converted, and everything is evaluated with fresh
//! in-memory windows. Without an inline pattern, a fixed set of patterns
//! stands in for the tenant's.
//!
//! Checks, besides "no panic, no overflow, no hang":
//! - a pattern that compiles still parses and compiles after the JSON round
//!   trip the pattern store makes (serialise, store, parse);
//! - every firing respects its pattern: a windowed one observed more than
//!   the threshold, confidence within 0.5..=1, at most 20 evidence events.

#![no_main]

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use uuid::Uuid;
use warden_behavior::analyze::{AnalyzeRequest, MAX_EVENTS, to_event};
use warden_behavior::windows::RECENT_MEMBERS;
use warden_behavior::{CompiledPattern, Engine, MemoryWindows, Operators, PatternBody};
use warden_fuzz::block_on;
use warden_tenancy::TenantId;

/// Stand-ins for a tenant's saved patterns.
const SAVED: &[&str] = &[
    r#"{"name": "stuffing", "condition": {"all": [
        {"field": "action", "op": "eq", "value": "auth_failure"},
        {"field": "status", "op": "in", "value": [401, 403]}]},
      "window": {"seconds": 60, "per": "ip", "above": 2},
      "severity": "high", "cooldown_seconds": 60, "mode": "live"}"#,
    r#"{"name": "exfil", "condition": {"not": {"field": "metadata.plan", "op": "eq", "value": "pro"}},
      "window": {"minutes": 5, "per": "actor", "aggregate": {"sum": {"field": "bytes_out"}}, "above": 1000},
      "severity": "medium"}"#,
    r#"{"name": "spray", "condition": {"field": "path", "op": "regex", "value": "^/api/v1/(login|token)"},
      "window": {"hours": 1, "per": "resource", "aggregate": {"distinct_count": {"field": "actor_subject"}}, "above": 1},
      "severity": "low"}"#,
    r#"{"name": "admin", "condition": {"field": "actor_roles", "op": "contains", "value": "admin"},
      "severity": "critical", "cooldown_seconds": 10}"#,
];

fn saved() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let ops = Operators::builtin();
        Engine::new(SAVED.iter().enumerate().map(|(i, src)| {
            let body: PatternBody = serde_json::from_str(src).expect("seed pattern parses");
            let compiled = body.compile(&ops).expect("seed pattern compiles");
            (Uuid::from_u128(i as u128 + 1), Arc::new(compiled))
        }))
    })
}

fn compile(body: &PatternBody, ops: &Operators) -> Option<CompiledPattern> {
    let compiled = body.compile(ops).ok()?;
    // The store keeps the definition as JSON and compiles it again on load.
    // (Numbers may come back an ulp apart: serde_json does not promise exact
    // float round trips, so the bodies are not compared.)
    let stored = serde_json::to_string(body).expect("a pattern serialises");
    let reloaded: PatternBody =
        serde_json::from_str(&stored).expect("a stored pattern parses again");
    assert!(
        reloaded.compile(ops).is_ok(),
        "a stored pattern no longer compiles: {stored}"
    );
    Some(compiled)
}

fuzz_target!(|data: &[u8]| {
    let Ok(request) = serde_json::from_slice::<AnalyzeRequest>(data) else {
        return;
    };
    if request.events.len() > MAX_EVENTS {
        return;
    }
    let ops = Operators::builtin();
    let engine = match request.pattern {
        Some(mut body) => {
            // As the endpoint does: an inline pattern is evaluated even when
            // it says it is disabled.
            body.enabled = true;
            let Some(compiled) = compile(&body, &ops) else {
                return;
            };
            Engine::new([(Uuid::nil(), Arc::new(compiled))])
        }
        None => saved().clone(),
    };
    // A fixed "now", a microsecond apart per event, as the endpoint numbers them.
    let base = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).expect("a valid instant");
    let mut events = Vec::with_capacity(request.events.len());
    for (n, input) in request.events.into_iter().enumerate() {
        let at = base + chrono::Duration::microseconds(n as i64);
        match to_event(input, at) {
            Ok(e) => events.push(e),
            Err(_) => return,
        }
    }
    let tenant = TenantId::new(Uuid::nil());
    let windows = MemoryWindows::new();
    for event in &events {
        let firings =
            block_on(engine.evaluate(tenant, event, &windows)).expect("memory windows never fail");
        for f in firings {
            assert!(f.event_ids.first() == Some(&event.id), "{f:?}");
            assert!(f.event_ids.len() <= RECENT_MEMBERS, "{f:?}");
            assert!((0.5..=1.0).contains(&f.confidence), "{f:?}");
            if let Some(threshold) = f.threshold {
                assert!(f.observed > threshold, "{f:?}");
            }
        }
    }
});
