//! Background jobs of trust, on the PostgreSQL job queue.
//!
//! - [`RECOMPUTE`]: re-evaluates one store (score, risk, level), enqueued in
//!   the transaction of an event that moves its signals (an order's status, a
//!   review, a violation, an appeal, a detection, a new store). One waiting
//!   job per store: events before it runs share it.
//! - [`DAILY`]: re-evaluates every store of the tenant (time alone moves the
//!   score and ends grace periods), then schedules itself a day later. One
//!   waits per tenant, created with the tenant's first computed store.

use std::time::Duration;

use crate::schema::seller_profiles;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId, queue};

use crate::TrustError;
use crate::lifecycle;

/// Job kind: re-evaluate one store.
pub const RECOMPUTE: &str = "trust.recompute";
/// Job kind: re-evaluate every store of the tenant, daily.
pub const DAILY: &str = "trust.daily";
/// Every kind this module runs.
pub const KINDS: [&str; 2] = [RECOMPUTE, DAILY];
/// How long a worker holds a job (the daily pass extends it per batch).
pub const LEASE: Duration = Duration::from_secs(60);
/// Attempts of a daily pass: it schedules the next one, so it outlasts a long
/// database outage (retried every 10 s, about a day) rather than end the chain.
const DAILY_ATTEMPTS: i32 = 10_000;
/// Stores the daily pass evaluates between lease extensions.
const BATCH: i64 = 200;

/// Asks for store `seller` to be re-evaluated, inside the caller's transaction.
pub async fn enqueue_recompute(
    conn: &mut DbConn,
    tenant: TenantId,
    seller: Uuid,
) -> Result<(), TrustError> {
    let payload = serde_json::json!({ "seller_id": seller });
    queue::enqueue_unique(
        conn,
        tenant,
        RECOMPUTE,
        payload,
        None,
        queue::DEFAULT_ATTEMPTS,
    )
    .await?;
    Ok(())
}

/// Asks for every store of `user` to be re-evaluated (after an event about a
/// person rather than a store: an appeal, a detection).
pub async fn enqueue_recompute_for_user(
    conn: &mut DbConn,
    tenant: TenantId,
    user: Uuid,
) -> Result<(), TrustError> {
    for seller in stores_of(conn, user).await? {
        enqueue_recompute(conn, tenant, seller).await?;
    }
    Ok(())
}

/// The stores user `user` owns.
pub(crate) async fn stores_of(conn: &mut DbConn, user: Uuid) -> Result<Vec<Uuid>, TrustError> {
    Ok(seller_profiles::table
        .filter(seller_profiles::user_id.eq(user))
        .select(seller_profiles::id)
        .load(conn)
        .await?)
}

/// Makes sure the tenant's daily pass is scheduled (a day after `now` when
/// it was not).
pub async fn ensure_daily(
    conn: &mut DbConn,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<(), TrustError> {
    // The queue runs on the wall clock: a domain clock behind it (a test's,
    // set in the past) must not make the pass due at once, again and again.
    let at = now.max(Utc::now()) + chrono::Duration::days(1);
    queue::enqueue_unique(
        conn,
        tenant,
        DAILY,
        serde_json::json!({}),
        Some(at),
        DAILY_ATTEMPTS,
    )
    .await?;
    Ok(())
}

/// Runs one claimed job at `now`.
pub async fn run_job(db: &Db, job: &queue::Job, now: DateTime<Utc>) -> Result<(), TrustError> {
    let tenant = job.tenant();
    match job.kind.as_str() {
        RECOMPUTE => {
            let seller = job
                .payload
                .get("seller_id")
                .and_then(|v| v.as_str())
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| TrustError::invalid("recompute job without seller_id"))?;
            evaluate_one(db, tenant, seller, now).await
        }
        DAILY => daily(db, job, now).await,
        other => Err(TrustError::invalid(format!("unknown job kind {other}"))),
    }
}

/// Evaluates one store in its own transaction; a store gone since is no error.
async fn evaluate_one(
    db: &Db,
    tenant: TenantId,
    seller: Uuid,
    now: DateTime<Utc>,
) -> Result<(), TrustError> {
    let outcome = db
        .tenant_tx(tenant, |conn| {
            async move { lifecycle::evaluate(conn, tenant, seller, now).await }.scope_boxed()
        })
        .await;
    match outcome {
        Ok(_) | Err(TrustError::Refused(warden_tenancy::Rejection::NotFound(_))) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Evaluates every store, a transaction each (one store's failure is logged
/// and does not stop the others), then schedules the next pass.
async fn daily(db: &Db, job: &queue::Job, now: DateTime<Utc>) -> Result<(), TrustError> {
    let tenant = job.tenant();
    let mut after = Uuid::nil();
    loop {
        let batch: Vec<Uuid> = db
            .tenant_tx(tenant, |conn| {
                async move {
                    Ok::<_, TrustError>(
                        seller_profiles::table
                            .filter(seller_profiles::id.gt(after))
                            .select(seller_profiles::id)
                            .order(seller_profiles::id)
                            .limit(BATCH)
                            .load(conn)
                            .await?,
                    )
                }
                .scope_boxed()
            })
            .await?;
        let Some(last) = batch.last().copied() else {
            break;
        };
        for seller in batch {
            if let Err(e) = evaluate_one(db, tenant, seller, now).await {
                tracing::warn!(%seller, error = %e, "daily trust evaluation of a store failed");
            }
        }
        after = last;
        if !queue::extend(db, job, LEASE).await? {
            // Another worker took the job over after our lease lapsed.
            return Ok(());
        }
    }
    db.tenant_tx(tenant, |conn| {
        async move { ensure_daily(conn, tenant, now).await }.scope_boxed()
    })
    .await
}
