use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of the audit crate. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The writer has shut down.
    #[error("the audit writer is closed")]
    Closed,
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl AuditError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::Closed => ErrorCode::ServiceUnavailable,
            Self::Tenancy(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for AuditError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

warden_tenancy::rejection_constructors!(AuditError);
