//! Behavior analysis: patterns, backtests, ad-hoc analysis and detections.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use warden_behavior::analyze::{self, AnalyzeReport, AnalyzeRequest};
use warden_behavior::backtest::{self, BacktestReport, BacktestRequest};
use warden_behavior::detections::{self, Detection, DetectionDetail, DetectionFilter, ReviewBody};
use warden_behavior::pattern::{PatternBody, Severity};
use warden_behavior::store::{self as patterns, Pattern};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::CrossDomainEffects;

/// Registers the behavior routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_patterns)
        .service(create_pattern)
        .service(get_pattern)
        .service(replace_pattern)
        .service(delete_pattern)
        .service(backtest_pattern)
        .service(analyze_events)
        .service(list_detections)
        .service(get_detection)
        .service(review_detection);
}

/// Lists the tenant's behavior patterns, newest first (staff).
#[utoipa::path(tag = "behavior", params(PageQuery), responses((status = 200, body = Page<Pattern>)))]
#[get("/behavior/patterns")]
pub async fn list_patterns(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(patterns::list(&state.db, &caller.actor, page.page()?).await?))
}

/// Creates a behavior pattern, validated on save (tenant administrators).
#[utoipa::path(tag = "behavior", request_body = PatternBody, responses((status = 201, body = Pattern)))]
#[post("/behavior/patterns")]
pub async fn create_pattern(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<PatternBody>,
) -> Result<HttpResponse, ApiError> {
    let p = state
        .detector
        .create_pattern(&state.db, &caller.actor, body.into_inner())
        .await?;
    Ok(created(p.id, HttpResponse::Created().json(p)))
}

/// Reads one pattern (staff).
#[utoipa::path(tag = "behavior", params(("id" = Uuid, Path, description = "Pattern id")), responses((status = 200, body = Pattern)))]
#[get("/behavior/patterns/{id}")]
pub async fn get_pattern(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(patterns::get(&state.db, &caller.actor, *id).await?))
}

/// Replaces a pattern (tenant administrators).
#[utoipa::path(tag = "behavior", params(("id" = Uuid, Path, description = "Pattern id")), request_body = PatternBody, responses((status = 200, body = Pattern)))]
#[put("/behavior/patterns/{id}")]
pub async fn replace_pattern(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<PatternBody>,
) -> Result<HttpResponse, ApiError> {
    let p = state
        .detector
        .replace_pattern(&state.db, &caller.actor, *id, body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// Deletes a pattern; its detections stay (tenant administrators).
#[utoipa::path(tag = "behavior", params(("id" = Uuid, Path, description = "Pattern id")), responses((status = 204)))]
#[delete("/behavior/patterns/{id}")]
pub async fn delete_pattern(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .detector
        .delete_pattern(&state.db, &caller.actor, *id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Evaluates a pattern over the stored activity log for a time range (at most
/// 31 days) and reports what it would have detected; with `create`, records
/// those detections (retroactive run, never enforced; administrators).
#[utoipa::path(tag = "behavior", params(("id" = Uuid, Path, description = "Pattern id")), request_body = BacktestRequest, responses((status = 200, body = BacktestReport)))]
#[post("/behavior/patterns/{id}/backtest")]
pub async fn backtest_pattern(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<BacktestRequest>,
) -> Result<HttpResponse, ApiError> {
    let report = backtest::backtest(
        &state.db,
        &caller.actor,
        state.detector.operators(),
        *id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Evaluates the given events against the tenant's enabled patterns (or an
/// inline `pattern`) without storing anything (staff).
#[utoipa::path(tag = "behavior", request_body = AnalyzeRequest, responses((status = 200, body = AnalyzeReport)))]
#[post("/behavior/analyze")]
pub async fn analyze_events(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<AnalyzeRequest>,
) -> Result<HttpResponse, ApiError> {
    let report = analyze::analyze(
        &state.db,
        &caller.actor,
        state.detector.operators(),
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Filters of the detection list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetectionQuery {
    /// `open`, `confirmed` or `dismissed`.
    #[param(pattern = "^(open|confirmed|dismissed)$")]
    pub status: Option<String>,
    /// Only this pattern's.
    pub pattern_id: Option<Uuid>,
    /// Only this user's.
    pub actor_id: Option<Uuid>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Detected at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Detected before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// Lists detections, newest first (staff).
#[utoipa::path(tag = "behavior", params(PageQuery, DetectionQuery), responses((status = 200, body = Page<Detection>)))]
#[get("/behavior/detections")]
pub async fn list_detections(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<DetectionQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let filter = DetectionFilter {
        status: q.status,
        pattern_id: q.pattern_id,
        actor_id: q.actor_id,
        severity: q.severity,
        from: q.from,
        to: q.to,
    };
    Ok(HttpResponse::Ok()
        .json(detections::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// Reads one detection with its evidence and events (staff).
#[utoipa::path(tag = "behavior", params(("id" = Uuid, Path, description = "Detection id")), responses((status = 200, body = DetectionDetail)))]
#[get("/behavior/detections/{id}")]
pub async fn get_detection(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(detections::get(&state.db, &caller.actor, *id).await?))
}

/// Confirms or dismisses an open detection with a note (staff). Confirming a
/// live detection with a known user records a violation (once).
#[utoipa::path(tag = "behavior", params(("id" = Uuid, Path, description = "Detection id")), request_body = ReviewBody, responses((status = 200, body = Detection)))]
#[post("/behavior/detections/{id}/review")]
pub async fn review_detection(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ReviewBody>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        detections::review(
            &state.db,
            &caller.actor,
            *id,
            body.into_inner(),
            &CrossDomainEffects,
        )
        .await?,
    ))
}
