//! Provider callbacks. Twilio reports the fate of each SMS to the
//! `StatusCallback` URL the delivery worker gave it, which names the tenant and
//! the delivery; the request is trusted only with a valid `X-Twilio-Signature`
//! over that exact URL and the posted fields.
//!
//! The endpoint is open to anyone, so what costs nothing is checked first: a
//! request without the signature header, or to a server without SMS, is
//! answered before its body is read.

use actix_web::{FromRequest, HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use warden_tenancy::TenantId;

use crate::error::{ApiError, ErrorCode};
use crate::extract::Query;
use crate::state::AppState;

/// Registers the provider webhooks.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(twilio_status);
}

/// Where the callback belongs (set by Warden in the callback URL).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// Tenant of the delivery.
    pub tenant: Uuid,
    /// The delivery.
    pub delivery: Uuid,
}

/// The fields of a status callback Warden reads (Twilio sends more; all are signed).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[expect(non_snake_case, reason = "field names are Twilio's form keys")]
pub struct TwilioStatusForm {
    /// The message.
    pub MessageSid: String,
    /// queued, sending, sent, delivered, undelivered, failed, …
    pub MessageStatus: String,
    /// Twilio's error code when it failed.
    pub ErrorCode: Option<String>,
}

/// Twilio message status callback (form-encoded `MessageSid`, `MessageStatus`,
/// `ErrorCode`, …), verified by `X-Twilio-Signature`.
#[utoipa::path(
    tag = "webhooks",
    params(
        CallbackQuery,
        ("X-Twilio-Signature" = String, Header, description = "Twilio's HMAC-SHA1 signature of the URL and form")
    ),
    request_body(content = TwilioStatusForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 204, description = "Recorded"))
)]
#[post("/webhooks/twilio/status")]
pub async fn twilio_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: Query<CallbackQuery>,
    // Taken unread: the form is read only once the checks below pass.
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    // An unsigned callback is refused before anything else is said about it.
    if req.headers().get("X-Twilio-Signature").is_none() {
        return Err(ApiError::new(ErrorCode::Forbidden, "X-Twilio-Signature is missing").into());
    }
    let (Some(token), Some(base)) = (
        state
            .config
            .notifications
            .twilio
            .as_ref()
            .map(|t| t.auth_token.clone()),
        state.config.notifications.public_base_url.as_deref(),
    ) else {
        return Err(ApiError::new(ErrorCode::NotFound, "SMS is not configured").into());
    };
    let url = format!(
        "{}{}",
        base.trim_end_matches('/'),
        req.uri().path_and_query().map_or("", |p| p.as_str())
    );
    let signature = req
        .headers()
        .get("X-Twilio-Signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The form extractor's limit and problem answers apply (see `extract::form_config`).
    let mut payload = payload.into_inner();
    let params = web::Form::<Vec<(String, String)>>::from_request(&req, &mut payload)
        .await?
        .into_inner();
    if !warden_notifications::twilio_signature::verify(&token, &url, &params, signature) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "X-Twilio-Signature does not match this request",
        )
        .into());
    }
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(sid), Some(status)) = (field("MessageSid"), field("MessageStatus")) else {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            "MessageSid and MessageStatus are required",
        )
        .into());
    };
    // A replayed or out-of-order status is accepted and changes nothing.
    warden_notifications::delivery::apply_status(
        &state.db,
        TenantId::new(q.tenant),
        q.delivery,
        sid,
        status,
        field("ErrorCode").filter(|c| !c.is_empty()),
    )
    .await
    .map_err(ApiError::from)?;
    Ok(HttpResponse::NoContent().finish())
}
