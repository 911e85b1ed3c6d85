//! Turning verified claims into a [`Principal`].

use serde_json::Value;
use uuid::Uuid;
use warden_commerce::Role;
use warden_identity::Identity;

/// Who a verified token speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Subject (`sub`).
    pub subject: String,
    /// Tenant named by the tenant claim, when it holds a UUID.
    pub tenant: Option<Uuid>,
    /// Recognised roles; unknown role names are ignored.
    pub roles: Vec<Role>,
    /// `email` claim.
    pub email: Option<String>,
    /// `name` (or `preferred_username`) claim.
    pub name: Option<String>,
    /// `exp`, seconds since the epoch (long-lived connections close then).
    pub expires_at: Option<i64>,
    /// The token is an API client's (a seller's backend, not a person in a
    /// browser): `JWT_API_CLIENT_CLAIM` holds `JWT_API_CLIENT_VALUE`.
    pub api_client: bool,
}

impl Principal {
    /// Whether the token grants `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// The identity to record for this principal's user row.
    pub fn identity(&self) -> Identity {
        Identity {
            subject: self.subject.clone(),
            email: self.email.clone(),
            display_name: self.name.clone(),
            roles: self.roles.clone(),
        }
    }
}

/// Follows a dotted path (`realm_access.roles`) into the claims.
fn at<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(claims, |v, key| v.get(key))
}

fn string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Where the claims Warden reads are (dotted paths, as the identity provider
/// puts them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimPaths {
    /// The tenant id.
    pub tenant: String,
    /// The roles.
    pub roles: String,
    /// The e-mail address.
    pub email: String,
    /// The display name: the first of these that holds a non-empty string.
    pub name: Vec<String>,
    /// The claim marking an API client.
    pub api_client: String,
    /// Its value that marks one.
    pub api_client_value: String,
}

impl ClaimPaths {
    /// The paths of the token settings.
    pub fn of(config: &crate::config::JwtConfig) -> Self {
        Self {
            tenant: config.tenant_claim.clone(),
            roles: config.roles_claim.clone(),
            email: config.email_claim.clone(),
            name: config.name_claims.clone(),
            api_client: config.api_client_claim.clone(),
            api_client_value: config.api_client_value.clone(),
        }
    }
}

/// Whether `claim` holds `value`: a string equal to it, a boolean written
/// as it (`true`, `false`), or a list (or space-separated string, as OAuth
/// scopes are) with it among its elements.
fn holds(claim: Option<&Value>, value: &str) -> bool {
    match claim {
        Some(Value::String(s)) => s == value || s.split(' ').any(|part| part == value),
        Some(Value::Bool(b)) => value == if *b { "true" } else { "false" },
        Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(value)),
        _ => false,
    }
}

/// Longest display name kept from a token, in characters.
const MAX_NAME_CHARS: usize = 200;
/// Longest e-mail address kept from a token (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// A name or address fit to store and show: no control characters, not too long.
fn shown(v: Option<String>, max: usize) -> Option<String> {
    v.filter(|s| s.chars().count() <= max && !s.chars().any(char::is_control))
}

/// Builds the principal from verified claims. `sub` must be a non-empty string
/// without control characters: it is stored (user rows, audit events) as it is,
/// and PostgreSQL text cannot hold NUL. An e-mail or name that is too long or
/// holds control characters is left out rather than refusing the token.
pub(crate) fn principal_from(claims: &Value, paths: &ClaimPaths) -> Option<Principal> {
    let subject = string(claims.get("sub")).filter(|s| !s.chars().any(char::is_control))?;
    let tenant = string(at(claims, &paths.tenant)).and_then(|s| Uuid::parse_str(&s).ok());
    let roles = match at(claims, &paths.roles) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter_map(Role::parse)
            .collect(),
        // Some providers send a space-separated string, as OAuth scopes are.
        Some(Value::String(s)) => s.split([' ', ',']).filter_map(Role::parse).collect(),
        _ => Vec::new(),
    };
    let mut roles: Vec<Role> = roles;
    roles.sort_by_key(|r| r.as_str());
    roles.dedup();
    Some(Principal {
        subject,
        tenant,
        roles,
        email: shown(string(at(claims, &paths.email)), MAX_EMAIL_CHARS),
        name: shown(
            paths.name.iter().find_map(|p| string(at(claims, p))),
            MAX_NAME_CHARS,
        ),
        // RFC 7519 allows a fraction; read as the verifier checked it.
        expires_at: super::verifier::numeric_date(claims, "exp").ok().flatten(),
        api_client: holds(at(claims, &paths.api_client), &paths.api_client_value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(tenant: &str, roles: &str) -> ClaimPaths {
        ClaimPaths {
            tenant: tenant.into(),
            roles: roles.into(),
            email: "email".into(),
            name: vec!["name".into(), "preferred_username".into()],
            api_client: "warden_api_client".into(),
            api_client_value: "true".into(),
        }
    }

    #[test]
    fn the_api_client_claim_marks_machine_tokens() {
        let p = |claims: serde_json::Value, paths: &ClaimPaths| {
            principal_from(&claims, paths)
                .expect("principal")
                .api_client
        };
        let default = paths("tenant_id", "roles");
        assert!(p(json!({"sub": "u", "warden_api_client": true}), &default));
        assert!(!p(
            json!({"sub": "u", "warden_api_client": false}),
            &default
        ));
        assert!(!p(
            json!({"sub": "u", "warden_api_client": "yes"}),
            &default
        ));
        assert!(!p(json!({"sub": "u"}), &default));
        // Auth0's client-credentials tokens.
        let auth0 = ClaimPaths {
            api_client: "gty".into(),
            api_client_value: "client-credentials".into(),
            ..default.clone()
        };
        assert!(p(
            json!({"sub": "c@clients", "gty": "client-credentials"}),
            &auth0
        ));
        assert!(!p(json!({"sub": "u", "gty": "password"}), &auth0));
        assert!(p(
            json!({"sub": "u", "gty": ["refresh_token", "client-credentials"]}),
            &auth0
        ));
    }

    #[test]
    fn a_sub_with_control_characters_is_unusable_and_a_fractional_exp_is_read() {
        let nul = json!({"sub": "a\u{0}b", "exp": 10});
        assert!(principal_from(&nul, &paths("tenant_id", "roles")).is_none());
        let tab = json!({"sub": "a\tb", "exp": 10});
        assert!(principal_from(&tab, &paths("tenant_id", "roles")).is_none());
        let fractional = json!({"sub": "u1", "exp": 1_900_000_000.5});
        let p = principal_from(&fractional, &paths("tenant_id", "roles")).expect("principal");
        assert_eq!(p.expires_at, Some(1_900_000_000));
    }

    #[test]
    fn reads_nested_claims_like_keycloak() {
        let t = Uuid::now_v7();
        let claims = json!({
            "sub": "u1",
            "org": {"tenant": t.to_string()},
            "realm_access": {"roles": ["seller", "offline_access", "buyer"]},
            "preferred_username": "ann"
        });
        let p =
            principal_from(&claims, &paths("org.tenant", "realm_access.roles")).expect("principal");
        assert_eq!(p.tenant, Some(t));
        assert_eq!(p.roles, vec![Role::Buyer, Role::Seller]);
        assert_eq!(p.name.as_deref(), Some("ann"));
    }

    #[test]
    fn tenant_that_is_not_a_uuid_is_absent_and_sub_is_required() {
        let claims = json!({"sub": "u1", "tenant_id": "org_2abc", "roles": "buyer moderator"});
        let p = principal_from(&claims, &paths("tenant_id", "roles")).expect("principal");
        assert_eq!(p.tenant, None);
        assert_eq!(p.roles, vec![Role::Buyer, Role::Moderator]);
        assert!(principal_from(&json!({"sub": ""}), &paths("tenant_id", "roles")).is_none());
        assert!(principal_from(&json!({"sub": 5}), &paths("tenant_id", "roles")).is_none());
    }

    #[test]
    fn email_and_name_come_from_the_configured_claims() {
        let claims = json!({
            "sub": "u1",
            "profile": {"mail": "ann@example.com", "display": "Ann Lee"},
            "name": "ignored",
        });
        let custom = ClaimPaths {
            email: "profile.mail".into(),
            name: vec!["nickname".into(), "profile.display".into()],
            ..paths("tenant_id", "roles")
        };
        let p = principal_from(&claims, &custom).expect("principal");
        assert_eq!(p.email.as_deref(), Some("ann@example.com"));
        assert_eq!(p.name.as_deref(), Some("Ann Lee"));
        let p = principal_from(&claims, &paths("tenant_id", "roles")).expect("principal");
        assert_eq!(p.email, None);
        assert_eq!(p.name.as_deref(), Some("ignored"));
        let odd = json!({"sub": "u1", "name": "a\u{7}b", "email": "x".repeat(300)});
        let p = principal_from(&odd, &paths("tenant_id", "roles")).expect("principal");
        assert_eq!((p.name, p.email), (None, None));
    }
}
