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
use crate::reviews;
use crate::rules::Action;
use crate::violation_requests::{ViolationRequest, ViolationSink};
use warden_decisions::evidence::{self, ContentSnapshot, NewEvidence};
use warden_decisions::statements::{self, DecisionKind, Ground, NewStatement};

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
    /// The decision's evidence (for flags, holds and rejections, until the
    /// retention deletes it).
    pub evidence_id: Option<Uuid>,
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

/// Whether a decision restricts the content (and so keeps evidence): a
/// flag, a hold for review, a rejection.
pub fn restricts(applied: &Action) -> bool {
    matches!(
        applied,
        Action::Flag | Action::RequireReview | Action::Reject
    )
}

/// The content a decision is about.
#[derive(Debug, Clone, Copy)]
pub struct Judged {
    /// Its kind.
    pub content_type: ContentType,
    /// Its id; `None` for a write refused before it was stored.
    pub content_id: Option<Uuid>,
    /// Who wrote it, when a person did.
    pub author: Option<Uuid>,
}

/// A recorded decision.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    /// The result row.
    pub result_id: Uuid,
    /// Its evidence, when the decision restricts.
    pub evidence_id: Option<Uuid>,
}

/// Inserts the result row of a decision, inside the caller's transaction.
/// A decision that restricts keeps its evidence (the text as judged, scores,
/// rules with spans). Returns what was recorded, or `None` when a rescan
/// already recorded this content (a retried page).
pub async fn record_only(
    conn: &mut DbConn,
    tenant: TenantId,
    content: Judged,
    verdict: &Verdict,
    source: Source,
) -> Result<Option<Recorded>, ModerationError> {
    let a = &verdict.analysis;
    let d = &verdict.decision;
    let id = Uuid::now_v7();
    let content_type = content.content_type;
    let content_id = content.content_id.unwrap_or(Uuid::nil());
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
    let now = Utc::now();
    let evidence_id = if restricts(&d.applied()) {
        let evidence = NewEvidence {
            user_id: content.author,
            decision: d.applied_action.clone(),
            content: Some(ContentSnapshot {
                content_type: content_type.as_str().to_owned(),
                content_id: content.content_id,
                text: a.text.original().to_owned(),
            }),
            model_versions: json(&d.model_versions),
            scores: scores.clone(),
            rules: json(&d.matched_rules),
            events: serde_json::json!([]),
            decided_by: None,
            decided_at: now,
        };
        Some(evidence::record_in_tx(conn, tenant, evidence).await?)
    } else {
        None
    };
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
            moderation_results::evidence_id.eq(evidence_id),
            moderation_results::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok((inserted == 1).then_some(Recorded {
        result_id: id,
        evidence_id,
    }))
}

/// Records a write that moderation rejected, in its own transaction (the
/// write itself rolled back or never began): the result row with its
/// evidence, and the author's violation, handed to `violations` in the same
/// transaction so it is in force before the author hears of the refusal
/// (sourced from the result, so it is recorded once). `content_id` is the
/// content's id when it exists (an edit), `None` when it was never created.
pub async fn record_rejection(
    db: &Db,
    author: &Actor,
    content_type: ContentType,
    content_id: Option<Uuid>,
    verdict: &Verdict,
    violations: &dyn ViolationSink,
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
            let content = Judged {
                content_type,
                content_id,
                author: Some(user_id),
            };
            let recorded = record_only(conn, tenant, content, verdict, Source::Write)
                .await?
                .ok_or_else(|| ModerationError::conflict("decision already recorded"))?;
            let (rule_name, rule_text) = ground(verdict);
            let request = ViolationRequest {
                author: user_id,
                source: recorded.result_id,
                reason,
                evidence_id: recorded.evidence_id,
                rule_name,
                rule_text,
                content_type: Some(content_type.as_str().to_owned()),
                content_id,
                automated: true,
            };
            violations.record(conn, tenant, request.bounded()).await?;
            Ok(recorded.result_id)
        }
        .scope_boxed()
    })
    .await
}

/// The ground of a decision: the deciding rule's name and explanation (the
/// first rule asking for the applied action), or the scores' when no rule
/// decided.
pub fn ground(verdict: &Verdict) -> (String, String) {
    let d = &verdict.decision;
    d.matched_rules
        .iter()
        .find(|m| m.action == d.applied_action)
        .map(|m| (m.name.clone(), m.explanation.clone()))
        .unwrap_or_else(|| {
            (
                "Content rules".to_owned(),
                format!("the content scores call for {}", d.applied_action),
            )
        })
}

/// Records the decision about content being written, inside the transaction
/// writing it: the result row (with evidence when it restricts), and, when
/// the content must wait for a person, a review item (replacing any item open
/// for earlier text) and a statement of reasons to its author. Returns the
/// status the content takes.
pub async fn record(
    conn: &mut DbConn,
    tenant: TenantId,
    content: Judged,
    verdict: &Verdict,
) -> Result<ModerationStatus, ModerationError> {
    let recorded = record_only(conn, tenant, content, verdict, Source::Write)
        .await?
        .ok_or_else(|| ModerationError::conflict("decision already recorded"))?;
    let status = status_for(&verdict.decision.applied());
    reviews::supersede_open(
        conn,
        content.content_type,
        content.content_id.unwrap_or(Uuid::nil()),
    )
    .await?;
    if status == ModerationStatus::PendingReview {
        hold(conn, tenant, content, verdict, recorded).await?;
    }
    Ok(status)
}

/// Puts content on hold: a review item, and a statement of reasons to its
/// author (when it has one).
pub(crate) async fn hold(
    conn: &mut DbConn,
    tenant: TenantId,
    content: Judged,
    verdict: &Verdict,
    recorded: Recorded,
) -> Result<(), ModerationError> {
    let content_id = content.content_id.unwrap_or(Uuid::nil());
    let reason = verdict.decision.reasons().join("; ");
    reviews::open(
        conn,
        tenant,
        content.content_type,
        content_id,
        recorded.result_id,
        &reason,
    )
    .await?;
    let Some(author) = content.author else {
        return Ok(());
    };
    let (name, text) = ground(verdict);
    let statement = NewStatement {
        user_id: author,
        decision: DecisionKind::ContentHeld,
        content: Some((content.content_type.as_str().to_owned(), Some(content_id))),
        violation_id: None,
        facts: format!(
            "Your {} is hidden until a moderator reviews it: {}",
            content.content_type.as_str().replace('_', " "),
            if reason.is_empty() {
                name.clone()
            } else {
                reason
            }
        ),
        ground: Ground { name, text },
        automated: true,
        restricted_until: None,
        appeal: None,
        evidence_id: recorded.evidence_id,
        at: Utc::now(),
    };
    let statement = statements::issue_in_tx(conn, tenant, statement).await?;
    statements::notify_in_tx(conn, tenant, &statement).await?;
    Ok(())
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
