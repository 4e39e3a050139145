//! `trygg backup …` and `trygg restore`: the commands for admins and backup scripts.
//!
//! Exit codes (as every trygg command): 0 success; 1 internal error or unavailable (target
//! not writable, store busy); 2 invalid (bad flags, a damaged or altered backup file);
//! 3 not found (no chain, a file listed in the manifest is missing); 4 conflict (data
//! directory not empty, log truncated past the chain); 5 forbidden (wrong identity or
//! passphrase).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::format::Kind;
use super::keys::DecryptWith;
use super::restore::RestoreOptions;
use super::{BackupSettings, RunRequest};
use crate::app::{App, SystemClock};
use crate::cli::DataArg;
use crate::control::{self, Request};
use crate::error::{Error, Result};

/// `trygg backup …`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Make an age key pair: the identity (secret) goes to FILE, to be kept offline; the
    /// public key is printed for `trygg backup configure --recipient`.
    Keygen {
        /// Where to write the identity (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Set the target, keys and schedule (through the running server, or on the store).
    Configure(ConfigureArgs),
    /// Show settings, the newest chain and the latest drill reports.
    Status {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        json: bool,
    },
    /// Take a backup now.
    Run(RunArgs),
    /// Check backups: manifests, hashes and continuity; with a key, every frame.
    Verify {
        /// Backup directory.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
        #[arg(long)]
        json: bool,
    },
    /// Disaster-recovery drill: restore into a temporary directory, check, report.
    Drill {
        /// Backup directory (the report is also saved there as drill-<time>.json).
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        key: KeyArgs,
        /// Also write the JSON report here.
        #[arg(long)]
        report: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

/// The decryption secret: an identity file or a passphrase file.
#[derive(Debug, Args, Clone)]
pub struct KeyArgs {
    /// age identity file (from trygg backup keygen).
    #[arg(long, conflicts_with = "passphrase_file")]
    pub identity: Option<PathBuf>,
    /// File holding the backup passphrase (passphrase mode), - for standard input.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
}

impl KeyArgs {
    fn load(&self) -> Result<Option<DecryptWith>> {
        match (&self.identity, &self.passphrase_file) {
            (Some(p), _) => DecryptWith::identity_file(p).map(Some),
            (None, Some(p)) => DecryptWith::passphrase_file(p).map(Some),
            (None, None) => Ok(None),
        }
    }
    fn require(&self) -> Result<DecryptWith> {
        self.load()?
            .ok_or_else(|| Error::invalid("give --identity FILE (or --passphrase-file FILE)"))
    }
}

/// Flags of `trygg backup configure`.
#[derive(Debug, Args)]
pub struct ConfigureArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Target directory (absolute path; local disk or mounted NAS).
    #[arg(long)]
    pub target: Option<PathBuf>,
    /// age public key (age1…); repeat for several. Replaces the stored list.
    #[arg(long = "recipient")]
    pub recipients: Vec<String>,
    /// Passphrase mode: file holding the passphrase (the server will hold it).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// Days between full backups (0 = on request only).
    #[arg(long)]
    pub full_every_days: Option<u32>,
    /// Hours between incremental backups (0 = none).
    #[arg(long)]
    pub incremental_every_hours: Option<u32>,
    /// Seconds between shipped log segments (0 = none, else >= 2).
    #[arg(long)]
    pub ship_every_secs: Option<u32>,
    /// Chains to keep.
    #[arg(long)]
    pub keep_chains: Option<u32>,
    /// Turn the schedule off.
    #[arg(long, conflicts_with = "enable")]
    pub disable: bool,
    /// Turn the schedule on (the default when a target is given).
    #[arg(long)]
    pub enable: bool,
    #[arg(long)]
    pub json: bool,
}

/// Flags of `trygg backup run`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["full", "incremental", "segment"])))]
pub struct RunArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// A full backup (starts a new chain).
    #[arg(long)]
    pub full: bool,
    /// The change-log records since the chain's last file.
    #[arg(long)]
    pub incremental: bool,
    /// Ship a log segment now (as the schedule does).
    #[arg(long)]
    pub segment: bool,
    /// Another target directory for this run (the change log is not truncated for it).
    #[arg(long)]
    pub to: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// Flags of `trygg restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Backup directory.
    #[arg(long)]
    pub from: PathBuf,
    #[command(flatten)]
    pub key: KeyArgs,
    /// Data directory to create.
    #[arg(long)]
    pub to: PathBuf,
    /// Restore up to this time (RFC 3339, e.g. 2026-11-30T08:15:00Z).
    #[arg(long, conflicts_with = "seq")]
    pub until: Option<String>,
    /// Restore up to this change-log sequence number.
    #[arg(long)]
    pub seq: Option<u64>,
    /// Restore this chain (default: the newest that fits).
    #[arg(long)]
    pub chain: Option<String>,
    /// Replace the store in a non-empty data directory.
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
}

fn app_direct(data: &std::path::Path) -> Result<Arc<App>> {
    if !data.join(crate::app::STORE_FILE).exists() {
        return Err(Error::not_found(format!(
            "no trygg data in {} (run trygg setup or trygg serve first)",
            data.display()
        )));
    }
    App::open(data, Arc::new(SystemClock))
}

/// Asks the running server, or executes on the store when none runs.
fn query(data: &std::path::Path, req: Request) -> Result<serde_json::Value> {
    // A full backup of a large store can take many minutes.
    let wait = std::time::Duration::from_secs(24 * 3600);
    if let Some(v) = control::call_with_timeout(data, &req, wait)? {
        return Ok(v);
    }
    let app = app_direct(data)?;
    control::execute(&app, &control::local_actor(control::current_uid()), &req)
}

fn print(json: bool, v: &serde_json::Value, human: impl FnOnce() -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(v)?);
    } else {
        println!("{}", human());
    }
    Ok(())
}

/// Runs `trygg backup …`.
pub fn run_backup(cmd: BackupCommand) -> Result<()> {
    match cmd {
        BackupCommand::Keygen { out, json } => {
            if out.exists() {
                return Err(Error::conflict(format!(
                    "{} exists; not overwriting",
                    out.display()
                )));
            }
            let now = jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            let (text, public) = super::keys::keygen(&now);
            crate::app::write_atomic(&out, text.as_bytes(), 0o600)?;
            let v = serde_json::json!({"identity_file": out, "public_key": public});
            print(json, &v, || {
                format!(
                    "public key: {public}\nidentity written to {}\n\
                     Store the identity file OFFLINE (printed, or on a USB stick in a safe) and delete it\n\
                     from this machine: the server only needs the public key. Without the identity no\n\
                     backup can be restored; with it, anyone can read them.\n\
                     Next: trygg backup configure --target DIR --recipient {public}",
                    out.display()
                )
            })
        }
        BackupCommand::Configure(a) => {
            let passphrase = match &a.passphrase_file {
                Some(p) => Some(crate::cli::read_secret_file("backup passphrase", p)?),
                None => None,
            };
            let req = Request::BackupConfigure {
                target: a.target.map(|p| p.display().to_string()),
                recipients: a.recipients,
                passphrase,
                full_every_days: a.full_every_days,
                incremental_every_hours: a.incremental_every_hours,
                ship_every_secs: a.ship_every_secs,
                keep_chains: a.keep_chains,
                enabled: if a.disable {
                    Some(false)
                } else if a.enable {
                    Some(true)
                } else {
                    None
                },
            };
            let v = query(&a.data.data, req)?;
            print(a.json, &v, || "backup settings saved".into())
        }
        BackupCommand::Status { data, json } => {
            let v = query(&data.data, Request::BackupStatus)?;
            print(json, &v, || status_text(&v))
        }
        BackupCommand::Run(a) => {
            let kind = if a.full {
                Kind::Full
            } else if a.incremental {
                Kind::Incremental
            } else {
                Kind::Segment
            };
            let req = Request::BackupRun(RunRequest {
                kind,
                to: a.to.map(|p| p.display().to_string()),
            });
            let v = query(&a.data.data, req)?;
            print(a.json, &v, || {
                if v["skipped"].as_bool() == Some(true) {
                    format!(
                        "nothing new since the chain's last file (chain {})",
                        v["chain"].as_str().unwrap_or("")
                    )
                } else {
                    format!(
                        "{} backup written: {} (seq {}..{}, {} bytes, {} ms)",
                        kind.as_str(),
                        v["file"]["file"].as_str().unwrap_or(""),
                        v["file"]["seq_from"],
                        v["file"]["seq_to"],
                        v["file"]["size"],
                        v["duration_ms"]
                    )
                }
            })
        }
        BackupCommand::Verify { from, key, json } => {
            let keys = key.load()?;
            let rep = super::verify::verify(&from, keys.as_ref())?;
            let v = serde_json::to_value(&rep)?;
            print(json, &v, || {
                format!(
                    "ok: {} chains, {} files, {} bytes{}",
                    rep.chains,
                    rep.files,
                    rep.bytes,
                    if rep.decrypted {
                        ", every file decrypted and every frame checked"
                    } else {
                        " (hashes and continuity; give --identity to check contents)"
                    }
                )
            })
        }
        BackupCommand::Drill {
            from,
            key,
            report,
            json,
        } => {
            let keys = key.require()?;
            let now = jiff::Timestamp::now().as_millisecond();
            let rep = super::drill::drill(&from, &keys, now)?;
            match super::drill::save_report(&from, &rep, now) {
                Ok(_) => {}
                Err(e) => eprintln!("trygg: note: report not saved in {}: {e}", from.display()),
            }
            if let Some(p) = report {
                crate::app::write_atomic(&p, &serde_json::to_vec_pretty(&rep)?, 0o600)?;
            }
            let v = serde_json::to_value(&rep)?;
            print(json, &v, || rep.human())?;
            if !rep.ok {
                let first = rep
                    .checks
                    .iter()
                    .find(|c| !c.ok)
                    .map(|c| format!("{}: {}", c.name, c.detail));
                return Err(Error::invalid(format!(
                    "drill FAILED: {}",
                    first.unwrap_or_default()
                )));
            }
            Ok(())
        }
    }
}

/// `trygg backup status` for people.
fn status_text(v: &serde_json::Value) -> String {
    let st = &v["settings"];
    let mut s = format!(
        "schedule: {}; target {}\n\
         full every {} days, incremental every {} h, log shipped every {} s, {} chains kept\n\
         encryption: {}\n\
         change log: head {}, oldest kept {}, safely backed up to {}\n",
        if st["enabled"].as_bool() == Some(true) {
            "on"
        } else {
            "off"
        },
        st["target"]
            .as_str()
            .filter(|t| !t.is_empty())
            .unwrap_or("(none)"),
        st["full_every_days"],
        st["incremental_every_hours"],
        st["ship_every_secs"],
        st["keep_chains"],
        if st["passphrase_mode"].as_bool() == Some(true) {
            "passphrase".to_string()
        } else {
            format!(
                "{} recipient(s)",
                st["recipients"].as_array().map_or(0, Vec::len)
            )
        },
        v["head_seq"],
        v["log_first_seq"],
        v["watermarks"]["backup"]
            .as_u64()
            .map_or("-".to_string(), |w| w.to_string()),
    );
    if let Some(e) = v["schedule"]["last_error"].as_str() {
        s.push_str(&format!("last error: {e}\n"));
    }
    for c in v["chains"].as_array().into_iter().flatten() {
        let files = c["entries"].as_array().map_or(0, Vec::len);
        let last = c["entries"].as_array().and_then(|a| a.last());
        s.push_str(&format!(
            "chain {}: {files} files, up to seq {}\n",
            c["chain"].as_str().unwrap_or(""),
            last.map_or(serde_json::Value::Null, |l| l["seq_to"].clone())
        ));
    }
    for d in v["drills"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "drill {}: {} (RPO {:.1} s, {} ms)\n",
            d["started"].as_str().unwrap_or(""),
            if d["ok"].as_bool() == Some(true) {
                "passed"
            } else {
                "FAILED"
            },
            d["rpo_ms"].as_f64().unwrap_or(0.0) / 1000.0,
            d["duration_ms"]
        ));
    }
    s.trim_end().to_string()
}

/// Parses `--until`: an RFC 3339 time, a date `YYYY-MM-DD` (its start, midnight UTC, as
/// `audit export --since` reads dates), or plain Unix milliseconds. Errors: `Invalid`.
pub fn parse_until(s: &str) -> Result<i64> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    let bad = || {
        Error::invalid(format!(
            "--until must be RFC 3339 (2026-11-30T08:15:00Z) or a date (2026-11-30), not {s:?}"
        ))
    };
    let d: jiff::civil::Date = s.parse().map_err(|_| bad())?;
    d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| bad())
}

/// Runs `trygg restore`.
pub fn run_restore(a: RestoreArgs) -> Result<()> {
    let keys = a.key.require()?;
    let o = RestoreOptions {
        from: a.from,
        to: a.to,
        until_ms: a.until.as_deref().map(parse_until).transpose()?,
        seq: a.seq,
        chain: a.chain,
        force: a.force,
        progress: !a.json && std::io::stderr().is_terminal(),
    };
    let r = super::restore::restore(&o, &keys)?;
    let v = serde_json::to_value(&r)?;
    print(a.json, &v, || {
        format!(
            "restored chain {} ({} files) into {}: seq {} ({} rows + {} changes) in {:.1} s\nstart it with: trygg serve --data {}",
            r.chain,
            r.files.len(),
            r.data_dir,
            r.seq,
            r.rows,
            r.changes,
            r.duration_ms as f64 / 1000.0,
            r.data_dir
        )
    })
}

/// Executes a backup control request (server side, or directly on the store).
pub fn execute(app: &App, req: &Request) -> Result<serde_json::Value> {
    match req {
        Request::BackupRun(r) => Ok(serde_json::to_value(super::run(app, r)?)?),
        Request::BackupStatus => {
            let s = app.store.read(super::load_settings)?;
            let chains = if s.target.is_empty() {
                Vec::new()
            } else {
                super::manifest::list_chains(std::path::Path::new(&s.target)).unwrap_or_default()
            };
            let drills = super::drill_reports(std::path::Path::new(&s.target), 5);
            Ok(serde_json::json!({
                "settings": public_settings(&s),
                "head_seq": app.store.head_seq()?,
                "log_first_seq": app.store.log_first_seq()?,
                "watermarks": app.store.watermarks()?,
                "chains": chains,
                "schedule": super::status(),
                "drills": drills,
            }))
        }
        Request::BackupConfigure {
            target,
            recipients,
            passphrase,
            full_every_days,
            incremental_every_hours,
            ship_every_secs,
            keep_chains,
            enabled,
        } => {
            let mut s = app.store.read(super::load_settings)?;
            if let Some(t) = target {
                s.target = t.clone();
                s.enabled = true;
            }
            if !recipients.is_empty() {
                s.recipients = recipients.clone();
                s.passphrase = None;
            }
            if passphrase.is_some() {
                s.passphrase = passphrase.clone();
            }
            if let Some(v) = full_every_days {
                s.full_every_days = *v;
            }
            if let Some(v) = incremental_every_hours {
                s.incremental_every_hours = *v;
            }
            if let Some(v) = ship_every_secs {
                s.ship_every_secs = *v;
            }
            if let Some(v) = keep_chains {
                s.keep_chains = *v;
            }
            if let Some(e) = enabled {
                s.enabled = *e;
            }
            super::save_settings(app, &s)?;
            Ok(public_settings(&s))
        }
        _ => Err(Error::invalid("not a backup request")),
    }
}

/// Settings without the passphrase.
pub fn public_settings(s: &BackupSettings) -> serde_json::Value {
    serde_json::json!({
        "enabled": s.enabled,
        "target": s.target,
        "recipients": s.recipients,
        "passphrase_mode": s.passphrase.is_some(),
        "full_every_days": s.full_every_days,
        "incremental_every_hours": s.incremental_every_hours,
        "ship_every_secs": s.ship_every_secs,
        "keep_chains": s.keep_chains,
    })
}
