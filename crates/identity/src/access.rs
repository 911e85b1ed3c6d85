//! Whether a user may act: the part of the row the request path needs.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::UserStatus;

/// The user row behind an identity, as the request path needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRef {
    /// User id.
    pub id: Uuid,
    /// Status.
    pub status: UserStatus,
    /// End of a temporary ban.
    pub banned_until: Option<DateTime<Utc>>,
    /// The violation whose ban holds the account.
    pub ban_violation_id: Option<Uuid>,
}

impl UserRef {
    /// Why the user may not act at `now`, if they may not.
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<Refusal> {
        match self.status {
            UserStatus::Active => None,
            // A ban that has run out no longer refuses, even before the expiry
            // job has restored the row.
            UserStatus::Banned => self
                .banned_until
                .filter(|until| *until > now)
                .map(|until| Refusal::Banned { until: Some(until) }),
            UserStatus::Disabled if self.ban_violation_id.is_some() => {
                Some(Refusal::Banned { until: None })
            }
            UserStatus::Disabled => Some(Refusal::Disabled),
        }
    }
}

/// Why a user is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Disabled by an administrator.
    Disabled,
    /// Banned until `until`, or for good when `None`.
    Banned {
        /// End of the ban.
        until: Option<DateTime<Utc>>,
    },
}
