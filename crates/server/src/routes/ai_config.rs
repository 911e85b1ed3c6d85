//! ai_config routes.

/// Registers the ai_config routes.
pub fn register(_cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {}
