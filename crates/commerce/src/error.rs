use warden_audit::AuditError;
use warden_moderation::ModerationError;
use warden_quotas::QuotaError;
use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of commerce operations. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The action needs a seller profile first (`PUT /sellers/me`).
    #[error("create your seller profile first")]
    SellerProfileRequired,
    /// The order cannot move from its current status to the one asked for.
    #[error("an order cannot go from {from} to {to}")]
    InvalidTransition {
        /// Current status.
        from: String,
        /// Status asked for.
        to: String,
    },
    /// A resource quota refused the write, or quota bookkeeping failed.
    #[error(transparent)]
    Quota(#[from] QuotaError),
    /// Writing an audit row failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// Moderation refused the content, or could not judge it.
    #[error(transparent)]
    Moderation(#[from] ModerationError),
    /// The seller's trust level does not allow this.
    #[error(transparent)]
    Trust(#[from] warden_trust::TrustError),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl CommerceError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::SellerProfileRequired => ErrorCode::SellerProfileRequired,
            Self::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            Self::Quota(e) => e.code(),
            Self::Audit(e) => e.code(),
            Self::Moderation(e) => e.code(),
            Self::Trust(e) => e.code(),
            Self::Tenancy(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for CommerceError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

warden_tenancy::rejection_constructors!(CommerceError);
