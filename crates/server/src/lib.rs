//! Warden's HTTP server: configuration, authentication, middleware, routes and
//! the OpenAPI document, and how the domains reach one another ([`wiring`]).
//! Wiring only: the rules live in the domain crates.

pub mod activity;
pub mod app;
pub mod auth;
pub mod body_deadline;
pub mod client_ip;
pub mod config;
pub mod created;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod json_body;
pub mod known_paths;
pub mod live_access;
pub mod live_body;
pub mod live_slots;
pub mod openapi;
pub mod pre_auth;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod state;
pub mod tenant_context;
pub mod time_bounds;
pub mod wiring;

use actix_web::web;

pub use config::Config;
pub use state::AppState;

/// Reads ReDoc's bundle from the configured path, if it is there.
pub fn load_redoc(config: &Config) -> routes::docs::RedocBundle {
    match std::fs::read(&config.redoc_js_path) {
        Ok(bytes) => routes::docs::RedocBundle(Some(web::Bytes::from(bytes))),
        Err(e) => {
            tracing::warn!(
                path = %config.redoc_js_path.display(),
                error = %e,
                "ReDoc bundle not found: /redoc will not render (run scripts/fetch-redoc.sh)"
            );
            routes::docs::RedocBundle(None)
        }
    }
}
