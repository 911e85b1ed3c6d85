//! Seller trust: standing (level, score, limits, features, next level) and
//! the tenant's trust settings.

use actix_web::{HttpResponse, get, put, web};
use uuid::Uuid;
use warden_trust::settings::{self, TrustSettings};
use warden_trust::standing::{self, Standing};

use crate::error::ApiError;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Registers the trust routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // `/sellers/me/trust` before `/sellers/{id}/trust`.
    cfg.service(my_trust)
        .service(seller_trust)
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
    body: web::Json<TrustSettings>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(settings::put(&state.db, &caller.actor, body.into_inner()).await?))
}
