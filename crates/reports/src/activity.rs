//! The activity-log rows of reports' changes, written in their transaction.

use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, DbConn};

use crate::ReportError;

/// Records `action` (also the metadata's `event`) by `actor` on the report
/// resource `resource_id`, with `metadata`'s other members.
pub(crate) async fn record(
    conn: &mut DbConn,
    actor: &Actor,
    kind: Kind,
    action: &str,
    resource_id: Option<String>,
    mut metadata: serde_json::Value,
) -> Result<(), ReportError> {
    let mut event = ActivityEvent::new(kind, action);
    event.actor_id = Some(actor.user_id);
    event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
    event.resource_type = Some("reports".into());
    event.resource_id = resource_id;
    if let Some(m) = metadata.as_object_mut() {
        m.insert("event".into(), action.into());
    }
    event.metadata = metadata;
    warden_audit::store::record_in_tx(conn, actor.tenant, event).await?;
    Ok(())
}
