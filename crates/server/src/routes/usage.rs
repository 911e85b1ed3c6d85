//! Usage and quotas of the caller's tenant (tenant administrators).

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use warden_quotas::resources::{self, ResourceUsage};
use warden_quotas::usage::{CallCounts, Granularity, UsageBucket};
use warden_tenancy::ScopedFutureExt;

use crate::error::{ApiError, ErrorCode};
use crate::extract::Query;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Registers the usage routes.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(get_usage).service(get_usage_history);
}

fn require_admin(caller: &Caller) -> Result<(), ApiError> {
    if caller.actor.is_admin() {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "usage is for tenant administrators",
        ))
    }
}

/// A used amount beside its maximum.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Metered {
    /// Used now.
    pub usage: i64,
    /// Maximum.
    pub limit: i64,
}

/// API calls in the current windows beside their limits.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiCalls {
    /// This minute.
    pub minute: Metered,
    /// This hour.
    pub hour: Metered,
    /// This UTC day.
    pub day: Metered,
}

/// The tenant's usage against its quotas and limits.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    /// Products (not deleted).
    pub products: Metered,
    /// Users.
    pub users: Metered,
    /// Stored bytes.
    pub storage_bytes: Metered,
    /// API calls admitted, by calendar bucket (UTC).
    pub api_calls: ApiCalls,
}

/// Current usage against quotas and rate limits.
#[utoipa::path(tag = "usage", responses((status = 200, body = UsageReport)))]
#[get("/usage")]
pub async fn get_usage(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    require_admin(&caller)?;
    let tenant = caller.actor.tenant;
    let limits = state.limits.get(tenant).await?;
    let stored: ResourceUsage = state
        .db
        .tenant_tx(tenant, |conn| {
            async move { resources::usage(conn, tenant).await }.scope_boxed()
        })
        .await?;
    let calls: CallCounts = state.usage.current(tenant, Utc::now()).await?;
    let m = |usage, limit| Metered { usage, limit };
    Ok(HttpResponse::Ok().json(UsageReport {
        products: m(stored.products, limits.max_products),
        users: m(stored.users, limits.max_users),
        storage_bytes: m(stored.storage_bytes, limits.max_storage_bytes),
        api_calls: ApiCalls {
            minute: m(calls.minute, limits.requests_per_minute),
            hour: m(calls.hour, limits.requests_per_hour),
            day: m(calls.day, limits.requests_per_day),
        },
    }))
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

/// Stored API-call buckets.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageHistory {
    /// Bucket size.
    pub granularity: Granularity,
    /// Buckets with calls, oldest first (buckets without calls are absent).
    pub buckets: Vec<UsageBucket>,
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
    require_admin(&caller)?;
    let granularity = q.granularity.unwrap_or(Granularity::Hour);
    let to = q.to.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(
        to - match granularity {
            Granularity::Minute => TimeDelta::hours(2),
            Granularity::Hour => TimeDelta::hours(24),
            Granularity::Day => TimeDelta::days(30),
        },
    );
    let buckets = state
        .usage
        .history(caller.actor.tenant, granularity, from, to)
        .await?;
    Ok(HttpResponse::Ok().json(UsageHistory {
        granularity,
        buckets,
    }))
}
