//! Tenants (platform administrators only).

use actix_web::{HttpResponse, get, patch, post, put, web};
use uuid::Uuid;
use warden_quotas::limits::{LimitsInput, TenantLimitsRecord};
use warden_tenancy::{NewTenant, Page, Tenant, TenantId, TenantPatch};

use super::PageQuery;
use crate::auth::PlatformAdmin;
use crate::created::created;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;

/// Registers the tenant administration routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_tenant)
        .service(list_tenants)
        .service(get_tenant)
        .service(update_tenant)
        .service(get_tenant_limits)
        .service(put_tenant_limits);
}

/// Creates a tenant.
#[utoipa::path(tag = "tenants", request_body = NewTenant, responses((status = 201, body = Tenant)))]
#[post("/tenants")]
pub async fn create_tenant(
    state: web::Data<AppState>,
    _: PlatformAdmin,
    body: Json<NewTenant>,
) -> Result<HttpResponse, ApiError> {
    let tenant = state.tenants.create(body.into_inner()).await?;
    warden_quotas::resources::start_counters(&state.db, TenantId::new(tenant.id)).await;
    Ok(created(tenant.id, HttpResponse::Created().json(tenant)))
}

/// Lists tenants, newest first.
#[utoipa::path(tag = "tenants", params(PageQuery), responses((status = 200, body = Page<Tenant>)))]
#[get("/tenants")]
pub async fn list_tenants(
    state: web::Data<AppState>,
    _: PlatformAdmin,
    q: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tenants.list(q.page()?).await?))
}

/// Reads a tenant.
#[utoipa::path(tag = "tenants", params(("id" = Uuid, Path, description = "Tenant id")), responses((status = 200, body = Tenant)))]
#[get("/tenants/{id}")]
pub async fn get_tenant(
    state: web::Data<AppState>,
    _: PlatformAdmin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.tenants.get(TenantId::new(*id)).await?))
}

/// Renames, suspends or reactivates a tenant, or replaces its settings.
#[utoipa::path(tag = "tenants", params(("id" = Uuid, Path, description = "Tenant id")), request_body = TenantPatch, responses((status = 200, body = Tenant)))]
#[patch("/tenants/{id}")]
pub async fn update_tenant(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    id: web::Path<Uuid>,
    body: Json<TenantPatch>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(
        warden_audit::tenant_changes::update_tenant(
            &state.tenants,
            TenantId::new(*id),
            body.into_inner(),
            &admin.0.subject,
        )
        .await?,
    ))
}

/// The limits in force for a tenant: its overrides, defaults elsewhere.
#[utoipa::path(tag = "tenants", params(("id" = Uuid, Path, description = "Tenant id")), responses((status = 200, body = TenantLimitsRecord)))]
#[get("/tenants/{id}/limits")]
pub async fn get_tenant_limits(
    state: web::Data<AppState>,
    _: PlatformAdmin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = state.tenants.get(TenantId::new(*id)).await?;
    Ok(HttpResponse::Ok().json(state.limits.read(TenantId::new(tenant.id)).await?))
}

/// Sets a tenant's rate limits and quotas; every replica applies them within seconds.
#[utoipa::path(tag = "tenants", params(("id" = Uuid, Path, description = "Tenant id")), request_body = LimitsInput, responses((status = 200, body = TenantLimitsRecord)))]
#[put("/tenants/{id}/limits")]
pub async fn put_tenant_limits(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    id: web::Path<Uuid>,
    body: Json<LimitsInput>,
) -> Result<HttpResponse, ApiError> {
    let tenant = state.tenants.get(TenantId::new(*id)).await?;
    Ok(HttpResponse::Ok().json(
        state
            .limits
            .put(
                TenantId::new(tenant.id),
                body.into_inner(),
                &admin.0.subject,
            )
            .await?,
    ))
}
