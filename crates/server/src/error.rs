//! Where errors become HTTP: the `application/problem+json` body (RFC 9457)
//! every error answers with. Codes, statuses and titles come from the one
//! table, [`warden_tenancy::ErrorCode`]; each domain error names its own code
//! (`code()`), and the conversions below add only the detail text and members.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use warden_audit::AuditError;
use warden_behavior::BehaviorError;
use warden_commerce::{CommerceError, DelegatedError};
use warden_decisions::DecisionError;
use warden_enforcement::EnforcementError;
use warden_identity::IdentityError;
use warden_moderation::ModerationError;
use warden_notifications::NotificationError;
use warden_quotas::QuotaError;
use warden_reports::ReportError;
use warden_tenancy::{Rejection, TenancyError};
use warden_trust::TrustError;

use crate::request_id;

pub use warden_tenancy::ErrorCode;

/// The HTTP status of `code`, from the one table in `warden_tenancy`.
pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
        write!(f, "{}: {}", self.code.as_str(), self.detail)
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
        status_of(self.code)
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code, title) = (status_of(self.code), self.code.as_str(), self.code.title());
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

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        let code = r.code();
        Self::new(code, r.to_string())
    }
}

/// A query of a transaction the server runs itself (`Db::tenant_tx` needs it).
impl From<warden_tenancy::diesel::result::Error> for ApiError {
    fn from(e: warden_tenancy::diesel::result::Error) -> Self {
        TenancyError::from(e).into()
    }
}

impl From<TenancyError> for ApiError {
    fn from(e: TenancyError) -> Self {
        let code = e.code();
        match e {
            TenancyError::Refused(r) => r.into(),
            TenancyError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self::new(code, "the database is unavailable; retry later")
            }
            TenancyError::TenantNotFound => Self::new(code, "no tenant has this id"),
            TenancyError::RlsViolation => {
                Self::new(code, "the write would touch another tenant's data")
            }
            e @ (TenancyError::Database(_) | TenancyError::Migration(_)) => Self::internal(e),
        }
    }
}

impl From<CommerceError> for ApiError {
    fn from(e: CommerceError) -> Self {
        let code = e.code();
        match e {
            CommerceError::Refused(r) => r.into(),
            CommerceError::SellerProfileRequired => Self::new(
                code,
                "create your seller profile first with PUT /api/v1/sellers/me",
            ),
            e @ CommerceError::InvalidTransition { .. } => Self::new(code, e.to_string()),
            CommerceError::Quota(q) => q.into(),
            CommerceError::Audit(a) => a.into(),
            CommerceError::Delegated(d) => d.into(),
            CommerceError::Tenancy(t) => t.into(),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        let code = e.code();
        match e {
            IdentityError::Refused(r) => r.into(),
            IdentityError::TargetOutranksActor(msg) => Self::new(code, msg),
            IdentityError::Quota(q) => q.into(),
            IdentityError::Audit(a) => a.into(),
            IdentityError::Tenancy(t) => t.into(),
        }
    }
}

/// Commerce carries the errors of moderation and trust (see
/// `crate::wiring::commerce`) whole; each is answered as its own domain's.
impl From<DelegatedError> for ApiError {
    fn from(e: DelegatedError) -> Self {
        let code = e.code();
        let e = match e.into_source().downcast::<ModerationError>() {
            Ok(m) => return (*m).into(),
            Err(e) => e,
        };
        match e.downcast::<TrustError>() {
            Ok(t) => (*t).into(),
            Err(e) if code == ErrorCode::Internal => Self::internal(e),
            Err(e) => Self::new(code, e.to_string()),
        }
    }
}

impl From<ModerationError> for ApiError {
    fn from(e: ModerationError) -> Self {
        let code = e.code();
        match e {
            ModerationError::Rejected { reasons, decision } => Self::new(
                code,
                "the content breaks this marketplace's content rules; nothing was saved",
            )
            .with_member("reasons", reasons)
            .with_member(
                "decision",
                serde_json::to_value(&*decision).unwrap_or_default(),
            ),
            ModerationError::Refused(r) => r.into(),
            ModerationError::Unavailable => {
                Self::new(code, "content moderation is unavailable; retry later")
            }
            e @ (ModerationError::ModelFile { .. } | ModerationError::Inference(_)) => {
                Self::internal(e)
            }
            ModerationError::Tenancy(t) => t.into(),
        }
    }
}

impl From<EnforcementError> for ApiError {
    fn from(e: EnforcementError) -> Self {
        let code = e.code();
        match e {
            EnforcementError::Refused(r) => r.into(),
            EnforcementError::TargetOutranksActor(msg) => Self::new(code, msg),
            EnforcementError::Tenancy(t) => t.into(),
            EnforcementError::Audit(a) => a.into(),
            EnforcementError::Notification(n) => n.into(),
        }
    }
}

impl From<TrustError> for ApiError {
    fn from(e: TrustError) -> Self {
        let code = e.code();
        match e {
            TrustError::Refused(r) => r.into(),
            TrustError::LevelLimit { level, limit, next } => Self::new(
                code,
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
                code,
                format!("{feature} needs trust level {required}; the store is at level {level}"),
            )
            .with_member("feature", feature)
            .with_member("required_level", required)
            .with_member("level", level),
            TrustError::Throttled {
                reason,
                retry_after_secs,
                detail,
            } => Self::new(code, detail)
                .with_member("reason", reason)
                .with_member("retry_after", retry_after_secs)
                .with_header(header::RETRY_AFTER, retry_after_secs.to_string()),
            TrustError::Tenancy(t) => t.into(),
            TrustError::Audit(a) => a.into(),
            TrustError::Notification(n) => n.into(),
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        let code = e.code();
        match e {
            ReportError::Refused(r) => r.into(),
            ReportError::InvalidReport(detail) => Self::new(code, detail),
            ReportError::Throttled {
                per_hour,
                retry_after_secs,
            } => Self::new(
                code,
                format!(
                    "at most {per_hour} reports an hour; retry in {retry_after_secs} s (nothing was written)"
                ),
            )
            .with_member("limit", per_hour)
            .with_member("retry_after", retry_after_secs)
            .with_header(header::RETRY_AFTER, retry_after_secs.to_string()),
            ReportError::LimiterUnavailable => {
                Self::new(code, "the rate limiter is unavailable; retry later")
            }
            e @ ReportError::Queue(_) => Self::internal(e),
            ReportError::Tenancy(t) => t.into(),
            ReportError::Audit(a) => a.into(),
            ReportError::Notification(n) => n.into(),
        }
    }
}

impl From<NotificationError> for ApiError {
    fn from(e: NotificationError) -> Self {
        let code = e.code();
        match e {
            NotificationError::Refused(r) => r.into(),
            NotificationError::Tenancy(t) => t.into(),
            NotificationError::Audit(a) => a.into(),
            e @ NotificationError::Provider { .. } => {
                tracing::error!(error = %e, "notification provider failed");
                Self::new(code, "a notification provider is unavailable; retry later")
            }
        }
    }
}

impl From<DecisionError> for ApiError {
    fn from(e: DecisionError) -> Self {
        match e {
            DecisionError::Refused(r) => r.into(),
            DecisionError::Tenancy(t) => t.into(),
            DecisionError::Notification(n) => n.into(),
        }
    }
}

impl From<BehaviorError> for ApiError {
    fn from(e: BehaviorError) -> Self {
        let code = e.code();
        match e {
            BehaviorError::Refused(r) => r.into(),
            BehaviorError::WindowStore(cause) => {
                tracing::error!(%cause, "behavior window store failed");
                Self::new(code, "behavior counters are unavailable; retry later")
            }
            BehaviorError::Tenancy(t) => t.into(),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        let code = e.code();
        match e {
            AuditError::Refused(r) => r.into(),
            AuditError::Closed => Self::new(code, "the server is shutting down"),
            AuditError::Tenancy(t) => t.into(),
        }
    }
}

impl From<QuotaError> for ApiError {
    fn from(e: QuotaError) -> Self {
        let code = e.code();
        match e {
            QuotaError::QuotaExceeded {
                quota,
                usage,
                limit,
                requested,
            } => {
                let available = QuotaError::available(limit, usage);
                let unit = match quota {
                    "storage_bytes" => "bytes of storage",
                    "products" => "products",
                    _ => "users",
                };
                Self::new(
                    code,
                    format!(
                        "the {quota} quota is too small for this write: it needs {requested} {unit} and {available} of {limit} are left"
                    ),
                )
                .with_member("quota", quota)
                .with_member("usage", usage)
                .with_member("limit", limit)
                .with_member("requested", requested)
                .with_member("available", available)
            }
            QuotaError::LimiterUnavailable => {
                Self::new(code, "the rate limiter cannot be reached; retry shortly")
                    .with_header(header::RETRY_AFTER, "1")
            }
            QuotaError::Refused(r) => r.into(),
            QuotaError::Audit(a) => a.into(),
            QuotaError::Tenancy(t) => t.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let e = ApiError::internal("relation \"secret_table\" does not exist");
        let res = e.error_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.detail.contains("secret_table"));
    }

    #[test]
    fn errors_commerce_delegates_answer_as_their_own_domains() {
        let gated = TrustError::FeatureGated {
            feature: "analytics",
            required: 2,
            level: 0,
        };
        let e = ApiError::from(CommerceError::Delegated(DelegatedError::new(
            gated.code(),
            gated,
        )));
        assert_eq!(e.code, ErrorCode::TrustLevelRequired);
        assert_eq!(e.extra["feature"], "analytics");
        assert_eq!(e.extra["required_level"], 2);
        assert_eq!(e.extra["level"], 0);

        let unavailable = ModerationError::Unavailable;
        let e = ApiError::from(CommerceError::Delegated(DelegatedError::new(
            unavailable.code(),
            unavailable,
        )));
        assert_eq!(e.code, ErrorCode::ModerationUnavailable);
        assert_eq!(e.detail, "content moderation is unavailable; retry later");
    }
}
