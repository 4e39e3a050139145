//! The SMTP listener (RFC 5321) that turns delivered mail into tickets.
//!
//! A session is generic over its stream so it can be driven without sockets in tests.
//! Commands are parsed with smtp-proto; pipelined commands (RFC 2920) are answered in one
//! write. `250` after DATA is sent only once [`ingest`] has durably committed the message
//! (DESIGN invariant 2); a storage failure answers `451` so the sender retries.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use smtp_proto::request::receiver::{DataReceiver, DummyDataReceiver, RequestReceiver};
use smtp_proto::{Error as ProtoError, Request};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::app::App;
use crate::error::{ErrorKind, Result};
use crate::helpdesk::ingest::{Envelope, MAX_MESSAGE_SIZE, ingest};
use crate::helpdesk::settings;

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
}

impl Default for Limits {
    /// Defaults; `TRYGG_SMTP_MAX_SIZE` (octets, 1 KiB to 50 MiB) lowers the message limit.
    fn default() -> Self {
        let max_message = std::env::var("TRYGG_SMTP_MAX_SIZE")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .map(|v| v.clamp(1024, MAX_MESSAGE_SIZE))
            .unwrap_or(MAX_MESSAGE_SIZE);
        Limits {
            max_message,
            max_recipients: 100,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(180),
            max_errors: 20,
        }
    }
}

/// Accepts SMTP sessions on `listener` until the task is dropped.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> Result<()> {
    let hostname = local_hostname();
    let limits = Limits::default();
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
        let app = app.clone();
        let hostname = hostname.clone();
        let limits = limits.clone();
        tokio::spawn(async move {
            let mut session = Session::new(app, peer, hostname, limits);
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
    helo: Option<String>,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
    data: Vec<u8>,
    errors: u32,
}

enum Flow {
    Continue,
    Quit,
}

impl Session {
    /// A session for a client at `peer`.
    pub fn new(app: Arc<App>, peer: SocketAddr, hostname: String, limits: Limits) -> Self {
        Session {
            app,
            peer,
            hostname,
            limits,
            helo: None,
            mail_from: None,
            rcpt_to: Vec::new(),
            data: Vec::new(),
            errors: 0,
        }
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
        self.data = Vec::new();
    }

    /// Runs the conversation on `stream` until QUIT, EOF, a time-out or too many errors.
    pub async fn run<S: AsyncRead + AsyncWrite + Unpin>(&mut self, mut stream: S) -> Result<()> {
        stream
            .write_all(format!("220 {} ESMTP trygg\r\n", self.hostname).as_bytes())
            .await?;
        let mut receiver = RequestReceiver::default();
        let mut state = State::Command;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let timeout = match state {
                State::Command => self.limits.command_timeout,
                _ => self.limits.data_timeout,
            };
            let n = match tokio::time::timeout(timeout, stream.read(&mut buf)).await {
                Ok(Ok(0)) => return Ok(()),
                Ok(Ok(n)) => n,
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => {
                    let _ = stream
                        .write_all(b"421 4.4.2 Timeout, closing connection\r\n")
                        .await;
                    return Ok(());
                }
            };
            let mut iter = buf[..n].iter();
            let mut out = String::new();
            let mut flow = Flow::Continue;
            while matches!(flow, Flow::Continue) {
                match &mut state {
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
            if matches!(flow, Flow::Quit) {
                let _ = stream.shutdown().await;
                return Ok(());
            }
        }
    }

    fn command(&mut self, req: Request<Cow<'_, str>>, out: &mut String) -> (Flow, Option<State>) {
        match req {
            Request::Ehlo { host } => {
                self.helo = Some(host.into_owned());
                self.reset();
                out.push_str(&format!(
                    "250-{} Hello {}\r\n250-PIPELINING\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n",
                    self.hostname,
                    self.peer.ip(),
                    self.limits.max_message
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
            Request::StartTls => out.push_str("502 5.5.1 STARTTLS is not available here\r\n"),
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
        if settings.mailboxes.contains(&addr) {
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
        format!(
            "Received: from {helo} ([{}])\r\n\tby {} (trygg) with ESMTP;\r\n\t{date}\r\n",
            self.peer.ip(),
            self.hostname
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
