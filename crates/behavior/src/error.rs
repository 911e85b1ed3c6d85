//! The error type of behavioural detection.

use warden_tenancy::TenancyError;

/// Errors of behavioural detection. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum BehaviorError {
    /// The input breaks a rule. The message names the JSON path of the
    /// offending part, e.g. `condition.all[2].op: unknown operator "eqq" (…)`.
    #[error("{0}")]
    Invalid(String),
    /// The thing does not exist in this tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The window store (Redis) failed or is unreachable.
    #[error("window store unavailable: {0}")]
    WindowStore(String),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
}

impl BehaviorError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_input",
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Conflict(_) => "conflict",
            Self::WindowStore(_) => "window_store_unavailable",
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
        assert_eq!(BehaviorError::Invalid("x".into()).code(), "invalid_input");
        assert_eq!(BehaviorError::NotFound("pattern").code(), "not_found");
        assert_eq!(BehaviorError::Forbidden("x".into()).code(), "forbidden");
        assert_eq!(BehaviorError::Conflict("x".into()).code(), "conflict");
        assert_eq!(
            BehaviorError::WindowStore("down".into()).code(),
            "window_store_unavailable"
        );
        assert_eq!(
            BehaviorError::NotFound("pattern").to_string(),
            "pattern not found"
        );
        let e: BehaviorError = diesel::result::Error::NotFound.into();
        assert!(matches!(e, BehaviorError::Tenancy(_)));
    }
}
