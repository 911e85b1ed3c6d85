//! What reports need from outside the crate, declared here and implemented
//! by the server (`crates/server/src/wiring/reports.rs`): the review queue
//! belongs to moderation, and the rate limiter to the server.

use uuid::Uuid;
use warden_tenancy::{DbConn, TenantId};

use crate::{ReportError, TargetType};

/// Moderation's review queue, where the open reports of one target share
/// one item. Runs inside the caller's tenant transaction (`conn`).
#[async_trait::async_trait]
pub trait ReviewQueue: Send + Sync {
    /// The open report item of the target, opened (and announced to staff)
    /// when there is none; its id.
    async fn open_item(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        target_type: TargetType,
        target_id: Uuid,
        reason: &str,
    ) -> Result<Uuid, ReportError>;

    /// Sets the priority of an open report item (a closed one keeps its own).
    async fn set_priority(
        &self,
        conn: &mut DbConn,
        review_id: Uuid,
        priority: i32,
    ) -> Result<(), ReportError>;
}

/// The per-reporter rate of reports.
#[async_trait::async_trait]
pub trait ReportThrottle: Send + Sync {
    /// Admits one report of `reporter`, or refuses it with
    /// [`ReportError::Throttled`] when they sent `per_hour` within the hour.
    async fn admit(
        &self,
        tenant: TenantId,
        reporter: Uuid,
        per_hour: u32,
    ) -> Result<(), ReportError>;
}
