//! Usage and quotas of the caller's tenant (tenant administrators).

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use warden_quotas::report::{self, HistoryRange, UsageHistory, UsageReport};
use warden_quotas::usage::Granularity;

use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Registers the usage routes.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(get_usage).service(get_usage_history);
}

/// Current usage against quotas and rate limits.
#[utoipa::path(tag = "usage", responses((status = 200, body = UsageReport)))]
#[get("/usage")]
pub async fn get_usage(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let report = report::current(&state.db, &state.limits, &state.usage, &caller.actor).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Query of `GET /usage/history`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `minute`, `hour` (default) or `day`.
    pub granularity: Option<Granularity>,
    /// Start (RFC 3339), inclusive; default 24 hours (hour), 2 hours (minute) or 30 days (day) before `to`.
    /// At most the last 2,000 buckets before `to` are read; a `from` at or after `to` is an empty range.
    pub from: Option<DateTime<Utc>>,
    /// End (RFC 3339), exclusive; default now.
    pub to: Option<DateTime<Utc>>,
}

/// API calls per hour or day over a period (written in batches, so the last
/// few seconds may not be there yet).
#[utoipa::path(tag = "usage", params(HistoryQuery), responses((status = 200, body = UsageHistory)))]
#[get("/usage/history")]
pub async fn get_usage_history(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let range = HistoryRange {
        granularity: q.granularity,
        from: q.from,
        to: q.to,
    };
    Ok(HttpResponse::Ok().json(report::history(&state.usage, &caller.actor, range).await?))
}
