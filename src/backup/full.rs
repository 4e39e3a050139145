//! Full backup: every replicated row at one sequence number, from one read transaction
//! (the server keeps accepting mail meanwhile). Starts a new chain.

use std::path::Path;

use super::format::Kind;
use super::keys::EncryptTo;
use super::manifest::{self, Manifest};
use super::{RunOutcome, chain_id, header_for, write_file};
use crate::app::App;
use crate::error::Result;

/// Writes a full backup of `app`'s store into `dir` as a new chain.
pub fn run(app: &App, dir: &Path, enc: &EncryptTo) -> Result<RunOutcome> {
    let snap = app.store.snapshot()?;
    // A chain id unique in this directory, also for two fulls within one millisecond.
    let mut ms = app.now_ms();
    let mut chain = chain_id(ms);
    while manifest::manifest_path(dir, &chain).exists() {
        ms += 1;
        chain = chain_id(ms);
    }
    let mut m = Manifest {
        chain: chain.clone(),
        entries: Vec::new(),
    };
    let header = header_for(app, &snap, &chain, 1, Kind::Full, 0)?;
    let entry = write_file(dir, &mut m, enc, header, |fw| {
        snap.for_each_row(|t, k, v| fw.row(t, k, v))
    })?;
    tracing::info!(chain = %chain, seq = entry.seq_to, bytes = entry.size, "full backup written");
    Ok(RunOutcome {
        kind: Kind::Full,
        skipped: false,
        chain,
        file: Some(entry),
        target: dir.display().to_string(),
        duration_ms: 0,
        truncated: 0,
    })
}
