//! Statements of reasons: what a user was told about a restrictive decision.

use actix_web::{HttpResponse, get, web};
use uuid::Uuid;
use warden_decisions::statements::{self, Statement};

use crate::error::ApiError;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Registers the statement routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_statement);
}

/// Reads a statement of reasons: the decision, the facts, the ground, whether
/// it was automated and how to appeal (the user it concerns, or staff).
#[utoipa::path(tag = "enforcement", params(("id" = Uuid, Path, description = "Statement id")), responses((status = 200, body = Statement)))]
#[get("/statements/{id}")]
pub async fn get_statement(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(statements::get(&state.db, &caller.actor, *id).await?))
}
