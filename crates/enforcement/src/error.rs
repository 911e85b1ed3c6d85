//! Errors of enforcement.

use warden_identity::IdentityError;
use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of enforcement. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum EnforcementError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The target user's highest role is not below the actor's (see `sanctions`).
    #[error("{0}")]
    TargetOutranksActor(String),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    /// The audit row or live event of a change could not be written.
    #[error(transparent)]
    Audit(#[from] warden_audit::AuditError),
    /// The notification of a change could not be raised.
    #[error(transparent)]
    Notification(#[from] warden_notifications::NotificationError),
}

impl EnforcementError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::TargetOutranksActor(_) => ErrorCode::TargetOutranksActor,
            Self::Tenancy(e) => e.code(),
            Self::Audit(e) => e.code(),
            Self::Notification(e) => e.code(),
        }
    }
}

impl From<IdentityError> for EnforcementError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Refused(r) => Self::Refused(r),
            IdentityError::TargetOutranksActor(msg) => Self::TargetOutranksActor(msg),
            IdentityError::Audit(a) => Self::Audit(a),
            IdentityError::Tenancy(t) => Self::Tenancy(t),
            // Enforcement only reads and writes user rows, which charges no quota.
            e @ IdentityError::Quota(_) => Self::conflict(e.to_string()),
        }
    }
}

/// The way back, for identity's [`Sanctions`](warden_identity::status::Sanctions)
/// hook (enforcement re-applying bans inside an administrator's change): the
/// variants both share travel as they are.
impl From<EnforcementError> for IdentityError {
    fn from(e: EnforcementError) -> Self {
        match e {
            EnforcementError::Tenancy(t) => Self::Tenancy(t),
            EnforcementError::Audit(a) => Self::Audit(a),
            EnforcementError::Refused(r) => Self::Refused(r),
            EnforcementError::TargetOutranksActor(m) => Self::TargetOutranksActor(m),
            // Identity's errors have no variant for a notification failure.
            other @ EnforcementError::Notification(_) => Self::conflict(other.to_string()),
        }
    }
}

impl From<diesel::result::Error> for EnforcementError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

warden_tenancy::rejection_constructors!(EnforcementError);

impl From<warden_decisions::DecisionError> for EnforcementError {
    fn from(e: warden_decisions::DecisionError) -> Self {
        use warden_decisions::DecisionError;
        match e {
            DecisionError::Refused(r) => Self::Refused(r),
            DecisionError::Tenancy(t) => Self::Tenancy(t),
            DecisionError::Notification(n) => Self::Notification(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_to_identity_and_back_keeping_their_variant() {
        let back = |e: EnforcementError| EnforcementError::from(IdentityError::from(e));
        assert!(matches!(
            back(EnforcementError::not_found("user")),
            EnforcementError::Refused(Rejection::NotFound("user"))
        ));
        assert!(matches!(
            back(EnforcementError::TargetOutranksActor("no".into())),
            EnforcementError::TargetOutranksActor(m) if m == "no"
        ));
        assert!(matches!(
            back(TenancyError::TenantNotFound.into()),
            EnforcementError::Tenancy(TenancyError::TenantNotFound)
        ));
        assert!(matches!(
            back(warden_audit::AuditError::Closed.into()),
            EnforcementError::Audit(warden_audit::AuditError::Closed)
        ));
    }

    #[test]
    fn a_notification_failure_reaches_identity_as_a_conflict() {
        let e = IdentityError::from(EnforcementError::Notification(
            warden_notifications::NotificationError::invalid("no channel"),
        ));
        assert_eq!(e.code(), ErrorCode::Conflict);
        assert_eq!(e.to_string(), "no channel");
    }
}
