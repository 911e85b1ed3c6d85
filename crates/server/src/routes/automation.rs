//! A store's order automation: automated order processing and the seller's
//! own rules (both trust-gated).

use actix_web::{HttpResponse, delete, get, post, put, web};
use uuid::Uuid;
use warden_commerce::automation::{self, AutomationRule, AutomationRuleInput, AutomationSettings};

use crate::created::created;
use crate::error::ApiError;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::commerce::TrustStanding;

/// Registers the automation routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_my_automation)
        .service(put_my_automation)
        .service(list_automation_rules)
        .service(create_automation_rule)
        .service(update_automation_rule)
        .service(delete_automation_rule);
}

/// The caller's automation settings.
#[utoipa::path(tag = "sellers", responses((status = 200, body = AutomationSettings)))]
#[get("/sellers/me/automation")]
pub async fn get_my_automation(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(automation::settings(&state.db, &caller.actor).await?))
}

/// Sets the caller's automation: `auto_process_orders` ships each paid order
/// of the store at once (trust-gated: `automated_order_processing`; turning
/// it on below the level is 403 `trust_level_required`).
#[utoipa::path(tag = "sellers", request_body = AutomationSettings, responses((status = 200, body = AutomationSettings), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
#[put("/sellers/me/automation")]
pub async fn put_my_automation(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<AutomationSettings>,
) -> Result<HttpResponse, ApiError> {
    let s = automation::put_settings(&state.db, &TrustStanding, &caller.actor, body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// The caller's automation rules, in the order they are tried (oldest first).
#[utoipa::path(tag = "sellers", responses((status = 200, body = Vec<AutomationRule>)))]
#[get("/sellers/me/automation-rules")]
pub async fn list_automation_rules(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(automation::list_rules(&state.db, &caller.actor).await?))
}

/// Creates an automation rule (at most 20 per store; trust-gated:
/// `custom_automation_rules`, unless created disabled).
#[utoipa::path(tag = "sellers", request_body = AutomationRuleInput, responses((status = 201, body = AutomationRule), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/sellers/me/automation-rules")]
pub async fn create_automation_rule(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<AutomationRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let rule = automation::create_rule(&state.db, &TrustStanding, &caller.actor, body.into_inner())
        .await?;
    Ok(created(rule.id, HttpResponse::Created().json(rule)))
}

/// Replaces an automation rule (an enabled one is trust-gated:
/// `custom_automation_rules`).
#[utoipa::path(tag = "sellers", params(("id" = Uuid, Path, description = "Rule id")), request_body = AutomationRuleInput, responses((status = 200, body = AutomationRule), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
#[put("/sellers/me/automation-rules/{id}")]
pub async fn update_automation_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<AutomationRuleInput>,
) -> Result<HttpResponse, ApiError> {
    let rule = automation::update_rule(
        &state.db,
        &TrustStanding,
        &caller.actor,
        *id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(rule))
}

/// Deletes an automation rule (at any level).
#[utoipa::path(tag = "sellers", params(("id" = Uuid, Path, description = "Rule id")), responses((status = 204)))]
#[delete("/sellers/me/automation-rules/{id}")]
pub async fn delete_automation_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    automation::delete_rule(&state.db, &caller.actor, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
