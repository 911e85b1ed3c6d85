//! API documentation pages: the spec, Swagger UI (compiled in) and ReDoc
//! (its bundle comes from the npm package, fetched by `scripts/fetch-redoc.sh`).

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

use crate::error::{ApiError, ErrorCode};

/// Registers the documentation pages (Swagger UI, ReDoc) and the dashboard
/// served from `dashboard_dir`. The spec itself is routed by `app`, ahead of
/// the `/api/v1` scope.
pub fn register(cfg: &mut web::ServiceConfig, dashboard_dir: &std::path::Path) {
    cfg.service(
        utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
            .config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])),
    )
    .route("/docs", web::get().to(docs_redirect))
    .route("/redoc", web::get().to(redoc_page))
    .route("/redoc/redoc.standalone.js", web::get().to(redoc_js))
    .route("/dashboard", web::get().to(dashboard_redirect))
    .service(dashboard(dashboard_dir));
}

/// The OpenAPI document, serialised once at start-up.
#[derive(Clone)]
pub struct SpecJson(pub web::Bytes);

/// ReDoc's standalone bundle, if it was found at start-up.
#[derive(Clone)]
pub struct RedocBundle(pub Option<web::Bytes>);

/// `GET /api/v1/openapi.json`.
pub async fn spec(spec: web::Data<SpecJson>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .body(spec.0.clone())
}

const REDOC_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Warden API reference</title>
  </head>
  <body>
    <redoc spec-url="/api/v1/openapi.json"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
"#;

/// `GET /redoc`.
pub async fn redoc_page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(REDOC_PAGE)
}

/// `GET /redoc/redoc.standalone.js`.
pub async fn redoc_js(bundle: web::Data<RedocBundle>) -> Result<HttpResponse, ApiError> {
    let js = bundle.0.clone().ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "the ReDoc bundle is not installed; run scripts/fetch-redoc.sh",
        )
    })?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/javascript; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "public, max-age=86400"))
        .body(js))
}

/// `GET /docs` → `/docs/` (Swagger UI lives under the trailing slash).
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// The staff dashboard: the built single-page app at `/dashboard/`
/// (`/dashboard` redirects there). Before it is built (`npm run build` in
/// `dashboard/`, which `just run` does when Node is present), every
/// `/dashboard` path answers 404 saying so.
pub fn dashboard(dir: &std::path::Path) -> actix_web::Scope {
    let scope = web::scope("/dashboard");
    if dir.join("index.html").is_file() {
        scope.service(
            actix_files::Files::new("/", dir)
                .index_file("index.html")
                .redirect_to_slash_directory(),
        )
    } else {
        scope.default_service(web::to(dashboard_missing))
    }
}

async fn dashboard_missing() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::NotFound,
        "the dashboard is not built: run `npm ci && npm run build` in dashboard/ (or `just run`)",
    ))
}

/// `/dashboard` → `/dashboard/` (the app's relative asset paths need the slash).
pub async fn dashboard_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/dashboard/"))
        .finish()
}
