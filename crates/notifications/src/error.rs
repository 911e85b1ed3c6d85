//! Errors of notifications.

use warden_tenancy::TenancyError;
use warden_tenancy::{ErrorCode, Rejection};

/// Errors of notifications. `code()` gives the stable machine code.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// Refused for a reason shared by every domain (bad input, not found, not
    /// allowed, conflict).
    #[error(transparent)]
    Refused(#[from] Rejection),
    /// The delivery provider (SMTP server, Twilio) refused or could not be reached.
    #[error("{channel} provider failed{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Provider {
        /// The channel whose provider failed: `email` or `sms`.
        channel: &'static str,
        /// The provider's own error code (SMTP reply code, Twilio error code), when it gave one.
        code: Option<String>,
        /// What went wrong, in words.
        message: String,
        /// True when trying again later may succeed (connection failures,
        /// SMTP 4xx, HTTP 429 and 5xx); false for permanent refusals.
        retryable: bool,
    },
    /// A database or tenancy failure.
    #[error(transparent)]
    Tenancy(#[from] TenancyError),
    /// The audit row or live event of a change could not be written.
    #[error(transparent)]
    Audit(#[from] warden_audit::AuditError),
}

impl NotificationError {
    /// Stable machine-readable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(r) => r.code(),
            Self::Provider { .. } => ErrorCode::ServiceUnavailable,
            Self::Tenancy(e) => e.code(),
            Self::Audit(e) => e.code(),
        }
    }

    /// The code a failed delivery is recorded with: `provider_failed` when
    /// the provider refused or could not be reached (answered to API callers
    /// as `service_unavailable`), else the error's API code.
    pub fn delivery_code(&self) -> &'static str {
        match self {
            Self::Provider { .. } => "provider_failed",
            other => other.code().as_str(),
        }
    }

    /// True when the delivery may succeed if tried again later (only
    /// provider failures can be retryable).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Provider {
                retryable: true,
                ..
            }
        )
    }
}

impl From<diesel::result::Error> for NotificationError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Tenancy(TenancyError::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(
            NotificationError::invalid("x").code().as_str(),
            "invalid_input"
        );
        assert_eq!(
            NotificationError::not_found("template").code().as_str(),
            "not_found"
        );
        assert_eq!(
            NotificationError::forbidden("x").code().as_str(),
            "forbidden"
        );
        assert_eq!(NotificationError::conflict("x").code().as_str(), "conflict");
        let p = NotificationError::Provider {
            channel: "sms",
            code: Some("21211".into()),
            message: "Invalid 'To' Phone Number".into(),
            retryable: false,
        };
        assert_eq!(p.delivery_code(), "provider_failed");
        assert_eq!(p.code(), ErrorCode::ServiceUnavailable);
        assert!(!p.is_retryable());
        assert_eq!(
            p.to_string(),
            "sms provider failed (21211): Invalid 'To' Phone Number"
        );
        assert_eq!(
            NotificationError::from(TenancyError::TenantNotFound)
                .code()
                .as_str(),
            "tenant_not_found"
        );
    }
}

warden_tenancy::rejection_constructors!(NotificationError);
