//! Security notices the platform itself raises about a tenant's traffic, as
//! named functions so that the server only says what happened.

use uuid::Uuid;
use warden_tenancy::{DbConn, TenantId};

use crate::NotificationError;
use crate::model::{EventKind, Priority};
use crate::raise::{NotificationRequest, Recipients, raise};

/// Tells the tenant's administrators that its `window` rate limit was
/// exhausted, by a request of `user`, inside the caller's transaction (the
/// notification row is the outbox the delivery worker sends from). Raised once
/// per window name within the tenant's de-duplication period, however many
/// replicas report it; returns the notifications created.
pub async fn rate_limit_exhausted(
    conn: &mut DbConn,
    tenant: TenantId,
    user: Uuid,
    window: &str,
) -> Result<Vec<Uuid>, NotificationError> {
    raise(conn, tenant, &rate_limit_exhausted_request(user, window)).await
}

fn rate_limit_exhausted_request(user: Uuid, window: &str) -> NotificationRequest {
    NotificationRequest {
        recipients: Recipients::Admins,
        kind: EventKind::RateLimitAbuse,
        priority: Priority::High,
        category: "security".into(),
        title: format!("The {window} rate limit was exhausted"),
        body: "Requests are being refused with 429 until the window resets.".into(),
        data: serde_json::json!({ "window": window, "target_user": user }),
        // Keyed by window, not user: one notice per exhausted window, however
        // many users run into it.
        event_key: Some(format!("rate_limit:{window}")),
        security: true,
        channels: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhausted_limit_is_a_security_notice_to_administrators_keyed_by_window() {
        let user = Uuid::now_v7();
        let r = rate_limit_exhausted_request(user, "hour");
        assert_eq!(r.recipients, Recipients::Admins);
        assert_eq!(r.kind, EventKind::RateLimitAbuse);
        assert_eq!(r.priority, Priority::High);
        assert!(r.security, "administrators cannot opt out of it");
        assert_eq!(r.title, "The hour rate limit was exhausted");
        assert_eq!(r.event_key.as_deref(), Some("rate_limit:hour"));
        assert_eq!(r.data["window"], "hour");
        assert_eq!(r.data["target_user"], user.to_string());
        // Another user exhausting the same window shares its key.
        let other = rate_limit_exhausted_request(Uuid::now_v7(), "hour");
        assert_eq!(other.event_key, r.event_key);
    }
}
