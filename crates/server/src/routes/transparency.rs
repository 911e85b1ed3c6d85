//! Transparency reports: what a tenant decided in a period (tenant
//! administrators), or every tenant (platform administrators), as JSON or CSV.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::PlatformAdmin;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::transparency::{self, MAX_DAYS, TransparencyReport};

/// Registers the tenant's transparency route.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(tenant_transparency);
}

/// Registers the platform's transparency route (outside the tenant scope).
pub fn register_platform(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(platform_transparency);
}

/// The format of a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// `application/json` (the default).
    #[default]
    Json,
    /// `text/csv`: `section,key,value` rows.
    Csv,
}

/// Query of the transparency routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TransparencyQuery {
    /// Start (inclusive, RFC 3339); default 30 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive, RFC 3339); default now. A `from` at or after `to` is
    /// an empty period (every count 0); at most the 400 days before `to` are
    /// read, and the answer's `from` says where the period starts.
    pub to: Option<DateTime<Utc>>,
    /// `json` (default) or `csv`.
    #[param(inline)]
    pub format: Option<ReportFormat>,
}

impl TransparencyQuery {
    /// The period read: at most the 400 days before `to` (the answer's
    /// `from` says where it starts), empty when `from` is at or after `to`.
    fn period(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let to = self.to.unwrap_or(now);
        let earliest = to
            .checked_sub_signed(Duration::days(MAX_DAYS))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let from = self
            .from
            .unwrap_or_else(|| {
                to.checked_sub_signed(Duration::days(30))
                    .unwrap_or(earliest)
            })
            .max(earliest);
        (from.min(to), to)
    }
}

fn answer(report: &TransparencyReport, format: Option<ReportFormat>) -> HttpResponse {
    match format.unwrap_or_default() {
        ReportFormat::Json => HttpResponse::Ok().json(report),
        ReportFormat::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(transparency::to_csv(report)),
    }
}

/// The tenant's transparency report (tenant administrators): restrictive
/// decisions by decision, ground and automation, review time to decision,
/// appeals received, upheld and overturned.
#[utoipa::path(tag = "enforcement", params(TransparencyQuery), responses(
    (status = 200, description = "JSON, or `section,key,value` CSV with `format=csv`", content(
        (TransparencyReport = "application/json"),
        (String = "text/csv")))))]
#[get("/transparency")]
pub async fn tenant_transparency(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<TransparencyQuery>,
) -> Result<HttpResponse, ApiError> {
    caller
        .actor
        .require_admin("only tenant administrators may read the transparency report")?;
    let (from, to) = q.period(state.clock.now());
    let report = transparency::for_tenant(&state.db, caller.actor.tenant, from, to).await?;
    Ok(answer(&report, q.format))
}

/// The transparency report of every tenant together (platform administrators).
#[utoipa::path(tag = "tenants", params(TransparencyQuery), responses(
    (status = 200, description = "JSON, or `section,key,value` CSV with `format=csv`", content(
        (TransparencyReport = "application/json"),
        (String = "text/csv")))))]
#[get("/platform/transparency")]
pub async fn platform_transparency(
    state: web::Data<AppState>,
    _: PlatformAdmin,
    q: Query<TransparencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let (from, to) = q.period(state.clock.now());
    let report = transparency::for_platform(&state.db, &state.tenants, from, to).await?;
    Ok(answer(&report, q.format))
}
