//! HTTP routes. Each handler extracts, calls one domain function and maps the result.

pub mod ai_config;
pub mod audit;
pub mod automation;
pub mod behavior;
pub mod conversations;
pub mod docs;
pub mod health;
pub mod live;
pub mod metrics;
pub mod moderation;
pub mod notifications;
pub mod orders;
pub mod products;
pub mod reports;
pub mod reviews;
pub mod sellers;
pub mod statements;
pub mod tenants;
pub mod transparency;
pub mod trust;
pub mod usage;
pub mod users;
pub mod violations;
pub mod webhooks;

use serde::Deserialize;
use utoipa::IntoParams;
use warden_tenancy::PageRequest;

use crate::error::ApiError;

/// `limit` and `cursor` of a list request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page (22 URL-safe base64 characters).
    #[param(pattern = "^([A-Za-z0-9_-]{21}[AQgw])?$")]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// Validates the page parameters.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(self.limit, self.cursor.as_deref())?)
    }
}
