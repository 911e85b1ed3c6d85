//! Errors of seller trust.

use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of seller trust. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The seller's level does not allow another listing.
    #[error("trust level {level} allows {limit} listings")]
    LevelLimit {
        /// The seller's level.
        level: u8,
        /// Listings it allows.
        limit: u64,
        /// What the next level needs, in words.
        next: Vec<String>,
    },
    /// A feature needs a higher level.
    #[error("{feature} needs trust level {required}")]
    FeatureGated {
        /// The feature.
        feature: &'static str,
        /// Level it needs.
        required: u8,
        /// The seller's level.
        level: u8,
    },
    /// A one-time code was refused by a throttle or the tenant's hourly cap
    /// of its channel; nothing was written or sent.
    #[error("{detail}")]
    Throttled {
        /// Which limit: `sms_per_number_per_hour`,
        /// `sms_numbers_per_store_per_day`, `sms_per_hour` or `email_per_hour`.
        reason: &'static str,
        /// Seconds until a code may be asked for again.
        retry_after_secs: u64,
        /// What was refused, in words.
        detail: String,
    },
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    /// The audit row of a change could not be written.
    #[error(transparent)]
    Audit(#[from] warden_audit::AuditError),
    /// A notice of a change could not be raised.
    #[error(transparent)]
    Notification(#[from] warden_notifications::NotificationError),
}

impl TrustError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::LevelLimit { .. } => ErrorCode::TrustLevelLimit,
            Self::FeatureGated { .. } => ErrorCode::TrustLevelRequired,
            Self::Throttled { .. } => ErrorCode::VerificationThrottled,
            Self::Tenancy(e) => e.code(),
            Self::Audit(e) => e.code(),
            Self::Notification(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for TrustError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

warden_tenancy::rejection_constructors!(TrustError);

impl From<warden_decisions::DecisionError> for TrustError {
    fn from(e: warden_decisions::DecisionError) -> Self {
        use warden_decisions::DecisionError;
        match e {
            DecisionError::Refused(r) => Self::Refused(r),
            DecisionError::Tenancy(t) => Self::Tenancy(t),
            DecisionError::Notification(n) => Self::Notification(n),
        }
    }
}
