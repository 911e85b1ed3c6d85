//! Reviews of products and stores.

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use warden_commerce::reviews::{self, NewReview, Review, ReviewFilter};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::commerce::{ModeratorScreen, TrustStanding};

/// Registers the review routes.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(create_review)
        .service(list_reviews)
        .service(get_review);
}

/// Filters of `GET /reviews`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Only reviews of this store.
    pub seller_id: Option<Uuid>,
    /// Only reviews of this product.
    pub product_id: Option<Uuid>,
}

/// Reviews a delivered order's product (with `product_id`) or its store (without), once each.
#[utoipa::path(tag = "reviews", request_body = NewReview, responses((status = 201, body = Review), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/reviews")]
pub async fn create_review(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewReview>,
) -> Result<HttpResponse, ApiError> {
    let review = reviews::create(
        &state.db,
        &ModeratorScreen::of(&state),
        &TrustStanding,
        &caller.actor,
        body.into_inner(),
    )
    .await?;
    Ok(created(review.id, HttpResponse::Created().json(review)))
}

/// Lists reviews, newest first.
#[utoipa::path(tag = "reviews", params(PageQuery, ReviewQuery), responses((status = 200, body = Page<Review>)))]
#[get("/reviews")]
pub async fn list_reviews(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<ReviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = ReviewFilter {
        seller_id: q.seller_id,
        product_id: q.product_id,
    };
    Ok(HttpResponse::Ok()
        .json(reviews::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// Reads a review.
#[utoipa::path(tag = "reviews", params(("id" = Uuid, Path, description = "Review id")), responses((status = 200, body = Review)))]
#[get("/reviews/{id}")]
pub async fn get_review(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(reviews::get(&state.db, &caller.actor, *id).await?))
}
