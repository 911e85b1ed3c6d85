//! Errors of the crates behavior calls, as behavior errors.

use warden_audit::AuditError;
use warden_enforcement::EnforcementError;
use warden_notifications::NotificationError;
use warden_tenancy::TenancyError;
use warden_trust::TrustError;

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

/// An enforcement failure (asking for a violation, reading the ladder).
pub(crate) fn enforcement_error(e: EnforcementError) -> BehaviorError {
    match e {
        EnforcementError::Refused(r) => BehaviorError::Refused(r),
        EnforcementError::TargetOutranksActor(m) => BehaviorError::forbidden(m),
        EnforcementError::Tenancy(t) => BehaviorError::Tenancy(t),
        EnforcementError::Audit(a) => audit_error(a),
        EnforcementError::Notification(n) => notification_error(n),
        EnforcementError::Trust(t) => trust_error(t),
    }
}

/// A seller-trust failure (asking for a recomputation).
pub(crate) fn trust_error(e: TrustError) -> BehaviorError {
    match e {
        TrustError::Tenancy(t) => BehaviorError::Tenancy(t),
        TrustError::Audit(a) => audit_error(a),
        TrustError::Notification(n) => notification_error(n),
        TrustError::Refused(r) => BehaviorError::Refused(r),
        other => BehaviorError::invalid(other.to_string()),
    }
}
