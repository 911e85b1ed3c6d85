//! How the domains reach one another. No domain crate depends on another
//! domain: an effect across domains is either
//!
//! - a trait the calling domain declares, implemented here by
//!   [`CrossDomainEffects`] and passed to the domain's functions (for effects
//!   and reads inside the caller's transaction), or
//! - a job whose kind and payload the producing domain declares; the job
//!   runner routes it to the owning domain, turned into the owner's terms here.
//!
//! Wired so far:
//! - [`commerce`]: commerce screens content with moderation and checks seller
//!   standing with trust (`ContentScreen`, `SellerStanding`).
//! - [`content_store`]: moderation reads and sets the moderation state of
//!   commerce's content (`ContentStore`).
//! - [`violation_effects`]: a violation moves seller trust (enforcement → trust).
//! - [`detection_effects`]: a detection reads enforcement's threshold for
//!   automatic violations and moves seller trust (behavior → enforcement, trust).
//! - [`violation_requests`]: moderation's and behavior's requests for a
//!   violation become enforcement's (moderation, behavior → enforcement).

pub mod commerce;
pub mod content_store;
pub mod detection_effects;
pub mod violation_effects;
pub mod violation_requests;

/// The server's implementation of the traits the domain crates declare for
/// their effects on other domains. It holds nothing: each effect runs on the
/// connection of the transaction it belongs to.
#[derive(Clone, Copy, Debug, Default)]
pub struct CrossDomainEffects;
