//! Minting development tokens (`warden token`, tests).

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use uuid::Uuid;
use warden_commerce::Role;

use crate::config::JwtConfig;

/// What to put into a development token.
#[derive(Clone, Debug)]
pub struct MintRequest {
    /// Subject.
    pub subject: String,
    /// Tenant; none for platform administrators.
    pub tenant: Option<Uuid>,
    /// Roles.
    pub roles: Vec<Role>,
    /// E-mail claim.
    pub email: Option<String>,
    /// Display name, set at the first of `JWT_NAME_CLAIMS`.
    pub name: Option<String>,
    /// Lifetime.
    pub ttl: Duration,
    /// Marks the token as an API client's (`JWT_API_CLIENT_CLAIM` set to
    /// `JWT_API_CLIENT_VALUE`).
    pub api_client: bool,
}

/// Signs an HS256 token with the configured secret, using the configured claim
/// names, issuer and audience, so the server accepts it.
pub fn mint_hs256(config: &JwtConfig, req: &MintRequest) -> Result<String, String> {
    let secret = config
        .hs256_secret
        .as_deref()
        .ok_or("JWT_HS256_SECRET is not set")?;
    // A token the server would refuse is no use to anyone: say so here.
    if req.ttl.as_secs() > config.max_lifetime_secs {
        return Err(format!(
            "the ttl ({}s) exceeds the longest token lifetime accepted, JWT_MAX_LIFETIME_SECS ({}s)",
            req.ttl.as_secs(),
            config.max_lifetime_secs
        ));
    }
    let now = chrono::Utc::now().timestamp();
    let ttl = i64::try_from(req.ttl.as_secs()).map_err(|_| "ttl too long")?;
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(req.subject));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + ttl));
    if let Some(iss) = &config.issuer {
        claims.insert("iss".into(), json!(iss));
    }
    if let Some(aud) = &config.audience {
        claims.insert("aud".into(), json!(aud));
    }
    let roles: Vec<&str> = req.roles.iter().map(Role::as_str).collect();
    let mut claims = Value::Object(claims);
    if let Some(email) = &req.email {
        set_path(&mut claims, &config.email_claim, json!(email));
    }
    if let (Some(name), Some(path)) = (&req.name, config.name_claims.first()) {
        set_path(&mut claims, path, json!(name));
    }
    if let Some(t) = req.tenant {
        set_path(&mut claims, &config.tenant_claim, json!(t.to_string()));
    }
    set_path(&mut claims, &config.roles_claim, json!(roles));
    if req.api_client {
        // `true` and `false` as JSON booleans, as providers write flags.
        let value = match config.api_client_value.as_str() {
            "true" => json!(true),
            "false" => json!(false),
            other => json!(other),
        };
        set_path(&mut claims, &config.api_client_claim, value);
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| e.to_string())
}

/// Writes `value` at a dotted path, creating objects on the way.
fn set_path(root: &mut Value, path: &str, value: Value) {
    let mut cur = root;
    let mut keys = path.split('.').peekable();
    while let Some(key) = keys.next() {
        let Value::Object(map) = cur else { return };
        if keys.peek().is_none() {
            map.insert(key.to_owned(), value);
            return;
        }
        cur = map
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ttl_beyond_the_lifetime_cap_is_refused() {
        let config = JwtConfig {
            hs256_secret: Some("test-secret".into()),
            tenant_claim: "tenant_id".into(),
            roles_claim: "roles".into(),
            max_lifetime_secs: 3600,
            ..JwtConfig::default()
        };
        let req = |secs| MintRequest {
            api_client: false,
            subject: "s".into(),
            tenant: None,
            roles: vec![Role::PlatformAdmin],
            email: None,
            name: None,
            ttl: Duration::from_secs(secs),
        };
        assert!(mint_hs256(&config, &req(3600)).is_ok());
        let err = mint_hs256(&config, &req(3601)).unwrap_err();
        assert!(err.contains("JWT_MAX_LIFETIME_SECS"), "{err}");
    }

    #[test]
    fn set_path_builds_nested_objects() {
        let mut v = json!({"sub": "x"});
        set_path(&mut v, "realm_access.roles", json!(["buyer"]));
        assert_eq!(v["realm_access"]["roles"][0], "buyer");
    }
}
