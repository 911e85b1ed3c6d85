use warden_audit::AuditError;
use warden_moderation::ModerationError;
use warden_quotas::QuotaError;
use warden_tenancy::TenancyError;

/// Errors of commerce operations. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// The thing does not exist in this tenant, or the actor may not know it exists.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The actor's account is disabled.
    #[error("user account is disabled")]
    UserDisabled,
    /// The action needs a seller profile first (`PUT /sellers/me`).
    #[error("create your seller profile first")]
    SellerProfileRequired,
    /// The input breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// The target user's highest role is not below the actor's.
    #[error("{0}")]
    TargetOutranksActor(String),
    /// The input conflicts with existing state.
    #[error("{0}")]
    Conflict(String),
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
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::UserDisabled => "user_disabled",
            Self::SellerProfileRequired => "seller_profile_required",
            Self::Invalid(_) => "invalid_input",
            Self::Conflict(_) => "conflict",
            Self::TargetOutranksActor(_) => "target_outranks_actor",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::Quota(e) => e.code(),
            Self::Audit(e) => e.code(),
            Self::Moderation(e) => e.code(),
            Self::Trust(e) => e.code(),
            Self::Tenancy(e) => e.code(),
        }
    }

    pub(crate) fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
}

impl From<diesel::result::Error> for CommerceError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}
