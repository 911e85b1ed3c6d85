//! Detections: a pattern fired for a group of events. Each keeps its evidence
//! (the events, system metrics at the time, the actor's history of detections
//! and violations); moderators confirm or dismiss them.
//!
//! A live detection becomes a violation of its actor when its confidence
//! reaches the tenant's `auto_violation_confidence` (default 0.9), or when a
//! moderator confirms it; at most one violation per detection either way.
//! Shadow detections never lead to enforcement: confirming one records that
//! the pattern was right, which is what shadow mode is for.

use crate::schema::{behavior_detections, violations};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_audit::hub::{self, Topic};
use warden_audit::store::ActivityRecord;
use warden_audit::{ActivityEvent, Kind};
use warden_decisions::evidence::{self, NewEvidence};

use warden_tenancy::{Actor, Db, DbConn, Page, PageRequest, ScopedFutureExt, TenantId};

use crate::effects::DetectionEffects;
use crate::engine::Firing;
use crate::pattern::{Mode, Severity};
use crate::violation_requests::{self, ViolationRequest};
use crate::{BehaviorError, audit_error};

/// What a caller who is not staff is told.
const STAFF_ONLY: &str = "only moderators and administrators may read and review detections";

/// Longest review note.
pub const MAX_NOTE: usize = 2000;

/// How a detection came about.
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    /// Real-time evaluation of the activity stream, whose detections have
    /// these effects in other domains (a retroactive one has none).
    Realtime(&'a dyn DetectionEffects),
    /// A backtest asked to create what it found.
    Retroactive,
}

impl Origin<'_> {
    fn as_str(self) -> &'static str {
        match self {
            Self::Realtime(_) => "realtime",
            Self::Retroactive => "retroactive",
        }
    }
}

/// A detection as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, Queryable, Selectable)]
#[diesel(table_name = behavior_detections)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Detection {
    /// Detection id.
    pub id: Uuid,
    /// The pattern (absent once the pattern is deleted).
    pub pattern_id: Option<Uuid>,
    /// The pattern's name when it fired.
    pub pattern_name: String,
    /// low, medium, high or critical.
    pub severity: String,
    /// shadow or live.
    pub mode: String,
    /// realtime or retroactive.
    pub source: String,
    /// The group the pattern counted over (actor, IP or resource).
    pub group_key: String,
    /// The acting user, when known.
    pub actor_id: Option<Uuid>,
    /// Confidence, 0..1: 1 for a pattern without a window; with one,
    /// `min(1, 0.5 + 0.5 × (observed − above) / max(above, 1))`.
    pub confidence: f32,
    /// The aggregate that crossed the threshold (1 without a window).
    pub observed: f64,
    /// The window's `above`.
    pub threshold: Option<f64>,
    /// Event ids, the triggering event, the window, system metrics and the
    /// actor's history at the time.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// open, confirmed or dismissed.
    pub status: String,
    /// The moderator who reviewed it.
    pub reviewed_by: Option<Uuid>,
    /// The reviewer's note.
    pub review_note: Option<String>,
    /// When it was reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Time of the triggering event.
    pub detected_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A detection with the activity-log records of its events.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DetectionDetail {
    /// The detection.
    #[serde(flatten)]
    pub detection: Detection,
    /// Its events as the activity log holds them.
    pub events: Vec<ActivityRecord>,
}

/// The summary of the triggering event kept in the evidence.
pub fn event_summary(e: &ActivityEvent) -> serde_json::Value {
    serde_json::json!({
        "id": e.id,
        "occurred_at": e.occurred_at,
        "action": e.action,
        "kind": e.kind.map(Kind::as_str),
        "method": e.method,
        "path": e.path,
        "status": e.status,
        "client_ip": e.client_ip,
        "actor_id": e.actor_id,
        "actor_subject": e.actor_subject,
        "resource_type": e.resource_type,
        "resource_id": e.resource_id,
    })
}

/// `v` with every NUL in its strings replaced.
fn without_nul(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => {
            serde_json::Value::String(s.replace('\0', "\u{fffd}"))
        }
        serde_json::Value::Array(a) => a.into_iter().map(without_nul).collect(),
        serde_json::Value::Object(o) => o
            .into_iter()
            .map(|(k, v)| (k.replace('\0', "\u{fffd}"), without_nul(v)))
            .collect(),
        other => other,
    }
}

/// The actor's (or group's) earlier detections and violations.
async fn history(
    conn: &mut DbConn,
    actor_id: Option<Uuid>,
    group_key: &str,
) -> Result<serde_json::Value, BehaviorError> {
    let detections: Vec<(Uuid, String, DateTime<Utc>)> = behavior_detections::table
        .filter(behavior_detections::group_key.eq(group_key))
        .select((
            behavior_detections::id,
            behavior_detections::pattern_name,
            behavior_detections::detected_at,
        ))
        .order(behavior_detections::id.desc())
        .limit(10)
        .load(conn)
        .await?;
    let detection_count: i64 = behavior_detections::table
        .filter(behavior_detections::group_key.eq(group_key))
        .count()
        .get_result(conn)
        .await?;
    let (violation_count, recent) = match actor_id {
        Some(user) => {
            let n: i64 = violations::table
                .filter(violations::user_id.eq(user))
                .count()
                .get_result(conn)
                .await?;
            let recent: Vec<(Uuid, String, String, DateTime<Utc>)> = violations::table
                .filter(violations::user_id.eq(user))
                .select((
                    violations::id,
                    violations::action,
                    violations::status,
                    violations::created_at,
                ))
                .order(violations::created_at.desc())
                .limit(10)
                .load(conn)
                .await?;
            (n, recent)
        }
        None => (0, Vec::new()),
    };
    Ok(serde_json::json!({
        "detections": {
            "count": detection_count,
            "recent": detections.iter().map(|(id, name, at)| serde_json::json!({"id": id, "pattern": name, "detected_at": at})).collect::<Vec<_>>(),
        },
        "violations": {
            "count": violation_count,
            "recent": recent.iter().map(|(id, action, status, at)| serde_json::json!({"id": id, "action": action, "status": status, "created_at": at})).collect::<Vec<_>>(),
        },
    }))
}

/// Records what `firing` of the pattern named `pattern_name` found, inside a
/// running tenant transaction: the detection with its evidence, its live
/// event, and (live, with an actor, confident enough) the request for a
/// violation. `None` when a retroactive run already created it.
pub async fn record_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    pattern_name: &str,
    firing: &Firing,
    trigger: &ActivityEvent,
    metrics: serde_json::Value,
    origin: Origin<'_>,
) -> Result<Option<Detection>, BehaviorError> {
    // Group keys and event fields come from requests; PostgreSQL text and
    // jsonb cannot hold NUL.
    let group_key = firing.group_key.replace('\0', "\u{fffd}");
    let history = history(conn, firing.actor_id, &group_key).await?;
    let evidence = serde_json::json!({
        "event_ids": firing.event_ids,
        "trigger": event_summary(trigger),
        "window": {
            "start": firing.window_start,
            "end": firing.window_end,
            "observed": firing.observed,
            "above": firing.threshold,
        },
        "metrics": metrics,
        "history": history,
    });
    let evidence = without_nul(evidence);
    let id = Uuid::now_v7();
    #[expect(
        clippy::cast_possible_truncation,
        reason = "stored as REAL (f32): a bounded score that f32 holds precisely enough"
    )]
    let confidence = firing.confidence.clamp(0.0, 1.0) as f32;
    let inserted = diesel::insert_into(behavior_detections::table)
        .values((
            behavior_detections::tenant_id.eq(tenant.as_uuid()),
            behavior_detections::id.eq(id),
            behavior_detections::pattern_id.eq(firing.pattern_id),
            behavior_detections::pattern_name.eq(pattern_name),
            behavior_detections::severity.eq(firing.severity.as_str()),
            behavior_detections::mode.eq(firing.mode.as_str()),
            behavior_detections::source.eq(origin.as_str()),
            behavior_detections::group_key.eq(&group_key),
            behavior_detections::actor_id.eq(firing.actor_id),
            behavior_detections::confidence.eq(confidence),
            behavior_detections::observed.eq(firing.observed),
            behavior_detections::threshold.eq(firing.threshold),
            behavior_detections::evidence.eq(&evidence),
            behavior_detections::detected_at.eq(firing.at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let detection = load(conn, id).await?;
    if let Origin::Realtime(effects) = origin {
        hub::publish_in_tx(
            conn,
            tenant,
            Topic::Detection,
            serde_json::to_value(&detection).unwrap_or_default(),
        )
        .await
        .map_err(audit_error)?;
        let auto_violation_confidence = effects.auto_violation_confidence(conn).await?;
        if firing.mode == Mode::Live && firing.confidence >= auto_violation_confidence {
            request_violation(conn, tenant, &detection).await?;
        }
        if firing.mode == Mode::Live {
            notify_staff(conn, tenant, &detection).await?;
            // A live detection about a seller moves their trust risk.
            if let Some(actor) = detection.actor_id {
                effects.detections_changed(conn, tenant, actor).await?;
            }
        }
    }
    Ok(Some(detection))
}

/// Tells staff of a live detection (once per pattern and group within the
/// tenant's de-duplication window); shadow detections are for measuring a
/// pattern and stay quiet.
async fn notify_staff(
    conn: &mut DbConn,
    tenant: TenantId,
    d: &Detection,
) -> Result<(), BehaviorError> {
    use warden_notifications::model::{EventKind, Priority};
    use warden_notifications::raise::{NotificationRequest, Recipients, raise};
    let priority = match d.severity.as_str() {
        "critical" => Priority::Urgent,
        "high" => Priority::High,
        "medium" => Priority::Medium,
        _ => Priority::Low,
    };
    let request = NotificationRequest {
        recipients: Recipients::Staff,
        kind: EventKind::Detection,
        priority,
        category: "behavior".into(),
        title: format!("Behavior pattern \"{}\" fired", d.pattern_name),
        body: format!(
            "{} (observed {}, confidence {:.2})",
            d.group_key, d.observed, d.confidence
        ),
        data: serde_json::json!({
            "detection_id": d.id,
            "pattern": d.pattern_name,
            "target_user": d.actor_id,
            "group": d.group_key,
        }),
        event_key: Some(format!(
            "detection:{}:{}",
            d.pattern_id.unwrap_or_default(),
            d.group_key
        )),
        security: d.severity == "critical",
        channels: None,
    };
    raise(conn, tenant, &request)
        .await
        .map_err(crate::convert::notification_error)?;
    Ok(())
}

/// Asks for the violation of a live detection with an actor
/// ([`violation_requests`]).
async fn request_violation(
    conn: &mut DbConn,
    tenant: TenantId,
    d: &Detection,
) -> Result<(), BehaviorError> {
    let (Some(user_id), "live") = (d.actor_id, d.mode.as_str()) else {
        return Ok(());
    };
    let severity = Severity::parse(&d.severity).ok_or_else(|| {
        BehaviorError::invalid(format!(
            "Severity: unknown value {:?} (one of low, medium, high, critical)",
            d.severity
        ))
    })?;
    // What the violation is decided on: the detection's events, kept with
    // the decision (a moderator's, when one confirmed it).
    let evidence = NewEvidence {
        user_id: Some(user_id),
        decision: "detection".into(),
        rules: serde_json::json!([{
            "name": d.pattern_name,
            "pattern_id": d.pattern_id,
            "severity": d.severity,
            "observed": d.observed,
            "threshold": d.threshold,
            "confidence": d.confidence,
        }]),
        events: d.evidence.clone(),
        decided_by: d.reviewed_by,
        decided_at: d.reviewed_at.unwrap_or(d.detected_at),
        ..NewEvidence::default()
    };
    let evidence_id = evidence::record_in_tx(conn, tenant, evidence).await?;
    let request = ViolationRequest {
        user_id,
        detection_id: d.id,
        severity,
        reason: format!(
            "behavior pattern \"{}\" fired (observed {}, confidence {:.2})",
            d.pattern_name, d.observed, d.confidence
        ),
        pattern_name: d.pattern_name.clone(),
        evidence_id: Some(evidence_id),
        confirmed_by: d.reviewed_by,
    };
    violation_requests::enqueue(conn, tenant, &request).await
}

async fn load(conn: &mut DbConn, id: Uuid) -> Result<Detection, BehaviorError> {
    behavior_detections::table
        .filter(behavior_detections::id.eq(id))
        .select(Detection::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(BehaviorError::not_found("detection"))
}

/// Filters of the detection list.
#[derive(Clone, Debug, Default)]
pub struct DetectionFilter {
    /// open, confirmed or dismissed.
    pub status: Option<String>,
    /// Only this pattern's.
    pub pattern_id: Option<Uuid>,
    /// Only this actor's.
    pub actor_id: Option<Uuid>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Detected at or after.
    pub from: Option<DateTime<Utc>>,
    /// Detected before.
    pub to: Option<DateTime<Utc>>,
}

/// Lists detections, newest first (staff).
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: DetectionFilter,
    page: PageRequest,
) -> Result<Page<Detection>, BehaviorError> {
    actor.require_staff(STAFF_ONLY)?;
    if let Some(s) = &filter.status
        && !["open", "confirmed", "dismissed"].contains(&s.as_str())
    {
        return Err(BehaviorError::invalid(format!(
            "status: unknown value {s:?} (one of open, confirmed, dismissed)"
        )));
    }
    let rows: Vec<Detection> = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = behavior_detections::table
                    .select(Detection::as_select())
                    .order(behavior_detections::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(behavior_detections::id.lt(after));
                }
                if let Some(s) = filter.status {
                    q = q.filter(behavior_detections::status.eq(s));
                }
                if let Some(p) = filter.pattern_id {
                    q = q.filter(behavior_detections::pattern_id.eq(p));
                }
                if let Some(a) = filter.actor_id {
                    q = q.filter(behavior_detections::actor_id.eq(a));
                }
                if let Some(s) = filter.severity {
                    q = q.filter(behavior_detections::severity.eq(s.as_str()));
                }
                if let Some(f) = filter.from {
                    q = q.filter(behavior_detections::detected_at.ge(f));
                }
                if let Some(t) = filter.to {
                    q = q.filter(behavior_detections::detected_at.lt(t));
                }
                Ok::<_, BehaviorError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |d| d.id))
}

/// Reads one detection with its events (staff).
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<DetectionDetail, BehaviorError> {
    actor.require_staff(STAFF_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let detection = load(conn, id).await?;
            let ids: Vec<Uuid> = detection.evidence["event_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
                .unwrap_or_default();
            let events = warden_audit::store::load(conn, &ids)
                .await
                .map_err(audit_error)?;
            Ok(DetectionDetail { detection, events })
        }
        .scope_boxed()
    })
    .await
}

/// A moderator's review of a detection.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `confirmed` or `dismissed`.
    pub status: ReviewOutcome,
    /// A note, up to 2,000 characters.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub note: String,
}

/// The outcome of a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// The pattern was right.
    Confirmed,
    /// A false positive.
    Dismissed,
}

/// Reviews an open detection (staff). Confirming a live detection with an
/// actor asks for a violation (once per detection); a detection with an actor
/// has its `effects` in other domains.
pub async fn review(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    body: ReviewBody,
    effects: &dyn DetectionEffects,
) -> Result<Detection, BehaviorError> {
    actor.require_staff(STAFF_ONLY)?;
    if body.note.chars().count() > MAX_NOTE || body.note.contains('\0') {
        return Err(BehaviorError::invalid(format!(
            "note: at most {MAX_NOTE} characters, without NUL"
        )));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let status = match body.status {
                ReviewOutcome::Confirmed => "confirmed",
                ReviewOutcome::Dismissed => "dismissed",
            };
            if load(conn, id).await?.actor_id == Some(actor.user_id) {
                return Err(BehaviorError::forbidden(
                    "you cannot review a detection about yourself",
                ));
            }
            let n = diesel::update(
                behavior_detections::table
                    .filter(behavior_detections::id.eq(id))
                    .filter(behavior_detections::status.eq("open")),
            )
            .set((
                behavior_detections::status.eq(status),
                behavior_detections::reviewed_by.eq(actor.user_id),
                behavior_detections::review_note.eq(body.note.trim()),
                behavior_detections::reviewed_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
            if n == 0 {
                let d = load(conn, id).await?;
                return Err(BehaviorError::conflict(format!(
                    "the detection was already reviewed ({})",
                    d.status
                )));
            }
            let mut event = ActivityEvent::new(Kind::Security, "detection_reviewed");
            event.actor_id = Some(actor.user_id);
            event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
            event.resource_type = Some("behavior".into());
            event.resource_id = Some(id.to_string());
            event.metadata = serde_json::json!({ "event": "detection_reviewed", "status": status, "note": body.note.trim() });
            warden_audit::store::record_in_tx(conn, actor.tenant, event)
                .await
                .map_err(audit_error)?;
            let d = load(conn, id).await?;
            if body.status == ReviewOutcome::Confirmed {
                request_violation(conn, actor.tenant, &d).await?;
            }
            // A dismissed (or confirmed) detection moves the seller's trust risk.
            if let Some(subject) = d.actor_id {
                effects
                    .detections_changed(conn, actor.tenant, subject)
                    .await?;
            }
            Ok(d)
        }
        .scope_boxed()
    })
    .await
}
