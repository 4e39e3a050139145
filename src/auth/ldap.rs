//! Login against Active Directory or another LDAP directory (`ldap3` on rustls/ring).
//!
//! Only encrypted connections: `ldaps://` or `ldap://` with StartTLS (RFC 4513 §3), the
//! server certificate always verified (built-in roots plus an optional CA file). Two ways
//! to find the user: bind directly as `user@domain` (UPN, AD only), or bind as a service
//! account, search, then bind as the found DN (any directory). Nested groups are resolved
//! by walking `memberOf` upwards (bounded depth) instead of AD's in-chain matching rule
//! 1.2.840.113556.1.4.1941, which OpenLDAP does not implement. Disabled or expired
//! accounts are refused: AD's `userAccountControl` bit 2 (ACCOUNTDISABLE), `accountExpires`
//! (FILETIME), OpenLDAP ppolicy's `pwdAccountLockedTime`, and an optional filter.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use rustls::ClientConfig;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};

use super::User;
use crate::error::{Error, Result};
use crate::store::{Reader, Table, WriteTx};

/// Settings-table key of [`LdapConfig`].
pub const LDAP_KEY: &[u8] = b"security_ldap";
/// Time allowed for connecting and for each operation.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Local password hash of directory accounts: not a PHC string, so it never verifies.
pub const DIRECTORY_HASH: &str = "!directory";

/// How the user's entry is found and the password checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BindMode {
    /// Bind as the service account, search the user, bind as the user's DN.
    SearchThenBind,
    /// Bind as `login@upn_domain` (or the login if it has an `@`), then read the own entry.
    Upn,
}

/// Directory connection and mapping, edited on `/admin/ldap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapConfig {
    /// Whether unknown names are checked against the directory at login.
    pub enabled: bool,
    /// `ldaps://host:636` or `ldap://host:389` (the latter only with `starttls`).
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS (required for `ldap://`).
    pub starttls: bool,
    /// PEM file with the CA that issued the directory's certificate (added to the roots).
    pub ca_file: String,
    pub bind_mode: BindMode,
    /// Domain appended to a bare login in UPN mode.
    pub upn_domain: String,
    /// Service account DN (search-then-bind).
    pub bind_dn: String,
    /// Service account password (stored in the Settings table like the relay password).
    pub bind_password: String,
    /// Where users and groups are searched.
    pub base_dn: String,
    /// Filter with `{login}` replaced by the escaped login (RFC 4515).
    pub user_filter: String,
    /// Attribute holding the e-mail address trygg uses as the account name.
    pub mail_attr: String,
    /// Attribute with the display name.
    pub name_attr: String,
    /// Extra filter: a user entry matching it is disabled. Empty: none.
    pub disabled_filter: String,
    /// Group DN → trygg role name.
    pub group_roles: Vec<(String, String)>,
    /// How many levels of nested groups are followed.
    pub max_depth: u32,
}

impl Default for LdapConfig {
    fn default() -> Self {
        LdapConfig {
            enabled: false,
            url: String::new(),
            starttls: false,
            ca_file: String::new(),
            bind_mode: BindMode::SearchThenBind,
            upn_domain: String::new(),
            bind_dn: String::new(),
            bind_password: String::new(),
            base_dn: String::new(),
            user_filter: "(&(objectClass=user)(|(sAMAccountName={login})(userPrincipalName={login})(mail={login})))".into(),
            mail_attr: "mail".into(),
            name_attr: "displayName".into(),
            disabled_filter: String::new(),
            group_roles: Vec::new(),
            max_depth: 8,
        }
    }
}

impl LdapConfig {
    /// Checks the fields. Errors: `Invalid` naming the field.
    pub fn validated(self) -> Result<LdapConfig> {
        let url = self.url.trim().to_lowercase();
        if self.enabled || !url.is_empty() {
            if url.starts_with("ldap://") {
                if !self.starttls {
                    return Err(Error::invalid(
                        "directory: ldap:// needs StartTLS (or use ldaps://)",
                    ));
                }
            } else if !url.starts_with("ldaps://") {
                return Err(Error::invalid(
                    "directory: URL must start with ldaps:// or ldap://",
                ));
            }
        }
        if self.enabled {
            if self.base_dn.trim().is_empty() {
                return Err(Error::invalid("directory: base DN missing"));
            }
            if !self.user_filter.contains("{login}") {
                return Err(Error::invalid(
                    "directory: user filter must contain {login}",
                ));
            }
            if self.bind_mode == BindMode::SearchThenBind && self.bind_dn.trim().is_empty() {
                return Err(Error::invalid("directory: service account DN missing"));
            }
            if self.group_roles.is_empty() {
                return Err(Error::invalid(
                    "directory: map at least one group to a role",
                ));
            }
        }
        if self.max_depth > 32 {
            return Err(Error::invalid("directory: nesting depth at most 32"));
        }
        Ok(self)
    }
}

/// The stored directory configuration, if any.
pub fn load(r: &impl Reader) -> Result<Option<LdapConfig>> {
    r.get_rec(Table::Settings, LDAP_KEY)
}

/// Stores `c` after validation.
pub fn save(tx: &mut WriteTx, c: LdapConfig) -> Result<()> {
    let c = c.validated()?;
    tx.put_rec(Table::Settings, LDAP_KEY, &c)
}

/// A user the directory accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The entry's DN as the server returned it.
    pub dn: String,
    /// Lower-case e-mail address (the trygg account name).
    pub email: String,
    pub name: String,
    /// Every group reached, directly or nested (normalised DNs).
    pub groups: Vec<String>,
    /// trygg role names mapped from the groups.
    pub roles: Vec<String>,
}

/// Why the directory refused or failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirError {
    /// No such user, or wrong password.
    BadCredentials,
    /// The account is disabled, locked or expired.
    Disabled,
    /// None of the user's groups maps to a role.
    NoRole,
    /// Connection, TLS or service-account failure.
    Unavailable(String),
}

impl std::fmt::Display for DirError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DirError::BadCredentials => f.write_str("wrong user name or password"),
            DirError::Disabled => f.write_str("the account is disabled or expired"),
            DirError::NoRole => f.write_str("no group of the user maps to a role"),
            DirError::Unavailable(m) => write!(f, "directory unavailable: {m}"),
        }
    }
}

/// A normalised DN for comparisons: lower case, no spaces around separators, `\,` as `\2c`.
pub fn normalise_dn(dn: &str) -> String {
    dn.split(',')
        .map(|s| s.trim())
        .collect::<Vec<_>>()
        .join(",")
        .replace("\\,", "\\2c")
        .replace("\\2C", "\\2c")
        .replace(" = ", "=")
        .to_lowercase()
        .replace("\\2c ", "\\2c")
}

fn tls_config(ca_file: &str) -> std::result::Result<Arc<ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let ca = ca_file.trim();
    if !ca.is_empty() {
        let certs = CertificateDer::pem_file_iter(ca)
            .map_err(|e| format!("CA file {ca}: cannot read: {e}"))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| format!("CA file {ca}: bad PEM: {e}"))?;
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(format!("CA file {ca}: no usable certificate"));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

async fn connect(cfg: &LdapConfig) -> std::result::Result<ldap3::Ldap, DirError> {
    let url = cfg.url.trim();
    let lower = url.to_lowercase();
    let starttls = lower.starts_with("ldap://");
    if starttls && !cfg.starttls {
        return Err(DirError::Unavailable(
            "ldap:// without StartTLS is refused".into(),
        ));
    }
    if !starttls && !lower.starts_with("ldaps://") {
        return Err(DirError::Unavailable(
            "URL must be ldaps:// or ldap://".into(),
        ));
    }
    let tls = tls_config(&cfg.ca_file).map_err(DirError::Unavailable)?;
    // Our own TCP connection: the host name is resolved with hickory, never with libc
    // (getaddrinfo is not usable from the static binary); TLS still checks the URL's name.
    let tcp = tcp_connect(url).await.map_err(DirError::Unavailable)?;
    let settings = LdapConnSettings::new()
        .set_conn_timeout(TIMEOUT)
        .set_config(tls)
        .set_starttls(starttls)
        .set_std_stream(ldap3::StdStream::Tcp(tcp));
    let (conn, mut ldap) = LdapConnAsync::with_settings(settings, url)
        .await
        .map_err(|e| DirError::Unavailable(format!("connect {url}: {e}")))?;
    ldap3::drive!(conn);
    ldap.with_timeout(TIMEOUT);
    Ok(ldap)
}

/// Host and port of an `ldap://` or `ldaps://` URL (default ports 389 and 636).
fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let default = if scheme.eq_ignore_ascii_case("ldaps") {
        636
    } else {
        389
    };
    let authority = rest.split(['/', '?']).next()?;
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((authority.to_string(), default)),
    }
    .filter(|(h, _)| !h.is_empty())
}

/// Connects to the URL's host: each resolved address in turn, within [`TIMEOUT`].
async fn tcp_connect(url: &str) -> std::result::Result<std::net::TcpStream, String> {
    use crate::mail::outbound::mx;
    let (host, port) = host_port(url).ok_or_else(|| format!("not an LDAP URL: {url}"))?;
    let addrs = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let dns = mx::HickoryDns::new(TIMEOUT)?;
            mx::host_addrs(&dns, &host).await?
        }
    };
    let mut last = format!("{host} has no address");
    for ip in addrs {
        let sa = std::net::SocketAddr::new(ip, port);
        match tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(sa)).await {
            Ok(Ok(s)) => return s.into_std().map_err(|e| format!("{sa}: {e}")),
            Ok(Err(e)) => last = format!("connect {sa}: {e}"),
            Err(_) => last = format!("connect {sa}: timed out"),
        }
    }
    Err(last)
}

fn unavailable(what: &str) -> impl Fn(ldap3::LdapError) -> DirError + '_ {
    move |e| DirError::Unavailable(format!("{what}: {e}"))
}

/// The first value of attribute `name` (case-insensitive).
fn attr<'a>(e: &'a SearchEntry, name: &str) -> Option<&'a str> {
    attrs(e, name).first().map(String::as_str)
}

fn attrs<'a>(e: &'a SearchEntry, name: &str) -> &'a [String] {
    e.attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
        .unwrap_or(&[])
}

/// Parses entries without letting a malformed one panic the server.
fn entries(rs: Vec<ldap3::ResultEntry>) -> Vec<SearchEntry> {
    rs.into_iter()
        .filter_map(|re| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| SearchEntry::construct(re)))
                .ok()
        })
        .collect()
}

/// Whether the entry says the account is disabled or expired at `now_ms`.
fn entry_disabled(e: &SearchEntry, now_ms: i64) -> bool {
    let uac_disabled = attr(e, "userAccountControl")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .is_some_and(|v| v & 2 != 0);
    // accountExpires: 100-ns intervals since 1601-01-01; 0 and i64::MAX mean never.
    let expired = attr(e, "accountExpires")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|&v| v != 0 && v != i64::MAX)
        .is_some_and(|v| (v / 10_000 - 11_644_473_600_000) <= now_ms);
    let locked = !attrs(e, "pwdAccountLockedTime").is_empty();
    uac_disabled || expired || locked
}

const USER_ATTRS: [&str; 8] = [
    "mail",
    "displayName",
    "cn",
    "userPrincipalName",
    "memberOf",
    "userAccountControl",
    "accountExpires",
    "pwdAccountLockedTime",
];

/// Walks from the direct groups up through each group's `memberOf`, breadth first, at
/// most `max_depth` levels; each group is read once (cycles end).
async fn resolve_groups(
    ldap: &mut ldap3::Ldap,
    direct: &[String],
    max_depth: u32,
) -> std::result::Result<Vec<String>, DirError> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    let mut frontier: Vec<String> = direct.to_vec();
    for _ in 0..=max_depth {
        let mut next = Vec::new();
        for g in frontier {
            let norm = normalise_dn(&g);
            if !seen.insert(norm.clone()) {
                continue;
            }
            out.push(norm);
            let (rs, _) = ldap
                .search(&g, Scope::Base, "(objectClass=*)", vec!["memberOf"])
                .await
                .map_err(unavailable("group search"))?
                .non_error()
                .map_err(unavailable("group search"))?;
            for e in entries(rs) {
                next.extend(attrs(&e, "memberOf").iter().cloned());
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Ok(out)
}

/// Role names for `groups` under `cfg.group_roles` (sorted, unique).
pub fn roles_for(cfg: &LdapConfig, groups: &[String]) -> Vec<String> {
    let mut roles: Vec<String> = cfg
        .group_roles
        .iter()
        .filter(|(g, _)| groups.contains(&normalise_dn(g)))
        .map(|(_, r)| r.trim().to_lowercase())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// One step of the admin's connection test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestStep {
    /// The step: connect, bind, user found, account enabled, groups, user bind.
    pub what: String,
    pub ok: bool,
    /// What was found or the server's error.
    pub detail: String,
}

/// Checks `login`/`password` against the directory. `report`, when given, receives each
/// step (connect, service bind, user found, disabled, groups, user bind).
async fn run(
    cfg: &LdapConfig,
    login: &str,
    password: Option<&str>,
    report: &mut Vec<TestStep>,
) -> std::result::Result<DirectoryUser, DirError> {
    let mut step = |what: &str, ok: bool, detail: String| {
        report.push(TestStep {
            what: what.into(),
            ok,
            detail,
        })
    };
    let mut ldap = match connect(cfg).await {
        Ok(l) => {
            step("connect", true, format!("{} (TLS verified)", cfg.url));
            l
        }
        Err(e) => {
            step("connect", false, e.to_string());
            return Err(e);
        }
    };
    let login = login.trim();
    if login.is_empty() || login.len() > 256 {
        return Err(DirError::BadCredentials);
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let filter = cfg.user_filter.replace("{login}", &ldap_escape(login));
    // 1. Bind (service account, or the user by UPN) and find the entry.
    let upn = if login.contains('@') || cfg.upn_domain.trim().is_empty() {
        login.to_string()
    } else {
        format!("{login}@{}", cfg.upn_domain.trim())
    };
    let (bind_name, bind_pw) = match cfg.bind_mode {
        BindMode::SearchThenBind => (cfg.bind_dn.clone(), cfg.bind_password.clone()),
        BindMode::Upn => (upn.clone(), password.unwrap_or("").to_string()),
    };
    if bind_pw.is_empty() {
        // An empty password is an unauthenticated bind (RFC 4513 §5.1.2): never accept it.
        step("bind", false, "no password".into());
        return Err(match cfg.bind_mode {
            BindMode::Upn => DirError::BadCredentials,
            BindMode::SearchThenBind => DirError::Unavailable("service password missing".into()),
        });
    }
    let bound = ldap
        .simple_bind(&bind_name, &bind_pw)
        .await
        .map_err(unavailable("bind"))?;
    if bound.rc != 0 {
        step(
            "bind",
            false,
            format!("{bind_name}: {} ({})", bound.text, bound.rc),
        );
        return Err(match cfg.bind_mode {
            BindMode::Upn if bound.rc == 49 => DirError::BadCredentials,
            _ => DirError::Unavailable(format!("service bind refused ({})", bound.rc)),
        });
    }
    step("bind", true, bind_name.clone());
    let (rs, _) = ldap
        .search(
            cfg.base_dn.trim(),
            Scope::Subtree,
            &filter,
            USER_ATTRS.to_vec(),
        )
        .await
        .map_err(unavailable("user search"))?
        .non_error()
        .map_err(unavailable("user search"))?;
    let found = entries(rs);
    if found.len() != 1 {
        step(
            "user found",
            false,
            format!("{} entries for {filter}", found.len()),
        );
        return Err(DirError::BadCredentials);
    }
    let entry = &found[0];
    step("user found", true, entry.dn.clone());
    // 2. Disabled or expired?
    let mut disabled = entry_disabled(entry, now);
    if !disabled && !cfg.disabled_filter.trim().is_empty() {
        let (rs, _) = ldap
            .search(
                &entry.dn,
                Scope::Base,
                cfg.disabled_filter.trim(),
                vec!["1.1"],
            )
            .await
            .map_err(unavailable("disabled filter"))?
            .non_error()
            .map_err(unavailable("disabled filter"))?;
        disabled = !rs.is_empty();
    }
    step("account enabled", !disabled, String::new());
    // 3. Groups, nested.
    let groups = resolve_groups(&mut ldap, attrs(entry, "memberOf"), cfg.max_depth).await?;
    let roles = roles_for(cfg, &groups);
    step(
        "groups",
        !roles.is_empty(),
        format!("{} → roles [{}]", groups.join("; "), roles.join(", ")),
    );
    // 4. The password, by binding as the user.
    if let Some(pw) = password {
        if pw.is_empty() {
            return Err(DirError::BadCredentials);
        }
        if cfg.bind_mode == BindMode::SearchThenBind {
            let r = ldap
                .simple_bind(&entry.dn, pw)
                .await
                .map_err(unavailable("user bind"))?;
            step(
                "user bind",
                r.rc == 0,
                format!(
                    "{} ({})",
                    if r.text.is_empty() { "ok" } else { &r.text },
                    r.rc
                ),
            );
            if r.rc != 0 {
                let _ = ldap.unbind().await;
                // ppolicy refuses a locked account's bind with 49 as well.
                return Err(if disabled {
                    DirError::Disabled
                } else {
                    DirError::BadCredentials
                });
            }
        }
    }
    let _ = ldap.unbind().await;
    if disabled {
        return Err(DirError::Disabled);
    }
    if roles.is_empty() {
        return Err(DirError::NoRole);
    }
    let email = attr(entry, &cfg.mail_attr)
        .or_else(|| attr(entry, "userPrincipalName"))
        .unwrap_or("")
        .trim()
        .to_lowercase();
    if !email.contains('@') {
        return Err(DirError::Unavailable(format!(
            "{} has no e-mail address in {}",
            entry.dn, cfg.mail_attr
        )));
    }
    let name = attr(entry, &cfg.name_attr)
        .or_else(|| attr(entry, "cn"))
        .unwrap_or(&email)
        .to_string();
    Ok(DirectoryUser {
        dn: entry.dn.clone(),
        email,
        name,
        groups,
        roles,
    })
}

/// Checks `login` and `password` against the directory.
pub async fn authenticate(
    cfg: &LdapConfig,
    login: &str,
    password: &str,
) -> std::result::Result<DirectoryUser, DirError> {
    if password.is_empty() {
        return Err(DirError::BadCredentials);
    }
    run(cfg, login, Some(password), &mut Vec::new()).await
}

/// The admin's connection test: each step with its result; the password is optional
/// (without it, the user is looked up but not bound).
pub async fn test(
    cfg: &LdapConfig,
    login: &str,
    password: Option<&str>,
) -> (Vec<TestStep>, String) {
    let mut steps = Vec::new();
    let r = run(cfg, login, password.filter(|p| !p.is_empty()), &mut steps).await;
    let summary = match r {
        Ok(u) => format!("{} → {} [{}]", u.dn, u.email, u.roles.join(", ")),
        Err(e) => e.to_string(),
    };
    (steps, summary)
}

/// Provisions or updates the account `email` from the directory with `role_names`
/// (trygg role names, already mapped from directory groups). Names of roles that do not
/// exist in trygg are dropped; no remaining role disables the account (and so ends its
/// sessions at the next request). Returns the stored user.
pub fn apply_directory_roles(
    tx: &mut WriteTx,
    email: &str,
    name: &str,
    role_names: &[String],
    now_ms: i64,
) -> Result<User> {
    let mut roles: Vec<String> = Vec::new();
    for r in role_names {
        if !roles.contains(r) && crate::auth::roles::get(tx, r)?.is_some() {
            roles.push(r.clone());
        }
    }
    let existing: Option<User> = tx.get_rec(Table::Users, email.as_bytes())?;
    let mut u = existing.unwrap_or_else(|| User {
        email: email.to_string(),
        name: name.to_string(),
        password_hash: DIRECTORY_HASH.to_string(),
        roles: Vec::new(),
        disabled: false,
        created_ms: now_ms,
    });
    u.name = name.to_string();
    u.password_hash = DIRECTORY_HASH.to_string();
    u.disabled = roles.is_empty();
    if !roles.is_empty() {
        u.roles = roles;
    }
    tx.put_rec(Table::Users, email.as_bytes(), &u)?;
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_and_port() {
        assert_eq!(
            host_port("ldaps://dc1.ad.example:3269"),
            Some(("dc1.ad.example".into(), 3269))
        );
        assert_eq!(
            host_port("ldaps://dc1.ad.example/"),
            Some(("dc1.ad.example".into(), 636))
        );
        assert_eq!(host_port("ldap://[::1]:389"), Some(("::1".into(), 389)));
        assert_eq!(host_port("ldap://[::1]"), Some(("::1".into(), 389)));
        assert_eq!(host_port("ldaps://"), None);
        assert_eq!(host_port("dc1"), None);
    }

    #[test]
    fn dns_compare_normalised_and_roles_map() {
        assert_eq!(
            normalise_dn("CN=Berg\\, Bo, OU=Users,DC=trygg,DC=test"),
            normalise_dn("cn=Berg\\2C Bo,ou=users,dc=trygg,dc=test")
        );
        let cfg = LdapConfig {
            group_roles: vec![
                ("CN=helpdesk-admins,OU=Groups,DC=t".into(), "admin".into()),
                ("cn=helpdesk-all,ou=groups,dc=t".into(), "agent".into()),
            ],
            ..LdapConfig::default()
        };
        assert_eq!(
            roles_for(&cfg, &["cn=helpdesk-all,ou=groups,dc=t".into()]),
            vec!["agent"]
        );
        let mut e = SearchEntry {
            dn: "cn=x".into(),
            attrs: Default::default(),
            bin_attrs: Default::default(),
        };
        assert!(!entry_disabled(&e, 0));
        e.attrs
            .insert("userAccountControl".into(), vec!["514".into()]);
        assert!(entry_disabled(&e, 0));
        e.attrs
            .insert("userAccountControl".into(), vec!["512".into()]);
        // accountExpires 2020-01-01 = 132223104000000000
        e.attrs
            .insert("accountExpires".into(), vec!["132223104000000000".into()]);
        assert!(entry_disabled(&e, 1_700_000_000_000));
        assert!(!entry_disabled(&e, 1_500_000_000_000));
        assert!(
            LdapConfig {
                enabled: true,
                url: "ldap://x".into(),
                ..LdapConfig::default()
            }
            .validated()
            .is_err()
        );
    }
}
