//! The background job runner: claims jobs from the PostgreSQL queue and hands
//! each to the domain function of its kind. Every replica may run one; the
//! queue's `SKIP LOCKED` claim keeps them from taking the same job.

use std::time::Duration;

use tokio::sync::watch;
use warden_moderation::Moderator;
use warden_moderation::rescans;
use warden_tenancy::{Db, TenantId, queue};

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
                let settled = match outcome {
                    Ok(()) => queue::complete(&db, job.id).await,
                    Err(e) => {
                        tracing::warn!(job = %job.id, error = %e, "background job failed");
                        match queue::fail(&db, &job, &e.to_string(), RETRY_IN).await {
                            Ok(false) => {
                                let id = job.payload.get("rescan_id").and_then(|v| v.as_str());
                                if let Some(id) = id.and_then(|s| s.parse().ok()) {
                                    let _ =
                                        rescans::mark_failed(&db, job.tenant(), id, &e.to_string())
                                            .await;
                                }
                                Ok(())
                            }
                            Ok(true) => Ok(()),
                            Err(e) => Err(e),
                        }
                    }
                };
                if let Err(e) = settled {
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

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "warden".into())
}
