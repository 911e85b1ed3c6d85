use warden_audit::AuditError;
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
    /// Another domain commerce asks through a trait it declares
    /// ([`crate::ContentScreen`], [`crate::SellerStanding`]) refused the work
    /// (rejected content, a trust level too low) or failed. The error is
    /// carried whole, so that the server answers it as that domain's own.
    #[error(transparent)]
    Delegated(DelegatedError),
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
            Self::Delegated(e) => e.code(),
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

/// The error of another domain that commerce reached through one of its
/// traits, with the code it answers with. Commerce does not know its type;
/// whoever implements the trait does, and takes it back with
/// [`DelegatedError::into_source`] and a downcast.
#[derive(Debug)]
pub struct DelegatedError {
    code: ErrorCode,
    error: Box<dyn std::error::Error + Send + Sync>,
}

// Transparent: it shows as the error it carries.
impl std::fmt::Display for DelegatedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for DelegatedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl DelegatedError {
    /// Wraps `source`, an error answered with `code`.
    pub fn new(code: ErrorCode, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            code,
            error: Box::new(source),
        }
    }

    /// The code the error answers with.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The error itself.
    pub fn into_source(self) -> Box<dyn std::error::Error + Send + Sync> {
        self.error
    }
}

impl From<DelegatedError> for CommerceError {
    fn from(e: DelegatedError) -> Self {
        Self::Delegated(e)
    }
}
