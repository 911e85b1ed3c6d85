//! Errors of decision records.

use warden_notifications::NotificationError;
use warden_tenancy::{ErrorCode, Rejection, TenancyError};

/// Errors of decision records. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    /// The statement's notification could not be raised.
    #[error(transparent)]
    Notification(#[from] NotificationError),
}

impl DecisionError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::Tenancy(e) => e.code(),
            Self::Notification(e) => e.code(),
        }
    }
}

impl From<diesel::result::Error> for DecisionError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

warden_tenancy::rejection_constructors!(DecisionError);
