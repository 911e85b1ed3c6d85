//! Violations: recorded from a source (a moderation decision, a detection, or
//! staff by hand), placed on the tenant's ladder, enforced on the account, all
//! in one transaction with its audit row and live event.

use crate::schema::{violation_appeals, violations};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_audit::hub::{self, Topic};
use warden_audit::{ActivityEvent, Kind};
use warden_identity::rank;
use warden_tenancy::{Actor, Db, DbConn, Page, PageRequest, ScopedFutureExt, TenantId, queue};

use crate::accounts::{self, AccountChange};
use crate::model::{
    Action, Appeal, Severity, Source, SourceKind, Violation, ViolationDetail, ViolationStatus,
    ViolationType,
};
use crate::{EnforcementError, ViolationEffects, jobs, ladder, reasons, sanctions};
use warden_decisions::statements::Ground;

/// Longest reason or note.
pub const MAX_TEXT: usize = 2000;

/// A violation to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViolationRequest {
    /// The user who broke the rule.
    pub user_id: Uuid,
    /// Kind of rule broken.
    pub violation_type: ViolationType,
    /// Severity.
    pub severity: Severity,
    /// What it came from.
    pub source: Source,
    /// Why, in words.
    pub reason: String,
    /// The evidence its source recorded (a manual violation records its own).
    #[serde(default)]
    pub evidence_id: Option<Uuid>,
    /// The tenant's rule or policy broken, with its public text; the tenant's
    /// rules of the violation's kind when absent.
    #[serde(default)]
    pub ground: Option<Ground>,
    /// The content the violation removed: kind and id (no id for a write
    /// refused before it was stored).
    #[serde(default)]
    pub content: Option<(String, Option<Uuid>)>,
    /// Whether no person decided (a rule, a detection).
    #[serde(default)]
    pub automated: bool,
}

/// A violation recorded by staff (`POST /violations`).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewViolation {
    /// The user who broke the rule.
    pub user_id: Uuid,
    /// Kind of rule broken.
    #[serde(rename = "type")]
    pub violation_type: ViolationType,
    /// Severity.
    pub severity: Severity,
    /// Why, 1 to 2,000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub reason: String,
}

/// What recording a violation did.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The violation (the existing one when its source already had one).
    pub violation: Violation,
    /// Whether it already existed (nothing was done).
    pub existed: bool,
    /// The account change it caused, if any.
    pub account: Option<AccountChange>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = violations)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct Row {
    tenant_id: Uuid,
    id: Uuid,
    user_id: Uuid,
    // The column is `type`, a Rust keyword: the generated schema calls it `type_`.
    #[diesel(column_name = type_)]
    violation_type: String,
    severity: String,
    source_kind: String,
    source_id: Option<Uuid>,
    reason: String,
    action: String,
    ladder_step: i32,
    ban_until: Option<DateTime<Utc>>,
    status: String,
    resolution_note: Option<String>,
    resolved_by: Option<Uuid>,
    resolved_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    evidence_id: Option<Uuid>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = violation_appeals)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct AppealRow {
    violation_id: Uuid,
    appellant_id: Uuid,
    text: String,
    status: String,
    decided_by: Option<Uuid>,
    decision_note: Option<String>,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_violation(
        self,
        appeal: Option<Appeal>,
        user_name: Option<String>,
    ) -> Result<Violation, EnforcementError> {
        Ok(Violation {
            id: self.id,
            user_id: self.user_id,
            user_name,
            violation_type: ViolationType::parse(&self.violation_type)?,
            severity: Severity::parse(&self.severity)?,
            source: Source {
                kind: SourceKind::parse(&self.source_kind)?,
                id: self.source_id,
            },
            reason: self.reason,
            action: Action::parse(&self.action)?,
            ladder_step: self.ladder_step,
            ban_until: self.ban_until,
            status: ViolationStatus::parse(&self.status)?,
            resolution_note: self.resolution_note,
            resolved_by: self.resolved_by,
            resolved_at: self.resolved_at,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            appeal,
            evidence_id: self.evidence_id,
        })
    }
}

impl From<AppealRow> for Appeal {
    fn from(a: AppealRow) -> Self {
        Self {
            appellant_id: a.appellant_id,
            text: a.text,
            status: a.status,
            decided_by: a.decided_by,
            decision_note: a.decision_note,
            created_at: a.created_at,
            decided_at: a.decided_at,
        }
    }
}

/// Loads violations with their appeals and their users' names, in the given order.
async fn with_appeals(
    conn: &mut DbConn,
    rows: Vec<Row>,
) -> Result<Vec<Violation>, EnforcementError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let names = match rows.as_slice().first() {
        Some(first) => {
            let users: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
            warden_identity::directory::names(conn, first.tenant_id, &users).await?
        }
        None => std::collections::HashMap::new(),
    };
    let mut appeals: std::collections::HashMap<Uuid, Appeal> = violation_appeals::table
        .filter(violation_appeals::violation_id.eq_any(&ids))
        .select(AppealRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|a| (a.violation_id, Appeal::from(a)))
        .collect();
    rows.into_iter()
        .map(|r| {
            let appeal = appeals.remove(&r.id);
            let name = names.get(&r.user_id).cloned();
            r.into_violation(appeal, name)
        })
        .collect()
}

/// One violation inside a running transaction, locked for change when `lock`.
pub(crate) async fn load_one(
    conn: &mut DbConn,
    id: Uuid,
    lock: bool,
) -> Result<Violation, EnforcementError> {
    let q = violations::table
        .filter(violations::id.eq(id))
        .select(Row::as_select());
    let row = if lock {
        q.for_no_key_update().first(conn).await.optional()?
    } else {
        q.first(conn).await.optional()?
    };
    let row = row.ok_or(EnforcementError::not_found("violation"))?;
    with_appeals(conn, vec![row])
        .await?
        .pop()
        .ok_or(EnforcementError::not_found("violation"))
}

pub(crate) fn staff_roles(actor: Option<&Actor>) -> Vec<String> {
    actor
        .map(|a| a.roles.iter().map(|r| r.as_str().to_owned()).collect())
        .unwrap_or_default()
}

/// An audit event about violation `id`.
pub(crate) fn audit_event(
    action: &str,
    actor: Option<&Actor>,
    id: Uuid,
    meta: serde_json::Value,
) -> ActivityEvent {
    let mut event = ActivityEvent::new(Kind::Security, action);
    event.actor_id = actor.map(|a| a.user_id);
    event.actor_roles = staff_roles(actor);
    event.resource_type = Some("violations".into());
    event.resource_id = Some(id.to_string());
    let mut metadata = serde_json::json!({ "event": action });
    if let (Some(m), serde_json::Value::Object(extra)) = (metadata.as_object_mut(), meta) {
        m.extend(extra);
    }
    event.metadata = metadata;
    event
}

/// Publishes a violation to the tenant's live hub (inside the transaction).
pub(crate) async fn announce(
    conn: &mut DbConn,
    tenant: TenantId,
    event: &str,
    v: &Violation,
) -> Result<(), EnforcementError> {
    let data = serde_json::json!({ "event": event, "violation": v });
    hub::publish_in_tx(conn, tenant, Topic::Violation, data).await?;
    Ok(())
}

/// Whether `text` holds a character PostgreSQL text cannot store.
pub(crate) fn has_nul(text: &str) -> bool {
    text.contains('\0')
}

fn check_text(field: &str, text: &str) -> Result<String, EnforcementError> {
    let t = text.trim();
    if has_nul(t) {
        return Err(EnforcementError::invalid(format!(
            "{field}: may not contain NUL characters"
        )));
    }
    if t.is_empty() || t.chars().count() > MAX_TEXT {
        return Err(EnforcementError::invalid(format!(
            "{field}: must be 1 to {MAX_TEXT} characters"
        )));
    }
    Ok(t.to_owned())
}

/// Records a violation inside a running tenant transaction: at most one per
/// source (a second request for the same source returns the first); the user
/// row is locked so that concurrent violations of one user climb the ladder
/// one after the other. A person (`by`) must outrank the user
/// ([`warden_identity::rank::authorize`]); without one, a staff user is not banned
/// (the violation is a warning, `ban_withheld` in its audit row). A new
/// violation has its `effects` on other domains in the same transaction.
pub async fn record_in_tx(
    conn: &mut DbConn,
    tenant: TenantId,
    request: ViolationRequest,
    now: DateTime<Utc>,
    by: Option<&Actor>,
    effects: &dyn ViolationEffects,
) -> Result<Recorded, EnforcementError> {
    let reason = check_text("reason", &request.reason)?;
    let source_id = match (request.source.kind, request.source.id) {
        (SourceKind::Manual, None) => None,
        (SourceKind::Manual, Some(_)) => {
            return Err(EnforcementError::invalid(
                "source: a manual violation has no source id",
            ));
        }
        (_, None) => {
            return Err(EnforcementError::invalid(
                "source: needs the id of its source",
            ));
        }
        (_, Some(id)) => Some(id),
    };
    let target = rank::lock_target(conn, request.user_id).await?;
    if let Some(actor) = by {
        rank::authorize(actor, &target)?;
    }
    if let Some(source_id) = source_id {
        let existing: Option<Uuid> = violations::table
            .filter(violations::source_kind.eq(request.source.kind.as_str()))
            .filter(violations::source_id.eq(source_id))
            .select(violations::id)
            .first(conn)
            .await
            .optional()?;
        if let Some(id) = existing {
            return Ok(Recorded {
                violation: load_one(conn, id, false).await?,
                existed: true,
                account: None,
            });
        }
    }
    let ladder = ladder::load(conn).await?;
    let since = now - chrono::Duration::days(i64::from(ladder.window_days));
    let prior: Option<i32> = violations::table
        .filter(violations::user_id.eq(request.user_id))
        .filter(violations::status.ne(ViolationStatus::Overturned.as_str()))
        .filter(violations::created_at.gt(since))
        .filter(violations::created_at.le(now))
        .select(diesel::dsl::max(violations::ladder_step))
        .first(conn)
        .await?;
    let mut placement = ladder.place(prior.unwrap_or(0), request.severity, now);
    // Automatic enforcement records a violation of staff (it counts on the
    // ladder) but bans no one holding a staff role: a person of a higher role
    // decides, by recording a violation of their own.
    let withheld = (by.is_none()
        && placement.action != Action::Warning
        && sanctions::ban_withheld_automatically(&target))
    .then_some(placement.action);
    if withheld.is_some() {
        placement.action = Action::Warning;
        placement.ban_until = None;
    }
    let id = Uuid::now_v7();
    let evidence_id = reasons::evidence_of(
        conn,
        tenant,
        &request,
        by.map(|a| a.user_id),
        placement.action,
        now,
    )
    .await?;
    diesel::insert_into(violations::table)
        .values((
            violations::tenant_id.eq(tenant.as_uuid()),
            violations::id.eq(id),
            violations::user_id.eq(request.user_id),
            violations::type_.eq(request.violation_type.as_str()),
            violations::severity.eq(request.severity.as_str()),
            violations::source_kind.eq(request.source.kind.as_str()),
            violations::source_id.eq(source_id),
            violations::reason.eq(&reason),
            violations::action.eq(placement.action.as_str()),
            violations::ladder_step.eq(placement.step),
            violations::ban_until.eq(placement.ban_until),
            violations::created_by.eq(by.map(|a| a.user_id)),
            violations::created_at.eq(now),
            violations::updated_at.eq(now),
            violations::evidence_id.eq(evidence_id),
        ))
        .execute(conn)
        .await?;
    let violation = load_one(conn, id, false).await?;
    let statement =
        reasons::statement_of(conn, tenant, &request, &violation, ladder.appeal_days).await?;
    warden_audit::store::record_in_tx(
        conn,
        tenant,
        audit_event(
            "violation_created",
            by,
            id,
            serde_json::json!({
                "user_id": request.user_id,
                "type": request.violation_type,
                "severity": request.severity,
                "source": violation.source,
                "action": placement.action,
                "ladder_step": placement.step,
                "ban_until": placement.ban_until,
                "ban_withheld": withheld,
            }),
        ),
    )
    .await?;
    let account = accounts::apply(
        conn,
        tenant,
        request.user_id,
        now,
        "violation",
        by.map(|a| a.user_id),
    )
    .await?;
    if let Some(until) = placement.ban_until {
        // The ban ends by itself: a job at its end restores the account.
        queue::enqueue(
            conn,
            tenant,
            jobs::BAN_EXPIRY,
            serde_json::json!({ "user_id": request.user_id }),
            Some(until),
        )
        .await?;
    }
    announce(conn, tenant, "violation_created", &violation).await?;
    crate::notify::violation_created(conn, tenant, &violation, &statement).await?;
    // E.g. a severe violation lowers the offender's seller trust at once.
    effects.recorded(conn, tenant, &violation, now).await?;
    Ok(Recorded {
        violation,
        existed: false,
        account,
    })
}

/// Records a violation by hand (moderators and administrators, of users whose
/// highest role is below theirs).
pub async fn create(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    body: NewViolation,
    effects: &dyn ViolationEffects,
) -> Result<Recorded, EnforcementError> {
    if !actor.is_staff() {
        return Err(EnforcementError::forbidden(
            "only moderators and administrators may record violations",
        ));
    }
    if body.user_id == actor.user_id {
        return Err(EnforcementError::conflict(
            "you cannot record a violation against yourself",
        ));
    }
    let request = ViolationRequest {
        user_id: body.user_id,
        violation_type: body.violation_type,
        severity: body.severity,
        source: Source {
            kind: SourceKind::Manual,
            id: None,
        },
        reason: body.reason,
        evidence_id: None,
        ground: None,
        content: None,
        automated: false,
    };
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            // record_in_tx refuses a target who is not outranked by the actor.
            record_in_tx(conn, actor.tenant, request, now, Some(&actor), effects).await
        }
        .scope_boxed()
    })
    .await
}

/// Filters of the violation list.
#[derive(Clone, Debug, Default)]
pub struct ViolationFilter {
    /// Kind.
    pub violation_type: Option<ViolationType>,
    /// Severity.
    pub severity: Option<Severity>,
    /// Action taken.
    pub action: Option<Action>,
    /// Status.
    pub status: Option<ViolationStatus>,
    /// User.
    pub user_id: Option<Uuid>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub to: Option<DateTime<Utc>>,
}

/// Lists violations, newest first: staff see the tenant's, everyone else only
/// their own.
pub async fn list(
    db: &Db,
    actor: &Actor,
    mut filter: ViolationFilter,
    page: PageRequest,
) -> Result<Page<Violation>, EnforcementError> {
    if !actor.is_staff() {
        if filter.user_id.is_some_and(|u| u != actor.user_id) {
            return Err(EnforcementError::forbidden(
                "only staff may list other users' violations",
            ));
        }
        filter.user_id = Some(actor.user_id);
    }
    let items = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = violations::table
                    .select(Row::as_select())
                    .order(violations::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(violations::id.lt(after));
                }
                if let Some(t) = filter.violation_type {
                    q = q.filter(violations::type_.eq(t.as_str()));
                }
                if let Some(s) = filter.severity {
                    q = q.filter(violations::severity.eq(s.as_str()));
                }
                if let Some(a) = filter.action {
                    q = q.filter(violations::action.eq(a.as_str()));
                }
                if let Some(s) = filter.status {
                    q = q.filter(violations::status.eq(s.as_str()));
                }
                if let Some(u) = filter.user_id {
                    q = q.filter(violations::user_id.eq(u));
                }
                if let Some(f) = filter.from {
                    q = q.filter(violations::created_at.ge(f));
                }
                if let Some(t) = filter.to {
                    q = q.filter(violations::created_at.lt(t));
                }
                let rows = q.load(conn).await?;
                with_appeals(conn, rows).await
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(items, |v| v.id))
}

/// One violation with its evidence and statement of reasons: staff, or the
/// user it is about.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<ViolationDetail, EnforcementError> {
    let tenant = actor.tenant;
    let detail = db
        .tenant_tx(tenant, |conn| {
            async move {
                let v = load_one(conn, id, false).await?;
                detail_of(conn, tenant, v).await
            }
            .scope_boxed()
        })
        .await?;
    if !actor.is_staff() && detail.violation.user_id != actor.user_id {
        return Err(EnforcementError::not_found("violation"));
    }
    Ok(detail)
}

/// A violation with its evidence (while kept) and statement, inside a
/// running transaction.
pub(crate) async fn detail_of(
    conn: &mut DbConn,
    tenant: TenantId,
    violation: Violation,
) -> Result<ViolationDetail, EnforcementError> {
    let evidence = match violation.evidence_id {
        Some(e) => warden_decisions::evidence::load(conn, tenant, e).await?,
        None => None,
    };
    let statement = warden_decisions::statements::for_violation(conn, tenant, violation.id).await?;
    Ok(ViolationDetail {
        violation,
        evidence,
        statement,
    })
}

/// Resolves an open violation with notes (staff). It still counts on the ladder.
pub async fn resolve(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    id: Uuid,
    notes: String,
) -> Result<Violation, EnforcementError> {
    if !actor.is_staff() {
        return Err(EnforcementError::forbidden(
            "only moderators and administrators may resolve violations",
        ));
    }
    let notes = check_text("notes", &notes)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let v = load_one(conn, id, true).await?;
            if v.status != ViolationStatus::Open {
                return Err(EnforcementError::conflict(format!(
                    "the violation is {}; only open violations can be resolved",
                    v.status.as_str()
                )));
            }
            diesel::update(violations::table.filter(violations::id.eq(id)))
                .set((
                    violations::status.eq(ViolationStatus::Resolved.as_str()),
                    violations::resolution_note.eq(&notes),
                    violations::resolved_by.eq(actor.user_id),
                    violations::resolved_at.eq(now),
                    violations::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            warden_audit::store::record_in_tx(
                conn,
                actor.tenant,
                audit_event(
                    "violation_resolved",
                    Some(&actor),
                    id,
                    serde_json::json!({ "notes": notes }),
                ),
            )
            .await?;
            let v = load_one(conn, id, false).await?;
            announce(conn, actor.tenant, "violation_resolved", &v).await?;
            Ok(v)
        }
        .scope_boxed()
    })
    .await
}
