//! A tenant administrator enabling or disabling a user.

use std::future::Future;
use std::pin::Pin;

use crate::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Deserialize;
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_tenancy::{Actor, Db, DbConn, ScopedFutureExt, TenantId};

use crate::user::UserRow;
use crate::{IdentityError, User, UserStatus, rank, sanction};

/// A status a tenant administrator may set: `banned` is set only by
/// enforcement (`POST /violations`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettableStatus {
    /// May act.
    Active,
    /// Refused on every request.
    Disabled,
}

impl From<SettableStatus> for UserStatus {
    fn from(s: SettableStatus) -> Self {
        match s {
            SettableStatus::Active => Self::Active,
            SettableStatus::Disabled => Self::Disabled,
        }
    }
}

/// A change to a user by a tenant administrator.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New status. Roles cannot be set here: they come from the identity token.
    pub status: SettableStatus,
}

/// A future a [`Sanctions`] check returns.
pub type SanctionsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<bool, IdentityError>> + Send + 'a>>;

/// The bans in force on a user, re-applied after an administrator's change in
/// the same transaction (enforcement's: a permanent ban survives an
/// administrator's disable and re-enable).
pub trait Sanctions: Send + Sync {
    /// Brings `user`'s row in line with their bans after `by` changed it;
    /// `true` when it changed the row again.
    fn reapply<'a>(
        &'a self,
        conn: &'a mut DbConn,
        tenant: TenantId,
        user: Uuid,
        by: Uuid,
    ) -> SanctionsFuture<'a>;
}

/// Enables or disables a user (tenant administrators only, and only users
/// whose highest role is below theirs: [`rank`]), then lets `sanctions`
/// re-apply the user's bans.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: UserPatch,
    sanctions: &dyn Sanctions,
) -> Result<User, IdentityError> {
    if !actor.is_admin() {
        return Err(IdentityError::forbidden(
            "only tenant administrators may change users",
        ));
    }
    let status = UserStatus::from(patch.status);
    if id == actor.user_id && status == UserStatus::Disabled {
        return Err(IdentityError::conflict(
            "you cannot disable your own account",
        ));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            // Enabling counts as much as disabling: a lower role must not undo
            // a higher one's decision about a peer or superior. Enabling
            // oneself is harmless (a refused user never gets here).
            let target = rank::lock_target(conn, id).await?;
            if id != actor.user_id {
                rank::authorize(&actor, &target)?;
            }
            let before = sanction::lock(conn, id)
                .await?
                .ok_or(IdentityError::not_found("user"))?;
            if let Some(violation) = before.ban_violation_id
                && status == UserStatus::Active
            {
                return Err(IdentityError::conflict(format!(
                    "the account is banned by violation {violation}; a ban is lifted by overturning its violation on appeal"
                )));
            }
            let user = diesel::update(users::table.filter(users::id.eq(id)))
                .set((
                    users::status.eq(status.as_str()),
                    // An administrator's decision replaces any ban in force.
                    users::banned_until.eq(None::<DateTime<Utc>>),
                    users::ban_violation_id.eq(None::<Uuid>),
                    users::updated_at.eq(diesel::dsl::now),
                ))
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await
                .map(User::from)?;
            if before.status != status {
                // Recorded with the change itself: both commit or neither does.
                let mut event = ActivityEvent::new(Kind::Security, "status_change");
                event.actor_id = Some(actor.user_id);
                event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
                event.resource_type = Some("users".into());
                event.resource_id = Some(id.to_string());
                event.metadata = serde_json::json!({ "event": "status_change", "from": before.status.as_str(), "to": status.as_str() });
                warden_audit::store::record_in_tx(conn, actor.tenant, event).await?;
            }
            // A permanent ban survives an administrator's disable and re-enable.
            let changed = sanctions
                .reapply(conn, actor.tenant, id, actor.user_id)
                .await?;
            let user = if changed {
                users::table
                    .filter(users::id.eq(id))
                    .select(UserRow::as_select())
                    .first(conn)
                    .await
                    .map(User::from)?
            } else {
                user
            };
            Ok(user)
        }
        .scope_boxed()
    })
    .await
}
