//! Users of a tenant: the `users` table is this crate's, and no other crate
//! writes it.
//!
//! - [`sync`]: the row behind a token's subject, created on first sight and
//!   refreshed when the token's details change.
//! - [`access`]: whether a user may act ([`UserRef::refusal`]).
//! - [`directory`]: listing and reading users.
//! - [`status`]: an administrator enabling or disabling a user.
//! - [`rank`]: who may change whose status (only a strictly higher role).
//! - [`sanction`]: the ban columns, as enforcement derives them from violations.

pub mod access;
pub mod directory;
mod error;
pub mod rank;
pub mod sanction;
pub mod status;
pub mod sync;
mod user;

pub use access::{Refusal, UserRef};
pub use error::IdentityError;
pub use sync::{Identity, sync};
pub use user::{User, UserStatus};
