//! Liveness and readiness.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Health status.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The process can serve: the database answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Health), (status = 503, body = crate::error::Problem)))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ping().await.map_err(|_| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "the database does not answer",
        )
    })?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
