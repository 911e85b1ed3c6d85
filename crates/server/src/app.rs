//! Assembling the actix application: middleware, extractor settings, routes
//! (registered through utoipa-actix-web, so the spec lists every one), docs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};

use crate::error::{ApiError, ErrorCode};
use crate::known_paths::{KnownPaths, method_not_allowed};
use crate::openapi::ApiDoc;
use crate::routes::{
    ai_config, audit, automation, behavior, conversations, docs, health, live, metrics, moderation,
    notifications, orders, products, reports, reviews, sellers, statements, tenants, transparency,
    trust, usage, users, violations, webhooks,
};
use crate::state::AppState;
use crate::{activity, body_deadline, extract, pre_auth, rate_limit, request_id, tenant_context};

async fn no_route(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    // A documented path asked with a method it does not take: 405 naming the
    // methods it takes.
    if let Some(allow) = req
        .app_data::<web::Data<KnownPaths>>()
        .and_then(|known| known.allowed(req.path()))
    {
        return Err(method_not_allowed(&req, allow));
    }
    Err(ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    ))
}

/// The API routes and the OpenAPI document collected from them.
fn api(
    state: web::Data<AppState>,
) -> (
    App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    let max_body = state.config.max_body_bytes;
    let (app, spec) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .app_data(state)
        .app_data(extract::json_config(max_body))
        .app_data(extract::form_config(max_body))
        .app_data(web::PayloadConfig::new(max_body))
        .app_data(extract::path_config())
        .app_data(extract::query_config())
        // Before the /api/v1 scope, which would otherwise claim this path.
        .route("/api/v1/openapi.json", web::get().to(docs::spec))
        .configure(health::register)
        .service(
            scope::scope("/api/v1")
                .configure(tenants::register)
                .configure(transparency::register_platform)
                // Before the tenant scope: the tenant comes from the token, not a header.
                .configure(live::register)
                // Signed by Twilio, not by a user: outside the tenant scope.
                .configure(webhooks::register)
                .service(
                    scope::scope("")
                        // The last wrap runs first: tenant context, then rate limit.
                        .wrap(from_fn(rate_limit::middleware))
                        .wrap(from_fn(tenant_context::middleware))
                        .configure(tenant_routes),
                ),
        )
        .split_for_parts();
    // After collection: the shared parts apply to every collected operation.
    let mut spec = spec;
    utoipa::Modify::modify(&crate::openapi::SharedParts, &mut spec);
    (app, spec)
}

fn tenant_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // Before the seller routes: `/sellers/me/trust` is not a seller id.
    trust::register(cfg);
    users::register(cfg);
    automation::register(cfg);
    sellers::register(cfg);
    products::register(cfg);
    orders::register(cfg);
    conversations::register(cfg);
    reviews::register(cfg);
    ai_config::register(cfg);
    usage::register(cfg);
    audit::register(cfg);
    moderation::register(cfg);
    reports::register(cfg);
    violations::register(cfg);
    statements::register(cfg);
    transparency::register(cfg);
    behavior::register(cfg);
    notifications::register(cfg);
}

/// The OpenAPI document of the API.
pub fn openapi(state: web::Data<AppState>) -> utoipa::openapi::OpenApi {
    api(state).1
}

/// The whole application.
pub fn build(
    state: web::Data<AppState>,
    redoc: docs::RedocBundle,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let dashboard = state.config.dashboard_dir.clone();
    let (app, spec) = api(state);
    let spec_json = serde_json::to_vec_pretty(&spec).unwrap_or_default();
    let known = web::Data::new(KnownPaths::from_spec(&spec));
    app.app_data(web::Data::new(docs::SpecJson(spec_json.into())))
        .app_data(known)
        .app_data(web::Data::new(redoc))
        .configure(|cfg| docs::register(cfg, &dashboard))
        .configure(metrics::register)
        .default_service(web::to(no_route))
        // Inside the activity log, so that a body cut off by its deadline is
        // recorded with the 408 it got.
        .wrap(from_fn(body_deadline::middleware))
        .wrap(from_fn(activity::middleware))
        // Before the activity log and authentication: a refused request costs
        // neither a row nor a token check.
        .wrap(from_fn(pre_auth::middleware))
        .wrap(from_fn(request_id::middleware))
}
