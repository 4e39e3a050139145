//! Retention: closed tickets are anonymised or deleted once the period their rule sets has
//! run out.
//!
//! This is the storage-limitation principle, GDPR Art. 5(1)(e): personal data is "kept in a
//! form which permits identification of data subjects for no longer than is necessary".
//! Art. 17(1)(a) makes erasure a duty once the data is "no longer necessary"; Recital 39
//! asks the controller to set "time limits … for erasure or for a periodic review". A rule
//! is such a time limit; the run applies them. Anonymised tickets (Recital 26) keep what
//! statistics need (queue, dates, status, article count) and are no longer personal data.
//!
//! A legal hold on a ticket, or on the contact who is the ticket's customer, suspends
//! retention for it (Art. 17(3)(e): data needed "for the establishment, exercise or defence
//! of legal claims"; Art. 18(1)(c)). Held tickets that would otherwise be due are counted.
//!
//! Rules live in the settings table under [`SETTINGS_KEY`]; the last runs under
//! [`RUNS_KEY`]. A run works in batches of [`BATCH`] tickets, each one write transaction
//! marked as an erasure ([`crate::gdpr::erase`]), records `gdpr.retention.run` with the
//! counts only (nothing personal), and ends with [`crate::gdpr::purge_after_erasure`] so no
//! trace of the erased data stays in the change log or the store file.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::classification::Classification;
use super::erase::{self, References};
use crate::app::App;
use crate::audit::access::{Actor, ActorKind, Need, guard};
use crate::auth::roles::Area;
use crate::error::{Error, Result};
use crate::helpdesk::model::{Contact, Ticket, TicketStatus};
use crate::helpdesk::queues;
use crate::store::codec::{be, decode};
use crate::store::{Reader, Table, WriteTx};

/// Settings key of the rules and the schedule ([`RetentionSettings`]).
pub const SETTINGS_KEY: &[u8] = b"retention";
/// Settings key of the last runs ([`RunLog`]).
pub const RUNS_KEY: &[u8] = b"retention_runs";
/// Tickets per write transaction of a run.
pub const BATCH: usize = 100;
/// Most runs kept in the log.
pub const MAX_RUNS: usize = 20;
/// Most rules.
pub const MAX_RULES: usize = 100;
/// Longest retention period, days (100 years).
pub const MAX_DAYS: u32 = 36_500;
/// Tickets the preview lists (the counts cover all).
pub const PREVIEW_LIST: usize = 200;
/// The audit actor of scheduled runs.
pub const SYSTEM_ACTOR: &str = "system:retention";
const DAY_MS: i64 = 86_400_000;

/// What a rule does to a due ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Replace personal data with placeholders ([`erase::anonymise_ticket`]).
    Anonymise,
    /// Remove the ticket and everything only it uses ([`erase::delete_ticket`]).
    Delete,
}

impl Action {
    /// `anonymise` or `delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Anonymise => "anonymise",
            Action::Delete => "delete",
        }
    }
    /// Parses [`Action::as_str`]. Errors: `Invalid`.
    pub fn parse(s: &str) -> Result<Action> {
        match s.trim().to_ascii_lowercase().as_str() {
            "anonymise" | "anonymize" => Ok(Action::Anonymise),
            "delete" => Ok(Action::Delete),
            other => Err(Error::invalid(format!(
                "action must be anonymise or delete, not {other:?}"
            ))),
        }
    }
}

/// One retention rule: closed tickets of `queue` (all queues when `None`) with
/// `classification` (all when `None`) get `action` once `after_days` have passed since
/// they were closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id (for removal).
    pub id: u64,
    pub queue: Option<String>,
    pub classification: Option<Classification>,
    pub action: Action,
    /// Days after closing, 1..=[`MAX_DAYS`].
    pub after_days: u32,
}

impl Rule {
    /// Whether the rule covers ticket `t` (queue and classification), ignoring time.
    pub fn covers(&self, t: &Ticket) -> bool {
        self.queue
            .as_deref()
            .is_none_or(|q| q == queues::of_ticket(t))
            && self.classification.is_none_or(|c| c == t.classification)
    }

    /// Human-readable, e.g. `queue hr, sensitive: delete after 90 days` (no personal data).
    pub fn describe(&self) -> String {
        format!(
            "queue {}, {}: {} after {} day{}",
            self.queue.as_deref().unwrap_or("(all)"),
            self.classification
                .map_or("(all classifications)", |c| c.as_str()),
            self.action.as_str(),
            self.after_days,
            if self.after_days == 1 { "" } else { "s" }
        )
    }
}

/// Rules and schedule, stored under [`SETTINGS_KEY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionSettings {
    pub rules: Vec<Rule>,
    /// Hour of the day (UTC, 0–23) at which the daily run starts.
    #[serde(default = "default_hour")]
    pub run_hour_utc: u8,
}

fn default_hour() -> u8 {
    3
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            rules: Vec::new(),
            run_hour_utc: default_hour(),
        }
    }
}

/// The rules and schedule (defaults when none were saved).
pub fn load(r: &impl Reader) -> Result<RetentionSettings> {
    Ok(r.get_rec(Table::Settings, SETTINGS_KEY)?
        .unwrap_or_default())
}

/// Checks a new rule against the queues that exist. Errors: `Invalid` for an unknown
/// queue or a period outside 1..=36500 days.
pub fn validate(r: &impl Reader, rule: &Rule) -> Result<()> {
    if !(1..=MAX_DAYS).contains(&rule.after_days) {
        return Err(Error::invalid(format!(
            "the retention period must be 1 to {MAX_DAYS} days"
        )));
    }
    if let Some(q) = &rule.queue
        && queues::get(r, q)?.is_none()
    {
        return Err(Error::invalid(format!("there is no queue {q:?}")));
    }
    Ok(())
}

/// A change to the rules from the admin page or elsewhere.
#[derive(Debug, Clone)]
pub enum RulesChange {
    /// Add a rule (its id is assigned).
    Add {
        queue: Option<String>,
        classification: Option<Classification>,
        action: Action,
        after_days: u32,
    },
    /// Remove the rule with this id.
    Remove(u64),
    /// Set the hour (UTC) of the daily run.
    RunHour(u8),
}

/// Changes the rules (needs `Area::Policies`; audited as `retention.rules` with the rule in
/// the detail). Saving runs nothing: the next run is the daily one or "Run now".
/// Errors: `Invalid` (see [`validate`]; hour above 23; more than 100 rules), `NotFound`
/// (no permission, or no such rule).
pub fn change_rules(app: &App, actor: &Actor, change: RulesChange) -> Result<RetentionSettings> {
    let id = app.next_id();
    guard(
        app,
        actor,
        Need::Area(Area::Policies),
        "retention.rules",
        "retention rules",
        |tx, _| {
            let mut s = load(tx)?;
            let detail = match change {
                RulesChange::Add {
                    queue,
                    classification,
                    action,
                    after_days,
                } => {
                    let rule = Rule {
                        id,
                        queue,
                        classification,
                        action,
                        after_days,
                    };
                    validate(tx, &rule)?;
                    let same = |r: &Rule| {
                        (&r.queue, r.classification, r.action, r.after_days)
                            == (
                                &rule.queue,
                                rule.classification,
                                rule.action,
                                rule.after_days,
                            )
                    };
                    if s.rules.iter().any(same) {
                        return Err(Error::invalid(format!(
                            "this rule exists already ({})",
                            rule.describe()
                        )));
                    }
                    if s.rules.len() >= MAX_RULES {
                        return Err(Error::invalid(format!("at most {MAX_RULES} rules")));
                    }
                    let d = format!("added: {}", rule.describe());
                    s.rules.push(rule);
                    d
                }
                RulesChange::Remove(id) => {
                    let i = s
                        .rules
                        .iter()
                        .position(|r| r.id == id)
                        .ok_or_else(|| Error::not_found("no such retention rule"))?;
                    format!("removed: {}", s.rules.remove(i).describe())
                }
                RulesChange::RunHour(h) => {
                    if h > 23 {
                        return Err(Error::invalid("the hour must be 0 to 23 (UTC)"));
                    }
                    s.run_hour_utc = h;
                    format!("daily run at {h:02}:00 UTC")
                }
            };
            tx.put_rec(Table::Settings, SETTINGS_KEY, &s)?;
            Ok((s, detail))
        },
    )
}

/// The moment ticket `t` counts as closed (Unix ms): `closed_ms`, or `updated_ms` for
/// records from before that field.
pub fn closed_at(t: &Ticket) -> i64 {
    t.closed_ms.unwrap_or(t.updated_ms)
}

/// What the rules say about ticket `t` at `now` (Unix ms), before holds: `None` when it is
/// open or no rule is due; else the action and the index of the rule deciding it. A rule
/// is due when it covers the ticket and `closed_at + after_days` ≤ `now`. Delete wins over
/// anonymise; an anonymised ticket is not anonymised again.
pub fn due(rules: &[Rule], t: &Ticket, now: i64) -> Option<(Action, usize)> {
    if t.status != TicketStatus::Closed {
        return None;
    }
    let closed = closed_at(t);
    let is_due =
        |r: &Rule| r.covers(t) && closed.saturating_add(i64::from(r.after_days) * DAY_MS) <= now;
    let mut best: Option<(Action, usize)> = None;
    for (i, r) in rules.iter().enumerate() {
        if !is_due(r) || (r.action == Action::Anonymise && t.anonymised_ms.is_some()) {
            continue;
        }
        if best.is_none_or(|(a, _)| r.action > a) {
            best = Some((r.action, i));
        }
    }
    best
}

/// Whether ticket `t` is under legal hold, itself or through its customer's contact
/// (`held_contacts`: lower-case addresses of contacts under hold).
pub fn is_held(t: &Ticket, held_contacts: &HashSet<String>) -> bool {
    t.legal_hold.is_some() || held_contacts.contains(&t.customer.address.to_lowercase())
}

/// Lower-case addresses of contacts under legal hold.
pub fn held_contacts(r: &impl Reader) -> Result<HashSet<String>> {
    let mut out = HashSet::new();
    for (k, v) in r.scan(Table::Contacts, &[], false, usize::MAX)? {
        let c: Contact = decode(&v)?;
        if c.legal_hold.is_some() {
            out.insert(String::from_utf8_lossy(&k).into_owned());
        }
    }
    Ok(out)
}

/// One ticket a run will touch (no personal data: number, queue, classification, dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub number: u64,
    pub queue: String,
    /// Written as its machine name (`confidential`), like the ticket API.
    #[serde(with = "class_name")]
    pub classification: Classification,
    /// Unix ms, see [`closed_at`].
    pub closed_ms: i64,
    pub action: Action,
    /// Id of the deciding rule.
    pub rule: u64,
}

/// Classification as its machine name in JSON (`Classification::as_str`).
mod class_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::gdpr::classification::Classification;

    pub fn serialize<S: Serializer>(c: &Classification, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Classification, D::Error> {
        let s = String::deserialize(d)?;
        Classification::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// What a run at a given time would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Unix ms the plan was made for.
    pub at_ms: i64,
    pub anonymise: u64,
    pub delete: u64,
    /// Tickets due but under legal hold (themselves or through their customer).
    pub held: u64,
    /// Every ticket to touch, lowest number first.
    pub items: Vec<PlanItem>,
}

/// What a run at `now` (Unix ms) would touch, from a consistent read.
pub fn preview(r: &impl Reader, now: i64) -> Result<Plan> {
    let rules = load(r)?.rules;
    let mut plan = Plan {
        at_ms: now,
        ..Plan::default()
    };
    if rules.is_empty() {
        return Ok(plan);
    }
    let holds = held_contacts(r)?;
    for (_, v) in r.scan(Table::Tickets, &[], false, usize::MAX)? {
        let t: Ticket = decode(&v)?;
        let Some((action, i)) = due(&rules, &t, now) else {
            continue;
        };
        if is_held(&t, &holds) {
            plan.held += 1;
            continue;
        }
        match action {
            Action::Anonymise => plan.anonymise += 1,
            Action::Delete => plan.delete += 1,
        }
        plan.items.push(PlanItem {
            number: t.number,
            queue: queues::of_ticket(&t).to_string(),
            classification: t.classification,
            closed_ms: closed_at(&t),
            action,
            rule: rules[i].id,
        });
    }
    Ok(plan)
}

/// The outcome of one run (kept in the run log; no personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Who ran it: a user, `cli:<user>`, or [`SYSTEM_ACTOR`].
    pub actor: String,
    /// Unix ms (the injected clock) the run was planned for.
    pub at_ms: i64,
    pub anonymised: u64,
    pub deleted: u64,
    pub held: u64,
    /// Tickets whose anonymisation or deletion failed (see the server log).
    pub failed: u64,
    /// Contacts removed because no ticket concerns them any more.
    pub contacts_removed: u64,
    /// Blobs (raw messages, attachments) removed.
    pub blobs_removed: u64,
    /// Wall time of the run including the store scrub, milliseconds.
    pub duration_ms: u64,
}

/// The last runs, newest first, at most [`MAX_RUNS`], plus the schedule's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLog {
    pub runs: Vec<RunReport>,
    /// The UTC day (days since 1970-01-01) of the last scheduled run.
    #[serde(default)]
    pub last_scheduled_day: Option<i64>,
}

/// The run log.
pub fn runs(r: &impl Reader) -> Result<RunLog> {
    Ok(r.get_rec(Table::Settings, RUNS_KEY)?.unwrap_or_default())
}

/// Applies the rules as of `now` (Unix ms): see the module docs. `actor` needs
/// `Area::Policies` (the local operator and the scheduler have it). Tickets whose state
/// changed since the plan (reopened, held) are left alone. A batch that fails is retried
/// ticket by ticket so one bad ticket does not stop the others; those count as `failed`.
/// Errors: `NotFound` without permission; `Internal` on store errors outside a batch.
pub fn run(app: &App, actor: &Actor, now: i64) -> Result<RunReport> {
    let started = std::time::Instant::now();
    let allowed = app
        .store
        .read(|r| Ok(crate::audit::access::grants(r, actor)?.has_area(Area::Policies)))?;
    if !allowed {
        // Records the refusal the usual way and answers as for a missing page.
        return guard(
            app,
            actor,
            Need::Area(Area::Policies),
            "gdpr.retention.run",
            "retention",
            |_, _| Err(Error::not_found("no such page")),
        );
    }
    let plan = app.store.read(|r| preview(r, now))?;
    let mut report = RunReport {
        actor: actor.id.clone(),
        at_ms: now,
        held: plan.held,
        ..RunReport::default()
    };
    // Addresses that may lose their last ticket (only in memory, never stored or logged).
    let mut addresses: BTreeSet<String> = BTreeSet::new();
    // Blob reference counts, built once and kept across batches while nothing else
    // changes the tables they derive from (building them is a pass over every article, too
    // dear per batch on a large store); `u64` is the log head they are valid for.
    let mut cached: Option<(References, u64)> = None;
    for chunk in plan.items.chunks(BATCH) {
        let batch = app.store.write(now, |tx| {
            let head = tx.log_head()?;
            let mut refs = match cached.take() {
                Some((refs, valid_at))
                    if !tx.log_touches_since(
                        valid_at,
                        &[Table::Articles, Table::MessageIds, Table::Outbound],
                    )? =>
                {
                    refs
                }
                _ => References::build(tx)?,
            };
            let rules = load(tx)?.rules;
            let mut out = Applied::default();
            for item in chunk {
                apply(tx, &rules, item, now, &mut refs, &mut out)?;
            }
            // Our own record (if any) is the next one; `refs` already holds its changes.
            let valid_at = if tx.is_empty() { head } else { head + 1 };
            Ok((out, refs, valid_at))
        });
        let batch = batch.map(|(out, refs, valid_at)| {
            cached = Some((refs, valid_at));
            out
        });
        let batch = match batch {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("retention batch failed, retrying ticket by ticket: {e}");
                let mut out = Applied::default();
                for item in chunk {
                    let one = app.store.write(now, |tx| {
                        let mut refs = References::build(tx)?;
                        let rules = load(tx)?.rules;
                        let mut o = Applied::default();
                        apply(tx, &rules, item, now, &mut refs, &mut o)?;
                        Ok(o)
                    });
                    match one {
                        Ok(o) => out.add(o),
                        Err(e) => {
                            tracing::error!(ticket = item.number, "retention failed: {e}");
                            out.failed += 1;
                        }
                    }
                }
                out
            }
        };
        report.anonymised += batch.anonymised;
        report.deleted += batch.deleted;
        report.failed += batch.failed;
        report.blobs_removed += batch.blobs;
        addresses.extend(batch.addresses);
    }
    if !addresses.is_empty() {
        match app
            .store
            .write(now, |tx| remove_orphan_contacts(tx, &addresses))
        {
            Ok(n) => report.contacts_removed = n,
            Err(e) => tracing::error!("retention: removing contacts failed: {e}"),
        }
    }
    let touched = report.anonymised + report.deleted + report.contacts_removed > 0;
    let detail = format!(
        "{} anonymised, {} deleted, {} held, {} failed, {} contacts removed",
        report.anonymised, report.deleted, report.held, report.failed, report.contacts_removed
    );
    crate::audit::access::record_for(
        app,
        actor,
        "gdpr.retention.run",
        "retention",
        crate::audit::Outcome::Ok,
        detail,
    )?;
    if touched {
        super::purge_after_erasure(app);
    }
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let saved = report.clone();
    app.store.write(now, |tx| {
        let mut log = runs(tx)?;
        log.runs.insert(0, saved);
        log.runs.truncate(MAX_RUNS);
        tx.put_rec(Table::Settings, RUNS_KEY, &log)
    })?;
    tracing::info!(
        actor = %report.actor,
        anonymised = report.anonymised,
        deleted = report.deleted,
        held = report.held,
        failed = report.failed,
        ms = report.duration_ms,
        "retention run"
    );
    Ok(report)
}

#[derive(Default)]
struct Applied {
    anonymised: u64,
    deleted: u64,
    failed: u64,
    blobs: u64,
    addresses: Vec<String>,
}

impl Applied {
    fn add(&mut self, o: Applied) {
        self.anonymised += o.anonymised;
        self.deleted += o.deleted;
        self.failed += o.failed;
        self.blobs += o.blobs;
        self.addresses.extend(o.addresses);
    }
}

/// Applies one planned item inside `tx`, re-checking the ticket as it is now.
fn apply(
    tx: &mut WriteTx,
    rules: &[Rule],
    item: &PlanItem,
    now: i64,
    refs: &mut References,
    out: &mut Applied,
) -> Result<()> {
    let Some(t) = tx.get_rec::<Ticket>(Table::Tickets, &be(item.number))? else {
        return Ok(());
    };
    let still = due(rules, &t, now).map(|(a, _)| a);
    if still != Some(item.action) || is_held(&t, &held_of(tx, &t)?) {
        return Ok(());
    }
    out.addresses.push(t.customer.address.to_lowercase());
    out.addresses
        .extend(t.participants.iter().map(|p| p.to_lowercase()));
    let c = match item.action {
        Action::Delete => {
            out.deleted += 1;
            erase::delete_ticket(tx, item.number, refs)?
        }
        Action::Anonymise => {
            out.anonymised += 1;
            let c = erase::anonymise_ticket(tx, item.number, refs)?;
            let mut t: Ticket = tx
                .get_rec(Table::Tickets, &be(item.number))?
                .ok_or_else(|| Error::internal("anonymised ticket vanished"))?;
            t.anonymised_ms = Some(now);
            tx.put_rec(Table::Tickets, &be(item.number), &t)?;
            c
        }
    };
    out.blobs += c.blobs_removed;
    Ok(())
}

/// The held-contact set for one ticket's customer (read inside the write transaction).
fn held_of(r: &impl Reader, t: &Ticket) -> Result<HashSet<String>> {
    let addr = t.customer.address.to_lowercase();
    let c: Option<Contact> = r.get_rec(Table::Contacts, addr.as_bytes())?;
    Ok(c.filter(|c| c.legal_hold.is_some())
        .map(|_| HashSet::from([addr]))
        .unwrap_or_default())
}

/// Removes the contacts among `addresses` that no ticket names any more (as customer or
/// participant), that are not under legal hold and that have no consent records (those
/// are the evidence Art. 7(1) asks for; subject erasure removes them). Also drops their
/// auto-reply rate counters. Marked as an erasure. Returns how many contacts went.
fn remove_orphan_contacts(tx: &mut WriteTx, addresses: &BTreeSet<String>) -> Result<u64> {
    tx.mark_erasure();
    let mut still: HashSet<String> = HashSet::new();
    for (_, v) in tx.scan(Table::Tickets, &[], false, usize::MAX)? {
        let t: Ticket = decode(&v)?;
        still.insert(t.customer.address.to_lowercase());
        still.extend(t.participants.iter().map(|p| p.to_lowercase()));
    }
    let mut gone: HashSet<&str> = HashSet::new();
    for a in addresses.iter().filter(|a| !still.contains(*a)) {
        let Some(c) = tx.get_rec::<Contact>(Table::Contacts, a.as_bytes())? else {
            gone.insert(a);
            continue;
        };
        let mut prefix = a.as_bytes().to_vec();
        prefix.push(0);
        let consents = !tx.scan(Table::Consents, &prefix, false, 1)?.is_empty();
        if c.legal_hold.is_none() && !consents && tx.delete(Table::Contacts, a.as_bytes())? {
            gone.insert(a);
        }
    }
    let mut removed = 0;
    for a in &gone {
        removed += u64::from(addresses.contains(*a));
    }
    // RFC 3834 rate-limit counters, also those the daily clean-up deleted earlier.
    if !gone.is_empty() {
        crate::gdpr::erase::forget_auto_reply_counts(tx, |a| gone.contains(a))?;
    }
    Ok(removed)
}

/// The UTC day number of Unix ms `ms`.
fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// Whether the scheduler should run now: there is a rule, the UTC hour is the configured
/// one, and no scheduled run happened on this UTC day. A run missed because the server was
/// down at that hour happens the next day.
pub fn schedule_due(s: &RetentionSettings, log: &RunLog, now: i64) -> bool {
    let hour = now.rem_euclid(DAY_MS) / 3_600_000;
    !s.rules.is_empty()
        && hour == i64::from(s.run_hour_utc)
        && log.last_scheduled_day != Some(day_of(now))
}

/// The actor of scheduled runs (every permission, recorded as [`SYSTEM_ACTOR`]).
pub fn system_actor() -> Actor {
    Actor {
        kind: ActorKind::Local,
        id: SYSTEM_ACTOR.into(),
        client: "scheduler".into(),
    }
}

/// One scheduler step: runs retention if [`schedule_due`].
fn tick(app: &App) -> Result<Option<RunReport>> {
    let now = app.now_ms();
    let (s, log) = app.store.read(|r| Ok((load(r)?, runs(r)?)))?;
    if !schedule_due(&s, &log, now) {
        return Ok(None);
    }
    // Mark the day first: a failing run is not retried every minute.
    app.store.write(now, |tx| {
        let mut log = runs(tx)?;
        log.last_scheduled_day = Some(day_of(now));
        tx.put_rec(Table::Settings, RUNS_KEY, &log)
    })?;
    run(app, &system_actor(), now).map(Some)
}

/// The daily retention job of `trygg serve`: checks once a minute (on the blocking pool)
/// whether a run is due ([`schedule_due`]) and runs it as [`SYSTEM_ACTOR`].
pub async fn run_schedule(app: Arc<App>) -> Result<()> {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let a = app.clone();
        match tokio::task::spawn_blocking(move || tick(&a)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("scheduled retention run failed: {e}"),
            Err(e) => tracing::error!("retention task failed: {e}"),
        }
    }
}

/// `trygg bench retention`: seeds `n` tickets in a fresh store in `dir` with
/// [`crate::bench::seed`] (one article, one raw message, one contact each), closes them 400
/// days ago, and times a preview and a run of one rule with `action` over all of them.
/// Errors: `Conflict` when `dir` holds a store, `Invalid` for the action.
pub fn bench(dir: &std::path::Path, n: u64, action: &str) -> Result<serde_json::Value> {
    let action = Action::parse(action)?;
    if dir.join(crate::app::STORE_FILE).exists() {
        return Err(Error::conflict(format!(
            "{} already holds a store; give an empty directory",
            dir.display()
        )));
    }
    let app = App::open(dir, Arc::new(crate::app::SystemClock))?;
    crate::bench::seed(&app, n, 2048)?;
    let now = app.now_ms();
    let numbers: Vec<Vec<u8>> = app.store.read(|r| {
        Ok(r.scan(Table::Tickets, &[], false, usize::MAX)?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    })?;
    for chunk in numbers.chunks(1000) {
        app.store.write(now, |tx| {
            for k in chunk {
                if let Some(mut t) = tx.get_rec::<Ticket>(Table::Tickets, k)? {
                    t.status = TicketStatus::Closed;
                    t.closed_ms = Some(now - 400 * DAY_MS);
                    tx.put_rec(Table::Tickets, k, &t)?;
                }
            }
            Ok(())
        })?;
    }
    let op = Actor::local("bench");
    change_rules(
        &app,
        &op,
        RulesChange::Add {
            queue: None,
            classification: None,
            action,
            after_days: 365,
        },
    )?;
    let bytes_before = std::fs::metadata(dir.join(crate::app::STORE_FILE))?.len();
    let t = std::time::Instant::now();
    let plan = app.store.read(|r| preview(r, now))?;
    let preview_ms = t.elapsed().as_millis();
    let report = run(&app, &op, now)?;
    let bytes_after = std::fs::metadata(dir.join(crate::app::STORE_FILE))?.len();
    Ok(serde_json::json!({
        "tickets": n,
        "action": action.as_str(),
        "planned": plan.items.len(),
        "preview_ms": preview_ms,
        "run_ms": report.duration_ms,
        "tickets_per_s": (report.anonymised + report.deleted) as f64
            / (report.duration_ms.max(1) as f64 / 1000.0),
        "store_bytes_before": bytes_before,
        "store_bytes_after": bytes_after,
        "report": report,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gdpr::classification::LegalHold;
    use crate::helpdesk::model::MailAddress;

    const NOW: i64 = 1_800_000_000_000;

    fn ticket(queue: &str, c: Classification, closed_days_ago: i64) -> Ticket {
        Ticket {
            number: 1001,
            subject: "s".into(),
            status: TicketStatus::Closed,
            customer: MailAddress {
                name: None,
                address: "Kund@Example.org".into(),
            },
            mailbox: String::new(),
            created_ms: 0,
            updated_ms: 0,
            articles: 1,
            participants: vec![],
            queue: queue.into(),
            classification: c,
            legal_hold: None,
            closed_ms: Some(NOW - closed_days_ago * DAY_MS),
            anonymised_ms: None,
        }
    }

    fn rule(
        id: u64,
        queue: Option<&str>,
        c: Option<Classification>,
        action: Action,
        days: u32,
    ) -> Rule {
        Rule {
            id,
            queue: queue.map(String::from),
            classification: c,
            action,
            after_days: days,
        }
    }

    #[test]
    fn delete_beats_anonymise_and_order_does_not_matter() {
        let t = ticket("hr", Classification::Internal, 400);
        let a = rule(1, None, None, Action::Anonymise, 365);
        let d = rule(2, Some("hr"), None, Action::Delete, 90);
        assert_eq!(
            due(&[a.clone(), d.clone()], &t, NOW),
            Some((Action::Delete, 1))
        );
        assert_eq!(due(&[d, a], &t, NOW), Some((Action::Delete, 0)));
    }

    #[test]
    fn boundary_day_is_due_one_ms_before_is_not() {
        let t = ticket("hr", Classification::Internal, 90);
        let r = [rule(1, None, None, Action::Delete, 90)];
        assert_eq!(due(&r, &t, NOW), Some((Action::Delete, 0)));
        assert_eq!(due(&r, &t, NOW - 1), None);
        assert_eq!(
            due(&[rule(1, None, None, Action::Delete, 91)], &t, NOW),
            None
        );
    }

    #[test]
    fn open_tickets_and_other_queues_are_not_touched() {
        let mut t = ticket("hr", Classification::Internal, 400);
        let r = [rule(1, Some("sales"), None, Action::Delete, 1)];
        assert_eq!(due(&r, &t, NOW), None);
        let r = [rule(1, Some("hr"), None, Action::Delete, 1)];
        t.status = TicketStatus::Open;
        assert_eq!(due(&r, &t, NOW), None);
    }

    #[test]
    fn records_from_before_closed_ms_count_from_updated_ms() {
        let mut t = ticket("hr", Classification::Internal, 0);
        t.closed_ms = None;
        t.updated_ms = NOW - 30 * DAY_MS;
        let r = [rule(1, None, None, Action::Delete, 30)];
        assert_eq!(due(&r, &t, NOW), Some((Action::Delete, 0)));
        t.updated_ms += 1;
        assert_eq!(due(&r, &t, NOW), None);
    }

    #[test]
    fn classification_filters() {
        let sensitive = ticket("hr", Classification::Sensitive, 100);
        let internal = ticket("hr", Classification::Internal, 100);
        let r = [
            rule(1, None, Some(Classification::Sensitive), Action::Delete, 30),
            rule(2, Some("hr"), None, Action::Anonymise, 60),
        ];
        assert_eq!(due(&r, &sensitive, NOW), Some((Action::Delete, 0)));
        assert_eq!(due(&r, &internal, NOW), Some((Action::Anonymise, 1)));
        let only_conf = [rule(
            1,
            Some("hr"),
            Some(Classification::Confidential),
            Action::Delete,
            1,
        )];
        assert_eq!(due(&only_conf, &sensitive, NOW), None);
        assert_eq!(due(&only_conf, &internal, NOW), None);
    }

    #[test]
    fn anonymised_tickets_are_not_anonymised_again_but_may_be_deleted() {
        let mut t = ticket("hr", Classification::Internal, 800);
        t.anonymised_ms = Some(NOW - DAY_MS);
        let anon = rule(1, None, None, Action::Anonymise, 365);
        assert_eq!(due(std::slice::from_ref(&anon), &t, NOW), None);
        let del = rule(2, None, None, Action::Delete, 730);
        assert_eq!(due(&[anon, del], &t, NOW), Some((Action::Delete, 1)));
    }

    #[test]
    fn holds_on_ticket_or_customer_contact() {
        let mut t = ticket("hr", Classification::Internal, 800);
        let none = HashSet::new();
        assert!(!is_held(&t, &none));
        assert!(is_held(
            &t,
            &HashSet::from(["kund@example.org".to_string()])
        ));
        t.legal_hold = Some(LegalHold::new("dispute", "a@example.org", 1).expect("hold"));
        assert!(is_held(&t, &none));
    }

    /// A run through the store: deletes what is due, leaves held and open tickets, removes
    /// contacts no ticket names any more but keeps those with consent records, is audited
    /// with counts, logged, and a second run finds nothing.
    #[test]
    fn a_run_applies_the_plan_and_keeps_what_it_must() {
        use crate::gdpr::test_support::{app, env, mail};
        use crate::helpdesk::ingest::ingest;
        let (_d, app) = app();
        let op = Actor::local("root");
        let mut n = Vec::new();
        for (who, subject) in [
            ("gone@example.net", "t-gone"),
            ("consented@example.net", "t-consent"),
            ("held@example.net", "t-held-contact"),
            ("ticket@example.net", "t-held-ticket"),
            ("open@example.net", "t-open"),
        ] {
            let t = ingest(&app, &mail("N", who, subject, "body", subject), &env()).expect("in");
            n.push(t.ticket);
        }
        for &t in &n[..4] {
            crate::helpdesk::tickets::set_status(&app, &op, t, TicketStatus::Closed)
                .expect("close");
        }
        crate::gdpr::hold::set_contact(&app, &op, "held@example.net", Some("claim")).expect("h");
        crate::gdpr::hold::set_ticket(&app, &op, n[3], Some("claim")).expect("hold");
        let now = app.now_ms();
        app.store
            .write(now, |tx| {
                crate::gdpr::consent::record(
                    tx,
                    1,
                    now,
                    "root",
                    crate::gdpr::consent::NewConsent {
                        contact: "consented@example.net".into(),
                        purpose: "newsletter".into(),
                        wording: "May we write to you?".into(),
                        given_ms: now,
                        channel: crate::gdpr::consent::Channel::Phone,
                        evidence: crate::gdpr::consent::Evidence {
                            article: None,
                            note: "call".into(),
                        },
                        affirmed: true,
                    },
                )
            })
            .expect("consent");
        let bad = change_rules(
            &app,
            &op,
            RulesChange::Add {
                queue: Some("nosuch".into()),
                classification: None,
                action: Action::Delete,
                after_days: 30,
            },
        );
        assert_eq!(
            bad.map(|_| ()).map_err(|e| e.kind),
            Err(crate::error::ErrorKind::Invalid)
        );
        change_rules(
            &app,
            &op,
            RulesChange::Add {
                queue: None,
                classification: None,
                action: Action::Delete,
                after_days: 30,
            },
        )
        .expect("rule");
        let later = now + 30 * DAY_MS;
        let plan = app.store.read(|r| preview(r, later)).expect("plan");
        assert_eq!((plan.delete, plan.anonymise, plan.held), (2, 0, 2));
        assert_eq!(
            app.store.read(|r| preview(r, later - 1)).expect("p").delete,
            0
        );
        let r = run(&app, &op, later).expect("run");
        assert_eq!(
            (r.deleted, r.held, r.failed, r.contacts_removed),
            (2, 2, 0, 1)
        );
        app.store
            .read(|rd| {
                let contact = |a: &str| rd.get(Table::Contacts, a.as_bytes()).map(|c| c.is_some());
                assert!(!contact("gone@example.net")?);
                assert!(
                    contact("consented@example.net")?,
                    "consent evidence keeps it"
                );
                assert!(contact("held@example.net")? && contact("ticket@example.net")?);
                assert!(contact("open@example.net")?);
                for (i, &t) in n.iter().enumerate() {
                    let exists = rd.get(Table::Tickets, &be(t))?.is_some();
                    assert_eq!(exists, i >= 2, "ticket {i}");
                }
                let log = runs(rd)?;
                assert_eq!(log.runs.len(), 1);
                let audit = crate::audit::since(rd, 0)?;
                let ev = audit
                    .iter()
                    .rev()
                    .find(|a| a.action == "gdpr.retention.run")
                    .expect("audited");
                assert!(
                    ev.detail
                        .starts_with("0 anonymised, 2 deleted, 2 held, 0 failed")
                );
                Ok(())
            })
            .expect("read");
        let again = run(&app, &op, later).expect("again");
        assert_eq!((again.deleted, again.held), (0, 2));
        assert_eq!(
            app.store.pending_erasures().expect("pending"),
            0,
            "scrubbed"
        );
    }

    #[test]
    fn schedule_runs_once_at_the_hour_and_only_with_rules() {
        let mut s = RetentionSettings::default();
        let three = 20_000 * DAY_MS + 3 * 3_600_000 + 60_000; // 03:01 UTC
        let log = RunLog::default();
        assert!(!schedule_due(&s, &log, three), "no rules");
        s.rules.push(rule(1, None, None, Action::Delete, 1));
        assert!(schedule_due(&s, &log, three));
        assert!(!schedule_due(&s, &log, three + 3_600_000), "04:01");
        let done = RunLog {
            runs: vec![],
            last_scheduled_day: Some(20_000),
        };
        assert!(!schedule_due(&s, &done, three), "already ran today");
        assert!(schedule_due(&s, &done, three + DAY_MS), "next day");
    }
}
