//! The refusals every domain shares: bad input, nothing there, not allowed,
//! conflicting state. Each crate's error enum wraps this one kind
//! (`Refused(Rejection)`) instead of declaring the same four variants again.

use crate::ErrorCode;

/// A request refused for a reason the caller can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The input breaks a rule; the text says which and why.
    #[error("{0}")]
    Invalid(String),
    /// The thing does not exist in this tenant, or the actor may not know it does.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
}

impl Rejection {
    /// The code this refusal answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::InvalidInput,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::Conflict(_) => ErrorCode::Conflict,
        }
    }
}

/// Adds the shared refusals' constructors to a crate's error enum that wraps
/// [`Rejection`] in a `Refused` variant (with `#[from]`).
#[macro_export]
macro_rules! rejection_constructors {
    ($error:ty) => {
        impl $error {
            /// The input breaks a rule (`invalid_input`).
            pub fn invalid(msg: impl Into<String>) -> Self {
                Self::Refused($crate::Rejection::Invalid(msg.into()))
            }

            /// The thing does not exist, or the actor may not know it does (`not_found`).
            pub fn not_found(what: &'static str) -> Self {
                Self::Refused($crate::Rejection::NotFound(what))
            }

            /// The actor may not do this (`forbidden`).
            pub fn forbidden(msg: impl Into<String>) -> Self {
                Self::Refused($crate::Rejection::Forbidden(msg.into()))
            }

            /// The request conflicts with the current state (`conflict`).
            pub fn conflict(msg: impl Into<String>) -> Self {
                Self::Refused($crate::Rejection::Conflict(msg.into()))
            }
        }
    };
}
