//! A job queue in PostgreSQL that several replicas can share.
//!
//! A worker claims the oldest ready job with `FOR UPDATE SKIP LOCKED`, so
//! workers never wait on or take each other's jobs, and holds it for a lease.
//! A job whose worker died is claimed again once the lease lapses; jobs are
//! written to resume from their own recorded progress. Enqueue inside the
//! transaction that creates the job's subject, and the job exists exactly when
//! the subject does.
//!
//! The queue is under row-level security like every tenant table: enqueueing
//! happens in the tenant's transaction. Claiming and settling cross tenants
//! through narrow SECURITY DEFINER functions (migration 15) that never return a
//! payload; each claim gets a lease token that settling requires, so a worker
//! whose lease lapsed cannot settle a job another worker has since claimed.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Int4, Interval, Jsonb, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::schema::job_queue;
use crate::{Db, DbConn, Rejection, ScopedFutureExt, TenancyError, TenantId};

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Job id.
    pub id: Uuid,
    /// The tenant it works for.
    pub tenant_id: Uuid,
    /// What kind of job.
    pub kind: String,
    /// Its parameters.
    pub payload: serde_json::Value,
    /// Claims so far, this one included.
    pub attempts: i32,
    /// Claims allowed before the job fails for good.
    pub max_attempts: i32,
    /// This claim's lease token: settling the job needs it, and the next
    /// claim of the job replaces it.
    pub lease: Uuid,
}

impl Job {
    /// The job's tenant.
    pub fn tenant(&self) -> TenantId {
        TenantId::new(self.tenant_id)
    }

    /// The job's parameters as the `T` its kind declares (the inverse of
    /// [`payload`]); parameters of another shape are refused as invalid
    /// input, `what` naming them in the message.
    pub fn decode<T: DeserializeOwned>(&self, what: &str) -> Result<T, Rejection> {
        serde_json::from_value(self.payload.clone())
            .map_err(|e| Rejection::Invalid(format!("{what}: {e}")))
    }
}

/// `parameters` as a job's payload for [`enqueue`]; parameters that do not
/// serialize are refused as invalid input, `what` naming them in the message.
pub fn payload<T: Serialize>(what: &str, parameters: &T) -> Result<serde_json::Value, Rejection> {
    serde_json::to_value(parameters).map_err(|e| Rejection::Invalid(format!("{what}: {e}")))
}

fn interval(d: Duration) -> diesel::data_types::PgInterval {
    diesel::data_types::PgInterval::from_microseconds(
        i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
    )
}

/// Attempts a job gets unless its kind says otherwise.
pub const DEFAULT_ATTEMPTS: i32 = 5;

/// Adds a job, inside the caller's transaction of `tenant` (row-level security
/// refuses a job of any other tenant), to run at `run_at` (now when `None`).
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
    // Most calls find one waiting: answer those without taking the lock,
    // which would hold every other caller of the tenant until this
    // transaction ends.
    let waiting: bool = diesel::select(diesel::dsl::exists(
        job_queue::table
            .filter(job_queue::tenant_id.eq(tenant.as_uuid()))
            .filter(job_queue::kind.eq(kind))
            .filter(job_queue::payload.eq(&payload))
            .filter(job_queue::status.eq("queued")),
    ))
    .get_result(conn)
    .await?;
    if waiting {
        return Ok(None);
    }
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

/// What a claim returns: the job's bookkeeping, never its payload.
#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    tenant_id: Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Int4)]
    attempts: i32,
    #[diesel(sql_type = Int4)]
    max_attempts: i32,
    #[diesel(sql_type = SqlUuid)]
    lease_token: Uuid,
}

#[derive(QueryableByName)]
struct Payload {
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
}

/// Claims the oldest ready job of one of `kinds` for `lease`: a queued job
/// whose time has come, or a running one whose lease lapsed. With `only`, just
/// that tenant's jobs (a worker dedicated to one tenant).
///
/// The claim crosses tenants through `job_queue_claim`, which returns no
/// payload; the payload is read in the same transaction with the job's tenant
/// set, under row-level security.
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
            let Some(claimed) = diesel::sql_query(
                "SELECT id, tenant_id, kind, attempts, max_attempts, lease_token
                   FROM job_queue_claim($1, $2, $3, $4)",
            )
            .bind::<Text, _>(worker)
            .bind::<Array<Text>, _>(kinds)
            .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(only)
            .bind::<Interval, _>(interval(lease))
            .get_result::<Claimed>(conn)
            .await
            .optional()?
            else {
                return Ok(None);
            };
            diesel::sql_query("SELECT set_config('app.tenant_id', $1, true)")
                .bind::<Text, _>(claimed.tenant_id.to_string())
                .execute(conn)
                .await?;
            let Payload { payload } =
                diesel::sql_query("SELECT payload FROM job_queue WHERE tenant_id = $1 AND id = $2")
                    .bind::<SqlUuid, _>(claimed.tenant_id)
                    .bind::<SqlUuid, _>(claimed.id)
                    .get_result(conn)
                    .await?;
            Ok(Some(Job {
                id: claimed.id,
                tenant_id: claimed.tenant_id,
                kind: claimed.kind,
                payload,
                attempts: claimed.attempts,
                max_attempts: claimed.max_attempts,
                lease: claimed.lease_token,
            }))
        }
        .scope_boxed()
    })
    .await
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = Bool)]
    held: bool,
}

/// Extends the lease of a job this claim holds; false when it no longer holds
/// it (the lease lapsed and another worker claimed the job).
pub async fn extend(db: &Db, job: &Job, lease: Duration) -> Result<bool, TenancyError> {
    let (tenant, id, token) = (job.tenant_id, job.id, job.lease);
    db.platform_tx(|conn| {
        async move {
            let Held { held } =
                diesel::sql_query("SELECT job_queue_extend($1, $2, $3, $4) AS held")
                    .bind::<SqlUuid, _>(tenant)
                    .bind::<SqlUuid, _>(id)
                    .bind::<SqlUuid, _>(token)
                    .bind::<Interval, _>(interval(lease))
                    .get_result(conn)
                    .await?;
            Ok(held)
        }
        .scope_boxed()
    })
    .await
}

/// Marks a job done; false when this claim no longer held it (another worker
/// claimed it after the lease lapsed, and that worker's run counts).
pub async fn complete(db: &Db, job: &Job) -> Result<bool, TenancyError> {
    let (tenant, id, token) = (job.tenant_id, job.id, job.lease);
    db.platform_tx(|conn| {
        async move {
            let Held { held } = diesel::sql_query("SELECT job_queue_complete($1, $2, $3) AS held")
                .bind::<SqlUuid, _>(tenant)
                .bind::<SqlUuid, _>(id)
                .bind::<SqlUuid, _>(token)
                .get_result(conn)
                .await?;
            Ok(held)
        }
        .scope_boxed()
    })
    .await
}

#[derive(QueryableByName)]
struct Status {
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
}

/// Records a failure: the job runs again after `retry_in`, or fails for good
/// once its attempts are used up. Returns false only when this failure used
/// them up; a job this claim no longer holds is another worker's, and counts
/// as running again.
pub async fn fail(
    db: &Db,
    job: &Job,
    error: &str,
    retry_in: Duration,
) -> Result<bool, TenancyError> {
    let (tenant, id, token) = (job.tenant_id, job.id, job.lease);
    let error: String = error.chars().take(2000).collect();
    let status = db
        .platform_tx(|conn| {
            async move {
                let Status { status } =
                    diesel::sql_query("SELECT job_queue_fail($1, $2, $3, $4, $5) AS status")
                        .bind::<SqlUuid, _>(tenant)
                        .bind::<SqlUuid, _>(id)
                        .bind::<SqlUuid, _>(token)
                        .bind::<Text, _>(error)
                        .bind::<Interval, _>(interval(retry_in))
                        .get_result(conn)
                        .await?;
                Ok::<_, TenancyError>(status)
            }
            .scope_boxed()
        })
        .await?;
    Ok(status.as_deref() != Some("failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Parameters {
        seller_id: Uuid,
        reason: String,
    }

    fn job(payload: serde_json::Value) -> Job {
        Job {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            kind: "test.kind".into(),
            payload,
            attempts: 1,
            max_attempts: DEFAULT_ATTEMPTS,
            lease: Uuid::nil(),
        }
    }

    #[test]
    fn a_payload_decodes_to_what_was_enqueued() {
        let sent = Parameters {
            seller_id: Uuid::max(),
            reason: "spam".into(),
        };
        let value = payload("test request", &sent).unwrap();
        assert_eq!(
            value,
            serde_json::json!({ "seller_id": Uuid::max(), "reason": "spam" })
        );
        assert_eq!(
            job(value).decode::<Parameters>("test payload").unwrap(),
            sent
        );
    }

    #[test]
    fn a_payload_of_another_shape_is_invalid_and_named() {
        let refused = job(serde_json::json!({ "seller_id": 7 }))
            .decode::<Parameters>("test job payload")
            .unwrap_err();
        let Rejection::Invalid(message) = refused else {
            panic!("not invalid input: {refused:?}");
        };
        assert!(message.starts_with("test job payload: "), "{message}");
    }

    #[test]
    fn parameters_that_do_not_serialize_are_invalid_and_named() {
        // A map whose keys are not strings has no JSON form.
        let parameters = std::collections::BTreeMap::from([((1, 2), "x")]);
        let refused = payload("test request", &parameters).unwrap_err();
        let Rejection::Invalid(message) = refused else {
            panic!("not invalid input: {refused:?}");
        };
        assert!(message.starts_with("test request: "), "{message}");
    }
}
