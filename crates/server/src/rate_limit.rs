//! The rate-limit middleware of tenant routes (it runs after the tenant
//! middleware, which names the tenant and user): checks the tenant's windows and
//! the per-user window together, answers 429 with `Retry-After` when one is
//! exhausted (telling the tenant's administrators), meters admitted calls, and
//! puts the limit headers on every answer.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use warden_commerce::Role;
use warden_notifications::security;
use warden_quotas::gcra::{Decision, Window};
use warden_quotas::limiter::{Limit, LimitKey};
use warden_tenancy::ScopedFutureExt;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::tenant_context::Caller;

/// The platform's own headers for a tenant window: limit, remaining, reset.
fn platform_headers(window: &str) -> Option<[HeaderName; 3]> {
    let names = match window {
        "minute" => [
            "x-ratelimit-limit-minute",
            "x-ratelimit-remaining-minute",
            "x-ratelimit-reset-minute",
        ],
        "hour" => [
            "x-ratelimit-limit-hour",
            "x-ratelimit-remaining-hour",
            "x-ratelimit-reset-hour",
        ],
        "day" => [
            "x-ratelimit-limit-day",
            "x-ratelimit-remaining-day",
            "x-ratelimit-reset-day",
        ],
        _ => return None,
    };
    Some(names.map(HeaderName::from_static))
}

/// Writes the platform's `X-RateLimit-*` headers for the tenant windows and the
/// IETF `RateLimit-Policy` / `RateLimit` fields for every window.
fn set_headers(headers: &mut HeaderMap, decisions: &[Decision]) {
    use std::fmt::Write as _;
    let mut policy = String::with_capacity(96);
    let mut state = String::with_capacity(96);
    for w in decisions.iter().flat_map(|d| d.windows.iter()) {
        if let Some([limit, remaining, reset]) = platform_headers(w.name) {
            headers.insert(limit, HeaderValue::from(w.limit));
            headers.insert(remaining, HeaderValue::from(w.remaining));
            headers.insert(reset, HeaderValue::from(w.reset_secs));
        }
        let sep = if policy.is_empty() { "" } else { ", " };
        let _ = write!(
            policy,
            "{sep}\"{}\";q={};w={}",
            w.name, w.limit, w.period_secs
        );
        let _ = write!(
            state,
            "{sep}\"{}\";r={};t={}",
            w.name, w.remaining, w.reset_secs
        );
    }
    for (name, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
        if let Ok(v) = HeaderValue::try_from(value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    }
}

async fn check(req: &ServiceRequest, state: &AppState) -> Result<Vec<Decision>, ApiError> {
    let caller = req
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| ApiError::internal("rate limit ran before the tenant middleware"))?;
    let tenant = caller.actor.tenant;
    let limits = state.limits.get(tenant).await?;
    let mut checks = vec![Limit {
        key: LimitKey::Tenant(tenant.as_uuid()),
        windows: limits.tenant_windows(),
    }];
    // Without a per-user limit of the tenant's, a user who is not staff gets
    // a share of the tenant's minute: one buyer cannot use up the budget the
    // tenant's staff work with.
    let staff = [Role::TenantAdmin, Role::Moderator, Role::PlatformAdmin]
        .into_iter()
        .any(|r| caller.actor.has(r));
    let own_windows = limits.user_windows().or_else(|| {
        (!staff)
            .then(|| limits.default_user_windows(state.config.rate_limit.user_share_percent))
            .flatten()
    });
    // A high-risk seller's limit is the lower of the tenant's per-user limit
    // and the trust settings' high-risk limit.
    let user_windows = match (own_windows, caller.risk_limit) {
        (windows, None) => windows,
        (None, Some(risky)) => Some(vec![Window::new("user-minute", risky, 60)]),
        (Some(windows), Some(risky)) => Some(
            windows
                .into_iter()
                .map(|w| Window {
                    limit: w.limit.min(risky),
                    ..w
                })
                .collect(),
        ),
    };
    if let Some(windows) = user_windows {
        checks.push(Limit {
            key: LimitKey::User {
                tenant: tenant.as_uuid(),
                user: caller.actor.user_id,
            },
            windows,
        });
    }
    let decisions = state.limiter.check(&checks).await?;
    if decisions.iter().all(|d| d.allowed) {
        state.usage.record(tenant, chrono::Utc::now());
    }
    Ok(decisions)
}

/// Longest the 429 waits for the abuse notification to commit: a slow
/// database must not hold the refusal back.
const ABUSE_NOTICE_TIMEOUT: Duration = Duration::from_secs(2);

/// Tells the tenant's administrators that a limit was exhausted: at most once
/// a minute per tenant from this replica (the notification's event key
/// de-duplicates across replicas). The notification row is the outbox the
/// delivery worker sends from, so it is raised before the 429 leaves, not in
/// a detached task that shutdown would lose; one that fails or is too slow is
/// logged and not retried within the minute.
async fn report_abuse(
    state: &AppState,
    tenant: warden_tenancy::TenantId,
    user: uuid::Uuid,
    window: &'static str,
) {
    if state.abuse_reported.contains_key(&tenant) {
        return;
    }
    state.abuse_reported.insert(tenant, ());
    let raised = state.db.tenant_tx(tenant, |conn| {
        async move { security::rate_limit_exhausted(conn, tenant, user, window).await }
            .scope_boxed()
    });
    match tokio::time::timeout(ABUSE_NOTICE_TIMEOUT, raised).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "rate-limit abuse notification not raised"),
        Err(_) => tracing::warn!(
            timeout_ms = ABUSE_NOTICE_TIMEOUT.as_millis(),
            "rate-limit abuse notification not raised in time"
        ),
    }
}

/// Middleware for the tenant routes.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(
            req.into_response(ApiError::internal("application state missing").error_response())
        );
    };
    if !state.config.rate_limit.enabled {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let decisions = match check(&req, &state).await {
        Ok(d) => d,
        Err(e) => return Ok(req.into_response(e.error_response())),
    };
    let refused = decisions
        .iter()
        .filter(|d| d.tripped.is_some())
        .max_by_key(|d| d.retry_after_secs);
    if let Some(d) = refused {
        let window = d.tripped.unwrap_or("minute");
        let err = ApiError::new(
            ErrorCode::RateLimited,
            format!(
                "the {window} rate limit is used up; retry in {} s",
                d.retry_after_secs
            ),
        )
        .with_member("window", window)
        .with_member("retry_after", d.retry_after_secs)
        .with_header(RETRY_AFTER, d.retry_after_secs.to_string());
        let caller = req.extensions().get::<Caller>().cloned();
        if let Some(c) = &caller {
            report_abuse(&state, c.actor.tenant, c.actor.user_id, window).await;
        }
        let home = caller.map(|c| c.actor.tenant);
        req.extensions_mut().insert(crate::activity::SecurityNote {
            event: "rate_limited",
            home_tenant: home,
            detail: serde_json::json!({ "window": window, "retry_after": d.retry_after_secs }),
        });
        let mut res = req.into_response(err.error_response());
        set_headers(res.headers_mut(), &decisions);
        return Ok(res);
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    set_headers(res.headers_mut(), &decisions);
    Ok(res)
}
