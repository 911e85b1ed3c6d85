//! The limiter in front of authentication. Every request of one client (its
//! IP address; an IPv6 client by its /64) draws on one generous quota, and
//! every failed authentication on a stricter one. Once a client has used up
//! its failure quota, all its requests are refused, before they are
//! authenticated, until the quota has room again.
//!
//! In process (governor's keyed GCRA): it guards the node that runs it, and a
//! refusal costs no database, Redis or token work. It is not shared between
//! replicas; a client spreading over N replicas gets N times the quota, which
//! is still a bound.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::{NoOpMiddleware, StateInformationMiddleware};
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use moka::sync::Cache;

type Keyed<C, M = NoOpMiddleware<<C as Clock>::Instant>> =
    RateLimiter<IpAddr, DashMapStateStore<IpAddr>, C, M>;

/// How often clients whose state has returned to fresh are dropped from the
/// tables (on the request path, by whichever request comes first after it).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Most clients held refused for failures at once; beyond it the oldest are
/// let go early (they are refused again after their next failure).
const MAX_BLOCKED: u64 = 1_000_000;

/// Which pre-authentication quota refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreAuthQuota {
    /// All requests of the client.
    Requests,
    /// The client's failed authentications.
    Failures,
}

impl PreAuthQuota {
    /// The `window` named in the 429 problem.
    pub fn window(self) -> &'static str {
        match self {
            Self::Requests => "client-minute",
            Self::Failures => "client-auth-failures",
        }
    }
}

/// Why a request was refused before authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreAuthRefusal {
    /// The quota that is used up.
    pub quota: PreAuthQuota,
    /// When the client may try again.
    pub retry_after: Duration,
}

/// The key a client is limited by: its IPv4 address (also when it arrives
/// IPv4-mapped), or the /64 network of its IPv6 address: one subscriber
/// usually holds a whole /64 and could otherwise take a fresh quota per address.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

/// The pre-authentication limiter.
pub struct PreAuthLimiter<C: Clock = DefaultClock> {
    requests: Keyed<C>,
    /// Tells how many failures are left, so the last one blocks at once.
    failures: Keyed<C, StateInformationMiddleware>,
    /// Clients whose failure quota is used up, and until when.
    blocked: Cache<IpAddr, C::Instant>,
    clock: C,
    last_sweep: Mutex<C::Instant>,
}

impl PreAuthLimiter<DefaultClock> {
    /// A limiter admitting `requests_per_minute` requests and
    /// `failures_per_minute` failed authentications per client (each a burst
    /// of that size, refilled evenly over the minute).
    pub fn new(requests_per_minute: NonZeroU32, failures_per_minute: NonZeroU32) -> Self {
        Self::with_clock(
            requests_per_minute,
            failures_per_minute,
            DefaultClock::default(),
        )
    }
}

impl<C> PreAuthLimiter<C>
where
    C: Clock + Clone,
    C::Instant: 'static,
{
    /// The same on `clock` (tests move a fake one).
    pub fn with_clock(
        requests_per_minute: NonZeroU32,
        failures_per_minute: NonZeroU32,
        clock: C,
    ) -> Self {
        let keyed =
            |n: NonZeroU32| RateLimiter::dashmap_with_clock(Quota::per_minute(n), clock.clone());
        Self {
            requests: keyed(requests_per_minute),
            failures: keyed(failures_per_minute).with_middleware::<StateInformationMiddleware>(),
            // A block lasts until one failure fits again: at most a minute.
            blocked: Cache::builder()
                .max_capacity(MAX_BLOCKED)
                .time_to_live(Duration::from_secs(60))
                .build(),
            last_sweep: Mutex::new(clock.now()),
            clock,
        }
    }

    /// Admits or refuses a request of `ip` before it is authenticated. An
    /// admitted request is charged to the client's request quota; a refused
    /// one to nothing.
    pub fn check(&self, ip: IpAddr) -> Result<(), PreAuthRefusal> {
        let key = client_key(ip);
        let now = self.clock.now();
        self.sweep(now);
        if let Some(until) = self.blocked.get(&key) {
            if until > now {
                return Err(PreAuthRefusal {
                    quota: PreAuthQuota::Failures,
                    retry_after: until.duration_since(now).into(),
                });
            }
            self.blocked.invalidate(&key);
        }
        self.requests
            .check_key(&key)
            .map_err(|not_until| PreAuthRefusal {
                quota: PreAuthQuota::Requests,
                retry_after: not_until.wait_time_from(now),
            })
    }

    /// Charges a failed authentication of `ip`. When that used up its
    /// failure quota, the client is refused from now until one more failure
    /// would fit (at most one refill interval, 60/n s); says whether that
    /// happened.
    pub fn failed(&self, ip: IpAddr) -> bool {
        let key = client_key(ip);
        let until = match self.failures.check_key(&key) {
            Ok(state) if state.remaining_burst_capacity() > 0 => return false,
            // The last failure that fits: the next one would not.
            Ok(state) => self.clock.now() + state.quota().replenish_interval().into(),
            // Requests admitted before the block took effect, failing after it.
            Err(not_until) => not_until.earliest_possible(),
        };
        self.blocked.insert(key, until);
        true
    }

    /// Clients the limiter holds state for (requests and failures tables).
    pub fn tracked(&self) -> usize {
        self.requests.len() + self.failures.len()
    }

    fn sweep(&self, now: C::Instant) {
        // Another request is sweeping: nothing to wait for.
        let Ok(mut last) = self.last_sweep.try_lock() else {
            return;
        };
        if Duration::from(now.duration_since(*last)) < SWEEP_EVERY {
            return;
        }
        *last = now;
        drop(last);
        self.requests.retain_recent();
        self.requests.shrink_to_fit();
        self.failures.retain_recent();
        self.failures.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn n(v: u32) -> NonZeroU32 {
        NonZeroU32::new(v).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_client_gets_its_quota_and_then_a_retry_time() {
        let clock = FakeRelativeClock::default();
        let limiter = PreAuthLimiter::with_clock(n(3), n(100), clock.clone());
        let a = ip("203.0.113.7");
        for _ in 0..3 {
            assert_eq!(limiter.check(a), Ok(()));
        }
        let refused = limiter.check(a).unwrap_err();
        assert_eq!(refused.quota, PreAuthQuota::Requests);
        assert_eq!(refused.retry_after, Duration::from_secs(20));
        // Another client is not touched.
        assert_eq!(limiter.check(ip("203.0.113.8")), Ok(()));
        clock.advance(Duration::from_secs(20));
        assert_eq!(limiter.check(a), Ok(()));
    }

    #[test]
    fn used_up_failures_refuse_every_request_until_one_more_fits() {
        let clock = FakeRelativeClock::default();
        let limiter = PreAuthLimiter::with_clock(n(1000), n(2), clock.clone());
        let a = ip("198.51.100.1");
        assert!(!limiter.failed(a));
        // Failures left: nothing is refused.
        assert_eq!(limiter.check(a), Ok(()));
        // The second of two used the quota up.
        assert!(limiter.failed(a));
        let refused = limiter.check(a).unwrap_err();
        assert_eq!(refused.quota, PreAuthQuota::Failures);
        assert_eq!(refused.retry_after, Duration::from_secs(30));
        assert_eq!(limiter.check(ip("198.51.100.2")), Ok(()));
        clock.advance(Duration::from_secs(30));
        assert_eq!(limiter.check(a), Ok(()));
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(client_key(ip("::ffff:192.0.2.9")), ip("192.0.2.9"));
        let limiter = PreAuthLimiter::with_clock(n(1), n(1), FakeRelativeClock::default());
        assert_eq!(limiter.check(ip("2001:db8:1:2::1")), Ok(()));
        assert!(limiter.check(ip("2001:db8:1:2::2")).is_err());
        assert_eq!(limiter.check(ip("2001:db8:1:3::1")), Ok(()));
    }

    #[test]
    fn fresh_clients_are_swept_from_the_tables() {
        let clock = FakeRelativeClock::default();
        let limiter = PreAuthLimiter::with_clock(n(60), n(60), clock.clone());
        for i in 0..50u8 {
            limiter.check(IpAddr::from([10, 0, 0, i])).unwrap();
        }
        assert_eq!(limiter.tracked(), 50);
        clock.advance(Duration::from_secs(120));
        limiter.check(ip("10.1.0.1")).unwrap();
        assert_eq!(limiter.tracked(), 1);
    }
}
