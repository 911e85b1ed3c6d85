//! Caps on open live connections per user and per tenant, counted in this
//! process (each replica counts its own). A connection holds a [`LiveSlot`]
//! for as long as its socket lives; dropping it, however the socket ended,
//! gives the slot back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

/// Who holds connections: the token's tenant (`None` for platform
/// administrators, whose subject is platform-wide) and subject.
pub type UserKey = (Option<Uuid>, String);

/// Which cap a new connection would exceed, and its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The user has this many connections open already.
    PerUser(usize),
    /// The tenant has this many connections open already.
    PerTenant(usize),
}

#[derive(Default)]
struct Counts {
    users: HashMap<UserKey, usize>,
    tenants: HashMap<Uuid, usize>,
}

/// Open live connections of this process.
pub struct LiveSlots {
    max_per_user: usize,
    max_per_tenant: usize,
    counts: Mutex<Counts>,
}

impl LiveSlots {
    /// Caps of `max_per_user` and `max_per_tenant` connections.
    pub fn new(max_per_user: usize, max_per_tenant: usize) -> Arc<Self> {
        Arc::new(Self {
            max_per_user,
            max_per_tenant,
            counts: Mutex::new(Counts::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes a slot for `user` watching `tenant`, or says which cap is reached.
    /// Staff are held to their own cap but never to the tenant's: members
    /// filling the tenant's connections must not lock its moderators out.
    /// Their connections still count toward it.
    pub fn acquire(
        self: &Arc<Self>,
        user: UserKey,
        tenant: Uuid,
        staff: bool,
    ) -> Result<LiveSlot, Refused> {
        let mut counts = self.lock();
        if counts.users.get(&user).copied().unwrap_or(0) >= self.max_per_user {
            return Err(Refused::PerUser(self.max_per_user));
        }
        if !staff && counts.tenants.get(&tenant).copied().unwrap_or(0) >= self.max_per_tenant {
            return Err(Refused::PerTenant(self.max_per_tenant));
        }
        *counts.users.entry(user.clone()).or_default() += 1;
        *counts.tenants.entry(tenant).or_default() += 1;
        Ok(LiveSlot {
            slots: self.clone(),
            user,
            tenant,
        })
    }

    /// Connections open now for `tenant`.
    pub fn tenant_count(&self, tenant: Uuid) -> usize {
        self.lock().tenants.get(&tenant).copied().unwrap_or(0)
    }
}

/// One open connection's place; given back on drop.
pub struct LiveSlot {
    slots: Arc<LiveSlots>,
    user: UserKey,
    tenant: Uuid,
}

impl Drop for LiveSlot {
    fn drop(&mut self) {
        let mut counts = self.slots.lock();
        // Entries at zero go, so the maps hold only who is connected.
        if let Some(n) = counts.users.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.users.remove(&self.user);
            }
        }
        if let Some(n) = counts.tenants.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.tenants.remove(&self.tenant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_per_user_and_per_tenant_and_dropped_slots_free_up() {
        let slots = LiveSlots::new(2, 3);
        let (t, other) = (Uuid::now_v7(), Uuid::now_v7());
        let user = |s: &str| (Some(t), s.to_owned());
        let a1 = slots.acquire(user("a"), t, false).unwrap();
        let _a2 = slots.acquire(user("a"), t, false).unwrap();
        assert_eq!(
            slots.acquire(user("a"), t, false).err(),
            Some(Refused::PerUser(2))
        );
        let b1 = slots.acquire(user("b"), t, false).unwrap();
        assert_eq!(
            slots.acquire(user("b"), t, false).err(),
            Some(Refused::PerTenant(3))
        );
        // Another tenant has its own count.
        let _c = slots
            .acquire((Some(other), "b".into()), other, false)
            .unwrap();
        drop(a1);
        assert_eq!(slots.tenant_count(t), 2);
        assert!(slots.acquire(user("b"), t, false).is_ok());
        assert_eq!(slots.tenant_count(t), 2);
        // Staff pass a full tenant (their own cap still holds) and count.
        let staff = |s: &str| slots.acquire(user(s), t, true);
        let _m1 = staff("mod").unwrap();
        assert_eq!(slots.tenant_count(t), 3);
        let _m2 = staff("mod").unwrap();
        assert_eq!(staff("mod").err(), Some(Refused::PerUser(2)));
        drop(b1);
        // Nobody left under that key: no entry left behind.
        assert!(!slots.lock().users.contains_key(&user("b")));
    }
}
