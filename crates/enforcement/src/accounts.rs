//! The sanction state of an account, always derived from its violations: a
//! permanent ban not overturned disables it; otherwise the latest temporary ban
//! still running bans it until then; otherwise it is active. Deriving it (rather
//! than stepping it) makes expiry, overturning and overlapping bans agree.
//!
//! An account an administrator disabled by hand (no ban violation named)
//! stays disabled; a permanent ban recorded meanwhile is still noted on it, so
//! that re-enabling it does not undo the ban.

use crate::schema::violations;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use warden_audit::{ActivityEvent, Kind};
use warden_identity::UserStatus;
use warden_identity::sanction::{self, BanState};
use warden_identity::status::{Sanctions, SanctionsFuture};
use warden_tenancy::{Db, DbConn, ScopedFutureExt, TenantId};

use crate::EnforcementError;
use crate::model::{Action, ViolationStatus};

/// The sanction state of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState {
    /// `active`, `banned` or `disabled`.
    pub status: &'static str,
    /// End of a temporary ban.
    pub banned_until: Option<DateTime<Utc>>,
    /// The violation whose ban holds.
    pub ban_violation_id: Option<Uuid>,
}

/// An account whose state changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountChange {
    /// The user.
    pub user_id: Uuid,
    /// Status before.
    pub from: &'static str,
    /// Status after.
    pub to: AccountState,
}

/// Brings `user_id`'s account in line with its violations at `now`, inside a
/// running tenant transaction (the user row is locked), auditing any change
/// in the same transaction. `cause` names what prompted it (`violation`,
/// `ban_expired`, `overturned`).
pub async fn apply(
    conn: &mut DbConn,
    tenant: TenantId,
    user_id: Uuid,
    now: DateTime<Utc>,
    cause: &str,
    by: Option<Uuid>,
) -> Result<Option<AccountChange>, EnforcementError> {
    let row = sanction::lock(conn, user_id).await?;
    let BanState {
        status,
        banned_until: until,
        ban_violation_id: ban_violation,
    } = row.ok_or(EnforcementError::not_found("user"))?;
    let admin_disabled = status == UserStatus::Disabled && ban_violation.is_none();
    let counted = violations::table
        .filter(violations::user_id.eq(user_id))
        .filter(violations::status.ne(ViolationStatus::Overturned.as_str()));
    let permanent: Option<Uuid> = counted
        .filter(violations::action.eq(Action::PermanentBan.as_str()))
        .select(violations::id)
        .order(violations::created_at.asc())
        .first(conn)
        .await
        .optional()?;
    let temporary: Option<(Uuid, Option<DateTime<Utc>>)> = counted
        .filter(violations::action.eq(Action::TemporaryBan.as_str()))
        .filter(violations::ban_until.gt(now))
        .select((violations::id, violations::ban_until))
        .order(violations::ban_until.desc())
        .first(conn)
        .await
        .optional()?;
    let target = match (permanent, temporary) {
        // Disabled by an administrator: only a permanent ban adds anything.
        (None, _) if admin_disabled => return Ok(None),
        (Some(id), _) => AccountState {
            status: "disabled",
            banned_until: None,
            ban_violation_id: Some(id),
        },
        (None, Some((id, until))) => AccountState {
            status: "banned",
            banned_until: until,
            ban_violation_id: Some(id),
        },
        (None, None) => AccountState {
            status: "active",
            banned_until: None,
            ban_violation_id: None,
        },
    };
    let before = status.as_str();
    if before == target.status
        && until == target.banned_until
        && ban_violation == target.ban_violation_id
    {
        return Ok(None);
    }
    sanction::set(
        conn,
        user_id,
        BanState {
            status: UserStatus::parse(target.status),
            banned_until: target.banned_until,
            ban_violation_id: target.ban_violation_id,
        },
    )
    .await?;
    let mut event = ActivityEvent::new(Kind::Security, "account_sanction");
    event.actor_id = by;
    event.resource_type = Some("users".into());
    event.resource_id = Some(user_id.to_string());
    event.metadata = serde_json::json!({
        "event": "account_sanction",
        "cause": cause,
        "from": before,
        "to": target.status,
        "banned_until": target.banned_until,
        "violation_id": target.ban_violation_id,
    });
    warden_audit::store::record_in_tx(conn, tenant, event).await?;
    if target.status == "active" {
        crate::notify::ban_lifted(conn, tenant, user_id, cause).await?;
    }
    Ok(Some(AccountChange {
        user_id,
        from: before,
        to: target,
    }))
}

/// Restores the accounts of `tenant` whose temporary ban has run out by `now`
/// (the ban-expiry job; safe to run on several replicas at once, each account
/// is locked while it changes). Returns the accounts changed.
pub async fn expire_due(
    db: &Db,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<Vec<AccountChange>, EnforcementError> {
    db.tenant_tx(tenant, |conn| {
        async move {
            let due = sanction::expired_bans(conn, now, 1000).await?;
            let mut changed = Vec::new();
            for user in due {
                if let Some(c) = apply(conn, tenant, user, now, "ban_expired", None).await? {
                    changed.push(c);
                }
            }
            Ok(changed)
        }
        .scope_boxed()
    })
    .await
}

/// The bans in force on an account, re-applied after an administrator
/// enables or disables it (`warden_identity::status::update`): a permanent
/// ban survives a disable and re-enable.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeepBans;

impl Sanctions for KeepBans {
    fn reapply<'a>(
        &'a self,
        conn: &'a mut DbConn,
        tenant: TenantId,
        user: Uuid,
        by: Uuid,
    ) -> SanctionsFuture<'a> {
        Box::pin(async move {
            let change = apply(conn, tenant, user, Utc::now(), "admin_change", Some(by)).await?;
            Ok(change.is_some())
        })
    }
}
