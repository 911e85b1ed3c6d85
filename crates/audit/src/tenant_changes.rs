//! Tenant changes made by the platform, written to the tenant's audit log in
//! the same transaction as the change.

use warden_tenancy::{ScopedFutureExt, Tenant, TenantId, TenantPatch, TenantRegistry};

use crate::event::{ActivityEvent, Kind};
use crate::{AuditError, store};

/// Renames, suspends, reactivates or reconfigures a tenant, and records it:
/// `status_change` (a security event) when the status changes, otherwise
/// `tenant_change`, with what changed from and to.
pub async fn update_tenant(
    registry: &TenantRegistry,
    id: TenantId,
    patch: TenantPatch,
    by: &str,
) -> Result<Tenant, AuditError> {
    let by = by.to_owned();
    registry
        .update_with(id, patch, move |conn, before, after| {
            async move {
                let status_changed = before.status != after.status;
                let (kind, action) = if status_changed {
                    (Kind::Security, "status_change")
                } else {
                    (Kind::ResourceUpdate, "tenant_change")
                };
                let mut event = ActivityEvent::new(kind, action);
                event.actor_subject = Some(by);
                event.actor_roles = vec!["platform_admin".into()];
                event.resource_type = Some("tenants".into());
                event.resource_id = Some(after.id.to_string());
                event.metadata = serde_json::json!({
                    "event": action,
                    "from": { "name": before.name, "status": before.status },
                    "to": { "name": after.name, "status": after.status },
                    "settings_changed": before.settings != after.settings,
                });
                store::record_in_tx(conn, id, event).await
            }
            .scope_boxed()
        })
        .await
}
