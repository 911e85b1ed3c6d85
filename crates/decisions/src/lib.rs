//! Records of Warden's restrictive decisions: the [`evidence`] each was made
//! on, kept for a configured [`retention`], and the [`statements`] of reasons
//! the users they concern receive. The domains that decide (moderation,
//! enforcement, behavior, trust) write both inside the transaction of the
//! decision.

pub mod error;
pub mod evidence;
pub mod retention;
mod schema;
pub mod statements;
pub mod transparency;

pub use error::DecisionError;
