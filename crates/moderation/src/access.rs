//! Who may do what in moderation: one check per role level, each refusal
//! saying what was refused.

use warden_tenancy::Actor;

use crate::ModerationError;

/// Tenant administrators (and platform administrators acting in the tenant).
pub(crate) fn require_admin(actor: &Actor, refused: &str) -> Result<(), ModerationError> {
    allow(actor.is_admin(), refused)
}

/// Administrators and moderators.
pub(crate) fn require_staff(actor: &Actor, refused: &str) -> Result<(), ModerationError> {
    allow(actor.is_staff(), refused)
}

fn allow(allowed: bool, refused: &str) -> Result<(), ModerationError> {
    if allowed {
        Ok(())
    } else {
        Err(ModerationError::forbidden(refused.to_owned()))
    }
}
