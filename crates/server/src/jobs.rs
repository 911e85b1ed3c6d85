//! The background job runner: claims jobs from the PostgreSQL queue and hands
//! each to the domain function of its kind. Every replica may run one; the
//! queue's `SKIP LOCKED` claim keeps them from taking the same job.

use std::time::Duration;

use tokio::sync::watch;
use warden_moderation::rescans;
use warden_moderation::{ModerationError, Moderator};
use warden_tenancy::{Db, TenancyError, TenantId, queue};

/// How long to wait for work when the queue is empty.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Wait before retrying a job that failed.
const RETRY_IN: Duration = Duration::from_secs(10);

/// Runs jobs until `stop` turns true; the job in hand is finished first
/// (shutdown waits for it, bounded by the caller's timeout; past that, its
/// lease lapses and another replica resumes it). With `only`, takes just that
/// tenant's jobs.
pub async fn run(
    db: Db,
    moderator: Moderator,
    mut stop: watch::Receiver<bool>,
    only: Option<TenantId>,
) {
    let worker = format!("{}-{}", hostname(), uuid::Uuid::now_v7());
    loop {
        if *stop.borrow() {
            return;
        }
        match queue::claim(&db, &worker, &[rescans::JOB_KIND], only, rescans::LEASE).await {
            Ok(Some(job)) => {
                let outcome = rescans::run_job(&db, &moderator, &job, &worker).await;
                if let Err(e) = settle(&db, &job, outcome).await {
                    tracing::warn!(job = %job.id, error = %e, "could not settle job; its lease will lapse");
                }
            }
            Ok(None) => {
                let _ = tokio::time::timeout(IDLE_POLL, stop.changed()).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "job queue unavailable");
                let _ = tokio::time::timeout(IDLE_POLL * 4, stop.changed()).await;
            }
        }
    }
}

/// Records how a job ended: done, to be retried, or (attempts used up)
/// failed for good, which its rescan records too.
async fn settle(
    db: &Db,
    job: &queue::Job,
    outcome: Result<(), ModerationError>,
) -> Result<(), TenancyError> {
    let Err(e) = outcome else {
        return queue::complete(db, job.id).await;
    };
    tracing::warn!(job = %job.id, error = %e, "background job failed");
    if !queue::fail(db, job, &e.to_string(), RETRY_IN).await?
        && let Err(mark) = rescans::job_failed(db, job, &e.to_string()).await
    {
        tracing::warn!(job = %job.id, error = %mark, "could not mark the rescan failed");
    }
    Ok(())
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "warden".into())
}
