//! Recorded decisions: one row per moderated write or rescanned item, written
//! in the same transaction as the content, and the staff history query.

use crate::schema::moderation_results;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, DbConn, Page, PageRequest, ScopedFutureExt, TenantId};

use crate::ModerationError;
use crate::content::{ContentType, ModerationStatus};
use crate::moderator::Verdict;
use crate::rules::Action;
use crate::{reviews, violation_requests};

const STAFF_ONLY: &str = "only staff may read moderation results";

/// Why a decision was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Content was created or changed.
    Write,
    /// A rescan looked at existing content.
    Rescan(Uuid),
}

/// A recorded decision.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = moderation_results)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ModerationResult {
    /// Result id.
    pub id: Uuid,
    /// Kind of content.
    pub content_type: String,
    /// The content's id.
    pub content_id: Uuid,
    /// `write` or `rescan`.
    pub source: String,
    /// The rescan, for rescans.
    pub rescan_id: Option<Uuid>,
    /// Toxicity, offensive, sentiment and language scores.
    #[schema(value_type = Object)]
    pub scores: serde_json::Value,
    /// Entities found.
    #[schema(value_type = Vec<Object>)]
    pub entities: serde_json::Value,
    /// Rules matched, with spans and explanations.
    #[schema(value_type = Vec<Object>)]
    pub matches: serde_json::Value,
    /// Versions of the models behind the scores.
    #[schema(value_type = Object)]
    pub model_versions: serde_json::Value,
    /// Confidence of the decision, 0..1.
    pub confidence: f32,
    /// The most severe action called for.
    pub recommended_action: String,
    /// The action applied.
    pub applied_action: String,
    /// Custom actions to deliver.
    pub custom_actions: Vec<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// The state content takes from a decision. A rejection only reaches here
/// from a rescan (writes are refused before), and existing content is then
/// held for a person to confirm rather than removed by a rule change.
pub fn status_for(applied: &Action) -> ModerationStatus {
    match applied {
        Action::Allow | Action::Custom(_) => ModerationStatus::Approved,
        Action::Flag => ModerationStatus::Flagged,
        Action::RequireReview | Action::Reject => ModerationStatus::PendingReview,
    }
}

/// Inserts the result row of a decision, inside the caller's transaction.
/// Returns its id, or `None` when a rescan already recorded this content (a
/// retried page).
pub async fn record_only(
    conn: &mut DbConn,
    tenant: TenantId,
    content_type: ContentType,
    content_id: Uuid,
    verdict: &Verdict,
    source: Source,
) -> Result<Option<Uuid>, ModerationError> {
    let a = &verdict.analysis;
    let d = &verdict.decision;
    let id = Uuid::now_v7();
    let scores = serde_json::json!({
        "toxicity": a.toxicity,
        "offensive": a.offensive,
        "sentiment": a.sentiment,
        "language": a.language,
    });
    let (source_name, rescan_id) = match source {
        Source::Write => ("write", None),
        Source::Rescan(r) => ("rescan", Some(r)),
    };
    #[expect(
        clippy::cast_possible_truncation,
        reason = "stored as REAL (f32): a bounded score that f32 holds precisely enough"
    )]
    let confidence = d.confidence as f32;
    let inserted = diesel::insert_into(moderation_results::table)
        .values((
            moderation_results::tenant_id.eq(tenant.as_uuid()),
            moderation_results::id.eq(id),
            moderation_results::content_type.eq(content_type.as_str()),
            moderation_results::content_id.eq(content_id),
            moderation_results::source.eq(source_name),
            moderation_results::rescan_id.eq(rescan_id),
            moderation_results::scores.eq(scores),
            moderation_results::entities.eq(json(&a.entities)),
            moderation_results::matches.eq(json(&d.matched_rules)),
            moderation_results::model_versions.eq(json(&d.model_versions)),
            moderation_results::confidence.eq(confidence),
            moderation_results::recommended_action.eq(&d.recommended_action),
            moderation_results::applied_action.eq(&d.applied_action),
            moderation_results::custom_actions.eq(&d.custom_actions),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok((inserted == 1).then_some(id))
}

/// Records a write that moderation rejected, in its own transaction (the
/// write itself rolled back or never began): the result row, and a request
/// for a violation of the author ([`violation_requests`]), sourced from that
/// result so it is recorded once. `content_id` is the content's id when it
/// exists (an edit), the nil id when it was never created.
pub async fn record_rejection(
    db: &Db,
    author: &Actor,
    content_type: ContentType,
    content_id: Option<Uuid>,
    verdict: &Verdict,
) -> Result<Uuid, ModerationError> {
    let tenant = author.tenant;
    let user_id = author.user_id;
    let reason = format!(
        "{} rejected by moderation: {}",
        content_type.as_str(),
        verdict.decision.reasons().join("; ")
    );
    db.tenant_tx(tenant, |conn| {
        async move {
            let id = record_only(
                conn,
                tenant,
                content_type,
                content_id.unwrap_or(Uuid::nil()),
                verdict,
                Source::Write,
            )
            .await?
            .ok_or_else(|| ModerationError::conflict("decision already recorded"))?;
            violation_requests::enqueue(conn, tenant, user_id, id, reason).await?;
            Ok(id)
        }
        .scope_boxed()
    })
    .await
}

/// Records the decision about content being written, inside the transaction
/// writing it: the result row, and a review item when the content must wait
/// for a person (replacing any item open for earlier text). Returns the
/// status the content takes.
pub async fn record(
    conn: &mut DbConn,
    tenant: TenantId,
    content_type: ContentType,
    content_id: Uuid,
    verdict: &Verdict,
) -> Result<ModerationStatus, ModerationError> {
    let result_id = record_only(
        conn,
        tenant,
        content_type,
        content_id,
        verdict,
        Source::Write,
    )
    .await?
    .ok_or_else(|| ModerationError::conflict("decision already recorded"))?;
    let status = status_for(&verdict.decision.applied());
    reviews::supersede_open(conn, content_type, content_id).await?;
    if status == ModerationStatus::PendingReview {
        let reason = verdict.decision.reasons().join("; ");
        reviews::open(conn, tenant, content_type, content_id, result_id, &reason).await?;
    }
    Ok(status)
}

/// Filters of the result history.
#[derive(Debug, Clone, Default)]
pub struct ResultFilter {
    /// Only this kind of content.
    pub content_type: Option<ContentType>,
    /// Only this piece of content.
    pub content_id: Option<Uuid>,
    /// Only this applied action.
    pub applied_action: Option<String>,
    /// Not before.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}

/// Lists recorded decisions, newest first.
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: ResultFilter,
    page: PageRequest,
) -> Result<Page<ModerationResult>, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let mut q = moderation_results::table
                .select(ModerationResult::as_select())
                .order(moderation_results::id.desc())
                .limit(page.fetch())
                .into_boxed();
            if let Some(after) = page.after {
                q = q.filter(moderation_results::id.lt(after));
            }
            if let Some(t) = filter.content_type {
                q = q.filter(moderation_results::content_type.eq(t.as_str()));
            }
            if let Some(id) = filter.content_id {
                q = q.filter(moderation_results::content_id.eq(id));
            }
            if let Some(a) = filter.applied_action {
                q = q.filter(moderation_results::applied_action.eq(a));
            }
            if let Some(from) = filter.from {
                q = q.filter(moderation_results::created_at.ge(from));
            }
            if let Some(to) = filter.to {
                q = q.filter(moderation_results::created_at.lt(to));
            }
            let rows = q.load(conn).await?;
            Ok(page.page(rows, |r| r.id))
        }
        .scope_boxed()
    })
    .await
}

/// Reads one recorded decision.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<ModerationResult, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            moderation_results::table
                .filter(moderation_results::id.eq(id))
                .select(ModerationResult::as_select())
                .first(conn)
                .await
                .optional()?
                .ok_or(ModerationError::not_found("moderation result"))
        }
        .scope_boxed()
    })
    .await
}
