//! The client of a request: the peer of the connection, or, when the peer is
//! one of `TRUSTED_PROXIES`, the address the proxies say they received the
//! request from. Without trusted proxies `X-Forwarded-For` is never read, so a
//! client cannot choose the address it is limited and recorded by.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// The header a proxy appends the address of its own peer to.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client address of a request, left in its extensions by the
/// pre-authentication middleware (the activity log records it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

fn trusted(ip: &IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(ip))
}

/// One entry of `X-Forwarded-For`: an address, possibly with a port
/// (`192.0.2.1:5000`, `[2001:db8::1]:443`) or in brackets.
fn hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .or_else(|_| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(entry)
                .parse::<IpAddr>()
        })
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The client address: `peer` unless it is a trusted proxy; then, walking
/// `X-Forwarded-For` (all its header lines, in order) from the right, the
/// first address that is not a trusted proxy. Entries left of it were written
/// by the client and are ignored. When every entry is a trusted proxy, the
/// left-most is the client; an entry that is not an address ends the walk at
/// the last trusted hop before it.
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    proxies: &[IpNet],
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted(&peer, proxies) {
        return peer;
    }
    let entries: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|line| line.split(','))
        .filter(|e| !e.trim().is_empty())
        .collect();
    let mut client = peer;
    for entry in entries.into_iter().rev() {
        let Some(ip) = hop(entry) else { break };
        client = ip;
        if !trusted(&ip, proxies) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let client = resolve(ip("198.51.100.4"), ["203.0.113.9"], &[]);
        assert_eq!(client, ip("198.51.100.4"));
        let client = resolve(ip("198.51.100.4"), ["203.0.113.9"], &nets(&["10.0.0.0/8"]));
        assert_eq!(client, ip("198.51.100.4"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let proxies = nets(&["10.0.0.0/8", "192.0.2.10/32"]);
        // The client forged the first entry; the edge proxy appended the real one.
        let client = resolve(
            ip("10.1.2.3"),
            ["1.1.1.1, 203.0.113.9", "192.0.2.10"],
            &proxies,
        );
        assert_eq!(client, ip("203.0.113.9"));
        // Ports, brackets and IPv4-mapped addresses.
        assert_eq!(
            resolve(ip("10.1.2.3"), ["203.0.113.9:5123"], &proxies),
            ip("203.0.113.9")
        );
        assert_eq!(
            resolve(ip("10.1.2.3"), ["[2001:db8::7]:443"], &proxies),
            ip("2001:db8::7")
        );
        assert_eq!(
            resolve(ip("::ffff:10.1.2.3"), ["::ffff:203.0.113.9"], &proxies),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn without_a_usable_header_the_last_trusted_hop_is_the_client() {
        let proxies = nets(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("10.1.2.3"), Vec::<&str>::new(), &proxies),
            ip("10.1.2.3")
        );
        assert_eq!(
            resolve(ip("10.1.2.3"), ["10.9.9.9, 10.8.8.8"], &proxies),
            ip("10.9.9.9")
        );
        assert_eq!(
            resolve(ip("10.1.2.3"), ["unknown, 10.8.8.8"], &proxies),
            ip("10.8.8.8")
        );
    }
}
