//! The tenant middleware: on every tenant route it authenticates the caller,
//! checks `X-Tenant-ID` (a UUID of an existing, active tenant that the token
//! belongs to, unless the caller is a platform administrator), finds or creates
//! the caller's user row, and hands handlers a [`Caller`]. The checks after
//! authentication are `admit`, which live connections go through too.

use std::future::{Ready, ready};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError, web};
use warden_commerce::validate;
use warden_commerce::{Actor, CommerceError, Role};
use warden_identity::{Identity, Refusal, UserRef};
use warden_tenancy::{ScopedFutureExt, TenantId, TenantStatus};

use crate::activity::SecurityNote;
use crate::auth::Principal;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The tenant header.
pub const TENANT_HEADER: &str = "X-Tenant-ID";

/// The authenticated caller of a tenant route.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Who acts, in which tenant.
    pub actor: Actor,
    /// The verified token's principal.
    pub principal: Principal,
    /// A lower per-user requests-per-minute limit from seller trust (the
    /// owner of a high-risk store).
    pub risk_limit: Option<u64>,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .ok_or_else(|| ApiError::internal("tenant middleware did not run for this route")),
        )
    }
}

/// The tenant the request names in `X-Tenant-ID`, if it names one; a value
/// that is not a UUID is refused.
pub(crate) fn tenant_header(req: &HttpRequest) -> Result<Option<TenantId>, ApiError> {
    let Some(raw) = req.headers().get(TENANT_HEADER) else {
        return Ok(None);
    };
    raw.to_str()
        .ok()
        .and_then(|s| s.trim().parse::<TenantId>().ok())
        .map(Some)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidTenantHeader, "X-Tenant-ID must be a UUID"))
}

/// A caller let into a tenant by [`admit`].
#[derive(Clone, Debug)]
pub(crate) struct Admission {
    /// The caller's user row in the tenant.
    pub user: UserRef,
    /// A lower per-user requests-per-minute limit from seller trust.
    pub risk_limit: Option<u64>,
    /// Set only when a banned user is let in to read or appeal their
    /// violations ([`Purpose::Appeal`]); they act without their roles.
    pub refusal: Option<Refusal>,
}

/// Why [`admit`] did not let a caller in: the answer, and what the tenant's
/// log should note about it.
#[derive(Debug)]
pub(crate) struct Denied {
    /// The refusal, or the failure that prevented the decision (a 5xx).
    pub error: ApiError,
    /// The security event to record, when the refusal is one.
    pub note: Option<SecurityNote>,
}

impl Denied {
    fn noted(
        error: ApiError,
        event: &'static str,
        home_tenant: Option<TenantId>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            error,
            note: Some(SecurityNote {
                event,
                home_tenant,
                detail,
            }),
        }
    }

    /// Leaves the note for the activity log on `req` and gives the answer.
    pub fn answer(self, req: &HttpRequest) -> ApiError {
        if let Some(note) = self.note {
            req.extensions_mut().insert(note);
        }
        self.error
    }
}

impl From<ApiError> for Denied {
    fn from(error: ApiError) -> Self {
        Self { error, note: None }
    }
}

/// What a request is for, as far as admission cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Anything a ban stops.
    Ordinary,
    /// Reading or appealing one's own violations (and reading one's own
    /// notifications), which a banned user may still do: a ban that could not
    /// be appealed would make appeals pointless.
    Appeal,
    /// A live connection's periodic re-check. The user's row is read, never
    /// re-synced (any cached row serves, whichever token it came from): the
    /// connection's token may be older than the one the user now browses
    /// with, and syncing from it every beat would rewrite the row (and log a
    /// role change) each time.
    Recheck,
}

/// Whether `principal` may act in `tenant_id` now: the tenant exists and is
/// active, the token belongs to it (unless the caller is a platform
/// administrator), and the caller's user row (found or created, and cached)
/// is neither disabled nor banned. Every way into a tenant (its routes, live
/// connections and their re-checks) goes through here.
pub(crate) async fn admit(
    state: &AppState,
    principal: &Principal,
    tenant_id: TenantId,
    purpose: Purpose,
) -> Result<Admission, Denied> {
    let tenant = match state.tenants.lookup(tenant_id).await {
        Ok(t) => t,
        Err(warden_tenancy::TenancyError::TenantNotFound) => {
            return Err(ApiError::new(ErrorCode::TenantNotFound, "no tenant has this id").into());
        }
        Err(e) => return Err(ApiError::from(e).into()),
    };
    if tenant.status != TenantStatus::Active {
        return Err(Denied::noted(
            ApiError::new(ErrorCode::TenantSuspended, "this tenant is suspended"),
            "suspended_tenant_refused",
            Some(tenant_id),
            serde_json::json!({}),
        ));
    }
    if principal.tenant != Some(tenant_id.as_uuid()) && !principal.has(Role::PlatformAdmin) {
        // Recorded in the caller's own tenant, for its staff; the target tenant
        // learns nothing about a foreign user from its own log.
        let home = match principal.tenant {
            Some(t) => state
                .tenants
                .lookup(TenantId::new(t))
                .await
                .ok()
                .map(|t| TenantId::new(t.id)),
            None => None,
        };
        return Err(Denied::noted(
            ApiError::new(
                ErrorCode::TenantMismatch,
                "the token does not belong to this tenant",
            ),
            "tenant_mismatch",
            home,
            serde_json::json!({ "target_tenant": tenant_id }),
        ));
    }
    let identity = principal.identity();
    let key = (tenant_id, principal.subject.clone());
    let (user, risk_limit) = match state.users.get(&key) {
        Some((seen, user, risk_limit)) if seen == identity || purpose == Purpose::Recheck => {
            (user, risk_limit)
        }
        // Read, not synced, and not cached under this (maybe older) token.
        _ if purpose == Purpose::Recheck
            && let Some(stored) = stored_user(state, tenant_id, &identity).await? =>
        {
            stored
        }
        _ => {
            let (user, risk_limit) = sync_user(state, tenant_id, &identity).await?;
            state.users.insert(key, (identity, user, risk_limit));
            (user, risk_limit)
        }
    };
    // Platform administrators operate every tenant: a tenant's disable or ban
    // of their row (kept for attribution) does not lock them out.
    let refusal = if principal.has(Role::PlatformAdmin) {
        None
    } else {
        user.refusal(state.clock.now())
    };
    match refusal {
        None => {}
        Some(Refusal::Disabled) => {
            return Err(Denied::noted(
                ApiError::new(ErrorCode::UserDisabled, "your account is disabled"),
                "disabled_user_refused",
                Some(tenant_id),
                serde_json::json!({ "user_id": user.id }),
            ));
        }
        // Without their roles: a banned moderator reads only their own.
        Some(Refusal::Banned { .. }) if purpose == Purpose::Appeal => {}
        Some(Refusal::Banned { until }) => {
            let detail = match until {
                Some(t) => format!("your account is banned until {}", t.to_rfc3339()),
                None => "your account is banned permanently".to_owned(),
            };
            return Err(Denied::noted(
                ApiError::new(ErrorCode::UserBanned, detail)
                    .with_member("until", serde_json::to_value(until).unwrap_or_default())
                    .with_member("permanent", until.is_none())
                    .with_member(
                        "violation_id",
                        serde_json::to_value(user.ban_violation_id).unwrap_or_default(),
                    ),
                "banned_user_refused",
                Some(tenant_id),
                serde_json::json!({ "user_id": user.id, "until": until }),
            ));
        }
    }
    if principal.api_client && !principal.roles.iter().any(|r| r.is_staff()) {
        require_api_access(state, tenant_id, user.id).await?;
    }
    Ok(Admission {
        user,
        risk_limit,
        refusal,
    })
}

/// Refuses an API client's request (or live connection, and each of its
/// re-checks) unless its user owns a store at the `api_access` level (staff
/// clients are the tenant's or the platform's own integrations, which seller
/// trust does not gate): 403
/// `trust_level_required`. Read on every admission, never cached, so a
/// store that falls below the level loses API access from its next request.
async fn require_api_access(
    state: &AppState,
    tenant: TenantId,
    user: uuid::Uuid,
) -> Result<(), ApiError> {
    state
        .db
        .tenant_tx(tenant, |conn| {
            async move {
                Ok(warden_trust::gates::require_user(
                    conn,
                    user,
                    warden_trust::settings::Feature::ApiAccess,
                )
                .await?)
            }
            .scope_boxed()
        })
        .await
}

async fn resolve(req: &ServiceRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let principal = crate::auth::principal::authenticate(req.request()).await?;
    let tenant_id = tenant_header(req.request())?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::TenantHeaderMissing,
            "send the X-Tenant-ID header",
        )
    })?;
    let purpose = if is_appeal_route(req) {
        Purpose::Appeal
    } else {
        Purpose::Ordinary
    };
    let admission = admit(state, &principal, tenant_id, purpose)
        .await
        .map_err(|denied| denied.answer(req.request()))?;
    Ok(Caller {
        actor: Actor {
            tenant: tenant_id,
            user_id: admission.user.id,
            roles: if admission.refusal.is_some() {
                Vec::new()
            } else {
                principal.roles.clone()
            },
        },
        principal,
        risk_limit: admission.risk_limit,
    })
}

/// The token's text as the user row stores it: a malformed `sub` is refused;
/// token details are the identity provider's, so an odd e-mail or name is
/// dropped rather than failing the request.
fn checked(identity: &Identity) -> Result<Identity, CommerceError> {
    let subject = validate::text("sub", &identity.subject, 1, 255)?;
    let email = validate::email("email", identity.email.as_deref())
        .ok()
        .flatten();
    let display_name = validate::opt_title("name", identity.display_name.as_deref(), 200)
        .ok()
        .flatten();
    Ok(Identity {
        subject,
        email,
        display_name,
        roles: identity.roles.clone(),
    })
}

/// Finds or creates the user row for `identity` in `tenant`
/// ([`warden_identity::sync_in`]), with the lower per-minute request limit
/// seller trust puts on the user (the owner of a high-risk store), in one
/// transaction.
async fn sync_user(
    state: &AppState,
    tenant: TenantId,
    identity: &Identity,
) -> Result<(UserRef, Option<u64>), ApiError> {
    let identity = checked(identity)?;
    state
        .db
        .tenant_tx(tenant, |conn| {
            async move {
                let user = warden_identity::sync_in(conn, tenant, &identity).await?;
                Ok((user, risk_limit(conn, user.id).await?))
            }
            .scope_boxed()
        })
        .await
}

/// The user row of `identity`'s subject as stored, read only, with its risk
/// limit; `None` when the subject has no row yet. For re-checks, which must
/// not rewrite the row from a token that may be older than the user's latest.
async fn stored_user(
    state: &AppState,
    tenant: TenantId,
    identity: &Identity,
) -> Result<Option<(UserRef, Option<u64>)>, ApiError> {
    let subject = identity.subject.clone();
    state
        .db
        .tenant_tx(tenant, |conn| {
            async move {
                let Some(user) = warden_identity::find_in(conn, &subject).await? else {
                    return Ok(None);
                };
                Ok(Some((user, risk_limit(conn, user.id).await?)))
            }
            .scope_boxed()
        })
        .await
}

async fn risk_limit(
    conn: &mut warden_tenancy::DbConn,
    user: uuid::Uuid,
) -> Result<Option<u64>, ApiError> {
    Ok(warden_trust::risk::user_rate_limit(conn, user).await?)
}

/// What a banned user may still do: `GET /violations`, `GET /violations/{id}`,
/// `POST /violations/{id}/appeal`, read the statements of reasons given to
/// them, and read their own notifications (which tell them of the ban and
/// the appeal's outcome) and mark them read or unread.
fn is_appeal_route(req: &ServiceRequest) -> bool {
    let is_id = |s: &str| s.parse::<uuid::Uuid>().is_ok();
    if let Some(rest) = req.path().strip_prefix("/api/v1/statements/") {
        return req.method().as_str() == "GET" && is_id(rest);
    }
    if let Some(rest) = req.path().strip_prefix("/api/v1/notifications") {
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        return match (req.method().as_str(), segments.as_slice()) {
            ("GET", [] | ["unread-count"]) | ("POST", ["read-all"]) => true,
            ("GET", [id]) => is_id(id),
            ("POST", [id, "read" | "unread"]) => is_id(id),
            _ => false,
        };
    }
    let Some(rest) = req.path().strip_prefix("/api/v1/violations") else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (req.method().as_str(), segments.as_slice()) {
        ("GET", []) => true,
        ("GET", [id]) => is_id(id),
        ("POST", [id, "appeal"]) => is_id(id),
        _ => false,
    }
}

/// Middleware for the tenant routes.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match resolve(&req).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(e) => Ok(req.into_response(e.error_response())),
    }
}
