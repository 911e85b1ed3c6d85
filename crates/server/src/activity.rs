//! The activity middleware: one activity event for every request, whatever its
//! outcome, handed to the audit writer before the response leaves. A response
//! below 500 leaves only once the batch holding its event has committed, so
//! an answered request has its row even if the process is killed right after
//! (group commit: about one insert round trip). When the row does not commit
//! within `AUDIT_COMMIT_TIMEOUT_MS`, or the database refuses it, the client
//! gets 503 `audit_unavailable` instead of an acknowledgement without a row.
//! A 5xx acknowledges nothing and is not held back (during a database outage
//! every failure would otherwise wait out the timeout). For a WebSocket the
//! acknowledgement is the 101 upgrade; for a streamed body, its head.
//!
//! Inner layers leave what they learned in the request's extensions: the
//! [`Caller`] (tenant and actor), the verified [`Principal`], and a
//! [`SecurityNote`] when something security-relevant happened.

use std::time::Instant;

use actix_web::body::{BodySize, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{CONTENT_LENGTH, USER_AGENT};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use serde_json::json;
use warden_audit::{ActivityEvent, Kind};
use warden_commerce::Role;
use warden_tenancy::TenantId;

use crate::auth::Principal;
use crate::created::CreatedResource;
use crate::error::{ApiError, ErrorCode};
use crate::request_id;
use crate::state::AppState;
use crate::tenant_context::{Caller, TENANT_HEADER};

/// Something security-relevant that an inner layer saw.
#[derive(Clone, Debug)]
pub struct SecurityNote {
    /// Event name: `auth_failure`, `tenant_mismatch`, `rate_limited`, …
    pub event: &'static str,
    /// The tenant whose log should hold it when the request reached none.
    pub home_tenant: Option<TenantId>,
    /// Details.
    pub detail: serde_json::Value,
}

/// A live connection opened in a tenant (recorded there as `auth`, `ws_connect`).
#[derive(Clone, Debug)]
pub struct SessionNote {
    /// The tenant watched.
    pub tenant: TenantId,
    /// The watcher's user in that tenant.
    pub user: uuid::Uuid,
    /// Whether a platform administrator opened it.
    pub platform_admin: bool,
}

fn header(
    req: &ServiceRequest,
    name: impl actix_web::http::header::AsHeaderName,
) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect())
}

/// Probes, metrics scrapes and documentation assets are not API calls; recording
/// them would fill the log with noise from load balancers and browsers.
fn is_recorded(path: &str) -> bool {
    !["/health/", "/metrics", "/docs", "/redoc", "/dashboard"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// POST routes that only compute an answer and change nothing: recorded as API
/// calls, not as creates or updates. (A 201 or 202 answer is a create; any
/// other successful POST, PUT or PATCH an update.)
const READ_ONLY_POSTS: [&str; 4] = [
    "/api/v1/moderation/analyze",
    "/api/v1/behavior/analyze",
    "/api/v1/behavior/patterns/{id}/backtest",
    "/api/v1/notifications/templates/preview",
];

fn is_read_only_post(route: &str) -> bool {
    READ_ONLY_POSTS.contains(&route)
}

/// `products` of `/api/v1/products/{id}`.
fn resource_type(route: &str) -> Option<String> {
    route
        .strip_prefix("/api/v1/")
        .and_then(|rest| rest.split('/').next())
        .filter(|s| !s.is_empty() && !s.starts_with('{'))
        .map(str::to_owned)
}

/// The tenant whose behavior patterns see `event`: its own, or for a failed
/// authentication the (existing) tenant the request named, so that patterns
/// such as "too many failed logins per IP" see attempts on their tenant.
async fn behavior_tenant(state: &AppState, event: &ActivityEvent) -> Option<TenantId> {
    if let Some(t) = event.tenant {
        return Some(t);
    }
    if event.action != "auth_failure" {
        return None;
    }
    let claimed: TenantId = event.claimed_tenant.as_deref()?.trim().parse().ok()?;
    state
        .tenants
        .lookup(claimed)
        .await
        .ok()
        .map(|t| TenantId::new(t.id))
}

/// Middleware recording every request.
pub async fn middleware<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if !state.config.audit.enabled || !is_recorded(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let started = Instant::now();
    let method = req.method().clone();
    let path: String = req.path().chars().take(1024).collect();
    let user_agent = header(&req, USER_AGENT);
    let claimed_tenant = header(&req, TENANT_HEADER);
    let bytes_in = header(&req, CONTENT_LENGTH).and_then(|v| v.parse::<i64>().ok());
    // Behind trusted proxies, the client they name (see `client_ip`).
    let client_ip = req
        .extensions()
        .get::<crate::client_ip::ClientIp>()
        .map(|c| c.0)
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .map(|ip| ip.to_string());

    let res = next.call(req).await?;

    let status = res.status().as_u16();
    let bytes_out = match res.response().body().size() {
        BodySize::Sized(n) => i64::try_from(n).ok(),
        _ => None,
    };
    let request = res.request();
    let route = request.match_pattern();
    // What a create made is named by its answer; anything else by its path.
    let resource_id = res
        .response()
        .extensions()
        .get::<CreatedResource>()
        .map(|c| c.0.clone())
        .or_else(|| request.match_info().get("id").map(str::to_owned));
    let (caller, principal, note, session) = {
        let ext = request.extensions();
        (
            ext.get::<Caller>().cloned(),
            ext.get::<Principal>().cloned(),
            ext.get::<SecurityNote>().cloned(),
            ext.get::<SessionNote>().cloned(),
        )
    };
    let principal = caller.as_ref().map(|c| c.principal.clone()).or(principal);
    let mut event = ActivityEvent::new(
        Kind::ApiCall,
        format!("{method} {}", route.as_deref().unwrap_or(&path)),
    );
    event.request_id = Some(request_id::current());
    event.client_request_id = request_id::client();
    event.method = Some(method.to_string());
    event.resource_type = route.as_deref().and_then(resource_type);
    event.route = route;
    event.path = Some(path);
    event.status = Some(status);
    event.latency_us = i64::try_from(started.elapsed().as_micros()).ok();
    event.bytes_in = bytes_in;
    event.bytes_out = bytes_out;
    event.client_ip = client_ip;
    event.user_agent = user_agent;
    event.resource_id = resource_id;
    if let Some(p) = &principal {
        event.actor_subject = Some(p.subject.clone());
        event.actor_roles = p.roles.iter().map(|r| r.as_str().to_owned()).collect();
    }
    event.tenant = caller.as_ref().map(|c| c.actor.tenant);
    event.actor_id = caller.as_ref().map(|c| c.actor.user_id);
    let success = (200..300).contains(&status);
    event.kind = Some(match &method {
        _ if note.is_some() || status == 401 => Kind::Security,
        _ if !success || event.route.as_deref().is_some_and(is_read_only_post) => Kind::ApiCall,
        m if *m == Method::POST && (status == 201 || status == 202) => Kind::ResourceCreate,
        m if *m == Method::POST || *m == Method::PUT || *m == Method::PATCH => Kind::ResourceUpdate,
        m if *m == Method::DELETE => Kind::ResourceDelete,
        _ => Kind::ApiCall,
    });
    if let Some(note) = note {
        event.tenant = event.tenant.or(note.home_tenant);
        event.metadata = json!({ "event": note.event, "detail": note.detail });
        event.action = note.event.to_owned();
    } else if status == 401 {
        event.metadata = json!({ "event": "auth_failure" });
        event.action = "auth_failure".to_owned();
    } else if caller
        .as_ref()
        .is_some_and(|c| c.actor.has(Role::PlatformAdmin))
    {
        // Platform staff inside a tenant is always worth a tenant's attention.
        event.kind = Some(Kind::Security);
        event.metadata = json!({ "event": "platform_admin_in_tenant", "action": event.action });
    }
    if let Some(session) = session.filter(|_| event.tenant.is_none()) {
        event.tenant = Some(session.tenant);
        event.actor_id = Some(session.user);
        event.kind = Some(if session.platform_admin {
            Kind::Security
        } else {
            Kind::Auth
        });
        event.action = "ws_connect".to_owned();
        event.metadata = json!({ "event": if session.platform_admin { "platform_admin_in_tenant" } else { "ws_connect" } });
    }
    if event.tenant.is_none() {
        event.claimed_tenant = claimed_tenant;
    }
    if state.config.behavior.enabled
        && let Some(tenant) = behavior_tenant(&state, &event).await
    {
        state.detector.observe(tenant, event.clone()).await;
    }
    if status >= 500 {
        if let Err(e) = state.audit.record(event).await {
            tracing::error!(error = %e, "activity event could not be queued");
        }
        return Ok(res.map_into_left_body());
    }
    let committed = match state.audit.record_committed(event).await {
        Ok(handle) => {
            tokio::time::timeout(state.config.audit.commit_timeout, handle.committed()).await
        }
        Err(e) => Ok(Err(e)),
    };
    let refusal = match committed {
        Ok(Ok(())) => return Ok(res.map_into_left_body()),
        Ok(Err(e)) => {
            tracing::error!(error = %e, status, "activity row not stored; answering 503");
            "the request was handled, but its activity record could not be stored, so it is not acknowledged; check its effect before retrying and quote the request_id"
        }
        Err(_) => {
            tracing::warn!(status, timeout = ?state.config.audit.commit_timeout, "activity row not committed in time; answering 503");
            "the request was handled, but its activity record was not committed in time (the database is slow or away), so it is not acknowledged; check its effect before retrying and quote the request_id"
        }
    };
    let answer = ApiError::new(ErrorCode::AuditUnavailable, refusal).error_response();
    let (request, _) = res.into_parts();
    Ok(ServiceResponse::new(request, answer).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_calls_are_recorded_and_probes_are_not() {
        assert!(is_recorded("/api/v1/products"));
        assert!(is_recorded("/nothing"));
        assert!(!is_recorded("/health/ready"));
        assert!(!is_recorded("/docs/swagger-ui.css"));
        assert!(!is_recorded("/metrics"));
    }

    #[test]
    fn read_only_posts_are_named_by_route() {
        assert!(is_read_only_post("/api/v1/behavior/analyze"));
        assert!(!is_read_only_post("/api/v1/behavior/patterns"));
    }

    #[test]
    fn resource_type_is_the_first_segment_after_the_version() {
        assert_eq!(
            resource_type("/api/v1/products/{id}").as_deref(),
            Some("products")
        );
        assert_eq!(resource_type("/api/v1/usage").as_deref(), Some("usage"));
        assert_eq!(resource_type("/health/live"), None);
    }
}
