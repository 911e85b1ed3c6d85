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

impl From<diesel::result::Error> for EnforcementError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

warden_tenancy::rejection_constructors!(EnforcementError);
