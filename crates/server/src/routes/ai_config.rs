//! The tenant's AI sales-assistant settings.

use actix_web::{HttpResponse, get, put, web};
use utoipa_actix_web::service_config::ServiceConfig;
use warden_commerce::ai_config::{self, AiConfig, AiConfigInput};

use crate::error::ApiError;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Registers the AI config routes.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(get_ai_config).service(put_ai_config);
}

/// Reads the settings (tenant administrators and moderators); defaults when never set.
#[utoipa::path(tag = "ai-config", responses((status = 200, body = AiConfig)))]
#[get("/ai-config")]
pub async fn get_ai_config(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ai_config::get(&state.db, &caller.actor).await?))
}

/// Replaces the settings (tenant administrators); every field is required.
#[utoipa::path(tag = "ai-config", request_body = AiConfigInput, responses((status = 200, body = AiConfig)))]
#[put("/ai-config")]
pub async fn put_ai_config(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<AiConfigInput>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ai_config::put(&state.db, &caller.actor, body.into_inner()).await?))
}
