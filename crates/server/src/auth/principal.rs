//! Extractors for authenticated callers outside tenant scope.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use warden_commerce::Role;

use super::{AuthError, Principal};
use crate::activity::SecurityNote;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The bearer token of a request, if it carries one.
pub(crate) fn bearer(req: &HttpRequest) -> Result<String, AuthError> {
    let value = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Invalid("the Authorization header is not text".into()))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| AuthError::Invalid("use the Bearer scheme".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Invalid("use the Bearer scheme".into()));
    }
    Ok(token.trim().to_owned())
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing => ApiError::new(ErrorCode::Unauthenticated, e.to_string()),
            AuthError::Invalid(msg) => ApiError::new(ErrorCode::InvalidToken, msg),
        }
    }
}

/// Verifies the request's bearer token.
pub(crate) async fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let token = bearer(req)?;
    match state.verifier.verify(&token).await {
        Ok(principal) => {
            // Later layers (the activity log) want to know who called.
            req.extensions_mut().insert(principal.clone());
            Ok(principal)
        }
        Err(e) => {
            req.extensions_mut().insert(SecurityNote {
                event: "auth_failure",
                home_tenant: None,
                detail: serde_json::json!({ "reason": e.to_string() }),
            });
            Err(e.into())
        }
    }
}

/// A caller holding the `platform_admin` role (platform routes such as `/tenants`).
pub struct PlatformAdmin(pub Principal);

impl FromRequest for PlatformAdmin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let principal = authenticate(&req).await?;
            if principal.has(Role::PlatformAdmin) {
                Ok(Self(principal))
            } else {
                Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "this needs the platform_admin role",
                ))
            }
        })
    }
}
