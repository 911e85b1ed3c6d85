//! The background job runner: claims jobs from the PostgreSQL queue and hands
//! each to the domain function of its kind. Every replica may run one; the
//! queue's `SKIP LOCKED` claim keeps them from taking the same job.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use warden_behavior::BehaviorError;
use warden_behavior::violation_requests as detection_requests;
use warden_decisions::DecisionError;
use warden_decisions::retention;
use warden_enforcement::EnforcementError;
use warden_moderation::rescans;
use warden_moderation::violation_requests as rejection_requests;
use warden_moderation::{ModerationError, Moderator};
use warden_notifications::NotificationError;
use warden_notifications::delivery::{self, Providers};
use warden_tenancy::clock::Clock;
use warden_tenancy::{Db, TenancyError, TenantId, queue};
use warden_trust::TrustError;
use warden_trust::jobs as trust_jobs;

use crate::state::{UserCache, forget_user};
use crate::wiring::content_store::CommerceContent;
use crate::wiring::{CrossDomainEffects, violation_requests};

/// How long to wait for work when the queue is empty.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Wait before retrying a job that failed.
const RETRY_IN: Duration = Duration::from_secs(10);

/// What jobs need.
#[derive(Clone)]
pub struct Runner {
    /// Runtime pool.
    pub db: Db,
    /// Moderation, for rescans.
    pub moderator: Moderator,
    /// Enforcement's clock.
    pub clock: Arc<dyn Clock>,
    /// The user cache, cleared for accounts a job changes.
    pub users: UserCache,
    /// Email and SMS providers.
    pub providers: Providers,
    /// First retry delay of a delivery, doubled per attempt up to `retry_max`.
    pub retry_base: Duration,
    /// Longest retry delay of a delivery.
    pub retry_max: Duration,
    /// Days decisions' evidence is kept.
    pub evidence_retention_days: u32,
}

/// How a job of any kind failed.
#[derive(Debug, thiserror::Error)]
enum JobError {
    #[error(transparent)]
    Moderation(#[from] ModerationError),
    #[error(transparent)]
    Enforcement(#[from] EnforcementError),
    #[error(transparent)]
    Notification(#[from] NotificationError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Behavior(#[from] BehaviorError),
    #[error(transparent)]
    Decision(#[from] DecisionError),
}

/// Every job kind the runner takes.
fn kinds() -> Vec<&'static str> {
    let mut k = vec![
        rescans::JOB_KIND,
        delivery::JOB_KIND,
        rejection_requests::JOB_KIND,
        detection_requests::JOB_KIND,
        retention::JOB_KIND,
    ];
    k.extend(warden_enforcement::jobs::KINDS);
    k.extend(trust_jobs::KINDS);
    k
}

impl Runner {
    /// Runs one claimed job.
    async fn run_one(&self, job: &queue::Job) -> Result<(), JobError> {
        if job.kind == rescans::JOB_KIND {
            return Ok(rescans::run_job(&self.db, &CommerceContent, &self.moderator, job).await?);
        }
        if job.kind == delivery::JOB_KIND {
            return Ok(delivery::run_job(&self.db, &self.providers, job).await?);
        }
        if job.kind == retention::JOB_KIND {
            let deleted = retention::run_job(
                &self.db,
                job,
                self.clock.now(),
                self.evidence_retention_days,
            )
            .await?;
            tracing::info!(tenant = %job.tenant(), deleted, "evidence past its retention deleted");
            return Ok(());
        }
        if trust_jobs::KINDS.contains(&job.kind.as_str()) {
            return Ok(trust_jobs::run_job(&self.db, job, self.clock.now()).await?);
        }
        // Other domains' requests for a violation go to enforcement.
        let now = self.clock.now();
        let request = if job.kind == rejection_requests::JOB_KIND {
            Some(violation_requests::from_moderation(
                rejection_requests::decode(job)?,
            ))
        } else if job.kind == detection_requests::JOB_KIND {
            Some(violation_requests::from_behavior(
                detection_requests::decode(job)?,
            ))
        } else {
            None
        };
        let changed = match request {
            Some(request) => {
                warden_enforcement::jobs::record_violation(
                    &self.db,
                    job,
                    request,
                    now,
                    &CrossDomainEffects,
                )
                .await?
            }
            None => {
                warden_enforcement::jobs::run_job(&self.db, job, now, &CrossDomainEffects).await?
            }
        };
        // Their users' bans or statuses changed: the cached rows are stale.
        for c in changed {
            forget_user(&self.users, job.tenant(), c.user_id);
        }
        Ok(())
    }

    /// Claims and runs the next ready job (of `only`'s tenant when given);
    /// false when none was ready.
    pub async fn run_next(
        &self,
        worker: &str,
        only: Option<TenantId>,
    ) -> Result<bool, TenancyError> {
        let lease = rescans::LEASE
            .max(warden_enforcement::jobs::LEASE)
            .max(trust_jobs::LEASE)
            .max(retention::LEASE);
        let Some(job) = queue::claim(&self.db, worker, &kinds(), only, lease).await? else {
            return Ok(false);
        };
        let outcome = self.run_one(&job).await;
        let retry_in = if job.kind == delivery::JOB_KIND {
            // A provider that is down is retried until it is back, backing off.
            delivery::retry_delay(job.attempts, self.retry_base, self.retry_max)
        } else {
            RETRY_IN
        };
        if let Err(e) = settle(&self.db, &job, outcome, retry_in).await {
            tracing::warn!(job = %job.id, error = %e, "could not settle job; its lease will lapse");
        }
        Ok(true)
    }
}

/// Runs jobs until `stop` turns true; the job in hand is finished first
/// (shutdown waits for it, bounded by the caller's timeout; past that, its
/// lease lapses and another replica resumes it). With `only`, takes just that
/// tenant's jobs.
pub async fn run(runner: Runner, mut stop: watch::Receiver<bool>, only: Option<TenantId>) {
    let worker = format!("{}-{}", hostname(), uuid::Uuid::now_v7());
    loop {
        if *stop.borrow() {
            return;
        }
        match runner.run_next(&worker, only).await {
            Ok(true) => {}
            Ok(false) => {
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
/// failed for good, which a rescan records too.
async fn settle(
    db: &Db,
    job: &queue::Job,
    outcome: Result<(), JobError>,
    retry_in: Duration,
) -> Result<(), TenancyError> {
    let Err(e) = outcome else {
        if !queue::complete(db, job).await? {
            // Its lease lapsed and another worker claimed it: that run settles it.
            tracing::warn!(job = %job.id, kind = %job.kind, "job finished after its lease passed to another worker");
        }
        return Ok(());
    };
    tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "background job failed");
    if !queue::fail(db, job, &e.to_string(), retry_in).await?
        && job.kind == rescans::JOB_KIND
        && let Err(mark) = rescans::job_failed(db, job, &e.to_string()).await
    {
        tracing::warn!(job = %job.id, error = %mark, "could not mark the rescan failed");
    }
    Ok(())
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "warden".into())
}
