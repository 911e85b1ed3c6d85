//! Behavior's [`DetectionEffects`]: a detection reads enforcement's threshold
//! for automatic violations and moves its user's seller trust.

use uuid::Uuid;
use warden_behavior::{BehaviorError, DetectionEffects};
use warden_enforcement::EnforcementError;
use warden_tenancy::{DbConn, TenantId};

use super::{CrossDomainEffects, trust_error};

#[async_trait::async_trait]
impl DetectionEffects for CrossDomainEffects {
    async fn auto_violation_confidence(&self, conn: &mut DbConn) -> Result<f64, BehaviorError> {
        let ladder = warden_enforcement::ladder::load(conn)
            .await
            .map_err(enforcement_error)?;
        Ok(ladder.auto_violation_confidence)
    }

    async fn detections_changed(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        user: Uuid,
    ) -> Result<(), BehaviorError> {
        // A live detection about a seller moves their trust risk.
        warden_trust::jobs::enqueue_recompute_for_user(conn, tenant, user)
            .await
            .map_err(trust_error)
    }
}

/// An enforcement failure (reading the ladder), as a behavior error.
fn enforcement_error(e: EnforcementError) -> BehaviorError {
    match e {
        EnforcementError::Refused(r) => BehaviorError::Refused(r),
        EnforcementError::TargetOutranksActor(m) => BehaviorError::forbidden(m),
        EnforcementError::Tenancy(t) => BehaviorError::Tenancy(t),
        EnforcementError::Audit(a) => a.into(),
        EnforcementError::Notification(n) => n.into(),
    }
}
