//! Errors of reports.

use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of reports. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The report breaks a rule of reports (category, text, message ids);
    /// nothing was written.
    #[error("{0}")]
    InvalidReport(String),
    /// The reporter is over the tenant's hourly report rate; nothing was written.
    #[error("at most {per_hour} reports an hour; retry in {retry_after_secs} s")]
    Throttled {
        /// The tenant's `reports_per_hour`.
        per_hour: u32,
        /// Seconds until one more report is admitted.
        retry_after_secs: u64,
    },
    /// The rate limiter cannot be reached and fails closed.
    #[error("the rate limiter is unavailable")]
    LimiterUnavailable,
    /// The review queue (moderation, through the server) failed for a reason
    /// of its own.
    #[error("review queue: {0}")]
    Queue(String),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    /// The audit row of a change could not be written.
    #[error(transparent)]
    Audit(#[from] warden_audit::AuditError),
    /// A notice of a decision could not be raised.
    #[error(transparent)]
    Notification(#[from] warden_notifications::NotificationError),
}

impl ReportError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::InvalidReport(_) => ErrorCode::InvalidReport,
            Self::Throttled { .. } => ErrorCode::ReportRateLimited,
            Self::LimiterUnavailable => ErrorCode::RateLimiterUnavailable,
            Self::Queue(_) => ErrorCode::Internal,
            Self::Tenancy(e) => e.code(),
            Self::Audit(e) => e.code(),
            Self::Notification(e) => e.code(),
        }
    }

    /// A report that breaks a rule of reports (`invalid_report`, 400: rules of tenant data the schema cannot state).
    pub fn invalid_report(msg: impl Into<String>) -> Self {
        Self::InvalidReport(msg.into())
    }
}

impl From<diesel::result::Error> for ReportError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

warden_tenancy::rejection_constructors!(ReportError);
