//! `trygg backup drill`: the disaster-recovery test. Restores the newest chain into a
//! temporary directory, opens it like a server would, checks it and reports how long it
//! took and how much would have been lost (the achieved RPO).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::keys::DecryptWith;
use super::restore::{RestoreOptions, restore};
use crate::error::Result;
use crate::helpdesk::model::{Article, Ticket};
use crate::store::codec::be;
use crate::store::{Reader, Store, Table};

/// Prefix of report files written into the backup directory (`drill-<time>.json`).
pub const REPORT_PREFIX: &str = "drill-";

/// One check of the drill.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// The drill report (JSON; also rendered for people by [`Report::human`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub ok: bool,
    /// When the drill started, RFC 3339.
    pub started: String,
    /// Restore plus checks, ms.
    pub duration_ms: u64,
    /// Restore alone, ms.
    pub restore_ms: u64,
    pub chain: String,
    pub files: usize,
    pub bytes: u64,
    /// Newest change-log sequence number recovered.
    pub recovered_seq: u64,
    /// Commit time of that transaction, RFC 3339.
    pub newest_txn: String,
    /// Age of the newest recovered transaction when the drill ran: the achieved RPO, ms.
    pub rpo_ms: i64,
    pub tickets: u64,
    pub articles: u64,
    pub blobs: u64,
    pub checks: Vec<Check>,
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

impl Report {
    /// The report for people.
    pub fn human(&self) -> String {
        let mut s = format!(
            "DR drill {}: {}\n  chain {} ({} files, {} bytes)\n  restore took {:.1} s, drill {:.1} s\n  newest recovered transaction: seq {} at {} (RPO {:.1} s at drill time)\n  {} tickets, {} articles, {} blobs\n",
            self.started,
            if self.ok { "PASSED" } else { "FAILED" },
            self.chain,
            self.files,
            self.bytes,
            self.restore_ms as f64 / 1000.0,
            self.duration_ms as f64 / 1000.0,
            self.recovered_seq,
            self.newest_txn,
            self.rpo_ms as f64 / 1000.0,
            self.tickets,
            self.articles,
            self.blobs
        );
        for c in &self.checks {
            s.push_str(&format!(
                "  [{}] {}: {}\n",
                if c.ok { "ok" } else { "FAIL" },
                c.name,
                c.detail
            ));
        }
        s
    }
}

/// An extra integrity check run on the restored store: `None` when it does not apply
/// (e.g. no audit table in this build), else `Ok(detail)` or `Err(problem)`.
pub type Hook = fn(&Store) -> Option<std::result::Result<String, String>>;

/// Extra checks. The audit chain check plugs in here once the audit log exists
/// (`audit::verify` over the restored store).
pub fn hooks() -> Vec<(&'static str, Hook)> {
    vec![("audit chain", audit_hook)]
}

/// The restored audit trail's hash chain (issue 4), when it has records.
fn audit_hook(s: &Store) -> Option<std::result::Result<String, String>> {
    let report = match s.read(crate::audit::verify_chain) {
        Ok(r) => r,
        Err(e) => return Some(Err(format!("cannot read the audit trail: {e}"))),
    };
    if report.records == 0 {
        return None;
    }
    Some(match &report.first_broken {
        None => Ok(format!("{} records, chain intact", report.records)),
        Some(b) => Err(format!("record {} breaks the chain: {}", b.seq, b.reason)),
    })
}

/// Runs the drill on the chains in `from`. `now_ms` stamps the report.
pub fn drill(from: &Path, keys: &DecryptWith, now_ms: i64) -> Result<Report> {
    let started = std::time::Instant::now();
    let tmp = temp_dir()?;
    let res = (|| {
        let o = RestoreOptions {
            from: from.to_path_buf(),
            to: tmp.join("data"),
            until_ms: None,
            seq: None,
            chain: None,
            force: false,
            progress: false,
        };
        let r = restore(&o, keys)?;
        let store = Store::open(&o.to.join(crate::app::STORE_FILE))?;
        Ok::<_, crate::error::Error>((r, store))
    })();
    let (r, store) = match res {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let restore_ms = started.elapsed().as_millis() as u64;
    let mut checks = Vec::new();
    let (tickets, articles, blobs) = check_content(&store, &mut checks)?;
    // Row counts against the manifest line of the last file applied.
    if let Some(expected) = &r.expected_counts {
        let actual = store.snapshot()?.counts()?;
        let mut diffs = Vec::new();
        for (t, n) in expected {
            let a = actual.get(t).copied().unwrap_or(0);
            if a != *n {
                diffs.push(format!("table {t}: {a} rows, manifest {n}"));
            }
        }
        checks.push(Check {
            name: "row counts".into(),
            ok: diffs.is_empty(),
            detail: if diffs.is_empty() {
                format!("{} tables equal the manifest", expected.len())
            } else {
                diffs.join("; ")
            },
        });
    }
    for (name, hook) in hooks() {
        match hook(&store) {
            None => {}
            Some(Ok(d)) => checks.push(Check {
                name: name.into(),
                ok: true,
                detail: d,
            }),
            Some(Err(d)) => checks.push(Check {
                name: name.into(),
                ok: false,
                detail: d,
            }),
        }
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(Report {
        ok: checks.iter().all(|c| c.ok),
        started: rfc3339(now_ms),
        duration_ms: started.elapsed().as_millis() as u64,
        restore_ms,
        chain: r.chain,
        files: r.files.len(),
        bytes: r.bytes,
        recovered_seq: r.seq,
        newest_txn: rfc3339(r.seq_ts_ms),
        rpo_ms: now_ms - r.seq_ts_ms,
        tickets,
        articles,
        blobs,
        checks,
    })
}

/// Every ticket's articles and every referenced blob (raw message, attachments) present.
fn check_content(store: &Store, checks: &mut Vec<Check>) -> Result<(u64, u64, u64)> {
    let mut problems = Vec::new();
    let (mut nt, mut na) = (0u64, 0u64);
    let mut missing_blobs = 0u64;
    store.read(|r| {
        let mut from = Vec::new();
        loop {
            let batch = r.range(Table::Tickets, &from, &[0xff; 9], 1000)?;
            let Some((last, _)) = batch.last() else {
                break;
            };
            from = last.clone();
            from.push(0);
            for (_, v) in &batch {
                let t: Ticket = crate::store::codec::decode(v)?;
                nt += 1;
                let arts = r.scan(Table::Articles, &be(t.number), false, usize::MAX)?;
                if arts.len() as u64 != u64::from(t.articles) {
                    problems.push(format!(
                        "ticket {} has {} articles, expected {}",
                        t.number,
                        arts.len(),
                        t.articles
                    ));
                }
                for (_, av) in arts {
                    let a: Article = crate::store::codec::decode(&av)?;
                    na += 1;
                    let shas = a
                        .raw_sha256
                        .iter()
                        .chain(a.attachments.iter().map(|x| &x.sha256));
                    for sha in shas {
                        let present = hex::decode(sha)
                            .ok()
                            .map(|k| r.get(Table::Blobs, &k))
                            .transpose()?
                            .flatten()
                            .is_some();
                        if !present {
                            missing_blobs += 1;
                            if problems.len() < 20 {
                                problems.push(format!(
                                    "ticket {} article {}: blob {sha} missing",
                                    t.number, a.id
                                ));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    })?;
    let blobs = store.read(|r| r.count(Table::Blobs))?;
    checks.push(Check {
        name: "tickets, articles and attachments".into(),
        ok: problems.is_empty(),
        detail: if problems.is_empty() {
            format!("{nt} tickets, {na} articles, every referenced blob present")
        } else {
            format!(
                "{} problems ({missing_blobs} blobs missing): {}",
                problems.len(),
                problems.join("; ")
            )
        },
    });
    Ok((nt, na, blobs))
}

fn temp_dir() -> Result<PathBuf> {
    let base = std::env::temp_dir().join(format!(
        "trygg-drill-{}-{}",
        std::process::id(),
        crate::auth::session::random_token()
            .get(..12)
            .unwrap_or("x")
    ));
    crate::app::create_private_dir(&base)?;
    Ok(base)
}

/// Writes `report` as `drill-<time>.json` into `dir` (atomically); the admin page lists them.
pub fn save_report(dir: &Path, report: &Report, now_ms: i64) -> Result<PathBuf> {
    let name = format!("{REPORT_PREFIX}{}.json", super::chain_id(now_ms));
    let path = dir.join(name);
    crate::app::write_atomic(&path, &serde_json::to_vec_pretty(report)?, 0o600)?;
    Ok(path)
}
