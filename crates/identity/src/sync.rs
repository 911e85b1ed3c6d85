//! The user row behind a token: created from the identity token on a
//! subject's first request in the tenant and refreshed when the token's
//! details change.

use crate::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_quotas::resources::{self, ResourceDelta};
use warden_tenancy::{Db, DbConn, Role, ScopedFutureExt, TenantId};

use crate::{IdentityError, UserRef, UserStatus};

/// What a verified token says about its bearer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Subject (`sub`).
    pub subject: String,
    /// E-mail claim.
    pub email: Option<String>,
    /// Name claim.
    pub display_name: Option<String>,
    /// Recognised roles.
    pub roles: Vec<Role>,
}

/// Id, status, ban, e-mail, name and roles of a stored user, as `sync` compares them.
type SyncedRow = (
    Uuid,
    String,
    Option<DateTime<Utc>>,
    Option<Uuid>,
    Option<String>,
    Option<String>,
    Vec<String>,
);

/// What `sync` reads back from the row it wrote.
type Returned = (Uuid, String, Option<DateTime<Utc>>, Option<Uuid>);

/// The columns of [`Returned`].
const RETURNED: (
    users::id,
    users::status,
    users::banned_until,
    users::ban_violation_id,
) = (
    users::id,
    users::status,
    users::banned_until,
    users::ban_violation_id,
);

/// Stores the token's e-mail, name and roles on `subject`'s existing row.
async fn refresh(
    conn: &mut DbConn,
    subject: &str,
    email: Option<&str>,
    name: Option<&str>,
    roles: &[String],
) -> QueryResult<Returned> {
    diesel::update(users::table.filter(users::subject.eq(subject)))
        .set((
            users::email.eq(email),
            users::display_name.eq(name),
            users::roles.eq(roles),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .returning(RETURNED)
        .get_result(conn)
        .await
}

fn user_ref((id, status, banned_until, ban_violation_id): Returned) -> UserRef {
    UserRef {
        id,
        status: UserStatus::parse(&status),
        banned_until,
        ban_violation_id,
    }
}

/// Finds the user row for `identity` in `tenant`, creating it on first sight and
/// refreshing e-mail, name and roles when the token's differ from the row's.
///
/// The token's text is stored as given: the caller has checked it (the server
/// refuses a malformed `sub` and drops an odd e-mail or name).
pub async fn sync(
    db: &Db,
    tenant: TenantId,
    identity: &Identity,
) -> Result<UserRef, IdentityError> {
    db.tenant_tx(tenant, |conn| sync_in(conn, tenant, identity).scope_boxed())
        .await
}

/// The user row `subject` has in the transaction's tenant, read only:
/// `None` when the subject has none yet.
pub async fn find_in(conn: &mut DbConn, subject: &str) -> Result<Option<UserRef>, IdentityError> {
    Ok(users::table
        .filter(users::subject.eq(subject))
        .select(RETURNED)
        .first::<Returned>(conn)
        .await
        .optional()?
        .map(user_ref))
}

/// [`sync`] inside the caller's tenant transaction, for a caller that reads
/// more in the same transaction.
pub async fn sync_in(
    conn: &mut DbConn,
    tenant: TenantId,
    identity: &Identity,
) -> Result<UserRef, IdentityError> {
    let subject = identity.subject.clone();
    let email = identity.email.clone();
    let name = identity.display_name.clone();
    let mut roles: Vec<String> = identity
        .roles
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    roles.sort();
    roles.dedup();
    {
        {
            let existing: Option<SyncedRow> = users::table
                .filter(users::subject.eq(&subject))
                .select((
                    users::id,
                    users::status,
                    users::banned_until,
                    users::ban_violation_id,
                    users::email,
                    users::display_name,
                    users::roles,
                ))
                .first(conn)
                .await
                .optional()?;
            if let Some((id, status, until, ban, e, n, r)) = &existing
                && *e == email
                && *n == name
                && *r == roles
            {
                return Ok(user_ref((*id, status.clone(), *until, *ban)));
            }
            if let Some((id, _, _, _, _, _, before)) = &existing
                && *before != roles
            {
                // Roles come from the identity provider; a change is recorded
                // in the same transaction that stores it.
                let mut event = ActivityEvent::new(Kind::Security, "role_change");
                event.actor_id = Some(*id);
                event.actor_subject = Some(subject.clone());
                event.actor_roles = roles.clone();
                event.resource_type = Some("users".into());
                event.resource_id = Some(id.to_string());
                event.metadata =
                    serde_json::json!({ "event": "role_change", "from": before, "to": roles });
                warden_audit::store::record_in_tx(conn, tenant, event).await?;
            }
            // A subject seen for the first time gets its row here; one whose
            // row exists (or was just made by a concurrent first request of
            // the same subject) has it refreshed.
            let inserted: Option<Returned> = if existing.is_none() {
                diesel::insert_into(users::table)
                    .values((
                        users::tenant_id.eq(tenant.as_uuid()),
                        users::id.eq(Uuid::now_v7()),
                        users::subject.eq(&subject),
                        users::email.eq(&email),
                        users::display_name.eq(&name),
                        users::roles.eq(&roles),
                    ))
                    .on_conflict((users::tenant_id, users::subject))
                    .do_nothing()
                    .returning(RETURNED)
                    .get_result(conn)
                    .await
                    .optional()?
            } else {
                None
            };
            let row = match inserted {
                Some(row) => {
                    // A new user counts against the tenant's users quota.
                    // Platform administrators acting in a tenant are staff,
                    // not its users.
                    if !identity.roles.contains(&Role::PlatformAdmin) {
                        resources::charge(conn, tenant, ResourceDelta::user()).await?;
                    }
                    row
                }
                None => refresh(conn, &subject, email.as_deref(), name.as_deref(), &roles).await?,
            };
            Ok(user_ref(row))
        }
    }
}
