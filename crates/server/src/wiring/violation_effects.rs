//! Enforcement's [`ViolationEffects`]: a violation moves its user's seller
//! trust.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use warden_enforcement::{EnforcementError, Violation, ViolationEffects};
use warden_tenancy::{DbConn, TenantId};

use super::{CrossDomainEffects, trust_error};

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
        .map_err(trust_error)
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
            .map_err(trust_error)
    }
}
