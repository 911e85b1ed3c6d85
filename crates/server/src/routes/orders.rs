//! Orders.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use warden_commerce::orders::{self, NewOrder, Order, OrderFilter, OrderStatus, OrderStatusChange};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::commerce::TrustStanding;

/// Registers the order routes.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(create_order)
        .service(list_orders)
        .service(get_order)
        .service(update_order);
}

/// Filters of `GET /orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Only this store's orders.
    pub seller_id: Option<Uuid>,
}

/// Places an order (buyers): items of one store, in one currency.
#[utoipa::path(tag = "orders", request_body = NewOrder, responses((status = 201, body = Order)))]
#[post("/orders")]
pub async fn create_order(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewOrder>,
) -> Result<HttpResponse, ApiError> {
    let order = orders::create(&state.db, &caller.actor, body.into_inner()).await?;
    Ok(created(order.id, HttpResponse::Created().json(order)))
}

/// Lists orders the caller bought or sold (all for staff), newest first, with their items.
#[utoipa::path(tag = "orders", params(PageQuery, OrderQuery), responses((status = 200, body = Page<Order>)))]
#[get("/orders")]
pub async fn list_orders(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<OrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = OrderFilter {
        status: q.status,
        seller_id: q.seller_id,
    };
    Ok(
        HttpResponse::Ok()
            .json(orders::list(&state.db, &caller.actor, filter, page.page()?).await?),
    )
}

/// Reads an order (its buyer, its seller, or staff).
#[utoipa::path(tag = "orders", params(("id" = Uuid, Path, description = "Order id")), responses((status = 200, body = Order)))]
#[get("/orders/{id}")]
pub async fn get_order(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(orders::get(&state.db, &caller.actor, *id).await?))
}

/// Moves an order along its lifecycle: pending → paid → shipped → delivered,
/// cancellations, disputes and refunds. A move the lifecycle does not allow is 409.
#[utoipa::path(tag = "orders", params(("id" = Uuid, Path, description = "Order id")), request_body = OrderStatusChange, responses((status = 200, body = Order), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")))]
#[patch("/orders/{id}")]
pub async fn update_order(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<OrderStatusChange>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        orders::update_status(
            &state.db,
            &TrustStanding,
            &caller.actor,
            *id,
            body.into_inner(),
        )
        .await?,
    ))
}
