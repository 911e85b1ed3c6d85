//! Authentication: bearer JWTs, HS256 with a shared secret (development and
//! tests) or RS256/ES256 keys from an identity provider's JWKS.

mod claims;
mod jwks;
mod mint;
pub(crate) mod principal;
mod verifier;

pub use claims::Principal;
pub use mint::{MintRequest, mint_hs256};
pub use principal::PlatformAdmin;
pub use verifier::{AuthError, Verifier};
