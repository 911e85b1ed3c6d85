//! Who is acting in a tenant, and the roles a token can carry.

use crate::{Rejection, TenantId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A role a token can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Operates the platform; may act in any tenant.
    PlatformAdmin,
    /// Administers one tenant.
    TenantAdmin,
    /// Reviews content and accounts of one tenant.
    Moderator,
    /// Sells through a store.
    Seller,
    /// Buys.
    Buyer,
}

impl Role {
    /// Every role, in order of decreasing privilege.
    pub const ALL: [Role; 5] = [
        Role::PlatformAdmin,
        Role::TenantAdmin,
        Role::Moderator,
        Role::Seller,
        Role::Buyer,
    ];

    /// The name used in tokens and the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::TenantAdmin => "tenant_admin",
            Self::Moderator => "moderator",
            Self::Seller => "seller",
            Self::Buyer => "buyer",
        }
    }

    /// Parses a role name; unknown names give `None` (and are ignored by callers,
    /// since identity providers put many unrelated roles in tokens).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Rank for sanctions: platform_admin (4) > tenant_admin (3) > moderator
    /// (2) > seller = buyer (1). A user with no role ranks 0.
    pub fn rank(self) -> u8 {
        match self {
            Self::PlatformAdmin => 4,
            Self::TenantAdmin => 3,
            Self::Moderator => 2,
            Self::Seller | Self::Buyer => 1,
        }
    }

    /// Moderators and administrators.
    pub fn is_staff(self) -> bool {
        self.rank() >= Self::Moderator.rank()
    }
}

/// The rank of the highest of `roles` (0 for none).
pub fn highest_rank(roles: &[Role]) -> u8 {
    roles.iter().map(|r| r.rank()).max().unwrap_or(0)
}

/// Who is acting: a user of a tenant with the roles their token grants.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The tenant the request acts in.
    pub tenant: TenantId,
    /// The user's row id in that tenant.
    pub user_id: Uuid,
    /// Roles from the token.
    pub roles: Vec<Role>,
}

impl Actor {
    /// Whether the actor holds `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Tenant administrators, and platform administrators acting in a tenant.
    pub fn is_admin(&self) -> bool {
        self.has(Role::TenantAdmin) || self.has(Role::PlatformAdmin)
    }

    /// Administrators and moderators: staff who may read everything in the tenant.
    pub fn is_staff(&self) -> bool {
        self.is_admin() || self.has(Role::Moderator)
    }

    /// Whether the actor may sanction (disable, ban, record a violation of) a
    /// user holding `target` roles: only when the actor's highest role is
    /// strictly higher than the target's.
    pub fn outranks(&self, target: &[Role]) -> bool {
        highest_rank(&self.roles) > highest_rank(target)
    }

    /// Lets administrators through; refuses anyone else with `forbidden`,
    /// `refused` saying what they may not do.
    pub fn require_admin(&self, refused: &str) -> Result<(), Rejection> {
        allow(self.is_admin(), refused)
    }

    /// Lets staff (administrators and moderators) through; refuses anyone
    /// else with `forbidden`, `refused` saying what they may not do.
    pub fn require_staff(&self, refused: &str) -> Result<(), Rejection> {
        allow(self.is_staff(), refused)
    }
}

fn allow(allowed: bool, refused: &str) -> Result<(), Rejection> {
    if allowed {
        Ok(())
    } else {
        Err(Rejection::Forbidden(refused.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_and_unknown_names_are_ignored() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("offline_access"), None);
    }

    #[test]
    fn staff_includes_moderators_but_admin_does_not() {
        let actor = |roles: Vec<Role>| Actor {
            tenant: TenantId::new(Uuid::nil()),
            user_id: Uuid::nil(),
            roles,
        };
        assert!(actor(vec![Role::Moderator]).is_staff());
        assert!(!actor(vec![Role::Moderator]).is_admin());
        assert!(actor(vec![Role::PlatformAdmin]).is_admin());
        assert!(!actor(vec![Role::Seller, Role::Buyer]).is_staff());
    }

    #[test]
    fn only_a_strictly_higher_role_outranks() {
        let actor = |roles: Vec<Role>| Actor {
            tenant: TenantId::new(Uuid::nil()),
            user_id: Uuid::nil(),
            roles,
        };
        let admin = actor(vec![Role::TenantAdmin]);
        let moderator = actor(vec![Role::Moderator, Role::Buyer]);
        assert!(admin.outranks(&[Role::Moderator]));
        assert!(!admin.outranks(&[Role::TenantAdmin]));
        assert!(!admin.outranks(&[Role::Buyer, Role::PlatformAdmin]));
        assert!(moderator.outranks(&[Role::Seller, Role::Buyer]));
        assert!(moderator.outranks(&[]));
        assert!(!moderator.outranks(&[Role::Moderator]));
        assert!(!moderator.outranks(&[Role::TenantAdmin]));
        assert!(actor(vec![Role::PlatformAdmin]).outranks(&[Role::TenantAdmin]));
        assert!(!actor(vec![Role::Seller]).outranks(&[Role::Buyer]));
    }
}
