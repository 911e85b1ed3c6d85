//! Review items of user reports (source `report`): the open reports of one
//! target share one item, whose priority the reports crate computes and sets
//! here. Moderation only keeps the queue: reports reach it through the
//! server (`crates/server/src/wiring/reports.rs`), and a decision on a
//! report item goes back to the reports through [`ReportOutcomes`].

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Actor, DbConn, TenantId};

use crate::ModerationError;
use crate::content::ContentType;
use crate::content_store::ContentStore;
use crate::reviews::{ReviewDecision, ReviewItem, step};
use crate::schema::moderation_reviews;
use crate::violation_requests::ViolationRequest;

/// What users may report, as the queue stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportedKind {
    /// A piece of content (a store is its seller profile).
    Content(ContentType),
    /// A user account.
    User,
}

impl ReportedKind {
    /// The stored `content_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Content(t) => t.as_str(),
            Self::User => "user",
        }
    }
}

/// Where a decided report item goes: the reports it groups are closed with
/// the outcome (implemented by the server over `warden_reports`). Runs in
/// the transaction of the decision.
#[async_trait::async_trait]
pub trait ReportOutcomes: Send + Sync {
    /// The item was decided: `upheld` when the reviewer acted on the target
    /// (reject, request changes), not when they approved it (no action).
    async fn report_item_decided(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        review_id: Uuid,
        upheld: bool,
        decided_by: Uuid,
    ) -> Result<(), ModerationError>;

    /// Records the violation of a reported user that `reviewer` upheld, as
    /// that reviewer's own decision: refused unless they outrank the user,
    /// as a violation they recorded by hand would be.
    async fn sanction_user(
        &self,
        conn: &mut DbConn,
        reviewer: &Actor,
        request: ViolationRequest,
    ) -> Result<(), ModerationError>;
}

/// The open report item of a target, opened (with its `created` step, and
/// staff told) when there is none; its id. Two reports of a new target at
/// once share one item: the insert skips an open item committed meanwhile.
pub async fn open(
    conn: &mut DbConn,
    tenant: TenantId,
    kind: ReportedKind,
    target: Uuid,
    reason: &str,
) -> Result<Uuid, ModerationError> {
    let reason: String = reason.chars().take(2000).collect();
    // The open item is locked (shared) until the report joins it, so a
    // decision being taken on it either waits and closes this report too, or
    // has closed the item, which is then not found: the loop opens a new one.
    for _ in 0..3 {
        let id = Uuid::now_v7();
        let inserted = diesel::sql_query(
            "INSERT INTO moderation_reviews (tenant_id, id, content_type, content_id, reason, source, priority) \
             VALUES ($1, $2, $3, $4, $5, 'report', $6) \
             ON CONFLICT (tenant_id, content_type, content_id, source) \
             WHERE status IN ('pending', 'escalated') DO NOTHING",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(kind.as_str())
        .bind::<SqlUuid, _>(target)
        .bind::<Text, _>(&reason)
        .bind::<Integer, _>(0)
        .execute(conn)
        .await?;
        if inserted == 1 {
            step(conn, tenant, id, None, "created", &reason).await?;
            crate::notify::review_requested(conn, tenant, kind.as_str(), target, id, &reason)
                .await?;
            return Ok(id);
        }
        let open: Option<Uuid> = moderation_reviews::table
            .filter(moderation_reviews::tenant_id.eq(tenant.as_uuid()))
            .filter(moderation_reviews::content_type.eq(kind.as_str()))
            .filter(moderation_reviews::content_id.eq(target))
            .filter(moderation_reviews::source.eq("report"))
            .filter(moderation_reviews::status.eq_any(["pending", "escalated"]))
            .select(moderation_reviews::id)
            .for_share()
            .first(conn)
            .await
            .optional()?;
        if let Some(open) = open {
            return Ok(open);
        }
    }
    Err(ModerationError::conflict(
        "the report's review item changed while it was filed; retry",
    ))
}

/// Sets the priority of an open report item (closed and automated items
/// keep theirs).
pub async fn set_priority(
    conn: &mut DbConn,
    review_id: Uuid,
    priority: i32,
) -> Result<(), ModerationError> {
    diesel::update(
        moderation_reviews::table
            .filter(moderation_reviews::id.eq(review_id))
            .filter(moderation_reviews::source.eq("report"))
            .filter(moderation_reviews::status.eq_any(["pending", "escalated"])),
    )
    .set((
        moderation_reviews::priority.eq(priority.max(0)),
        moderation_reviews::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// The effects of a decision on a report item beyond the content's state:
/// a rejected user gets a violation, recorded with enforcement in the
/// decision's transaction as the reviewer's own (who must outrank them), and
/// the reports are closed.
pub(crate) async fn decided(
    conn: &mut DbConn,
    store: &dyn ContentStore,
    outcomes: &dyn ReportOutcomes,
    actor: &Actor,
    item: &ReviewItem,
    decision: ReviewDecision,
    note: &str,
) -> Result<(), ModerationError> {
    if item.content_type == ReportedKind::User.as_str() && decision == ReviewDecision::Reject {
        let evidence_id = crate::reviews::reviewer_evidence(
            conn,
            store,
            actor.tenant,
            item,
            item.content_id,
            (actor.user_id, ReviewDecision::Reject),
        )
        .await?;
        let request = ViolationRequest {
            author: item.content_id,
            source: item.id,
            reason: format!("reported user confirmed by a reviewer: {note}"),
            evidence_id: Some(evidence_id),
            rule_name: "Community rules".into(),
            rule_text: if note.trim().is_empty() {
                item.reason.clone()
            } else {
                note.trim().to_owned()
            },
            content_type: None,
            content_id: None,
            automated: false,
        };
        outcomes
            .sanction_user(conn, actor, request.bounded())
            .await?;
    }
    let upheld = decision != ReviewDecision::Approve;
    outcomes
        .report_item_decided(conn, actor.tenant, item.id, upheld, actor.user_id)
        .await
}
