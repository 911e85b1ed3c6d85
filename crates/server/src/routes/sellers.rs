//! Seller profiles.

use actix_web::{HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use warden_commerce::advanced_analytics::{self, AdvancedAnalytics};
use warden_commerce::analytics::{self, AnalyticsQuery, SellerAnalytics};
use warden_commerce::sellers::{self, SellerFilter, SellerProfile, SellerProfileInput};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::commerce::{ModeratorScreen, TrustStanding};

/// Registers the seller routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(put_my_seller)
        .service(get_my_seller)
        .service(my_analytics)
        .service(my_advanced_analytics)
        .service(list_sellers)
        .service(get_seller);
}

/// Filters of `GET /sellers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SellerQuery {
    /// `active` or `suspended`.
    #[param(pattern = "^(active|suspended)$")]
    pub status: Option<String>,
}

/// Creates (201) or updates (200) the caller's store. Needs the seller role.
#[utoipa::path(tag = "sellers", request_body = SellerProfileInput, responses((status = 200, body = SellerProfile), (status = 201, body = SellerProfile)))]
#[put("/sellers/me")]
pub async fn put_my_seller(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<SellerProfileInput>,
) -> Result<HttpResponse, ApiError> {
    let (profile, is_new) = sellers::upsert_mine(
        &state.db,
        &ModeratorScreen::of(&state),
        &TrustStanding,
        &caller.actor,
        body.into_inner(),
    )
    .await?;
    Ok(if is_new {
        created(profile.id, HttpResponse::Created().json(profile))
    } else {
        HttpResponse::Ok().json(profile)
    })
}

/// The caller's store.
#[utoipa::path(tag = "sellers", responses((status = 200, body = SellerProfile)))]
#[get("/sellers/me")]
pub async fn get_my_seller(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(sellers::get_mine(&state.db, &caller.actor).await?))
}

/// The caller's store analytics over the last `days` days (trust-gated:
/// `basic_analytics`; below its level, 403 `trust_level_required`).
#[utoipa::path(tag = "sellers", params(AnalyticsQuery), responses((status = 200, body = SellerAnalytics), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/sellers/me/analytics")]
pub async fn my_analytics(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AnalyticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(
        analytics::mine(
            &state.db,
            &TrustStanding,
            &caller.actor,
            query.into_inner(),
            now,
        )
        .await?,
    ))
}

/// The caller's store's daily series, top products and repeat buyers over
/// the last `days` days (trust-gated: `advanced_analytics`; below its level,
/// 403 `trust_level_required`).
#[utoipa::path(tag = "sellers", params(AnalyticsQuery), responses((status = 200, body = AdvancedAnalytics), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/sellers/me/analytics/advanced")]
pub async fn my_advanced_analytics(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<AnalyticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(
        advanced_analytics::mine(
            &state.db,
            &TrustStanding,
            &caller.actor,
            query.into_inner(),
            now,
        )
        .await?,
    ))
}

/// Lists stores, newest first.
#[utoipa::path(tag = "sellers", params(PageQuery, SellerQuery), responses((status = 200, body = Page<SellerProfile>)))]
#[get("/sellers")]
pub async fn list_sellers(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<SellerQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = SellerFilter {
        status: q.into_inner().status,
    };
    Ok(HttpResponse::Ok()
        .json(sellers::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// Reads a store.
#[utoipa::path(tag = "sellers", params(("id" = Uuid, Path, description = "Seller id")), responses((status = 200, body = SellerProfile)))]
#[get("/sellers/{id}")]
pub async fn get_seller(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(sellers::get(&state.db, &caller.actor, *id).await?))
}
