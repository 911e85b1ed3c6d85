//! The human review queue. Content that must wait for a person gets one open
//! item; a reviewer claims it (a claim is exclusive and expires), then
//! approves, rejects, requests changes or escalates it. Every step is kept in
//! the item's history with who did it and their note.
//!
//! Items come from two sources: `automated` (the tenant's rules held content
//! for review) and `report` (users reported a listing, review, message, store
//! or user; see [`crate::report_items`]). The queue lists the higher
//! `priority` first, then the oldest.

use crate::schema::{moderation_results, moderation_review_history, moderation_reviews};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, DbConn, Page, PageRequest, ScopedFutureExt, TenantId};

use crate::ModerationError;
use crate::content::{ContentType, ModerationStatus};
use crate::content_store::ContentStore;
use crate::report_items::ReportOutcomes;
use crate::violation_requests::ViolationRequest;
use warden_decisions::evidence::{self, ContentSnapshot, Evidence, NewEvidence};
use warden_decisions::statements::{self, DecisionKind, Ground, NewStatement, Statement};

const STAFF_ONLY: &str = "only moderators and administrators may review content";

/// How long a claim lasts unless decided.
pub const CLAIM_TTL_SECS: i64 = 15 * 60;

/// A review item.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = moderation_reviews)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ReviewItem {
    /// Item id.
    pub id: Uuid,
    /// Kind of content.
    pub content_type: String,
    /// The content.
    pub content_id: Uuid,
    /// The decision that opened an automated item (none for report items).
    pub result_id: Option<Uuid>,
    /// `automated` (held by the tenant's rules) or `report` (reported by users).
    pub source: String,
    /// Higher comes first in the queue (see `warden_reports::priority`).
    pub priority: i32,
    /// Why it needs a person.
    pub reason: String,
    /// `pending`, `escalated`, `approved`, `rejected`, `changes_requested` or `superseded`.
    pub status: String,
    /// Who holds the claim.
    pub claimed_by: Option<Uuid>,
    /// When the claim lapses.
    pub claim_expires_at: Option<DateTime<Utc>>,
    /// Who decided.
    pub decided_by: Option<Uuid>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// Opened at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// One step in an item's history.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = moderation_review_history)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct ReviewStep {
    /// Step id.
    pub id: Uuid,
    /// Who (absent for steps moderation took itself).
    pub actor_id: Option<Uuid>,
    /// `created`, `claimed`, `approve`, `reject`, `request_changes`, `escalate` or `superseded`.
    pub action: String,
    /// The reviewer's note.
    pub note: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// An item with its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewDetail {
    /// The item.
    #[serde(flatten)]
    pub item: ReviewItem,
    /// Every step, oldest first.
    pub history: Vec<ReviewStep>,
    /// What the decision that opened the item was made on: the text as
    /// judged, scores, rules with their spans (absent once the retention has
    /// deleted it).
    pub evidence: Option<Evidence>,
}

/// What a reviewer decides. On a report item, `approve` takes no action
/// (the reports are dismissed and the content keeps its state); `reject`
/// removes reported content as on an automated item, and on a reported user
/// records a violation of the user; `request_changes` is for content only.
/// Both uphold the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// The content may be shown.
    Approve,
    /// The content stays hidden.
    Reject,
    /// Hidden until the author edits it.
    RequestChanges,
    /// Hand over to a tenant administrator; the claim is released.
    Escalate,
}

impl ReviewDecision {
    fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::RequestChanges => "request_changes",
            Self::Escalate => "escalate",
        }
    }
}

/// A decision with its note.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `approve`, `reject`, `request_changes` or `escalate`.
    pub decision: ReviewDecision,
    /// Why, up to 2000 characters. The content's author (or the reported
    /// user) reads it: it is the ground of the violation a rejection records
    /// and of a request for changes.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub note: String,
}

const OPEN: [&str; 2] = ["pending", "escalated"];
/// Every status of a review item.
const STATUSES: [&str; 6] = [
    "pending",
    "escalated",
    "approved",
    "rejected",
    "changes_requested",
    "superseded",
];

pub(crate) async fn step(
    conn: &mut DbConn,
    tenant: TenantId,
    review: Uuid,
    actor: Option<Uuid>,
    action: &str,
    note: &str,
) -> Result<(), ModerationError> {
    diesel::insert_into(moderation_review_history::table)
        .values((
            moderation_review_history::tenant_id.eq(tenant.as_uuid()),
            moderation_review_history::id.eq(Uuid::now_v7()),
            moderation_review_history::review_id.eq(review),
            moderation_review_history::actor_id.eq(actor),
            moderation_review_history::action.eq(action),
            moderation_review_history::note.eq(note),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Opens an item for content (inside the transaction that recorded the decision).
pub(crate) async fn open(
    conn: &mut DbConn,
    tenant: TenantId,
    content_type: ContentType,
    content_id: Uuid,
    result_id: Uuid,
    reason: &str,
) -> Result<(), ModerationError> {
    let id = Uuid::now_v7();
    let reason: String = reason.chars().take(2000).collect();
    diesel::insert_into(moderation_reviews::table)
        .values((
            moderation_reviews::tenant_id.eq(tenant.as_uuid()),
            moderation_reviews::id.eq(id),
            moderation_reviews::content_type.eq(content_type.as_str()),
            moderation_reviews::content_id.eq(content_id),
            moderation_reviews::result_id.eq(Some(result_id)),
            moderation_reviews::reason.eq(&reason),
        ))
        .execute(conn)
        .await?;
    step(conn, tenant, id, None, "created", &reason).await?;
    crate::notify::review_requested(conn, tenant, content_type.as_str(), content_id, id, &reason)
        .await
}

/// Closes the content's open automated item, if any: a newer decision
/// replaces it. Report items stay open: the reports concern what was reported.
pub(crate) async fn supersede_open(
    conn: &mut DbConn,
    content_type: ContentType,
    content_id: Uuid,
) -> Result<(), ModerationError> {
    let closed: Vec<(Uuid, Uuid)> = diesel::update(
        moderation_reviews::table
            .filter(moderation_reviews::content_type.eq(content_type.as_str()))
            .filter(moderation_reviews::content_id.eq(content_id))
            .filter(moderation_reviews::source.eq("automated"))
            .filter(moderation_reviews::status.eq_any(OPEN)),
    )
    .set((
        moderation_reviews::status.eq("superseded"),
        moderation_reviews::claimed_by.eq(None::<Uuid>),
        moderation_reviews::claim_expires_at.eq(None::<DateTime<Utc>>),
        moderation_reviews::updated_at.eq(diesel::dsl::now),
    ))
    .returning((moderation_reviews::tenant_id, moderation_reviews::id))
    .get_results(conn)
    .await?;
    for (tenant, id) in closed {
        step(
            conn,
            TenantId::new(tenant),
            id,
            None,
            "superseded",
            "the content was moderated again",
        )
        .await?;
    }
    Ok(())
}

/// Where queue items come from, as the queue filters them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueueSource {
    /// Held by the tenant's rules.
    Automated,
    /// Reported by users.
    Report,
    /// Escalated to administrators (from either source).
    Escalation,
}

/// Filters of the queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only this status; open items (pending and escalated) when absent.
    pub status: Option<String>,
    /// Only this kind of content.
    pub content_type: Option<ContentType>,
    /// Only items of this source (`escalation`: escalated items).
    pub source: Option<QueueSource>,
}

/// Lists review items in the queue order: higher priority first, then oldest
/// first. The cursor is the last item's id; the next page starts after that
/// item's current place (an item whose priority changed in between may be
/// skipped or listed again).
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: QueueFilter,
    page: PageRequest,
) -> Result<Page<ReviewItem>, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    if let Some(s) = &filter.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ModerationError::invalid(format!(
            "status: one of {}",
            STATUSES.join(", ")
        )));
    }
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let mut q = moderation_reviews::table
                .select(ReviewItem::as_select())
                .order((
                    moderation_reviews::priority.desc(),
                    moderation_reviews::id.asc(),
                ))
                .limit(page.fetch())
                .into_boxed();
            if let Some(after) = page.after {
                let at: i32 = moderation_reviews::table
                    .filter(moderation_reviews::id.eq(after))
                    .select(moderation_reviews::priority)
                    .first(conn)
                    .await
                    .optional()?
                    .ok_or(ModerationError::invalid(
                        "cursor is not one this server issued",
                    ))?;
                q = q.filter(
                    moderation_reviews::priority
                        .lt(at)
                        .or(moderation_reviews::priority
                            .eq(at)
                            .and(moderation_reviews::id.gt(after))),
                );
            }
            q = match filter.source {
                None => q,
                Some(QueueSource::Automated) => {
                    q.filter(moderation_reviews::source.eq("automated"))
                }
                Some(QueueSource::Report) => q.filter(moderation_reviews::source.eq("report")),
                Some(QueueSource::Escalation) => {
                    q.filter(moderation_reviews::status.eq("escalated"))
                }
            };
            q = match filter.status {
                Some(s) => q.filter(moderation_reviews::status.eq(s)),
                None => q.filter(moderation_reviews::status.eq_any(OPEN)),
            };
            if let Some(t) = filter.content_type {
                q = q.filter(moderation_reviews::content_type.eq(t.as_str()));
            }
            let rows = q.load(conn).await?;
            Ok(page.page(rows, |r| r.id))
        }
        .scope_boxed()
    })
    .await
}

/// The evidence of a reviewer's rejection: the content as the item showed
/// it (the text, scores and rules of the decision that opened the item, when
/// still kept), decided by the reviewer now.
pub(crate) async fn reviewer_evidence(
    conn: &mut DbConn,
    store: &dyn ContentStore,
    tenant: TenantId,
    item: &ReviewItem,
    author: Uuid,
    (reviewer, decision): (Uuid, ReviewDecision),
) -> Result<Uuid, ModerationError> {
    let opened_with = opening_evidence(conn, tenant, item).await?;
    let mut evidence = NewEvidence {
        user_id: Some(author),
        decision: decision.as_str().into(),
        decided_by: Some(reviewer),
        decided_at: Utc::now(),
        ..NewEvidence::default()
    };
    if let Some(e) = opened_with {
        evidence.content = e.text.map(|text| ContentSnapshot {
            content_type: item.content_type.clone(),
            content_id: Some(item.content_id),
            text,
        });
        evidence.model_versions = e.model_versions;
        evidence.scores = e.scores;
        evidence.rules = e.rules;
    } else {
        // An item users reported: the content as the reviewer saw it, and
        // why it was reported.
        if let Some(t) = ContentType::parse(&item.content_type)
            && let Some(text) = store.text(conn, t, item.content_id).await?
        {
            evidence.content = Some(ContentSnapshot {
                content_type: item.content_type.clone(),
                content_id: Some(item.content_id),
                text,
            });
        }
        evidence.rules =
            serde_json::json!([{ "name": "user reports", "explanation": item.reason }]);
    }
    Ok(evidence::record_in_tx(conn, tenant, evidence).await?)
}

/// The statement of a reviewer's request for changes: the content stays
/// hidden until its author edits it (which moderates it again).
async fn changes_statement(
    conn: &mut DbConn,
    store: &dyn ContentStore,
    actor: &Actor,
    item: &ReviewItem,
    author: Uuid,
    note: &str,
) -> Result<Statement, ModerationError> {
    let evidence_id = reviewer_evidence(
        conn,
        store,
        actor.tenant,
        item,
        author,
        (actor.user_id, ReviewDecision::RequestChanges),
    )
    .await?;
    let kind = item.content_type.replace('_', " ");
    let statement = NewStatement {
        user_id: author,
        decision: DecisionKind::ChangesRequested,
        content: Some((item.content_type.clone(), Some(item.content_id))),
        violation_id: None,
        facts: format!(
            "A moderator reviewed your {kind} and asked for changes; it stays hidden until you edit it. {note}"
        ),
        ground: Ground {
            name: "Content rules".into(),
            text: if note.is_empty() {
                item.reason.clone()
            } else {
                note.to_owned()
            },
        },
        automated: false,
        restricted_until: None,
        appeal: None,
        evidence_id: Some(evidence_id),
        at: Utc::now(),
    };
    Ok(statements::issue_in_tx(conn, actor.tenant, statement).await?)
}

/// The evidence of the decision that opened an item, while it is kept.
async fn opening_evidence(
    conn: &mut DbConn,
    tenant: TenantId,
    item: &ReviewItem,
) -> Result<Option<Evidence>, ModerationError> {
    // Report items open without a decision of moderation's.
    let Some(result_id) = item.result_id else {
        return Ok(None);
    };
    let evidence_id: Option<Uuid> = moderation_results::table
        .filter(moderation_results::tenant_id.eq(tenant.as_uuid()))
        .filter(moderation_results::id.eq(result_id))
        .select(moderation_results::evidence_id)
        .first::<Option<Uuid>>(conn)
        .await
        .optional()?
        .flatten();
    Ok(match evidence_id {
        Some(id) => evidence::load(conn, tenant, id).await?,
        None => None,
    })
}

async fn detail(
    conn: &mut DbConn,
    tenant: TenantId,
    id: Uuid,
) -> Result<ReviewDetail, ModerationError> {
    let item = moderation_reviews::table
        .filter(moderation_reviews::id.eq(id))
        .select(ReviewItem::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(ModerationError::not_found("review item"))?;
    let history = moderation_review_history::table
        .filter(moderation_review_history::review_id.eq(id))
        .order(moderation_review_history::id.asc())
        .select(ReviewStep::as_select())
        .load(conn)
        .await?;
    let evidence = opening_evidence(conn, tenant, &item).await?;
    Ok(ReviewDetail {
        item,
        history,
        evidence,
    })
}

/// Reads an item with its history.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<ReviewDetail, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move { detail(conn, actor.tenant, id).await }.scope_boxed()
    })
    .await
}

/// Claims an item for the actor. One statement decides, so two reviewers can
/// never both hold it: the claim succeeds only while the item is open and
/// unclaimed, its claim has lapsed, or the actor already holds it. Escalated
/// items are for administrators.
pub async fn claim(db: &Db, actor: &Actor, id: Uuid) -> Result<ReviewDetail, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let statuses: Vec<&str> = if actor.is_admin() {
                OPEN.to_vec()
            } else {
                vec!["pending"]
            };
            let expires = Utc::now() + chrono::Duration::seconds(CLAIM_TTL_SECS);
            let claimed = diesel::update(
                moderation_reviews::table
                    .filter(moderation_reviews::id.eq(id))
                    .filter(moderation_reviews::status.eq_any(statuses))
                    .filter(
                        moderation_reviews::claimed_by
                            .is_null()
                            .or(moderation_reviews::claim_expires_at.lt(diesel::dsl::now))
                            .or(moderation_reviews::claimed_by.eq(actor.user_id)),
                    ),
            )
            .set((
                moderation_reviews::claimed_by.eq(actor.user_id),
                moderation_reviews::claim_expires_at.eq(expires),
                moderation_reviews::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
            if claimed == 0 {
                let current = detail(conn, actor.tenant, id).await?;
                return Err(ModerationError::conflict(
                    match current.item.status.as_str() {
                        "pending" => "the item is claimed by another reviewer".into(),
                        "escalated" => "escalated items are for tenant administrators".into(),
                        other => format!("the item is already closed ({other})"),
                    },
                ));
            }
            step(conn, actor.tenant, id, Some(actor.user_id), "claimed", "").await?;
            detail(conn, actor.tenant, id).await
        }
        .scope_boxed()
    })
    .await
}

/// Decides an item the actor holds a live claim on, and applies the decision
/// to the content.
pub async fn decide(
    db: &Db,
    store: &dyn ContentStore,
    outcomes: &dyn ReportOutcomes,
    actor: &Actor,
    id: Uuid,
    body: DecisionBody,
) -> Result<ReviewDetail, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    if body.note.chars().count() > 2000 {
        return Err(ModerationError::invalid(
            "note must be at most 2000 characters",
        ));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let item: ReviewItem = moderation_reviews::table
                .filter(moderation_reviews::id.eq(id))
                .select(ReviewItem::as_select())
                .for_update()
                .first(conn)
                .await
                .optional()?
                .ok_or(ModerationError::not_found("review item"))?;
            let holds = item.claimed_by == Some(actor.user_id)
                && item.claim_expires_at.is_some_and(|t| t > Utc::now());
            if !OPEN.contains(&item.status.as_str()) {
                return Err(ModerationError::conflict(format!(
                    "the item is already closed ({})",
                    item.status
                )));
            }
            if !holds {
                return Err(ModerationError::conflict(
                    "claim the item first (your claim may have expired)",
                ));
            }
            let report = item.source == "report";
            let content_type = ContentType::parse(&item.content_type);
            if report && content_type.is_none() && body.decision == ReviewDecision::RequestChanges {
                return Err(ModerationError::invalid(
                    "a reported user cannot be asked for changes: reject (a violation of the user) or approve (no action)",
                ));
            }
            let (status, content_status) = match body.decision {
                // Dismissing reports leaves the content as it stands.
                ReviewDecision::Approve if report => ("approved", None),
                ReviewDecision::Approve => ("approved", Some(ModerationStatus::Approved)),
                ReviewDecision::Reject => ("rejected", Some(ModerationStatus::Rejected)),
                ReviewDecision::RequestChanges => (
                    "changes_requested",
                    Some(ModerationStatus::ChangesRequested),
                ),
                ReviewDecision::Escalate => ("escalated", None),
            };
            let closes = body.decision != ReviewDecision::Escalate;
            diesel::update(moderation_reviews::table.filter(moderation_reviews::id.eq(id)))
                .set((
                    moderation_reviews::status.eq(status),
                    moderation_reviews::claimed_by.eq(None::<Uuid>),
                    moderation_reviews::claim_expires_at.eq(None::<DateTime<Utc>>),
                    moderation_reviews::decided_by.eq(closes.then_some(actor.user_id)),
                    moderation_reviews::decided_at.eq(closes.then(Utc::now)),
                    moderation_reviews::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            if let (Some(s), Some(t)) = (content_status, content_type) {
                store.set_status(conn, t, item.content_id, s).await?;
                if let Some(author) = store.author(conn, t, item.content_id).await? {
                    // Hidden until the author edits it: a restriction with its
                    // statement, carried by the decision's notice.
                    let statement = if body.decision == ReviewDecision::RequestChanges {
                        Some(
                            changes_statement(
                                conn,
                                store,
                                &actor,
                                &item,
                                author,
                                body.note.trim(),
                            )
                            .await?,
                        )
                    } else {
                        None
                    };
                    crate::notify::review_decided(
                        conn,
                        actor.tenant,
                        author,
                        (t, item.content_id),
                        status,
                        body.note.trim(),
                        statement.as_ref(),
                    )
                    .await?;
                    // A person's rejection is a moderation reject decision like a
                    // rule's: a content violation of the author, once per item.
                    if body.decision == ReviewDecision::Reject {
                        let evidence_id =
                            reviewer_evidence(
                                conn,
                                store,
                                actor.tenant,
                                &item,
                                author,
                                (actor.user_id, ReviewDecision::Reject),
                            )
                                .await?;
                        let request = ViolationRequest {
                            author,
                            source: item.id,
                            reason: format!(
                                "{} rejected by a reviewer: {}",
                                t.as_str(),
                                body.note.trim()
                            ),
                            evidence_id: Some(evidence_id),
                            rule_name: "Content rules".into(),
                            rule_text: if body.note.trim().is_empty() {
                                item.reason.clone()
                            } else {
                                body.note.trim().to_owned()
                            },
                            content_type: Some(t.as_str().to_owned()),
                            content_id: Some(item.content_id),
                            automated: false,
                        };
                        crate::violation_requests::enqueue(conn, actor.tenant, request).await?;
                    }
                }
            }
            if report && closes {
                crate::report_items::decided(
                    conn,
                    store,
                    outcomes,
                    &actor,
                    &item,
                    body.decision,
                    body.note.trim(),
                )
                .await?;
            }
            step(
                conn,
                actor.tenant,
                id,
                Some(actor.user_id),
                body.decision.as_str(),
                &body.note,
            )
            .await?;
            detail(conn, actor.tenant, id).await
        }
        .scope_boxed()
    })
    .await
}

#[derive(diesel::QueryableByName)]
struct Waited {
    #[diesel(sql_type = diesel::sql_types::Double)]
    seconds: f64,
}

/// The seconds each review item decided in `[from, to)` waited for its
/// decision (from opening), inside a running transaction: for a
/// transparency report's time to decision.
pub async fn decision_waits(
    conn: &mut DbConn,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<f64>, ModerationError> {
    let rows: Vec<Waited> = diesel::sql_query(
        "SELECT extract(epoch FROM decided_at - created_at)::float8 AS seconds
           FROM moderation_reviews
          WHERE tenant_id = $1 AND decided_at >= $2 AND decided_at < $3
            AND status IN ('approved', 'rejected', 'changes_requested')",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant.as_uuid())
    .bind::<diesel::sql_types::Timestamptz, _>(from)
    .bind::<diesel::sql_types::Timestamptz, _>(to)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.seconds).collect())
}
