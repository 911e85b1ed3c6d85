use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Errors of the tenancy layer. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum TenancyError {
    /// No connection could be taken from the pool (database down or pool exhausted).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed for a reason the caller cannot fix.
    #[error("database error: {0}")]
    Database(#[source] DieselError),
    /// A write was refused by the row-level-security policy: an attempt to
    /// write a row of another tenant.
    #[error("row-level security refused the write")]
    RlsViolation,
    /// The tenant does not exist.
    #[error("tenant not found")]
    TenantNotFound,
    /// Input was rejected before reaching the database.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Migrations or role setup failed.
    #[error("migration failed: {0}")]
    Migration(String),
}

impl TenancyError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "database_unavailable",
            Self::Database(_) => "internal",
            Self::RlsViolation => "tenant_isolation_violation",
            Self::TenantNotFound => "tenant_not_found",
            Self::Invalid(_) => "invalid_input",
            Self::Migration(_) => "migration_failed",
        }
    }
}

impl From<DieselError> for TenancyError {
    fn from(e: DieselError) -> Self {
        if is_rls_violation(&e) {
            Self::RlsViolation
        } else {
            Self::Database(e)
        }
    }
}

/// True when PostgreSQL refused a row because of a row-level-security policy.
pub fn is_rls_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(_, info) if info.message().contains("row-level security"))
}

/// True for a unique-constraint violation.
pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}
