//! User reports and moderation's review queue: reports open and rank report
//! items in the queue (`ReviewQueue`, over `warden_moderation::report_items`),
//! a decision on a report item closes its reports (`ReportOutcomes`, over
//! `warden_reports::outcome`), and the reporter's hourly rate is drawn from
//! the server's rate limiter (`ReportThrottle`).

use uuid::Uuid;
use warden_audit::AuditError;
use warden_enforcement::EnforcementError;
use warden_moderation::ModerationError;
use warden_moderation::content::ContentType;
use warden_moderation::report_items::{self, ReportOutcomes, ReportedKind};
use warden_moderation::violation_requests::ViolationRequest;
use warden_notifications::NotificationError;
use warden_quotas::gcra::Window;
use warden_quotas::limiter::{Limit, LimitKey, RateLimiter};
use warden_reports::{Outcome, ReportError, ReportThrottle, ReviewQueue, TargetType};
use warden_tenancy::{Actor, DbConn, TenancyError, TenantId};

use super::{CrossDomainEffects, violation_requests};

/// The queue's kind of a report target (a store is its seller profile).
pub fn reported_kind(t: TargetType) -> ReportedKind {
    match t {
        TargetType::Listing => ReportedKind::Content(ContentType::Product),
        TargetType::Review => ReportedKind::Content(ContentType::Review),
        TargetType::Message => ReportedKind::Content(ContentType::Message),
        TargetType::Store => ReportedKind::Content(ContentType::SellerProfile),
        TargetType::User => ReportedKind::User,
    }
}

/// A queue failure, as reports' error: refusals and database failures as
/// they are, anything else (which opening or ranking an item does not meet)
/// as an internal failure of the queue.
fn queue_error(e: ModerationError) -> ReportError {
    match e {
        ModerationError::Refused(r) => r.into(),
        ModerationError::Tenancy(t) => t.into(),
        other => ReportError::Queue(other.to_string()),
    }
}

/// A failure closing the reports, as moderation's error (moderation has no
/// audit or notification variant: their database failures travel as such).
fn outcome_error(e: ReportError) -> ModerationError {
    match e {
        ReportError::Refused(r) => r.into(),
        ReportError::Tenancy(t)
        | ReportError::Audit(AuditError::Tenancy(t))
        | ReportError::Notification(NotificationError::Tenancy(t)) => t.into(),
        other => TenancyError::Unavailable(other.to_string()).into(),
    }
}

#[async_trait::async_trait]
impl ReviewQueue for CrossDomainEffects {
    async fn open_item(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        target_type: TargetType,
        target_id: Uuid,
        reason: &str,
    ) -> Result<Uuid, ReportError> {
        report_items::open(conn, tenant, reported_kind(target_type), target_id, reason)
            .await
            .map_err(queue_error)
    }

    async fn set_priority(
        &self,
        conn: &mut DbConn,
        review_id: Uuid,
        priority: i32,
    ) -> Result<(), ReportError> {
        report_items::set_priority(conn, review_id, priority)
            .await
            .map_err(queue_error)
    }
}

#[async_trait::async_trait]
impl ReportOutcomes for CrossDomainEffects {
    async fn report_item_decided(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        review_id: Uuid,
        upheld: bool,
        decided_by: Uuid,
    ) -> Result<(), ModerationError> {
        let outcome = if upheld {
            Outcome::Upheld
        } else {
            Outcome::Dismissed
        };
        warden_reports::outcome::close(conn, self, tenant, review_id, outcome, Some(decided_by))
            .await
            .map(|_| ())
            .map_err(outcome_error)
    }

    async fn sanction_user(
        &self,
        conn: &mut DbConn,
        reviewer: &Actor,
        request: ViolationRequest,
    ) -> Result<(), ModerationError> {
        warden_enforcement::violations::record_in_tx(
            conn,
            reviewer.tenant,
            violation_requests::from_moderation(request),
            chrono::Utc::now(),
            Some(reviewer),
            self,
        )
        .await
        .map(|_| ())
        .map_err(|e| match e {
            EnforcementError::TargetOutranksActor(msg) => ModerationError::forbidden(msg),
            EnforcementError::Refused(r) => r.into(),
            EnforcementError::Tenancy(t) => t.into(),
            other => TenancyError::Unavailable(other.to_string()).into(),
        })
    }
}

/// The reporters' hourly budgets, in the server's rate limiter (in process
/// or shared through Redis, as the tenant limits are).
pub struct ReportLimiter<'a>(pub &'a RateLimiter);

/// The limiter's name of the reports budget.
const ACTION: &str = "reports";

#[async_trait::async_trait]
impl ReportThrottle for ReportLimiter<'_> {
    async fn admit(
        &self,
        tenant: TenantId,
        reporter: Uuid,
        per_hour: u32,
    ) -> Result<(), ReportError> {
        let limit = Limit {
            key: LimitKey::UserAction {
                tenant: tenant.as_uuid(),
                user: reporter,
                action: ACTION,
            },
            windows: vec![Window::new("reports-hour", u64::from(per_hour), 3600)],
        };
        let decisions = self
            .0
            .check(std::slice::from_ref(&limit))
            .await
            .map_err(|_| ReportError::LimiterUnavailable)?;
        match decisions.first() {
            Some(d) if !d.allowed => Err(ReportError::Throttled {
                per_hour,
                retry_after_secs: d.retry_after_secs,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_store_is_its_seller_profile_and_a_user_is_a_user() {
        assert_eq!(
            reported_kind(TargetType::Store).as_str(),
            ContentType::SellerProfile.as_str()
        );
        assert_eq!(reported_kind(TargetType::User).as_str(), "user");
        assert_eq!(reported_kind(TargetType::Listing).as_str(), "product");
    }

    #[tokio::test]
    async fn the_reporters_budget_is_their_own() {
        let limiter = RateLimiter::in_process(Arc::new(warden_tenancy::clock::SystemClock));
        let throttle = ReportLimiter(&limiter);
        let tenant = TenantId::new(Uuid::now_v7());
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        for _ in 0..2 {
            assert!(throttle.admit(tenant, a, 2).await.is_ok());
        }
        assert!(matches!(
            throttle.admit(tenant, a, 2).await,
            Err(ReportError::Throttled { per_hour: 2, retry_after_secs }) if retry_after_secs > 0
        ));
        assert!(throttle.admit(tenant, b, 2).await.is_ok());
    }
}
