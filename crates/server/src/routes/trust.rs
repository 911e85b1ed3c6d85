//! Seller trust: standing (level, score, limits, features, next level) and
//! the tenant's trust settings.

use actix_web::{HttpResponse, get, post, put, web};
use uuid::Uuid;
use warden_trust::history::{self, HistoryEntry, OverrideBody};
use warden_trust::settings::{self, TrustSettings};
use warden_trust::standing::{self, Standing};
use warden_trust::verifications::{
    self, CodeBody, NewVerification, Verification, VerificationReview,
};

use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Registers the trust routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // `/sellers/me/trust` before `/sellers/{id}/trust`.
    cfg.service(my_trust)
        .service(submit_verification)
        .service(confirm_code)
        .service(seller_trust)
        .service(trust_history)
        .service(override_trust)
        .service(list_verifications)
        .service(review_verification)
        .service(get_settings)
        .service(put_settings);
}

/// The caller's store: level, score with its breakdown, listing limit,
/// enabled features, and the next level's requirements and progress.
#[utoipa::path(tag = "trust", responses((status = 200, body = Standing)))]
#[get("/sellers/me/trust")]
pub async fn my_trust(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let s = standing::get(&state.db, &caller.actor, None, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// A store's standing (staff, or the store's owner).
#[utoipa::path(tag = "trust", params(("id" = Uuid, Path, description = "Seller id")), responses((status = 200, body = Standing)))]
#[get("/sellers/{id}/trust")]
pub async fn seller_trust(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let s = standing::get(&state.db, &caller.actor, Some(*id), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Submits a verification step of the caller's store; `email` and `phone`
/// send a one-time code at once. A code over a throttle (per number per hour,
/// numbers per store per day) or the tenant's hourly cap of its channel is
/// refused with 429 `verification_throttled` and `Retry-After`.
#[utoipa::path(
    tag = "trust",
    request_body = NewVerification,
    responses(
        (status = 201, body = Verification),
        (status = 429, description = "A rate limit is used up (`rate_limited`), or a code throttle or the tenant's hourly cap of the channel is reached (`verification_throttled`); see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sellers/me/verifications")]
pub async fn submit_verification(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewVerification>,
) -> Result<HttpResponse, ApiError> {
    let v = verifications::submit(
        &state.db,
        &caller.actor,
        &state.providers,
        &state.config.verification,
        state.clock.now(),
        body.into_inner(),
    )
    .await?;
    Ok(created(v.id, HttpResponse::Created().json(v)))
}

/// Confirms the one-time code of a step (10 minutes, 5 attempts).
#[utoipa::path(tag = "trust", params(("id" = Uuid, Path, description = "Verification id")), request_body = CodeBody, responses((status = 200, body = Verification)))]
#[post("/sellers/me/verifications/{id}/code")]
pub async fn confirm_code(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<CodeBody>,
) -> Result<HttpResponse, ApiError> {
    let v = verifications::confirm_code(
        &state.db,
        &caller.actor,
        state.clock.now(),
        *id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A store's verification steps (staff, or its owner).
#[utoipa::path(tag = "trust", params(("id" = Uuid, Path, description = "Seller id")), responses((status = 200, body = Vec<Verification>)))]
#[get("/sellers/{id}/verifications")]
pub async fn list_verifications(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(verifications::list(&state.db, &caller.actor, *id).await?))
}

/// Approves or rejects a submitted step with notes (staff); an approval may
/// promote the store.
#[utoipa::path(tag = "trust", params(("id" = Uuid, Path, description = "Seller id"), ("vid" = Uuid, Path, description = "Verification id")), request_body = VerificationReview, responses((status = 200, body = Verification)))]
#[post("/sellers/{id}/verifications/{vid}/review")]
pub async fn review_verification(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<VerificationReview>,
) -> Result<HttpResponse, ApiError> {
    let (seller, vid) = path.into_inner();
    let v = verifications::review(
        &state.db,
        &caller.actor,
        state.clock.now(),
        seller,
        vid,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// A store's trust history, newest first, a page at a time (staff, or the owner).
#[utoipa::path(tag = "trust", params(("id" = Uuid, Path, description = "Seller id"), PageQuery), responses((status = 200, body = Page<HistoryEntry>)))]
#[get("/sellers/{id}/trust/history")]
pub async fn trust_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(history::list(&state.db, &caller.actor, *id, page.page()?).await?))
}

/// Holds a store at a level (or `level: null` to release it), with a reason
/// (tenant administrators).
#[utoipa::path(tag = "trust", params(("id" = Uuid, Path, description = "Seller id")), request_body = OverrideBody, responses((status = 200, body = Standing)))]
#[put("/sellers/{id}/trust/override")]
pub async fn override_trust(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<OverrideBody>,
) -> Result<HttpResponse, ApiError> {
    let s = history::set_override(
        &state.db,
        &caller.actor,
        state.clock.now(),
        *id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// The tenant's trust settings (staff).
#[utoipa::path(tag = "trust", responses((status = 200, body = TrustSettings)))]
#[get("/trust/settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(settings::get(&state.db, &caller.actor).await?))
}

/// Replaces the tenant's trust settings: listing limits, feature gates,
/// weights, thresholds, grace period (tenant administrators).
#[utoipa::path(tag = "trust", request_body = TrustSettings, responses((status = 200, body = TrustSettings)))]
#[put("/trust/settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<TrustSettings>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(settings::put(&state.db, &caller.actor, body.into_inner()).await?))
}
