//! The pre-authentication limiter's middleware. It runs right after the
//! request id is assigned, before the activity log, authentication or
//! anything else: a refused request costs no token check, no database or
//! Redis call and writes no activity row.
//!
//! It names the client ([`crate::client_ip`]), checks the client's quotas
//! (all requests, and failed authentications: once those are used up, every
//! request of the client is refused), and after the response charges a failed
//! authentication (401, or 403 `tenant_mismatch`) to the client's failure quota.
//! Health probes and `/metrics` are exempt.
//!
//! Refusals are counted (`/metrics`) and, per client, the first of each
//! minute is written to the platform activity log as one `security` event
//! `pre_auth_limited` and logged; the rest are only counted, so a flood cannot
//! turn into a flood of rows.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{RETRY_AFTER, USER_AGENT};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use moka::sync::Cache;
use warden_audit::{ActivityEvent, Kind};
use warden_quotas::pre_auth::{PreAuthLimiter, PreAuthQuota, PreAuthRefusal, client_key};

use crate::activity::SecurityNote;
use crate::client_ip::{self, ClientIp};
use crate::config::Config;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::tenant_context::TENANT_HEADER;

/// The limiter, and what it has reported.
pub struct PreAuth {
    limiter: PreAuthLimiter,
    /// Clients whose refusal was written down in the last minute.
    noted: Cache<IpAddr, ()>,
    refused_requests: AtomicU64,
    refused_failures: AtomicU64,
}

impl PreAuth {
    /// From the configured quotas.
    pub fn new(config: &Config) -> Self {
        Self {
            limiter: PreAuthLimiter::new(
                config.rate_limit.pre_auth_per_minute,
                config.rate_limit.pre_auth_failures_per_minute,
            ),
            noted: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
            refused_requests: AtomicU64::new(0),
            refused_failures: AtomicU64::new(0),
        }
    }

    /// Requests refused so far: (request quota used up, failure quota used up).
    pub fn refused(&self) -> (u64, u64) {
        (
            self.refused_requests.load(Ordering::Relaxed),
            self.refused_failures.load(Ordering::Relaxed),
        )
    }

    fn count(&self, quota: PreAuthQuota) {
        let counter = match quota {
            PreAuthQuota::Requests => &self.refused_requests,
            PreAuthQuota::Failures => &self.refused_failures,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether this refusal of `ip` is the first of the minute.
    fn first_of_minute(&self, ip: IpAddr) -> bool {
        let key = client_key(ip);
        if self.noted.contains_key(&key) {
            return false;
        }
        self.noted.insert(key, ());
        true
    }
}

/// Probes and scrapes come from the platform itself, often all from one address.
fn is_exempt(path: &str) -> bool {
    path.starts_with("/health/") || path == "/metrics"
}

/// A request whose caller failed to prove who they are, or named a tenant
/// their token does not belong to.
fn is_auth_failure<B>(res: &ServiceResponse<B>) -> bool {
    match res.status() {
        StatusCode::UNAUTHORIZED => true,
        StatusCode::FORBIDDEN => res
            .request()
            .extensions()
            .get::<SecurityNote>()
            .is_some_and(|n| n.event == "tenant_mismatch"),
        _ => false,
    }
}

/// Whole seconds to wait, rounded up (never 0: `Retry-After: 0` invites a
/// retry loop).
fn retry_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Writes the minute's one activity event for a refused client.
async fn note(state: &AppState, req: &ServiceRequest, ip: IpAddr, refusal: PreAuthRefusal) {
    let window = refusal.quota.window();
    let retry_after = retry_secs(refusal.retry_after);
    tracing::warn!(
        client_ip = %ip,
        window,
        retry_after,
        "client refused before authentication; more refusals this minute are only counted"
    );
    if !state.config.audit.enabled {
        return;
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect::<String>())
    };
    let mut event = ActivityEvent::new(Kind::Security, "pre_auth_limited");
    event.request_id = Some(crate::request_id::current());
    event.client_request_id = crate::request_id::client();
    event.method = Some(req.method().to_string());
    event.path = Some(req.path().chars().take(1024).collect());
    event.status = Some(StatusCode::TOO_MANY_REQUESTS.as_u16());
    event.client_ip = Some(ip.to_string());
    event.user_agent = header(USER_AGENT.as_str());
    event.claimed_tenant = header(TENANT_HEADER);
    event.metadata = serde_json::json!({
        "event": "pre_auth_limited",
        "detail": { "window": window, "retry_after": retry_after },
    });
    if let Err(e) = state.audit.record(event).await {
        tracing::error!(error = %e, "pre-authentication refusal could not be recorded");
    }
}

/// Middleware in front of everything but the request id.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (Some(state), Some(peer)) = (
        req.app_data::<web::Data<AppState>>().cloned(),
        req.peer_addr(),
    ) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let ip = client_ip::resolve(
        peer.ip(),
        req.headers()
            .get_all(client_ip::FORWARDED_FOR)
            .filter_map(|v| v.to_str().ok()),
        &state.config.trusted_proxies,
    );
    req.extensions_mut().insert(ClientIp(ip));
    if !state.config.rate_limit.enabled || is_exempt(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if let Err(refusal) = state.pre_auth.limiter.check(ip) {
        state.pre_auth.count(refusal.quota);
        if state.pre_auth.first_of_minute(ip) {
            note(&state, &req, ip, refusal).await;
        }
        let secs = retry_secs(refusal.retry_after);
        let detail = match refusal.quota {
            PreAuthQuota::Requests => {
                format!("too many requests from this client; retry in {secs} s")
            }
            PreAuthQuota::Failures => {
                format!("too many failed authentications from this client; retry in {secs} s")
            }
        };
        let err = ApiError::new(ErrorCode::RateLimited, detail)
            .with_member("window", refusal.quota.window())
            .with_member("retry_after", secs)
            .with_header(RETRY_AFTER, secs.to_string());
        return Ok(req.into_response(err.error_response()));
    }
    let res = next.call(req).await?;
    if is_auth_failure(&res) && state.pre_auth.limiter.failed(ip) {
        tracing::warn!(client_ip = %ip, "failed authentications used up; the client is refused for now");
    }
    Ok(res.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_never_zero() {
        assert_eq!(retry_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_secs(Duration::ZERO), 1);
        assert_eq!(retry_secs(Duration::from_millis(20_001)), 21);
        assert_eq!(retry_secs(Duration::from_secs(2)), 2);
    }

    #[test]
    fn probes_and_metrics_are_exempt_and_the_api_is_not() {
        assert!(is_exempt("/health/live"));
        assert!(is_exempt("/metrics"));
        assert!(!is_exempt("/api/v1/products"));
        assert!(!is_exempt("/api/v1/ws"));
    }
}
