//! IMAP fetch (RFC 3501/9051): for organisations whose support mailbox stays at their mail
//! provider. Each configured account is fetched by its own task.
//!
//! Guarantees:
//! - **Every message not yet imported is fetched**, seen or not: the task remembers the
//!   folder's UIDVALIDITY and the last UID it has durably handled (RFC 3501 §2.3.1.1) and
//!   asks for `UID SEARCH UID n+1:*`. When UIDVALIDITY changes, everything is fetched again
//!   and de-duplicated by Message-ID (or the synthetic id of mail without one).
//! - **Flags change only after the commit**: messages are read with `BODY.PEEK[]` (which
//!   leaves `\Seen` alone), stored with [`ingest`] (durable when it returns), then the UID
//!   checkpoint is committed, and only then is the message marked `\Seen` or moved. A crash
//!   between the commit and the flag refetches nothing (checkpoint) and, if the checkpoint
//!   itself was lost, the refetch is a duplicate by Message-ID. UIDs committed but not yet
//!   flagged are remembered and flagged on the next pass.
//! - **One bad message never stops the batch**: a message over the account's size limit, or
//!   one whose processing panicked, is stored raw in the quarantine (tables 13/14) with an
//!   admin alert; the checkpoint moves past it.
//! - **Counts are reconciled**: each pass compares the UIDs the server listed with the
//!   messages fetched and with what became articles, duplicates or quarantine items; a
//!   difference is recorded and shown to the admin.
//!
//! IDLE (RFC 2177) is used where the server offers it (re-issued every `poll_secs`, at most
//! 25 minutes, within RFC 2177's 29); otherwise the folder is polled every `poll_secs`.
//! TLS is implicit (port 993) or STARTTLS (port 143), always with certificate verification
//! against the public web roots or a configured CA file.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_imap::types::Fetch;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::app::App;
use crate::error::{Error, ErrorKind, Result};
use crate::helpdesk::ingest::{Envelope, IngestOutcome, MAX_MESSAGE_SIZE, ingest, sha256_hex};
use crate::helpdesk::settings;
use crate::store::codec::be;
use crate::store::{Reader, Table, WriteTx};

/// Time allowed for one network step (connect, greeting, command, one message fetch).
const IO_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest IDLE before it is re-issued (RFC 2177 §3: servers may drop after 30 minutes).
const MAX_IDLE: Duration = Duration::from_secs(25 * 60);
/// Messages fetched per `UID FETCH` of sizes.
const BATCH: usize = 50;
/// Quarantined mail larger than this keeps only its header (octets).
pub const QUARANTINE_FULL_MAX: u64 = 200 * 1024 * 1024;
/// Reconciliation alerts kept per account.
const MAX_ALERTS: usize = 20;
/// Failed fetches of the same UID before it is skipped (quarantined as unfetchable and left
/// unread on the server), so one message the server cannot deliver never blocks the rest.
const MAX_FETCH_ATTEMPTS: u32 = 3;

/// How the connection is protected. There is no clear-text mode: passwords never travel
/// unencrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImapTls {
    /// TLS from the first byte (IMAPS, port 993; RFC 8314).
    Implicit,
    /// Plain connection upgraded with STARTTLS before login (port 143; RFC 3501 §6.2.1).
    StartTls,
}

impl ImapTls {
    /// Parses `implicit`/`imaps`/`tls` or `starttls`.
    pub fn parse(s: &str) -> Result<ImapTls> {
        match s.trim().to_ascii_lowercase().as_str() {
            "implicit" | "imaps" | "tls" => Ok(ImapTls::Implicit),
            "starttls" => Ok(ImapTls::StartTls),
            other => Err(Error::invalid(format!(
                "IMAP TLS must be implicit or starttls, not {other:?}"
            ))),
        }
    }
    /// The value [`ImapTls::parse`] accepts.
    pub fn as_str(self) -> &'static str {
        match self {
            ImapTls::Implicit => "implicit",
            ImapTls::StartTls => "starttls",
        }
    }
}

/// What happens to a message on the server once it is durably stored here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AfterImport {
    /// Set `\Seen` (the message stays in the folder).
    MarkSeen,
    /// Move it to this folder (UID MOVE, RFC 6851; else COPY + `\Deleted`).
    MoveTo(String),
}

/// One mailbox fetched over IMAP (table [`Table::ImapAccounts`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapAccount {
    pub id: u64,
    /// Host name or IP address of the IMAP server.
    pub host: String,
    pub port: u16,
    pub tls: ImapTls,
    /// PEM file with the CA certificate(s) to trust instead of the public web roots.
    pub ca_file: Option<String>,
    pub username: String,
    pub password: String,
    /// Folder to fetch, e.g. `INBOX`.
    pub folder: String,
    pub after: AfterImport,
    /// The support address this mailbox receives for (one of the settings' mailboxes).
    pub mailbox: String,
    /// Larger messages are quarantined, octets.
    pub max_size: u64,
    /// Polling interval without IDLE, and IDLE renewal, seconds.
    pub poll_secs: u64,
    pub enabled: bool,
    pub created_ms: i64,
}

/// The last pass over a folder, for reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassReport {
    pub at_ms: i64,
    /// UIDs the server listed above the checkpoint.
    pub listed: u64,
    /// Messages whose bytes arrived.
    pub fetched: u64,
    /// Listed but gone before they could be fetched (expunged by someone else).
    pub vanished: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    /// Listed but skipped after [`MAX_FETCH_ATTEMPTS`] failed fetches.
    pub unfetchable: u64,
}

impl PassReport {
    /// Whether every listed message is accounted for: listed = fetched + vanished +
    /// unfetchable and fetched = imported + duplicates + quarantined.
    pub fn reconciled(&self) -> bool {
        self.listed == self.fetched + self.vanished + self.unfetchable
            && self.fetched == self.imported + self.duplicates + self.quarantined
    }
}

/// Checkpoint and counters of one account (table [`Table::ImapState`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapState {
    pub uid_validity: u32,
    /// Highest UID durably handled under `uid_validity`.
    pub last_uid: u32,
    /// UIDs committed here but not yet flagged/moved on the server.
    pub unflagged: Vec<u32>,
    /// Totals since the account was added.
    pub fetched: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub last_pass: Option<PassReport>,
    /// Reconciliation differences, newest last (at most 20).
    pub alerts: Vec<String>,
    pub last_ok_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    /// Whether the server offered IDLE at the last login.
    pub idle: bool,
    /// Bumped by [`refetch_all`], so a pass that started before the reset cannot move the
    /// checkpoint it cleared.
    pub resets: u64,
    /// `(uid, failed attempts)` of the message whose fetch keeps failing, if any.
    pub fetch_failures: Option<(u32, u32)>,
    /// Messages skipped as unfetchable (left unread on the server), total.
    pub unfetchable: u64,
}

impl ImapState {
    /// Whether the totals add up: fetched = imported + duplicates + quarantined.
    pub fn reconciled(&self) -> bool {
        self.fetched == self.imported + self.duplicates + self.quarantined
    }
}

/// A mail held back instead of becoming an article (table [`Table::Quarantine`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineItem {
    pub id: u64,
    /// Where it came from, e.g. `imap support@example.org@imap.example.org/INBOX UID 7`.
    pub source: String,
    pub account: Option<u64>,
    /// Size on the server, octets.
    pub size: u64,
    pub from: String,
    pub subject: String,
    pub message_id: Option<String>,
    /// Why it was held back (user-safe English; the page translates known reasons).
    pub reason: QuarantineReason,
    pub sha256: String,
    /// Only the header was kept (the message was over [`QUARANTINE_FULL_MAX`]).
    pub header_only: bool,
    pub created_ms: i64,
    pub dismissed: bool,
}

/// Why a mail was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuarantineReason {
    /// Larger than the account's size limit.
    TooLarge,
    /// Processing it failed unexpectedly (a parser panic); kept so nothing is lost.
    Unprocessable,
    /// The server's answer to fetching it failed repeatedly; only a note is kept here and
    /// the message stays unread on the server.
    Unfetchable,
}

// ---- configuration (called by the admin page) -------------------------------------------

/// What the admin enters for a new account.
#[derive(Debug, Clone, Default)]
pub struct AccountInput {
    pub host: String,
    pub port: String,
    pub tls: String,
    pub ca_file: String,
    pub username: String,
    pub password: String,
    pub folder: String,
    /// Empty for `\Seen`, else the folder to move to.
    pub move_to: String,
    pub mailbox: String,
    /// Octets; empty for the SMTP limit.
    pub max_size: String,
    /// Seconds; empty for 300.
    pub poll_secs: String,
}

fn field_text(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.len() > max || v.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{field}: give 1 to {max} characters without control characters"
        )));
    }
    Ok(v.to_string())
}

/// Validates `input` and stores a new enabled account; returns its id. The fetcher picks it
/// up within seconds.
///
/// Errors: `Invalid` naming the field; `Unavailable` before setup.
pub fn add_account(app: &App, input: &AccountInput) -> Result<u64> {
    let host = field_text("IMAP server", &input.host, 253)?;
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
    {
        return Err(Error::invalid(format!(
            "IMAP server: {host:?} is not a host name or IP address"
        )));
    }
    let tls = ImapTls::parse(if input.tls.trim().is_empty() {
        "implicit"
    } else {
        &input.tls
    })?;
    let port = match input.port.trim() {
        "" => match tls {
            ImapTls::Implicit => 993,
            ImapTls::StartTls => 143,
        },
        p => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| Error::invalid(format!("port: {p:?} is not a port number")))?,
    };
    let ca_file = match input.ca_file.trim() {
        "" => None,
        f => {
            load_roots(Some(f))?;
            Some(f.to_string())
        }
    };
    let username = field_text("user name", &input.username, 320)?;
    if input.password.is_empty() || input.password.len() > 1024 {
        return Err(Error::invalid("password: give the mailbox password"));
    }
    let folder = match input.folder.trim() {
        "" => "INBOX".to_string(),
        f => field_text("folder", f, 200)?,
    };
    let after = match input.move_to.trim() {
        "" => AfterImport::MarkSeen,
        f => {
            let f = field_text("move to folder", f, 200)?;
            if f == folder {
                return Err(Error::invalid(
                    "move to folder: must differ from the folder fetched",
                ));
            }
            AfterImport::MoveTo(f)
        }
    };
    let max_size = match input.max_size.trim() {
        "" => MAX_MESSAGE_SIZE as u64,
        s => s
            .parse::<u64>()
            .ok()
            .filter(|n| (1024..=MAX_MESSAGE_SIZE as u64).contains(n))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "size limit: give octets from 1024 to {MAX_MESSAGE_SIZE}"
                ))
            })?,
    };
    let poll_secs = match input.poll_secs.trim() {
        "" => 300,
        s => s
            .parse::<u64>()
            .ok()
            .filter(|n| (5..=86_400).contains(n))
            .ok_or_else(|| Error::invalid("poll interval: give seconds from 5 to 86400"))?,
    };
    let now = app.now_ms();
    let id = app.next_id();
    let want_mailbox = input.mailbox.trim().to_lowercase();
    app.store.write(now, |tx| {
        let s = settings::load(tx)?.ok_or_else(|| Error::unavailable("trygg is not set up yet"))?;
        let mailbox = if want_mailbox.is_empty() {
            s.mailboxes.first().cloned().unwrap_or_default()
        } else if s.mailboxes.contains(&want_mailbox) {
            want_mailbox.clone()
        } else {
            return Err(Error::invalid(format!(
                "support address: {want_mailbox:?} is not one of this help desk's addresses"
            )));
        };
        let acct = ImapAccount {
            id,
            host: host.clone(),
            port,
            tls,
            ca_file: ca_file.clone(),
            username: username.clone(),
            password: input.password.clone(),
            folder: folder.clone(),
            after: after.clone(),
            mailbox,
            max_size,
            poll_secs,
            enabled: true,
            created_ms: now,
        };
        tx.put_rec(Table::ImapAccounts, &be(id), &acct)
    })?;
    wake();
    Ok(id)
}

/// Removes account `id` and its checkpoint (quarantined mail stays).
///
/// Errors: `NotFound`.
pub fn delete_account(app: &App, id: u64) -> Result<()> {
    app.store.write(app.now_ms(), |tx| {
        if !tx.delete(Table::ImapAccounts, &be(id))? {
            return Err(Error::not_found("no such IMAP account"));
        }
        tx.delete(Table::ImapState, &be(id))?;
        Ok(())
    })?;
    wake();
    Ok(())
}

/// Forgets the UID checkpoint of account `id`, so the whole folder is fetched again (after
/// restoring a backup, say). Nothing is duplicated: known Message-IDs are skipped.
///
/// Errors: `NotFound`.
pub fn refetch_all(app: &App, id: u64) -> Result<()> {
    app.store.write(app.now_ms(), |tx| {
        if tx.get(Table::ImapAccounts, &be(id))?.is_none() {
            return Err(Error::not_found("no such IMAP account"));
        }
        let mut st: ImapState = tx.get_rec(Table::ImapState, &be(id))?.unwrap_or_default();
        st.last_uid = 0;
        st.unflagged.clear();
        st.resets += 1;
        tx.put_rec(Table::ImapState, &be(id), &st)
    })?;
    wake();
    Ok(())
}

/// Every account (password blanked) with its state, in creation order.
pub fn overview(app: &App) -> Result<Vec<(ImapAccount, ImapState)>> {
    app.store.read(|r| {
        let mut out = Vec::new();
        for (k, v) in r.scan(Table::ImapAccounts, &[], false, usize::MAX)? {
            let mut a: ImapAccount = crate::store::codec::decode(&v)?;
            a.password.clear();
            let st = r.get_rec(Table::ImapState, &k)?.unwrap_or_default();
            out.push((a, st));
        }
        Ok(out)
    })
}

/// Quarantined mail, newest first; dismissed items only when `all`.
pub fn quarantine_list(app: &App, all: bool) -> Result<Vec<QuarantineItem>> {
    app.store.read(|r| {
        let mut out = Vec::new();
        for (_, v) in r.scan(Table::Quarantine, &[], true, usize::MAX)? {
            let q: QuarantineItem = crate::store::codec::decode(&v)?;
            if all || !q.dismissed {
                out.push(q);
            }
        }
        Ok(out)
    })
}

/// The item `id` and its raw bytes (the admin downloads them as `.eml`).
///
/// Errors: `NotFound`.
pub fn quarantine_raw(app: &App, id: u64) -> Result<(QuarantineItem, Vec<u8>)> {
    app.store.read(|r| {
        let q: QuarantineItem = r
            .get_rec(Table::Quarantine, &be(id))?
            .ok_or_else(|| Error::not_found("no such quarantined mail"))?;
        let raw = r.get(Table::QuarantineRaw, &be(id))?.unwrap_or_default();
        Ok((q, raw))
    })
}

/// Marks item `id` as seen by the admin (it stays stored; the alert goes away).
///
/// Errors: `NotFound`.
pub fn quarantine_dismiss(app: &App, id: u64) -> Result<()> {
    app.store.write(app.now_ms(), |tx| {
        let mut q: QuarantineItem = tx
            .get_rec(Table::Quarantine, &be(id))?
            .ok_or_else(|| Error::not_found("no such quarantined mail"))?;
        q.dismissed = true;
        tx.put_rec(Table::Quarantine, &be(id), &q)
    })
}

/// Stores `raw` in the quarantine unless the same bytes are already there; returns the item
/// id. `header_only` says `raw` is only the header of a larger message of `size` octets.
#[allow(clippy::too_many_arguments)]
pub fn quarantine(
    app: &App,
    source: &str,
    account: Option<u64>,
    raw: &[u8],
    size: u64,
    header_only: bool,
    reason: QuarantineReason,
) -> Result<u64> {
    let sha = sha256_hex(raw);
    let (from, subject, message_id) = header_summary(raw);
    let now = app.now_ms();
    let id = app.next_id();
    app.store.write(now, |tx| {
        if let Some(existing) = find_quarantined(tx, &sha)? {
            return Ok(existing);
        }
        let item = QuarantineItem {
            id,
            source: source.to_string(),
            account,
            size,
            from: from.clone(),
            subject: subject.clone(),
            message_id: message_id.clone(),
            reason,
            sha256: sha.clone(),
            header_only,
            created_ms: now,
            dismissed: false,
        };
        tx.put_rec(Table::Quarantine, &be(id), &item)?;
        tx.put(Table::QuarantineRaw, &be(id), raw)?;
        Ok(id)
    })
}

fn find_quarantined(tx: &WriteTx, sha: &str) -> Result<Option<u64>> {
    for (_, v) in tx.scan(Table::Quarantine, &[], false, usize::MAX)? {
        let q: QuarantineItem = crate::store::codec::decode(&v)?;
        if q.sha256 == sha {
            return Ok(Some(q.id));
        }
    }
    Ok(None)
}

/// From, Subject and Message-ID of `raw` for the quarantine list; a parser panic yields
/// empty fields.
fn header_summary(raw: &[u8]) -> (String, String, Option<String>) {
    use mail_parser::MessageParser;
    std::panic::catch_unwind(|| {
        let m = MessageParser::default().parse_headers(raw)?;
        let from = m
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or("")
            .to_string();
        let subject: String = m.subject().unwrap_or("").chars().take(300).collect();
        Some((from, subject, m.message_id().map(str::to_string)))
    })
    .ok()
    .flatten()
    .unwrap_or_default()
}

/// Prometheus text-format gauges: per-account totals (labelled by account id) and the
/// number of quarantined mails not yet dismissed, so monitoring can alert on them.
pub fn metrics_text(app: &App) -> Result<String> {
    use std::fmt::Write;
    let accounts = overview(app)?;
    let waiting = quarantine_list(app, false)?.len();
    let mut out = String::from(
        "# HELP trygg_imap_messages_total Messages handled by IMAP fetch, by account and outcome.\n\
         # TYPE trygg_imap_messages_total counter\n",
    );
    for (a, st) in &accounts {
        for (outcome, n) in [
            ("fetched", st.fetched),
            ("imported", st.imported),
            ("duplicate", st.duplicates),
            ("quarantined", st.quarantined),
            ("unfetchable", st.unfetchable),
        ] {
            let _ = writeln!(
                out,
                "trygg_imap_messages_total{{account=\"{}\",outcome=\"{outcome}\"}} {n}",
                a.id
            );
        }
    }
    out.push_str(
        "# HELP trygg_imap_reconciled Whether an account's counts reconcile (1) or not (0).\n\
         # TYPE trygg_imap_reconciled gauge\n",
    );
    for (a, st) in &accounts {
        let ok = u8::from(st.reconciled() && st.alerts.is_empty());
        let _ = writeln!(out, "trygg_imap_reconciled{{account=\"{}\"}} {ok}", a.id);
    }
    let _ = write!(
        out,
        "# HELP trygg_quarantine_waiting Quarantined mails not yet dismissed by an admin.\n\
         # TYPE trygg_quarantine_waiting gauge\n\
         trygg_quarantine_waiting {waiting}\n"
    );
    Ok(out)
}

// ---- the fetcher -------------------------------------------------------------------------

fn wakeup() -> &'static tokio::sync::Notify {
    static W: std::sync::OnceLock<tokio::sync::Notify> = std::sync::OnceLock::new();
    W.get_or_init(tokio::sync::Notify::new)
}

/// Bumped whenever accounts or checkpoints change, so waiting account tasks (in IDLE or
/// between polls) start a pass at once.
fn poke() -> &'static tokio::sync::watch::Sender<u64> {
    static P: std::sync::OnceLock<tokio::sync::watch::Sender<u64>> = std::sync::OnceLock::new();
    P.get_or_init(|| tokio::sync::watch::Sender::new(0))
}

/// Tells the fetcher that accounts or checkpoints changed.
fn wake() {
    wakeup().notify_one();
    poke().send_modify(|g| *g = g.wrapping_add(1));
}

/// Runs one fetch task per enabled account until dropped; restarts a task whose account
/// changed or was removed. Spawned by `serve()`.
pub async fn run(app: Arc<App>) -> Result<()> {
    let mut tasks: HashMap<u64, (ImapAccount, tokio::task::JoinHandle<()>)> = HashMap::new();
    loop {
        let a = app.clone();
        let accounts = tokio::task::spawn_blocking(move || load_accounts(&a))
            .await
            .map_err(|e| Error::internal(format!("imap: {e}")))
            .and_then(|r| r);
        match accounts {
            Ok(accounts) => {
                tasks.retain(|id, (cfg, handle)| {
                    let keep =
                        accounts.iter().any(|a| a.id == *id && a == cfg) && !handle.is_finished();
                    if !keep {
                        handle.abort();
                    }
                    keep
                });
                for acct in accounts.into_iter().filter(|a| a.enabled) {
                    if tasks.contains_key(&acct.id) {
                        continue;
                    }
                    let handle = tokio::spawn(account_task(app.clone(), acct.clone()));
                    tasks.insert(acct.id, (acct, handle));
                }
            }
            Err(e) => tracing::error!("imap: reading accounts: {e}"),
        }
        let _ = tokio::time::timeout(Duration::from_secs(30), wakeup().notified()).await;
    }
}

fn load_accounts(app: &App) -> Result<Vec<ImapAccount>> {
    app.store.read(|r| {
        r.scan(Table::ImapAccounts, &[], false, usize::MAX)?
            .into_iter()
            .map(|(_, v)| crate::store::codec::decode(&v))
            .collect()
    })
}

/// Fetches one account for ever: connect, passes with IDLE or polling in between; on an
/// error, records it for the admin and retries with back-off (5 s doubling to 10 min).
async fn account_task(app: Arc<App>, acct: ImapAccount) {
    let mut backoff = Duration::from_secs(5);
    // Set when the server advertises IDLE but refuses it: poll from then on.
    let mut idle_refused = false;
    loop {
        match session_loop(&app, &acct, &mut idle_refused).await {
            Ok(()) => backoff = Duration::from_secs(5),
            Err(e) => {
                let msg = match (&e.kind, &e.detail) {
                    (ErrorKind::Internal, Some(d)) => d.clone(),
                    _ => e.message.clone(),
                };
                tracing::warn!(account = acct.id, host = %acct.host, "imap: {msg}");
                let id = acct.id;
                let a = app.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    update_state(&a, id, |st, now| {
                        st.last_error = Some(msg.chars().take(500).collect());
                        st.last_error_ms = Some(now);
                    })
                })
                .await;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(600));
            }
        }
    }
}

type Stream = TlsStream<TcpStream>;
type ImapSession = async_imap::Session<Stream>;

async fn io<T, E: std::fmt::Display>(
    what: &str,
    f: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> Result<T> {
    match tokio::time::timeout(IO_TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Error::unavailable(format!("{what}: {e}"))),
        Err(_) => Err(Error::unavailable(format!("{what}: timed out"))),
    }
}

/// Trust anchors: the PEM CA file when given, else the public web roots.
fn load_roots(ca_file: Option<&str>) -> Result<rustls::RootCertStore> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(f) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(f)
                .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
                .map_err(|e| Error::invalid(format!("CA file {f}: {e}")))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(Error::invalid(format!(
                    "CA file {f}: no usable certificate"
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(roots)
}

async fn tls_connect(acct: &ImapAccount, tcp: TcpStream) -> Result<Stream> {
    let roots = load_roots(acct.ca_file.as_deref())?;
    let cfg = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from(acct.host.clone())
        .map_err(|e| Error::invalid(format!("IMAP server name {:?}: {e}", acct.host)))?;
    io(
        "TLS handshake",
        tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp),
    )
    .await
}

/// Connects, secures and logs in; returns the session and whether IDLE is offered.
async fn connect(acct: &ImapAccount) -> Result<(ImapSession, bool)> {
    let tcp = io(
        "connect",
        TcpStream::connect((acct.host.as_str(), acct.port)),
    )
    .await?;
    let _ = tcp.set_nodelay(true);
    let stream = match acct.tls {
        ImapTls::Implicit => {
            let tls = tls_connect(acct, tcp).await?;
            let mut client = async_imap::Client::new(tls);
            let greeting = io("greeting", client.read_response()).await?;
            if greeting.is_none() {
                return Err(Error::unavailable("the IMAP server closed the connection"));
            }
            client
        }
        ImapTls::StartTls => {
            let tcp = starttls(tcp).await?;
            async_imap::Client::new(tls_connect(acct, tcp).await?)
        }
    };
    let mut session = io("login", async {
        stream
            .login(&acct.username, &acct.password)
            .await
            .map_err(|(e, _)| e)
    })
    .await?;
    let caps = io("CAPABILITY", session.capabilities()).await?;
    Ok((session, caps.has_str("IDLE")))
}

/// The clear-text part of STARTTLS (RFC 3501 §6.2.1): greeting, `STARTTLS`, tagged OK.
/// Anything the server says in clear other than that is ignored (never trusted later).
async fn starttls(tcp: TcpStream) -> Result<TcpStream> {
    let mut r = BufReader::new(tcp);
    let mut line = String::new();
    io("greeting", r.read_line(&mut line)).await?;
    if !line.starts_with("* OK") {
        return Err(Error::unavailable(format!(
            "unexpected IMAP greeting {:?}",
            line.trim_end().chars().take(100).collect::<String>()
        )));
    }
    r.get_mut().write_all(b"T0 STARTTLS\r\n").await?;
    loop {
        line.clear();
        let n = io("STARTTLS", r.read_line(&mut line)).await?;
        if n == 0 || line.len() > 8192 {
            return Err(Error::unavailable("STARTTLS: connection closed"));
        }
        if let Some(rest) = line.strip_prefix("T0 ") {
            if rest.to_ascii_uppercase().starts_with("OK") {
                break;
            }
            return Err(Error::unavailable(format!(
                "STARTTLS refused: {}",
                rest.trim_end().chars().take(100).collect::<String>()
            )));
        }
    }
    if !r.buffer().is_empty() {
        return Err(Error::unavailable(
            "STARTTLS: the server sent data before the TLS handshake",
        ));
    }
    Ok(r.into_inner())
}

/// One connection: passes over the folder until an error.
async fn session_loop(app: &Arc<App>, acct: &ImapAccount, idle_refused: &mut bool) -> Result<()> {
    let (mut session, offered) = connect(acct).await?;
    let idle = offered && !*idle_refused;
    {
        let a = app.clone();
        let id = acct.id;
        tokio::task::spawn_blocking(move || update_state(&a, id, |st, _| st.idle = idle))
            .await
            .map_err(|e| Error::internal(format!("imap: {e}")))??;
    }
    if let AfterImport::MoveTo(folder) = &acct.after {
        // Make sure the target exists; "already exists" is the usual, harmless answer.
        let _ = io("CREATE", session.create(folder)).await;
    }
    let wait = Duration::from_secs(acct.poll_secs.max(5));
    let mut poked = poke().subscribe();
    loop {
        poked.mark_unchanged();
        pass(app, acct, &mut session).await?;
        if idle {
            let mut handle = session.idle();
            if let Err(e) = io("IDLE", handle.init()).await {
                *idle_refused = true;
                return Err(e);
            }
            {
                let (fut, _stop) = handle.wait_with_timeout(wait.min(MAX_IDLE));
                tokio::select! {
                    _ = fut => {}
                    _ = poked.changed() => {}
                }
            }
            session = io("DONE", handle.done()).await?;
        } else {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = poked.changed() => {}
            }
        }
    }
}

/// Reads, changes and writes the state of account `id` in one transaction.
fn update_state(app: &App, id: u64, f: impl FnOnce(&mut ImapState, i64)) -> Result<ImapState> {
    let now = app.now_ms();
    app.store.write(now, |tx| {
        // An account deleted meanwhile gets no state row back.
        if tx.get(Table::ImapAccounts, &be(id))?.is_none() {
            return Ok(ImapState::default());
        }
        let mut st: ImapState = tx.get_rec(Table::ImapState, &be(id))?.unwrap_or_default();
        f(&mut st, now);
        tx.put_rec(Table::ImapState, &be(id), &st)?;
        Ok(st)
    })
}

async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let a = app.clone();
    tokio::task::spawn_blocking(move || f(&a))
        .await
        .map_err(|e| Error::internal(format!("imap: {e}")))?
}

/// What happened to one fetched message.
#[derive(Debug, Clone, Copy)]
enum Handled {
    Imported,
    Duplicate,
    Quarantined,
}

/// One pass: select, list UIDs above the checkpoint, fetch, store, checkpoint, flag.
async fn pass(app: &Arc<App>, acct: &ImapAccount, session: &mut ImapSession) -> Result<()> {
    let mbox = io("SELECT", session.select(&acct.folder)).await?;
    let validity = mbox.uid_validity.unwrap_or(0);
    let id = acct.id;
    let mut st = blocking(app, move |a| update_state(a, id, |_, _| {})).await?;
    if st.uid_validity != validity {
        if st.uid_validity != 0 {
            tracing::warn!(
                account = id,
                "imap: UIDVALIDITY changed ({} -> {validity}); fetching the folder again, \
                 known Message-IDs are skipped",
                st.uid_validity
            );
        }
        st = blocking(app, move |a| {
            update_state(a, id, |s, _| {
                s.uid_validity = validity;
                s.last_uid = 0;
                s.unflagged.clear();
            })
        })
        .await?;
    }
    // Flags owed from an earlier pass that ended between commit and flag.
    if !st.unflagged.is_empty() {
        let uids = st.unflagged.clone();
        finish_on_server(acct, session, &uids).await?;
        blocking(app, move |a| {
            update_state(a, id, |s, _| s.unflagged.retain(|u| !uids.contains(u)))
        })
        .await?;
    }

    let generation = st.resets;
    let query = format!("UID {}:*", st.last_uid.saturating_add(1));
    let found = io("UID SEARCH", session.uid_search(&query)).await?;
    let mut uids: Vec<u32> = found.into_iter().filter(|u| *u > st.last_uid).collect();
    uids.sort_unstable();
    let mut report = PassReport {
        at_ms: app.now_ms(),
        listed: uids.len() as u64,
        ..Default::default()
    };
    for chunk in uids.chunks(BATCH) {
        let set = uid_set(chunk);
        let sizes: HashMap<u32, u64> = {
            let stream = io(
                "UID FETCH sizes",
                session.uid_fetch(&set, "(UID RFC822.SIZE)"),
            )
            .await?;
            let fetched: Vec<_> = io("UID FETCH sizes", collect(stream)).await?;
            fetched
                .iter()
                .filter_map(|f| Some((f.uid?, u64::from(f.size?))))
                .collect()
        };
        let mut done = Vec::new();
        for &uid in chunk {
            let Some(&size) = sizes.get(&uid) else {
                report.vanished += 1;
                let _ = blocking(app, move |a| {
                    update_state(a, id, |s, _| {
                        if s.resets == generation {
                            s.last_uid = uid;
                        }
                    })
                })
                .await?;
                continue;
            };
            let too_large = size > acct.max_size;
            let header_only = too_large && size > QUARANTINE_FULL_MAX;
            let item = if header_only {
                "BODY.PEEK[HEADER]"
            } else {
                "BODY.PEEK[]"
            };
            if let Some((u, n)) = st.fetch_failures
                && u == uid
                && n >= MAX_FETCH_ATTEMPTS
            {
                skip_unfetchable(app, acct, validity, uid, size, n).await?;
                report.unfetchable += 1;
                blocking(app, move |a| {
                    update_state(a, id, |s, now| {
                        if s.resets == generation {
                            s.last_uid = uid;
                        }
                        s.fetch_failures = None;
                        s.unfetchable += 1;
                        s.alerts.push(format!(
                            "{}: UID {uid} could not be fetched after {n} attempts; it is left \
                             unread on the server (see the quarantine)",
                            jiff::Timestamp::from_millisecond(now)
                                .map(|t| t.to_string())
                                .unwrap_or_default()
                        ));
                        let excess = s.alerts.len().saturating_sub(MAX_ALERTS);
                        s.alerts.drain(..excess);
                    })
                })
                .await?;
                continue;
            }
            let raw = match fetch_raw(session, uid, item, header_only).await {
                Ok(r) => r,
                Err(e) => {
                    let prev = st.fetch_failures;
                    blocking(app, move |a| {
                        update_state(a, id, |s, _| {
                            s.fetch_failures = match prev {
                                Some((u, n)) if u == uid => Some((uid, n + 1)),
                                _ => Some((uid, 1)),
                            };
                        })
                    })
                    .await?;
                    return Err(e);
                }
            };
            let Some(raw) = raw else {
                report.vanished += 1;
                let _ = blocking(app, move |a| {
                    update_state(a, id, |s, _| {
                        if s.resets == generation {
                            s.last_uid = uid;
                        }
                    })
                })
                .await?;
                continue;
            };
            report.fetched += 1;
            let handled =
                store_one(app, acct, validity, uid, raw, size, too_large, header_only).await?;
            match handled {
                Handled::Imported => report.imported += 1,
                Handled::Duplicate => report.duplicates += 1,
                Handled::Quarantined => report.quarantined += 1,
            }
            // Checkpoint (durable) before the server is told anything.
            blocking(app, move |a| {
                update_state(a, id, |s, _| {
                    if s.resets == generation {
                        s.last_uid = uid;
                    }
                    s.fetch_failures = None;
                    s.unflagged.push(uid);
                    s.fetched += 1;
                    match handled {
                        Handled::Imported => s.imported += 1,
                        Handled::Duplicate => s.duplicates += 1,
                        Handled::Quarantined => s.quarantined += 1,
                    }
                })
            })
            .await?;
            done.push(uid);
        }
        if !done.is_empty() {
            finish_on_server(acct, session, &done).await?;
            blocking(app, move |a| {
                update_state(a, id, |s, _| s.unflagged.retain(|u| !done.contains(u)))
            })
            .await?;
        }
    }
    let ok = report.reconciled();
    if !ok {
        tracing::warn!(account = id, ?report, "imap: counts do not reconcile");
    }
    blocking(app, move |a| {
        update_state(a, id, |s, now| {
            if !ok {
                s.alerts.push(format!(
                    "{}: listed {}, fetched {}, vanished {}, unfetchable {}, imported {}, duplicates {}, quarantined {}",
                    jiff::Timestamp::from_millisecond(now).map(|t| t.to_string()).unwrap_or_default(),
                    report.listed,
                    report.fetched,
                    report.vanished,
                    report.unfetchable,
                    report.imported,
                    report.duplicates,
                    report.quarantined
                ));
                let excess = s.alerts.len().saturating_sub(MAX_ALERTS);
                s.alerts.drain(..excess);
            }
            s.last_pass = Some(report);
            s.last_ok_ms = Some(now);
            s.last_error = None;
        })
    })
    .await?;
    Ok(())
}

/// The bytes of message `uid` (`item` is `BODY.PEEK[]` or `BODY.PEEK[HEADER]`); `None` when
/// the server no longer has it.
async fn fetch_raw(
    session: &mut ImapSession,
    uid: u32,
    item: &str,
    header_only: bool,
) -> Result<Option<Vec<u8>>> {
    let stream = io("UID FETCH", session.uid_fetch(uid.to_string(), item)).await?;
    let msgs: Vec<Fetch> = io("UID FETCH", collect(stream)).await?;
    Ok(msgs
        .into_iter()
        .find(|f| f.uid == Some(uid) || f.uid.is_none())
        .and_then(|f| {
            if header_only {
                f.header().map(<[u8]>::to_vec)
            } else {
                f.body().map(<[u8]>::to_vec)
            }
        }))
}

/// Records a message that could not be fetched after `attempts` tries: a quarantine note
/// naming it (the message itself stays on the server, unread).
async fn skip_unfetchable(
    app: &Arc<App>,
    acct: &ImapAccount,
    validity: u32,
    uid: u32,
    size: u64,
    attempts: u32,
) -> Result<()> {
    let source = format!(
        "imap {}@{}/{} UIDVALIDITY {validity} UID {uid}",
        acct.username, acct.host, acct.folder
    );
    tracing::warn!(%source, attempts, "imap: giving up fetching this message; it stays on the server");
    let note =
        format!("X-Trygg-Quarantine: not fetched after {attempts} attempts: {source}\r\n\r\n");
    let account = acct.id;
    blocking(app, move |a| {
        quarantine(
            a,
            &source,
            Some(account),
            note.as_bytes(),
            size,
            false,
            QuarantineReason::Unfetchable,
        )
    })
    .await?;
    Ok(())
}

/// Stores one fetched message: quarantined when too large, else ingested; a panic while
/// ingesting quarantines it. Storage errors are returned (the pass stops; the checkpoint
/// has not moved, so it is retried).
#[allow(clippy::too_many_arguments)]
async fn store_one(
    app: &Arc<App>,
    acct: &ImapAccount,
    validity: u32,
    uid: u32,
    raw: Vec<u8>,
    size: u64,
    too_large: bool,
    header_only: bool,
) -> Result<Handled> {
    let source = format!(
        "imap {}@{}/{} UIDVALIDITY {validity} UID {uid}",
        acct.username, acct.host, acct.folder
    );
    let account = acct.id;
    if too_large {
        blocking(app, move |a| {
            quarantine(
                a,
                &source,
                Some(account),
                &raw,
                size,
                header_only,
                QuarantineReason::TooLarge,
            )
        })
        .await?;
        return Ok(Handled::Quarantined);
    }
    let env = Envelope {
        mail_from: String::new(),
        rcpt_to: vec![acct.mailbox.clone()],
        peer: format!("imap:{}", acct.host),
        trace: Some(received_header(app, acct, validity, uid)),
    };
    let a = app.clone();
    let raw = Arc::new(raw);
    let r2 = raw.clone();
    let result: std::result::Result<Result<IngestOutcome>, _> =
        tokio::task::spawn_blocking(move || ingest(&a, &r2, &env)).await;
    match result {
        Ok(Ok(o)) if o.duplicate => Ok(Handled::Duplicate),
        Ok(Ok(_)) => Ok(Handled::Imported),
        Ok(Err(e)) if e.kind == ErrorKind::Invalid => {
            tracing::warn!(%source, "imap: message refused ({}); quarantined", e.message);
            quarantine_unprocessable(app, source, account, raw).await
        }
        Ok(Err(e)) => Err(e),
        Err(e) => {
            tracing::error!(%source, "imap: processing panicked ({e}); quarantined");
            quarantine_unprocessable(app, source, account, raw).await
        }
    }
}

async fn quarantine_unprocessable(
    app: &Arc<App>,
    source: String,
    account: u64,
    raw: Arc<Vec<u8>>,
) -> Result<Handled> {
    blocking(app, move |a| {
        quarantine(
            a,
            &source,
            Some(account),
            &raw,
            raw.len() as u64,
            false,
            QuarantineReason::Unprocessable,
        )
    })
    .await?;
    Ok(Handled::Quarantined)
}

/// The trace header for a fetched message (RFC 5321 §4.4 shape, `with IMAP`).
fn received_header(app: &App, acct: &ImapAccount, validity: u32, uid: u32) -> String {
    let now =
        jiff::Timestamp::from_millisecond(app.now_ms()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let date = jiff::fmt::rfc2822::to_string(&now.to_zoned_datetime(jiff::tz::TimeZone::UTC))
        .unwrap_or_default();
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_graphic())
            .take(200)
            .collect()
    };
    format!(
        "Received: from {} by {} (trygg) with IMAP\r\n\t(folder {} UIDVALIDITY {validity} UID {uid});\r\n\t{date}\r\n",
        clean(&acct.host),
        super::smtp::local_hostname(),
        clean(&acct.folder)
    )
}

/// Marks `uids` `\Seen` or moves them, as the account says.
async fn finish_on_server(
    acct: &ImapAccount,
    session: &mut ImapSession,
    uids: &[u32],
) -> Result<()> {
    let set = uid_set(uids);
    match &acct.after {
        AfterImport::MarkSeen => {
            let stream = io(
                "UID STORE",
                session.uid_store(&set, "+FLAGS.SILENT (\\Seen)"),
            )
            .await?;
            io("UID STORE", collect(stream)).await?;
        }
        AfterImport::MoveTo(folder) => {
            let caps = io("CAPABILITY", session.capabilities()).await?;
            if caps.has_str("MOVE") {
                io("UID MOVE", session.uid_mv(&set, folder)).await?;
            } else {
                io("UID COPY", session.uid_copy(&set, folder)).await?;
                let stream = io(
                    "UID STORE",
                    session.uid_store(&set, "+FLAGS.SILENT (\\Seen \\Deleted)"),
                )
                .await?;
                io("UID STORE", collect(stream)).await?;
                // Only with UIDPLUS can the expunge be limited to our messages (RFC 4315).
                if caps.has_str("UIDPLUS") {
                    let stream = io("UID EXPUNGE", session.uid_expunge(&set)).await?;
                    let _ = io("UID EXPUNGE", collect(stream)).await?;
                }
            }
        }
    }
    Ok(())
}

async fn collect<T, S>(stream: S) -> async_imap::error::Result<Vec<T>>
where
    S: futures_util::Stream<Item = async_imap::error::Result<T>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        out.push(item?);
    }
    Ok(out)
}

/// An IMAP sequence set for sorted `uids`, with ranges (`1:4,7,9:10`).
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_use_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 4, 7, 9, 10]), "1:4,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn reports_reconcile_only_when_everything_is_accounted_for() {
        let mut r = PassReport {
            listed: 3,
            fetched: 3,
            imported: 1,
            duplicates: 1,
            quarantined: 1,
            ..Default::default()
        };
        assert!(r.reconciled());
        r.imported = 0;
        assert!(!r.reconciled());
        r.imported = 1;
        r.fetched = 2;
        r.vanished = 1;
        r.quarantined = 0;
        assert!(r.reconciled());
    }

    #[test]
    fn account_input_is_validated() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path(), Arc::new(crate::app::SystemClock)).unwrap();
        let good = AccountInput {
            host: "imap.example.org".into(),
            username: "support".into(),
            password: "pw".into(),
            ..Default::default()
        };
        // Before setup: unavailable.
        assert_eq!(
            add_account(&app, &good).unwrap_err().kind,
            ErrorKind::Unavailable
        );
        for bad in [
            AccountInput {
                host: "bad host".into(),
                ..good.clone()
            },
            AccountInput {
                port: "0".into(),
                ..good.clone()
            },
            AccountInput {
                tls: "none".into(),
                ..good.clone()
            },
            AccountInput {
                password: String::new(),
                ..good.clone()
            },
            AccountInput {
                max_size: "10".into(),
                ..good.clone()
            },
            AccountInput {
                move_to: "INBOX".into(),
                ..good.clone()
            },
        ] {
            assert_eq!(
                add_account(&app, &bad).unwrap_err().kind,
                ErrorKind::Invalid
            );
        }
    }
}
