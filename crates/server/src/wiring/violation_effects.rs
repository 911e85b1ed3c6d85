//! Enforcement's [`ViolationEffects`]: a violation moves its user's seller
//! trust.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use warden_enforcement::{EnforcementError, Violation, ViolationEffects};
use warden_tenancy::{DbConn, TenantId};
use warden_trust::TrustError;

use super::CrossDomainEffects;

#[async_trait::async_trait]
impl ViolationEffects for CrossDomainEffects {
    async fn recorded(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        violation: &Violation,
        now: DateTime<Utc>,
    ) -> Result<(), EnforcementError> {
        // A severe violation lowers the offender's seller trust at once; any
        // violation has their stores re-evaluated.
        warden_trust::lifecycle::on_violation(
            conn,
            tenant,
            violation.user_id,
            (violation.id, violation.severity.as_str()),
            now,
        )
        .await
        .map_err(enforcement_error)
    }

    async fn overturned(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        user: Uuid,
    ) -> Result<(), EnforcementError> {
        // An overturned violation no longer weighs on the seller's trust.
        warden_trust::jobs::enqueue_recompute_for_user(conn, tenant, user)
            .await
            .map_err(enforcement_error)
    }
}

/// A seller-trust failure, as an enforcement error (the same code).
fn enforcement_error(e: TrustError) -> EnforcementError {
    match e {
        TrustError::Refused(r) => EnforcementError::Refused(r),
        TrustError::Tenancy(t) => EnforcementError::Tenancy(t),
        TrustError::Audit(a) => EnforcementError::Audit(a),
        TrustError::Notification(n) => EnforcementError::Notification(n),
        // Limits of listings, features and verification codes: nothing a
        // violation's effects run into.
        other @ (TrustError::LevelLimit { .. }
        | TrustError::FeatureGated { .. }
        | TrustError::Throttled { .. }) => EnforcementError::invalid(other.to_string()),
    }
}
