//! Evaluating one tenant's patterns against activity events.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warden_audit::ActivityEvent;
use warden_tenancy::TenantId;

use crate::error::BehaviorError;
use crate::pattern::{CompiledPattern, Mode, Severity};
use crate::window::{AggregateKind, GroupBy};
use crate::windows::{WindowStore, cooldown_key, window_key};

/// The group key of a pattern without a window when the event has no actor,
/// subject or client address.
pub const NO_GROUP: &str = "*";

/// A detection: a pattern whose condition (and threshold, if windowed) an
/// event met, outside any cooldown.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Firing {
    /// The pattern.
    pub pattern_id: Uuid,
    /// The pattern's severity.
    pub severity: Severity,
    /// The pattern's mode (shadow detections are only recorded).
    pub mode: Mode,
    /// The group the detection is about (see [`CompiledPattern::group_key`];
    /// `*` for an unwindowed pattern and an event with no actor).
    pub group_key: String,
    /// The triggering event's actor.
    pub actor_id: Option<Uuid>,
    /// The window's aggregate, or 1 without a window.
    pub observed: f64,
    /// The window's `above`, if any.
    pub threshold: Option<f64>,
    /// How strong the evidence is, 0.5 to 1 (see [`confidence`]).
    pub confidence: f64,
    /// The triggering event first, then the window's recent events (newest
    /// first, up to 20 in all). Distinct-count windows hold values, not
    /// events, so they give only the triggering event.
    pub event_ids: Vec<Uuid>,
    /// Start of the window (exclusive), if any.
    pub window_start: Option<DateTime<Utc>>,
    /// End of the window (inclusive): the triggering event's time.
    pub window_end: Option<DateTime<Utc>>,
    /// The triggering event's time.
    pub at: DateTime<Utc>,
}

/// How strong the evidence of a windowed detection is:
/// `min(1, 0.5 + 0.5 × (observed − above) / max(above, 1))`, never below 0.
///
/// Barely crossing the threshold gives a little over 0.5; twice the threshold
/// (or more) gives 1. Detections without a window have confidence 1.
pub fn confidence(observed: f64, above: f64) -> f64 {
    (0.5 + 0.5 * (observed - above) / above.max(1.0)).clamp(0.0, 1.0)
}

/// The enabled, compiled patterns of one tenant.
#[derive(Clone, Default)]
pub struct Engine {
    patterns: Vec<(Uuid, Arc<CompiledPattern>)>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("patterns", &self.patterns.len())
            .finish()
    }
}

impl Engine {
    /// An engine over `patterns`; disabled ones are left out.
    pub fn new(patterns: impl IntoIterator<Item = (Uuid, Arc<CompiledPattern>)>) -> Self {
        Self {
            patterns: patterns.into_iter().filter(|(_, p)| p.enabled()).collect(),
        }
    }

    /// The patterns evaluated.
    pub fn patterns(&self) -> &[(Uuid, Arc<CompiledPattern>)] {
        &self.patterns
    }

    /// The name of pattern `id`, empty for one the engine does not hold.
    pub fn name_of(&self, id: Uuid) -> &str {
        self.patterns
            .iter()
            .find(|(p, _)| *p == id)
            .map_or("", |(_, p)| p.name())
    }

    /// How many patterns are evaluated.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True without patterns.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The patterns whose condition `event` meets (windows and cooldowns not
    /// consulted). Synchronous and allocation-free.
    pub fn matching<'a>(
        &'a self,
        event: &'a ActivityEvent,
    ) -> impl Iterator<Item = (Uuid, &'a Arc<CompiledPattern>)> + 'a {
        self.patterns
            .iter()
            .filter(move |(_, p)| p.matches(event))
            .map(|(id, p)| (*id, p))
    }

    /// Evaluates `event` of `tenant`: for each matching pattern, adds the event
    /// to its group's window (if windowed) and fires when the aggregate is
    /// strictly above the threshold (always, without a window) and no
    /// cooldown runs for the pattern and group; firing starts the cooldown.
    /// Time is the event's `occurred_at`.
    ///
    /// Windowed patterns skip events without a value for their group key (or,
    /// for a distinct count, for the counted field). A store failure ends the
    /// evaluation with [`BehaviorError::WindowStore`].
    pub async fn evaluate(
        &self,
        tenant: TenantId,
        event: &ActivityEvent,
        store: &dyn WindowStore,
    ) -> Result<Vec<Firing>, BehaviorError> {
        let at = event.occurred_at;
        let at_ms = at.timestamp_millis();
        let mut firings = Vec::new();
        for (pattern_id, p) in self.matching(event) {
            let mut firing = Firing {
                pattern_id,
                severity: p.severity(),
                mode: p.mode(),
                group_key: String::new(),
                actor_id: event.actor_id,
                observed: 1.0,
                threshold: None,
                confidence: 1.0,
                event_ids: vec![event.id],
                window_start: None,
                window_end: None,
                at,
            };
            match p.window() {
                None => {
                    firing.group_key = p.group_key(event).unwrap_or_else(|| NO_GROUP.to_owned());
                }
                Some(w) => {
                    let Some(group) = w.per().key(event) else {
                        continue;
                    };
                    let Some((member, value)) = w.aggregate_input(event) else {
                        continue;
                    };
                    let key = window_key(tenant, pattern_id, &group);
                    let reading = store
                        .add(
                            &key,
                            at_ms,
                            w.length_ms(),
                            w.aggregate_kind(),
                            &member,
                            value,
                        )
                        .await?;
                    if reading.value.partial_cmp(&w.above()) != Some(std::cmp::Ordering::Greater) {
                        continue;
                    }
                    if w.aggregate_kind() != AggregateKind::DistinctCount {
                        firing.event_ids.extend(
                            reading
                                .recent
                                .iter()
                                .filter_map(|m| Uuid::parse_str(m).ok())
                                .filter(|id| *id != event.id),
                        );
                        firing.event_ids.truncate(crate::windows::RECENT_MEMBERS);
                    }
                    // A window over an address or a resource adds up many
                    // users' events: whoever's event crossed the threshold is
                    // not thereby the culprit, so no user is named (the
                    // evidence still shows the trigger's actor).
                    if w.per() != GroupBy::Actor {
                        firing.actor_id = None;
                    }
                    firing.group_key = group;
                    firing.observed = reading.value;
                    firing.threshold = Some(w.above());
                    firing.confidence = confidence(reading.value, w.above());
                    // Events at the very start of time (a caller may send
                    // any date) have a window that starts there.
                    firing.window_start = Some(
                        at.checked_sub_signed(TimeDelta::milliseconds(w.length_ms()))
                            .unwrap_or(DateTime::<Utc>::MIN_UTC),
                    );
                    firing.window_end = Some(at);
                }
            }
            if p.cooldown_ms() > 0 {
                let key = cooldown_key(tenant, pattern_id, &firing.group_key);
                if !store
                    .try_start_cooldown(&key, at_ms, p.cooldown_ms())
                    .await?
                {
                    continue;
                }
            }
            firings.push(firing);
        }
        Ok(firings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldValue;
    use crate::operators::{Matcher, Operator, Operators};
    use crate::pattern::PatternBody;
    use crate::windows::{MemoryWindows, RedisWindows};
    use serde_json::{Value, json};
    use warden_audit::Kind;

    fn compile(v: Value) -> Arc<CompiledPattern> {
        Arc::new(
            serde_json::from_value::<PatternBody>(v)
                .unwrap()
                .compile(&Operators::builtin())
                .unwrap(),
        )
    }

    fn stuffing() -> Value {
        json!({
            "name": "Credential stuffing",
            "condition": {"all": [
                {"field": "action", "op": "eq", "value": "auth_failure"},
                {"field": "kind", "op": "eq", "value": "security"}
            ]},
            "window": {"seconds": 60, "per": "ip", "above": 5},
            "severity": "high",
            "cooldown_seconds": 300,
            "mode": "live"
        })
    }

    fn failure(at: DateTime<Utc>, ip: &str) -> ActivityEvent {
        let mut e = ActivityEvent::new(Kind::Security, "auth_failure");
        e.occurred_at = at;
        e.client_ip = Some(ip.into());
        e
    }

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn evaluation_can_be_spawned() {
        let engine = Engine::default();
        assert!(engine.is_empty());
        let event = ActivityEvent::default();
        let store = MemoryWindows::new();
        let fut = engine.evaluate(TenantId::new(Uuid::nil()), &event, &store);
        assert_send(&fut);
        fn shared<T: Send + Sync>() {}
        shared::<Engine>();
        shared::<CompiledPattern>();
    }

    /// Found by `fuzz/fuzz_targets/behavior_pattern.rs`: an event dated at
    /// the earliest instant chrono can represent (`POST /behavior/analyze`
    /// takes any `occurred_at`) made the window start overflow and panic.
    #[tokio::test]
    async fn regression_window_at_the_start_of_time() {
        let p = compile(json!({
            "name": "Edges of time",
            "condition": {"field": "action", "op": "eq", "value": "auth_failure"},
            "window": {"hours": 1, "per": "ip", "above": 0},
            "severity": "low"
        }));
        let engine = Engine::new([(Uuid::nil(), p)]);
        let store = MemoryWindows::new();
        let tenant = TenantId::new(Uuid::nil());
        for at in ["-262143-01-01T00:00:00Z", "+262142-12-31T23:59:59.999Z"] {
            let at: DateTime<Utc> = serde_json::from_value(json!(at)).unwrap();
            let f = engine
                .evaluate(tenant, &failure(at, "10.0.0.1"), &store)
                .await
                .unwrap();
            assert_eq!(f.len(), 1, "{at}");
            let start = f[0].window_start.unwrap();
            assert!(start < at || at == DateTime::<Utc>::MIN_UTC, "{at}");
        }
    }

    #[test]
    fn confidence_formula() {
        assert_eq!(confidence(6.0, 5.0), 0.6);
        assert_eq!(confidence(10.0, 5.0), 1.0);
        assert_eq!(confidence(50.0, 5.0), 1.0);
        assert_eq!(confidence(5.0, 5.0), 0.5);
        assert_eq!(confidence(1.0, 0.0), 1.0);
        assert_eq!(confidence(0.5, 0.0), 0.75);
        assert!((confidence(1_000_001.0, 1_000_000.0) - 0.5000005).abs() < 1e-12);
        assert_eq!(confidence(0.0, 100.0), 0.0);
    }

    async fn stuffing_fires_once_per_cooldown(store: &dyn WindowStore) {
        let id = Uuid::now_v7();
        let engine = Engine::new([(id, compile(stuffing()))]);
        let tenant = TenantId::new(Uuid::now_v7());
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let mut fired = Vec::new();
        let mut events = Vec::new();
        for i in 0..12 {
            let e = failure(t0 + TimeDelta::seconds(i), "203.0.113.7");
            events.push(e.id);
            for f in engine.evaluate(tenant, &e, store).await.unwrap() {
                fired.push((i, f));
            }
        }
        assert_eq!(fired.len(), 1, "{fired:?}");
        let (i, f) = &fired[0];
        assert_eq!(*i, 5, "the sixth event crosses 'more than 5'");
        assert_eq!(f.pattern_id, id);
        assert_eq!(f.group_key, "203.0.113.7");
        assert_eq!(f.observed, 6.0);
        assert_eq!(f.threshold, Some(5.0));
        assert_eq!(f.confidence, 0.6);
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.mode, Mode::Live);
        assert_eq!(f.at, t0 + TimeDelta::seconds(5));
        assert_eq!(f.window_end, Some(f.at));
        assert_eq!(f.window_start, Some(f.at - TimeDelta::seconds(60)));
        let mut want: Vec<Uuid> = events[..6].iter().rev().copied().collect();
        assert_eq!(f.event_ids, want);
        // Another address has its own window.
        let other = failure(t0 + TimeDelta::seconds(12), "198.51.100.1");
        assert!(
            engine
                .evaluate(tenant, &other, store)
                .await
                .unwrap()
                .is_empty()
        );
        // After the cooldown, once the window is refilled, it fires again.
        let t1 = t0 + TimeDelta::seconds(400);
        let mut again = Vec::new();
        want.clear();
        for i in 0..6 {
            let e = failure(t1 + TimeDelta::seconds(i), "203.0.113.7");
            want.insert(0, e.id);
            again.extend(engine.evaluate(tenant, &e, store).await.unwrap());
            if i < 5 {
                assert!(again.is_empty(), "event {i} of the refill");
            }
        }
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].observed, 6.0);
        assert_eq!(again[0].event_ids, want);
        // Another tenant's engine state is separate.
        let e = failure(t1 + TimeDelta::seconds(6), "203.0.113.7");
        let other_tenant = TenantId::new(Uuid::now_v7());
        assert!(
            engine
                .evaluate(other_tenant, &e, store)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn credential_stuffing_in_memory() {
        stuffing_fires_once_per_cooldown(&MemoryWindows::new()).await;
    }

    #[tokio::test]
    async fn credential_stuffing_in_redis() {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let store =
            RedisWindows::new(&url, &format!("warden:test:behavior:{}", Uuid::now_v7())).unwrap();
        stuffing_fires_once_per_cooldown(&store).await;
    }

    #[tokio::test]
    async fn unwindowed_patterns_fire_on_every_match() {
        let store = MemoryWindows::new();
        let tenant = TenantId::new(Uuid::now_v7());
        let every = Uuid::now_v7();
        let cooled = Uuid::now_v7();
        let disabled = Uuid::now_v7();
        let admin_delete = json!({
            "name": "Admin deletes",
            "condition": {"all": [
                {"field": "kind", "op": "eq", "value": "resource_delete"},
                {"field": "actor_roles", "op": "contains", "value": "admin"}
            ]},
            "severity": "medium"
        });
        let mut with_cooldown = admin_delete.clone();
        with_cooldown["cooldown_seconds"] = json!(60);
        let mut off = admin_delete.clone();
        off["enabled"] = json!(false);
        let engine = Engine::new([
            (every, compile(admin_delete)),
            (cooled, compile(with_cooldown)),
            (disabled, compile(off)),
        ]);
        assert_eq!(engine.len(), 2);
        let actor = Uuid::now_v7();
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let mut counts = (0, 0);
        for i in 0..3 {
            let mut e = ActivityEvent::new(Kind::ResourceDelete, "DELETE /api/v1/products/{id}");
            e.occurred_at = t0 + TimeDelta::seconds(i);
            e.actor_id = Some(actor);
            e.actor_roles = vec!["admin".into()];
            assert_eq!(engine.matching(&e).count(), 2);
            for f in engine.evaluate(tenant, &e, &store).await.unwrap() {
                assert_eq!(f.group_key, actor.to_string());
                assert_eq!((f.observed, f.threshold, f.confidence), (1.0, None, 1.0));
                assert_eq!(f.event_ids, vec![e.id]);
                assert_eq!(f.actor_id, Some(actor));
                assert_eq!(f.window_start, None);
                if f.pattern_id == every {
                    counts.0 += 1;
                } else {
                    assert_eq!(f.pattern_id, cooled);
                    counts.1 += 1;
                }
            }
        }
        assert_eq!(counts, (3, 1));
        let mut anonymous = ActivityEvent::new(Kind::ResourceDelete, "x");
        anonymous.actor_roles = vec!["admin".into()];
        let f = engine.evaluate(tenant, &anonymous, &store).await.unwrap();
        assert_eq!(f[0].group_key, NO_GROUP);
        let viewer = ActivityEvent::new(Kind::ResourceDelete, "x");
        assert_eq!(engine.matching(&viewer).count(), 0);
    }

    #[tokio::test]
    async fn distinct_and_sum_windows() {
        let store = MemoryWindows::new();
        let tenant = TenantId::new(Uuid::now_v7());
        let spray = Uuid::now_v7();
        let exfil = Uuid::now_v7();
        let engine = Engine::new([
            (
                spray,
                compile(json!({
                    "name": "One account from many addresses",
                    "condition": {"field": "action", "op": "eq", "value": "login"},
                    "window": {"minutes": 10, "per": "actor", "aggregate": {"distinct_count": {"field": "client_ip"}}, "above": 2},
                    "severity": "critical"
                })),
            ),
            (
                exfil,
                compile(json!({
                    "name": "Bulk download",
                    "condition": {"field": "method", "op": "eq", "value": "GET"},
                    "window": {"hours": 1, "per": "actor", "aggregate": {"sum": {"field": "bytes_out"}}, "above": 1000},
                    "severity": "high"
                })),
            ),
        ]);
        let t0 = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let mut fired = Vec::new();
        for (i, ip) in ["1.1.1.1", "2.2.2.2", "1.1.1.1", "3.3.3.3"]
            .iter()
            .enumerate()
        {
            let mut e = ActivityEvent::new(Kind::Auth, "login");
            e.occurred_at = t0 + TimeDelta::seconds(i as i64);
            e.actor_subject = Some("alice".into());
            e.client_ip = Some((*ip).into());
            fired.extend(
                engine
                    .evaluate(tenant, &e, &store)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|f| (i, e.id, f)),
            );
        }
        assert_eq!(fired.len(), 1);
        let (i, id, f) = &fired[0];
        assert_eq!(*i, 3);
        assert_eq!(
            (f.pattern_id, f.observed, f.group_key.as_str()),
            (spray, 3.0, "alice")
        );
        assert_eq!(
            f.event_ids,
            vec![*id],
            "distinct members are values, not events"
        );
        // A login without an address is skipped by the distinct count.
        let mut e = ActivityEvent::new(Kind::Auth, "login");
        e.actor_subject = Some("alice".into());
        e.occurred_at = t0 + TimeDelta::seconds(5);
        assert!(
            engine
                .evaluate(tenant, &e, &store)
                .await
                .unwrap()
                .is_empty()
        );

        let mut fired = Vec::new();
        for i in 0..3 {
            let mut e = ActivityEvent::new(Kind::ApiCall, "GET /api/v1/export");
            e.method = Some("GET".into());
            e.occurred_at = t0 + TimeDelta::seconds(i);
            e.actor_subject = Some("bob".into());
            e.bytes_out = Some(400);
            fired.extend(engine.evaluate(tenant, &e, &store).await.unwrap());
        }
        assert_eq!(fired.len(), 1);
        assert_eq!((fired[0].pattern_id, fired[0].observed), (exfil, 1200.0));
        assert_eq!(fired[0].event_ids.len(), 3);
        assert_eq!(fired[0].confidence, 0.6);
    }

    struct EndsWith;
    struct Suffix(String);

    impl Operator for EndsWith {
        fn name(&self) -> &str {
            "ends_with"
        }
        fn prepare(&self, value: &Value) -> Result<Box<dyn Matcher>, String> {
            match value {
                Value::String(s) => Ok(Box::new(Suffix(s.clone()))),
                _ => Err("ends_with needs a string".into()),
            }
        }
    }

    impl Matcher for Suffix {
        fn matches(&self, field: &FieldValue<'_>) -> bool {
            matches!(field, FieldValue::Str(s) if s.ends_with(&self.0))
        }
    }

    #[tokio::test]
    async fn custom_operator_in_a_pattern() {
        let ops = Operators::builtin().with(EndsWith);
        let body: PatternBody = serde_json::from_value(json!({
            "name": "PHP probes",
            "condition": {"any": [
                {"field": "path", "op": "ends_with", "value": ".php"},
                {"field": "metadata.target", "op": "ends_with", "value": ".env"}
            ]},
            "severity": "low"
        }))
        .unwrap();
        let e = body.compile(&Operators::builtin()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("condition.any[0].op: unknown operator \"ends_with\""),
            "{e}"
        );
        let mut bad = body.clone();
        bad.condition =
            serde_json::from_value(json!({"field": "path", "op": "ends_with", "value": 3}))
                .unwrap();
        assert_eq!(
            bad.compile(&ops).unwrap_err().to_string(),
            "condition.value: ends_with needs a string"
        );
        let engine = Engine::new([(Uuid::now_v7(), Arc::new(body.compile(&ops).unwrap()))]);
        let mut e = ActivityEvent::new(Kind::ApiCall, "GET");
        e.path = Some("/wp-login.php".into());
        assert_eq!(engine.matching(&e).count(), 1);
        e.path = Some("/index.html".into());
        assert_eq!(engine.matching(&e).count(), 0);
        e.metadata = json!({"target": "/app/.env"});
        assert_eq!(engine.matching(&e).count(), 1);
        let f = engine
            .evaluate(TenantId::new(Uuid::now_v7()), &e, &MemoryWindows::new())
            .await
            .unwrap();
        assert_eq!(f.len(), 1);
    }
}
