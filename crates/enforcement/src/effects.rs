//! What a violation changes outside enforcement. Enforcement declares the
//! effects it has on other domains here; the server implements them (today:
//! a violation moves the offender's seller trust), so enforcement does not
//! depend on the domains it affects.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use warden_tenancy::{DbConn, TenantId};

use crate::EnforcementError;
use crate::model::Violation;

/// Effects of violations on other domains, run inside enforcement's
/// transaction so they commit or roll back with the violation.
#[async_trait::async_trait]
pub trait ViolationEffects: Send + Sync {
    /// Violation `violation` was just recorded at `now` (it is new, not one
    /// its source already had).
    async fn recorded(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        violation: &Violation,
        now: DateTime<Utc>,
    ) -> Result<(), EnforcementError>;

    /// A violation of `user` was overturned on appeal: it no longer counts.
    async fn overturned(
        &self,
        conn: &mut DbConn,
        tenant: TenantId,
        user: Uuid,
    ) -> Result<(), EnforcementError>;
}
