//! Who may receive which live event: the one rule behind both a live
//! connection's deliveries and its replays after `last_event_id`.

use std::sync::Arc;

use uuid::Uuid;
use warden_audit::hub::{Admit, HubEvent, Topic};
use warden_commerce::Role;
use warden_tenancy::TenantId;

/// The person on a live connection.
#[derive(Clone, Debug)]
pub struct LiveViewer {
    /// The tenant watched.
    pub tenant: TenantId,
    /// Their user row in that tenant (`None` when it could not be read: they
    /// then receive no notifications, which are per user).
    pub user_id: Option<Uuid>,
    /// Their roles.
    pub roles: Vec<Role>,
}

impl LiveViewer {
    /// Whether they are tenant staff, who may watch the tenant's events.
    pub fn is_staff(&self) -> bool {
        self.roles.iter().any(|r| r.is_staff())
    }

    /// [`may_receive`] for this viewer, as the hub's subscription filter.
    pub fn admit(self) -> Admit {
        Arc::new(move |event: &HubEvent| may_receive(&self, event))
    }
}

/// Whether `event` may go to `viewer`: only their tenant's events; a
/// notification only to its recipient, staff or not (notifications carry
/// private details, such as a ban's reason, that nobody else may read); the
/// tenant's other events only to its staff.
pub fn may_receive(viewer: &LiveViewer, event: &HubEvent) -> bool {
    if event.tenant_id != viewer.tenant.as_uuid() {
        return false;
    }
    if event.topic != Topic::Notification && !viewer.is_staff() {
        return false;
    }
    match event.topic {
        Topic::Notification => {
            let recipient = event
                .data
                .get("recipient_id")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Uuid>().ok());
            recipient.is_some() && recipient == viewer.user_id
        }
        Topic::Activity | Topic::Detection | Topic::Violation | Topic::Moderation => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(tenant: Uuid, topic: Topic, data: serde_json::Value) -> HubEvent {
        HubEvent {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            topic,
            occurred_at: chrono::Utc::now(),
            data,
        }
    }

    #[test]
    fn notifications_reach_only_their_recipient_and_other_events_only_the_tenants_staff() {
        let (tenant, other_tenant) = (Uuid::now_v7(), Uuid::now_v7());
        let (me, someone) = (Uuid::now_v7(), Uuid::now_v7());
        let viewer = |roles: &[Role]| LiveViewer {
            tenant: TenantId::new(tenant),
            user_id: Some(me),
            roles: roles.to_vec(),
        };
        let to = |user: Uuid| serde_json::json!({ "recipient_id": user, "body": "private" });
        let no_one = serde_json::json!({ "body": "private" });
        let cases = [
            (
                viewer(&[Role::Moderator]),
                event(tenant, Topic::Notification, to(me)),
                true,
            ),
            (
                viewer(&[Role::Moderator]),
                event(tenant, Topic::Notification, to(someone)),
                false,
            ),
            (
                viewer(&[Role::TenantAdmin]),
                event(tenant, Topic::Notification, to(someone)),
                false,
            ),
            (
                viewer(&[Role::PlatformAdmin]),
                event(tenant, Topic::Notification, to(someone)),
                false,
            ),
            (
                viewer(&[Role::Moderator]),
                event(tenant, Topic::Notification, no_one.clone()),
                false,
            ),
            (
                LiveViewer {
                    user_id: None,
                    ..viewer(&[Role::Moderator])
                },
                event(tenant, Topic::Notification, no_one),
                false,
            ),
            (
                viewer(&[Role::Moderator]),
                event(tenant, Topic::Violation, serde_json::json!({})),
                true,
            ),
            (
                viewer(&[Role::TenantAdmin]),
                event(tenant, Topic::Activity, serde_json::json!({})),
                true,
            ),
            (
                viewer(&[Role::TenantAdmin]),
                event(other_tenant, Topic::Detection, serde_json::json!({})),
                false,
            ),
            (
                viewer(&[Role::Seller, Role::Buyer]),
                event(tenant, Topic::Detection, serde_json::json!({})),
                false,
            ),
            // A member receives their own notifications, and nothing else.
            (
                viewer(&[Role::Buyer]),
                event(tenant, Topic::Notification, to(me)),
                true,
            ),
            (
                viewer(&[Role::Seller]),
                event(tenant, Topic::Notification, to(someone)),
                false,
            ),
            (
                viewer(&[Role::Seller]),
                event(other_tenant, Topic::Notification, to(me)),
                false,
            ),
            (
                viewer(&[Role::Seller]),
                event(tenant, Topic::Activity, serde_json::json!({})),
                false,
            ),
        ];
        for (i, (viewer, event, expected)) in cases.iter().enumerate() {
            assert_eq!(
                may_receive(viewer, event),
                *expected,
                "case {i}: {viewer:?} {event:?}"
            );
        }
    }
}
