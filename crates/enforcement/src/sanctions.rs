//! Who may sanction whom. A person may ban a user or record a violation of
//! them only when the person outranks them (`warden_identity::rank`).
//! Automatic enforcement (no person acting) records violations of staff but
//! bans no one holding a staff role: a person of a higher role decides. Platform administrators are never
//! refused by a tenant's user status at all (the tenant middleware skips it).

use warden_tenancy::Role;

/// Whether automatic enforcement must not ban a user holding `target` roles.
pub fn ban_withheld_automatically(target: &[Role]) -> bool {
    target.iter().any(|r| r.is_staff())
}
