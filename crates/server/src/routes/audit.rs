//! The audit query.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;
use warden_audit::Kind;
use warden_audit::store::{ActivityRecord, AuditFilter};
use warden_tenancy::Page;

use super::PageQuery;
use crate::error::{ApiError, ErrorCode};
use crate::extract::Query;
use crate::state::AppState;
use crate::tenant_context::Caller;
use crate::wiring::audit_search;

/// Registers the audit routes.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(list_audit);
}

/// Filters of `GET /audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Acting person: a user id, a token subject or an e-mail address
    /// (case-insensitive).
    #[param(max_length = 254)]
    pub actor: Option<String>,
    /// Kind.
    pub kind: Option<Kind>,
    /// Resource type, e.g. `products`.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Response status.
    #[param(minimum = 100, maximum = 599)]
    pub status: Option<i16>,
    /// From (RFC 3339, inclusive); at or after `to`, the page is empty.
    pub from: Option<DateTime<Utc>>,
    /// To (RFC 3339, exclusive).
    pub to: Option<DateTime<Utc>>,
    /// The `X-Request-Id` a client sent (several requests may share one;
    /// `request_id` is the server's own, unique).
    pub client_request_id: Option<String>,
}

/// The tenant's activity and audit log, newest first (tenant administrators,
/// moderators; platform administrators in any tenant). A request's event is
/// committed before its response leaves; changes that keep no request (live
/// disconnects) may take a few dozen milliseconds to show.
#[utoipa::path(tag = "audit", params(PageQuery, AuditQuery), responses((status = 200, body = Page<ActivityRecord>)))]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    if !caller.actor.is_staff() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "the audit log is for tenant staff",
        ));
    }
    let q = q.into_inner();
    if q.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return Err(ApiError::new(
            ErrorCode::InvalidQueryParameter,
            "status: an HTTP status from 100 to 599",
        ));
    }
    // A blank `actor` filters nothing, like the other blank filters.
    let actor = q.actor.clone().filter(|a| !a.trim().is_empty());
    if actor
        .as_deref()
        .is_some_and(|a| a.chars().count() > 254 || a.chars().any(char::is_control))
    {
        return Err(ApiError::new(
            ErrorCode::InvalidQueryParameter,
            "actor: a user id, subject or e-mail address of 1 to 254 characters",
        ));
    }
    let filter = AuditFilter {
        actor: None,
        kind: q.kind,
        resource_type: q.resource_type,
        resource_id: q.resource_id,
        status: q.status,
        from: q.from,
        to: q.to,
        client_request_id: q.client_request_id,
    };
    Ok(HttpResponse::Ok()
        .json(audit_search::list(&state.db, &caller.actor, actor, filter, page.page()?).await?))
}
