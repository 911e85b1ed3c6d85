//! How the domains reach one another. No domain crate depends on another
//! domain: an effect across domains is either
//!
//! - a trait the calling domain declares, implemented here by
//!   [`CrossDomainEffects`] and passed to the domain's functions (for effects
//!   and reads inside the caller's transaction), or
//! - a job whose kind and payload the producing domain declares; the job
//!   runner routes it to the owning domain, turned into the owner's terms here.
//!
//! Wired so far:
//! - [`commerce`]: commerce screens content with moderation and checks seller
//!   standing with trust (`ContentScreen`, `SellerStanding`).
//! - [`content_store`]: moderation reads and sets the moderation state of
//!   commerce's content (`ContentStore`).
//! - [`violation_effects`]: a violation moves seller trust (enforcement → trust).
//! - [`detection_effects`]: a detection reads enforcement's threshold for
//!   automatic violations and moves seller trust (behavior → enforcement, trust).
//! - [`violation_requests`]: moderation's and behavior's requests for a
//!   violation become enforcement's (moderation, behavior → enforcement).
//! - [`rejection_violations`]: a refused write's violation is recorded by
//!   enforcement in the refusal's transaction (moderation → enforcement).
//! - [`audit_search`]: the audit search names actors by identity's users.
//! - [`reports`]: reports open and rank items in moderation's review queue,
//!   and a decided report item closes its reports (reports ↔ moderation).

pub mod audit_search;
pub mod commerce;
pub mod content_store;
pub mod detection_effects;
pub mod rejection_violations;
pub mod reports;
pub mod transparency;
pub mod violation_effects;
pub mod violation_requests;

use warden_audit::AuditError;
use warden_notifications::NotificationError;
use warden_tenancy::{Rejection, TenancyError};
use warden_trust::TrustError;

/// The server's implementation of the traits the domain crates declare for
/// their effects on other domains. It holds nothing: each effect runs on the
/// connection of the transaction it belongs to.
#[derive(Clone, Copy, Debug, Default)]
pub struct CrossDomainEffects;

/// A seller-trust failure met by another domain's effect (a violation's, a
/// detection's), as that domain's error `E`: refusals and database, audit and
/// notification failures travel as they are; trust's own limits (listings,
/// features, verification codes), which no such effect runs into, as invalid
/// input.
pub(crate) fn trust_error<E>(e: TrustError) -> E
where
    E: From<Rejection> + From<TenancyError> + From<AuditError> + From<NotificationError>,
{
    match e {
        TrustError::Refused(r) => r.into(),
        TrustError::Tenancy(t) => t.into(),
        TrustError::Audit(a) => a.into(),
        TrustError::Notification(n) => n.into(),
        other @ (TrustError::LevelLimit { .. }
        | TrustError::FeatureGated { .. }
        | TrustError::Throttled { .. }) => Rejection::Invalid(other.to_string()).into(),
    }
}

#[cfg(test)]
mod tests {
    use warden_behavior::BehaviorError;
    use warden_enforcement::EnforcementError;

    use super::*;

    fn gated() -> TrustError {
        TrustError::FeatureGated {
            feature: "analytics",
            required: 2,
            level: 1,
        }
    }

    #[test]
    fn a_trust_failure_keeps_its_kind_in_enforcement() {
        let e: EnforcementError = trust_error(TrustError::not_found("seller"));
        assert!(matches!(
            e,
            EnforcementError::Refused(Rejection::NotFound("seller"))
        ));
        let e: EnforcementError = trust_error(TrustError::Tenancy(TenancyError::TenantNotFound));
        assert!(matches!(
            e,
            EnforcementError::Tenancy(TenancyError::TenantNotFound)
        ));
        let e: EnforcementError = trust_error(TrustError::Audit(AuditError::Closed));
        assert!(matches!(e, EnforcementError::Audit(AuditError::Closed)));
        let e: EnforcementError = trust_error(TrustError::Notification(
            NotificationError::conflict("busy"),
        ));
        assert!(matches!(e, EnforcementError::Notification(_)));
        let e: EnforcementError = trust_error(gated());
        assert!(matches!(
            e,
            EnforcementError::Refused(Rejection::Invalid(m)) if m == "analytics needs trust level 2"
        ));
    }

    #[test]
    fn a_trust_failure_keeps_its_kind_in_behavior() {
        let e: BehaviorError = trust_error(TrustError::forbidden("no"));
        assert!(matches!(e, BehaviorError::Refused(Rejection::Forbidden(m)) if m == "no"));
        let e: BehaviorError = trust_error(TrustError::Tenancy(TenancyError::TenantNotFound));
        assert!(matches!(
            e,
            BehaviorError::Tenancy(TenancyError::TenantNotFound)
        ));
        // Behavior has no audit variant: a closed writer is the database's.
        let e: BehaviorError = trust_error(TrustError::Audit(AuditError::Closed));
        assert!(matches!(
            e,
            BehaviorError::Tenancy(TenancyError::Unavailable(_))
        ));
        let e: BehaviorError = trust_error(gated());
        assert!(matches!(
            e,
            BehaviorError::Refused(Rejection::Invalid(m)) if m == "analytics needs trust level 2"
        ));
    }
}
