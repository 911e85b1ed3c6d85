//! Assembling the actix application: middleware, extractor settings, routes
//! (registered through utoipa-actix-web, so the spec lists every one), docs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, web};
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, ErrorCode};
use crate::openapi::ApiDoc;
use crate::routes::{
    ai_config, audit, behavior, conversations, docs, health, live, metrics, moderation,
    notifications, orders, products, reviews, sellers, tenants, trust, usage, users, violations,
    webhooks,
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

/// 405 for `req`, naming the methods its path takes.
pub(crate) fn method_not_allowed(req: &HttpRequest, allow: String) -> ApiError {
    let detail = format!(
        "{} {} is not supported; use {allow}",
        req.method(),
        req.path()
    );
    ApiError::new(ErrorCode::MethodNotAllowed, detail)
        .with_header(actix_web::http::header::ALLOW, allow)
}

/// The documented paths (templates of the spec) and the methods each takes.
pub struct KnownPaths(Vec<(Vec<String>, String)>);

impl KnownPaths {
    /// From the OpenAPI document.
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let paths = spec
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let segments = template.split('/').map(str::to_owned).collect();
                let methods: Vec<&str> = [
                    (item.get.is_some(), "GET"),
                    (item.put.is_some(), "PUT"),
                    (item.post.is_some(), "POST"),
                    (item.delete.is_some(), "DELETE"),
                    (item.patch.is_some(), "PATCH"),
                ]
                .into_iter()
                .filter_map(|(has, m)| has.then_some(m))
                .collect();
                (segments, methods.join(", "))
            })
            .collect();
        Self(paths)
    }

    /// The methods a literal documented path (one without parameters) takes:
    /// `DELETE /notifications/read-all` is that path asked wrongly, not
    /// `/notifications/{id}` with a malformed id.
    pub fn literal(&self, path: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(template, _)| template.join("/") == path)
            .map(|(_, allow)| allow.clone())
    }

    /// The methods `path` takes, when it matches a documented template.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let asked: Vec<&str> = path.split('/').collect();
        let is_param = |t: &str| t.starts_with('{') && t.ends_with('}');
        // The most literal template wins (`/sellers/me` before `/sellers/{id}`).
        self.0
            .iter()
            .filter(|(template, _)| {
                template.len() == asked.len()
                    && template
                        .iter()
                        .zip(&asked)
                        .all(|(t, a)| t == a || (is_param(t) && !a.is_empty()))
            })
            .min_by_key(|(template, _)| template.iter().filter(|t| is_param(t)).count())
            .map(|(_, allow)| allow.clone())
    }
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
        .service(health::live)
        .service(health::ready)
        .service(
            scope::scope("/api/v1")
                .service(tenants::create_tenant)
                .service(tenants::list_tenants)
                .service(tenants::get_tenant)
                .service(tenants::update_tenant)
                .service(tenants::get_tenant_limits)
                .service(tenants::put_tenant_limits)
                // Before the tenant scope: the tenant comes from the token, not a header.
                .service(live::open_live)
                // Signed by Twilio, not by a user: outside the tenant scope.
                .service(webhooks::twilio_status)
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
    cfg.service(users::list_users)
        .service(users::get_me)
        .service(users::get_user)
        .service(users::update_user)
        .service(sellers::put_my_seller)
        .service(sellers::get_my_seller)
        .service(sellers::my_analytics)
        .service(sellers::list_sellers)
        .service(sellers::get_seller)
        .service(products::create_product)
        .service(products::bulk_status)
        .service(products::list_products)
        .service(products::get_product)
        .service(products::update_product)
        .service(products::delete_product);
    orders::register(cfg);
    conversations::register(cfg);
    reviews::register(cfg);
    ai_config::register(cfg);
    usage::register(cfg);
    audit::register(cfg);
    moderation::register(cfg);
    violations::register(cfg);
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
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])),
        )
        .route("/docs", web::get().to(docs::docs_redirect))
        .route("/redoc", web::get().to(docs::redoc_page))
        .route("/redoc/redoc.standalone.js", web::get().to(docs::redoc_js))
        .route("/metrics", web::get().to(metrics::metrics))
        .route("/dashboard", web::get().to(docs::dashboard_redirect))
        .service(docs::dashboard(&dashboard))
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
