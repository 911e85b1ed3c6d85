//! Tenant filter rules: their model, storage, and the engine that turns an
//! analysis into a decision.

pub mod engine;
pub mod model;
pub mod store;

pub use engine::{Decision, RuleMatch, RuleSet, Span};
pub use model::{Action, RuleBody, RuleKind};
pub use store::Rule;
