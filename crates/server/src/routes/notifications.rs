//! Notifications: the caller's inbox and preferences; templates and routing
//! for tenant administrators.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use warden_notifications::inbox::{self, InboxFilter, Notification, NotificationDetail};
use warden_notifications::model::Priority;
use warden_notifications::preferences::{self, Preferences};
use warden_notifications::settings::{self, Settings};
use warden_notifications::template_store::{
    self, Preview, PreviewRequest, TemplateEntry, TemplateUpdate,
};
use warden_tenancy::Page;

use super::PageQuery;
use crate::error::ApiError;
use crate::extract::Query;
use crate::json_body::Json;
use crate::state::AppState;
use crate::tenant_context::Caller;

/// Registers the notification routes.
pub fn register(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // Fixed paths before `/notifications/{id}`.
    cfg.service(unread_count)
        .service(read_all)
        .service(get_preferences)
        .service(put_preferences)
        .service(list_templates)
        .service(put_template)
        .service(preview_template)
        .service(get_routing)
        .service(put_routing)
        .service(list_notifications)
        .service(get_notification)
        .service(mark_read)
        .service(mark_unread)
        .service(delete_notification);
}

/// Filters of the inbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only read (`true`) or unread (`false`) ones.
    pub read: Option<bool>,
    /// Only this category.
    pub category: Option<String>,
    /// Full-text search over title and body.
    pub q: Option<String>,
}

/// The caller's notifications, newest first.
#[utoipa::path(tag = "notifications", params(PageQuery, InboxQuery), responses((status = 200, body = Page<Notification>)))]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    caller: Caller,
    page: Query<PageQuery>,
    q: Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let filter = InboxFilter {
        priority: q.priority,
        read: q.read,
        category: q.category,
        q: q.q,
    };
    Ok(HttpResponse::Ok().json(inbox::list(&state.db, &caller.actor, filter, page.page()?).await?))
}

/// How many notifications are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    /// Unread, not deleted.
    pub unread: i64,
}

/// The caller's unread count.
#[utoipa::path(tag = "notifications", responses((status = 200, body = UnreadCount)))]
#[get("/notifications/unread-count")]
pub async fn unread_count(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let unread = inbox::unread_count(&state.db, &caller.actor).await?;
    Ok(HttpResponse::Ok().json(UnreadCount { unread }))
}

/// One of the caller's notifications with the status of its delivery on each
/// channel (status, attempts, the provider's id, the last error).
#[utoipa::path(tag = "notifications", params(("id" = Uuid, Path, description = "Notification id")), responses((status = 200, body = NotificationDetail), (status = 404, description = "Not one of the caller's notifications (`not_found`)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/notifications/{id}")]
pub async fn get_notification(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(inbox::get(&state.db, &caller.actor, *id).await?))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(tag = "notifications", params(("id" = Uuid, Path, description = "Notification id")), responses((status = 200, body = Notification)))]
#[post("/notifications/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(inbox::mark(&state.db, &caller.actor, *id, true).await?))
}

/// Marks one of the caller's notifications unread.
#[utoipa::path(tag = "notifications", params(("id" = Uuid, Path, description = "Notification id")), responses((status = 200, body = Notification)))]
#[post("/notifications/{id}/unread")]
pub async fn mark_unread(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(inbox::mark(&state.db, &caller.actor, *id, false).await?))
}

/// How many notifications changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    /// Notifications marked read.
    pub marked: usize,
}

/// Marks all of the caller's notifications read.
#[utoipa::path(tag = "notifications", responses((status = 200, body = Marked)))]
#[post("/notifications/read-all")]
pub async fn read_all(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let marked = inbox::read_all(&state.db, &caller.actor).await?;
    Ok(HttpResponse::Ok().json(Marked { marked }))
}

/// Deletes one of the caller's notifications.
#[utoipa::path(tag = "notifications", params(("id" = Uuid, Path, description = "Notification id")), responses((status = 204)))]
#[delete("/notifications/{id}")]
pub async fn delete_notification(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    inbox::delete(&state.db, &caller.actor, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's notification preferences.
#[utoipa::path(tag = "notifications", responses((status = 200, body = Preferences)))]
#[get("/notifications/preferences")]
pub async fn get_preferences(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(preferences::get(&state.db, &caller.actor).await?))
}

/// Replaces the caller's notification preferences (opt-outs never silence security notices).
#[utoipa::path(tag = "notifications", request_body = Preferences, responses((status = 200, body = Preferences)))]
#[put("/notifications/preferences")]
pub async fn put_preferences(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<Preferences>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(preferences::put(&state.db, &caller.actor, body.into_inner()).await?))
}

/// Every event kind and language with the template in effect (tenant administrators).
#[utoipa::path(tag = "notifications", responses((status = 200, body = Vec<TemplateEntry>)))]
#[get("/notifications/templates")]
pub async fn list_templates(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(template_store::list(&state.db, &caller.actor).await?))
}

/// Overrides one template, or resets it with `template: null` (tenant administrators).
#[utoipa::path(tag = "notifications", request_body = TemplateUpdate, responses((status = 200, body = TemplateEntry)))]
#[put("/notifications/templates")]
pub async fn put_template(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<TemplateUpdate>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(template_store::put(&state.db, &caller.actor, body.into_inner()).await?))
}

/// Renders a template with the given variables (tenant administrators).
#[utoipa::path(tag = "notifications", request_body = PreviewRequest, responses((status = 200, body = Preview)))]
#[post("/notifications/templates/preview")]
pub async fn preview_template(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<PreviewRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .json(template_store::preview(&state.db, &caller.actor, body.into_inner()).await?))
}

/// Routing (priority → channels), sender, caps and de-duplication (tenant administrators).
#[utoipa::path(tag = "notifications", responses((status = 200, body = Settings)))]
#[get("/notifications/routing")]
pub async fn get_routing(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(settings::get(&state.db, &caller.actor).await?))
}

/// Replaces the routing settings (tenant administrators).
#[utoipa::path(tag = "notifications", request_body = Settings, responses((status = 200, body = Settings)))]
#[put("/notifications/routing")]
pub async fn put_routing(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<Settings>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(settings::put(&state.db, &caller.actor, body.into_inner()).await?))
}
