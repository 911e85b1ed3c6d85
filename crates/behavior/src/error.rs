//! The error type of behavioural detection.

use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of behavioural detection. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum BehaviorError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The window store (Redis) failed or is unreachable.
    #[error("window store unavailable: {0}")]
    WindowStore(String),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl BehaviorError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::WindowStore(_) => ErrorCode::WindowStoreUnavailable,
            Self::Tenancy(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for BehaviorError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

impl From<redis::RedisError> for BehaviorError {
    fn from(e: redis::RedisError) -> Self {
        Self::WindowStore(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(BehaviorError::invalid("x").code().as_str(), "invalid_input");
        assert_eq!(
            BehaviorError::not_found("pattern").code().as_str(),
            "not_found"
        );
        assert_eq!(BehaviorError::forbidden("x").code().as_str(), "forbidden");
        assert_eq!(BehaviorError::conflict("x").code().as_str(), "conflict");
        assert_eq!(
            BehaviorError::WindowStore("down".into()).code().as_str(),
            "window_store_unavailable"
        );
        assert_eq!(
            BehaviorError::not_found("pattern").to_string(),
            "pattern not found"
        );
        let e: BehaviorError = diesel::result::Error::NotFound.into();
        assert!(matches!(e, BehaviorError::Tenancy(_)));
    }
}

warden_tenancy::rejection_constructors!(BehaviorError);
