//! Token verification.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::claims::{Principal, principal_from};
use super::jwks::Jwks;
use crate::config::JwtConfig;

/// Why a token was refused. The detail is safe to show the client.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("send Authorization: Bearer <token>")]
    Missing,
    /// The token failed verification.
    #[error("{0}")]
    Invalid(String),
}

/// Verifies bearer tokens.
pub struct Verifier {
    hs256: Option<DecodingKey>,
    jwks: Option<Jwks>,
    issuer: Option<String>,
    audience: Option<String>,
    tenant_claim: String,
    roles_claim: String,
}

impl Verifier {
    /// A verifier for the configured keys.
    pub fn new(config: &JwtConfig) -> Result<Self, String> {
        if config.hs256_secret.is_none() && config.jwks_url.is_none() {
            return Err("set JWT_HS256_SECRET or JWT_JWKS_URL: no token could be verified".into());
        }
        Ok(Self {
            hs256: config
                .hs256_secret
                .as_deref()
                .map(|s| DecodingKey::from_secret(s.as_bytes())),
            jwks: config.jwks_url.clone().map(Jwks::new).transpose()?,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            tenant_claim: config.tenant_claim.clone(),
            roles_claim: config.roles_claim.clone(),
        })
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.set_required_spec_claims(&["exp", "sub"]);
        v.leeway = 30;
        match &self.audience {
            Some(aud) => v.set_audience(&[aud]),
            None => v.validate_aud = false,
        }
        if let Some(iss) = &self.issuer {
            v.set_issuer(&[iss]);
        }
        v
    }

    /// Verifies a token and reads its principal.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::Invalid("the token is not a JWT".into()))?;
        let claims: Value = match header.alg {
            Algorithm::HS256 => {
                let key = self.hs256.as_ref().ok_or_else(|| {
                    AuthError::Invalid("HS256 tokens are not accepted here".into())
                })?;
                decode(token, key, &self.validation(Algorithm::HS256))?
            }
            alg @ (Algorithm::RS256 | Algorithm::ES256) => {
                let jwks = self.jwks.as_ref().ok_or_else(|| {
                    AuthError::Invalid(format!("{alg:?} tokens are not accepted here"))
                })?;
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| AuthError::Invalid("the token names no key (kid)".into()))?;
                let key = jwks.key(kid).await.ok_or_else(|| {
                    AuthError::Invalid("the token's signing key is unknown".into())
                })?;
                if key.1 != alg {
                    return Err(AuthError::Invalid(
                        "the token's algorithm does not match its key".into(),
                    ));
                }
                decode(token, &key.0, &self.validation(alg))?
            }
            other => {
                return Err(AuthError::Invalid(format!(
                    "{other:?} tokens are not accepted"
                )));
            }
        };
        principal_from(&claims, &self.tenant_claim, &self.roles_claim)
            .ok_or_else(|| AuthError::Invalid("the token has no usable sub claim".into()))
    }
}

fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<Value, AuthError> {
    use jsonwebtoken::errors::ErrorKind;
    jsonwebtoken::decode::<Value>(token, key, validation)
        .map(|d| d.claims)
        .map_err(|e| {
            AuthError::Invalid(
                match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::InvalidSignature => "the token's signature is invalid",
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience is not accepted",
                    ErrorKind::MissingRequiredClaim(_) => {
                        "the token lacks a required claim (exp, sub)"
                    }
                    ErrorKind::ImmatureSignature => "the token is not valid yet",
                    _ => "the token is invalid",
                }
                .into(),
            )
        })
}
