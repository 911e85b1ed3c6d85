//! Enforcement: what happens to an account when it breaks the rules.
//!
//! - [`violations`]: violations from moderation decisions, detections or staff,
//!   each placed on the tenant's escalation ladder; at most one per source.
//! - [`ladder`]: the per-tenant escalation ladder (default: warning, 24-hour
//!   ban, 7-day ban, permanent ban within 90 days; CRITICAL skips steps).
//! - [`accounts`]: the sanction state of an account, recomputed from its
//!   violations, and the expiry of temporary bans.
//! - [`appeals`]: one appeal per violation within the tenant's appeal period;
//!   overturning reverts the step it caused.
//! - [`sanctions`]: who may sanction whom (only a strictly higher role;
//!   automatic enforcement bans no staff).
//! - [`stats`]: counts and time series of violations.
//! - [`effects`]: what a violation changes in other domains, declared here
//!   and implemented by the server.
//! - [`jobs`]: background jobs (violations from other crates, ban expiry).
//!
//! Every change is audited in the transaction that makes it.

pub mod accounts;
pub mod appeals;
pub mod effects;
mod error;
pub mod jobs;
pub mod ladder;
pub mod model;
mod notify;
pub mod sanctions;
pub mod stats;
pub mod violations;

pub use effects::ViolationEffects;
pub use error::EnforcementError;
pub use model::{Action, Severity, SourceKind, Violation, ViolationStatus, ViolationType};
