//! Text analysis: normalisation and evasion handling, patterns, entities,
//! language detection and tokenisation.
//!
//! Everything here is pure Rust, runs in time linear in the input and keeps
//! allocations proportional to it, so hostile input cannot blow up a worker.
//! All spans are byte offsets into the original text, on char boundaries.

mod cleaned;
mod confusables;
mod keyword;
mod nfkc_view;
mod reading_order;

pub mod entities;
pub mod language;
pub mod normalize;
pub mod patterns;
pub mod tokens;

/// Invisible characters (shared with commerce's title checks, so it lives in
/// `warden_tenancy`).
pub use warden_tenancy::text::invisible;

pub use entities::{Entity, EntityKind, UnknownEntityKind, find_entities, find_entities_in};
pub use language::{Language, detect};
pub use normalize::{NormalizedText, fold};
pub use patterns::{PatternError, PatternKind, PatternMatch, PatternSet};
pub use tokens::{Token, is_stop_word, tokens};
