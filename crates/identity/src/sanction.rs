//! The ban columns of a user row. Enforcement derives them from violations
//! (`warden_enforcement::accounts`); these are the reads and the write it
//! makes on the row (an administrator's status change locks the row with
//! [`lock`] too).

use crate::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_tenancy::DbConn;

use crate::{IdentityError, UserStatus};

/// Status and ban of a user row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BanState {
    /// Status.
    pub status: UserStatus,
    /// End of a temporary ban.
    pub banned_until: Option<DateTime<Utc>>,
    /// The violation whose ban holds.
    pub ban_violation_id: Option<Uuid>,
}

/// Status and ban of `user_id`, locking the row for the change that follows;
/// `None` when there is no such user in the tenant.
pub async fn lock(conn: &mut DbConn, user_id: Uuid) -> Result<Option<BanState>, IdentityError> {
    let row: Option<(String, Option<DateTime<Utc>>, Option<Uuid>)> = users::table
        .filter(users::id.eq(user_id))
        .select((users::status, users::banned_until, users::ban_violation_id))
        .for_no_key_update()
        .first(conn)
        .await
        .optional()?;
    Ok(
        row.map(|(status, banned_until, ban_violation_id)| BanState {
            status: UserStatus::parse(&status),
            banned_until,
            ban_violation_id,
        }),
    )
}

/// Stores `state` on `user_id`'s row.
pub async fn set(conn: &mut DbConn, user_id: Uuid, state: BanState) -> Result<(), IdentityError> {
    diesel::update(users::table.filter(users::id.eq(user_id)))
        .set((
            users::status.eq(state.status.as_str()),
            users::banned_until.eq(state.banned_until),
            users::ban_violation_id.eq(state.ban_violation_id),
            users::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Up to `limit` users whose temporary ban has run out by `now`, the longest
/// expired first.
pub async fn expired_bans(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, IdentityError> {
    Ok(users::table
        .filter(users::status.eq(UserStatus::Banned.as_str()))
        .filter(users::banned_until.le(now))
        .select(users::id)
        .order(users::banned_until.asc())
        .limit(limit)
        .load(conn)
        .await?)
}
