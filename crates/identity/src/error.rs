//! Errors of identity operations.

use warden_audit::AuditError;
use warden_quotas::QuotaError;
use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of identity operations. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The target user's highest role is not below the actor's.
    #[error("{0}")]
    TargetOutranksActor(String),
    /// The users quota refused a new user, or quota bookkeeping failed.
    #[error(transparent)]
    Quota(#[from] QuotaError),
    /// Writing an audit row failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl IdentityError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::TargetOutranksActor(_) => ErrorCode::TargetOutranksActor,
            Self::Quota(e) => e.code(),
            Self::Audit(e) => e.code(),
            Self::Tenancy(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for IdentityError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

warden_tenancy::rejection_constructors!(IdentityError);
