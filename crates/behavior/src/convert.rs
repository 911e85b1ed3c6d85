//! Errors of the crates behavior calls, as behavior errors (also for the
//! server, which maps the errors of the domains it reaches for behavior).

use warden_audit::AuditError;
use warden_notifications::NotificationError;
use warden_tenancy::TenancyError;

use crate::BehaviorError;

/// An audit-log or live-hub failure.
pub(crate) fn audit_error(e: AuditError) -> BehaviorError {
    match e {
        AuditError::Tenancy(t) => BehaviorError::Tenancy(t),
        AuditError::Refused(r) => BehaviorError::Refused(r),
        AuditError::Closed => BehaviorError::Tenancy(TenancyError::Unavailable(
            "the audit writer is closed".into(),
        )),
    }
}

/// A notification that could not be raised.
pub(crate) fn notification_error(e: NotificationError) -> BehaviorError {
    match e {
        NotificationError::Tenancy(t) => BehaviorError::Tenancy(t),
        NotificationError::Audit(a) => audit_error(a),
        NotificationError::Refused(r) => BehaviorError::Refused(r),
        other => BehaviorError::invalid(other.to_string()),
    }
}

impl From<AuditError> for BehaviorError {
    fn from(e: AuditError) -> Self {
        audit_error(e)
    }
}

impl From<NotificationError> for BehaviorError {
    fn from(e: NotificationError) -> Self {
        notification_error(e)
    }
}

impl From<warden_decisions::DecisionError> for BehaviorError {
    fn from(e: warden_decisions::DecisionError) -> Self {
        use warden_decisions::DecisionError;
        match e {
            DecisionError::Refused(r) => BehaviorError::Refused(r),
            DecisionError::Tenancy(t) => BehaviorError::Tenancy(t),
            DecisionError::Notification(n) => notification_error(n),
        }
    }
}
