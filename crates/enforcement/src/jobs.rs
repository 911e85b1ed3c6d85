//! Background jobs of enforcement, on the PostgreSQL job queue.
//!
//! - [`VIOLATION`]: a violation asked for in the transaction that records its
//!   source, so it exists exactly when the source does; recording is
//!   idempotent per source, so a retried job records nothing twice. Other
//!   domains ask with job kinds of their own (a moderation rejection, a
//!   detection), which the server turns into a [`ViolationRequest`] for
//!   [`record_violation`].
//! - [`BAN_EXPIRY`]: scheduled at the end of each temporary ban; restores every
//!   account of the tenant whose ban has run out.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId, queue};

use crate::accounts::{self, AccountChange};
use crate::violations::{self, ViolationRequest};
use crate::{EnforcementError, ViolationEffects};

/// Job kind: record a violation.
pub const VIOLATION: &str = "enforcement.violation";
/// Job kind: end temporary bans that have run out.
pub const BAN_EXPIRY: &str = "enforcement.ban_expiry";
/// Every kind this module runs.
pub const KINDS: [&str; 2] = [VIOLATION, BAN_EXPIRY];
/// How long a worker holds a job.
pub const LEASE: Duration = Duration::from_secs(60);

/// Asks for a violation inside the caller's transaction.
pub async fn enqueue_violation(
    conn: &mut DbConn,
    tenant: TenantId,
    request: &ViolationRequest,
) -> Result<Uuid, EnforcementError> {
    let payload = queue::payload("violation request", request)?;
    Ok(queue::enqueue(conn, tenant, VIOLATION, payload, None).await?)
}

/// Runs one claimed job at `now`; returns the accounts whose state changed
/// (so the caller can drop what it cached about them). A violation has its
/// `effects` on other domains.
pub async fn run_job(
    db: &Db,
    job: &queue::Job,
    now: DateTime<Utc>,
    effects: &dyn ViolationEffects,
) -> Result<Vec<AccountChange>, EnforcementError> {
    let tenant = job.tenant();
    match job.kind.as_str() {
        VIOLATION => {
            let request: ViolationRequest = job.decode("violation job payload")?;
            record_violation(db, job, request, now, effects).await
        }
        BAN_EXPIRY => accounts::expire_due(db, tenant, now).await,
        other => Err(EnforcementError::invalid(format!(
            "unknown job kind {other}"
        ))),
    }
}

/// Records the violation `job` asks for, in its own transaction (of this
/// crate's [`VIOLATION`] kind, or another domain's request the server turned
/// into `request`); returns the accounts whose state changed. A request naming
/// no user of the tenant records nothing and is no error.
pub async fn record_violation(
    db: &Db,
    job: &queue::Job,
    request: ViolationRequest,
    now: DateTime<Utc>,
    effects: &dyn ViolationEffects,
) -> Result<Vec<AccountChange>, EnforcementError> {
    let tenant = job.tenant();
    let recorded = db
        .tenant_tx(tenant, |conn| {
            async move { violations::record_in_tx(conn, tenant, request, now, None, effects).await }
                .scope_boxed()
        })
        .await;
    match recorded {
        Ok(r) => Ok(r.account.into_iter().collect()),
        // The user is gone (never synced, or another tenant's id): nothing to enforce.
        Err(EnforcementError::Refused(warden_tenancy::Rejection::NotFound(what))) => {
            tracing::warn!(job = %job.id, what, "violation job names nothing to enforce on");
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}
