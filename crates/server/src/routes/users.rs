//! Users of the tenant.

use actix_web::{HttpResponse, get, patch, web};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;
use warden_enforcement::accounts::KeepBans;
use warden_identity::directory::{self, UserFilter};
use warden_identity::status::{self, UserPatch};
use warden_identity::{User, UserStatus};
use warden_tenancy::Page;

use super::PageQuery;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Registers the user routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(get_me)
        .service(get_user)
        .service(update_user);
}

/// Filters of `GET /users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users with this status.
    pub status: Option<UserStatus>,
    /// Only users whose subject, e-mail or display name contains this text
    /// (case-insensitive; 1 to 200 characters).
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
}

/// Lists the tenant's users (tenant administrators and moderators).
#[utoipa::path(tag = "users", params(PageQuery, UserQuery), responses((status = 200, body = Page<User>)))]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let filter = UserFilter {
        status: q.status,
        q: q.q,
    };
    Ok(HttpResponse::Ok()
        .json(directory::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// The caller's own user.
#[utoipa::path(tag = "users", responses((status = 200, body = User)))]
#[get("/users/me")]
pub async fn get_me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(directory::get(&state.db, &caller.actor, caller.actor.user_id).await?))
}

/// Reads a user: yourself, or anyone for staff.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path, description = "User id")), responses((status = 200, body = User)))]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(directory::get(&state.db, &caller.actor, *id).await?))
}

/// Enables or disables a user (tenant administrators). Roles come from tokens and cannot be set here.
#[utoipa::path(tag = "users", params(("id" = Uuid, Path, description = "User id")), request_body = UserPatch, responses((status = 200, body = User)))]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<UserPatch>,
) -> Result<HttpResponse, ApiError> {
    let user = status::update(&state.db, &caller.actor, *id, body.into_inner(), &KeepBans).await?;
    state.forget_user(caller.actor.tenant, user.id);
    Ok(HttpResponse::Ok().json(user))
}
