//! Value parsers shared by the configuration's arguments.
//!
//! Numbers and addresses are trimmed first, as the hand-written parser did;
//! a blank variable counts as unset (see [`super::unset_blank_env`]).

use std::fmt::Display;
use std::str::FromStr;

/// `on` or `off`, exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl Switch {
    /// Whether it is `on`.
    pub fn is_on(self) -> bool {
        self == Self::On
    }
}

/// Any `FromStr` value, surrounding whitespace ignored.
pub fn trimmed<T>(s: &str) -> Result<T, String>
where
    T: FromStr,
    T::Err: Display,
{
    s.trim().parse().map_err(|e: T::Err| e.to_string())
}

/// A number above zero.
pub fn positive<T>(s: &str) -> Result<T, String>
where
    T: FromStr + Default + PartialEq,
    T::Err: Display,
{
    let n: T = trimmed(s)?;
    if n == T::default() {
        return Err("must be positive".into());
    }
    Ok(n)
}

/// A number above zero, as a `NonZeroU32`.
pub fn nonzero_u32(s: &str) -> Result<std::num::NonZeroU32, String> {
    std::num::NonZeroU32::new(trimmed(s)?).ok_or_else(|| "must be positive".into())
}

/// `JWT_MAX_LIFETIME_SECS`: positive and within `i64` seconds (beyond, the
/// lifetime arithmetic would overflow; no real token lives that long anyway).
pub fn lifetime_secs(s: &str) -> Result<u64, String> {
    let n: u64 = trimmed(s)?;
    if n == 0 || i64::try_from(n).is_err() {
        return Err("must be a positive number of seconds".into());
    }
    Ok(n)
}

/// `USER_RATE_SHARE_PERCENT`: 1 to 100.
pub fn percent(s: &str) -> Result<u8, String> {
    let n: u8 = trimmed(s)?;
    if !(1..=100).contains(&n) {
        return Err("must be between 1 and 100".into());
    }
    Ok(n)
}

/// `TRUSTED_PROXIES`: IPs and CIDRs, separated by commas or spaces.
#[derive(Clone, Debug, Default)]
pub struct ProxyList(pub Vec<ipnet::IpNet>);

/// Parses a [`ProxyList`].
pub fn proxy_list(list: &str) -> Result<ProxyList, String> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{s:?} is neither an IP address nor a CIDR"))
        })
        .collect::<Result<_, _>>()
        .map(ProxyList)
}

/// A worker count where 0 means one per CPU.
pub fn workers_or_cpus(n: usize) -> usize {
    match n {
        0 => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        n => n,
    }
}
