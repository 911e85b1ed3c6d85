//! Errors of identity operations.

use warden_audit::AuditError;
use warden_quotas::QuotaError;
use warden_tenancy::TenancyError;

/// Errors of identity operations. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The user does not exist in this tenant, or the actor may not know it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The target user's highest role is not below the actor's.
    #[error("{0}")]
    TargetOutranksActor(String),
    /// The change conflicts with the user's state.
    #[error("{0}")]
    Conflict(String),
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
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::TargetOutranksActor(_) => "target_outranks_actor",
            Self::Conflict(_) => "conflict",
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
