//! Errors of enforcement.

use warden_identity::IdentityError;
use warden_tenancy::TenancyError;

/// Errors of enforcement. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum EnforcementError {
    /// The input breaks a rule (unknown type, reason too long, bad ladder, …).
    #[error("{0}")]
    Invalid(String),
    /// The thing does not exist in this tenant (or the caller may not know of it).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The target user's highest role is not below the actor's (see `sanctions`).
    #[error("{0}")]
    TargetOutranksActor(String),
    /// The request conflicts with the current state (a second appeal, …).
    #[error("{0}")]
    Conflict(String),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    /// The audit row or live event of a change could not be written.
    #[error(transparent)]
    Audit(#[from] warden_audit::AuditError),
    /// The notification of a change could not be raised.
    #[error(transparent)]
    Notification(#[from] warden_notifications::NotificationError),
    /// The seller trust a violation moves could not be updated.
    #[error(transparent)]
    Trust(#[from] warden_trust::TrustError),
}

impl EnforcementError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_input",
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict(_) => "conflict",
            Self::TargetOutranksActor(_) => "target_outranks_actor",
            Self::Tenancy(e) => e.code(),
            Self::Audit(e) => e.code(),
            Self::Notification(e) => e.code(),
            Self::Trust(e) => e.code(),
        }
    }
}

impl From<IdentityError> for EnforcementError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::NotFound(what) => Self::NotFound(what),
            IdentityError::Forbidden(msg) => Self::Forbidden(msg),
            IdentityError::TargetOutranksActor(msg) => Self::TargetOutranksActor(msg),
            IdentityError::Conflict(msg) => Self::Conflict(msg),
            IdentityError::Audit(a) => Self::Audit(a),
            IdentityError::Tenancy(t) => Self::Tenancy(t),
            // Enforcement only reads and writes user rows, which charges no quota.
            e @ IdentityError::Quota(_) => Self::Conflict(e.to_string()),
        }
    }
}

impl From<diesel::result::Error> for EnforcementError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}
