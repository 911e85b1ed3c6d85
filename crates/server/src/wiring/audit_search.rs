//! The audit search names people as staff know them: `actor` is a user id, a
//! token subject or an e-mail address, resolved through identity (the owner
//! of `users`) before the log is searched.

use uuid::Uuid;
use warden_audit::store::{self, ActivityRecord, ActorMatch, AuditFilter};
use warden_identity::directory;
use warden_tenancy::{Actor, Db, Page, PageRequest};

use crate::error::ApiError;

/// Lists the tenant's events matching `filter`, with `actor` (when given)
/// naming the person by id, subject or e-mail.
pub async fn list(
    db: &Db,
    actor: &Actor,
    named: Option<String>,
    mut filter: AuditFilter,
    page: PageRequest,
) -> Result<Page<ActivityRecord>, ApiError> {
    if let Some(name) = named {
        let name = name.trim().to_owned();
        let mut ids = directory::named(db, actor, &name).await?;
        // An id of a user the tenant no longer knows still names their events.
        if let Ok(id) = Uuid::parse_str(&name)
            && !ids.contains(&id)
        {
            ids.push(id);
        }
        filter.actor = Some(ActorMatch {
            ids,
            subject: Some(name),
        });
    }
    Ok(store::list(db, actor.tenant, filter, page).await?)
}
