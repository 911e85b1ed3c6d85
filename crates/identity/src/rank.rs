//! Who may change whose status. A person may change another user's status,
//! ban them, or record a violation of them only when the person's highest
//! role is strictly higher than the target's (platform_admin > tenant_admin >
//! moderator > seller = buyer), judged by the roles of the target's most
//! recent token (stored on the user row).

use crate::schema::users;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Actor, DbConn, Role};

use crate::IdentityError;

/// The roles stored on `user_id`'s row, locking the row for the change that
/// follows; `NotFound` when there is no such user in the tenant.
pub async fn lock_target(conn: &mut DbConn, user_id: Uuid) -> Result<Vec<Role>, IdentityError> {
    let roles: Option<Vec<String>> = users::table
        .filter(users::id.eq(user_id))
        .select(users::roles)
        .for_no_key_update()
        .first(conn)
        .await
        .optional()?;
    let roles = roles.ok_or(IdentityError::not_found("user"))?;
    Ok(roles.iter().filter_map(|r| Role::parse(r)).collect())
}

/// Refuses (`TargetOutranksActor`) when `actor` does not outrank `target`.
pub fn authorize(actor: &Actor, target: &[Role]) -> Result<(), IdentityError> {
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
    Err(IdentityError::TargetOutranksActor(format!(
        "your highest role ({}) does not outrank this user's ({}); only a higher role may change their status or sanction them",
        name(&actor.roles),
        name(target)
    )))
}
