//! The local control socket (`DATA/control.sock`, mode 0600 in a 0700 directory): while a
//! server holds the store's lock, the CLI asks the server instead of opening the store
//! (DESIGN decision 5). One JSON request line, one JSON response line per connection.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::App;
use crate::audit::access::Actor;
use crate::error::{Error, ErrorKind, Result};
use crate::helpdesk::tickets::{self, StatusFilter};

/// File name of the socket inside the data directory.
pub const SOCKET_FILE: &str = "control.sock";
/// Largest request line accepted, bytes.
const MAX_REQUEST: usize = 64 * 1024;

/// A request from the CLI.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    TicketList {
        status: Option<String>,
        limit: usize,
    },
    TicketShow {
        number: u64,
    },
    Ping,
    // mail rules
    MailRulesShow,
    MailRulesSet {
        patch: crate::helpdesk::autoreply::MailRulesPatch,
    },
    TicketMailInfo {
        number: u64,
    },
    TicketMerge {
        from: u64,
        into: u64,
    },
    // backup
    /// Take a backup now (`trygg backup run`).
    BackupRun(crate::backup::RunRequest),
    /// Settings, chains, schedule state and drill reports (`trygg backup status`).
    BackupStatus,
    /// Change backup settings; `None` / empty leaves a value as it is.
    BackupConfigure {
        target: Option<String>,
        recipients: Vec<String>,
        passphrase: Option<String>,
        full_every_days: Option<u32>,
        incremental_every_hours: Option<u32>,
        ship_every_secs: Option<u32>,
        keep_chains: Option<u32>,
        enabled: Option<bool>,
    },
    // access
    /// Check the audit chain (not itself audited: it shows no personal data).
    AuditVerify,
    /// `trygg security reset-network`.
    SecurityResetNetwork,
    // gdpr
    /// `trygg gdpr export`: the archive is written by the server to `out` (absolute).
    GdprExport {
        subject: crate::gdpr::SubjectSpec,
        out: String,
    },
    /// `trygg gdpr erase` without `--yes`: what it would do.
    GdprErasePreview {
        subject: crate::gdpr::SubjectSpec,
    },
    /// `trygg gdpr erase --yes`.
    GdprErase {
        subject: crate::gdpr::SubjectSpec,
    },
    // contacts
    /// `trygg gdpr rectify`.
    GdprRectify {
        email: String,
        fields: crate::gdpr::contacts::Rectification,
    },
    // retention
    /// `trygg gdpr hold ticket N --reason R | --lift` (`reason: None` lifts).
    GdprHoldTicket {
        number: u64,
        reason: Option<String>,
    },
    /// `trygg gdpr hold contact ADDR --reason R | --lift`.
    GdprHoldContact {
        address: String,
        reason: Option<String>,
    },
    /// `trygg gdpr retention preview`: what the next run would touch.
    GdprRetentionPreview,
    /// `trygg gdpr retention run`: apply the retention rules now (audited).
    GdprRetentionRun,
    /// Export audit records from `since_ms` (Unix ms) as `json` or `csv` text.
    AuditExport {
        since_ms: i64,
        format: crate::audit::Format,
    },
    // records
    /// `trygg gdpr records`: the record of processing (Art. 30), as JSON or as Markdown
    /// text (`markdown`).
    GdprRecords {
        markdown: bool,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct ErrorBody {
    kind: ErrorKind,
    message: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Response {
    Ok(Value),
    Error(ErrorBody),
}

/// Parses a status filter (`open`, `closed`, `all`).
pub fn parse_status(s: Option<&str>) -> Result<StatusFilter> {
    match s.map(|s| s.to_ascii_lowercase()).as_deref() {
        None | Some("all") => Ok(StatusFilter::All),
        Some("open") => Ok(StatusFilter::Open),
        Some("closed") => Ok(StatusFilter::Closed),
        Some(other) => Err(Error::invalid(format!(
            "status must be open, closed or all, not {other:?}"
        ))),
    }
}

/// Executes `req` against `app` as `actor` (used by the socket server and by the CLI when
/// no server runs, so both answer identically; reads are audited under the actor).
pub fn execute(app: &App, actor: &Actor, req: &Request) -> Result<Value> {
    match req {
        Request::TicketList { status, limit } => {
            let filter = parse_status(status.as_deref())?;
            Ok(serde_json::to_value(tickets::list(
                app, actor, filter, *limit,
            )?)?)
        }
        Request::TicketShow { number } => {
            Ok(serde_json::to_value(tickets::show(app, actor, *number)?)?)
        }
        Request::Ping => Ok(Value::String("pong".into())),
        // mail rules
        Request::MailRulesShow => Ok(serde_json::to_value(
            app.store.read(crate::helpdesk::autoreply::load)?,
        )?),
        Request::MailRulesSet { patch } => audited(
            app,
            actor,
            "admin.mail.rules",
            "mail rules",
            serde_json::to_value(crate::helpdesk::autoreply::update(app, patch)?)
                .map_err(Into::into),
        ),
        Request::TicketMailInfo { number } => crate::helpdesk::links::mail_info(app, *number),
        Request::TicketMerge { from, into } => Ok(serde_json::json!({
            "moved": crate::helpdesk::links::merge(app, actor, *from, *into)?
        })),
        // backup
        Request::BackupStatus => crate::backup::cli::execute(app, req),
        Request::BackupRun(_) => audited(
            app,
            actor,
            "backup.run",
            "backup",
            crate::backup::cli::execute(app, req),
        ),
        Request::BackupConfigure { .. } => audited(
            app,
            actor,
            "admin.backup",
            "backup settings",
            crate::backup::cli::execute(app, req),
        ),
        // gdpr
        Request::GdprExport { subject, out } => Ok(serde_json::to_value(
            crate::gdpr::export_subject(app, actor, subject, Path::new(out))?,
        )?),
        Request::GdprErasePreview { subject } => Ok(serde_json::to_value(
            crate::gdpr::erasure_preview(app, actor, subject)?,
        )?),
        Request::GdprErase { subject } => Ok(serde_json::to_value(crate::gdpr::erase_subject(
            app, actor, subject,
        )?)?),
        // contacts
        Request::GdprRectify { email, fields } => Ok(serde_json::to_value(
            crate::gdpr::contacts::rectify(app, actor, email, fields)?,
        )?),
        // retention
        Request::GdprHoldTicket { number, reason } => Ok(serde_json::to_value(
            crate::gdpr::hold::set_ticket(app, actor, *number, reason.as_deref())?,
        )?),
        Request::GdprHoldContact { address, reason } => Ok(serde_json::to_value(
            crate::gdpr::hold::set_contact(app, actor, address, reason.as_deref())?,
        )?),
        Request::GdprRetentionPreview => {
            let now = app.now_ms();
            Ok(serde_json::to_value(
                app.store
                    .read(|r| crate::gdpr::retention::preview(r, now))?,
            )?)
        }
        Request::GdprRetentionRun => Ok(serde_json::to_value(crate::gdpr::retention::run(
            app,
            actor,
            app.now_ms(),
        )?)?),
        Request::SecurityResetNetwork => audited(
            app,
            actor,
            "admin.security.reset_network",
            "security policy",
            app.store
                .write(app.now_ms(), |tx| {
                    let mut p = crate::auth::policy::load(tx)?;
                    p.allow_global.clear();
                    p.allow_roles.clear();
                    p.trusted_proxies.clear();
                    crate::auth::policy::save(tx, p)
                })
                .map(|()| Value::String("network allow-lists and trusted proxies cleared".into())),
        ),
        // access
        Request::AuditVerify => Ok(serde_json::to_value(
            app.store.read(crate::audit::verify_chain)?,
        )?),
        Request::AuditExport { since_ms, format } => Ok(Value::String(crate::audit::export_as(
            app, actor, *since_ms, *format,
        )?)),
        // records
        Request::GdprRecords { markdown } => {
            let rec = crate::gdpr::records::build(app)?;
            let (object, v) = if *markdown {
                (
                    "processing-record.md",
                    Value::String(crate::gdpr::records::to_markdown(&rec)),
                )
            } else {
                ("processing-record.json", serde_json::to_value(&rec)?)
            };
            audited(app, actor, "records.export", object, Ok(v))
        }
    }
}

/// Records a successful change made through the CLI under `actor` (issue 4: every admin
/// setting change and every export is an audit event).
fn audited(
    app: &App,
    actor: &Actor,
    action: &str,
    object: &str,
    r: Result<Value>,
) -> Result<Value> {
    let v = r?;
    crate::audit::access::record(
        app,
        crate::audit::Event {
            actor: actor.id.clone(),
            role: crate::auth::roles::LOCAL_ADMIN.to_string(),
            client: actor.client.clone(),
            action: action.to_string(),
            object: object.to_string(),
            outcome: crate::audit::Outcome::Ok,
            detail: String::new(),
        },
    )?;
    Ok(v)
}

/// access: the local operator as an audit actor: `cli:<name of unix user uid>`.
pub fn local_actor(uid: u32) -> Actor {
    Actor::local(&unix_user_name(uid))
}

/// The login name of `uid` from `/etc/passwd`, or `uid<N>` when it has none.
pub fn unix_user_name(uid: u32) -> String {
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                let id = f.nth(1)?;
                (id.parse::<u32>().ok() == Some(uid)).then(|| name.to_string())
            })
        })
        .unwrap_or_else(|| format!("uid{uid}"))
}

/// The effective uid of this process (owner of `/proc/self`).
pub fn current_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}

/// Path of the socket for `data_dir`.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

/// Serves the control socket until the task is dropped. Replaces a stale socket file.
pub async fn serve(app: Arc<App>) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let path = socket_path(&app.data_dir);
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)
        .map_err(|e| Error::internal(format!("control socket {}: {e}", path.display())))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("control socket accept: {e}");
                continue;
            }
        };
        let app = app.clone();
        // access: the caller's uid from the kernel (SO_PEERCRED), for the audit record.
        let uid = stream.peer_cred().map(|c| c.uid()).unwrap_or(u32::MAX);
        tokio::spawn(async move {
            let actor = local_actor(uid);
            let (rd, mut wr) = stream.into_split();
            let mut line = String::new();
            let mut rd = tokio::io::BufReader::new(rd).take(MAX_REQUEST as u64);
            if rd.read_line(&mut line).await.is_err() {
                return;
            }
            let resp = match serde_json::from_str::<Request>(&line) {
                Ok(req) => {
                    let app2 = app.clone();
                    match tokio::task::spawn_blocking(move || execute(&app2, &actor, &req)).await {
                        Ok(Ok(v)) => Response::Ok(v),
                        Ok(Err(e)) => Response::Error(ErrorBody {
                            kind: e.kind,
                            message: e.message,
                        }),
                        Err(e) => Response::Error(ErrorBody {
                            kind: ErrorKind::Internal,
                            message: format!("request failed: {e}"),
                        }),
                    }
                }
                Err(e) => Response::Error(ErrorBody {
                    kind: ErrorKind::Invalid,
                    message: format!("bad request: {e}"),
                }),
            };
            let mut out = serde_json::to_vec(&resp).unwrap_or_default();
            out.push(b'\n');
            let _ = wr.write_all(&out).await;
        });
    }
}

/// Sends `req` to the server of `data_dir`. `Ok(None)` when no server listens there.
pub fn call(data_dir: &Path, req: &Request) -> Result<Option<Value>> {
    call_with_timeout(data_dir, req, std::time::Duration::from_secs(60))
}

// backup: long requests (a full backup of a large store) need a longer wait than 60 s.
/// [`call`] waiting at most `timeout` for the answer.
pub fn call_with_timeout(
    data_dir: &Path,
    req: &Request,
    timeout: std::time::Duration,
) -> Result<Option<Value>> {
    let path = socket_path(data_dir);
    let stream = match std::os::unix::net::UnixStream::connect(&path) {
        Ok(s) => s,
        Err(_) => return Ok(None),
    };
    stream.set_read_timeout(Some(timeout))?;
    let mut w = &stream;
    let mut line = serde_json::to_vec(req)?;
    line.push(b'\n');
    w.write_all(&line)?;
    let mut resp = String::new();
    BufReader::new(&stream).read_line(&mut resp)?;
    match serde_json::from_str::<Response>(&resp)
        .map_err(|e| Error::internal(format!("bad answer from server: {e}")))?
    {
        Response::Ok(v) => Ok(Some(v)),
        Response::Error(b) => Err(Error::new(b.kind, b.message)),
    }
}
