//! Direct delivery: where the mail for a domain goes (RFC 5321 §5.1), resolved with
//! hickory-resolver (never the libc resolver).
//!
//! - MX records are tried in preference order (lowest first); hosts of equal preference in
//!   random order (RFC 5321 §5.1 "SHOULD randomize").
//! - A domain that exists but has no MX record is its own mail host (the "implicit MX",
//!   its A/AAAA records).
//! - A single MX of `.` (the null MX, RFC 7505) means the domain accepts no mail: a
//!   permanent failure. So is a domain that does not exist (NXDOMAIN).
//! - Any other DNS failure (timeout, SERVFAIL, no answer) is temporary: the mail waits.
//!
//! The DNS server is the system's (`/etc/resolv.conf`) unless the environment variable
//! [`DNS_SERVER_ENV`] names one (`IP` or `IP:PORT`); tests point it at a small DNS server
//! on loopback. [`MX_PORT_ENV`] changes the SMTP port used at the mail hosts (25); it
//! exists for tests only.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

/// Environment variable: the DNS server to ask instead of the system's, `IP` or `IP:PORT`
/// (port 53 by default), e.g. `127.0.0.1:5353`. UDP, with TCP for truncated answers.
pub const DNS_SERVER_ENV: &str = "TRYGG_DNS_SERVER";
/// Environment variable (tests only): the TCP port of the mail hosts (default 25).
pub const MX_PORT_ENV: &str = "TRYGG_MX_PORT";
/// Most mail hosts tried for one domain in one attempt.
pub const MAX_HOSTS: usize = 10;

/// Why a lookup failed: `permanent` when retrying cannot help (NXDOMAIN, null MX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError {
    pub permanent: bool,
    pub message: String,
}

/// The answer of one DNS question, as the routing rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// Records found.
    Records(T),
    /// The name exists but has no record of this type (NOERROR, empty answer).
    NoRecords,
    /// The name does not exist (NXDOMAIN).
    NoSuchDomain,
}

/// The DNS questions direct delivery asks; [`HickoryDns`] in production, a table in unit
/// tests. Errors are temporary failures, as text.
pub trait Dns: Send + Sync {
    /// MX records of `domain`: `(preference, exchange)` with the exchange's trailing dot
    /// removed (the null MX `.` becomes the empty string).
    fn mx(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Answer<Vec<(u16, String)>>, String>> + Send;
    /// A and AAAA addresses of `host`.
    fn ips(&self, host: &str) -> impl Future<Output = Result<Answer<Vec<IpAddr>>, String>> + Send;
}

/// One mail host to try, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailHost {
    /// Host name (the name its TLS certificate must carry).
    pub name: String,
    pub preference: u16,
}

/// The mail hosts of `domain` in the order to try them (RFC 5321 §5.1, RFC 7505).
pub async fn mail_hosts(dns: &impl Dns, domain: &str) -> Result<Vec<MailHost>, RouteError> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() || domain.len() > 253 {
        return Err(RouteError {
            permanent: true,
            message: format!("invalid recipient domain {domain:?}"),
        });
    }
    // An address literal (RFC 5321 §4.1.3, `user@[192.0.2.1]`) names the host itself.
    if let Ok(ip) = domain.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(vec![MailHost {
            name: ip.to_string(),
            preference: 0,
        }]);
    }
    let temp = |m: String| RouteError {
        permanent: false,
        message: m,
    };
    match dns
        .mx(&domain)
        .await
        .map_err(|e| temp(format!("DNS lookup of the MX of {domain} failed: {e}")))?
    {
        Answer::NoSuchDomain => Err(RouteError {
            permanent: true,
            message: format!("the recipient domain {domain} does not exist (NXDOMAIN)"),
        }),
        Answer::NoRecords => Ok(vec![MailHost {
            name: domain,
            preference: 0,
        }]),
        Answer::Records(records) => {
            let real: Vec<(u16, String)> = records
                .iter()
                .filter(|(_, h)| !h.is_empty())
                .cloned()
                .collect();
            if real.is_empty() {
                if records.is_empty() {
                    return Ok(vec![MailHost {
                        name: domain,
                        preference: 0,
                    }]);
                }
                return Err(RouteError {
                    permanent: true,
                    message: format!(
                        "the recipient domain {domain} accepts no mail (null MX, RFC 7505)"
                    ),
                });
            }
            Ok(order(real))
        }
    }
}

/// Sorts by preference; shuffles hosts of equal preference (RFC 5321 §5.1).
fn order(mut records: Vec<(u16, String)>) -> Vec<MailHost> {
    use rand::seq::SliceRandom;
    records.shuffle(&mut rand::thread_rng());
    records.sort_by_key(|(p, _)| *p); // stable: equal preferences stay shuffled
    let mut seen = std::collections::HashSet::new();
    records
        .into_iter()
        .filter(|(_, h)| seen.insert(h.to_ascii_lowercase()))
        .take(MAX_HOSTS)
        .map(|(preference, name)| MailHost { name, preference })
        .collect()
}

/// The addresses of a mail host. IP literals pass through. Errors are temporary (a host
/// without addresses may get them back; the next host is tried).
pub async fn host_addrs(dns: &impl Dns, host: &str) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match dns.ips(host).await? {
        Answer::Records(ips) if !ips.is_empty() => Ok(ips),
        Answer::Records(_) | Answer::NoRecords => Err(format!("{host} has no A or AAAA record")),
        Answer::NoSuchDomain => Err(format!("{host} does not exist (NXDOMAIN)")),
    }
}

/// The SMTP port of mail hosts: 25, or [`MX_PORT_ENV`] (tests).
pub fn mx_port() -> u16 {
    std::env::var(MX_PORT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|p| *p > 0)
        .unwrap_or(25)
}

/// hickory-resolver with the system configuration or [`DNS_SERVER_ENV`].
pub struct HickoryDns {
    resolver: TokioResolver,
}

impl HickoryDns {
    /// A resolver per [`DNS_SERVER_ENV`] (or `/etc/resolv.conf`, with `/etc/hosts`),
    /// answering within `timeout`. Errors: a bad variable, no system configuration.
    pub fn new(timeout: Duration) -> Result<HickoryDns, String> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = match std::env::var(DNS_SERVER_ENV).ok().filter(|v| !v.is_empty()) {
            Some(v) => {
                let addr = parse_server(&v)
                    .ok_or_else(|| format!("{DNS_SERVER_ENV}={v:?} is not IP or IP:PORT"))?;
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                for c in &mut ns.connections {
                    c.port = addr.port();
                }
                let mut b = TokioResolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![ns]),
                    provider,
                );
                b.options_mut().use_hosts_file = ResolveHosts::Never;
                b
            }
            None => {
                let mut b = TokioResolver::builder(provider)
                    .map_err(|e| format!("no DNS configuration (/etc/resolv.conf): {e}"))?;
                b.options_mut().use_hosts_file = ResolveHosts::Always;
                b
            }
        };
        let opts = builder.options_mut();
        opts.timeout = timeout;
        opts.attempts = 2;
        // Not the platform store: it may be missing (static binary in a bare container).
        let builder = builder.with_tls_config(dns_tls_config());
        let resolver = builder
            .build()
            .map_err(|e| format!("DNS resolver setup: {e}"))?;
        Ok(HickoryDns { resolver })
    }
}

/// TLS settings for DNS-over-TLS (unused by the plain UDP/TCP servers configured here, but
/// required by hickory's builder when its TLS feature is compiled in).
fn dns_tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|b| {
        b.with_root_certificates(roots.clone())
            .with_no_client_auth()
    })
    .unwrap_or_else(|_| {
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth()
    })
}

fn parse_server(v: &str) -> Option<SocketAddr> {
    let v = v.trim();
    v.parse::<SocketAddr>()
        .ok()
        .or_else(|| v.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53)))
}

/// `name.` — absolute, so no search domains are appended.
fn fqdn(name: &str) -> String {
    let n = name.trim_end_matches('.');
    format!("{n}.")
}

fn classify<T>(e: hickory_resolver::net::NetError) -> Result<Answer<T>, String> {
    if e.is_nx_domain() {
        Ok(Answer::NoSuchDomain)
    } else if e.is_no_records_found() {
        Ok(Answer::NoRecords)
    } else {
        Err(e.to_string())
    }
}

impl Dns for HickoryDns {
    async fn mx(&self, domain: &str) -> Result<Answer<Vec<(u16, String)>>, String> {
        match self.resolver.mx_lookup(fqdn(domain)).await {
            Ok(l) => Ok(Answer::Records(
                l.answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::MX(mx) => Some((
                            mx.preference,
                            mx.exchange
                                .to_ascii()
                                .trim_end_matches('.')
                                .to_ascii_lowercase(),
                        )),
                        _ => None,
                    })
                    .collect(),
            )),
            Err(e) => classify(e),
        }
    }

    async fn ips(&self, host: &str) -> Result<Answer<Vec<IpAddr>>, String> {
        match self.resolver.lookup_ip(fqdn(host)).await {
            Ok(l) => Ok(Answer::Records(l.iter().collect())),
            Err(e) => classify(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    type MxAnswer = Result<Answer<Vec<(u16, String)>>, String>;

    /// A DNS table: name → MX answer, name → address answer; names missing are NXDOMAIN.
    #[derive(Default)]
    struct Table {
        mx: HashMap<String, MxAnswer>,
        ips: HashMap<String, Answer<Vec<IpAddr>>>,
    }

    impl Dns for Table {
        async fn mx(&self, d: &str) -> Result<Answer<Vec<(u16, String)>>, String> {
            self.mx.get(d).cloned().unwrap_or(Ok(Answer::NoSuchDomain))
        }
        async fn ips(&self, h: &str) -> Result<Answer<Vec<IpAddr>>, String> {
            Ok(self.ips.get(h).cloned().unwrap_or(Answer::NoSuchDomain))
        }
    }

    fn names(h: &[MailHost]) -> Vec<&str> {
        h.iter().map(|m| m.name.as_str()).collect()
    }

    #[tokio::test]
    async fn mx_hosts_come_in_preference_order() {
        let mut t = Table::default();
        t.mx.insert(
            "example.test".into(),
            Ok(Answer::Records(vec![
                (30, "c.example.test".into()),
                (10, "a.example.test".into()),
                (20, "b.example.test".into()),
                (10, "a.example.test".into()),
            ])),
        );
        let h = mail_hosts(&t, "Example.TEST.").await.unwrap();
        assert_eq!(
            names(&h),
            ["a.example.test", "b.example.test", "c.example.test"]
        );
    }

    #[tokio::test]
    async fn equal_preferences_are_all_kept() {
        let mut t = Table::default();
        t.mx.insert(
            "e.test".into(),
            Ok(Answer::Records(vec![
                (10, "x.e.test".into()),
                (10, "y.e.test".into()),
                (5, "first.e.test".into()),
            ])),
        );
        let h = mail_hosts(&t, "e.test").await.unwrap();
        assert_eq!(h[0].name, "first.e.test");
        let mut rest = names(&h[1..]);
        rest.sort();
        assert_eq!(rest, ["x.e.test", "y.e.test"]);
    }

    #[tokio::test]
    async fn no_mx_means_the_domain_itself() {
        let mut t = Table::default();
        t.mx.insert("plain.test".into(), Ok(Answer::NoRecords));
        let h = mail_hosts(&t, "plain.test").await.unwrap();
        assert_eq!(names(&h), ["plain.test"]);
    }

    #[tokio::test]
    async fn null_mx_and_nxdomain_are_permanent_dns_errors_temporary() {
        let mut t = Table::default();
        t.mx.insert(
            "null.test".into(),
            Ok(Answer::Records(vec![(0, String::new())])),
        );
        t.mx.insert("broken.test".into(), Err("SERVFAIL".into()));
        let e = mail_hosts(&t, "null.test").await.unwrap_err();
        assert!(e.permanent && e.message.contains("RFC 7505"), "{e:?}");
        let e = mail_hosts(&t, "gone.test").await.unwrap_err();
        assert!(e.permanent && e.message.contains("NXDOMAIN"), "{e:?}");
        let e = mail_hosts(&t, "broken.test").await.unwrap_err();
        assert!(!e.permanent && e.message.contains("SERVFAIL"), "{e:?}");
        assert!(mail_hosts(&t, "").await.unwrap_err().permanent);
    }

    #[tokio::test]
    async fn address_literals_need_no_mx() {
        let t = Table::default();
        let h = mail_hosts(&t, "[192.0.2.1]").await.unwrap();
        assert_eq!(names(&h), ["192.0.2.1"]);
    }

    #[tokio::test]
    async fn host_addresses() {
        let mut t = Table::default();
        t.ips.insert(
            "mx.test".into(),
            Answer::Records(vec!["127.0.0.1".parse().unwrap()]),
        );
        t.ips.insert("empty.test".into(), Answer::NoRecords);
        assert_eq!(
            host_addrs(&t, "mx.test").await.unwrap(),
            vec!["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
        assert!(host_addrs(&t, "empty.test").await.is_err());
        assert!(host_addrs(&t, "nx.test").await.is_err());
        assert_eq!(
            host_addrs(&t, "[::1]").await.unwrap(),
            vec!["::1".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn dns_server_addresses_parse() {
        assert_eq!(
            parse_server("127.0.0.1:5353"),
            Some("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(
            parse_server("10.0.0.1"),
            Some("10.0.0.1:53".parse().unwrap())
        );
        assert_eq!(parse_server("nonsense"), None);
    }
}
