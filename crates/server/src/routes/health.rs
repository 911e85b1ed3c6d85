//! Liveness and readiness.

use std::sync::atomic::Ordering;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Registers the health probes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(live).service(ready);
}

/// Health status.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// The rate limiter's state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LimiterHealth {
    /// `memory` or `redis`.
    pub backend: &'static str,
    /// Checks that could not reach Redis since start (answered by the fail mode).
    pub redis_errors: u64,
}

/// Readiness: the database answers; the limiter's state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// `ok`.
    pub status: &'static str,
    /// Rate limiter.
    pub rate_limiter: LimiterHealth,
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The process can serve: the database answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Readiness), (status = 503, body = crate::error::Problem)))]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ping().await.map_err(|_| {
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "the database does not answer",
        )
    })?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ok",
        rate_limiter: LimiterHealth {
            backend: state.limiter.backend(),
            redis_errors: state.limiter.stats().redis_errors.load(Ordering::Relaxed),
        },
    }))
}
