//! Appeals: the affected user may appeal a violation once, within the
//! tenant's appeal period; a moderator upholds it (the violation stands,
//! resolved) or overturns it (the violation no longer counts and the account
//! is brought back in line, which lifts the ban it caused).

use crate::schema::{violation_appeals, violations};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, ScopedFutureExt};

use crate::accounts::{self, AccountChange};
use crate::model::{Violation, ViolationDetail, ViolationStatus};
use crate::violations::{MAX_TEXT, announce, audit_event, detail_of, has_nul, load_one};
use crate::{EnforcementError, ViolationEffects, ladder};

/// An appeal (`POST /violations/{id}/appeal`).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAppeal {
    /// Why the violation is wrong, 1 to 2,000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub text: String,
}

/// A moderator's answer to an appeal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppealOutcome {
    /// The violation stands.
    Uphold,
    /// The violation is void and its enforcement step reverted.
    Overturn,
}

/// `POST /violations/{id}/appeal/decision`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecision {
    /// Uphold or overturn.
    pub decision: AppealOutcome,
    /// The moderator's note, up to 2,000 characters.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub note: String,
}

fn within(text: &str, min: usize) -> bool {
    let n = text.trim().chars().count();
    n >= min && n <= MAX_TEXT && !has_nul(text)
}

/// Files the appeal of violation `id` by the user it is about.
pub async fn appeal(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    id: Uuid,
    body: NewAppeal,
) -> Result<Violation, EnforcementError> {
    if !within(&body.text, 1) {
        return Err(EnforcementError::invalid(format!(
            "text: must be 1 to {MAX_TEXT} characters, without NUL"
        )));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let v = load_one(conn, id, true).await?;
            if v.user_id != actor.user_id {
                // Existence is not disclosed to others; staff see it but may not appeal for the user.
                return Err(if actor.is_staff() {
                    EnforcementError::forbidden("only the affected user may appeal")
                } else {
                    EnforcementError::not_found("violation")
                });
            }
            if v.appeal.is_some() {
                return Err(EnforcementError::conflict(
                    "this violation was already appealed; a violation may be appealed once",
                ));
            }
            if v.status == ViolationStatus::Overturned {
                return Err(EnforcementError::conflict("the violation was overturned"));
            }
            let ladder = ladder::load(conn).await?;
            let deadline = v.created_at + chrono::Duration::days(i64::from(ladder.appeal_days));
            if now > deadline {
                return Err(EnforcementError::conflict(format!(
                    "the appeal period of {} days ended at {}",
                    ladder.appeal_days,
                    deadline.to_rfc3339()
                )));
            }
            diesel::insert_into(violation_appeals::table)
                .values((
                    violation_appeals::tenant_id.eq(actor.tenant.as_uuid()),
                    violation_appeals::violation_id.eq(id),
                    violation_appeals::appellant_id.eq(actor.user_id),
                    violation_appeals::text.eq(body.text.trim()),
                    violation_appeals::created_at.eq(now),
                ))
                .execute(conn)
                .await?;
            diesel::update(violations::table.filter(violations::id.eq(id)))
                .set((
                    violations::status.eq(ViolationStatus::Appealed.as_str()),
                    violations::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            warden_audit::store::record_in_tx(
                conn,
                actor.tenant,
                audit_event(
                    "violation_appealed",
                    Some(&actor),
                    id,
                    serde_json::json!({}),
                ),
            )
            .await?;
            let v = load_one(conn, id, false).await?;
            announce(conn, actor.tenant, "violation_appealed", &v).await?;
            Ok(v)
        }
        .scope_boxed()
    })
    .await
}

/// Decides a pending appeal (moderators and administrators, not the appellant).
/// Returns the violation and the account change an overturn caused; an
/// overturn has its `effects` on other domains in the same transaction.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    now: DateTime<Utc>,
    id: Uuid,
    body: AppealDecision,
    effects: &dyn ViolationEffects,
) -> Result<(ViolationDetail, Option<AccountChange>), EnforcementError> {
    if !actor.is_staff() {
        return Err(EnforcementError::forbidden(
            "only moderators and administrators may decide appeals",
        ));
    }
    if !within(&body.note, 0) {
        return Err(EnforcementError::invalid(format!(
            "note: at most {MAX_TEXT} characters, without NUL"
        )));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let v = load_one(conn, id, true).await?;
            let Some(appeal) = &v.appeal else {
                return Err(EnforcementError::conflict("this violation has no appeal"));
            };
            if appeal.status != "pending" {
                return Err(EnforcementError::conflict(format!(
                    "the appeal was already decided ({})",
                    appeal.status
                )));
            }
            if appeal.appellant_id == actor.user_id {
                return Err(EnforcementError::forbidden(
                    "you cannot decide your own appeal",
                ));
            }
            if v.created_by == Some(actor.user_id) {
                return Err(EnforcementError::forbidden(
                    "the moderator who recorded a violation does not decide its appeal",
                ));
            }
            let note = body.note.trim().to_owned();
            let (appeal_status, status) = match body.decision {
                AppealOutcome::Uphold => ("upheld", ViolationStatus::Resolved),
                AppealOutcome::Overturn => ("overturned", ViolationStatus::Overturned),
            };
            diesel::update(violation_appeals::table.filter(violation_appeals::violation_id.eq(id)))
                .set((
                    violation_appeals::status.eq(appeal_status),
                    violation_appeals::decided_by.eq(actor.user_id),
                    violation_appeals::decision_note.eq(&note),
                    violation_appeals::decided_at.eq(now),
                ))
                .execute(conn)
                .await?;
            diesel::update(violations::table.filter(violations::id.eq(id)))
                .set((
                    violations::status.eq(status.as_str()),
                    violations::resolution_note.eq(&note),
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
                    "appeal_decided",
                    Some(&actor),
                    id,
                    serde_json::json!({ "decision": appeal_status, "note": note }),
                ),
            )
            .await?;
            let change = if status == ViolationStatus::Overturned {
                accounts::apply(
                    conn,
                    actor.tenant,
                    v.user_id,
                    now,
                    "overturned",
                    Some(actor.user_id),
                )
                .await?
            } else {
                None
            };
            if status == ViolationStatus::Overturned {
                // E.g. an overturned violation no longer weighs on the seller's trust.
                effects.overturned(conn, actor.tenant, v.user_id).await?;
            }
            let v = load_one(conn, id, false).await?;
            announce(conn, actor.tenant, "appeal_decided", &v).await?;
            crate::notify::appeal_decided(conn, actor.tenant, &v, appeal_status).await?;
            // The decision shows what it was made on.
            Ok((detail_of(conn, actor.tenant, v).await?, change))
        }
        .scope_boxed()
    })
    .await
}
