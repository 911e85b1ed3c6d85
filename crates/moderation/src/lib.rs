//! Content moderation: text analysis with evasion handling, entities and
//! language; toxicity, offensive-language and sentiment models run with ONNX
//! Runtime; tenant filter rules and the decisions they make; the review queue
//! and rescans of existing content; the violations rejections ask for.

pub mod analysis;
pub mod content;
mod error;
pub mod inference;
pub mod models;
pub mod moderator;
mod notify;
pub mod rescans;
pub mod results;
pub mod reviews;
pub mod rules;
pub mod subjectivity;
pub mod text;
pub mod violation_requests;

pub use error::ModerationError;
pub use moderator::Moderator;
/// The control characters client text may hold (shared with commerce, so it
/// lives in `warden_tenancy`).
pub use warden_tenancy::text::input;
