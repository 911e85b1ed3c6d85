//! The one place where errors become HTTP: every code, its status and title,
//! and the `application/problem+json` body (RFC 9457) every error answers with.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use warden_audit::AuditError;
use warden_behavior::BehaviorError;
use warden_commerce::CommerceError;
use warden_enforcement::EnforcementError;
use warden_identity::IdentityError;
use warden_moderation::ModerationError;
use warden_notifications::NotificationError;
use warden_quotas::QuotaError;
use warden_tenancy::TenancyError;
use warden_trust::TrustError;

use crate::request_id;

/// Every error code the API answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The body is not valid JSON.
    MalformedJson,
    /// The body is JSON of the wrong shape: wrong types, missing or unknown fields.
    InvalidBody,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The body is larger than `MAX_BODY_BYTES`.
    PayloadTooLarge,
    /// A path parameter is malformed (e.g. not a UUID).
    InvalidPathParameter,
    /// A query parameter is malformed.
    InvalidQueryParameter,
    /// The input breaks a domain rule.
    InvalidInput,
    /// No bearer token.
    Unauthenticated,
    /// The token failed verification.
    InvalidToken,
    /// The caller's roles do not allow this.
    Forbidden,
    /// `X-Tenant-ID` is missing.
    TenantHeaderMissing,
    /// `X-Tenant-ID` is not a UUID.
    InvalidTenantHeader,
    /// The tenant does not exist.
    TenantNotFound,
    /// The tenant is suspended.
    TenantSuspended,
    /// The token belongs to another tenant.
    TenantMismatch,
    /// The caller's account is disabled.
    UserDisabled,
    /// The caller's account is banned; `until` says until when (`null`: for good).
    UserBanned,
    /// Behavior window counters (Redis) cannot be reached.
    WindowStoreUnavailable,
    /// The seller's trust level allows no more listings; `limit`, `level` and
    /// `next_level_requirements` say what the next level needs.
    TrustLevelLimit,
    /// A feature needs a higher trust level; `required_level` names it.
    TrustLevelRequired,
    /// Selling needs a seller profile first.
    SellerProfileRequired,
    /// Nothing here (or nothing the caller may know of).
    NotFound,
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// The request conflicts with current state.
    Conflict,
    /// An order status change the order's lifecycle does not allow.
    InvalidTransition,
    /// A write crossed the tenant boundary and was refused by the database.
    TenantIsolationViolation,
    /// The database cannot be reached.
    ServiceUnavailable,
    /// A rate limit is exhausted; see `Retry-After`.
    RateLimited,
    /// A resource quota (products, users, storage) would be exceeded.
    QuotaExceeded,
    /// The shared rate limiter is unreachable and fails closed.
    RateLimiterUnavailable,
    /// Moderation rejected the content; nothing was written. `reasons` lists why.
    ContentRejected,
    /// A one-time verification code was refused by a throttle or the tenant's
    /// hourly cap; nothing was written or sent. `reason` names the limit; see
    /// `Retry-After`.
    VerificationThrottled,
    /// The moderation models cannot run right now.
    ModerationUnavailable,
    /// A cap on open live connections (per user or per tenant) is reached;
    /// `cap` names it and `limit` its size.
    TooManyLiveConnections,
    /// Anything else; details go to the log only.
    Internal,
    /// The request body did not arrive within `BODY_READ_TIMEOUT_SECS`.
    RequestTimeout,
    /// The target user's highest role is not below the caller's: only a higher
    /// role may change their status or sanction them.
    TargetOutranksActor,
    /// The request was handled, but its activity row did not commit within
    /// `AUDIT_COMMIT_TIMEOUT_MS` (or the database refused it): the outcome is
    /// not acknowledged. Check before retrying a write; quote the request_id.
    AuditUnavailable,
}

impl ErrorCode {
    /// Status, machine code and title of this error.
    pub fn meta(self) -> (StatusCode, &'static str, &'static str) {
        use ErrorCode::*;
        match self {
            MalformedJson => (StatusCode::BAD_REQUEST, "malformed_json", "Malformed JSON"),
            InvalidBody => (
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "Invalid request body",
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported media type",
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Payload too large",
            ),
            InvalidPathParameter => (
                StatusCode::BAD_REQUEST,
                "invalid_path_parameter",
                "Invalid path parameter",
            ),
            InvalidQueryParameter => (
                StatusCode::BAD_REQUEST,
                "invalid_query_parameter",
                "Invalid query parameter",
            ),
            InvalidInput => (StatusCode::BAD_REQUEST, "invalid_input", "Invalid input"),
            Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token", "Invalid token"),
            Forbidden => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            TenantHeaderMissing => (
                StatusCode::BAD_REQUEST,
                "tenant_header_missing",
                "X-Tenant-ID header missing",
            ),
            InvalidTenantHeader => (
                StatusCode::BAD_REQUEST,
                "invalid_tenant_header",
                "Invalid X-Tenant-ID header",
            ),
            TenantNotFound => (
                StatusCode::NOT_FOUND,
                "tenant_not_found",
                "Tenant not found",
            ),
            TenantSuspended => (
                StatusCode::FORBIDDEN,
                "tenant_suspended",
                "Tenant suspended",
            ),
            TenantMismatch => (
                StatusCode::FORBIDDEN,
                "tenant_mismatch",
                "Token not valid for this tenant",
            ),
            UserDisabled => (StatusCode::FORBIDDEN, "user_disabled", "User disabled"),
            UserBanned => (StatusCode::FORBIDDEN, "user_banned", "User banned"),
            WindowStoreUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "window_store_unavailable",
                "Behavior counters unavailable",
            ),
            TrustLevelLimit => (
                StatusCode::FORBIDDEN,
                "trust_level_limit",
                "Trust level limit reached",
            ),
            TrustLevelRequired => (
                StatusCode::FORBIDDEN,
                "trust_level_required",
                "Higher trust level required",
            ),
            SellerProfileRequired => (
                StatusCode::FORBIDDEN,
                "seller_profile_required",
                "Seller profile required",
            ),
            NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found"),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Method not allowed",
            ),
            Conflict => (StatusCode::CONFLICT, "conflict", "Conflict"),
            InvalidTransition => (
                StatusCode::CONFLICT,
                "invalid_transition",
                "Invalid status transition",
            ),
            TenantIsolationViolation => (
                StatusCode::FORBIDDEN,
                "tenant_isolation_violation",
                "Cross-tenant write refused",
            ),
            ServiceUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "Service unavailable",
            ),
            RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Rate limit exceeded",
            ),
            QuotaExceeded => (StatusCode::FORBIDDEN, "quota_exceeded", "Quota exceeded"),
            RateLimiterUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "rate_limiter_unavailable",
                "Rate limiter unavailable",
            ),
            ContentRejected => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "content_rejected",
                "Content rejected by moderation",
            ),
            ModerationUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "moderation_unavailable",
                "Moderation unavailable",
            ),
            TooManyLiveConnections => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_live_connections",
                "Too many live connections",
            ),
            VerificationThrottled => (
                StatusCode::TOO_MANY_REQUESTS,
                "verification_throttled",
                "Verification code throttled",
            ),
            Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
            RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "Request body timed out",
            ),
            TargetOutranksActor => (
                StatusCode::FORBIDDEN,
                "target_outranks_actor",
                "Target outranks actor",
            ),
            AuditUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "audit_unavailable",
                "Activity log unavailable",
            ),
        }
    }

    /// The RFC 9457 `type` of this error.
    pub fn type_uri(self) -> String {
        format!("urn:warden:problem:{}", self.meta().1)
    }
}

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    detail: String,
    /// Internal cause, logged but never sent.
    internal: Option<String>,
    /// RFC 9457 extension members (e.g. the quota and its usage).
    extra: serde_json::Map<String, serde_json::Value>,
    /// Extra response headers (e.g. `Retry-After`).
    headers: Vec<(header::HeaderName, String)>,
}

impl ApiError {
    /// An error with a client-facing detail.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            internal: None,
            extra: serde_json::Map::new(),
            headers: Vec::new(),
        }
    }

    /// Adds an extension member to the problem body.
    pub fn with_member(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(name.to_owned(), value.into());
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// An internal error; `cause` goes to the log, the client sees a generic detail.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self {
            code: ErrorCode::Internal,
            detail:
                "the server failed to handle this request; quote the request_id when reporting it"
                    .into(),
            internal: Some(cause.to_string()),
            extra: serde_json::Map::new(),
            headers: Vec::new(),
        }
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.meta().1, self.detail)
    }
}

/// The `application/problem+json` body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI identifying the problem type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: String,
    /// The request's id, also in the `X-Request-Id` header.
    pub request_id: String,
    /// Extension members of some problems: `window` for `rate_limited`;
    /// `quota`, `usage` and `limit` for `quota_exceeded`; `reasons` and
    /// `decision` for `content_rejected`; `parameter` for an
    /// `invalid_query_parameter` refusing a control character.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.meta().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code, title) = self.code.meta();
        if let Some(cause) = &self.internal {
            tracing::error!(code, cause = %cause, "request failed");
        }
        let problem = Problem {
            type_: self.code.type_uri(),
            title: title.into(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: code.into(),
            request_id: request_id::current(),
            extra: self.extra.clone(),
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        for (name, value) in &self.headers {
            if let Ok(v) = HeaderValue::from_str(value) {
                res.insert_header((name.clone(), v));
            }
        }
        if matches!(
            self.code,
            ErrorCode::Unauthenticated | ErrorCode::InvalidToken
        ) {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        match serde_json::to_vec(&problem) {
            Ok(body) => res.body(body),
            Err(_) => res.finish(),
        }
    }
}

impl From<TenancyError> for ApiError {
    fn from(e: TenancyError) -> Self {
        match e {
            TenancyError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self::new(
                    ErrorCode::ServiceUnavailable,
                    "the database is unavailable; retry later",
                )
            }
            TenancyError::TenantNotFound => {
                Self::new(ErrorCode::TenantNotFound, "no tenant has this id")
            }
            TenancyError::RlsViolation => Self::new(
                ErrorCode::TenantIsolationViolation,
                "the write would touch another tenant's data",
            ),
            TenancyError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            e @ (TenancyError::Database(_) | TenancyError::Migration(_)) => Self::internal(e),
        }
    }
}

impl From<CommerceError> for ApiError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::NotFound(what) => {
                Self::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            CommerceError::Forbidden(msg) => Self::new(ErrorCode::Forbidden, msg),
            CommerceError::UserDisabled => {
                Self::new(ErrorCode::UserDisabled, "your account is disabled")
            }
            CommerceError::SellerProfileRequired => Self::new(
                ErrorCode::SellerProfileRequired,
                "create your seller profile first with PUT /api/v1/sellers/me",
            ),
            CommerceError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            CommerceError::Conflict(msg) => Self::new(ErrorCode::Conflict, msg),
            CommerceError::TargetOutranksActor(msg) => {
                Self::new(ErrorCode::TargetOutranksActor, msg)
            }
            e @ CommerceError::InvalidTransition { .. } => {
                Self::new(ErrorCode::InvalidTransition, e.to_string())
            }
            CommerceError::Quota(q) => q.into(),
            CommerceError::Audit(a) => a.into(),
            CommerceError::Moderation(m) => m.into(),
            CommerceError::Trust(t) => t.into(),
            CommerceError::Tenancy(t) => t.into(),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::NotFound(what) => {
                Self::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            IdentityError::Forbidden(msg) => Self::new(ErrorCode::Forbidden, msg),
            IdentityError::TargetOutranksActor(msg) => {
                Self::new(ErrorCode::TargetOutranksActor, msg)
            }
            IdentityError::Conflict(msg) => Self::new(ErrorCode::Conflict, msg),
            IdentityError::Quota(q) => q.into(),
            IdentityError::Audit(a) => a.into(),
            IdentityError::Tenancy(t) => t.into(),
        }
    }
}

impl From<ModerationError> for ApiError {
    fn from(e: ModerationError) -> Self {
        match e {
            ModerationError::Rejected { reasons, decision } => Self::new(
                ErrorCode::ContentRejected,
                "the content breaks this marketplace's content rules; nothing was saved",
            )
            .with_member("reasons", reasons)
            .with_member(
                "decision",
                serde_json::to_value(&*decision).unwrap_or_default(),
            ),
            ModerationError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            ModerationError::NotFound(what) => {
                Self::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            ModerationError::Forbidden(msg) => Self::new(ErrorCode::Forbidden, msg),
            ModerationError::Conflict(msg) => Self::new(ErrorCode::Conflict, msg),
            ModerationError::Unavailable => Self::new(
                ErrorCode::ModerationUnavailable,
                "content moderation is unavailable; retry later",
            ),
            e @ (ModerationError::ModelFile { .. } | ModerationError::Inference(_)) => {
                Self::internal(e)
            }
            ModerationError::Tenancy(t) => t.into(),
        }
    }
}

impl From<EnforcementError> for ApiError {
    fn from(e: EnforcementError) -> Self {
        match e {
            EnforcementError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            EnforcementError::NotFound(what) => {
                Self::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            EnforcementError::Forbidden(msg) => Self::new(ErrorCode::Forbidden, msg),
            EnforcementError::Conflict(msg) => Self::new(ErrorCode::Conflict, msg),
            EnforcementError::TargetOutranksActor(msg) => {
                Self::new(ErrorCode::TargetOutranksActor, msg)
            }
            EnforcementError::Tenancy(t) => t.into(),
            EnforcementError::Audit(a) => a.into(),
            EnforcementError::Notification(n) => n.into(),
            EnforcementError::Trust(t) => t.into(),
        }
    }
}

impl From<TrustError> for ApiError {
    fn from(e: TrustError) -> Self {
        match e {
            TrustError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            TrustError::NotFound(what) => {
                Self::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            TrustError::Forbidden(msg) => Self::new(ErrorCode::Forbidden, msg),
            TrustError::Conflict(msg) => Self::new(ErrorCode::Conflict, msg),
            TrustError::LevelLimit { level, limit, next } => Self::new(
                ErrorCode::TrustLevelLimit,
                format!(
                    "trust level {level} allows {limit} listings; reach the next level to list more"
                ),
            )
            .with_member("level", level)
            .with_member("limit", limit)
            .with_member("next_level_requirements", next),
            TrustError::FeatureGated {
                feature,
                required,
                level,
            } => Self::new(
                ErrorCode::TrustLevelRequired,
                format!("{feature} needs trust level {required}; the store is at level {level}"),
            )
            .with_member("feature", feature)
            .with_member("required_level", required)
            .with_member("level", level),
            TrustError::Throttled {
                reason,
                retry_after_secs,
                detail,
            } => Self::new(ErrorCode::VerificationThrottled, detail)
                .with_member("reason", reason)
                .with_member("retry_after", retry_after_secs)
                .with_header(header::RETRY_AFTER, retry_after_secs.to_string()),
            TrustError::Tenancy(t) => t.into(),
            TrustError::Audit(a) => a.into(),
            TrustError::Notification(n) => n.into(),
        }
    }
}

impl From<NotificationError> for ApiError {
    fn from(e: NotificationError) -> Self {
        match e {
            NotificationError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            NotificationError::NotFound(what) => {
                Self::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            NotificationError::Forbidden(msg) => Self::new(ErrorCode::Forbidden, msg),
            NotificationError::Conflict(msg) => Self::new(ErrorCode::Conflict, msg),
            NotificationError::Tenancy(t) => t.into(),
            NotificationError::Audit(a) => a.into(),
            e @ NotificationError::Provider { .. } => {
                tracing::error!(error = %e, "notification provider failed");
                Self::new(
                    ErrorCode::ServiceUnavailable,
                    "a notification provider is unavailable; retry later",
                )
            }
        }
    }
}

impl From<BehaviorError> for ApiError {
    fn from(e: BehaviorError) -> Self {
        match e {
            BehaviorError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            BehaviorError::NotFound(what) => {
                Self::new(ErrorCode::NotFound, format!("{what} not found"))
            }
            BehaviorError::Forbidden(msg) => Self::new(ErrorCode::Forbidden, msg),
            BehaviorError::Conflict(msg) => Self::new(ErrorCode::Conflict, msg),
            BehaviorError::WindowStore(cause) => {
                tracing::error!(%cause, "behavior window store failed");
                Self::new(
                    ErrorCode::WindowStoreUnavailable,
                    "behavior counters are unavailable; retry later",
                )
            }
            BehaviorError::Tenancy(t) => t.into(),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            AuditError::Closed => {
                Self::new(ErrorCode::ServiceUnavailable, "the server is shutting down")
            }
            AuditError::Tenancy(t) => t.into(),
        }
    }
}

impl From<QuotaError> for ApiError {
    fn from(e: QuotaError) -> Self {
        match e {
            QuotaError::QuotaExceeded {
                quota,
                usage,
                limit,
            } => Self::new(
                ErrorCode::QuotaExceeded,
                format!("the {quota} quota is used up: {usage} of {limit}"),
            )
            .with_member("quota", quota)
            .with_member("usage", usage)
            .with_member("limit", limit),
            QuotaError::LimiterUnavailable => Self::new(
                ErrorCode::RateLimiterUnavailable,
                "the rate limiter cannot be reached; retry shortly",
            )
            .with_header(header::RETRY_AFTER, "1"),
            QuotaError::Invalid(msg) => Self::new(ErrorCode::InvalidInput, msg),
            QuotaError::Audit(a) => a.into(),
            QuotaError::Tenancy(t) => t.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        use ErrorCode::*;
        let all = [
            MalformedJson,
            InvalidBody,
            UnsupportedMediaType,
            PayloadTooLarge,
            InvalidPathParameter,
            InvalidQueryParameter,
            InvalidInput,
            Unauthenticated,
            InvalidToken,
            Forbidden,
            TenantHeaderMissing,
            InvalidTenantHeader,
            TenantNotFound,
            TenantSuspended,
            TenantMismatch,
            UserDisabled,
            UserBanned,
            WindowStoreUnavailable,
            TrustLevelLimit,
            TrustLevelRequired,
            SellerProfileRequired,
            NotFound,
            MethodNotAllowed,
            Conflict,
            InvalidTransition,
            TenantIsolationViolation,
            ServiceUnavailable,
            RateLimited,
            QuotaExceeded,
            RateLimiterUnavailable,
            ContentRejected,
            VerificationThrottled,
            ModerationUnavailable,
            TooManyLiveConnections,
            Internal,
            RequestTimeout,
            TargetOutranksActor,
            AuditUnavailable,
        ];
        let mut codes: Vec<&str> = all.iter().map(|c| c.meta().1).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = ApiError::internal("relation \"secret_table\" does not exist");
        let res = e.error_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.detail.contains("secret_table"));
    }
}
