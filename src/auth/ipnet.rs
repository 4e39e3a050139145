//! IP allow-lists (CIDR, IPv4 and IPv6) and the client address behind trusted proxies.
//!
//! The client address is the socket peer, unless the peer is a configured trusted proxy:
//! then the `X-Forwarded-For` (or RFC 7239 `Forwarded`) chain is walked from the right,
//! skipping trusted proxies, and the first untrusted hop is the client. Headers from an
//! untrusted peer are ignored, so a client cannot claim another address.

use std::net::IpAddr;

use ::ipnet::IpNet;
use hyper::header::HeaderMap;

use super::User;
use super::policy::{SecurityPolicy, user_role_names};
use crate::error::{Error, Result};

/// Parses CIDR networks; a bare address means a single host (/32 or /128).
/// Errors: `Invalid` naming the bad entry.
pub fn parse_list(items: &[String]) -> Result<Vec<IpNet>> {
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| Error::invalid(format!("not a network in CIDR form: {s}")))
        })
        .collect()
}

fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
    let ip = canonical(ip);
    nets.iter().any(|n| n.contains(&ip))
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The client address of a request from socket peer `peer` with `headers`.
pub fn client_addr(p: &SecurityPolicy, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    let trusted = parse_list(&p.trusted_proxies).unwrap_or_default();
    let peer = canonical(peer);
    if trusted.is_empty() || !contains(&trusted, peer) {
        return peer;
    }
    let hops = forwarded_chain(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(ip) => {
                client = canonical(*ip);
                if !contains(&trusted, client) {
                    return client;
                }
            }
            // An unreadable hop: stop at the last trusted proxy that named it.
            None => return client,
        }
    }
    client
}

/// The forwarding chain, leftmost (original client) first: `X-Forwarded-For` if present,
/// else the `for=` parameters of `Forwarded` (RFC 7239 §5.2). `None` for an unreadable hop.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .take(64)
        .map(|s| parse_hop(s.trim()))
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("for=?").split(','))
        .take(64)
        .filter_map(|elem| {
            elem.split(';').find_map(|kv| {
                let (k, v) = kv.trim().split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_hop(v.trim()))
            })
        })
        .collect()
}

/// One hop: `1.2.3.4`, `1.2.3.4:5678`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, _port) = s.rsplit_once(':')?;
    host.parse().ok()
}

/// Whether `ip` may be used by `user` (or, with `None`, by anyone: the global list only).
/// Every per-role list of a role the user holds must contain the address.
pub fn allowed(p: &SecurityPolicy, user: Option<&User>, ip: IpAddr) -> bool {
    let global = parse_list(&p.allow_global).unwrap_or_default();
    if !global.is_empty() && !contains(&global, ip) {
        return false;
    }
    let Some(u) = user else { return true };
    let roles = user_role_names(u);
    p.allow_roles
        .iter()
        .filter(|(r, _)| roles.iter().any(|x| x.eq_ignore_ascii_case(r.trim())))
        .all(|(_, nets)| {
            let nets = parse_list(nets).unwrap_or_default();
            nets.is_empty() || contains(&nets, ip)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let p = SecurityPolicy {
            trusted_proxies: vec!["10.0.0.0/8".into(), "::1".into()],
            ..SecurityPolicy::default()
        };
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.9, 10.1.1.1"),
        );
        assert_eq!(client_addr(&p, ip("10.2.2.2"), &h), ip("203.0.113.9"));
        assert_eq!(client_addr(&p, ip("198.51.100.1"), &h), ip("198.51.100.1"));
        let mut f = HeaderMap::new();
        f.insert(
            "forwarded",
            HeaderValue::from_static("for=\"[2001:db8::7]:443\";proto=https"),
        );
        assert_eq!(client_addr(&p, ip("::1"), &f), ip("2001:db8::7"));
        assert_eq!(
            client_addr(&p, ip("::ffff:10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn allow_lists_apply_globally_and_per_role() {
        let p = SecurityPolicy {
            allow_global: vec!["192.0.2.0/24".into(), "2001:db8::/32".into()],
            allow_roles: vec![("admin".into(), vec!["192.0.2.128/25".into()])],
            ..SecurityPolicy::default()
        };
        let admin = User {
            email: "a@x.se".into(),
            name: "A".into(),
            password_hash: String::new(),
            roles: vec!["admin".into()],
            disabled: false,
            created_ms: 0,
        };
        let agent = User {
            roles: vec!["agent".into()],
            ..admin.clone()
        };
        assert!(allowed(&p, None, ip("192.0.2.5")));
        assert!(!allowed(&p, None, ip("198.51.100.5")));
        assert!(allowed(&p, Some(&agent), ip("2001:db8::5")));
        assert!(!allowed(&p, Some(&admin), ip("192.0.2.5")));
        assert!(allowed(&p, Some(&admin), ip("192.0.2.200")));
        assert!(parse_list(&["nonsense".into()]).is_err());
    }
}
