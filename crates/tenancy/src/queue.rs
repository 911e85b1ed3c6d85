//! A job queue in PostgreSQL that several replicas can share.
//!
//! A worker claims the oldest ready job with `FOR UPDATE SKIP LOCKED`, so
//! workers never wait on or take each other's jobs, and holds it for a lease.
//! A job whose worker died is claimed again once the lease lapses; jobs are
//! written to resume from their own recorded progress. Enqueue inside the
//! transaction that creates the job's subject, and the job exists exactly when
//! the subject does.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Interval, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::schema::job_queue;
use crate::{Db, DbConn, ScopedFutureExt, TenancyError, TenantId};

/// A claimed job.
#[derive(Debug, Clone, QueryableByName)]
pub struct Job {
    /// Job id.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The tenant it works for.
    #[diesel(sql_type = SqlUuid)]
    pub tenant_id: Uuid,
    /// What kind of job.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// Its parameters.
    #[diesel(sql_type = Jsonb)]
    pub payload: serde_json::Value,
    /// Claims so far, this one included.
    #[diesel(sql_type = Int4)]
    pub attempts: i32,
    /// Claims allowed before the job fails for good.
    #[diesel(sql_type = Int4)]
    pub max_attempts: i32,
}

impl Job {
    /// The job's tenant.
    pub fn tenant(&self) -> TenantId {
        TenantId::new(self.tenant_id)
    }
}

fn interval(d: Duration) -> diesel::data_types::PgInterval {
    diesel::data_types::PgInterval::from_microseconds(
        i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
    )
}

/// Attempts a job gets unless its kind says otherwise.
pub const DEFAULT_ATTEMPTS: i32 = 5;

/// Adds a job, inside the caller's transaction, to run at `run_at` (now when `None`).
pub async fn enqueue(
    conn: &mut DbConn,
    tenant: TenantId,
    kind: &str,
    payload: serde_json::Value,
    run_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Uuid, TenancyError> {
    enqueue_with_attempts(conn, tenant, kind, payload, run_at, DEFAULT_ATTEMPTS).await
}

/// [`enqueue`] with its own number of attempts (deliveries that must wait
/// out a provider's outage take many).
pub async fn enqueue_with_attempts(
    conn: &mut DbConn,
    tenant: TenantId,
    kind: &str,
    payload: serde_json::Value,
    run_at: Option<chrono::DateTime<chrono::Utc>>,
    max_attempts: i32,
) -> Result<Uuid, TenancyError> {
    let id = Uuid::now_v7();
    diesel::insert_into(job_queue::table)
        .values((
            job_queue::id.eq(id),
            job_queue::tenant_id.eq(tenant.as_uuid()),
            job_queue::kind.eq(kind),
            job_queue::payload.eq(payload),
            job_queue::run_at.eq(run_at.unwrap_or_else(chrono::Utc::now)),
            job_queue::max_attempts.eq(max_attempts.max(1)),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// [`enqueue`] unless the tenant already has a job of `kind` with the same
/// payload waiting to run (not yet claimed): for work that one run does for
/// every request made before it (recompute a seller, a daily pass). Returns
/// the new job's id, or `None` when one was waiting. Concurrent callers with
/// the same job take turns (a transaction-scoped advisory lock on it), so
/// they cannot both add one.
pub async fn enqueue_unique(
    conn: &mut DbConn,
    tenant: TenantId,
    kind: &str,
    payload: serde_json::Value,
    run_at: Option<chrono::DateTime<chrono::Utc>>,
    max_attempts: i32,
) -> Result<Option<Uuid>, TenancyError> {
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text || '/' || $2 || '/' || $3::text, 0))",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Text, _>(kind)
    .bind::<Jsonb, _>(&payload)
    .execute(conn)
    .await?;
    let id = Uuid::now_v7();
    let n = diesel::sql_query(
        "INSERT INTO job_queue (id, tenant_id, kind, payload, run_at, max_attempts)
         SELECT $1, $2, $3, $4, COALESCE($5, now()), $6
          WHERE NOT EXISTS (SELECT 1 FROM job_queue
                             WHERE tenant_id = $2 AND kind = $3 AND payload = $4
                               AND status = 'queued')",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Text, _>(kind)
    .bind::<Jsonb, _>(payload)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>, _>(run_at)
    .bind::<Int4, _>(max_attempts.max(1))
    .execute(conn)
    .await?;
    Ok((n == 1).then_some(id))
}

/// Claims the oldest ready job of one of `kinds` for `lease`: a queued job
/// whose time has come, or a running one whose lease lapsed. With `only`, just
/// that tenant's jobs (a worker dedicated to one tenant).
pub async fn claim(
    db: &Db,
    worker: &str,
    kinds: &[&str],
    only: Option<TenantId>,
    lease: Duration,
) -> Result<Option<Job>, TenancyError> {
    let only = only.map(|t| t.as_uuid());
    let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
    let worker = worker.to_owned();
    db.platform_tx(|conn| {
        async move {
            let job = diesel::sql_query(
                "UPDATE job_queue SET status = 'running', attempts = attempts + 1,
                        locked_by = $1, locked_until = now() + $2, updated_at = now()
                 WHERE id = (
                     SELECT id FROM job_queue
                     WHERE kind = ANY($3)
                       AND ($4::uuid IS NULL OR tenant_id = $4)
                       AND ((status = 'queued' AND run_at <= now())
                            OR (status = 'running' AND locked_until < now()))
                     ORDER BY run_at, id
                     LIMIT 1
                     FOR UPDATE SKIP LOCKED)
                 RETURNING id, tenant_id, kind, payload, attempts, max_attempts",
            )
            .bind::<Text, _>(worker)
            .bind::<Interval, _>(interval(lease))
            .bind::<Array<Text>, _>(kinds)
            .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(only)
            .get_result::<Job>(conn)
            .await
            .optional()?;
            Ok(job)
        }
        .scope_boxed()
    })
    .await
}

/// Extends the lease of a job this worker holds; false when it no longer holds it.
pub async fn extend(
    db: &Db,
    id: Uuid,
    worker: &str,
    lease: Duration,
) -> Result<bool, TenancyError> {
    let worker = worker.to_owned();
    db.platform_tx(|conn| {
        async move {
            let n = diesel::sql_query(
                "UPDATE job_queue SET locked_until = now() + $3, updated_at = now()
                 WHERE id = $1 AND locked_by = $2 AND status = 'running'",
            )
            .bind::<SqlUuid, _>(id)
            .bind::<Text, _>(worker)
            .bind::<Interval, _>(interval(lease))
            .execute(conn)
            .await?;
            Ok(n == 1)
        }
        .scope_boxed()
    })
    .await
}

/// Marks a job done.
pub async fn complete(db: &Db, id: Uuid) -> Result<(), TenancyError> {
    finish(db, id, "done", None, None).await
}

/// Records a failure: the job runs again after `retry_in`, or fails for good
/// once its attempts are used up. Returns whether it will run again.
pub async fn fail(
    db: &Db,
    job: &Job,
    error: &str,
    retry_in: Duration,
) -> Result<bool, TenancyError> {
    let again = job.attempts < job.max_attempts;
    let status = if again { "queued" } else { "failed" };
    finish(db, job.id, status, Some(error), Some(retry_in)).await?;
    Ok(again)
}

async fn finish(
    db: &Db,
    id: Uuid,
    status: &'static str,
    error: Option<&str>,
    retry_in: Option<Duration>,
) -> Result<(), TenancyError> {
    let error: Option<String> = error.map(|e| e.chars().take(2000).collect());
    let retry = interval(retry_in.unwrap_or_default());
    db.platform_tx(|conn| {
        async move {
            diesel::sql_query(
                "UPDATE job_queue SET status = $2, last_error = COALESCE($3, last_error),
                        run_at = now() + $4, locked_by = NULL, locked_until = NULL, updated_at = now()
                 WHERE id = $1",
            )
            .bind::<SqlUuid, _>(id)
            .bind::<Text, _>(status)
            .bind::<diesel::sql_types::Nullable<Text>, _>(error)
            .bind::<Interval, _>(retry)
            .execute(conn)
            .await?;
            Ok(())
        }
        .scope_boxed()
    })
    .await
}
