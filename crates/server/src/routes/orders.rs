//! orders routes.

/// Registers the orders routes.
pub fn register(_cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {}
