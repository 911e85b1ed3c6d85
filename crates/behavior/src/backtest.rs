//! Backtests: a pattern evaluated over the stored activity log for a time
//! range, in event order, with fresh in-memory windows, reporting what it
//! would have detected. Nothing is changed unless `create` asks for the
//! detections to be recorded (a retroactive run, idempotent, never enforced).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_audit::store::ActivityRecord;
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, ScopedFutureExt, TenantId};

use crate::detections::{self, Origin};
use crate::engine::{Engine, Firing};
use crate::operators::Operators;
use crate::windows::MemoryWindows;
use crate::{BehaviorError, store};

/// Events read per page.
const PAGE: i64 = 5000;
/// Most events one backtest reads.
pub const MAX_EVENTS: u64 = 2_000_000;
/// Detections listed in the report (all are counted).
pub const SAMPLE: usize = 100;
/// Most detections one retroactive run may create.
pub const MAX_CREATE: u64 = 1000;

/// `POST /behavior/patterns/{id}/backtest`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestRequest {
    /// Start (inclusive); a backtest reads at most the 31 days before `to`,
    /// so an earlier start is raised (the report gives the range read).
    pub from: DateTime<Utc>,
    /// End (exclusive); at or before `from`, the range is empty.
    pub to: DateTime<Utc>,
    /// Record the detections found (retroactive run; no enforcement).
    #[serde(default)]
    pub create: bool,
}

/// One detection a backtest found.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BacktestHit {
    /// The group.
    pub group_key: String,
    /// The acting user, when known.
    pub actor_id: Option<Uuid>,
    /// Time of the triggering event.
    pub at: DateTime<Utc>,
    /// The aggregate.
    pub observed: f64,
    /// Confidence.
    pub confidence: f64,
    /// Events.
    pub event_ids: Vec<Uuid>,
}

/// What a backtest found.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BacktestReport {
    /// The pattern.
    pub pattern_id: Uuid,
    /// Start of the range read.
    pub from: DateTime<Utc>,
    /// End of the range read.
    pub to: DateTime<Utc>,
    /// Events read from the log.
    pub events_scanned: u64,
    /// Events the condition matched.
    pub events_matched: u64,
    /// Detections the pattern would have made.
    pub detections: u64,
    /// Distinct groups among them.
    pub groups: u64,
    /// True when the range held more than the events a backtest reads.
    pub truncated: bool,
    /// The first detections, oldest first.
    pub sample: Vec<BacktestHit>,
    /// Detections recorded (with `create`; repeats of an earlier run are not recorded twice).
    pub created: u64,
}

/// An activity-log record as the event it was.
pub fn to_event(r: ActivityRecord) -> ActivityEvent {
    ActivityEvent {
        id: r.id,
        occurred_at: r.occurred_at,
        tenant: Some(TenantId::new(r.tenant_id)),
        claimed_tenant: None,
        request_id: r.request_id,
        client_request_id: r.client_request_id,
        actor_id: r.actor_id,
        actor_subject: r.actor_subject,
        actor_roles: r.actor_roles,
        kind: Kind::parse(&r.kind),
        action: r.action,
        method: r.method,
        route: r.route,
        path: r.path,
        status: r.status.and_then(|s| u16::try_from(s).ok()),
        latency_us: r.latency_us,
        bytes_in: r.bytes_in,
        bytes_out: r.bytes_out,
        client_ip: r.client_ip,
        user_agent: r.user_agent,
        resource_type: r.resource_type,
        resource_id: r.resource_id,
        metadata: r.metadata,
    }
}

async fn page(
    db: &Db,
    tenant: TenantId,
    after: Option<(DateTime<Utc>, Uuid)>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ActivityRecord>, BehaviorError> {
    db.tenant_tx(tenant, |conn| {
        async move {
            Ok::<_, BehaviorError>(
                warden_audit::store::in_range(conn, tenant, after, from, to, PAGE).await?,
            )
        }
        .scope_boxed()
    })
    .await
}

/// The range a backtest reads: at most the 31 days before `to`. A `to` at
/// the earliest instant chrono represents (the request may say any date)
/// has no 31 days before it, and reads from there.
fn read_range(from: DateTime<Utc>, to: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let earliest = to
        .checked_sub_signed(chrono::Duration::days(31))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    (from.max(earliest).min(to), to)
}

/// Runs pattern `id` over the tenant's log in `[from, to)` (staff; `create`
/// needs a tenant administrator).
pub async fn backtest(
    db: &Db,
    actor: &Actor,
    operators: &Operators,
    id: Uuid,
    request: BacktestRequest,
) -> Result<BacktestReport, BehaviorError> {
    if !actor.is_staff() || (request.create && !actor.is_admin()) {
        return Err(BehaviorError::forbidden(
            "backtests are for moderators and administrators; creating detections for administrators",
        ));
    }
    // A backtest covers at most the 31 days before `to` (an earlier `from` is
    // raised; the report says the range it read); `from` at or after `to` is
    // an empty range, which reads nothing.
    let (from, to) = read_range(request.from, request.to);
    let pattern = store::get(db, actor, id).await?;
    let mut body = pattern.body.clone();
    // A disabled pattern is backtested as if it were on: that is what a backtest is for.
    body.enabled = true;
    let compiled = Arc::new(body.compile(operators)?);
    let engine = Engine::new(vec![(id, Arc::clone(&compiled))]);
    let windows = MemoryWindows::new();
    let tenant = actor.tenant;
    let mut report = BacktestReport {
        pattern_id: id,
        from,
        to,
        events_scanned: 0,
        events_matched: 0,
        detections: 0,
        groups: 0,
        truncated: false,
        sample: Vec::new(),
        created: 0,
    };
    let mut groups = HashSet::new();
    let mut found: Vec<(Firing, ActivityEvent)> = Vec::new();
    let mut after = None;
    loop {
        let rows = page(db, tenant, after, from, to).await?;
        let last_page = rows.len() < usize::try_from(PAGE).unwrap_or(usize::MAX);
        for row in rows {
            let event = to_event(row);
            after = Some((event.occurred_at, event.id));
            report.events_scanned += 1;
            if compiled.matches(&event) {
                report.events_matched += 1;
            }
            for firing in engine.evaluate(tenant, &event, &windows).await? {
                report.detections += 1;
                groups.insert(firing.group_key.clone());
                if report.sample.len() < SAMPLE {
                    report.sample.push(BacktestHit {
                        group_key: firing.group_key.clone(),
                        actor_id: firing.actor_id,
                        at: firing.at,
                        observed: firing.observed,
                        confidence: firing.confidence,
                        event_ids: firing.event_ids.clone(),
                    });
                }
                if request.create && report.detections <= MAX_CREATE {
                    found.push((firing, event.clone()));
                }
            }
            if report.events_scanned >= MAX_EVENTS {
                report.truncated = true;
                break;
            }
        }
        if last_page || report.truncated {
            break;
        }
    }
    report.groups = groups.len() as u64;
    if request.create && report.detections > MAX_CREATE {
        return Err(BehaviorError::invalid(format!(
            "create: the pattern would create {} detections; a retroactive run creates at most {MAX_CREATE} (narrow the range or the pattern)",
            report.detections
        )));
    }
    if request.create {
        let name = pattern.body.name.clone();
        report.created = db
            .tenant_tx(tenant, |conn| {
                async move {
                    let mut created = 0;
                    for (firing, event) in &found {
                        let recorded = detections::record_in_tx(
                            conn,
                            tenant,
                            &name,
                            firing,
                            event,
                            serde_json::json!({ "retroactive": true }),
                            Origin::Retroactive,
                        )
                        .await?;
                        created += u64::from(recorded.is_some());
                    }
                    Ok::<_, BehaviorError>(created)
                }
                .scope_boxed()
            })
            .await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same overflow as the engine's window start (found by
    /// `fuzz/fuzz_targets/behavior_pattern.rs`): a backtest request with `to`
    /// at the earliest instant panicked on `to - 31 days`.
    #[test]
    fn regression_range_at_the_start_of_time() {
        let min = DateTime::<Utc>::MIN_UTC;
        assert_eq!(read_range(min, min), (min, min));
        let to = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let month = to - chrono::Duration::days(31);
        assert_eq!(read_range(min, to), (month, to));
        assert_eq!(
            read_range(to, month),
            (month, month),
            "from after to: empty"
        );
    }
}
