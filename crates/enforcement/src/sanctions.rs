//! Who may sanction whom. A person may change another user's status, ban
//! them, or record a violation of them only when the person's highest role is
//! strictly higher than the target's (platform_admin > tenant_admin >
//! moderator > seller = buyer), judged by the roles of the target's most
//! recent token (stored on the user row). Automatic enforcement (no person
//! acting) records violations of staff but bans no one holding a staff role:
//! a person of a higher role decides. Platform administrators are never
//! refused by a tenant's user status at all (the tenant middleware skips it).

use crate::schema::users;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Actor, DbConn, Role};

use crate::EnforcementError;

/// The roles stored on `user_id`'s row, locking the row for the change that
/// follows; `NotFound` when there is no such user in the tenant.
pub async fn lock_target(conn: &mut DbConn, user_id: Uuid) -> Result<Vec<Role>, EnforcementError> {
    let roles: Option<Vec<String>> = users::table
        .filter(users::id.eq(user_id))
        .select(users::roles)
        .for_no_key_update()
        .first(conn)
        .await
        .optional()?;
    let roles = roles.ok_or(EnforcementError::NotFound("user"))?;
    Ok(roles.iter().filter_map(|r| Role::parse(r)).collect())
}

/// Refuses (`TargetOutranksActor`) when `actor` does not outrank `target`.
pub fn authorize(actor: &Actor, target: &[Role]) -> Result<(), EnforcementError> {
    if actor.outranks(target) {
        return Ok(());
    }
    let name = |roles: &[Role]| {
        roles
            .iter()
            .copied()
            .max_by_key(|r| r.rank())
            .map_or("none", |r| r.as_str())
    };
    Err(EnforcementError::TargetOutranksActor(format!(
        "your highest role ({}) does not outrank this user's ({}); only a higher role may change their status or sanction them",
        name(&actor.roles),
        name(target)
    )))
}

/// Whether automatic enforcement must not ban a user holding `target` roles.
pub fn ban_withheld_automatically(target: &[Role]) -> bool {
    target.iter().any(|r| r.is_staff())
}
