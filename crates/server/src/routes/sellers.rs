//! Seller profiles.

use actix_web::{HttpResponse, get, put, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use warden_commerce::sellers::{self, SellerFilter, SellerProfile, SellerProfileInput};
use warden_tenancy::Page;

use super::PageQuery;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Filters of `GET /sellers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SellerQuery {
    /// `active` or `suspended`.
    pub status: Option<String>,
}

/// Creates (201) or updates (200) the caller's store. Needs the seller role.
#[utoipa::path(tag = "sellers", request_body = SellerProfileInput, responses((status = 200, body = SellerProfile), (status = 201, body = SellerProfile)))]
#[put("/sellers/me")]
pub async fn put_my_seller(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<SellerProfileInput>,
) -> Result<HttpResponse, ApiError> {
    let (profile, created) = sellers::upsert_mine(
        &state.db,
        &state.moderator,
        &caller.actor,
        body.into_inner(),
    )
    .await?;
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(profile))
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

/// Lists stores, newest first.
#[utoipa::path(tag = "sellers", params(PageQuery, SellerQuery), responses((status = 200, body = Page<SellerProfile>)))]
#[get("/sellers")]
pub async fn list_sellers(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    q: web::Query<SellerQuery>,
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
