//! The SMTP listener (RFC 5321) that turns delivered mail into tickets.
//!
//! A session is generic over its stream so it can be driven without sockets in tests.
//! Commands are parsed with smtp-proto; pipelined commands (RFC 2920) are answered in one
//! write. `250` after DATA is sent only once [`ingest`] has durably committed the message
//! (DESIGN invariant 2); a storage failure answers `451` so the sender retries.
//!
//! STARTTLS (RFC 3207) upgrades the same session with rustls; the listener's [`TlsPolicy`]
//! decides whether it is offered, required before MAIL (`530 5.7.0`), or not offered.
//! Limits and their replies: message size `552 5.3.4` (RFC 1870), recipients per message
//! `452 4.5.3` (RFC 5321 §4.5.3.1.10), connections per client address `421 4.7.0`, command
//! and data time-outs `421 4.4.2` then close (RFC 5321 §4.5.3.2), command lines over
//! 4096 octets `500 5.5.2`. Message lines longer than RFC 5322's 998 octets are accepted and
//! stored unchanged, so no mail is lost to a sender's long lines.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smtp_proto::request::receiver::{DataReceiver, DummyDataReceiver, RequestReceiver};
use smtp_proto::{Error as ProtoError, Request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;

use crate::app::App;
use crate::error::{Error, ErrorKind, Result};
use crate::helpdesk::ingest::{Envelope, MAX_MESSAGE_SIZE, ingest};
use crate::helpdesk::settings;

/// Longest command line accepted, octets with CRLF. RFC 5321 §4.5.3.1.4 sets 512 and
/// allows more for extensions (SMTPUTF8 addresses, ESMTP parameters); 2048 is generous for
/// both and bounded.
pub const MAX_COMMAND_LINE: usize = 2048;

/// Session limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest message, octets (announced with SIZE, RFC 1870).
    pub max_message: usize,
    /// Recipients per message (RFC 5321 §4.5.3.1.8 requires accepting at least 100).
    pub max_recipients: usize,
    /// Time allowed for each command line (RFC 5321 §4.5.3.2 suggests 5 minutes).
    pub command_timeout: Duration,
    /// Time allowed between data blocks (RFC 5321 §4.5.3.2.6: 3 minutes).
    pub data_timeout: Duration,
    /// Commands answered with an error before the session is dropped.
    pub max_errors: u32,
    /// Simultaneous sessions from one client IP address; more are answered `421`.
    pub max_per_ip: usize,
}

/// A positive integer from the environment variable `name`, clamped to `min..=max`. A value
/// that is not a number, or that had to be clamped, is reported in the log (once per read).
fn env_limit(name: &str, min: u64, max: u64) -> Option<u64> {
    let raw = std::env::var(name).ok()?;
    let Ok(v) = raw.trim().parse::<u64>() else {
        tracing::warn!("{name}={raw:?} is not a whole number; using the default");
        return None;
    };
    let c = v.clamp(min, max);
    if c != v {
        tracing::warn!("{name}={v} is outside {min}..={max}; using {c}");
    }
    Some(c)
}

impl Default for Limits {
    /// Defaults, each changeable from the environment: `TRYGG_SMTP_MAX_SIZE` (octets, 1 KiB
    /// to 50 MiB), `TRYGG_SMTP_MAX_RCPT` (100 to 10000; RFC 5321 §4.5.3.1.8 requires 100),
    /// `TRYGG_SMTP_MAX_CONN_PER_IP` (1 to 10000, default 20), `TRYGG_SMTP_COMMAND_TIMEOUT`
    /// and `TRYGG_SMTP_DATA_TIMEOUT` (seconds, 1 to 3600; defaults 300 and 180).
    fn default() -> Self {
        let max_message = env_limit("TRYGG_SMTP_MAX_SIZE", 1024, MAX_MESSAGE_SIZE as u64)
            .map(|v| v as usize)
            .unwrap_or(MAX_MESSAGE_SIZE);
        Limits {
            max_message,
            max_recipients: env_limit("TRYGG_SMTP_MAX_RCPT", 100, 10_000).unwrap_or(100) as usize,
            command_timeout: Duration::from_secs(
                env_limit("TRYGG_SMTP_COMMAND_TIMEOUT", 1, 3600).unwrap_or(300),
            ),
            data_timeout: Duration::from_secs(
                env_limit("TRYGG_SMTP_DATA_TIMEOUT", 1, 3600).unwrap_or(180),
            ),
            max_errors: 20,
            max_per_ip: env_limit("TRYGG_SMTP_MAX_CONN_PER_IP", 1, 10_000).unwrap_or(20) as usize,
        }
    }
}

/// Whether the listener offers or requires STARTTLS (RFC 3207).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsPolicy {
    /// STARTTLS is not offered (e.g. only a local relay talks to this listener).
    Off,
    /// STARTTLS is offered; plain sessions may still deliver (what public MX hosts do,
    /// RFC 3207 §4).
    #[default]
    Optional,
    /// STARTTLS is offered and MAIL before it is refused with `530 5.7.0`.
    Forced,
}

impl TlsPolicy {
    /// Parses `off`, `optional` or `forced` (`required` is accepted for `forced`).
    ///
    /// Errors: `Invalid` naming the accepted values.
    pub fn parse(s: &str) -> Result<TlsPolicy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Ok(TlsPolicy::Off),
            "optional" | "offered" => Ok(TlsPolicy::Optional),
            "forced" | "required" => Ok(TlsPolicy::Forced),
            other => Err(Error::invalid(format!(
                "SMTP TLS policy must be off, optional or forced, not {other:?}"
            ))),
        }
    }
}

impl std::str::FromStr for TlsPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<TlsPolicy> {
        TlsPolicy::parse(s)
    }
}

/// The listener's TLS: its policy and the rustls configuration STARTTLS uses.
#[derive(Clone)]
pub struct ListenerTls {
    pub policy: TlsPolicy,
    /// `None` only with [`TlsPolicy::Off`].
    pub acceptor: Option<TlsAcceptor>,
}

impl ListenerTls {
    /// No STARTTLS.
    pub fn off() -> Self {
        ListenerTls {
            policy: TlsPolicy::Off,
            acceptor: None,
        }
    }

    /// `policy` with the certificate in `cert`/`key` (PEM files) when both are given, else
    /// with the web server's configuration `web` (same certificate; ALPN removed, since SMTP
    /// does not negotiate it).
    ///
    /// Errors: `Invalid` naming the file when a PEM file is unreadable or does not match.
    pub fn new(
        policy: TlsPolicy,
        cert: Option<&Path>,
        key: Option<&Path>,
        web: &Arc<rustls::ServerConfig>,
    ) -> Result<Self> {
        if policy == TlsPolicy::Off {
            return Ok(ListenerTls::off());
        }
        let mut sc = match (cert, key) {
            (Some(c), Some(k)) => load_server_config(c, k)?,
            _ => (**web).clone(),
        };
        sc.alpn_protocols.clear();
        Ok(ListenerTls {
            policy,
            acceptor: Some(TlsAcceptor::from(Arc::new(sc))),
        })
    }
}

/// A rustls server configuration from a PEM certificate chain and key.
fn load_server_config(cert: &Path, key: &Path) -> Result<rustls::ServerConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::invalid(format!("SMTP TLS certificate {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(Error::invalid(format!(
            "SMTP TLS certificate {}: no certificate in the file",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| Error::invalid(format!("SMTP TLS key {}: {e}", key.display())))?;
    rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::invalid(format!("SMTP TLS certificate and key do not match: {e}")))
}

/// Counts open sessions per client address.
#[derive(Default, Clone)]
struct PerIp(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One counted session; uncounts itself when dropped.
struct IpSlot {
    map: PerIp,
    ip: IpAddr,
}

impl PerIp {
    /// A slot for `ip`, or `None` when it already has `max` sessions.
    fn take(&self, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            map: self.clone(),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut m = self.map.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
    }
}

/// Accepts SMTP sessions on `listener` until the task is dropped, without STARTTLS.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> Result<()> {
    serve_with(app, listener, ListenerTls::off()).await
}

/// Accepts SMTP sessions on `listener` with the TLS policy `tls` until the task is dropped.
pub async fn serve_with(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    tls: ListenerTls,
) -> Result<()> {
    let hostname = local_hostname();
    let limits = Limits::default();
    let per_ip = PerIp::default();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("smtp accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Some(slot) = per_ip.take(peer.ip(), limits.max_per_ip) else {
            tracing::info!(%peer, "smtp: too many connections from this address");
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = stream
                    .write_all(
                        b"421 4.7.0 Too many connections from your address, try again later\r\n",
                    )
                    .await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        let app = app.clone();
        let hostname = hostname.clone();
        let limits = limits.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut session = Session::new(app, peer, hostname, limits).with_tls(tls);
            if let Err(e) = session.run(stream).await {
                tracing::debug!(%peer, "smtp session ended: {e}");
            }
        });
    }
}

/// This host's name for the greeting and Received headers (uname(2), not the resolver).
pub fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

enum State {
    Command,
    Data(DataReceiver),
    /// Draining an oversized message without keeping it.
    Discard(DummyDataReceiver),
}

/// One SMTP conversation.
pub struct Session {
    app: Arc<App>,
    peer: SocketAddr,
    hostname: String,
    limits: Limits,
    tls: ListenerTls,
    /// The session runs inside TLS (after STARTTLS).
    secure: bool,
    helo: Option<String>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    data: Vec<u8>,
    errors: u32,
}

enum Flow {
    Continue,
    Quit,
    StartTls,
}

/// How one plain or TLS part of a conversation ended.
enum Next {
    Close,
    StartTls,
}

impl Session {
    /// A session for a client at `peer`.
    pub fn new(app: Arc<App>, peer: SocketAddr, hostname: String, limits: Limits) -> Self {
        Session {
            app,
            peer,
            hostname,
            limits,
            tls: ListenerTls::off(),
            secure: false,
            helo: None,
            mail_from: None,
            rcpt_to: Vec::new(),
            data: Vec::new(),
            errors: 0,
        }
    }

    /// The same session with the listener's TLS policy.
    pub fn with_tls(mut self, tls: ListenerTls) -> Self {
        self.tls = tls;
        self
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
        self.data = Vec::new();
    }

    /// Runs the conversation on `stream` until QUIT, EOF, a time-out or too many errors,
    /// switching to TLS when the client issues STARTTLS.
    pub async fn run<S: AsyncRead + AsyncWrite + Unpin>(&mut self, mut stream: S) -> Result<()> {
        stream
            .write_all(format!("220 {} ESMTP trygg\r\n", self.hostname).as_bytes())
            .await?;
        match self.converse(&mut stream).await? {
            Next::Close => Ok(()),
            Next::StartTls => {
                let Some(acceptor) = self.tls.acceptor.clone() else {
                    return Ok(());
                };
                let accept = acceptor.accept(stream);
                let mut tls = match tokio::time::timeout(self.limits.command_timeout, accept).await
                {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(peer = %self.peer, "smtp TLS handshake failed: {e}");
                        return Ok(());
                    }
                    Err(_) => return Ok(()),
                };
                // RFC 3207 §4.2: forget everything learnt before TLS, including EHLO.
                self.secure = true;
                self.helo = None;
                self.reset();
                self.converse(&mut tls).await?;
                let _ = tls.shutdown().await;
                Ok(())
            }
        }
    }

    /// Reads and answers commands on `stream` until the conversation ends or STARTTLS was
    /// accepted (its `220` already sent; bytes the client sent after the STARTTLS line are
    /// dropped, RFC 3207 §5, so nothing sent in clear is taken as said under TLS).
    async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
    ) -> Result<Next> {
        let mut receiver = RequestReceiver::default();
        let mut state = State::Command;
        let mut buf = vec![0u8; 64 * 1024];
        // After an over-long command line: drop bytes up to the end of that line.
        let mut skip_line = false;
        loop {
            let timeout = match state {
                State::Command => self.limits.command_timeout,
                _ => self.limits.data_timeout,
            };
            let n = match tokio::time::timeout(timeout, stream.read(&mut buf)).await {
                Ok(Ok(0)) => return Ok(Next::Close),
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => {
                    let _ = stream
                        .write_all(b"421 4.4.2 Timeout, closing connection\r\n")
                        .await;
                    let _ = stream.shutdown().await;
                    return Ok(Next::Close);
                }
            };
            let mut start = 0;
            if skip_line {
                match buf[..n].iter().position(|&b| b == b'\n') {
                    Some(p) => {
                        skip_line = false;
                        start = p + 1;
                    }
                    None => continue,
                }
            }
            let mut iter = buf[start..n].iter();
            let mut out = String::new();
            let mut flow = Flow::Continue;
            while matches!(flow, Flow::Continue) {
                match &mut state {
                    State::Command
                        if self.line_too_long(&mut receiver, &mut iter, &mut skip_line) =>
                    {
                        self.errors += 1;
                        out.push_str("500 5.5.2 Line too long\r\n");
                        if self.errors > self.limits.max_errors {
                            out.push_str("421 4.7.0 Too many errors, closing connection\r\n");
                            flow = Flow::Quit;
                        }
                    }
                    State::Command => match receiver.ingest(&mut iter) {
                        Ok(req) => {
                            let (f, next) = self.command(req, &mut out);
                            flow = f;
                            if let Some(next) = next {
                                state = next;
                            }
                        }
                        Err(ProtoError::NeedsMoreData { .. }) => break,
                        Err(e) => {
                            self.errors += 1;
                            if matches!(e, ProtoError::ResponseTooLong) {
                                // Drop the rest of the over-long line (up to its LF).
                                match iter.as_slice().iter().position(|&b| b == b'\n') {
                                    Some(p) => {
                                        iter = iter.as_slice()[p + 1..].iter();
                                    }
                                    None => {
                                        iter = [].iter();
                                        skip_line = true;
                                    }
                                }
                                receiver = RequestReceiver::default();
                            }
                            out.push_str(&syntax_reply(&e));
                            if self.errors > self.limits.max_errors {
                                out.push_str("421 4.7.0 Too many errors, closing connection\r\n");
                                flow = Flow::Quit;
                            }
                        }
                    },
                    State::Data(rx) => {
                        let done = rx.ingest(&mut iter, &mut self.data);
                        if done && self.data.len() > self.limits.max_message {
                            out.push_str(&too_big(self.limits.max_message));
                            self.reset();
                            state = State::Command;
                        } else if done {
                            // Flush earlier pipelined replies before the (slow) commit.
                            if !out.is_empty() {
                                stream.write_all(out.as_bytes()).await?;
                                out.clear();
                            }
                            let reply = self.finish_message().await;
                            out.push_str(&reply);
                            self.reset();
                            state = State::Command;
                        } else if self.data.len() > self.limits.max_message {
                            let dummy = DummyDataReceiver::new_data(rx);
                            self.data = Vec::new();
                            state = State::Discard(dummy);
                        } else {
                            break;
                        }
                    }
                    State::Discard(rx) => {
                        if rx.ingest(&mut iter) {
                            out.push_str(&too_big(self.limits.max_message));
                            self.reset();
                            state = State::Command;
                        } else {
                            break;
                        }
                    }
                }
                if iter.len() == 0 && matches!(state, State::Command) {
                    break;
                }
            }
            if !out.is_empty() {
                stream.write_all(out.as_bytes()).await?;
            }
            match flow {
                Flow::Quit => {
                    let _ = stream.shutdown().await;
                    return Ok(Next::Close);
                }
                Flow::StartTls => return Ok(Next::StartTls),
                Flow::Continue => {}
            }
        }
    }

    /// Whether the command line starting at `iter` (after what `receiver` holds) is longer
    /// than [`MAX_COMMAND_LINE`]; if so, drops it (up to its LF, or sets `skip_line` to drop
    /// the rest when it arrives) and resets `receiver`.
    fn line_too_long(
        &self,
        receiver: &mut RequestReceiver,
        iter: &mut std::slice::Iter<'_, u8>,
        skip_line: &mut bool,
    ) -> bool {
        let pending = receiver.buf().len();
        let rest = iter.as_slice();
        match rest.iter().position(|&b| b == b'\n') {
            Some(p) if pending + p + 1 > MAX_COMMAND_LINE => {
                *iter = rest[p + 1..].iter();
            }
            None if pending + rest.len() > MAX_COMMAND_LINE => {
                *iter = [].iter();
                *skip_line = true;
            }
            _ => return false,
        }
        *receiver = RequestReceiver::default();
        true
    }

    /// Whether STARTTLS is on offer in this session now.
    fn starttls_offered(&self) -> bool {
        !self.secure && self.tls.acceptor.is_some() && self.tls.policy != TlsPolicy::Off
    }

    fn command(&mut self, req: Request<Cow<'_, str>>, out: &mut String) -> (Flow, Option<State>) {
        match req {
            Request::Ehlo { host } => {
                self.helo = Some(host.into_owned());
                self.reset();
                out.push_str(&format!(
                    "250-{} Hello {}\r\n250-PIPELINING\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{}250 ENHANCEDSTATUSCODES\r\n",
                    self.hostname,
                    self.peer.ip(),
                    self.limits.max_message,
                    if self.starttls_offered() { "250-STARTTLS\r\n" } else { "" }
                ));
            }
            Request::Helo { host } => {
                self.helo = Some(host.into_owned());
                self.reset();
                out.push_str(&format!("250 {}\r\n", self.hostname));
            }
            Request::Lhlo { .. } => out.push_str("500 5.5.1 LMTP is not spoken here\r\n"),
            Request::Mail { from } => {
                if self.helo.is_none() {
                    out.push_str("503 5.5.1 Say EHLO first\r\n");
                } else if self.tls.policy == TlsPolicy::Forced && !self.secure {
                    out.push_str("530 5.7.0 Must issue a STARTTLS command first\r\n");
                } else if self.mail_from.is_some() {
                    out.push_str("503 5.5.1 Sender already given\r\n");
                } else if from.size > self.limits.max_message {
                    out.push_str(&format!(
                        "552 5.3.4 Message size exceeds the limit of {} bytes\r\n",
                        self.limits.max_message
                    ));
                } else {
                    self.mail_from = Some(from.address.into_owned());
                    out.push_str("250 2.1.0 OK\r\n");
                }
            }
            Request::Rcpt { to } => {
                if self.mail_from.is_none() {
                    out.push_str("503 5.5.1 Need MAIL before RCPT\r\n");
                } else if self.rcpt_to.len() >= self.limits.max_recipients {
                    out.push_str("452 4.5.3 Too many recipients\r\n");
                } else {
                    out.push_str(&self.check_recipient(&to.address));
                }
            }
            Request::Data => {
                if self.mail_from.is_none() {
                    out.push_str("503 5.5.1 Need MAIL before DATA\r\n");
                } else if self.rcpt_to.is_empty() {
                    out.push_str("554 5.5.1 No valid recipients\r\n");
                } else {
                    out.push_str("354 Start mail input; end with <CRLF>.<CRLF>\r\n");
                    // The CRLF that ended the DATA line counts as the start of the first
                    // line, so a lone "." right away ends an empty message (RFC 5321 §4.1.1.4).
                    let mut rx = DataReceiver::new();
                    let mut scratch = Vec::new();
                    rx.ingest(&mut b"\r\n".iter(), &mut scratch);
                    self.data = Vec::with_capacity(16 * 1024);
                    return (Flow::Continue, Some(State::Data(rx)));
                }
            }
            Request::Bdat { .. } => out.push_str("502 5.5.1 BDAT is not supported\r\n"),
            Request::Rset => {
                self.reset();
                out.push_str("250 2.0.0 OK\r\n");
            }
            Request::Noop { .. } => out.push_str("250 2.0.0 OK\r\n"),
            Request::Vrfy { .. } => {
                out.push_str("252 2.5.2 Cannot VRFY user, but will accept message\r\n")
            }
            Request::Expn { .. } => out.push_str("502 5.5.1 EXPN is not supported\r\n"),
            Request::Help { .. } => out.push_str("214 2.0.0 See RFC 5321\r\n"),
            Request::StartTls => {
                if self.secure {
                    out.push_str("503 5.5.1 TLS is already active\r\n");
                } else if !self.starttls_offered() {
                    out.push_str("502 5.5.1 STARTTLS is not available here\r\n");
                } else {
                    out.push_str("220 2.0.0 Ready to start TLS\r\n");
                    return (Flow::StartTls, None);
                }
            }
            Request::Auth { .. } => out.push_str("502 5.5.1 AUTH is not available here\r\n"),
            Request::Etrn { .. } | Request::Atrn { .. } | Request::Burl { .. } => {
                out.push_str("502 5.5.1 Command not implemented\r\n")
            }
            Request::Quit => {
                out.push_str("221 2.0.0 Bye\r\n");
                return (Flow::Quit, None);
            }
        }
        (Flow::Continue, None)
    }

    fn check_recipient(&mut self, address: &str) -> String {
        let addr = address.trim().to_lowercase();
        let settings = match self.app.store.read(settings::load) {
            Ok(Some(s)) => s,
            Ok(None) => return "451 4.3.0 This help desk is not set up yet\r\n".into(),
            Err(e) => {
                tracing::error!("reading settings: {e}");
                return "451 4.3.0 Temporary failure, try again later\r\n".into();
            }
        };
        // RFC 5321 §4.5.1: `postmaster` (bare, or at a domain we receive for) must be
        // accepted; its mail lands in the first support mailbox's queue.
        let postmaster = match addr.split_once('@') {
            None => addr == "postmaster",
            Some((local, domain)) => {
                local == "postmaster"
                    && settings
                        .mailboxes
                        .iter()
                        .any(|m| m.rsplit_once('@').is_some_and(|(_, d)| d == domain))
            }
        };
        if settings.mailboxes.contains(&addr) || postmaster {
            if !self.rcpt_to.contains(&addr) {
                self.rcpt_to.push(addr);
            }
            "250 2.1.5 OK\r\n".into()
        } else {
            "550 5.1.1 No such mailbox here\r\n".into()
        }
    }

    async fn finish_message(&mut self) -> String {
        let data = std::mem::take(&mut self.data);
        let env = Envelope {
            mail_from: self.mail_from.clone().unwrap_or_default(),
            rcpt_to: self.rcpt_to.clone(),
            peer: self.peer.to_string(),
            trace: Some(self.received_header()),
        };
        let app = self.app.clone();
        match tokio::task::spawn_blocking(move || ingest(&app, &data, &env)).await {
            Ok(Ok(outcome)) if outcome.duplicate => {
                "250 2.0.0 OK, already have this message\r\n".into()
            }
            Ok(Ok(outcome)) => format!(
                "250 2.0.0 OK, stored in ticket {}\r\n",
                crate::helpdesk::ticket_tag(outcome.ticket)
            ),
            Ok(Err(e)) if e.kind == ErrorKind::Invalid => {
                format!("554 5.6.0 {}\r\n", e.message)
            }
            Ok(Err(e)) => {
                tracing::error!(peer = %self.peer, "storing message: {e}");
                "451 4.3.0 Temporary failure storing the message, try again later\r\n".into()
            }
            Err(e) => {
                tracing::error!(peer = %self.peer, "storing message panicked: {e}");
                "451 4.3.0 Temporary failure storing the message, try again later\r\n".into()
            }
        }
    }

    /// The trace header prepended to the stored message (RFC 5321 §4.4).
    fn received_header(&self) -> String {
        let now = jiff::Timestamp::from_millisecond(self.app.now_ms())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let date = jiff::fmt::rfc2822::to_string(&now.to_zoned_datetime(jiff::tz::TimeZone::UTC))
            .unwrap_or_default();
        let helo: String = self
            .helo
            .as_deref()
            .unwrap_or("unknown")
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(255)
            .collect();
        // RFC 3848: ESMTPS marks a session protected by STARTTLS.
        format!(
            "Received: from {helo} ([{}])\r\n\tby {} (trygg) with {};\r\n\t{date}\r\n",
            self.peer.ip(),
            self.hostname,
            if self.secure { "ESMTPS" } else { "ESMTP" }
        )
    }
}

/// RFC 1870 §6.3 / RFC 3463: 552 5.3.4 for a message over the announced SIZE.
fn too_big(limit: usize) -> String {
    format!("552 5.3.4 Message exceeds the size limit of {limit} bytes\r\n")
}

fn syntax_reply(e: &ProtoError) -> String {
    match e {
        ProtoError::UnknownCommand => "500 5.5.1 Command not recognised\r\n".into(),
        ProtoError::ResponseTooLong => "500 5.5.2 Line too long\r\n".into(),
        ProtoError::InvalidSenderAddress => "501 5.1.7 Bad sender address syntax\r\n".into(),
        ProtoError::InvalidRecipientAddress => "501 5.1.3 Bad recipient address syntax\r\n".into(),
        ProtoError::SyntaxError { syntax } => format!("501 5.5.4 Syntax: {syntax}\r\n"),
        ProtoError::InvalidParameter { param } => {
            format!("501 5.5.4 Invalid parameter {param:?}\r\n")
        }
        ProtoError::UnsupportedParameter { param } => {
            let p: String = param
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect();
            format!("555 5.5.4 Unsupported parameter {p:?}\r\n")
        }
        _ => "500 5.5.2 Syntax error\r\n".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_slots_are_counted_and_given_back() {
        let p = PerIp::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let s1 = p.take(a, 2).unwrap();
        let s2 = p.take(a, 2).unwrap();
        assert!(
            p.take(a, 2).is_none(),
            "third session from the same address"
        );
        let other = p.take(b, 2);
        assert!(other.is_some(), "other addresses are not affected");
        drop(s1);
        let s3 = p.take(a, 2);
        assert!(s3.is_some(), "a closed session frees its slot");
        drop((s2, s3, other));
        assert!(p.0.lock().unwrap().is_empty(), "no entries left behind");
    }

    #[test]
    fn tls_policies_parse() {
        assert_eq!(TlsPolicy::parse("Forced").unwrap(), TlsPolicy::Forced);
        assert_eq!(TlsPolicy::parse("required").unwrap(), TlsPolicy::Forced);
        assert_eq!(TlsPolicy::parse("optional").unwrap(), TlsPolicy::Optional);
        assert_eq!(TlsPolicy::parse("off").unwrap(), TlsPolicy::Off);
        assert_eq!(
            TlsPolicy::parse("maybe").unwrap_err().kind,
            ErrorKind::Invalid
        );
    }
}
