//! Seller trust: progressive levels (0 unverified, 1 verified, 2 trusted,
//! 3 premium) with listing limits and feature gates, a 0–100 score from
//! commerce signals, and what each level needs.
//!
//! - [`settings`]: the tenant's limits, gates, weights and thresholds.
//! - [`score`]: the documented score formula over a seller's [`score::Signals`].
//! - [`signals`]: those signals read from orders, reviews, conversations and violations.
//! - [`standing`]: a seller's level, score, limits, features and next level;
//!   the listing limit enforced when a product is created.
//! - [`history`]: the trust history and administrators' level overrides.
//! - [`verifications`]: verification steps (one-time codes for e-mail and
//!   phone, staff review for documents and performance).
//! - [`lifecycle`]: promotion, demotion after a grace period with a warning,
//!   immediate demotion on severe violations.
//! - [`risk`]: the risk level from violations and detections.
//! - [`gates`]: feature gates by level.
//! - [`jobs`]: recomputation on events and the daily pass.

mod changes;
mod error;
pub mod gates;
pub mod history;
pub mod jobs;
pub mod lifecycle;
pub mod risk;
pub mod score;
pub mod settings;
pub mod signals;
pub mod standing;
pub mod verifications;

pub use error::TrustError;
