//! Per-tenant rate limits, resource quotas and API usage metering.
//!
//! - [`limiter`]: GCRA rate limiting over several windows at once (minute, hour,
//!   day, and an optional per-user window), in process or shared through Redis.
//! - [`resources`]: product, user and storage quotas, checked and counted inside
//!   the caller's tenant transaction so that concurrent creates cannot overshoot.
//! - [`usage`]: API calls counted per tenant and flushed to PostgreSQL in batches.
//! - [`limits`]: the per-tenant limits, with defaults and platform overrides.
//! - [`pre_auth`]: per-client-IP limits checked before authentication.

mod error;
pub mod gcra;
pub mod limiter;
pub mod limits;
pub mod pre_auth;
pub mod resources;
pub mod usage;

pub use error::QuotaError;
