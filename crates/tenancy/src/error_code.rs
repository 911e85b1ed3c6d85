//! The one table of error codes: every code the API answers with, its HTTP
//! status and its title. Domain errors name their code from here
//! (`code()` on each crate's error enum), and the server turns a code into a
//! problem+json answer (RFC 9457) by reading this table, so a code has one
//! definition. Kept in this crate, which every other depends on, with the
//! status as a plain number: no HTTP framework is needed to name an error.

/// Declares [`ErrorCode`], its table and [`ErrorCode::ALL`] from one list.
macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident => ($status:literal, $code:literal, $title:literal), )+) => {
        /// Every error code the API answers with.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )+
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant, )+ ];

            /// The HTTP status answered with this code.
            pub fn status(self) -> u16 {
                match self { $( ErrorCode::$variant => $status, )+ }
            }

            /// The stable machine code (`code` member, end of `type`).
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )+ }
            }

            /// The problem's short, human-readable title.
            pub fn title(self) -> &'static str {
                match self { $( ErrorCode::$variant => $title, )+ }
            }
        }
    };
}

error_codes! {
    /// The body is not valid JSON.
    MalformedJson => (400, "malformed_json", "Malformed JSON"),
    /// The body is JSON of the wrong shape: wrong types, missing or unknown fields.
    InvalidBody => (400, "invalid_body", "Invalid request body"),
    /// The body is not `application/json`.
    UnsupportedMediaType => (415, "unsupported_media_type", "Unsupported media type"),
    /// The body is larger than `MAX_BODY_BYTES`.
    PayloadTooLarge => (413, "payload_too_large", "Payload too large"),
    /// A path parameter is malformed (e.g. not a UUID).
    InvalidPathParameter => (400, "invalid_path_parameter", "Invalid path parameter"),
    /// A query parameter is malformed.
    InvalidQueryParameter => (400, "invalid_query_parameter", "Invalid query parameter"),
    /// The input breaks a domain rule.
    InvalidInput => (400, "invalid_input", "Invalid input"),
    /// No bearer token.
    Unauthenticated => (401, "unauthenticated", "Authentication required"),
    /// The token failed verification.
    InvalidToken => (401, "invalid_token", "Invalid token"),
    /// The caller's roles do not allow this.
    Forbidden => (403, "forbidden", "Forbidden"),
    /// `X-Tenant-ID` is missing.
    TenantHeaderMissing => (400, "tenant_header_missing", "X-Tenant-ID header missing"),
    /// `X-Tenant-ID` is not a UUID.
    InvalidTenantHeader => (400, "invalid_tenant_header", "Invalid X-Tenant-ID header"),
    /// The tenant does not exist.
    TenantNotFound => (404, "tenant_not_found", "Tenant not found"),
    /// The tenant is suspended.
    TenantSuspended => (403, "tenant_suspended", "Tenant suspended"),
    /// The token belongs to another tenant.
    TenantMismatch => (403, "tenant_mismatch", "Token not valid for this tenant"),
    /// The caller's account is disabled.
    UserDisabled => (403, "user_disabled", "User disabled"),
    /// The caller's account is banned; `until` says until when (`null`: for good).
    UserBanned => (403, "user_banned", "User banned"),
    /// Behavior window counters (Redis) cannot be reached.
    WindowStoreUnavailable => (503, "window_store_unavailable", "Behavior counters unavailable"),
    /// The seller's trust level allows no more listings; `limit`, `level` and
    /// `next_level_requirements` say what the next level needs.
    TrustLevelLimit => (403, "trust_level_limit", "Trust level limit reached"),
    /// A feature needs a higher trust level; `required_level` names it.
    TrustLevelRequired => (403, "trust_level_required", "Higher trust level required"),
    /// Selling needs a seller profile first.
    SellerProfileRequired => (403, "seller_profile_required", "Seller profile required"),
    /// Nothing here (or nothing the caller may know of).
    NotFound => (404, "not_found", "Not found"),
    /// The method is not allowed on this path.
    MethodNotAllowed => (405, "method_not_allowed", "Method not allowed"),
    /// The request conflicts with current state.
    Conflict => (409, "conflict", "Conflict"),
    /// An order status change the order's lifecycle does not allow.
    InvalidTransition => (409, "invalid_transition", "Invalid status transition"),
    /// A write crossed the tenant boundary and was refused by the database.
    TenantIsolationViolation => (403, "tenant_isolation_violation", "Cross-tenant write refused"),
    /// The database (or another backing service) cannot be reached.
    ServiceUnavailable => (503, "service_unavailable", "Service unavailable"),
    /// A rate limit is exhausted; see `Retry-After`.
    RateLimited => (429, "rate_limited", "Rate limit exceeded"),
    /// A resource quota (products, users, storage) would be exceeded.
    QuotaExceeded => (403, "quota_exceeded", "Quota exceeded"),
    /// The shared rate limiter is unreachable and fails closed.
    RateLimiterUnavailable => (503, "rate_limiter_unavailable", "Rate limiter unavailable"),
    /// Moderation rejected the content; nothing was written. `reasons` lists why.
    ContentRejected => (422, "content_rejected", "Content rejected by moderation"),
    /// The moderation models cannot run right now.
    ModerationUnavailable => (503, "moderation_unavailable", "Moderation unavailable"),
    /// A cap on open live connections (per user or per tenant) is reached;
    /// `cap` names it and `limit` its size.
    TooManyLiveConnections => (429, "too_many_live_connections", "Too many live connections"),
    /// A one-time verification code was refused by a throttle or the tenant's
    /// hourly cap; nothing was written or sent. `reason` names the limit; see
    /// `Retry-After`.
    VerificationThrottled => (429, "verification_throttled", "Verification code throttled"),
    /// A user report breaks a rule of reports (a category not in the tenant's
    /// list, text over 2,000 characters, message ids that are not messages of
    /// the tenant); nothing was written.
    InvalidReport => (400, "invalid_report", "Invalid report"),
    /// The reporter sent more reports than the tenant's `reports_per_hour`;
    /// nothing was written. See `Retry-After`.
    ReportRateLimited => (429, "report_rate_limited", "Too many reports"),
    /// Anything else; details go to the log only.
    Internal => (500, "internal", "Internal server error"),
    /// The request body did not arrive within `BODY_READ_TIMEOUT_SECS`.
    RequestTimeout => (408, "request_timeout", "Request body timed out"),
    /// The target user's highest role is not below the caller's: only a higher
    /// role may change their status or sanction them.
    TargetOutranksActor => (403, "target_outranks_actor", "Target outranks actor"),
    /// The request was handled, but its activity row did not commit within
    /// `AUDIT_COMMIT_TIMEOUT_MS` (or the database refused it): the outcome is
    /// not acknowledged. Check before retrying a write; quote the request_id.
    AuditUnavailable => (503, "audit_unavailable", "Activity log unavailable"),
}

impl ErrorCode {
    /// The RFC 9457 `type` of this error.
    pub fn type_uri(self) -> String {
        format!("urn:warden:problem:{}", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_is_unique_and_names_a_client_or_server_error() {
        let mut codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorCode::ALL.len(), "a code is listed twice");
        for c in ErrorCode::ALL {
            assert!((400..600).contains(&c.status()), "{c:?}");
            assert!(!c.title().is_empty(), "{c:?}");
        }
    }
}
