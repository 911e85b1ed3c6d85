//! What detections need from other domains. Behavior declares it here; the
//! server implements it (from enforcement's settings and seller trust), so
//! behavior does not depend on those domains.

use uuid::Uuid;
use warden_tenancy::{DbConn, TenantId};

use crate::BehaviorError;

/// Reads and effects of detections in other domains, run inside the
/// transaction that records or reviews a detection.
#[async_trait::async_trait]
pub trait DetectionEffects: Send + Sync {
    /// The tenant's confidence at or above which a live detection becomes a
    /// violation without review.
    async fn auto_violation_confidence(&self, conn: &mut DbConn) -> Result<f64, BehaviorError>;

    /// A live detection about user `user` was recorded or reviewed: what other
    /// domains derive from a user's detections (a seller's trust risk) is due
    /// to be recomputed.
    async fn detections_changed(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        user: Uuid,
    ) -> Result<(), BehaviorError>;
}
