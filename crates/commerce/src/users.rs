//! Users of a tenant. A row is created from the identity token on a subject's
//! first request in the tenant and refreshed when the token's details change.

use crate::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::{Db, Page, PageRequest, ScopedFutureExt, TenantId};

use warden_audit::{ActivityEvent, Kind};
use warden_quotas::resources::{self, ResourceDelta};

use crate::{Actor, CommerceError, Role, validate};

/// Whether a user may act.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// May act.
    Active,
    /// Refused on every request (403 `user_disabled`, or `user_banned` when a
    /// permanent ban disabled it).
    Disabled,
    /// Temporarily banned until `banned_until` (403 `user_banned`); set only
    /// by enforcement.
    Banned,
}

impl UserStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Banned => "banned",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "disabled" => Self::Disabled,
            "banned" => Self::Banned,
            _ => Self::Active,
        }
    }
}

/// A user as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// User id within the tenant.
    pub id: Uuid,
    /// The identity provider's subject (`sub` claim).
    pub subject: String,
    /// E-mail from the token, if any.
    pub email: Option<String>,
    /// Display name from the token, if any.
    pub display_name: Option<String>,
    /// Roles from the most recent token.
    pub roles: Vec<Role>,
    /// Whether the user may act.
    pub status: UserStatus,
    /// End of a temporary ban.
    pub banned_until: Option<DateTime<Utc>>,
    /// The violation whose ban holds the account (temporary or permanent).
    pub ban_violation_id: Option<Uuid>,
    /// First seen at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::pg::Pg))]
struct UserRow {
    id: Uuid,
    subject: String,
    email: Option<String>,
    display_name: Option<String>,
    roles: Vec<String>,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    banned_until: Option<DateTime<Utc>>,
    ban_violation_id: Option<Uuid>,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        Self {
            id: r.id,
            subject: r.subject,
            email: r.email,
            display_name: r.display_name,
            roles: r.roles.iter().filter_map(|s| Role::parse(s)).collect(),
            status: UserStatus::parse(&r.status),
            banned_until: r.banned_until,
            ban_violation_id: r.ban_violation_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

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

/// The user row behind an identity, as the request path needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRef {
    /// User id.
    pub id: Uuid,
    /// Status.
    pub status: UserStatus,
    /// End of a temporary ban.
    pub banned_until: Option<DateTime<Utc>>,
    /// The violation whose ban holds the account.
    pub ban_violation_id: Option<Uuid>,
    /// A lower per-minute request limit seller trust puts on the user (the
    /// owner of a high-risk store).
    pub risk_limit_per_minute: Option<u64>,
}

impl UserRef {
    /// Why the user may not act at `now`, if they may not.
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<Refusal> {
        match self.status {
            UserStatus::Active => None,
            // A ban that has run out no longer refuses, even before the expiry
            // job has restored the row.
            UserStatus::Banned => self
                .banned_until
                .filter(|until| *until > now)
                .map(|until| Refusal::Banned { until: Some(until) }),
            UserStatus::Disabled if self.ban_violation_id.is_some() => {
                Some(Refusal::Banned { until: None })
            }
            UserStatus::Disabled => Some(Refusal::Disabled),
        }
    }
}

/// Why a user is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Disabled by an administrator.
    Disabled,
    /// Banned until `until`, or for good when `None`.
    Banned {
        /// End of the ban.
        until: Option<DateTime<Utc>>,
    },
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

fn user_ref((id, status, banned_until, ban_violation_id): Returned) -> UserRef {
    UserRef {
        id,
        status: UserStatus::parse(&status),
        banned_until,
        ban_violation_id,
        risk_limit_per_minute: None,
    }
}

/// Finds the user row for `identity` in `tenant`, creating it on first sight and
/// refreshing e-mail, name and roles when the token's differ from the row's.
pub async fn sync(
    db: &Db,
    tenant: TenantId,
    identity: &Identity,
) -> Result<UserRef, CommerceError> {
    let subject = validate::text("sub", &identity.subject, 1, 255)?;
    // Token details are the identity provider's; an odd value is dropped rather
    // than failing the request.
    let email = validate::email("email", identity.email.as_deref())
        .ok()
        .flatten();
    let name = validate::opt_title("name", identity.display_name.as_deref(), 200)
        .ok()
        .flatten();
    let mut roles: Vec<String> = identity
        .roles
        .iter()
        .map(|r| r.as_str().to_owned())
        .collect();
    roles.sort();
    roles.dedup();
    db.tenant_tx(tenant, |conn| {
        async move {
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
                let mut user = user_ref((*id, status.clone(), *until, *ban));
                user.risk_limit_per_minute =
                    warden_trust::risk::user_rate_limit(conn, user.id).await?;
                return Ok(user);
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
            let refresh = (
                users::email.eq(&email),
                users::display_name.eq(&name),
                users::roles.eq(&roles),
                users::updated_at.eq(diesel::dsl::now),
            );
            let row: Returned = if existing.is_some() {
                diesel::update(users::table.filter(users::subject.eq(&subject)))
                    .set(refresh)
                    .returning((
                        users::id,
                        users::status,
                        users::banned_until,
                        users::ban_violation_id,
                    ))
                    .get_result(conn)
                    .await?
            } else {
                let inserted: Option<Returned> = diesel::insert_into(users::table)
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
                    .returning((
                        users::id,
                        users::status,
                        users::banned_until,
                        users::ban_violation_id,
                    ))
                    .get_result(conn)
                    .await
                    .optional()?;
                match inserted {
                    Some(row) => {
                        // A new user counts against the tenant's users quota.
                        // Platform administrators acting in a tenant are staff,
                        // not its users.
                        if !identity.roles.contains(&Role::PlatformAdmin) {
                            resources::charge(conn, tenant, ResourceDelta::user()).await?;
                        }
                        row
                    }
                    // A concurrent first request of the same subject made the row.
                    None => {
                        diesel::update(users::table.filter(users::subject.eq(&subject)))
                            .set(refresh)
                            .returning((
                                users::id,
                                users::status,
                                users::banned_until,
                                users::ban_violation_id,
                            ))
                            .get_result(conn)
                            .await?
                    }
                }
            };
            let mut user = user_ref(row);
            user.risk_limit_per_minute = warden_trust::risk::user_rate_limit(conn, user.id).await?;
            Ok(user)
        }
        .scope_boxed()
    })
    .await
}

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
) -> Result<Page<User>, CommerceError> {
    if !actor.is_staff() {
        return Err(CommerceError::forbidden("only staff may list users"));
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
                Ok::<_, CommerceError>(q.load(conn).await?)
            }
            .scope_boxed()
        })
        .await?;
    Ok(page.page(rows, |r| r.id).map(User::from))
}

/// Reads one user: the actor themself, or anyone for staff.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<User, CommerceError> {
    if id != actor.user_id && !actor.is_staff() {
        // Not 403: ids are not authorisation, and existence is not disclosed.
        return Err(CommerceError::NotFound("user"));
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
                .ok_or(CommerceError::NotFound("user"))
        }
        .scope_boxed()
    })
    .await
}

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

/// Enables or disables a user (tenant administrators only, and only users
/// whose highest role is below theirs: `warden_enforcement::sanctions`).
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: UserPatch,
) -> Result<User, CommerceError> {
    if !actor.is_admin() {
        return Err(CommerceError::forbidden(
            "only tenant administrators may change users",
        ));
    }
    let status = UserStatus::from(patch.status);
    if id == actor.user_id && status == UserStatus::Disabled {
        return Err(CommerceError::Conflict(
            "you cannot disable your own account".into(),
        ));
    }
    let actor = actor.clone();
    db.tenant_tx(actor.tenant, |conn| {
        async move {
            let enforcement = |e: warden_enforcement::EnforcementError| match e {
                warden_enforcement::EnforcementError::Tenancy(t) => CommerceError::Tenancy(t),
                warden_enforcement::EnforcementError::Audit(a) => CommerceError::Audit(a),
                warden_enforcement::EnforcementError::NotFound(what) => CommerceError::NotFound(what),
                warden_enforcement::EnforcementError::TargetOutranksActor(m) => {
                    CommerceError::TargetOutranksActor(m)
                }
                other => CommerceError::Conflict(other.to_string()),
            };
            // Enabling counts as much as disabling: a lower role must not undo
            // a higher one's decision about a peer or superior. Enabling
            // oneself is harmless (a refused user never gets here).
            let target = warden_enforcement::sanctions::lock_target(conn, id)
                .await
                .map_err(enforcement)?;
            if id != actor.user_id {
                warden_enforcement::sanctions::authorize(&actor, &target).map_err(enforcement)?;
            }
            let before: Option<(String, Option<DateTime<Utc>>, Option<Uuid>)> = users::table
                .filter(users::id.eq(id))
                .select((users::status, users::banned_until, users::ban_violation_id))
                .for_no_key_update()
                .first(conn)
                .await
                .optional()?;
            let (before, _, ban) = before.ok_or(CommerceError::NotFound("user"))?;
            if let Some(violation) = ban
                && status == UserStatus::Active
            {
                return Err(CommerceError::Conflict(format!(
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
            if before != status.as_str() {
                // Recorded with the change itself: both commit or neither does.
                let mut event = ActivityEvent::new(Kind::Security, "status_change");
                event.actor_id = Some(actor.user_id);
                event.actor_roles = actor.roles.iter().map(|r| r.as_str().to_owned()).collect();
                event.resource_type = Some("users".into());
                event.resource_id = Some(id.to_string());
                event.metadata = serde_json::json!({ "event": "status_change", "from": before, "to": status.as_str() });
                warden_audit::store::record_in_tx(conn, actor.tenant, event).await?;
            }
            // A permanent ban survives an administrator's disable and re-enable.
            let change = warden_enforcement::accounts::apply(
                conn,
                actor.tenant,
                id,
                Utc::now(),
                "admin_change",
                Some(actor.user_id),
            )
            .await
            .map_err(enforcement)?;
            let user = if change.is_some() {
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
