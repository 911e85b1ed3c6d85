//! Product listings.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use warden_commerce::bulk::{self, BulkResult, BulkStatus};
use warden_commerce::products::{
    self, NewProduct, Product, ProductFilter, ProductPatch, ProductStatus,
};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::commerce::{ModeratorScreen, TrustStanding};

/// Registers the product routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_product)
        .service(bulk_status)
        .service(list_products)
        .service(get_product)
        .service(update_product)
        .service(delete_product);
}

/// Filters of `GET /products`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Only this status.
    pub status: Option<ProductStatus>,
    /// Only this store's listings.
    pub seller_id: Option<Uuid>,
}

/// Creates a listing in the caller's store (sellers with a profile).
#[utoipa::path(tag = "products", request_body = NewProduct, responses((status = 201, body = Product)))]
#[post("/products")]
pub async fn create_product(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewProduct>,
) -> Result<HttpResponse, ApiError> {
    let product = products::create(
        &state.db,
        &ModeratorScreen::of(&state),
        &TrustStanding,
        &caller.actor,
        body.into_inner(),
    )
    .await?;
    Ok(created(product.id, HttpResponse::Created().json(product)))
}

/// Gives up to 100 of the caller's listings one status, all or none
/// (trust-gated: `bulk_operations`; below its level, 403 `trust_level_required`).
#[utoipa::path(tag = "products", request_body = BulkStatus, responses((status = 200, body = BulkResult), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/products/bulk-status")]
pub async fn bulk_status(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<BulkStatus>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(bulk::set_status(&state.db, &TrustStanding, &caller.actor, body.into_inner()).await?))
}

/// Lists listings: active ones, your own of any status, everything for staff.
#[utoipa::path(tag = "products", params(PageQuery, ProductQuery), responses((status = 200, body = Page<Product>)))]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<ProductQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = ProductFilter {
        status: q.status,
        seller_id: q.seller_id,
    };
    Ok(HttpResponse::Ok()
        .json(products::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// Reads a listing.
#[utoipa::path(tag = "products", params(("id" = Uuid, Path, description = "Product id")), responses((status = 200, body = Product)))]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(products::get(&state.db, &caller.actor, *id).await?))
}

/// Changes a listing (its seller or a tenant administrator).
#[utoipa::path(tag = "products", params(("id" = Uuid, Path, description = "Product id")), request_body = ProductPatch, responses((status = 200, body = Product)))]
#[patch("/products/{id}")]
pub async fn update_product(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ProductPatch>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        products::update(
            &state.db,
            &ModeratorScreen::of(&state),
            &caller.actor,
            *id,
            body.into_inner(),
        )
        .await?,
    ))
}

/// Deletes a listing (its seller or a tenant administrator). The listing is kept as evidence and answers 404 from then on.
#[utoipa::path(tag = "products", params(("id" = Uuid, Path, description = "Product id")), responses((status = 204)))]
#[delete("/products/{id}")]
pub async fn delete_product(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    products::delete(&state.db, &caller.actor, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
