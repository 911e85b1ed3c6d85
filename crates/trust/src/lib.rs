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
//!   phone, staff review for documents) and the promotion they lead to.

mod error;
pub mod history;
pub mod score;
pub mod settings;
pub mod signals;
pub mod standing;
pub mod verifications;

pub use error::TrustError;
