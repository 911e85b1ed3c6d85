//! Evidence retention: a daily job per tenant deletes the evidence older than
//! the server's retention (one year by default). The job is scheduled with a
//! tenant's first evidence and schedules its next run itself.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId, queue};

use crate::DecisionError;
use crate::schema::decision_evidence;

/// Job kind: delete the tenant's evidence past its retention, daily.
pub const JOB_KIND: &str = "decisions.retention";
/// How long a worker holds the job.
pub const LEASE: Duration = Duration::from_secs(60);
/// Days evidence is kept unless the server is configured otherwise.
pub const DEFAULT_DAYS: u32 = 365;
/// Attempts of a run: it schedules the next one, so it outlasts a long
/// database outage rather than end the chain.
const ATTEMPTS: i32 = 10_000;

/// Makes sure the tenant's daily retention run is scheduled (a day from now
/// when it was not), inside the caller's transaction.
pub async fn schedule(conn: &mut DbConn, tenant: TenantId) -> Result<(), DecisionError> {
    // The queue runs on the wall clock.
    let at = Utc::now() + chrono::Duration::days(1);
    queue::enqueue_unique(
        conn,
        tenant,
        JOB_KIND,
        serde_json::json!({}),
        Some(at),
        ATTEMPTS,
    )
    .await?;
    Ok(())
}

/// Deletes the tenant's evidence decided more than `days` before `now`;
/// returns how many records went.
pub async fn purge(
    db: &Db,
    tenant: TenantId,
    now: DateTime<Utc>,
    days: u32,
) -> Result<usize, DecisionError> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    db.tenant_tx(tenant, |conn| {
        async move {
            Ok(diesel::delete(
                decision_evidence::table
                    .filter(decision_evidence::tenant_id.eq(tenant.as_uuid()))
                    .filter(decision_evidence::decided_at.lt(cutoff)),
            )
            .execute(conn)
            .await?)
        }
        .scope_boxed()
    })
    .await
}

/// Runs one claimed retention job at `now`: purges, then schedules the next run.
pub async fn run_job(
    db: &Db,
    job: &queue::Job,
    now: DateTime<Utc>,
    days: u32,
) -> Result<usize, DecisionError> {
    let tenant = job.tenant();
    let deleted = purge(db, tenant, now, days).await?;
    db.tenant_tx(tenant, |conn| {
        async move { schedule(conn, tenant).await }.scope_boxed()
    })
    .await?;
    Ok(deleted)
}
