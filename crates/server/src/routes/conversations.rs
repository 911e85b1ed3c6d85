//! conversations routes.

/// Registers the conversations routes.
pub fn register(_cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {}
