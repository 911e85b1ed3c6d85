//! Commerce entities of a tenant and the rules for who may do what with them:
//! seller profiles, products, orders, conversations and messages,
//! reviews, and the tenant's AI assistant settings.
//!
//! Every function takes an [`Actor`] (who is asking, in which tenant) and does
//! its work inside one tenant transaction, so row-level security applies to
//! every statement and a failed request writes nothing.

pub mod ai_config;
pub mod analytics;
pub mod bulk;
pub mod content_screen;
pub mod conversations;
mod error;
pub mod orders;
pub mod products;
pub mod reviews;
pub mod seller_standing;
pub mod sellers;
pub mod validate;

pub use content_screen::ContentScreen;
pub use error::{CommerceError, DelegatedError};
pub use seller_standing::SellerStanding;
pub use warden_tenancy::{Actor, Role};
