//! Listing and reading a tenant's users.

use crate::schema::users;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::{Actor, Db, Page, PageRequest, ScopedFutureExt};

use crate::user::UserRow;
use crate::{IdentityError, User, UserStatus};

/// Filters for listing users.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Only users with this status.
    pub status: Option<UserStatus>,
}

/// Lists the tenant's users (staff only).
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: UserFilter,
    page: PageRequest,
) -> Result<Page<User>, IdentityError> {
    if !actor.is_staff() {
        return Err(IdentityError::forbidden("only staff may list users"));
    }
    let rows: Vec<UserRow> = db
        .tenant_tx(actor.tenant, |conn| {
            async move {
                let mut q = users::table
                    .select(UserRow::as_select())
                    .order(users::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(users::id.lt(after));
                }
                if let Some(s) = filter.status {
                    q = q.filter(users::status.eq(s.as_str()));
                }
                Ok::<_, IdentityError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |r| r.id).map(User::from))
}

/// Reads one user: the actor themself, or anyone for staff.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<User, IdentityError> {
    if id != actor.user_id && !actor.is_staff() {
        // Not 403: ids are not authorisation, and existence is not disclosed.
        return Err(IdentityError::not_found("user"));
    }
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            users::table
                .filter(users::id.eq(id))
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?
                .map(User::from)
                .ok_or(IdentityError::not_found("user"))
        }
        .scope_boxed()
    })
    .await
}
