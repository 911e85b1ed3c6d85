//! A user row and its status, as the API shows them.

use crate::schema::users;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use warden_tenancy::Role;

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
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Banned => "banned",
        }
    }

    /// Reads stored text (anything unknown is `Active`).
    pub fn parse(s: &str) -> Self {
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
pub(crate) struct UserRow {
    pub(crate) id: Uuid,
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
