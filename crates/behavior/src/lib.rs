//! Behavioural pattern detection over activity events.
//!
//! A tenant defines patterns as JSON ([`PatternBody`]): a [`Condition`] on
//! single events (`all` / `any` / `not` over field comparisons), optionally a
//! sliding [`WindowSpec`] (count, sum or distinct count of the matching events
//! per actor, address or resource, above a threshold), a severity, a cooldown
//! and a mode (shadow or live).
//!
//! - [`pattern`], [`condition`], [`window`]: definitions, validation with
//!   path-qualified errors, and the compiled forms.
//! - [`fields`]: the event fields conditions can name, and their values.
//! - [`operators`]: built-in comparison operators and the [`Operator`] trait
//!   for custom ones.
//! - [`windows`]: window and cooldown state, in process or in Redis, keyed by
//!   event time.
//! - [`engine`]: one tenant's patterns evaluated against an event, yielding
//!   [`Firing`]s.
//! - [`store`]: a tenant's saved patterns (CRUD, audited) and its engine.
//! - [`detector`]: real-time evaluation of the activity stream.
//! - [`detections`]: what fired, with evidence, and its review; live
//!   detections lead to violations ([`violation_requests`]).
//! - [`effects`]: what detections need from other domains, declared here and
//!   implemented by the server.
//! - [`backtest`]: a pattern over the stored activity log.
//! - [`analyze`]: given events against the tenant's patterns, without side effects.

pub mod analyze;
pub mod backtest;
pub mod condition;
mod convert;
pub mod detections;
pub mod detector;
pub mod effects;
pub mod engine;
mod error;
pub mod fields;
pub mod operators;
pub mod pattern;
pub mod store;
pub mod violation_requests;
pub mod window;
pub mod windows;

pub use condition::{Comparison, CompiledCondition, Condition};
pub(crate) use convert::audit_error;
pub use effects::DetectionEffects;
pub use engine::{Engine, Firing, confidence};
pub use error::BehaviorError;
pub use fields::{Field, FieldValue};
pub use operators::{Matcher, Operator, Operators};
pub use pattern::{CompiledPattern, Mode, PatternBody, Severity};
pub use window::{Aggregate, AggregateKind, CompiledWindow, GroupBy, WindowSpec};
pub use windows::{
    MemoryWindows, RedisWindows, WindowReading, WindowStore, cooldown_key, window_key,
};
