//! One delivery attempt to the smarthost: resolve, connect, EHLO, STARTTLS (RFC 3207) per
//! the relay's TLS policy, AUTH, then one mail transaction (RFC 5321 §3.3) that sends the
//! queued message bytes unchanged.
//!
//! Built on mail-send 0.7's low-level [`SmtpClient`] only; its `SmtpClientBuilder` is not
//! used because it resolves names through libc (`getaddrinfo`) and trusts the platform
//! store. Names are resolved here without libc: IP literals directly, `localhost` as
//! loopback, anything else with hickory-resolver (`/etc/hosts`, then the DNS servers of
//! `/etc/resolv.conf`).
//!
//! Reply classes (RFC 5321 §4.2.1): a 5yz answer to MAIL, RCPT or DATA is a *permanent*
//! failure of this message; 4yz answers, connection and DNS failures, timeouts, and every
//! failure while setting up the session (greeting, EHLO, STARTTLS, AUTH — problems of the
//! relay or its configuration, not of the message) are *temporary*: the mail stays queued.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use mail_send::SmtpClient;
use rustls::ClientConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use smtp_proto::{
    AUTH_LOGIN, AUTH_PLAIN, EXT_8BIT_MIME, EXT_SIZE, EXT_SMTP_UTF8, EXT_START_TLS, EhloResponse,
    Response,
};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpdesk::settings::{Relay, RelayTls};

/// Environment variable naming an extra PEM file of CA certificates trusted for the relay's
/// certificate, in addition to the built-in webpki roots and the system bundle
/// [`SYSTEM_CA_FILE`]. Meant for a private CA of the organisation's own mail server, and for
/// tests with a throwaway CA. An unreadable file or one without certificates is an error
/// (every delivery then fails temporarily with that message), never silently ignored.
pub const RELAY_CA_FILE_ENV: &str = "TRYGG_RELAY_CA_FILE";

/// The system CA bundle (Debian's `ca-certificates`); used when present.
pub const SYSTEM_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    /// `true`: retrying cannot help (a 5yz reply to MAIL, RCPT or DATA, RFC 5321 §4.2.1,
    /// or an envelope that cannot be sent); `false`: retry later (4yz, network, DNS,
    /// timeouts, TLS, AUTH).
    pub permanent: bool,
    /// One line for people: what failed, with the relay's reply when there was one.
    pub message: String,
}

impl DeliveryError {
    fn temporary(message: impl Into<String>) -> Self {
        DeliveryError {
            permanent: false,
            message: message.into(),
        }
    }
    fn permanent(message: impl Into<String>) -> Self {
        DeliveryError {
            permanent: true,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeliveryError {}

/// Knobs of one attempt. [`DeliveryOptions::new`] gives the defaults.
#[derive(Clone)]
pub struct DeliveryOptions {
    /// Certificate verification for STARTTLS (see [`relay_tls_config`]).
    pub tls: Arc<ClientConfig>,
    /// Limit for name resolution plus TCP connect, per address (default 30 s).
    pub connect_timeout: Duration,
    /// Limit for each command's reply, the greeting and the TLS handshake (default 60 s;
    /// RFC 5321 §4.5.3.2 allows servers 5 minutes, a smarthost answers faster).
    pub command_timeout: Duration,
    /// Limit for sending the message and receiving the final reply (default 10 min,
    /// RFC 5321 §4.5.3.2.6).
    pub data_timeout: Duration,
    /// Name given in EHLO/HELO; `None`: the domain of the envelope sender.
    pub helo_name: Option<String>,
}

impl DeliveryOptions {
    /// Defaults with the given certificate verification.
    pub fn new(tls: Arc<ClientConfig>) -> Self {
        DeliveryOptions {
            tls,
            connect_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(60),
            data_timeout: Duration::from_secs(600),
            helo_name: None,
        }
    }
}

/// The rustls client configuration for the relay (ring provider, certificate verification
/// always on). Trusted roots: the built-in webpki roots (Mozilla's list), plus every
/// certificate in [`SYSTEM_CA_FILE`] if that file exists, plus every certificate in the
/// PEM file named by the environment variable [`RELAY_CA_FILE_ENV`] (`TRYGG_RELAY_CA_FILE`)
/// if it is set.
///
/// Errors: a message naming the file when `TRYGG_RELAY_CA_FILE` is set but cannot be read
/// or holds no usable certificate.
pub fn relay_tls_config() -> Result<Arc<ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Ok(iter) = CertificateDer::pem_file_iter(SYSTEM_CA_FILE) {
        let certs: Vec<CertificateDer<'static>> = iter.filter_map(|c| c.ok()).collect();
        let (added, _ignored) = roots.add_parsable_certificates(certs);
        tracing::debug!(
            added,
            file = SYSTEM_CA_FILE,
            "system CA certificates loaded"
        );
    }
    if let Some(path) = std::env::var_os(RELAY_CA_FILE_ENV).filter(|p| !p.is_empty()) {
        let shown = std::path::Path::new(&path).display().to_string();
        let certs = CertificateDer::pem_file_iter(&path)
            .map_err(|e| format!("{RELAY_CA_FILE_ENV}={shown}: cannot read: {e}"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{RELAY_CA_FILE_ENV}={shown}: bad PEM: {e}"))?;
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err(format!(
                "{RELAY_CA_FILE_ENV}={shown}: no usable CA certificate in the file"
            ));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A client configuration that trusts nothing (for relays used without TLS).
pub fn empty_tls_config() -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider);
    match builder.with_safe_default_protocol_versions() {
        Ok(b) => Arc::new(
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        ),
        // ring supports the default versions; this arm is unreachable in practice.
        Err(_) => Arc::new(
            ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        ),
    }
}

/// Delivers `raw` (a complete RFC 5322 message, sent byte for byte, only dot-stuffed for
/// the DATA phase per RFC 5321 §4.5.2) from envelope sender `mail_from` to every address
/// in `rcpt_to` through `relay`.
///
/// TLS per [`RelayTls`]: `None` never sends STARTTLS; `Opportunistic` upgrades when EHLO
/// offers STARTTLS (RFC 3207) and treats a failed upgrade as a temporary failure (no
/// fallback to clear text in the same attempt); `Required` fails temporarily unless
/// STARTTLS is offered and the handshake succeeds with a verified certificate for
/// `relay.host`. After TLS, EHLO is sent again (RFC 3207 §4.2). AUTH (PLAIN or LOGIN) is
/// used when a user name and password are configured, and only over TLS unless the mode
/// is `None`.
///
/// All recipients must be accepted: if one is refused, the transaction is abandoned; the
/// failure is permanent only when every refusal was a 5yz reply.
///
/// Returns the relay's final reply to DATA, e.g. `250 2.0.0 OK queued as 1`.
pub async fn deliver(
    relay: &Relay,
    mail_from: &str,
    rcpt_to: &[String],
    raw: &[u8],
    opts: &DeliveryOptions,
) -> Result<String, DeliveryError> {
    deliver_to(relay, "relay", None, mail_from, rcpt_to, raw, opts).await
}

/// [`deliver`] to any SMTP server: `hop` names it (host for TLS, port, TLS policy,
/// credentials), `label` says what it is in messages (`relay`, `MX`), and `addrs`, when
/// given, are its already resolved addresses.
pub async fn deliver_to(
    relay: &Relay,
    label: &str,
    addrs: Option<&[IpAddr]>,
    mail_from: &str,
    rcpt_to: &[String],
    raw: &[u8],
    opts: &DeliveryOptions,
) -> Result<String, DeliveryError> {
    check_address("sender", mail_from, true)?;
    if rcpt_to.is_empty() {
        return Err(DeliveryError::permanent("the message has no recipient"));
    }
    for r in rcpt_to {
        check_address("recipient", r, false)?;
    }
    let helo = opts
        .helo_name
        .clone()
        .unwrap_or_else(|| helo_name_for(mail_from));
    let relay_name = format!("{label} {}:{}", relay.host, relay.port);

    let mut client = connect(relay, &relay_name, addrs, opts).await?;
    client.timeout = opts.command_timeout;
    let greeting = tokio::time::timeout(opts.command_timeout, client.read())
        .await
        .map_err(|_| DeliveryError::temporary(format!("{relay_name}: no greeting (timeout)")))?
        .map_err(|e| session_error(&relay_name, "the greeting", e))?;
    if !(200..300).contains(&greeting.code) {
        return Err(DeliveryError::temporary(format!(
            "{relay_name} refused the session: {}",
            reply_text(&greeting)
        )));
    }
    let ehlo = say_hello(&mut client, &helo, &relay_name).await?;
    let offers_tls = ehlo
        .as_ref()
        .is_some_and(|e| e.has_capability(EXT_START_TLS));
    let use_tls = match relay.tls {
        RelayTls::None => false,
        RelayTls::Opportunistic => offers_tls,
        RelayTls::Required if offers_tls => true,
        RelayTls::Required => {
            quit(client).await;
            return Err(DeliveryError::temporary(format!(
                "{relay_name} does not offer STARTTLS (RFC 3207) and the TLS mode \
                 is 'required': the mail stays queued rather than going out unencrypted"
            )));
        }
    };
    if use_tls {
        let host = relay.host.trim_start_matches('[').trim_end_matches(']');
        if ServerName::try_from(host).is_err() {
            return Err(DeliveryError::temporary(format!(
                "relay host {host:?} is not a valid TLS server name"
            )));
        }
        let connector = tokio_rustls::TlsConnector::from(opts.tls.clone());
        let mut tls = client
            .start_tls(&connector, host)
            .await
            .map_err(|e| tls_error(&relay_name, e))?;
        let ehlo = match say_hello(&mut tls, &helo, &relay_name).await? {
            Some(e) => e,
            None => {
                return Err(DeliveryError::temporary(format!(
                    "{relay_name} refused EHLO after STARTTLS"
                )));
            }
        };
        let out = session(
            &mut tls,
            relay,
            &relay_name,
            Some(&ehlo),
            true,
            mail_from,
            rcpt_to,
            raw,
            opts,
        )
        .await;
        quit(tls).await;
        out
    } else {
        let out = session(
            &mut client,
            relay,
            &relay_name,
            ehlo.as_ref(),
            false,
            mail_from,
            rcpt_to,
            raw,
            opts,
        )
        .await;
        quit(client).await;
        out
    }
}

/// AUTH (when configured) and the mail transaction, on a plain or TLS stream.
#[allow(clippy::too_many_arguments)]
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut SmtpClient<S>,
    relay: &Relay,
    relay_name: &str,
    ehlo: Option<&EhloResponse<String>>,
    encrypted: bool,
    mail_from: &str,
    rcpt_to: &[String],
    raw: &[u8],
    opts: &DeliveryOptions,
) -> Result<String, DeliveryError> {
    if let (Some(user), Some(password)) = (&relay.username, &relay.password) {
        if !encrypted && relay.tls != RelayTls::None {
            return Err(DeliveryError::temporary(format!(
                "{relay_name} offers no STARTTLS: the password is not sent in clear \
                 (set the relay TLS mode to 'none' only for a relay on a trusted network)"
            )));
        }
        let Some(ehlo) = ehlo else {
            return Err(DeliveryError::temporary(format!(
                "{relay_name} does not speak ESMTP, so AUTH is impossible"
            )));
        };
        let mut caps = ehlo.clone();
        caps.auth_mechanisms &= AUTH_PLAIN | AUTH_LOGIN;
        if caps.auth_mechanisms == 0 {
            return Err(DeliveryError::temporary(format!(
                "{relay_name} offers neither AUTH PLAIN nor AUTH LOGIN"
            )));
        }
        let creds = mail_send::Credentials::new(user.clone(), password.clone());
        client
            .authenticate(&creds, &caps)
            .await
            .map_err(|e| match e {
                mail_send::Error::AuthenticationFailed(r)
                | mail_send::Error::UnexpectedReply(r) => DeliveryError::temporary(format!(
                    "{relay_name} refused the login of {user:?}: {}",
                    reply_text(&r)
                )),
                other => session_error(relay_name, "AUTH", other),
            })?;
    }

    // MAIL FROM with the parameters the relay understands (RFC 1870 SIZE, RFC 6152
    // 8BITMIME, RFC 6531 SMTPUTF8).
    let mut params = String::new();
    if let Some(e) = ehlo {
        if e.has_capability(EXT_SIZE) {
            if e.size > 0 && raw.len() > e.size {
                return Err(DeliveryError::permanent(format!(
                    "the message ({} bytes) is larger than {relay_name} accepts ({} bytes)",
                    raw.len(),
                    e.size
                )));
            }
            params.push_str(&format!(" SIZE={}", raw.len()));
        }
        if !raw.is_ascii() && e.has_capability(EXT_8BIT_MIME) {
            params.push_str(" BODY=8BITMIME");
        }
        let utf8_envelope = !mail_from.is_ascii() || rcpt_to.iter().any(|r| !r.is_ascii());
        if utf8_envelope && e.has_capability(EXT_SMTP_UTF8) {
            params.push_str(" SMTPUTF8");
        }
    }
    let r = command(
        client,
        format!("MAIL FROM:<{mail_from}>{params}\r\n"),
        relay_name,
        "MAIL FROM",
    )
    .await?;
    if !(200..300).contains(&r.code) {
        return Err(transaction_error(relay_name, "MAIL FROM", &r));
    }
    let mut refused: Vec<(String, Response<String>)> = Vec::new();
    for rcpt in rcpt_to {
        let r = command(
            client,
            format!("RCPT TO:<{rcpt}>\r\n"),
            relay_name,
            "RCPT TO",
        )
        .await?;
        if !(200..300).contains(&r.code) {
            refused.push((rcpt.clone(), r));
        }
    }
    if !refused.is_empty() {
        let _ = command(client, "RSET\r\n".to_string(), relay_name, "RSET").await;
        let permanent = refused.iter().all(|(_, r)| (500..600).contains(&r.code));
        let what = refused
            .iter()
            .map(|(a, r)| format!("{a}: {}", reply_text(r)))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(DeliveryError {
            permanent,
            message: format!("{relay_name} refused RCPT TO: {what}"),
        });
    }
    let r = command(client, "DATA\r\n".to_string(), relay_name, "DATA").await?;
    if r.code != 354 {
        return Err(transaction_error(relay_name, "DATA", &r));
    }
    let end = tokio::time::timeout(opts.data_timeout, async {
        write_data(&mut client.stream, raw).await?;
        client.read().await
    })
    .await
    .map_err(|_| {
        DeliveryError::temporary(format!("{relay_name}: timeout while sending the message"))
    })?
    .map_err(|e| session_error(relay_name, "the end of DATA", e))?;
    if (200..300).contains(&end.code) {
        Ok(reply_text(&end))
    } else {
        Err(transaction_error(relay_name, "the message", &end))
    }
}

/// Writes `raw` dot-stuffed (RFC 5321 §4.5.2) and the end-of-data marker. A leading `.` of
/// any line — also after a bare CR or LF, so nothing can be smuggled past a lenient
/// server — gets a second `.`; the message is otherwise unchanged. A final CRLF is added
/// only when the message does not end with one (it belongs to the `CRLF.CRLF` marker).
async fn write_data<W: AsyncWrite + Unpin>(w: &mut W, raw: &[u8]) -> std::io::Result<()> {
    let stuffed = dot_stuff(raw);
    w.write_all(&stuffed).await?;
    if raw.is_empty() || raw.ends_with(b"\r\n") {
        w.write_all(b".\r\n").await?;
    } else {
        w.write_all(b"\r\n.\r\n").await?;
    }
    w.flush().await
}

fn dot_stuff(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 64 + 8);
    let mut line_start = true;
    for &b in raw {
        if b == b'.' && line_start {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n' || b == b'\r';
    }
    out
}

/// Resolves the relay and connects to the first address that answers.
async fn connect(
    relay: &Relay,
    relay_name: &str,
    known: Option<&[IpAddr]>,
    opts: &DeliveryOptions,
) -> Result<SmtpClient<TcpStream>, DeliveryError> {
    let addrs = match known {
        Some(a) => a.to_vec(),
        None => resolve(&relay.host, opts.connect_timeout).await?,
    };
    let mut errors = Vec::new();
    for ip in addrs.into_iter().take(4) {
        let addr = SocketAddr::new(ip, relay.port);
        match SmtpClient::connect(addr, opts.connect_timeout).await {
            Ok(c) => return Ok(c),
            Err(mail_send::Error::Timeout) => errors.push(format!("{addr}: timeout")),
            Err(e) => errors.push(format!("{addr}: {e}")),
        }
    }
    Err(DeliveryError::temporary(format!(
        "cannot connect to {relay_name} ({})",
        errors.join("; ")
    )))
}

/// Addresses of `host` without the libc resolver: an IP literal (brackets allowed) as is,
/// `localhost` as 127.0.0.1 then ::1, any other name through hickory-resolver with the
/// system's `/etc/hosts` and `/etc/resolv.conf`, or [`super::mx::DNS_SERVER_ENV`] (A and
/// AAAA records).
pub async fn resolve(host: &str, timeout: Duration) -> Result<Vec<IpAddr>, DeliveryError> {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = h.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let lower = h.trim_end_matches('.').to_ascii_lowercase();
    if lower == "localhost" {
        return Ok(vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]);
    }
    // Same resolver as direct delivery (system configuration with /etc/hosts, or
    // TRYGG_DNS_SERVER), built with our TLS settings, not the platform store.
    let dns = super::mx::HickoryDns::new(timeout)
        .map_err(|e| DeliveryError::temporary(format!("cannot resolve relay {h}: {e}")))?;
    let answer = tokio::time::timeout(timeout, super::mx::Dns::ips(&dns, &lower))
        .await
        .map_err(|_| DeliveryError::temporary(format!("cannot resolve relay {h}: timeout")))?
        .map_err(|e| DeliveryError::temporary(format!("cannot resolve relay {h}: {e}")))?;
    let ips: Vec<IpAddr> = match answer {
        super::mx::Answer::Records(ips) => ips,
        super::mx::Answer::NoRecords => Vec::new(),
        super::mx::Answer::NoSuchDomain => {
            return Err(DeliveryError::temporary(format!(
                "cannot resolve relay {h}: no such domain (NXDOMAIN)"
            )));
        }
    };
    if ips.is_empty() {
        return Err(DeliveryError::temporary(format!(
            "cannot resolve relay {h}: no A or AAAA record"
        )));
    }
    Ok(ips)
}

/// EHLO, falling back to HELO (RFC 5321 §4.1.1.1) when EHLO is not understood. `None`:
/// the server only speaks HELO (so no STARTTLS, no AUTH, no extensions).
async fn say_hello<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut SmtpClient<S>,
    helo: &str,
    relay_name: &str,
) -> Result<Option<EhloResponse<String>>, DeliveryError> {
    match client.ehlo(helo).await {
        Ok(e) => Ok(Some(e)),
        Err(mail_send::Error::UnexpectedReply(r)) if (500..600).contains(&r.code) => {
            let r = command(client, format!("HELO {helo}\r\n"), relay_name, "HELO").await?;
            if (200..300).contains(&r.code) {
                Ok(None)
            } else {
                Err(DeliveryError::temporary(format!(
                    "{relay_name} refused EHLO and HELO: {}",
                    reply_text(&r)
                )))
            }
        }
        Err(mail_send::Error::UnexpectedReply(r)) => Err(DeliveryError::temporary(format!(
            "{relay_name} refused EHLO: {}",
            reply_text(&r)
        ))),
        Err(e) => Err(session_error(relay_name, "EHLO", e)),
    }
}

/// Sends one command and reads its reply (bounded by the client's timeout).
async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut SmtpClient<S>,
    line: String,
    relay_name: &str,
    what: &str,
) -> Result<Response<String>, DeliveryError> {
    client
        .cmd(line.as_bytes())
        .await
        .map_err(|e| session_error(relay_name, what, e))
}

/// QUIT, best effort and briefly: the outcome is already decided.
async fn quit<S: AsyncRead + AsyncWrite + Unpin>(mut client: SmtpClient<S>) {
    client.timeout = client.timeout.min(Duration::from_secs(5));
    let _ = client.cmd(b"QUIT\r\n").await;
    let _ = client.stream.shutdown().await;
}

/// A failed reply to MAIL, RCPT or DATA: permanent for 5yz (RFC 5321 §4.2.1).
fn transaction_error(relay_name: &str, what: &str, r: &Response<String>) -> DeliveryError {
    DeliveryError {
        permanent: (500..600).contains(&r.code),
        message: format!("{relay_name} refused {what}: {}", reply_text(r)),
    }
}

/// A network, timeout or protocol failure: always temporary.
fn session_error(relay_name: &str, what: &str, e: mail_send::Error) -> DeliveryError {
    let detail = match e {
        mail_send::Error::Timeout => "timeout".to_string(),
        mail_send::Error::UnexpectedReply(r) => format!("unexpected reply {}", reply_text(&r)),
        mail_send::Error::UnparseableReply => "connection closed or unparseable reply".to_string(),
        other => other.to_string(),
    };
    DeliveryError::temporary(format!("{relay_name}, {what}: {detail}"))
}

/// A failed STARTTLS (refused or handshake failure): temporary, never a fallback.
fn tls_error(relay_name: &str, e: mail_send::Error) -> DeliveryError {
    let detail = match e {
        mail_send::Error::UnexpectedReply(r) => format!("STARTTLS refused: {}", reply_text(&r)),
        mail_send::Error::Tls(t) => format!("TLS handshake failed: {t}"),
        mail_send::Error::Timeout => "TLS handshake timed out".to_string(),
        mail_send::Error::InvalidTLSName => "invalid TLS server name".to_string(),
        other => format!("TLS handshake failed: {other}"),
    };
    DeliveryError::temporary(format!(
        "{relay_name}: {detail} (not sending in clear text)"
    ))
}

/// `250 2.0.0 text` on one line.
pub fn reply_text(r: &Response<String>) -> String {
    let msg = r.message.replace(['\r', '\n'], " ");
    if r.esc[0] > 0 {
        format!("{} {}.{}.{} {}", r.code, r.esc[0], r.esc[1], r.esc[2], msg)
    } else {
        format!("{} {}", r.code, msg)
    }
}

/// Rejects envelope addresses that would break the command line (CR, LF, `<`, `>`,
/// spaces); the null sender is allowed only for MAIL FROM.
fn check_address(what: &str, a: &str, null_ok: bool) -> Result<(), DeliveryError> {
    let bad = a.len() > 320
        || a.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>');
    if bad || (a.is_empty() && !null_ok) {
        return Err(DeliveryError::permanent(format!(
            "invalid envelope {what} {a:?}"
        )));
    }
    // RFC 6761 §6.4: `.invalid` never resolves; it is what anonymisation puts in place of
    // an address, so mail to it is refused here rather than handed to a relay.
    let domain = a
        .rsplit_once('@')
        .map_or("", |(_, d)| d)
        .trim_end_matches('.');
    if what == "recipient"
        && (domain.eq_ignore_ascii_case("invalid")
            || domain.to_ascii_lowercase().ends_with(".invalid"))
    {
        return Err(DeliveryError::permanent(format!(
            "the recipient {a} is in the reserved .invalid domain (an anonymised address)"
        )));
    }
    Ok(())
}

/// The EHLO name: the sender's domain if it looks like one, else `localhost`.
fn helo_name_for(mail_from: &str) -> String {
    mail_from
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .filter(|d| {
            !d.is_empty()
                && d.len() <= 253
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
        .unwrap_or_else(|| "localhost".to_string())
}

// ---- direct delivery (MX) ----------------------------------------------------------------

/// What [`deliver_direct`] achieved: the recipients whose mail host accepted the message
/// (with that host's reply), and the first failure, if any (the remaining recipients).
#[derive(Debug, Default)]
pub struct DirectOutcome {
    /// `(recipient, final reply)` for each accepted recipient.
    pub delivered: Vec<(String, String)>,
    /// Why the rest was not delivered; `None` when everything went out.
    pub error: Option<DeliveryError>,
}

/// Delivers `raw` directly to the mail hosts of each recipient domain (one transaction per
/// domain), trying the hosts of a domain in MX order ([`super::mx::mail_hosts`]) until one
/// accepts or refuses permanently. `tls` is the policy at each host, with the certificate
/// check of `opts.tls` (unverified for opportunistic, verified for required; see
/// [`crate::helpdesk::settings::DirectTls`]). Stops at the first domain that fails.
pub async fn deliver_direct(
    dns: &impl super::mx::Dns,
    tls: RelayTls,
    port: u16,
    mail_from: &str,
    rcpt_to: &[String],
    raw: &[u8],
    opts: &DeliveryOptions,
) -> DirectOutcome {
    let mut out = DirectOutcome::default();
    if rcpt_to.is_empty() {
        out.error = Some(DeliveryError::permanent("the message has no recipient"));
        return out;
    }
    // Group by domain, keeping the order of first appearance.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for r in rcpt_to {
        let domain = r.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        let domain = domain.trim_matches(['[', ']']).to_ascii_lowercase();
        match groups.iter_mut().find(|(d, _)| *d == domain) {
            Some((_, v)) => v.push(r.clone()),
            None => groups.push((domain, vec![r.clone()])),
        }
    }
    for (domain, rcpts) in groups {
        match deliver_domain(dns, tls, port, &domain, mail_from, &rcpts, raw, opts).await {
            Ok(reply) => out
                .delivered
                .extend(rcpts.into_iter().map(|r| (r, reply.clone()))),
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn deliver_domain(
    dns: &impl super::mx::Dns,
    tls: RelayTls,
    port: u16,
    domain: &str,
    mail_from: &str,
    rcpts: &[String],
    raw: &[u8],
    opts: &DeliveryOptions,
) -> Result<String, DeliveryError> {
    let hosts = tokio::time::timeout(opts.connect_timeout * 2, super::mx::mail_hosts(dns, domain))
        .await
        .map_err(|_| {
            DeliveryError::temporary(format!("DNS lookup of the MX of {domain} timed out"))
        })?
        .map_err(|e| DeliveryError {
            permanent: e.permanent,
            message: e.message,
        })?;
    let mut errors = Vec::new();
    for h in hosts {
        let addrs =
            match tokio::time::timeout(opts.connect_timeout, super::mx::host_addrs(dns, &h.name))
                .await
            {
                Ok(Ok(a)) => a,
                Ok(Err(e)) => {
                    errors.push(format!("MX {} (preference {}): {e}", h.name, h.preference));
                    continue;
                }
                Err(_) => {
                    errors.push(format!("MX {}: address lookup timed out", h.name));
                    continue;
                }
            };
        let hop = Relay {
            host: h.name.clone(),
            port,
            tls,
            username: None,
            password: None,
        };
        match deliver_to(&hop, "MX", Some(&addrs), mail_from, rcpts, raw, opts).await {
            Ok(reply) => return Ok(format!("{reply} (MX {})", h.name)),
            Err(e) if e.permanent => return Err(e),
            Err(e) => errors.push(e.message),
        }
    }
    Err(DeliveryError::temporary(format!(
        "no mail host of {domain} took the message: {}",
        errors.join("; ")
    )))
}

/// A client configuration for opportunistic TLS to MX hosts (RFC 7435): encrypts, checks
/// the handshake signatures, but accepts any certificate, as MTAs do by default.
pub fn unverified_tls_config() -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(AnyCertificate(provider.clone()));
    let builder =
        match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(b) => b,
            // ring supports the default versions; fall back to the process default.
            Err(_) => ClientConfig::builder(),
        };
    Arc::new(
        builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
    )
}

/// Accepts any server certificate (see [`unverified_tls_config`]); signatures are still
/// verified so the session key is bound to the presented certificate.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

// ---- end direct delivery -----------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_only_touches_leading_dots() {
        assert_eq!(dot_stuff(b"a\r\n.b\r\n"), b"a\r\n..b\r\n");
        assert_eq!(dot_stuff(b".x\r\n"), b"..x\r\n");
        assert_eq!(dot_stuff(b"a.b\r\n"), b"a.b\r\n");
        assert_eq!(dot_stuff(b"a\n.\r\n"), b"a\n..\r\n");
    }

    #[tokio::test]
    async fn data_end_marker_does_not_add_a_line() {
        let mut out = Vec::new();
        write_data(&mut out, b"S: x\r\n\r\nhi\r\n").await.unwrap();
        assert_eq!(out, b"S: x\r\n\r\nhi\r\n.\r\n");
        let mut out = Vec::new();
        write_data(&mut out, b"S: x\r\n\r\nhi").await.unwrap();
        assert_eq!(out, b"S: x\r\n\r\nhi\r\n.\r\n");
    }

    #[tokio::test]
    async fn literals_and_localhost_need_no_dns() {
        let t = Duration::from_secs(1);
        assert_eq!(
            resolve("127.0.0.1", t).await.unwrap(),
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]
        );
        assert_eq!(
            resolve("[::1]", t).await.unwrap(),
            vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]
        );
        assert_eq!(
            resolve("LocalHost", t).await.unwrap()[0],
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
    }

    #[test]
    fn envelope_addresses_are_checked() {
        assert!(check_address("s", "", true).is_ok());
        assert!(check_address("r", "", false).unwrap_err().permanent);
        assert!(check_address("r", "a@b.se>\r\nRCPT TO:<x@y", false).is_err());
        assert!(check_address("r", "a@b.se", false).is_ok());
        // RFC 6761: an anonymised address is never handed to a relay.
        let e = check_address("recipient", "anonymised@anonymised.invalid", false).unwrap_err();
        assert!(e.permanent);
        assert!(check_address("recipient", "x@INVALID.", false).is_err());
        assert!(check_address("recipient", "x@invalid.example.se", false).is_ok());
        assert_eq!(helo_name_for("support@trygg.test"), "trygg.test");
        assert_eq!(helo_name_for("weird"), "localhost");
    }

    #[test]
    fn tls_config_builds_and_env_file_errors_are_reported() {
        assert!(relay_tls_config().is_ok() || std::env::var_os(RELAY_CA_FILE_ENV).is_some());
    }
}
