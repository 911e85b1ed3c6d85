//! Token verification settings.

use super::ConfigError;
use super::parse::lifetime_secs;

/// Token verification settings.
#[derive(Clone, Debug)]
pub struct JwtConfig {
    /// Secret for HS256 tokens (development and tests).
    pub hs256_secret: Option<String>,
    /// JWKS document for RS256/ES256 tokens of an external identity provider.
    pub jwks_url: Option<String>,
    /// Required `iss`, when set.
    pub issuer: Option<String>,
    /// Required `aud`, when set.
    pub audience: Option<String>,
    /// Claim (dotted path) holding the tenant id.
    pub tenant_claim: String,
    /// Claim (dotted path) holding the roles.
    pub roles_claim: String,
    /// Claim (dotted path) holding the user's e-mail address.
    pub email_claim: String,
    /// Claims (dotted paths) tried in order for the user's display name.
    pub name_claims: Vec<String>,
    /// Claim (dotted path) that marks a token as an API client's (machine
    /// access, trust-gated: `api_access`).
    pub api_client_claim: String,
    /// The value of [`Self::api_client_claim`] that marks an API client: equal
    /// to a string claim, `true`/`false` for a boolean one, or one element of
    /// a list.
    pub api_client_value: String,
    /// Longest token lifetime accepted (`exp - iat`, or `exp - now` without
    /// `iat`), in seconds; `warden token` mints no longer.
    pub max_lifetime_secs: u64,
}

/// Default of `JWT_API_CLIENT_CLAIM`.
pub const DEFAULT_API_CLIENT_CLAIM: &str = "warden_api_client";

/// Default of `JWT_MAX_LIFETIME_SECS`: a day.
pub const DEFAULT_JWT_MAX_LIFETIME_SECS: u64 = 86_400;

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            hs256_secret: None,
            jwks_url: None,
            issuer: None,
            audience: None,
            tenant_claim: String::new(),
            roles_claim: String::new(),
            email_claim: "email".into(),
            name_claims: vec!["name".into(), "preferred_username".into()],
            api_client_claim: DEFAULT_API_CLIENT_CLAIM.into(),
            api_client_value: "true".into(),
            max_lifetime_secs: DEFAULT_JWT_MAX_LIFETIME_SECS,
        }
    }
}

/// The token variables.
#[derive(Clone, Debug, clap::Args)]
#[command(next_help_heading = "Tokens")]
pub struct JwtArgs {
    /// HS256 secret, at least 8 bytes; tokens from `warden token` use it.
    #[arg(long, env = "JWT_HS256_SECRET", hide_env_values = true)]
    pub jwt_hs256_secret: Option<String>,
    /// JWKS of an external identity provider (RS256/ES256).
    #[arg(long, env = "JWT_JWKS_URL")]
    pub jwt_jwks_url: Option<String>,
    /// Required `iss` when set.
    #[arg(long, env = "JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Required `aud` when set.
    #[arg(long, env = "JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Claim holding the Warden tenant UUID; dotted paths allowed (`org.tenant_id`).
    #[arg(long, env = "JWT_TENANT_CLAIM", default_value = "tenant_id")]
    pub jwt_tenant_claim: String,
    /// Claim holding the roles; dotted paths allowed (`realm_access.roles`).
    #[arg(long, env = "JWT_ROLES_CLAIM", default_value = "roles")]
    pub jwt_roles_claim: String,
    /// Claim holding the user's e-mail address; dotted paths allowed.
    #[arg(long, env = "JWT_EMAIL_CLAIM", default_value = "email")]
    pub jwt_email_claim: String,
    /// Claims tried in order for the user's display name, comma-separated;
    /// dotted paths allowed.
    #[arg(
        long,
        env = "JWT_NAME_CLAIMS",
        default_value = "name,preferred_username",
        value_delimiter = ','
    )]
    pub jwt_name_claims: Vec<String>,
    /// Claim marking a token as an API client's (a seller's backend; gated by
    /// the `api_access` trust level); dotted paths allowed (`gty` for Auth0
    /// client-credentials tokens).
    #[arg(long, env = "JWT_API_CLIENT_CLAIM", default_value = DEFAULT_API_CLIENT_CLAIM)]
    pub jwt_api_client_claim: String,
    /// The value of JWT_API_CLIENT_CLAIM that marks an API client (`true` for
    /// a boolean claim, `client-credentials` with Auth0's `gty`; a list claim
    /// matches when it holds it).
    #[arg(long, env = "JWT_API_CLIENT_VALUE", default_value = "true")]
    pub jwt_api_client_value: String,
    /// Longest token lifetime accepted, in seconds: `exp - iat`, or `exp - now`
    /// for a token without `iat`; `warden token --ttl` mints no longer.
    #[arg(long, env = "JWT_MAX_LIFETIME_SECS", default_value = "86400", value_parser = lifetime_secs)]
    pub jwt_max_lifetime_secs: u64,
}

impl JwtArgs {
    /// The token settings.
    pub fn resolve(self) -> Result<JwtConfig, ConfigError> {
        // Checked here, not by a value parser, so the error does not echo the secret.
        if self.jwt_hs256_secret.as_ref().is_some_and(|s| s.len() < 8) {
            return Err(ConfigError::new(
                "JWT_HS256_SECRET must be at least 8 bytes",
            ));
        }
        Ok(JwtConfig {
            hs256_secret: self.jwt_hs256_secret,
            jwks_url: self.jwt_jwks_url,
            issuer: self.jwt_issuer,
            audience: self.jwt_audience,
            tenant_claim: self.jwt_tenant_claim,
            roles_claim: self.jwt_roles_claim,
            email_claim: self.jwt_email_claim,
            name_claims: self.jwt_name_claims,
            api_client_claim: self.jwt_api_client_claim,
            api_client_value: self.jwt_api_client_value,
            max_lifetime_secs: self.jwt_max_lifetime_secs,
        })
    }
}
