//! Rescans: moderating a tenant's existing content again, e.g. after a rule
//! change, as a background job on the PostgreSQL queue.
//!
//! A rescan walks each content type in id order, one page at a time. Each
//! page's decisions, the content states they change and the rescan's cursor
//! and counters are written in one transaction, so a rescan whose worker dies
//! resumes after the last page it finished, and a page run twice (two workers
//! after a lapsed lease) records nothing twice (one result per rescan and
//! content). A rescan only tightens: it flags or holds content for review, it
//! never releases content a person is reviewing or has rejected.

use std::time::Duration;

use crate::schema::moderation_rescans;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId, queue};

use crate::ModerationError;
use crate::content::{ContentType, ModerationStatus};
use crate::content_store::ContentStore;
use crate::moderator::Moderator;
use crate::results::{self, Judged, Source};

const STAFF_ONLY: &str = "only moderators and administrators may run rescans";

/// The queue's name for rescan jobs.
pub const JOB_KIND: &str = "moderation.rescan";
/// Items judged per page (and per transaction).
pub const PAGE_SIZE: i64 = 64;
/// How long a worker holds a rescan between pages before another may take over.
pub const LEASE: Duration = Duration::from_secs(60);

/// A rescan request.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescanBody {
    /// Content types to rescan; all four when absent.
    #[serde(default)]
    #[schema(min_items = 1)]
    pub content_types: Option<Vec<ContentType>>,
    /// When to run (RFC 3339), within a year; now when absent. `total` is
    /// counted when the rescan is asked for.
    #[serde(default)]
    pub run_at: Option<DateTime<Utc>>,
}

/// A rescan and its progress.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = moderation_rescans)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Rescan {
    /// Rescan id.
    pub id: Uuid,
    /// Content types, in the order they are walked.
    pub content_types: Vec<String>,
    /// `queued`, `running`, `completed` or `failed`.
    pub status: String,
    /// Items to look at, counted when the rescan was asked for.
    pub total: i64,
    /// Items looked at so far.
    pub processed: i64,
    /// Items whose moderation state the rescan tightened.
    pub changed: i64,
    /// Where the rescan stands.
    #[schema(value_type = Object)]
    pub cursor: serde_json::Value,
    /// Who asked.
    pub requested_by: Option<Uuid>,
    /// Why it failed.
    pub error: Option<String>,
    /// Asked for at.
    pub created_at: DateTime<Utc>,
    /// Scheduled for.
    pub run_at: DateTime<Utc>,
    /// First page started at.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished at.
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    /// Index into `content_types`.
    #[serde(default)]
    stage: usize,
    /// Last id done in that content type.
    #[serde(default)]
    after: Option<Uuid>,
}

/// Asks for a rescan: records it and queues its job in one transaction.
pub async fn create(
    db: &Db,
    store: &dyn ContentStore,
    actor: &Actor,
    body: RescanBody,
) -> Result<Rescan, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    let run_at = body.run_at;
    let year = chrono::Duration::days(366);
    if run_at.is_some_and(|t| t > Utc::now() + year || t < Utc::now() - year) {
        return Err(ModerationError::invalid("run_at must be within a year"));
    }
    let mut types = Vec::new();
    for t in body
        .content_types
        .unwrap_or_else(|| ContentType::ALL.to_vec())
    {
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.is_empty() {
        return Err(ModerationError::invalid("content_types must not be empty"));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let mut total = 0;
            for t in &types {
                total += store.count(conn, *t).await?;
            }
            let id = Uuid::now_v7();
            let names: Vec<String> = types.iter().map(|t| t.as_str().to_owned()).collect();
            let rescan = diesel::insert_into(moderation_rescans::table)
                .values((
                    moderation_rescans::tenant_id.eq(actor.tenant.as_uuid()),
                    moderation_rescans::id.eq(id),
                    moderation_rescans::content_types.eq(names),
                    moderation_rescans::total.eq(total),
                    moderation_rescans::requested_by.eq(actor.user_id),
                    moderation_rescans::run_at.eq(run_at.unwrap_or_else(Utc::now)),
                ))
                .returning(Rescan::as_returning())
                .get_result(conn)
                .await?;
            queue::enqueue(
                conn,
                actor.tenant,
                JOB_KIND,
                serde_json::json!({ "rescan_id": id }),
                run_at,
            )
            .await?;
            Ok(rescan)
        }
        .scope_boxed()
    })
    .await
}

/// Reads a rescan.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Rescan, ModerationError> {
    actor.require_staff(STAFF_ONLY)?;
    db.tenant_tx(actor.tenant, |conn| {
        async move { load(conn, id).await }.scope_boxed()
    })
    .await
}

async fn load(conn: &mut DbConn, id: Uuid) -> Result<Rescan, ModerationError> {
    moderation_rescans::table
        .filter(moderation_rescans::id.eq(id))
        .select(Rescan::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or(ModerationError::not_found("rescan"))
}

/// Content of one type after `after`, in id order: (id, text, current status).
async fn page_of(
    conn: &mut DbConn,
    store: &dyn ContentStore,
    t: ContentType,
    after: Option<Uuid>,
) -> Result<Vec<(Uuid, String, String)>, ModerationError> {
    let items = store
        .page(conn, t, after.unwrap_or(Uuid::nil()), PAGE_SIZE)
        .await?;
    Ok(items
        .into_iter()
        .map(|i| (i.id, i.text, i.status))
        .collect())
}

/// How restrictive a state is; a rescan only moves content up this scale.
fn rank(status: &str) -> u8 {
    match status {
        "approved" => 0,
        "flagged" => 1,
        "pending_review" => 2,
        _ => 3,
    }
}

/// Whether a rescan has more to do after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// More pages follow.
    More,
    /// The rescan is complete.
    Done,
}

/// Runs the next page of a rescan. Safe to call from several workers: pages
/// are serialised on the rescan's row lock, and each commits its cursor.
pub async fn run_page(
    db: &Db,
    store: &dyn ContentStore,
    moderator: &Moderator,
    tenant: TenantId,
    rescan_id: Uuid,
) -> Result<Progress, ModerationError> {
    // Read where the rescan stands, and the next page of content.
    let Some((read, cursor, items)) = db
        .tenant_tx(tenant, |conn| {
            async move {
                let rescan = load(conn, rescan_id).await?;
                if rescan.status == "completed" || rescan.status == "failed" {
                    return Ok::<_, ModerationError>(None);
                }
                let types: Vec<ContentType> = rescan
                    .content_types
                    .iter()
                    .filter_map(|t| ContentType::parse(t))
                    .collect();
                let read: Cursor = serde_json::from_value(rescan.cursor).unwrap_or_default();
                // Skip content types with nothing left; the cursor written
                // with the page records the move.
                let mut cursor = read.clone();
                while let Some(&t) = types.get(cursor.stage) {
                    let items = page_of(conn, store, t, cursor.after).await?;
                    if !items.is_empty() {
                        return Ok(Some((read, cursor, Some((t, items)))));
                    }
                    cursor = Cursor {
                        stage: cursor.stage + 1,
                        after: None,
                    };
                }
                Ok(Some((read, cursor, None)))
            }
            .scope_boxed()
        })
        .await?
    else {
        return Ok(Progress::Done);
    };
    let Some((t, items)) = items else {
        db.tenant_tx(tenant, |conn| {
            async move {
                diesel::update(
                    moderation_rescans::table.filter(moderation_rescans::id.eq(rescan_id)),
                )
                .set((
                    moderation_rescans::status.eq("completed"),
                    moderation_rescans::cursor.eq(serde_json::json!(cursor)),
                    moderation_rescans::finished_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
                Ok::<_, ModerationError>(())
            }
            .scope_boxed()
        })
        .await?;
        return Ok(Progress::Done);
    };
    // Judge outside any transaction: inference must not hold a connection.
    let texts: Vec<String> = items.iter().map(|(_, text, _)| text.clone()).collect();
    let verdicts = moderator.judge(db, tenant, t, texts).await?;
    let last = items.last().map(|(id, _, _)| *id);
    db.tenant_tx(tenant, |conn| {
        async move {
            // The row lock orders concurrent runs of the same page; the
            // second finds the cursor moved and its results already there.
            let current = moderation_rescans::table
                .filter(moderation_rescans::id.eq(rescan_id))
                .select(moderation_rescans::cursor)
                .for_update()
                .first::<serde_json::Value>(conn)
                .await?;
            let now: Cursor = serde_json::from_value(current).unwrap_or_default();
            if now != read {
                return Ok(());
            }
            let (mut processed, mut changed) = (0i64, 0i64);
            for ((id, _, status), verdict) in items.iter().zip(&verdicts) {
                // Only a restricting decision names the author (its evidence
                // and statement); the others spare the lookup.
                let author = if results::restricts(&verdict.decision.applied()) {
                    store.author(conn, t, *id).await?
                } else {
                    None
                };
                let content = Judged {
                    content_type: t,
                    content_id: Some(*id),
                    author,
                };
                let Some(decided) =
                    results::record_only(conn, tenant, content, verdict, Source::Rescan(rescan_id))
                        .await?
                else {
                    continue;
                };
                processed += 1;
                let new = results::status_for(&verdict.decision.applied());
                if rank(new.as_str()) > rank(status) {
                    store.set_status(conn, t, *id, new).await?;
                    if new == ModerationStatus::PendingReview {
                        results::hold(conn, tenant, content, verdict, decided).await?;
                    }
                    changed += 1;
                }
            }
            let next = Cursor {
                stage: cursor.stage,
                after: last,
            };
            diesel::update(moderation_rescans::table.filter(moderation_rescans::id.eq(rescan_id)))
                .set((
                    moderation_rescans::status.eq("running"),
                    moderation_rescans::processed.eq(moderation_rescans::processed + processed),
                    moderation_rescans::changed.eq(moderation_rescans::changed + changed),
                    moderation_rescans::cursor.eq(serde_json::json!(next)),
                    moderation_rescans::started_at.eq(diesel::dsl::sql::<
                        diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                    >(
                        "COALESCE(started_at, now())"
                    )),
                ))
                .execute(conn)
                .await?;
            Ok::<_, ModerationError>(())
        }
        .scope_boxed()
    })
    .await?;
    Ok(Progress::More)
}

/// Marks a rescan failed for good.
async fn mark_failed(
    db: &Db,
    tenant: TenantId,
    id: Uuid,
    error: &str,
) -> Result<(), ModerationError> {
    let error = error.to_owned();
    db.tenant_tx(tenant, |conn| {
        async move {
            diesel::update(moderation_rescans::table.filter(moderation_rescans::id.eq(id)))
                .set((
                    moderation_rescans::status.eq("failed"),
                    moderation_rescans::error.eq(error),
                    moderation_rescans::finished_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
}

/// The rescan a job works on.
fn rescan_of(job: &queue::Job) -> Result<Uuid, ModerationError> {
    job.payload
        .get("rescan_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<Uuid>().ok())
        .ok_or_else(|| ModerationError::invalid("rescan job without rescan_id"))
}

/// Records that a rescan job failed for good (its attempts are used up).
pub async fn job_failed(db: &Db, job: &queue::Job, error: &str) -> Result<(), ModerationError> {
    mark_failed(db, job.tenant(), rescan_of(job)?, error).await
}

/// Runs one claimed rescan job to its end, extending the lease between pages.
pub async fn run_job(
    db: &Db,
    store: &dyn ContentStore,
    moderator: &Moderator,
    job: &queue::Job,
) -> Result<(), ModerationError> {
    let id = rescan_of(job)?;
    loop {
        match run_page(db, store, moderator, job.tenant(), id).await? {
            Progress::Done => return Ok(()),
            Progress::More => {
                if !queue::extend(db, job, LEASE).await? {
                    // Another worker took the job over after our lease lapsed.
                    return Ok(());
                }
            }
        }
    }
}
