//! User reports (notice and action): reporting, one's own reports, staff's
//! view, the tenant's categories and rate, trusted flaggers.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use warden_reports::Report;
use warden_reports::flaggers::{self, ReporterStanding};
use warden_reports::list::{self, ReportFilter};
use warden_reports::settings::{self, ReportSettings};
use warden_reports::submit::{self, ReportBody, Submitted};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::CrossDomainEffects;
use crate::wiring::reports::ReportLimiter;

/// Registers the report routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_report)
        .service(my_reports)
        .service(list_reports)
        .service(get_report_settings)
        .service(put_report_settings)
        .service(list_trusted_flaggers)
        .service(add_trusted_flagger)
        .service(remove_trusted_flagger);
}

/// Reports a listing, review, message, store or user (any member). A repeat
/// of the reporter's open report of the same target is merged into it (200,
/// `merged: true`): the latest category and non-empty text are kept, message
/// ids are added. The target's open reports share one review item.
#[utoipa::path(
    tag = "reports",
    request_body = ReportBody,
    responses(
        (status = 201, body = Submitted, description = "A new report"),
        (status = 200, body = Submitted, description = "Merged into the caller's open report of the target"),
        (status = 404, description = "No such target in this tenant (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "A category not in the tenant's list, text over 2,000 characters, or message ids that are not messages of the tenant (`invalid_report`); nothing was written", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "The caller sent the tenant's `reports_per_hour` within the hour (`report_rate_limited`), or a rate limit is used up (`rate_limited`); see Retry-After", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/reports")]
pub async fn create_report(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ReportBody>,
) -> Result<HttpResponse, ApiError> {
    let submitted = submit::submit(
        &state.db,
        &CrossDomainEffects,
        &ReportLimiter(&state.limiter),
        &caller.actor,
        body.into_inner(),
    )
    .await?;
    Ok(if submitted.merged {
        HttpResponse::Ok().json(submitted)
    } else {
        created(submitted.report.id, HttpResponse::Created().json(submitted))
    })
}

/// The caller's reports with their status and outcome, newest first.
#[utoipa::path(tag = "reports", params(PageQuery), responses((status = 200, body = Page<Report>)))]
#[get("/reports/mine")]
pub async fn my_reports(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(list::mine(&state.db, &caller.actor, page.page()?).await?))
}

/// Filters of `GET /reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only the reports of this review item.
    pub review_id: Option<Uuid>,
    /// Only `open` or `closed` reports.
    #[param(pattern = "^(open|closed)$")]
    pub status: Option<String>,
}

/// The tenant's reports, newest first (moderators and administrators); with
/// `review_id`, the reports a review item groups.
#[utoipa::path(tag = "reports", params(PageQuery, ReportQuery), responses((status = 200, body = Page<Report>)))]
#[get("/reports")]
pub async fn list_reports(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let filter = ReportFilter {
        review_id: q.review_id,
        status: q.status,
    };
    Ok(HttpResponse::Ok().json(list::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// The tenant's report categories and per-reporter hourly rate (any member).
#[utoipa::path(tag = "reports", responses((status = 200, body = ReportSettings)))]
#[get("/reports/settings")]
pub async fn get_report_settings(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(settings::get(&state.db, &caller.actor).await?))
}

/// Replaces the tenant's report categories and rate (tenant administrators).
#[utoipa::path(tag = "reports", request_body = ReportSettings, responses((status = 200, body = ReportSettings)))]
#[put("/reports/settings")]
pub async fn put_report_settings(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ReportSettings>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(settings::put(&state.db, &caller.actor, body.into_inner()).await?))
}

/// The tenant's trusted flaggers with their accuracy (tenant administrators).
#[utoipa::path(tag = "reports", params(PageQuery), responses((status = 200, body = Page<ReporterStanding>)))]
#[get("/reports/trusted-flaggers")]
pub async fn list_trusted_flaggers(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(flaggers::list(&state.db, &caller.actor, page.page()?).await?))
}

/// Marks a user of the tenant as a trusted flagger: their reports go to the
/// front of the review queue (tenant administrators).
#[utoipa::path(tag = "reports", params(("user_id" = Uuid, Path, description = "User id")), responses((status = 200, body = ReporterStanding)))]
#[put("/reports/trusted-flaggers/{user_id}")]
pub async fn add_trusted_flagger(
    state: web::Data<AppState>,
    caller: Caller,
    user_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let standing = flaggers::set(
        &state.db,
        &CrossDomainEffects,
        &caller.actor,
        *user_id,
        true,
    )
    .await?;
    Ok(HttpResponse::Ok().json(standing))
}

/// Unmarks a trusted flagger (tenant administrators).
#[utoipa::path(tag = "reports", params(("user_id" = Uuid, Path, description = "User id")), responses((status = 204)))]
#[delete("/reports/trusted-flaggers/{user_id}")]
pub async fn remove_trusted_flagger(
    state: web::Data<AppState>,
    caller: Caller,
    user_id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    flaggers::set(
        &state.db,
        &CrossDomainEffects,
        &caller.actor,
        *user_id,
        false,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
