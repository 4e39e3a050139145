//! Incremental backups and shipped log segments: the change-log records after the last
//! file of the newest chain, up to the head of one read snapshot.

use std::path::Path;

use super::format::Kind;
use super::keys::EncryptTo;
use super::manifest::{self, Manifest};
use super::{RunOutcome, header_for, write_file};
use crate::app::App;
use crate::error::{Error, Result};

/// The newest chain in `dir`, checked for continuity.
pub fn newest_chain(dir: &Path) -> Result<Option<Manifest>> {
    let mut chains = manifest::list_chains(dir)?;
    let Some(m) = chains.pop() else {
        return Ok(None);
    };
    m.check_continuity()?;
    Ok(Some(m))
}

/// Appends the records since the chain's last file to the newest chain in `dir` as a file
/// of `kind` (incremental or segment). Skips (writes nothing) when nothing is new.
///
/// Errors: `NotFound` without a chain; `Conflict` when the store is behind the chain or
/// its log was truncated past the chain's end (a full backup is needed).
pub fn run(app: &App, dir: &Path, enc: &EncryptTo, kind: Kind) -> Result<RunOutcome> {
    let mut m = newest_chain(dir)?.ok_or_else(|| {
        Error::not_found(format!(
            "no full backup in {}; run trygg backup run --full first",
            dir.display()
        ))
    })?;
    let last = m
        .last()
        .cloned()
        .ok_or_else(|| Error::invalid("empty chain"))?;
    let snap = app.store.snapshot()?;
    let from = last.seq_to + 1;
    let mut out = RunOutcome {
        kind,
        skipped: true,
        chain: m.chain.clone(),
        file: None,
        target: dir.display().to_string(),
        duration_ms: 0,
        truncated: 0,
    };
    if snap.head() < last.seq_to {
        return Err(Error::conflict(format!(
            "the store (seq {}) is behind chain {} (seq {}); take a full backup",
            snap.head(),
            m.chain,
            last.seq_to
        )));
    }
    if snap.head() < from {
        return Ok(out);
    }
    let header = header_for(app, &snap, &m.chain.clone(), last.index + 1, kind, from)?;
    let entry = write_file(dir, &mut m, enc, header, |fw| {
        let mut expect = from;
        snap.for_each_change(from, |rec| {
            if rec.seq != expect {
                return Err(Error::internal(format!(
                    "change log gap: expected {expect}, found {}",
                    rec.seq
                )));
            }
            expect += 1;
            fw.change(rec)
        })
    })?;
    tracing::debug!(chain = %m.chain, from, to = entry.seq_to, kind = kind.as_str(), "log backup written");
    out.skipped = false;
    out.file = Some(entry);
    Ok(out)
}
