//! Runtime settings kept in the store (so they are backed up and replicated), and the
//! first-run setup that writes them.

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::{self, Role};
use crate::error::{Error, Result};
use crate::store::{Reader, Table, WriteTx};

/// TLS policy towards the smarthost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelayTls {
    /// Plain SMTP; never STARTTLS (only for a relay on the same host or a trusted LAN).
    None,
    /// STARTTLS when the relay offers it, plain otherwise.
    Opportunistic,
    /// STARTTLS required with a verified certificate; mail waits rather than going out in clear.
    Required,
}

impl RelayTls {
    /// Parses `none`, `opportunistic` or `required` (the CLI and form values).
    pub fn parse(s: &str) -> Result<RelayTls> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(RelayTls::None),
            "opportunistic" | "starttls-if-offered" => Ok(RelayTls::Opportunistic),
            "required" | "starttls" => Ok(RelayTls::Required),
            other => Err(Error::invalid(format!(
                "relay TLS mode must be none, opportunistic or required, not {other:?}"
            ))),
        }
    }
    /// The value [`RelayTls::parse`] accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            RelayTls::None => "none",
            RelayTls::Opportunistic => "opportunistic",
            RelayTls::Required => "required",
        }
    }
}

/// The outbound smarthost (the organisation's own mail server or provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relay {
    /// Host name or IP literal.
    pub host: String,
    pub port: u16,
    pub tls: RelayTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl Relay {
    /// Parses `HOST:PORT` (`[v6]:PORT` for IPv6 literals); the port defaults to 25.
    pub fn parse_addr(s: &str) -> Result<(String, u16)> {
        let s = s.trim();
        let bad = || {
            Error::invalid(format!(
                "relay must be HOST:PORT, e.g. mail.example.com:587, not {s:?}"
            ))
        };
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, p) = rest.split_once(']').ok_or_else(bad)?;
            (h.to_string(), p.strip_prefix(':'))
        } else if s.matches(':').count() == 1 {
            let (h, p) = s.split_once(':').ok_or_else(bad)?;
            (h.to_string(), Some(p))
        } else {
            (s.to_string(), None)
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?,
            None => 25,
        };
        // A colon only belongs in an IPv6 literal (`[2001:db8::1]:25` or bare `2001:db8::1`).
        let valid_host = if host.contains(':') {
            host.parse::<std::net::Ipv6Addr>().is_ok()
        } else {
            !host.is_empty()
                && host.len() <= 253
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        };
        if !valid_host {
            return Err(bad());
        }
        Ok((host, port))
    }
}

/// Organisation-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub org_name: String,
    /// Support addresses, lower case; mail to any other recipient is refused (550).
    pub mailboxes: Vec<String>,
    pub relay: Option<Relay>,
    /// Secret for HMACs in our Message-IDs (hex, 32 bytes), generated at setup.
    pub secret_hex: String,
    /// Unix milliseconds when setup finished.
    pub setup_ms: i64,
}

const SETTINGS_KEY: &[u8] = b"settings";

// ---- outbound (delivery mode, retry period, EHLO name) -----------------------------------

/// How outgoing mail leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryMode {
    /// Through the smarthost in [`Settings::relay`].
    Relay,
    /// Straight to each recipient domain's mail hosts, found by MX lookup (RFC 5321 §5.1).
    Direct,
}

impl DeliveryMode {
    /// Parses `relay` or `direct` (the CLI and form values).
    pub fn parse(s: &str) -> Result<DeliveryMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relay" | "smarthost" => Ok(DeliveryMode::Relay),
            "direct" | "mx" => Ok(DeliveryMode::Direct),
            other => Err(Error::invalid(format!(
                "delivery mode must be relay or direct, not {other:?}"
            ))),
        }
    }
    /// The value [`DeliveryMode::parse`] accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::Relay => "relay",
            DeliveryMode::Direct => "direct",
        }
    }
}

/// TLS towards recipients' mail hosts in direct delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DirectTls {
    /// STARTTLS whenever offered, certificate not verified (RFC 7435 opportunistic
    /// security, as MTAs do by default: most MX certificates do not match the MX name);
    /// plain text only to hosts that offer no STARTTLS.
    Opportunistic,
    /// STARTTLS required with a certificate valid for the MX host name; mail waits (and
    /// finally fails) rather than going out unencrypted or to an unverified host.
    Required,
}

impl DirectTls {
    /// Parses `opportunistic` or `required`.
    pub fn parse(s: &str) -> Result<DirectTls> {
        match s.trim().to_ascii_lowercase().as_str() {
            "opportunistic" | "may" => Ok(DirectTls::Opportunistic),
            "required" | "forced" | "encrypt" => Ok(DirectTls::Required),
            other => Err(Error::invalid(format!(
                "direct delivery TLS must be opportunistic or required, not {other:?}"
            ))),
        }
    }
    /// The value [`DirectTls::parse`] accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            DirectTls::Opportunistic => "opportunistic",
            DirectTls::Required => "required",
        }
    }
}

/// Outbound delivery settings, stored under [`OUTBOUND_KEY`] (apart from [`Settings`],
/// so older stores keep working: missing means [`OutboundSettings::default`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundSettings {
    pub mode: DeliveryMode,
    pub direct_tls: DirectTls,
    /// How long temporary failures are retried, counted from when the mail was queued,
    /// milliseconds (default [`DEFAULT_RETRY_PERIOD_MS`] = 5 days, RFC 5321 §4.5.4.1).
    pub retry_period_ms: i64,
    /// This server's public host name: the EHLO name in direct delivery and the host the
    /// SPF advice authorises. `None`: the sender's domain.
    pub public_host: Option<String>,
}

/// Settings-table key of [`OutboundSettings`].
pub const OUTBOUND_KEY: &[u8] = b"outbound";
/// Default retry period: 5 days, in milliseconds.
pub const DEFAULT_RETRY_PERIOD_MS: i64 = 5 * 24 * 3600 * 1000;
/// Shortest retry period accepted: 1 second (tests use a few seconds).
pub const MIN_RETRY_PERIOD_MS: i64 = 1000;
/// Longest retry period accepted: 30 days.
pub const MAX_RETRY_PERIOD_MS: i64 = 30 * 24 * 3600 * 1000;

impl Default for OutboundSettings {
    fn default() -> Self {
        OutboundSettings {
            mode: DeliveryMode::Relay,
            direct_tls: DirectTls::Opportunistic,
            retry_period_ms: DEFAULT_RETRY_PERIOD_MS,
            public_host: None,
        }
    }
}

impl OutboundSettings {
    /// Checks the values; returns them normalised. Errors: `Invalid` naming the field.
    pub fn validated(mut self) -> Result<OutboundSettings> {
        if !(MIN_RETRY_PERIOD_MS..=MAX_RETRY_PERIOD_MS).contains(&self.retry_period_ms) {
            return Err(Error::invalid(
                "retry period: give between 1 second and 30 days",
            ));
        }
        if let Some(h) = &self.public_host {
            let h = h.trim().trim_end_matches('.').to_ascii_lowercase();
            let ok = h.len() <= 253
                && h.contains('.')
                && h.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if h.is_empty() {
                self.public_host = None;
            } else if ok {
                self.public_host = Some(h);
            } else {
                return Err(Error::invalid(format!(
                    "public host name: {h:?} is not a fully qualified host name"
                )));
            }
        }
        Ok(self)
    }
}

/// Parses a period such as `5d`, `36h`, `90m`, `30s` (or plain seconds) into milliseconds.
/// Errors: `Invalid` for anything else or a value outside 1 s to 30 days.
pub fn parse_period_ms(s: &str) -> Result<i64> {
    let t = s.trim().to_ascii_lowercase();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t.as_str(), "s"),
    };
    let mult: i64 = match unit.trim() {
        "s" => 1000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => 0,
    };
    let ms = num
        .parse::<i64>()
        .ok()
        .filter(|_| mult > 0)
        .and_then(|n| n.checked_mul(mult))
        .filter(|ms| (MIN_RETRY_PERIOD_MS..=MAX_RETRY_PERIOD_MS).contains(ms));
    ms.ok_or_else(|| {
        Error::invalid(format!(
            "retry period: {s:?} must be a number with s, m, h or d, from 1s to 30d"
        ))
    })
}

/// The outbound settings, or the defaults when none are stored.
pub fn load_outbound(r: &impl Reader) -> Result<OutboundSettings> {
    Ok(r.get_rec(Table::Settings, OUTBOUND_KEY)?
        .unwrap_or_default())
}

/// Stores `o` (the caller validates and checks permissions).
pub fn save_outbound(tx: &mut WriteTx, o: &OutboundSettings) -> Result<()> {
    tx.put_rec(Table::Settings, OUTBOUND_KEY, o)
}

/// The outbound choices of the wizard and `trygg setup` beyond the relay.
#[derive(Debug, Clone, Default)]
pub struct OutboundSetup {
    /// `None`: [`OutboundSettings::default`] (relay mode).
    pub outbound: Option<OutboundSettings>,
    /// DKIM selector base; `None`: [`crate::mail::outbound::dkim::DEFAULT_SELECTOR`].
    pub dkim_selector: Option<String>,
}

/// What the admin's mail delivery form sends. Empty strings mean "not given".
#[derive(Debug, Clone, Default)]
pub struct DeliveryForm {
    pub mode: String,
    /// `HOST:PORT`, or empty for no smarthost.
    pub relay: String,
    pub relay_tls: String,
    pub relay_user: String,
    /// Empty keeps the stored password (it is never shown again).
    pub relay_password: String,
    pub direct_tls: String,
    pub public_host: String,
    /// Retry period in hours (decimal allowed, e.g. `0.5`).
    pub retry_hours: String,
}

/// Applies the admin's mail delivery form in one transaction: the relay in [`Settings`]
/// and the [`OutboundSettings`]. Errors: `Invalid` naming the field; `Unavailable` before
/// setup.
pub fn update_delivery(app: &App, f: &DeliveryForm) -> Result<()> {
    let mode = DeliveryMode::parse(&f.mode)?;
    let direct_tls = DirectTls::parse(&f.direct_tls)?;
    let hours: f64 = f.retry_hours.trim().parse().map_err(|_| {
        Error::invalid(format!(
            "retry period: {:?} is not a number of hours",
            f.retry_hours
        ))
    })?;
    if !hours.is_finite() {
        return Err(Error::invalid("retry period: give a number of hours"));
    }
    let outbound = OutboundSettings {
        mode,
        direct_tls,
        retry_period_ms: (hours * 3_600_000.0).round() as i64,
        public_host: Some(f.public_host.clone()).filter(|h| !h.trim().is_empty()),
    }
    .validated()?;
    let relay_addr = f.relay.trim();
    let parsed = if relay_addr.is_empty() {
        None
    } else {
        let (host, port) = Relay::parse_addr(relay_addr)?;
        Some((host, port, RelayTls::parse(&f.relay_tls)?))
    };
    if mode == DeliveryMode::Relay && parsed.is_none() {
        return Err(Error::invalid(
            "smarthost: relay mode needs a HOST:PORT (or choose direct delivery)",
        ));
    }
    let now = app.now_ms();
    app.store.write(now, |tx| {
        let mut s = load(tx)?.ok_or_else(|| Error::unavailable("trygg is not set up yet"))?;
        s.relay = parsed.clone().map(|(host, port, tls)| {
            let user = f.relay_user.trim().to_string();
            let old_password = s.relay.as_ref().and_then(|r| r.password.clone());
            let password = if f.relay_password.is_empty() {
                old_password
            } else {
                Some(f.relay_password.clone())
            };
            Relay {
                host,
                port,
                tls,
                password: password.filter(|_| !user.is_empty()),
                username: (!user.is_empty()).then_some(user),
            }
        });
        save(tx, &s)?;
        save_outbound(tx, &outbound)
    })
}

// ---- end outbound ------------------------------------------------------------------------

/// The settings, or `None` before setup.
pub fn load(r: &impl Reader) -> Result<Option<Settings>> {
    r.get_rec(Table::Settings, SETTINGS_KEY)
}

/// Stores `s` (admin changes; the caller checks permissions).
pub fn save(tx: &mut WriteTx, s: &Settings) -> Result<()> {
    tx.put_rec(Table::Settings, SETTINGS_KEY, s)
}

/// Whether setup has been completed.
pub fn is_set_up(app: &App) -> Result<bool> {
    Ok(app.store.read(load)?.is_some())
}

/// What the setup wizard and `trygg setup` ask for.
#[derive(Debug, Clone)]
pub struct SetupInput {
    pub org_name: String,
    pub admin_email: String,
    pub admin_password: String,
    /// One or more support addresses.
    pub mailboxes: Vec<String>,
    pub relay: Option<Relay>,
}

/// Validates an e-mail address's shape (local@domain, no spaces/brackets), returns it lower
/// case. Errors name the field.
pub fn normalise_address(field: &str, s: &str) -> Result<String> {
    let a = s.trim().to_lowercase();
    let ok = a.len() <= 254
        && a.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !d.contains("..")
        })
        && a.matches('@').count() == 1
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c));
    if ok {
        Ok(a)
    } else {
        Err(Error::invalid(format!(
            "{field}: {s:?} is not an e-mail address"
        )))
    }
}

/// Finishes first-run setup in one transaction: settings, the first admin account, relay
/// mode and freshly generated DKIM keys (selector [`crate::mail::outbound::dkim::DEFAULT_SELECTOR`]).
///
/// Errors: `Conflict` if setup was already done; `Invalid` naming the field to fix.
pub fn run_setup(app: &App, input: SetupInput) -> Result<()> {
    run_setup_with(app, input, OutboundSetup::default())
}

/// [`run_setup`] with the outbound choices: delivery mode, TLS, retry period and the DKIM
/// selector. Both DKIM keys (RSA-2048, Ed25519) are generated before the transaction.
///
/// Errors: as [`run_setup`]; `Invalid` for a bad selector or outbound value; direct
/// delivery needs no relay, relay mode works without one (mail then waits).
pub fn run_setup_with(app: &App, input: SetupInput, out: OutboundSetup) -> Result<()> {
    let outbound = out.outbound.unwrap_or_default().validated()?;
    let selector = out
        .dkim_selector
        .unwrap_or_else(|| crate::mail::outbound::dkim::DEFAULT_SELECTOR.to_string());
    crate::mail::outbound::dkim::check_selector(&selector)?;
    run_setup_inner(app, input, outbound, &selector)
}

fn run_setup_inner(
    app: &App,
    input: SetupInput,
    outbound: OutboundSettings,
    selector: &str,
) -> Result<()> {
    let org = input.org_name.trim().to_string();
    if org.is_empty() || org.chars().count() > 200 {
        return Err(Error::invalid(
            "organisation name: give 1 to 200 characters",
        ));
    }
    let admin = normalise_address("admin e-mail", &input.admin_email)?;
    let mut mailboxes = Vec::new();
    for m in &input.mailboxes {
        for part in m.split([',', ' ', '\n']).filter(|p| !p.trim().is_empty()) {
            let a = normalise_address("support mailbox", part)?;
            if !mailboxes.contains(&a) {
                mailboxes.push(a);
            }
        }
    }
    if mailboxes.is_empty() {
        return Err(Error::invalid("support mailbox: give at least one address"));
    }
    // Mail from a support address counts as our own (outgoing, never answered), so the
    // admin's personal address must be another one.
    if mailboxes.contains(&admin) {
        return Err(Error::invalid(
            "admin e-mail: use a personal address, not one of the support mailboxes",
        ));
    }
    // The default password policy (strength, organisation words) from the first account on.
    let words = auth::policy::org_words_from(&input.org_name, &mailboxes, &admin, "");
    auth::policy::check_password(
        &auth::policy::SecurityPolicy::default(),
        &input.admin_password,
        &words,
    )?;
    let hash = auth::password::hash(&input.admin_password)?;
    let mut secret = [0u8; 32];
    rand::Rng::fill(&mut rand::rngs::OsRng, &mut secret);
    let now = app.now_ms();
    let dkim = crate::mail::outbound::dkim::generate(selector, now)?;
    let settings = Settings {
        org_name: org,
        mailboxes,
        relay: input.relay,
        secret_hex: hex::encode(secret),
        setup_ms: now,
    };
    app.store.write(now, |tx| {
        if load(tx)?.is_some() {
            return Err(Error::conflict("setup has already been completed"));
        }
        save(tx, &settings)?;
        save_outbound(tx, &outbound)?;
        crate::mail::outbound::dkim::save(tx, &dkim)?;
        auth::create_user(tx, &admin, "Administrator", &hash, Role::Admin, now)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_addresses_parse() {
        assert_eq!(
            Relay::parse_addr("mail.example.com:587").unwrap(),
            ("mail.example.com".into(), 587)
        );
        assert_eq!(
            Relay::parse_addr("127.0.0.1").unwrap(),
            ("127.0.0.1".into(), 25)
        );
        assert_eq!(
            Relay::parse_addr("[::1]:2525").unwrap(),
            ("::1".into(), 2525)
        );
        assert!(Relay::parse_addr("host:0").is_err());
        assert!(Relay::parse_addr("host:99999").is_err());
        assert!(Relay::parse_addr("bad host:25").is_err());
        assert!(Relay::parse_addr("").is_err());
        assert!(Relay::parse_addr("h:1:2").is_err());
        assert_eq!(
            Relay::parse_addr("2001:db8::1").unwrap(),
            ("2001:db8::1".into(), 25)
        );
    }

    #[test]
    fn periods_parse() {
        assert_eq!(parse_period_ms("5d").unwrap(), DEFAULT_RETRY_PERIOD_MS);
        assert_eq!(parse_period_ms("36h").unwrap(), 36 * 3_600_000);
        assert_eq!(parse_period_ms("3").unwrap(), 3000);
        assert_eq!(parse_period_ms(" 2S ").unwrap(), 2000);
        for bad in ["", "0s", "31d", "x", "5w", "-1h", "99999999999999999999d"] {
            assert!(parse_period_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn outbound_settings_validate() {
        let o = OutboundSettings {
            public_host: Some(" Helpdesk.Example.ORG. ".into()),
            ..Default::default()
        }
        .validated()
        .unwrap();
        assert_eq!(o.public_host.as_deref(), Some("helpdesk.example.org"));
        assert!(
            OutboundSettings {
                public_host: Some("no spaces.example".into()),
                ..Default::default()
            }
            .validated()
            .is_err()
        );
        assert!(
            OutboundSettings {
                retry_period_ms: 0,
                ..Default::default()
            }
            .validated()
            .is_err()
        );
        assert_eq!(DeliveryMode::parse("Direct").unwrap(), DeliveryMode::Direct);
        assert!(DirectTls::parse("none").is_err());
    }

    #[test]
    fn addresses_are_validated() {
        assert_eq!(
            normalise_address("x", " Support@Example.COM ").unwrap(),
            "support@example.com"
        );
        for bad in [
            "", "a", "a@b", "a@@b.se", "a b@c.se", "<a@b.se>", "a@.se", "a@b..se",
        ] {
            assert!(normalise_address("x", bad).is_err(), "{bad}");
        }
    }
}
