use warden_tenancy::TenancyError;

/// Errors of the audit crate. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Input was rejected before reaching the database.
    #[error("{0}")]
    Invalid(String),
    /// The writer has shut down.
    #[error("the audit writer is closed")]
    Closed,
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl AuditError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_input",
            Self::Closed => "audit_closed",
            Self::Tenancy(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for AuditError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}
