//! Encrypted backups that are proven to restore (docs/backup-and-restore.md).
//!
//! - [`full`]: a consistent snapshot of every replicated table at one change-log sequence
//!   number, read in one MVCC read transaction while the server keeps writing.
//! - [`incremental`]: the change-log records since the previous file of the chain; the same
//!   code writes the segments that [`shipping`] sends on a schedule and at shutdown.
//! - [`restore`], [`verify`], [`drill`]: read a target directory back.
//!
//! Every file is age-encrypted to X25519 recipients (or a passphrase) in the [`format`]
//! of docs/backup-format.md, written atomically, then listed in the chain's plain-text
//! [`manifest`]. Only after that does the backup watermark move, and only then may the
//! change log be truncated.

pub mod cli;
pub mod drill;
pub mod format;
pub mod full;
pub mod incremental;
pub mod keys;
pub mod manifest;
pub mod restore;
pub mod shipping;
pub mod verify;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::{Error, Result};
use crate::store::snapshot::Snapshot;
use crate::store::{Reader, Table};
use format::{FrameWriter, HashingWriter, Header, Kind};
use keys::EncryptTo;
use manifest::{Entry, Manifest};

/// Settings key (Settings table) of [`BackupSettings`].
pub const SETTINGS_KEY: &[u8] = b"backup";
/// Watermark name of the configured backup target (see `Store::set_watermark`).
pub const WATERMARK: &str = "backup";
/// Shortest shipping interval accepted, seconds.
pub const MIN_SHIP_SECS: u32 = 2;

/// Backup schedule, target and keys; kept in the store (backed up and replicated). Holds
/// only public keys, so a stolen server cannot read its backups (except in passphrase mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSettings {
    /// Whether the server runs the schedule.
    pub enabled: bool,
    /// Target directory (local disk or mounted NAS).
    pub target: String,
    /// age X25519 public keys (`age1…`); every file is readable by any one of them.
    pub recipients: Vec<String>,
    /// Passphrase mode (small setups): used instead of `recipients` when set. The server
    /// then holds the secret, so this protects a stolen backup disk, not a stolen server.
    #[serde(default)]
    pub passphrase: Option<String>,
    /// Days between full backups (each starts a new chain); 0 = only on request.
    pub full_every_days: u32,
    /// Hours between incremental backups; 0 = none.
    pub incremental_every_hours: u32,
    /// Seconds between shipped log segments; 0 = none, else at least [`MIN_SHIP_SECS`].
    pub ship_every_secs: u32,
    /// Chains kept in the target; older ones are deleted after a new full backup.
    pub keep_chains: u32,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            enabled: false,
            target: String::new(),
            recipients: Vec::new(),
            passphrase: None,
            full_every_days: 30,
            incremental_every_hours: 24,
            ship_every_secs: 60,
            keep_chains: 3,
        }
    }
}

impl BackupSettings {
    /// Checks the values. Errors: `Invalid` saying what to fix.
    pub fn validate(&self) -> Result<()> {
        if self.enabled && self.target.trim().is_empty() {
            return Err(Error::invalid("choose a backup target directory"));
        }
        if !self.target.is_empty() && !Path::new(&self.target).is_absolute() {
            return Err(Error::invalid("the backup target must be an absolute path"));
        }
        for (i, r) in self.recipients.iter().enumerate() {
            if self.recipients[..i].iter().any(|o| o.trim() == r.trim()) {
                return Err(Error::invalid(format!("recipient {r} is listed twice")));
            }
        }
        if self.passphrase.is_none() {
            if self.enabled {
                EncryptTo::recipients(&self.recipients)?;
            } else {
                for r in &self.recipients {
                    keys::parse_recipient(r)?;
                }
            }
        }
        if let Some(p) = &self.passphrase
            && p.chars().count() < 12
        {
            return Err(Error::invalid(
                "the backup passphrase must have at least 12 characters",
            ));
        }
        if self.ship_every_secs != 0 && self.ship_every_secs < MIN_SHIP_SECS {
            return Err(Error::invalid(format!(
                "ship log segments every {MIN_SHIP_SECS} seconds or more (0 turns shipping off)"
            )));
        }
        if self.keep_chains == 0 {
            return Err(Error::invalid("keep at least one backup chain"));
        }
        Ok(())
    }

    /// How files are encrypted.
    pub fn encrypt_to(&self) -> Result<EncryptTo> {
        match &self.passphrase {
            Some(p) => Ok(EncryptTo::Passphrase(p.clone().into())),
            None => EncryptTo::recipients(&self.recipients),
        }
    }
}

/// The stored backup settings (defaults when never configured).
pub fn load_settings(r: &impl Reader) -> Result<BackupSettings> {
    Ok(r.get_rec(Table::Settings, SETTINGS_KEY)?
        .unwrap_or_default())
}

/// The backup settings the setup wizard (or `trygg setup`) asks for: a target directory and
/// one age public key, with the default schedule (full monthly, incremental daily,
/// segments every minute). Both empty: `None` (configure later). Errors: `Invalid` when
/// only one is given, the key is not an age X25519 public key, the path is not absolute,
/// or it names something that is not a directory, cannot be created or written. Creates
/// the directory (0700) when it is missing.
pub fn settings_from_setup(target: &str, recipient: &str) -> Result<Option<BackupSettings>> {
    let (target, recipient) = (target.trim(), recipient.trim());
    if target.is_empty() && recipient.is_empty() {
        return Ok(None);
    }
    if target.is_empty() || recipient.is_empty() {
        return Err(Error::invalid(
            "backups: give both the target directory and the public key (or neither)",
        ));
    }
    let s = BackupSettings {
        enabled: true,
        target: target.to_string(),
        recipients: vec![recipient.to_string()],
        ..BackupSettings::default()
    };
    s.validate()?;
    let dir = Path::new(target);
    let parent_ok = dir.parent().is_some_and(|p| p.is_dir());
    if (dir.exists() && !dir.is_dir()) || (!dir.exists() && !parent_ok) {
        return Err(Error::invalid(format!(
            "backups: {target} is not a directory, and cannot be created there"
        )));
    }
    // Create it now (0700), before setup stores anything, so that an impossible target is
    // refused here and not after setup has been completed.
    crate::app::create_private_dir(dir)
        .map_err(|e| Error::invalid(format!("backups: {}", e.message)))?;
    let probe = dir.join(".trygg-write-test");
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| Error::invalid(format!("backups: cannot write into {target}: {e}")))?;
    Ok(Some(s))
}

/// Validates and stores `s`; creates the target directory (0700) if it is missing. Runs
/// never create the configured target, so an unmounted NAS is an error, not a silent
/// backup onto the local disk under its mount point.
pub fn save_settings(app: &App, s: &BackupSettings) -> Result<()> {
    s.validate()?;
    if !s.target.is_empty() {
        prepare_target(Path::new(&s.target), true)?;
    }
    app.store.write(app.now_ms(), |tx| {
        let old = load_settings(tx)?;
        tx.put_rec(Table::Settings, SETTINGS_KEY, s)?;
        // A chain must be decryptable with one key: new keys (or a switch between keys and
        // a passphrase, or a new target) start a new chain at the next run of any kind.
        if old.recipients != s.recipients
            || old.passphrase.is_some() != s.passphrase.is_some()
            || old.passphrase != s.passphrase
            || old.target != s.target
        {
            tx.put_rec(Table::Settings, NEW_CHAIN_KEY, &true)?;
        }
        Ok(())
    })
}

/// Settings key of the flag "the next run starts a new chain" (set when the encryption or
/// the target changed; cleared by a full backup).
const NEW_CHAIN_KEY: &[u8] = b"backup_new_chain";

/// What one backup run wrote.
#[derive(Debug, Clone, Serialize)]
pub struct RunOutcome {
    /// `full`, `incremental` or `segment`.
    pub kind: Kind,
    /// Nothing new to back up: no file was written.
    pub skipped: bool,
    pub chain: String,
    /// The file written (absent when skipped).
    pub file: Option<Entry>,
    /// Target directory.
    pub target: String,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Change-log records deleted after this backup.
    pub truncated: u64,
}

/// Last result of each scheduled kind, for the admin page (process memory only).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    pub last_ok_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
}

static STATUS: Mutex<Status> = Mutex::new(Status {
    last_ok_ms: None,
    last_error: None,
    last_error_ms: None,
});

/// One backup at a time in this process (schedule, control socket, shutdown).
static RUN_LOCK: Mutex<()> = Mutex::new(());

/// The scheduler's last outcome.
pub fn status() -> Status {
    STATUS.lock().map(|s| s.clone()).unwrap_or_default()
}

pub(crate) fn record_status(now_ms: i64, r: &Result<RunOutcome>) {
    if let Ok(mut s) = STATUS.lock() {
        match r {
            Ok(_) => {
                s.last_ok_ms = Some(now_ms);
                s.last_error = None;
            }
            Err(e) => {
                s.last_error = Some(e.to_string());
                s.last_error_ms = Some(now_ms);
            }
        }
    }
}

/// Chain id for a chain started at `ms`: `YYYYMMDDTHHMMSSmmmZ` (sorts by time).
pub fn chain_id(ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{}Z", ts.strftime("%Y%m%dT%H%M%S%3f"))
}

/// Requested run: what, and optionally where (instead of the configured target).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRequest {
    pub kind: Kind,
    /// Another target directory for this run only (the log is not truncated for it).
    pub to: Option<String>,
}

/// Runs one backup now (CLI, control socket, schedule).
///
/// Errors: `Invalid` when backup is not configured; `NotFound` for an incremental without
/// a chain; `Conflict` when the log no longer reaches back to the chain (take a full);
/// `Internal` on I/O errors. On error nothing is listed in the manifest.
pub fn run(app: &App, req: &RunRequest) -> Result<RunOutcome> {
    let _guard = RUN_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let settings = app.store.read(load_settings)?;
    // A run never creates its target, `--to` included: a missing directory is far more often
    // an unmounted disk or a typo than a wish (the runbook's promise).
    let (target, configured) = match &req.to {
        Some(t) => (PathBuf::from(t), t == &settings.target),
        None if settings.target.is_empty() => {
            return Err(Error::invalid(
                "no backup target configured (trygg backup configure --target DIR, or --to DIR)",
            ));
        }
        None => (PathBuf::from(&settings.target), true),
    };
    let enc = settings.encrypt_to()?;
    prepare_target(&target, false)?;
    let started = std::time::Instant::now();
    // After a key or target change an incremental or segment would join a chain that the
    // new key cannot open (or that is not in the new target): start a new chain instead.
    let new_chain = configured
        && req.kind != Kind::Full
        && app
            .store
            .read(|r| r.get_rec::<bool>(Table::Settings, NEW_CHAIN_KEY))?
            .unwrap_or(false);
    if new_chain {
        tracing::info!(
            "backup encryption or target changed: starting a new chain with a full backup"
        );
    }
    let kind = if new_chain { Kind::Full } else { req.kind };
    // A full backup into the configured target starts the chain the flag asks for. The flag
    // is cleared before the snapshot (so the backup holds the store as it is after), and
    // set again if the backup fails.
    let clears = configured
        && kind == Kind::Full
        && app
            .store
            .write(app.now_ms(), |tx| tx.delete(Table::Settings, NEW_CHAIN_KEY))?;
    let done = match kind {
        Kind::Full => full::run(app, &target, &enc),
        k => incremental::run(app, &target, &enc, k),
    };
    let mut out = match done {
        Ok(o) => o,
        Err(e) => {
            if clears {
                app.store.write(app.now_ms(), |tx| {
                    tx.put_rec(Table::Settings, NEW_CHAIN_KEY, &true)
                })?;
            }
            return Err(e);
        }
    };
    if configured && let Some(e) = &out.file {
        app.store.set_watermark(WATERMARK, e.seq_to)?;
        out.truncated = app.store.truncate_log()?;
    }
    if kind == Kind::Full && !out.skipped {
        remember_chain(app, &out.chain)?;
        if configured {
            retention(app, &target, settings.keep_chains)?;
        }
    }
    out.duration_ms = started.elapsed().as_millis() as u64;
    Ok(out)
}

/// Checks the target directory; creates it (0700) when missing and `create`.
fn prepare_target(dir: &Path, create: bool) -> Result<()> {
    if !create && !dir.exists() {
        return Err(Error::unavailable(format!(
            "backup target {} does not exist (disk not mounted?)",
            dir.display()
        )));
    }
    crate::app::create_private_dir(dir).map_err(|e| {
        Error::unavailable(format!("backup target {}: {}", dir.display(), e.message))
    })?;
    if !dir.is_dir() {
        return Err(Error::unavailable(format!(
            "backup target {} is not a directory",
            dir.display()
        )));
    }
    Ok(())
}

/// Deletes chains beyond the newest `keep` (files first, the manifest last).
/// Settings-table key of the chains this installation started (retention deletes only
/// those: a shared target may hold another installation's chains, which this one cannot
/// even decrypt).
const OWN_CHAINS_KEY: &[u8] = b"backup_chains";

/// Records that this installation started `chain`.
fn remember_chain(app: &App, chain: &str) -> Result<()> {
    app.store.write(app.now_ms(), |tx| {
        let mut own: Vec<String> = tx
            .get_rec(Table::Settings, OWN_CHAINS_KEY)?
            .unwrap_or_default();
        if !own.iter().any(|c| c == chain) {
            own.push(chain.to_string());
            tx.put_rec(Table::Settings, OWN_CHAINS_KEY, &own)?;
        }
        Ok(())
    })
}

/// Deletes this installation's chains beyond the newest `keep` (files first, the manifest
/// last). Chains it did not start are never touched.
fn retention(app: &App, dir: &Path, keep: u32) -> Result<()> {
    let own: Vec<String> = app
        .store
        .read(|r| r.get_rec(Table::Settings, OWN_CHAINS_KEY))?
        .unwrap_or_default();
    let chains: Vec<Manifest> = manifest::list_chains(dir)?
        .into_iter()
        .filter(|m| own.contains(&m.chain))
        .collect();
    let excess = chains.len().saturating_sub(keep.max(1) as usize);
    for m in &chains[..excess] {
        for e in &m.entries {
            let _ = std::fs::remove_file(dir.join(&e.file));
        }
        std::fs::remove_file(manifest::manifest_path(dir, &m.chain))?;
        tracing::info!(chain = %m.chain, "old backup chain deleted (retention)");
    }
    std::fs::File::open(dir)?.sync_all()?;
    if excess > 0 {
        let gone: Vec<&str> = chains[..excess].iter().map(|m| m.chain.as_str()).collect();
        app.store.write(app.now_ms(), |tx| {
            let kept: Vec<String> = own
                .iter()
                .filter(|c| !gone.contains(&c.as_str()))
                .cloned()
                .collect();
            tx.put_rec(Table::Settings, OWN_CHAINS_KEY, &kept)
        })?;
    }
    Ok(())
}

/// Writes one encrypted backup file into `dir` atomically (temp file, fsync, rename, fsync
/// dir), then adds it to `manifest` and rewrites the manifest atomically.
pub(crate) fn write_file(
    dir: &Path,
    manifest: &mut Manifest,
    enc: &EncryptTo,
    header: Header,
    body: impl FnOnce(
        &mut FrameWriter<
            age::stream::StreamWriter<HashingWriter<std::io::BufWriter<std::fs::File>>>,
        >,
    ) -> Result<()>,
) -> Result<Entry> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = manifest::file_name(
        &header.chain,
        header.index,
        header.kind,
        header.seq_from,
        header.seq_to,
    );
    let tmp = dir.join(format!(".{name}.tmp"));
    // A file of this position left by an interrupted run (written, never listed) goes.
    let stale = format!("{}{}-{:06}-", manifest::PREFIX, header.chain, header.index);
    for ent in std::fs::read_dir(dir)?.flatten() {
        if ent.file_name().to_string_lossy().starts_with(&stale) {
            let _ = std::fs::remove_file(ent.path());
        }
    }
    let result = (|| -> Result<(u64, String)> {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| {
                Error::unavailable(format!(
                    "cannot write to backup target {}: {e}",
                    dir.display()
                ))
            })?;
        let hw = HashingWriter::new(std::io::BufWriter::with_capacity(1 << 20, f));
        let stream = enc.encryptor()?.wrap_output(hw)?;
        let mut fw = FrameWriter::start(stream, &header)?;
        body(&mut fw)?;
        let (stream, _) = fw.finish()?;
        let hw = stream.finish()?;
        let (mut bw, sha, size) = hw.finish();
        bw.flush()?;
        let f = bw
            .into_inner()
            .map_err(|e| Error::internal(format!("flush backup file: {e}")))?;
        f.sync_all()?;
        Ok((size, sha))
    })();
    let (size, sha256) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, dir.join(&name))?;
    std::fs::File::open(dir)?.sync_all()?;
    let mut listed = manifest.clone();
    let entry = Entry {
        index: header.index,
        kind: header.kind,
        seq_from: header.seq_from,
        seq_to: header.seq_to,
        seq_to_ts_ms: header.seq_to_ts_ms,
        created_ms: header.created_ms,
        size,
        sha256,
        counts: header.counts.clone(),
        file: name,
    };
    listed.entries.push(entry.clone());
    if let Err(e) = crate::app::write_atomic(
        &manifest::manifest_path(dir, &listed.chain),
        listed.render().as_bytes(),
        0o600,
    ) {
        // Not listed means not part of the backup: do not leave it looking like one.
        let _ = std::fs::remove_file(dir.join(&entry.file));
        return Err(e);
    }
    *manifest = listed;
    Ok(entry)
}

/// The header of a file holding `snap` at `index` of `chain`.
pub(crate) fn header_for(
    app: &App,
    snap: &Snapshot,
    chain: &str,
    index: u32,
    kind: Kind,
    seq_from: u64,
) -> Result<Header> {
    Ok(Header {
        format: format::FORMAT_VERSION,
        kind,
        chain: chain.to_string(),
        index,
        seq_from,
        seq_to: snap.head(),
        seq_to_ts_ms: snap.head_ts_ms(),
        created_ms: app.now_ms(),
        counts: snap.counts()?,
        writer: format!("trygg {}", env!("CARGO_PKG_VERSION")),
    })
}

/// Latest drill reports found in `dir` (newest first, at most `limit`).
pub fn drill_reports(dir: &Path, limit: usize) -> Vec<drill::Report> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(drill::REPORT_PREFIX) && n.ends_with(".json"))
        .collect();
    names.sort();
    names.reverse();
    names
        .into_iter()
        .take(limit)
        .filter_map(|n| {
            // A report is a few kB; anything larger is not ours.
            let path = dir.join(n);
            if std::fs::metadata(&path).ok()?.len() > 1 << 20 {
                return None;
            }
            let text = std::fs::read(path).ok()?;
            serde_json::from_slice(&text).ok()
        })
        .collect()
}
