//! Enforcement: violations, appeals, statistics and the escalation ladder.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use warden_enforcement::accounts::AccountChange;
use warden_enforcement::appeals::{self, AppealDecision, NewAppeal};
use warden_enforcement::ladder::{self, Ladder};
use warden_enforcement::model::ViolationDetail;
use warden_enforcement::stats::{self, Bucket, ViolationStats, ViolationTrend};
use warden_enforcement::violations::{self, NewViolation, ViolationFilter};
use warden_enforcement::{Action, Severity, Violation, ViolationStatus, ViolationType};
use warden_tenancy::Page;

use super::PageQuery;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::CrossDomainEffects;

/// Registers the enforcement routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The fixed paths before `/violations/{id}`.
    cfg.service(violation_stats)
        .service(violation_trends)
        .service(create_violation)
        .service(list_violations)
        .service(get_violation)
        .service(resolve_violation)
        .service(appeal_violation)
        .service(decide_appeal)
        .service(get_ladder)
        .service(put_ladder);
}

/// Drops what this replica cached about an account whose state changed.
fn forget(state: &AppState, caller: &Caller, change: Option<AccountChange>) {
    if let Some(c) = change {
        state.forget_user(caller.actor.tenant, c.user_id);
    }
}

/// Records a violation by hand and applies the ladder's next step to the
/// user: `warning`, `temporary_ban` (with `ban_until`) or `permanent_ban`
/// (moderators and administrators).
#[utoipa::path(tag = "enforcement", request_body = NewViolation, responses((status = 201, body = Violation)))]
#[post("/violations")]
pub async fn create_violation(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<NewViolation>,
) -> Result<HttpResponse, ApiError> {
    let recorded = violations::create(
        &state.db,
        &caller.actor,
        state.clock.now(),
        body.into_inner(),
        &CrossDomainEffects,
    )
    .await?;
    forget(&state, &caller, recorded.account);
    Ok(created(
        recorded.violation.id,
        HttpResponse::Created().json(recorded.violation),
    ))
}

/// Filters of the violation list and trends.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViolationQuery {
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub violation_type: Option<ViolationType>,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only this action.
    pub action: Option<Action>,
    /// Only this status.
    pub status: Option<ViolationStatus>,
    /// Only this user's.
    pub user: Option<Uuid>,
    /// Recorded at or after (RFC 3339); at or after `to`, the page is empty.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

impl ViolationQuery {
    fn filter(self) -> ViolationFilter {
        ViolationFilter {
            violation_type: self.violation_type,
            severity: self.severity,
            action: self.action,
            status: self.status,
            user_id: self.user,
            from: self.from,
            to: self.to,
        }
    }
}

/// Lists violations, newest first: staff see all, other users their own.
#[utoipa::path(tag = "enforcement", params(PageQuery, ViolationQuery), responses((status = 200, body = Page<Violation>)))]
#[get("/violations")]
pub async fn list_violations(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<ViolationQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = page.page()?;
    Ok(HttpResponse::Ok()
        .json(violations::list(&state.db, &caller.actor, q.into_inner().filter(), page).await?))
}

/// Reads one violation with its evidence and statement of reasons (staff, or
/// the user it is about).
#[utoipa::path(tag = "enforcement", params(("id" = Uuid, Path, description = "Violation id")), responses((status = 200, body = ViolationDetail)))]
#[get("/violations/{id}")]
pub async fn get_violation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(violations::get(&state.db, &caller.actor, *id).await?))
}

/// `POST /violations/{id}/resolve`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// Resolution notes, 1 to 2,000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F][^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub notes: String,
}

/// Resolves an open violation with notes (moderators and administrators).
#[utoipa::path(tag = "enforcement", params(("id" = Uuid, Path, description = "Violation id")), request_body = ResolveBody, responses((status = 200, body = Violation)))]
#[post("/violations/{id}/resolve")]
pub async fn resolve_violation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<ResolveBody>,
) -> Result<HttpResponse, ApiError> {
    let v = violations::resolve(
        &state.db,
        &caller.actor,
        state.clock.now(),
        *id,
        body.into_inner().notes,
    )
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Appeals a violation: once, by the user it is about, within the tenant's
/// appeal period (default 20 days).
#[utoipa::path(tag = "enforcement", params(("id" = Uuid, Path, description = "Violation id")), request_body = NewAppeal, responses((status = 201, body = Violation)))]
#[post("/violations/{id}/appeal")]
pub async fn appeal_violation(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<NewAppeal>,
) -> Result<HttpResponse, ApiError> {
    let v = appeals::appeal(
        &state.db,
        &caller.actor,
        state.clock.now(),
        *id,
        body.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Created().json(v))
}

/// Upholds or overturns an appeal; overturning reverts the enforcement step
/// the violation caused (moderators and administrators). The answer shows the
/// violation's evidence and statement of reasons.
#[utoipa::path(tag = "enforcement", params(("id" = Uuid, Path, description = "Violation id")), request_body = AppealDecision, responses((status = 200, body = ViolationDetail)))]
#[post("/violations/{id}/appeal/decision")]
pub async fn decide_appeal(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<AppealDecision>,
) -> Result<HttpResponse, ApiError> {
    let (v, change) = appeals::decide(
        &state.db,
        &caller.actor,
        state.clock.now(),
        *id,
        body.into_inner(),
        &CrossDomainEffects,
    )
    .await?;
    forget(&state, &caller, change);
    Ok(HttpResponse::Ok().json(v))
}

/// Range of the statistics.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Start (inclusive, RFC 3339); default 30 days before `to`; at or after
    /// `to`, the range is empty (every count 0).
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive, RFC 3339); default now.
    pub to: Option<DateTime<Utc>>,
}

/// Counts of violations by type, severity, action and status (staff).
#[utoipa::path(tag = "enforcement", params(StatsQuery), responses((status = 200, body = ViolationStats)))]
#[get("/violations/stats")]
pub async fn violation_stats(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let s = stats::stats(&state.db, &caller.actor, q.from, q.to, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Bucket of the trend.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// `hour`, `day` or `week` (UTC; weeks start on Monday).
    pub bucket: Bucket,
}

/// Violations per hour, day or week, empty buckets 0, with the list's filters (staff);
/// at most the last 2,000 buckets before `to` (the answer's `from` says where it starts).
#[utoipa::path(tag = "enforcement", params(TrendQuery, ViolationQuery), responses((status = 200, body = ViolationTrend)))]
#[get("/violations/trends")]
pub async fn violation_trends(
    state: web::Data<AppState>,
    caller: Caller,
    bucket: Query<TrendQuery>,
    q: Query<ViolationQuery>,
) -> Result<HttpResponse, ApiError> {
    let t = stats::trends(
        &state.db,
        &caller.actor,
        bucket.bucket,
        q.into_inner().filter(),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(t))
}

/// The tenant's escalation ladder (staff).
#[utoipa::path(tag = "enforcement", responses((status = 200, body = Ladder)))]
#[get("/enforcement/ladder")]
pub async fn get_ladder(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ladder::get(&state.db, &caller.actor).await?))
}

/// Replaces the tenant's escalation ladder (tenant administrators).
#[utoipa::path(tag = "enforcement", request_body = Ladder, responses((status = 200, body = Ladder)))]
#[put("/enforcement/ladder")]
pub async fn put_ladder(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<Ladder>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ladder::put(&state.db, &caller.actor, body.into_inner()).await?))
}
