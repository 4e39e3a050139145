//! Records of processing (GDPR Art. 30) and the sub-processor list (Art. 28(2), (4)).
//!
//! The record of processing activities is *derived* from trygg's own settings as they are
//! when it is generated: the purposes from the queues, the recipients from the outbound,
//! IMAP, directory and backup settings, and the technical and organisational measures
//! (Art. 32) from the security policy, roles, DKIM keys, backup settings and the last
//! restore drill. What trygg cannot know (the controller's and DPO's names and contacts,
//! extra purposes, transfers to third countries, notes) is entered by an admin and kept
//! under the Settings key [`RECORD_KEY`]. The sub-processor list is kept under
//! [`SUBPROCESSORS_KEY`]; trygg suggests entries from its settings (relay provider, IMAP
//! hosts, directory, remote backup target) which the admin confirms.
//!
//! The same [`build`] serves the admin page, the JSON and Markdown exports and
//! `trygg gdpr records`; the adapters record every export as `records.export`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::{Error, Result};
use crate::gdpr::classification::Classification;
use crate::helpdesk::settings::{self, DeliveryMode};
use crate::store::{Reader, Table};

/// Settings-table key of the admin-entered parts of the record ([`RecordSettings`]).
pub const RECORD_KEY: &[u8] = b"processing_record";
/// Settings-table key of the sub-processor list ([`SubProcessorList`]).
pub const SUBPROCESSORS_KEY: &[u8] = b"subprocessors";
/// Settings-table key under which retention rules are kept (issue 6, storage limitation).
pub const RETENTION_KEY: &[u8] = b"retention";

/// Longest name (controller, processor, DPO, sub-processor), characters.
pub const MAX_NAME: usize = 200;
/// Longest contact text (address, e-mail, phone), characters.
pub const MAX_CONTACT: usize = 500;
/// Longest line of a list (an extra purpose, a transfer), characters.
pub const MAX_LINE: usize = 500;
/// Most lines in a list (extra purposes, transfers).
pub const MAX_LINES: usize = 50;
/// Longest notes text, characters.
pub const MAX_NOTES: usize = 4000;
/// Most sub-processors.
pub const MAX_SUBPROCESSORS: usize = 200;

/// Whether the organisation running trygg acts as controller (Art. 30(1)) or as a
/// processor for another controller (Art. 30(2)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActingAs {
    /// The organisation decides why and how (its own help desk): Art. 30(1).
    #[default]
    Controller,
    /// It runs the help desk on behalf of a controller: Art. 30(2).
    Processor,
}

impl ActingAs {
    /// `controller` or `processor`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActingAs::Controller => "controller",
            ActingAs::Processor => "processor",
        }
    }
    /// Parses [`ActingAs::as_str`]. Errors: `Invalid`.
    pub fn parse(s: &str) -> Result<ActingAs> {
        match s.trim() {
            "controller" => Ok(ActingAs::Controller),
            "processor" => Ok(ActingAs::Processor),
            other => Err(Error::invalid(format!(
                "role in the processing: choose controller or processor, not {other:?}"
            ))),
        }
    }
}

/// The admin-entered parts of the record (Art. 30(1)(a), (e), 30(2)(a), (c)), stored under
/// [`RECORD_KEY`]. Every field defaults, so older rows and new fields read fine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecordSettings {
    pub acting_as: ActingAs,
    /// Empty: the organisation name from the settings (when acting as controller).
    pub controller_name: String,
    pub controller_contact: String,
    /// Empty: the organisation name (when acting as processor).
    pub processor_name: String,
    pub processor_contact: String,
    /// Data protection officer (Art. 37–39), if one is designated.
    pub dpo_name: String,
    pub dpo_contact: String,
    /// Purposes beyond the queues', one per entry, e.g. "Quality follow-up of answers".
    pub extra_purposes: Vec<String>,
    /// Transfers to third countries or international organisations with their safeguards
    /// (Art. 30(1)(e), 46); empty: none.
    pub transfers: Vec<String>,
    pub notes: String,
    /// Unix ms of the last change; 0 never changed.
    pub updated_ms: i64,
}

/// What the admin's record form sends (raw strings; lists one entry per line).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecordForm {
    pub acting_as: String,
    pub controller_name: String,
    pub controller_contact: String,
    pub processor_name: String,
    pub processor_contact: String,
    pub dpo_name: String,
    pub dpo_contact: String,
    pub extra_purposes: String,
    pub transfers: String,
    pub notes: String,
}

impl RecordForm {
    /// The form filled with stored settings (lists joined by newlines).
    pub fn from_settings(s: &RecordSettings) -> RecordForm {
        RecordForm {
            acting_as: s.acting_as.as_str().into(),
            controller_name: s.controller_name.clone(),
            controller_contact: s.controller_contact.clone(),
            processor_name: s.processor_name.clone(),
            processor_contact: s.processor_contact.clone(),
            dpo_name: s.dpo_name.clone(),
            dpo_contact: s.dpo_contact.clone(),
            extra_purposes: s.extra_purposes.join("\n"),
            transfers: s.transfers.join("\n"),
            notes: s.notes.clone(),
        }
    }

    /// Checks and normalises the form. Errors: `Invalid` naming the field and its limit.
    pub fn validated(&self, now_ms: i64) -> Result<RecordSettings> {
        Ok(RecordSettings {
            acting_as: ActingAs::parse(&self.acting_as)?,
            controller_name: one_line("controller name", &self.controller_name, MAX_NAME)?,
            controller_contact: one_line(
                "controller contact",
                &self.controller_contact,
                MAX_CONTACT,
            )?,
            processor_name: one_line("processor name", &self.processor_name, MAX_NAME)?,
            processor_contact: one_line("processor contact", &self.processor_contact, MAX_CONTACT)?,
            dpo_name: one_line("data protection officer", &self.dpo_name, MAX_NAME)?,
            dpo_contact: one_line(
                "data protection officer contact",
                &self.dpo_contact,
                MAX_CONTACT,
            )?,
            extra_purposes: lines("further purposes", &self.extra_purposes)?,
            transfers: lines("transfers to third countries", &self.transfers)?,
            notes: text("notes", &self.notes, MAX_NOTES)?,
            updated_ms: now_ms,
        })
    }
}

/// A trimmed single-line text of at most `max` characters (may be empty).
fn one_line(field: &str, s: &str, max: usize) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > max {
        return Err(Error::invalid(format!(
            "{field}: at most {max} characters, not {}",
            s.chars().count()
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{field}: one line without control characters"
        )));
    }
    Ok(s.to_string())
}

/// Non-empty trimmed lines, each a valid [`one_line`] of [`MAX_LINE`], at most [`MAX_LINES`].
fn lines(field: &str, s: &str) -> Result<Vec<String>> {
    let out: Vec<String> = s
        .lines()
        .map(|l| one_line(field, l, MAX_LINE))
        .filter(|l| !matches!(l, Ok(l) if l.is_empty()))
        .collect::<Result<_>>()?;
    if out.len() > MAX_LINES {
        return Err(Error::invalid(format!(
            "{field}: at most {MAX_LINES} lines, not {}",
            out.len()
        )));
    }
    Ok(out)
}

/// Multi-line text (tabs and newlines allowed) of at most `max` characters.
fn text(field: &str, s: &str, max: usize) -> Result<String> {
    let s = s.trim().replace("\r\n", "\n");
    if s.chars().count() > max {
        return Err(Error::invalid(format!(
            "{field}: at most {max} characters, not {}",
            s.chars().count()
        )));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(format!("{field}: no control characters")));
    }
    Ok(s)
}

/// The stored record settings, or the defaults.
pub fn load_settings(r: &impl Reader) -> Result<RecordSettings> {
    Ok(r.get_rec(Table::Settings, RECORD_KEY)?.unwrap_or_default())
}

/// Validates and stores the admin's record form (the caller checks the privacy area and
/// audits); returns the names of the fields that changed, for the audit record.
/// Errors: `Invalid` naming the field.
pub fn save_settings(app: &App, form: &RecordForm) -> Result<Vec<&'static str>> {
    let now = app.now_ms();
    let s = form.validated(now)?;
    app.store.write(now, |tx| {
        let old = load_settings(tx)?;
        let changed: Vec<&'static str> = [
            ("acting as", old.acting_as != s.acting_as),
            ("controller name", old.controller_name != s.controller_name),
            (
                "controller contact",
                old.controller_contact != s.controller_contact,
            ),
            ("processor name", old.processor_name != s.processor_name),
            (
                "processor contact",
                old.processor_contact != s.processor_contact,
            ),
            ("dpo name", old.dpo_name != s.dpo_name),
            ("dpo contact", old.dpo_contact != s.dpo_contact),
            ("further purposes", old.extra_purposes != s.extra_purposes),
            ("transfers", old.transfers != s.transfers),
            ("notes", old.notes != s.notes),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect();
        tx.put_rec(Table::Settings, RECORD_KEY, &s)?;
        Ok(changed)
    })
}

/// Sets the purpose of processing of queue `queue_id` (Art. 5(1)(b), 30(1)(b)): the text
/// agents see on its tickets and the record lists. Errors: `NotFound` for an unknown queue,
/// `Invalid` for a text over [`crate::helpdesk::queues::PURPOSE_MAX`] characters (the same
/// limit as the queue form) or with control characters.
pub fn set_queue_purpose(app: &App, queue_id: &str, purpose: &str) -> Result<()> {
    let purpose = one_line("purpose", purpose, crate::helpdesk::queues::PURPOSE_MAX)?;
    let now = app.now_ms();
    app.store.write(now, |tx| {
        let mut q = crate::helpdesk::queues::get(tx, queue_id)?
            .ok_or_else(|| Error::not_found(format!("no queue {queue_id:?}")))?;
        q.purpose = purpose;
        tx.put_rec(Table::Queues, q.id.as_bytes(), &q)
    })
}

// ---- sub-processors (Art. 28(2), (4)) ---------------------------------------------------

/// One sub-processor: another processor engaged for the processing (Art. 28(2), (4)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubProcessor {
    pub id: u64,
    /// Company name, e.g. "Example Mail AB".
    pub name: String,
    /// What it does for us, e.g. "Outbound mail relay (smarthost) smtp.example.net".
    pub service: String,
    /// Where the data is processed: country, region or city.
    pub location: String,
    /// Categories of personal data it receives.
    pub data_categories: String,
    /// Safeguard for a transfer outside the EU/EEA (Art. 45 adequacy, Art. 46 SCCs …);
    /// empty: no transfer.
    pub transfer_mechanism: String,
    /// Day it was engaged, `YYYY-MM-DD`.
    pub added: String,
    /// The setting it was suggested from (e.g. `relay:smtp.example.net`); empty if entered
    /// by hand. Confirmed suggestions are not suggested again.
    pub origin: String,
}

/// The sub-processor list, stored under [`SUBPROCESSORS_KEY`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubProcessorList {
    pub next_id: u64,
    pub entries: Vec<SubProcessor>,
}

/// What the admin's sub-processor form sends. `id` empty: a new entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SubProcessorForm {
    pub id: String,
    pub name: String,
    pub service: String,
    pub location: String,
    pub data_categories: String,
    pub transfer_mechanism: String,
    /// `YYYY-MM-DD`; empty: today.
    pub added: String,
    pub origin: String,
}

impl SubProcessorForm {
    /// The form filled with `e`.
    pub fn from_entry(e: &SubProcessor) -> SubProcessorForm {
        SubProcessorForm {
            id: e.id.to_string(),
            name: e.name.clone(),
            service: e.service.clone(),
            location: e.location.clone(),
            data_categories: e.data_categories.clone(),
            transfer_mechanism: e.transfer_mechanism.clone(),
            added: e.added.clone(),
            origin: e.origin.clone(),
        }
    }
}

/// The stored list, or an empty one.
pub fn load_subprocessors(r: &impl Reader) -> Result<SubProcessorList> {
    Ok(r.get_rec(Table::Settings, SUBPROCESSORS_KEY)?
        .unwrap_or_default())
}

/// Adds (empty `id`) or updates a sub-processor; returns its id. Name, service and location
/// are required. Errors: `Invalid` naming the field; `NotFound` for an unknown id;
/// `Conflict` when the list is full.
pub fn save_subprocessor(app: &App, f: &SubProcessorForm) -> Result<u64> {
    let now = app.now_ms();
    let required = |field: &str, v: &str, max: usize| -> Result<String> {
        let v = one_line(field, v, max)?;
        if v.is_empty() {
            return Err(Error::invalid(format!("{field}: required")));
        }
        Ok(v)
    };
    let name = required("name", &f.name, MAX_NAME)?;
    let service = required("service", &f.service, MAX_LINE)?;
    let location = required("location", &f.location, MAX_NAME)?;
    let data_categories = one_line("data categories", &f.data_categories, MAX_LINE)?;
    let transfer_mechanism = one_line("transfer mechanism", &f.transfer_mechanism, MAX_LINE)?;
    let today = crate::gdpr::classification::today(now);
    let added = match f.added.trim() {
        "" => today.to_string(),
        d => {
            let date = d.parse::<jiff::civil::Date>().map_err(|_| {
                Error::invalid(format!("added: give a date like 2026-01-31, not {d:?}"))
            })?;
            // A sub-processor is listed once engaged (Art. 28(2)): not ahead of time.
            if date > today {
                return Err(Error::invalid(format!(
                    "added: {date} lies in the future; list a sub-processor once it is engaged"
                )));
            }
            date.to_string()
        }
    };
    let origin = one_line("origin", &f.origin, MAX_LINE)?;
    let id = match f.id.trim() {
        "" => None,
        s => Some(
            s.parse::<u64>()
                .map_err(|_| Error::invalid("id: not a number"))?,
        ),
    };
    app.store.write(now, |tx| {
        let mut list = load_subprocessors(tx)?;
        let mut e = SubProcessor {
            id: 0,
            name,
            service,
            location,
            data_categories,
            transfer_mechanism,
            added,
            origin,
        };
        let id = match id {
            Some(id) => {
                let slot = list
                    .entries
                    .iter_mut()
                    .find(|x| x.id == id)
                    .ok_or_else(|| Error::not_found(format!("no sub-processor {id}")))?;
                e.id = id;
                *slot = e;
                id
            }
            None => {
                if list.entries.len() >= MAX_SUBPROCESSORS {
                    return Err(Error::conflict(format!(
                        "the list holds at most {MAX_SUBPROCESSORS} sub-processors"
                    )));
                }
                list.next_id = list.next_id.max(1);
                e.id = list.next_id;
                list.next_id += 1;
                list.entries.push(e);
                list.next_id - 1
            }
        };
        tx.put_rec(Table::Settings, SUBPROCESSORS_KEY, &list)?;
        Ok(id)
    })
}

/// Removes sub-processor `id`; returns the removed entry. Errors: `NotFound`.
pub fn remove_subprocessor(app: &App, id: u64) -> Result<SubProcessor> {
    app.store.write(app.now_ms(), |tx| {
        let mut list = load_subprocessors(tx)?;
        let i = list
            .entries
            .iter()
            .position(|x| x.id == id)
            .ok_or_else(|| Error::not_found(format!("no sub-processor {id}")))?;
        let e = list.entries.remove(i);
        tx.put_rec(Table::Settings, SUBPROCESSORS_KEY, &list)?;
        Ok(e)
    })
}

/// Sub-processors trygg's settings point at and the list does not hold yet (by
/// [`SubProcessor::origin`]): the relay provider, IMAP providers, the directory and a
/// backup target on a network share. Hosts on loopback are the organisation's own and
/// never suggested. Name and location are left for the admin to fill in.
pub fn suggestions(r: &impl Reader) -> Result<Vec<SubProcessor>> {
    let list = load_subprocessors(r)?;
    let mut out: Vec<SubProcessor> = Vec::new();
    let mut push = |origin: String, host: &str, service: String, cats: &str| {
        if is_local_host(host)
            || list.entries.iter().any(|e| e.origin == origin)
            || out.iter().any(|e| e.origin == origin)
        {
            return;
        }
        out.push(SubProcessor {
            name: host.to_string(),
            service,
            data_categories: cats.to_string(),
            origin,
            ..Default::default()
        });
    };
    let s = settings::load(r)?;
    let outbound = settings::load_outbound(r)?;
    if outbound.mode == DeliveryMode::Relay
        && let Some(relay) = s.as_ref().and_then(|s| s.relay.as_ref())
    {
        push(
            format!("relay:{}", relay.host),
            &relay.host,
            format!("Outbound mail relay (smarthost) {}", relay.host),
            "answers to customers: contact data, message contents, attachments",
        );
    }
    for a in imap_accounts(r)? {
        push(
            format!("imap:{}", a.host),
            &a.host,
            format!("Mailbox hosting (IMAP) {}", a.host),
            "incoming customer mail: contact data, message contents, attachments",
        );
    }
    if let Some(host) = ldap_host(r)? {
        push(
            format!("ldap:{host}"),
            &host,
            format!("Staff directory (LDAP) {host}"),
            "staff sign-in names, passwords in transit and group memberships",
        );
    }
    let b = crate::backup::load_settings(r)?;
    if let BackupTargetKind::Network { fstype, source } = backup_target_kind(&b.target) {
        let host = source_host(&source);
        push(
            format!("backup:{host}"),
            &host,
            format!("Backup storage ({fstype} share {source})"),
            "encrypted backups of all help-desk data (age; the provider holds no key)",
        );
    }
    Ok(out)
}

/// Whether `host` is this machine (loopback name or address).
fn is_local_host(host: &str) -> bool {
    let h = host.trim().trim_matches(['[', ']']).to_ascii_lowercase();
    h == "localhost"
        || h.ends_with(".localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified())
}

/// The IMAP accounts (passwords blanked).
fn imap_accounts(r: &impl Reader) -> Result<Vec<crate::mail::inbound::imap::ImapAccount>> {
    let mut out = Vec::new();
    for (_, v) in r.scan(Table::ImapAccounts, &[], false, usize::MAX)? {
        let mut a: crate::mail::inbound::imap::ImapAccount = crate::store::codec::decode(&v)?;
        a.password.clear();
        out.push(a);
    }
    Ok(out)
}

/// The host of the enabled directory's URL (`ldaps://host:636` → `host`).
fn ldap_host(r: &impl Reader) -> Result<Option<String>> {
    Ok(crate::auth::ldap::load(r)?
        .filter(|c| c.enabled && !c.url.is_empty())
        .map(|c| url_host(&c.url)))
}

/// `scheme://host:port/...` → `host` (IPv6 brackets kept off).
fn url_host(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let auth = rest.split('/').next().unwrap_or(rest);
    let auth = auth.rsplit_once('@').map(|(_, h)| h).unwrap_or(auth);
    if let Some(v6) = auth.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6).to_string();
    }
    auth.split(':').next().unwrap_or(auth).to_string()
}

/// Where backups go, as far as the record needs to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupTargetKind {
    /// No target configured.
    None,
    /// A directory on a local file system.
    Local,
    /// A mounted network share: file system type (`nfs4`, `cifs`, …) and mount source.
    Network { fstype: String, source: String },
}

/// The kind of backup target `target` is, from the mount table (`/proc/self/mounts`): the
/// longest mount point that contains it decides.
pub fn backup_target_kind(target: &str) -> BackupTargetKind {
    if target.trim().is_empty() {
        return BackupTargetKind::None;
    }
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    kind_from_mounts(target, &mounts)
}

fn kind_from_mounts(target: &str, mounts: &str) -> BackupTargetKind {
    const NETWORK: [&str; 9] = [
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "fuse.sshfs",
        "9p",
        "ceph",
        "fuse.rclone",
    ];
    let path = std::path::Path::new(target);
    let best = mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (source, point, fstype) = (f.next()?, f.next()?, f.next()?);
            // The mount table escapes spaces as \040.
            let point = point.replace("\\040", " ");
            path.starts_with(&point)
                .then(|| (point.len(), source.to_string(), fstype.to_string()))
        })
        .max_by_key(|(len, _, _)| *len);
    match best {
        Some((_, source, fstype)) if NETWORK.contains(&fstype.as_str()) => {
            BackupTargetKind::Network { fstype, source }
        }
        _ => BackupTargetKind::Local,
    }
}

/// The server of a mount source: `nas:/export` → `nas`, `//nas/share` → `nas`.
fn source_host(source: &str) -> String {
    if let Some(rest) = source.strip_prefix("//") {
        return rest.split('/').next().unwrap_or(rest).to_string();
    }
    let s = source.rsplit_once('@').map(|(_, h)| h).unwrap_or(source);
    if let Some(v6) = s.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6).to_string();
    }
    s.split(':').next().unwrap_or(s).to_string()
}

// ---- the record (Art. 30) -----------------------------------------------------------------

/// A party named in the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    pub contact: String,
}

/// One purpose of processing (Art. 30(1)(b)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purpose {
    /// The queue's id, or `None` for a purpose the admin added.
    pub queue: Option<String>,
    /// The queue's name (or the admin's text).
    pub name: String,
    /// The queue's purpose text; empty when none has been written yet.
    pub description: String,
    /// The classification new tickets of the queue start with.
    pub default_classification: Option<Classification>,
}

/// One technical or organisational measure (Art. 30(1)(g), 32(1)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    /// Short topic, e.g. "Two-step sign-in".
    pub topic: String,
    /// What is in place, with the figures of the current settings.
    pub text: String,
}

/// The record of processing activities, generated from the settings at `generated`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    /// RFC 3339 time of generation.
    pub generated: String,
    /// `controller` (Art. 30(1)) or `processor` (Art. 30(2)).
    pub acting_as: ActingAs,
    pub controller: Party,
    /// Set when acting as processor.
    pub processor: Option<Party>,
    pub dpo: Option<Party>,
    pub purposes: Vec<Purpose>,
    /// Categories of data subjects (Art. 30(1)(c)).
    pub data_subjects: Vec<String>,
    /// Categories of personal data (Art. 30(1)(c)).
    pub data_categories: Vec<String>,
    /// Tickets by classification (`public`, `internal`, `confidential`, `sensitive`).
    pub tickets_by_classification: BTreeMap<String, u64>,
    /// Whether special categories (Art. 9) may be processed: a queue defaults to
    /// *sensitive* or a ticket is classified so.
    pub special_categories: bool,
    /// Recipients (Art. 30(1)(d)), derived from the settings.
    pub recipients: Vec<String>,
    pub subprocessors: Vec<SubProcessor>,
    /// Transfers to third countries (Art. 30(1)(e)); empty: none.
    pub transfers: Vec<String>,
    /// Time limits for erasure (Art. 30(1)(f)).
    pub retention: Vec<String>,
    /// Technical and organisational measures (Art. 30(1)(g), 32).
    pub measures: Vec<Measure>,
    pub notes: String,
}

/// Builds the record from the store as it is now, with the file modes of the data
/// directory and store file found on disk. Reads settings only: no personal data beyond
/// counts of tickets by classification. Errors: `Unavailable` before setup.
pub fn build(app: &App) -> Result<Record> {
    let now = app.now_ms();
    let store_mode = file_mode(&app.data_dir.join(crate::app::STORE_FILE));
    let dir_mode = file_mode(&app.data_dir);
    app.store.read(|r| build_from(r, now, store_mode, dir_mode))
}

fn file_mode(p: &std::path::Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn build_from(
    r: &impl Reader,
    now: i64,
    store_mode: Option<u32>,
    dir_mode: Option<u32>,
) -> Result<Record> {
    let s = settings::load(r)?.ok_or_else(|| Error::unavailable("trygg is not set up yet"))?;
    let rec = load_settings(r)?;
    let queues = crate::helpdesk::queues::list(r)?;
    let org = s.org_name.clone();
    let or_org = |v: &str| {
        if v.is_empty() {
            org.clone()
        } else {
            v.to_string()
        }
    };

    let (controller, processor) = match rec.acting_as {
        ActingAs::Controller => (
            Party {
                name: or_org(&rec.controller_name),
                contact: rec.controller_contact.clone(),
            },
            None,
        ),
        ActingAs::Processor => (
            Party {
                name: rec.controller_name.clone(),
                contact: rec.controller_contact.clone(),
            },
            Some(Party {
                name: or_org(&rec.processor_name),
                contact: rec.processor_contact.clone(),
            }),
        ),
    };
    let dpo = (!rec.dpo_name.is_empty() || !rec.dpo_contact.is_empty()).then(|| Party {
        name: rec.dpo_name.clone(),
        contact: rec.dpo_contact.clone(),
    });

    let mut purposes: Vec<Purpose> = queues
        .iter()
        .map(|q| Purpose {
            queue: Some(q.id.clone()),
            name: q.name.clone(),
            description: q.purpose.clone(),
            default_classification: Some(q.default_classification),
        })
        .collect();
    purposes.extend(rec.extra_purposes.iter().map(|p| Purpose {
        queue: None,
        name: p.clone(),
        description: String::new(),
        default_classification: None,
    }));

    // Tickets by classification: counts only, no content.
    let mut by_class: BTreeMap<String, u64> = Classification::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), 0))
        .collect();
    let mut from: Vec<u8> = Vec::new();
    let end = vec![0xffu8; 9];
    loop {
        let rows = r.range(Table::Tickets, &from, &end, 4096)?;
        let Some((last, _)) = rows.last() else { break };
        from = last.clone();
        from.push(0);
        for (_, v) in &rows {
            let t: crate::helpdesk::Ticket = crate::store::codec::decode(v)?;
            *by_class
                .entry(t.classification.as_str().to_string())
                .or_default() += 1;
        }
        if rows.len() < 4096 {
            break;
        }
    }
    let count = |c: Classification| by_class.get(c.as_str()).copied().unwrap_or(0);
    let sensitive_queues: Vec<&str> = queues
        .iter()
        .filter(|q| q.default_classification == Classification::Sensitive)
        .map(|q| q.name.as_str())
        .collect();
    let special = !sensitive_queues.is_empty() || count(Classification::Sensitive) > 0;

    let data_subjects = vec![
        "Customers and other people who write to the support mailboxes, or are copied or named in their mail (contacts)".to_string(),
        format!(
            "Agents and other staff who use the help desk ({} user account(s))",
            r.count(Table::Users)?
        ),
    ];
    let mut data_categories = vec![
        "Contact data: names, e-mail addresses, phone numbers and organisations given in mail".to_string(),
        "Message contents: the mail people send and the answers given, including original messages as received".to_string(),
        "Attachments sent with mail".to_string(),
        "National identity numbers (Danish CPR, Swedish personnummer/samordningsnummer) when people write them; detected and masked by trygg".to_string(),
        "Staff account data: names, sign-in addresses, password hashes, two-step secrets, sign-in and access records (audit trail)".to_string(),
    ];
    let conf = count(Classification::Confidential);
    let sens = count(Classification::Sensitive);
    data_categories.push(if conf + sens > 0 {
        format!(
            "Confidential personal data: {conf} ticket(s) classified confidential, {sens} sensitive"
        )
    } else {
        "No ticket is currently classified confidential or sensitive".to_string()
    });
    if special {
        let mut t = "Special categories of personal data (Art. 9) may be processed".to_string();
        if !sensitive_queues.is_empty() {
            t.push_str(&format!(
                ": queue(s) {} default to sensitive",
                sensitive_queues.join(", ")
            ));
        }
        if sens > 0 {
            t.push_str(&format!("; {sens} ticket(s) classified sensitive"));
        }
        data_categories.push(t);
    }

    let recipients = recipients(r, &s)?;
    let backup = crate::backup::load_settings(r)?;
    let mut retention = retention_lines(r)?;
    retention.push(backup_retention(&backup));
    let measures = measures(r, &s, &backup, store_mode, dir_mode)?;

    Ok(Record {
        generated: rfc3339(now),
        acting_as: rec.acting_as,
        controller,
        processor,
        dpo,
        purposes,
        data_subjects,
        data_categories,
        tickets_by_classification: by_class,
        special_categories: special,
        recipients,
        transfers: if rec.transfers.is_empty() {
            // Nothing entered: the sub-processors that name a transfer mechanism (SCCs, an
            // adequacy decision …) are transfers all the same (Art. 44–46).
            load_subprocessors(r)?
                .entries
                .iter()
                .filter(|e| !e.transfer_mechanism.trim().is_empty())
                .map(|e| {
                    format!(
                        "{} ({}): {} (from the sub-processor list)",
                        e.name, e.location, e.transfer_mechanism
                    )
                })
                .collect()
        } else {
            rec.transfers.clone()
        },
        subprocessors: load_subprocessors(r)?.entries,
        retention,
        measures,
        notes: rec.notes.clone(),
    })
}

/// Recipients of personal data (Art. 30(1)(d)) as the settings route it.
fn recipients(r: &impl Reader, s: &settings::Settings) -> Result<Vec<String>> {
    let mut out = vec![
        "The data subjects themselves: answers are mailed to the people who wrote".to_string(),
        "Staff holding roles with access to the queue of a ticket (see the access measures)"
            .to_string(),
    ];
    let o = settings::load_outbound(r)?;
    out.push(match (o.mode, &s.relay) {
        (DeliveryMode::Relay, Some(relay)) => format!(
            "Outbound mail relay (smarthost) {}:{} (TLS {}): every answer passes through it",
            relay.host,
            relay.port,
            relay.tls.as_str()
        ),
        (DeliveryMode::Relay, None) => {
            "Outbound mail: relay mode without a smarthost configured (mail waits)".to_string()
        }
        (DeliveryMode::Direct, _) => format!(
            "Outbound mail: direct delivery to recipients' mail servers (MX lookup, TLS {})",
            o.direct_tls.as_str()
        ),
    });
    for a in imap_accounts(r)? {
        out.push(format!(
            "Mailbox provider (IMAP) {}:{} holding incoming mail for {} until fetched",
            a.host, a.port, a.mailbox
        ));
    }
    if let Some(host) = ldap_host(r)? {
        out.push(format!(
            "Staff directory (LDAP) {host}: receives staff sign-in names and passwords to check them"
        ));
    }
    let b = crate::backup::load_settings(r)?;
    out.push(match backup_target_kind(&b.target) {
        BackupTargetKind::None => "Backups: no backup target configured".to_string(),
        BackupTargetKind::Local => {
            "Backups: age-encrypted files in a directory on a local disk of the server".to_string()
        }
        BackupTargetKind::Network { fstype, source } => format!(
            "Backups: age-encrypted files on a network share ({fstype}, {})",
            source_host(&source)
        ),
    });
    Ok(out)
}

/// How long backups keep data (deleted data remains in backups until they expire).
fn backup_retention(b: &crate::backup::BackupSettings) -> String {
    if b.target.is_empty() {
        return "Backups: none configured".to_string();
    }
    if !b.enabled {
        return format!(
            "Backups: scheduled backups are off; the newest {} backup chains in the target are kept, and deleted data stays in the chains already written until they are deleted",
            b.keep_chains
        );
    }
    let span = if b.full_every_days > 0 {
        format!(
            "a new chain every {} days, so deleted data leaves the backups within about {} days",
            b.full_every_days,
            u64::from(b.full_every_days) * u64::from(b.keep_chains.max(1))
        )
    } else {
        "new chains only on request".to_string()
    };
    format!(
        "Backups: the newest {} backup chains are kept ({span})",
        b.keep_chains
    )
}

/// The text for ticket retention (Art. 5(1)(e), 30(1)(f)): one line per retention rule
/// ([`crate::gdpr::retention`]), and the time of the daily run.
pub fn retention_lines(r: &impl Reader) -> Result<Vec<String>> {
    let set = crate::gdpr::retention::load(r)?;
    if set.rules.is_empty() {
        return Ok(vec!["Tickets: no retention rules configured".to_string()]);
    }
    let mut out: Vec<String> = set
        .rules
        .iter()
        .map(|rule| format!("Closed tickets, {}", rule.describe()))
        .collect();
    out.push(format!(
        "Retention runs daily at {:02}:00 UTC; tickets or contacts under legal hold are kept",
        set.run_hour_utc
    ));
    Ok(out)
}

/// The technical and organisational measures (Art. 32) as the settings have them now.
fn measures(
    r: &impl Reader,
    s: &settings::Settings,
    backup: &crate::backup::BackupSettings,
    store_mode: Option<u32>,
    dir_mode: Option<u32>,
) -> Result<Vec<Measure>> {
    let m = |topic: &str, text: String| Measure {
        topic: topic.to_string(),
        text,
    };
    let mut out = Vec::new();
    out.push(m(
        "Encryption in transit (web)",
        "The web interface and API are served only over HTTPS (rustls, TLS 1.2 and 1.3) with HSTS (one year); session cookies are Secure, HttpOnly and SameSite=Strict; sessions end after 30 minutes idle and 12 hours at most; every form carries a CSRF token; pages load no scripts (Content-Security-Policy default-src 'none')".to_string(),
    ));
    out.push(m(
        "Encryption in transit (mail in)",
        {
            let mut t = "The SMTP listener's STARTTLS policy (RFC 3207) is set when the server starts, with the option --smtp-tls of trygg serve (or env TRYGG_SMTP_TLS): off (not offered), optional (offered; the default) or forced (no mail accepted before STARTTLS); see trygg serve --help and docs/mail-server.md".to_string();
            for a in imap_accounts(r)? {
                t.push_str(&format!(
                    "; IMAP fetch from {} over {} TLS with a verified certificate",
                    a.host,
                    a.tls.as_str()
                ));
            }
            t
        },
    ));
    let o = settings::load_outbound(r)?;
    out.push(m(
        "Encryption in transit (mail out)",
        match (o.mode, &s.relay) {
            (DeliveryMode::Relay, Some(relay)) => format!(
                "Answers go through the smarthost {} with TLS {} ({})",
                relay.host,
                relay.tls.as_str(),
                match relay.tls {
                    settings::RelayTls::Required =>
                        "STARTTLS with a verified certificate; mail waits rather than going out in clear",
                    settings::RelayTls::Opportunistic => "STARTTLS when the relay offers it",
                    settings::RelayTls::None => "no encryption: only for a relay on the same host or a trusted network",
                }
            ),
            (DeliveryMode::Relay, None) => "Relay mode without a smarthost: no mail leaves".to_string(),
            (DeliveryMode::Direct, _) => format!(
                "Direct delivery with TLS {} ({})",
                o.direct_tls.as_str(),
                match o.direct_tls {
                    settings::DirectTls::Required =>
                        "STARTTLS with a certificate valid for the MX host required",
                    settings::DirectTls::Opportunistic =>
                        "STARTTLS whenever offered, RFC 7435 opportunistic security",
                }
            ),
        },
    ));
    out.push(m(
        "Mail authenticity (DKIM)",
        match crate::mail::outbound::dkim::load(r)? {
            Some(k) => format!(
                "Outgoing mail is DKIM-signed (selector {}: {}{}); keys generated {}",
                k.selector,
                if k.rsa_pkcs8.is_some() {
                    "RSA-2048"
                } else {
                    ""
                },
                if k.ed25519_pkcs8.is_some() {
                    if k.rsa_pkcs8.is_some() {
                        " and Ed25519"
                    } else {
                        "Ed25519"
                    }
                } else {
                    ""
                },
                rfc3339(k.created_ms)
            ),
            None => "No DKIM keys: outgoing mail is not signed".to_string(),
        },
    ));
    let p = crate::auth::policy::load(r)?;
    let mut classes = Vec::new();
    for (on, name) in [
        (p.require_lower, "lower-case"),
        (p.require_upper, "upper-case"),
        (p.require_digit, "digit"),
        (p.require_symbol, "symbol"),
    ] {
        if on {
            classes.push(name);
        }
    }
    out.push(m(
        "Passwords",
        format!(
            "Stored as argon2id hashes; at least {} characters{}, strength score at least {} of 4 (zxcvbn), organisation words refused, {} previous passwords not reusable, {}",
            p.min_length,
            if classes.is_empty() {
                String::new()
            } else {
                format!(" with {}", classes.join(", "))
            },
            p.min_strength,
            p.history,
            if p.max_age_days == 0 {
                "no forced expiry".to_string()
            } else {
                format!("changed at least every {} days", p.max_age_days)
            }
        ),
    ));
    out.push(m(
        "Two-step sign-in (TOTP)",
        if p.totp_roles.is_empty() {
            "Available to every user; required for no role".to_string()
        } else {
            format!(
                "Required for the roles {} (RFC 6238 codes, single-use recovery codes)",
                p.totp_roles.join(", ")
            )
        },
    ));
    out.push(m(
        "Network allow-lists",
        if p.allow_global.is_empty() && p.allow_roles.is_empty() {
            "None: sign-in is allowed from any network".to_string()
        } else {
            let mut t = Vec::new();
            if !p.allow_global.is_empty() {
                t.push(format!("everyone only from {}", p.allow_global.join(", ")));
            }
            for (role, nets) in &p.allow_roles {
                t.push(format!("role {role} only from {}", nets.join(", ")));
            }
            format!("Sign-in allowed: {}", t.join("; "))
        },
    ));
    out.push(m(
        "Sign-in throttling",
        format!(
            "An account is locked for {} minutes after {} failed sign-ins; an address is blocked after {} failures within {} minutes",
            p.account_lockout_minutes,
            p.account_max_failures,
            p.address_max_failures,
            p.address_window_minutes
        ),
    ));
    let roles = crate::auth::roles::list(r)?;
    out.push(m(
        "Access control",
        format!(
            "Role-based, resolved on every request; a role's clearance limits the classifications it may open: {}",
            roles
                .iter()
                .map(|x| format!("{} (up to {})", x.name, x.clearance.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ));
    let chain = crate::audit::verify_chain(r)?;
    out.push(m(
        "Audit trail",
        format!(
            "Every look at personal data, sign-in and admin change is recorded (who, what, when, from where, under which role) in an append-only, hash-chained log: {} records, chain {}",
            chain.records,
            match &chain.first_broken {
                None => "verified intact".to_string(),
                Some(b) => format!("BROKEN at record {}", b.seq),
            }
        ),
    ));
    out.push(m(
        "National identity numbers",
        "Danish CPR numbers (the date is validated; CPR numbers carry no check digit that can be relied on, as numbers without the modulus-11 property are issued since 2007) and Swedish personnummer/samordningsnummer (date and Luhn check digit validated) in incoming mail are detected, raise the ticket to at least confidential, and are masked where tickets are listed or previewed and in notification mails, per number: every occurrence of a detected number in the same ticket is masked, in any spelling; the full value is shown only on an explicit, audited reveal".to_string(),
    ));
    out.push(m(
        "Storage at rest",
        format!(
            "Data directory mode {}, store file mode {}; the store file is not encrypted by trygg (use full-disk encryption on the server)",
            dir_mode.map(|m| format!("{m:04o}")).unwrap_or_else(|| "unknown".into()),
            store_mode.map(|m| format!("{m:04o}")).unwrap_or_else(|| "unknown".into())
        ),
    ));
    out.push(m("Backups", backup_measure(backup)));
    out.push(m(
        "Input handling",
        "Mail HTML is sanitised against an allow-list before display (no scripts, no remote content unless an agent asks); attachments are served as downloads in a sandbox; every input has a size limit".to_string(),
    ));
    Ok(out)
}

/// Backup encryption, schedule and the last restore drill.
fn backup_measure(b: &crate::backup::BackupSettings) -> String {
    if b.target.is_empty() {
        return "No backup target configured".to_string();
    }
    let enc = if b.passphrase.is_some() {
        "age-encrypted with a passphrase (scrypt)".to_string()
    } else {
        format!(
            "age-encrypted to {} X25519 recipient key(s) (the server holds no private key)",
            b.recipients.len()
        )
    };
    let sched = if b.enabled {
        let every = |n: u32, unit: &str| {
            if n == 0 {
                "on request".to_string()
            } else {
                format!("every {n} {unit}")
            }
        };
        format!(
            "scheduled: full {}, incremental {}, change-log segments {}",
            every(b.full_every_days, "days"),
            every(b.incremental_every_hours, "hours"),
            every(b.ship_every_secs, "seconds")
        )
    } else {
        "schedule off (backups on request)".to_string()
    };
    let drill = match crate::backup::drill_reports(std::path::Path::new(&b.target), 1)
        .into_iter()
        .next()
    {
        Some(d) => format!(
            "last restore drill {} on {} (restored {} tickets; recovery point {} s old)",
            if d.ok { "passed" } else { "FAILED" },
            d.started,
            d.tickets,
            d.rpo_ms / 1000
        ),
        None => "no restore drill recorded yet (trygg backup drill)".to_string(),
    };
    format!("{enc}; {sched}; {drill}")
}

// ---- exports ------------------------------------------------------------------------------

/// Escapes text for Markdown (inline), keeping it on one line.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            // No terminal escapes from stored text when the CLI prints it.
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn party_md(p: &Party) -> String {
    match (p.name.is_empty(), p.contact.is_empty()) {
        (true, true) => "(not entered)".to_string(),
        (false, true) => md(&p.name),
        (true, false) => md(&p.contact),
        (false, false) => format!("{}, {}", md(&p.name), md(&p.contact)),
    }
}

/// `public 1, internal 4, confidential 0, sensitive 0`: least restricted first.
pub fn by_class_text(m: &BTreeMap<String, u64>) -> String {
    Classification::ALL
        .iter()
        .map(|c| format!("{} {}", c.as_str(), m.get(c.as_str()).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The record as Markdown, readable and fit to annex to a data processing agreement.
pub fn to_markdown(rec: &Record) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "# Record of processing activities (GDPR Art. 30)\n");
    let _ = writeln!(
        o,
        "Help desk (trygg). Generated {} from the settings in force; the measures describe the system as configured at that time.\n",
        rec.generated
    );
    let _ = writeln!(o, "## 1. Name and contact details\n");
    match &rec.processor {
        None => {
            let _ = writeln!(
                o,
                "- Controller (Art. 30(1)(a)): {}",
                party_md(&rec.controller)
            );
        }
        Some(p) => {
            let _ = writeln!(o, "- Processor (Art. 30(2)(a)): {}", party_md(p));
            let _ = writeln!(
                o,
                "- On behalf of the controller: {}",
                party_md(&rec.controller)
            );
        }
    }
    let _ = writeln!(
        o,
        "- Data protection officer: {}\n",
        rec.dpo
            .as_ref()
            .map(party_md)
            .unwrap_or_else(|| "not stated".into())
    );
    let _ = writeln!(o, "## 2. Purposes of the processing\n");
    for p in &rec.purposes {
        match &p.queue {
            Some(q) => {
                let _ = writeln!(
                    o,
                    "- Queue {} ({}): {}{}",
                    md(&p.name),
                    md(q),
                    if p.description.is_empty() {
                        "(no purpose written yet)".to_string()
                    } else {
                        md(&p.description)
                    },
                    p.default_classification
                        .map(|c| format!("; new tickets start as {}", c.as_str()))
                        .unwrap_or_default()
                );
            }
            None => {
                let _ = writeln!(o, "- {}", md(&p.name));
            }
        }
    }
    let _ = writeln!(o, "\n## 3. Categories of data subjects\n");
    for x in &rec.data_subjects {
        let _ = writeln!(o, "- {}", md(x));
    }
    let _ = writeln!(o, "\n## 4. Categories of personal data\n");
    for x in &rec.data_categories {
        let _ = writeln!(o, "- {}", md(x));
    }
    let _ = writeln!(
        o,
        "- Tickets by classification: {}",
        by_class_text(&rec.tickets_by_classification)
    );
    let _ = writeln!(o, "\n## 5. Recipients\n");
    for x in &rec.recipients {
        let _ = writeln!(o, "- {}", md(x));
    }
    let _ = writeln!(o, "\n## 6. Sub-processors (Art. 28(2), (4))\n");
    if rec.subprocessors.is_empty() {
        let _ = writeln!(o, "None listed.");
    } else {
        let _ = writeln!(
            o,
            "| Name | Service | Location | Data categories | Transfer mechanism | Added |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for e in &rec.subprocessors {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                md(&e.name),
                md(&e.service),
                md(&e.location),
                md(&e.data_categories),
                if e.transfer_mechanism.is_empty() {
                    "none".to_string()
                } else {
                    md(&e.transfer_mechanism)
                },
                md(&e.added)
            );
        }
    }
    let _ = writeln!(o, "\n## 7. Transfers to third countries\n");
    if rec.transfers.is_empty() {
        let _ = writeln!(o, "None stated.");
    } else {
        for x in &rec.transfers {
            let _ = writeln!(o, "- {}", md(x));
        }
    }
    let _ = writeln!(o, "\n## 8. Time limits for erasure\n");
    for x in &rec.retention {
        let _ = writeln!(o, "- {}", md(x));
    }
    let _ = writeln!(
        o,
        "\n## 9. Technical and organisational security measures (Art. 32)\n"
    );
    for x in &rec.measures {
        let _ = writeln!(o, "- **{}**: {}", md(&x.topic), md(&x.text));
    }
    if !rec.notes.is_empty() {
        let _ = writeln!(o, "\n## Notes\n");
        for l in rec.notes.lines() {
            let _ = writeln!(o, "{}  ", md(l));
        }
    }
    o
}

/// A CSV cell safe to open in a spreadsheet: a leading `=`, `+`, `-`, `@`, tab or CR is
/// prefixed with `'` so it is not run as a formula (OWASP CSV injection).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The sub-processor list as CSV (RFC 4180, header row).
pub fn subprocessors_csv(list: &[SubProcessor]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| Error::internal(format!("csv: {e}"));
    w.write_record([
        "id",
        "name",
        "service",
        "location",
        "data_categories",
        "transfer_mechanism",
        "added",
    ])
    .map_err(csv_err)?;
    for e in list {
        w.write_record([
            e.id.to_string(),
            cell(&e.name),
            cell(&e.service),
            cell(&e.location),
            cell(&e.data_categories),
            cell(&e.transfer_mechanism),
            cell(&e.added),
        ])
        .map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::internal(format!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_form_is_validated() {
        let mut f = RecordForm {
            acting_as: "controller".into(),
            controller_name: "  Hjälpdesken AB ".into(),
            extra_purposes: "Quality follow-up\n\n  Statistics \n".into(),
            ..Default::default()
        };
        let s = f.validated(5).unwrap();
        assert_eq!(s.controller_name, "Hjälpdesken AB");
        assert_eq!(s.extra_purposes, vec!["Quality follow-up", "Statistics"]);
        assert!(s.transfers.is_empty());
        f.controller_name = "x".repeat(MAX_NAME + 1);
        let e = f.validated(5).unwrap_err();
        assert!(e.message.contains("controller name"), "{}", e.message);
        f.controller_name = "ok".into();
        f.acting_as = "owner".into();
        assert!(f.validated(5).is_err());
        f.acting_as = "processor".into();
        f.dpo_contact = "a\u{7}b".into();
        assert!(f.validated(5).is_err());
        f.dpo_contact.clear();
        f.transfers = "x\n".repeat(MAX_LINES + 1);
        assert!(f.validated(5).is_err());
        f.transfers = "USA: standard contractual clauses".into();
        f.notes = "line one\nline two".into();
        let s = f.validated(5).unwrap();
        assert_eq!(s.acting_as, ActingAs::Processor);
        assert_eq!(s.notes, "line one\nline two");
    }

    #[test]
    fn mounts_decide_the_backup_target_kind() {
        let mounts = "/dev/sda1 / ext4 rw 0 0\n\
                      nas.example:/export /mnt/nas nfs4 rw 0 0\n\
                      //files.example/backup /mnt/smb\\040share cifs rw 0 0\n";
        assert_eq!(
            kind_from_mounts("/var/backup", mounts),
            BackupTargetKind::Local
        );
        assert_eq!(
            kind_from_mounts("/mnt/nas/trygg", mounts),
            BackupTargetKind::Network {
                fstype: "nfs4".into(),
                source: "nas.example:/export".into()
            }
        );
        match kind_from_mounts("/mnt/smb share/x", mounts) {
            BackupTargetKind::Network { source, .. } => {
                assert_eq!(source_host(&source), "files.example")
            }
            other => panic!("{other:?}"),
        }
        // A sibling whose name only starts like the mount point is not on it.
        assert_eq!(
            kind_from_mounts("/mnt/nasty", mounts),
            BackupTargetKind::Local
        );
        assert_eq!(source_host("nas.example:/export"), "nas.example");
        assert_eq!(url_host("ldaps://dc1.corp.example:636"), "dc1.corp.example");
        assert_eq!(url_host("ldap://[2001:db8::1]:389/"), "2001:db8::1");
        assert!(is_local_host("127.0.0.1"));
        assert!(is_local_host("[::1]"));
        assert!(is_local_host("LocalHost"));
        assert!(!is_local_host("smtp.example.net"));
    }

    #[test]
    fn markdown_escapes_admin_text() {
        assert_eq!(md("a|b *c* [x](y)\nz"), "a\\|b \\*c\\* \\[x\\](y) z");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("Sweden"), "Sweden");
    }

    #[test]
    fn subprocessor_csv_round_trips() {
        let list = vec![SubProcessor {
            id: 3,
            name: "Mail, \"Relay\" AB".into(),
            service: "Smarthost".into(),
            location: "Sweden".into(),
            data_categories: "=cmd".into(),
            transfer_mechanism: String::new(),
            added: "2026-01-31".into(),
            origin: String::new(),
        }];
        let text = subprocessors_csv(&list).unwrap();
        let mut rd = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][1], "Mail, \"Relay\" AB");
        assert_eq!(&rows[0][4], "'=cmd");
    }

    #[test]
    fn retention_text_lists_the_rules() {
        use crate::gdpr::retention::{Action, RetentionSettings, Rule};
        let (_dir, app) = crate::gdpr::test_support::app();
        let lines = app.store.read(retention_lines).unwrap();
        assert_eq!(lines, vec!["Tickets: no retention rules configured"]);
        let set = RetentionSettings {
            rules: vec![
                Rule {
                    id: 1,
                    queue: Some("general".into()),
                    classification: None,
                    action: Action::Anonymise,
                    after_days: 365,
                },
                Rule {
                    id: 2,
                    queue: None,
                    classification: Some(Classification::Sensitive),
                    action: Action::Delete,
                    after_days: 90,
                },
            ],
            run_hour_utc: 4,
        };
        app.store
            .write(1, |tx| tx.put_rec(Table::Settings, RETENTION_KEY, &set))
            .unwrap();
        let lines = app.store.read(retention_lines).unwrap();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].contains("general") && lines[0].contains("365"),
            "{lines:?}"
        );
        assert!(
            lines[1].contains("sensitive") && lines[1].contains("90"),
            "{lines:?}"
        );
        assert!(lines[2].contains("04:00"), "{lines:?}");
    }

    #[test]
    fn queue_purpose_limit_and_subprocessor_dates() {
        let (_dir, app) = crate::gdpr::test_support::app();
        let max = crate::helpdesk::queues::PURPOSE_MAX;
        // The queue form's limit, in characters, applies here too.
        set_queue_purpose(&app, "general", &"å".repeat(max)).expect("at the limit");
        let e = set_queue_purpose(&app, "general", &"a".repeat(max + 1)).expect_err("over");
        assert!(
            e.message.contains(&format!("at most {max} characters")),
            "{}",
            e.message
        );
        let form = |added: &str| SubProcessorForm {
            name: "Example Mail AB".into(),
            service: "Outbound relay".into(),
            location: "Sweden".into(),
            added: added.into(),
            ..SubProcessorForm::default()
        };
        // The test clock stands at 2023-11-14.
        let e = save_subprocessor(&app, &form("2023-11-15")).expect_err("future");
        assert_eq!(e.kind, crate::error::ErrorKind::Invalid);
        assert!(e.message.contains("future"), "{}", e.message);
        save_subprocessor(&app, &form("2023-11-14")).expect("today");
        save_subprocessor(&app, &form("")).expect("empty means today");
    }

    #[test]
    fn record_is_derived_from_settings() {
        let (_dir, app) = crate::gdpr::test_support::app();
        app.store
            .write(1, |tx| {
                let mut q = crate::helpdesk::queues::get(tx, "general")?.unwrap();
                q.purpose = "Answering customers' questions".into();
                q.default_classification = Classification::Sensitive;
                tx.put_rec(Table::Queues, b"general", &q)
            })
            .unwrap();
        let rec = build(&app).unwrap();
        assert!(
            rec.purposes
                .iter()
                .any(|p| p.description == "Answering customers' questions")
        );
        assert!(rec.special_categories);
        assert_eq!(rec.controller.name, "Example");
        let md = to_markdown(&rec);
        assert!(md.contains("Answering customers' questions"), "{md}");
        assert!(md.contains("Special categories"), "{md}");
        assert!(md.contains("no retention rules configured"), "{md}");
        assert!(md.contains("store file mode 0600"), "{md}");
    }
}
