//! Moderation's [`ViolationSink`]: the violation a refused write earns is
//! recorded by enforcement in the transaction that records the refusal, so a
//! ban it brings is in force before the author is answered.

use std::sync::Arc;

use warden_enforcement::EnforcementError;
use warden_moderation::ModerationError;
use warden_moderation::violation_requests::{ViolationRequest, ViolationSink};
use warden_tenancy::clock::Clock;
use warden_tenancy::{DbConn, TenancyError, TenantId};

use super::CrossDomainEffects;
use super::violation_requests::from_moderation;

/// Records refused writes' violations with enforcement, at the clock's time.
pub struct EnforcedAtOnce {
    /// Enforcement's clock.
    pub clock: Arc<dyn Clock>,
}

/// An enforcement failure as moderation's: refusals and database failures
/// as they are, audit and notification failures as an unavailable database
/// (the transaction is rolled back either way).
fn moderation_error(e: EnforcementError) -> ModerationError {
    match e {
        EnforcementError::Refused(r) => r.into(),
        EnforcementError::Tenancy(t) => t.into(),
        other => TenancyError::Unavailable(other.to_string()).into(),
    }
}

#[async_trait::async_trait]
impl ViolationSink for EnforcedAtOnce {
    async fn record(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        request: ViolationRequest,
    ) -> Result<(), ModerationError> {
        warden_enforcement::violations::record_in_tx(
            conn,
            tenant,
            from_moderation(request),
            self.clock.now(),
            None,
            &CrossDomainEffects,
        )
        .await
        .map(|_| ())
        .map_err(moderation_error)
    }
}
