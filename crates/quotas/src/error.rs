use warden_audit::AuditError;
use warden_tenancy::TenancyError;

/// Errors of quota and rate-limit operations. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    /// A resource quota would be exceeded by this write.
    #[error("{quota} quota exceeded: {usage} of {limit} used")]
    QuotaExceeded {
        /// Which quota: `products`, `users` or `storage_bytes`.
        quota: &'static str,
        /// Usage before this write.
        usage: i64,
        /// The maximum.
        limit: i64,
    },
    /// The shared rate limiter cannot be reached and the fail mode is `closed`.
    #[error("the rate limiter is unavailable")]
    LimiterUnavailable,
    /// Input was rejected before reaching the database.
    #[error("{0}")]
    Invalid(String),
    /// Writing an audit row failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl QuotaError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::LimiterUnavailable => "rate_limiter_unavailable",
            Self::Invalid(_) => "invalid_input",
            Self::Audit(e) => e.code(),
            Self::Tenancy(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for QuotaError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}
