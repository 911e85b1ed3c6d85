use warden_audit::AuditError;
use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of quota and rate-limit operations. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// A resource quota would be exceeded by this write.
    #[error("{quota} quota exceeded: the write needs {requested}, {usage} of {limit} used")]
    QuotaExceeded {
        /// Which quota: `products`, `users` or `storage_bytes`.
        quota: &'static str,
        /// Usage before this write.
        usage: i64,
        /// The maximum.
        limit: i64,
        /// What this write needs of the quota (bytes for `storage_bytes`).
        requested: i64,
    },
    /// The shared rate limiter cannot be reached and the fail mode is `closed`.
    #[error("the rate limiter is unavailable")]
    LimiterUnavailable,
    /// Writing an audit row failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl QuotaError {
    /// What is left of the quota that refused a write: its limit less its
    /// usage before the write, never below zero.
    pub fn available(limit: i64, usage: i64) -> i64 {
        limit.saturating_sub(usage).max(0)
    }

    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::QuotaExceeded { .. } => ErrorCode::QuotaExceeded,
            Self::LimiterUnavailable => ErrorCode::RateLimiterUnavailable,
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

warden_tenancy::rejection_constructors!(QuotaError);
