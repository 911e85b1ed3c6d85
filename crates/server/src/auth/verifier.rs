//! Token verification.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::claims::{ClaimPaths, Principal, principal_from};
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
    claims: ClaimPaths,
    max_lifetime: i64,
}

/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
const LEEWAY: u64 = 30;

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
            claims: ClaimPaths::of(config),
            max_lifetime: i64::try_from(config.max_lifetime_secs)
                .map_err(|_| "JWT_MAX_LIFETIME_SECS is too large".to_owned())?,
        })
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.set_required_spec_claims(&["exp", "sub"]);
        v.leeway = LEEWAY;
        v.validate_nbf = true;
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
        // RFC 7515 4.1.11: a recipient must refuse a token naming critical
        // extensions it does not understand; this server understands none.
        if header.crit.is_some() {
            return Err(AuthError::Invalid(
                "the token's header marks extensions critical (crit); none are supported".into(),
            ));
        }
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
        check_times(&claims, chrono::Utc::now().timestamp(), self.max_lifetime)?;
        principal_from(&claims, &self.claims)
            .ok_or_else(|| AuthError::Invalid("the token has no usable sub claim".into()))
    }
}

/// A numeric date claim (RFC 7519 allows fractions), when present.
pub(super) fn numeric_date(claims: &Value, name: &str) -> Result<Option<i64>, AuthError> {
    match claims.get(name) {
        None => Ok(None),
        #[expect(
            clippy::cast_possible_truncation,
            reason = "seconds; a fraction is dropped and out-of-range values saturate"
        )]
        Some(v) => v
            .as_f64()
            .map(|f| Some(f as i64))
            .ok_or_else(|| AuthError::Invalid(format!("the token's {name} claim is not a number"))),
    }
}

/// What `jsonwebtoken` does not check: `iat` not in the future, and a
/// lifetime (`exp - iat`, or `exp - now` when the token has no `iat`) no
/// longer than `max_lifetime` seconds. `exp` and `nbf` were checked already.
fn check_times(claims: &Value, now: i64, max_lifetime: i64) -> Result<(), AuthError> {
    let leeway = i64::try_from(LEEWAY).unwrap_or(i64::MAX);
    let exp = numeric_date(claims, "exp")?
        .ok_or_else(|| AuthError::Invalid("the token lacks a required claim (exp, sub)".into()))?;
    let iat = numeric_date(claims, "iat")?;
    if let Some(iat) = iat
        && iat > now.saturating_add(leeway)
    {
        return Err(AuthError::Invalid(
            "the token's issue time (iat) is in the future".into(),
        ));
    }
    // Without iat the issuer's clock is unknown: measure from now, with the
    // same leeway as exp.
    let lifetime = match iat {
        Some(iat) => exp.saturating_sub(iat),
        None => exp.saturating_sub(now).saturating_sub(leeway),
    };
    if lifetime > max_lifetime {
        return Err(AuthError::Invalid(format!(
            "the token's lifetime exceeds the {max_lifetime} seconds accepted here"
        )));
    }
    Ok(())
}

fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<Value, AuthError> {
    use jsonwebtoken::errors::ErrorKind;
    jsonwebtoken::decode::<Value>(token, key, validation)
        .map(|d| d.claims)
        .map_err(|e| {
            if let ErrorKind::InvalidClaimFormat(claim) = e.kind() {
                return AuthError::Invalid(format!("the token's {claim} claim is malformed"));
            }
            AuthError::Invalid(
                match e.kind() {
                    ErrorKind::ExpiredSignature => "the token has expired",
                    ErrorKind::InvalidSignature => "the token's signature is invalid",
                    ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                    ErrorKind::InvalidAudience => "the token's audience is not accepted",
                    ErrorKind::MissingRequiredClaim(_) => {
                        "the token lacks a required claim (exp, sub)"
                    }
                    ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
                    _ => "the token is invalid",
                }
                .into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DAY: i64 = 86_400;

    fn refusal(claims: &Value, now: i64) -> Option<String> {
        check_times(claims, now, DAY).err().map(|e| e.to_string())
    }

    #[test]
    fn lifetime_is_exp_minus_iat_and_capped() {
        let now = 1_800_000_000;
        assert_eq!(refusal(&json!({"iat": now, "exp": now + DAY}), now), None);
        let long = refusal(&json!({"iat": now, "exp": now + DAY + 1}), now);
        assert!(long.is_some_and(|m| m.contains("lifetime")));
        // An old token with a long lifetime is refused even near its end.
        let old = refusal(&json!({"iat": now - 2 * DAY, "exp": now + 60}), now);
        assert!(old.is_some_and(|m| m.contains("lifetime")));
    }

    #[test]
    fn without_iat_the_lifetime_runs_from_now_with_leeway() {
        let now = 1_800_000_000;
        let leeway = i64::try_from(LEEWAY).unwrap();
        assert_eq!(refusal(&json!({"exp": now + DAY + leeway}), now), None);
        assert!(refusal(&json!({"exp": now + DAY + leeway + 1}), now).is_some());
    }

    #[test]
    fn iat_in_the_future_beyond_leeway_is_refused() {
        let now = 1_800_000_000;
        let leeway = i64::try_from(LEEWAY).unwrap();
        let ok = json!({"iat": now + leeway, "exp": now + 600});
        assert_eq!(refusal(&ok, now), None);
        let future = json!({"iat": now + leeway + 1, "exp": now + 600});
        assert!(refusal(&future, now).is_some_and(|m| m.contains("iat")));
        let text = json!({"iat": "yesterday", "exp": now + 600});
        assert!(refusal(&text, now).is_some_and(|m| m.contains("iat")));
    }
}
