//! Window and cooldown state: in process ([`MemoryWindows`]) or shared by
//! several replicas through Redis ([`RedisWindows`]).
//!
//! Everything is keyed by event time (milliseconds since the epoch, as given
//! by the caller), never by the wall clock, so tests and backtests can replay
//! events with synthetic timestamps. A window reading at `at_ms` covers the
//! half-open interval `(at_ms - window_ms, at_ms]`.
//!
//! Members: for `count` and `sum` the member is the event id (adding the same
//! event twice counts it once); for `distinct_count` it is the distinct value,
//! re-stamped with the later time when it repeats.

mod memory;
mod redis;

use async_trait::async_trait;
use uuid::Uuid;
use warden_tenancy::TenantId;

pub use self::memory::MemoryWindows;
pub use self::redis::RedisWindows;
use crate::error::BehaviorError;
pub use crate::window::AggregateKind;

/// How many recent members a [`WindowReading`] carries at most.
pub const RECENT_MEMBERS: usize = 20;

/// A window's state right after an add.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowReading {
    /// The aggregate over the window.
    pub value: f64,
    /// Up to [`RECENT_MEMBERS`] members in the window, newest first (event ids
    /// for count and sum, values for distinct count).
    pub recent: Vec<String>,
}

/// Where window and cooldown state lives.
#[async_trait]
pub trait WindowStore: Send + Sync {
    /// Adds a matching event at event time `at_ms` to the window `key`
    /// (length `window_ms`) and returns the aggregate over
    /// `(at_ms - window_ms, at_ms]` plus up to [`RECENT_MEMBERS`] most recent
    /// members in that range. `member`/`value` come from
    /// [`crate::CompiledWindow::aggregate_input`].
    async fn add(
        &self,
        key: &str,
        at_ms: i64,
        window_ms: i64,
        aggregate: AggregateKind,
        member: &str,
        value: f64,
    ) -> Result<WindowReading, BehaviorError>;

    /// Starts a cooldown of `cooldown_ms` for `key` unless one is running at
    /// event time `at_ms`; true when it started (so the detection may fire).
    async fn try_start_cooldown(
        &self,
        key: &str,
        at_ms: i64,
        cooldown_ms: i64,
    ) -> Result<bool, BehaviorError>;
}

/// The window key of `group` for a pattern of a tenant. The tenant is in a
/// Redis Cluster hash tag (`{tenant}`), so a tenant's keys share a slot.
pub fn window_key(tenant: TenantId, pattern_id: Uuid, group: &str) -> String {
    format!("{{{tenant}}}:w:{pattern_id}:{group}")
}

/// The cooldown key of `group` for a pattern of a tenant.
pub fn cooldown_key(tenant: TenantId, pattern_id: Uuid, group: &str) -> String {
    format!("{{{tenant}}}:c:{pattern_id}:{group}")
}

/// Shared behaviour tests, run against each store.
#[cfg(test)]
pub(crate) mod conformance {
    use super::*;

    fn key(name: &str) -> String {
        window_key(TenantId::new(Uuid::now_v7()), Uuid::now_v7(), name)
    }

    pub(crate) async fn count_expires_by_event_time(store: &dyn WindowStore) {
        let k = key("count");
        let t0 = 1_700_000_000_000;
        let ids: Vec<String> = (0..5).map(|_| Uuid::now_v7().to_string()).collect();
        for (i, id) in ids.iter().enumerate() {
            let r = store
                .add(
                    &k,
                    t0 + i as i64 * 1000,
                    3000,
                    AggregateKind::Count,
                    id,
                    1.0,
                )
                .await
                .unwrap();
            // The window (at - 3000, at] holds at most 3 events 1 s apart.
            assert_eq!(r.value, (i + 1).min(3) as f64, "event {i}");
            assert_eq!(r.recent.first(), Some(id), "newest first");
            assert_eq!(r.recent.len(), (i + 1).min(3));
        }
        // The same event again counts once.
        let r = store
            .add(&k, t0 + 4000, 3000, AggregateKind::Count, &ids[4], 1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 3.0);
        // Much later: everything before has expired.
        let r = store
            .add(&k, t0 + 60_000, 3000, AggregateKind::Count, "late", 1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 1.0);
        assert_eq!(r.recent, vec!["late".to_owned()]);
        // Exactly window_ms after an event, that event is out: (at - w, at].
        let k = key("edge");
        store
            .add(&k, 0, 1000, AggregateKind::Count, "a", 1.0)
            .await
            .unwrap();
        let r = store
            .add(&k, 999, 1000, AggregateKind::Count, "b", 1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 2.0);
        let r = store
            .add(&k, 1000, 1000, AggregateKind::Count, "c", 1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 2.0);
        assert_eq!(r.recent, vec!["c".to_owned(), "b".to_owned()]);
    }

    pub(crate) async fn recent_is_capped(store: &dyn WindowStore) {
        let k = key("many");
        let mut last = None;
        for i in 0..30 {
            last = Some(
                store
                    .add(
                        &k,
                        10_000 + i,
                        60_000,
                        AggregateKind::Count,
                        &format!("m{i:02}"),
                        1.0,
                    )
                    .await
                    .unwrap(),
            );
        }
        let r = last.unwrap();
        assert_eq!(r.value, 30.0);
        assert_eq!(r.recent.len(), RECENT_MEMBERS);
        assert_eq!(r.recent[0], "m29");
        assert_eq!(r.recent[19], "m10");
    }

    pub(crate) async fn sums(store: &dyn WindowStore) {
        let k = key("sum");
        let r = store
            .add(&k, 1_000, 10_000, AggregateKind::Sum, "e1", 1500.0)
            .await
            .unwrap();
        assert_eq!(r.value, 1500.0);
        let r = store
            .add(&k, 2_000, 10_000, AggregateKind::Sum, "e2", 0.25)
            .await
            .unwrap();
        assert_eq!(r.value, 1500.25);
        assert_eq!(r.recent, vec!["e2".to_owned(), "e1".to_owned()]);
        let r = store
            .add(&k, 2_000, 10_000, AggregateKind::Sum, "e2", 0.25)
            .await
            .unwrap();
        assert_eq!(r.value, 1500.25, "the same event once");
        let r = store
            .add(&k, 11_500, 10_000, AggregateKind::Sum, "e3", 4.0)
            .await
            .unwrap();
        assert_eq!(r.value, 4.25, "e1 expired");
        let r = store
            .add(&k, 11_900, 10_000, AggregateKind::Sum, "e4", -1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 3.25);
    }

    pub(crate) async fn distinct_counts(store: &dyn WindowStore) {
        let k = key("distinct");
        let add = |at: i64, v: &'static str| {
            let k = k.clone();
            async move {
                store
                    .add(&k, at, 10_000, AggregateKind::DistinctCount, v, 1.0)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(add(1_000, "1.1.1.1").await.value, 1.0);
        assert_eq!(add(2_000, "2.2.2.2").await.value, 2.0);
        assert_eq!(
            add(3_000, "1.1.1.1").await.value,
            2.0,
            "a repeat is not new"
        );
        // At 12.5 s, 2.2.2.2 (seen at 2 s) is out, 1.1.1.1 was re-stamped at 3 s.
        let r = add(12_500, "3.3.3.3").await;
        assert_eq!(r.value, 2.0);
        assert_eq!(r.recent, vec!["3.3.3.3".to_owned(), "1.1.1.1".to_owned()]);
        assert_eq!(add(14_000, "3.3.3.3").await.value, 1.0);
    }

    pub(crate) async fn cooldowns(store: &dyn WindowStore) {
        let k = cooldown_key(TenantId::new(Uuid::now_v7()), Uuid::now_v7(), "ip:1.2.3.4");
        let t0 = 1_700_000_000_000;
        assert!(store.try_start_cooldown(&k, t0, 300_000).await.unwrap());
        assert!(!store.try_start_cooldown(&k, t0 + 1, 300_000).await.unwrap());
        assert!(
            !store
                .try_start_cooldown(&k, t0 + 299_999, 300_000)
                .await
                .unwrap()
        );
        assert!(
            store
                .try_start_cooldown(&k, t0 + 300_000, 300_000)
                .await
                .unwrap()
        );
        assert!(
            !store
                .try_start_cooldown(&k, t0 + 300_001, 300_000)
                .await
                .unwrap()
        );
        let other = cooldown_key(TenantId::new(Uuid::now_v7()), Uuid::now_v7(), "ip:1.2.3.4");
        assert!(
            store
                .try_start_cooldown(&other, t0 + 1, 300_000)
                .await
                .unwrap()
        );
    }

    pub(crate) async fn out_of_order(store: &dyn WindowStore) {
        let k = key("late-arrival");
        store
            .add(&k, 5_000, 3_000, AggregateKind::Sum, "b", 2.0)
            .await
            .unwrap();
        // An older event arriving late sees only its own window (1000, 4000].
        let r = store
            .add(&k, 4_000, 3_000, AggregateKind::Sum, "a", 1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 1.0);
        assert_eq!(r.recent, vec!["a".to_owned()]);
        let r = store
            .add(&k, 6_000, 3_000, AggregateKind::Sum, "c", 4.0)
            .await
            .unwrap();
        assert_eq!(r.value, 7.0);
        let r = store
            .add(&k, 6_500, 3_000, AggregateKind::Count, "d", 1.0)
            .await
            .unwrap();
        assert_eq!(r.value, 4.0);
    }

    pub(crate) async fn all(store: &dyn WindowStore) {
        out_of_order(store).await;
        count_expires_by_event_time(store).await;
        recent_is_capped(store).await;
        sums(store).await;
        distinct_counts(store).await;
        cooldowns(store).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_tenant_hash_tag() {
        let t = TenantId::new(Uuid::nil());
        let p = Uuid::nil();
        assert_eq!(
            window_key(t, p, "ip:1.2.3.4"),
            "{00000000-0000-0000-0000-000000000000}:w:00000000-0000-0000-0000-000000000000:ip:1.2.3.4"
        );
        assert!(cooldown_key(t, p, "g").starts_with("{00000000-0000-0000-0000-000000000000}:c:"));
    }
}
