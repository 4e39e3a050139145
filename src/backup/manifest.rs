//! The plain-text manifest of a chain (`trygg-<chain>.manifest`): one line per file with
//! its sequence range and the SHA-256 of its ciphertext, so integrity and continuity can
//! be checked without the key. Rewritten atomically after each file is safely on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::format::Kind;
use crate::error::{Error, Result};

/// First line of every manifest.
pub const MAGIC_LINE: &str = "trygg-backup-manifest 1";

/// One backup file of a chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// 1 for the full backup, then 2, 3, …
    pub index: u32,
    pub kind: Kind,
    pub seq_from: u64,
    pub seq_to: u64,
    /// Commit time of record `seq_to`, Unix ms.
    pub seq_to_ts_ms: i64,
    /// When the file was written, Unix ms.
    pub created_ms: i64,
    /// Ciphertext size, bytes.
    pub size: u64,
    /// Hex SHA-256 of the ciphertext.
    pub sha256: String,
    /// Rows per table id in the store at `seq_to`.
    pub counts: BTreeMap<u8, u64>,
    /// File name inside the target directory.
    pub file: String,
}

/// A chain: one full backup and the change-log files after it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Manifest {
    /// `YYYYMMDDTHHMMSSmmmZ`, the full backup's start time.
    pub chain: String,
    pub entries: Vec<Entry>,
}

/// Prefix of every file trygg writes into a target.
pub const PREFIX: &str = "trygg-";

/// `trygg-<chain>.manifest`.
pub fn manifest_name(chain: &str) -> String {
    format!("{PREFIX}{chain}.manifest")
}

/// `trygg-<chain>-<index>-<kind>-<from>-<to>.age`: `ls` lists chains and their files in order.
pub fn file_name(chain: &str, index: u32, kind: Kind, from: u64, to: u64) -> String {
    format!(
        "{PREFIX}{chain}-{index:06}-{}-{from:010}-{to:010}.age",
        kind.as_str()
    )
}

fn counts_str(c: &BTreeMap<u8, u64>) -> String {
    if c.is_empty() {
        return "-".into();
    }
    c.iter()
        .map(|(t, n)| format!("{t}={n}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl Manifest {
    /// The manifest's text.
    pub fn render(&self) -> String {
        let mut s = format!(
            "{MAGIC_LINE}\n\
             # One line per backup file, in chain order. Fields: index kind seq_from seq_to\n\
             # seq_to_ts_ms created_ms size sha256(ciphertext) rows-per-table file\n\
             chain {}\n",
            self.chain
        );
        for e in &self.entries {
            s.push_str(&format!(
                "file {} {} {} {} {} {} {} {} {} {}\n",
                e.index,
                e.kind.as_str(),
                e.seq_from,
                e.seq_to,
                e.seq_to_ts_ms,
                e.created_ms,
                e.size,
                e.sha256,
                counts_str(&e.counts),
                e.file
            ));
        }
        s
    }

    /// Parses a manifest. `name` is used in errors.
    pub fn parse(name: &str, text: &str) -> Result<Manifest> {
        let bad = |line: usize, what: &str| {
            Error::invalid(format!("{name}: line {line}: {what} (manifest damaged)"))
        };
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, l)) if l == MAGIC_LINE => {}
            _ => return Err(bad(1, "not a trygg backup manifest")),
        }
        let mut chain = None;
        let mut entries = Vec::new();
        for (i, line) in lines {
            let n = i + 1;
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(' ').collect();
            match f.as_slice() {
                ["chain", c] => chain = Some(c.to_string()),
                [
                    "file",
                    idx,
                    kind,
                    from,
                    to,
                    ts,
                    created,
                    size,
                    sha,
                    counts,
                    file,
                ] => {
                    let num = |s: &str| s.parse::<u64>().map_err(|_| bad(n, "bad number"));
                    let mut cm = BTreeMap::new();
                    if *counts != "-" {
                        for kv in counts.split(',') {
                            let (k, v) = kv.split_once('=').ok_or_else(|| bad(n, "bad counts"))?;
                            cm.insert(k.parse::<u8>().map_err(|_| bad(n, "bad counts"))?, num(v)?);
                        }
                    }
                    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(bad(n, "bad sha256"));
                    }
                    let index: u32 = idx.parse().map_err(|_| bad(n, "bad index"))?;
                    let kind = Kind::parse(kind).ok_or_else(|| bad(n, "bad kind"))?;
                    let (seq_from, seq_to) = (num(from)?, num(to)?);
                    let c = chain
                        .as_deref()
                        .ok_or_else(|| bad(n, "file before chain line"))?;
                    if *file != file_name(c, index, kind, seq_from, seq_to) {
                        return Err(bad(n, "file name does not match the line"));
                    }
                    entries.push(Entry {
                        index,
                        kind,
                        seq_from,
                        seq_to,
                        seq_to_ts_ms: ts.parse().map_err(|_| bad(n, "bad number"))?,
                        created_ms: created.parse().map_err(|_| bad(n, "bad number"))?,
                        size: num(size)?,
                        sha256: sha.to_string(),
                        counts: cm,
                        file: file.to_string(),
                    });
                }
                _ => return Err(bad(n, "unknown line")),
            }
        }
        let chain = chain.ok_or_else(|| bad(1, "no chain line"))?;
        Ok(Manifest { chain, entries })
    }

    /// Checks the chain's shape: a full backup first, then files whose ranges follow each
    /// other without gap or overlap. Errors name the offending file.
    pub fn check_continuity(&self) -> Result<()> {
        let mname = manifest_name(&self.chain);
        let first = self
            .entries
            .first()
            .ok_or_else(|| Error::invalid(format!("{mname}: the chain has no files")))?;
        if first.kind != Kind::Full || first.index != 1 {
            return Err(Error::invalid(format!(
                "{}: a chain must start with a full backup",
                first.file
            )));
        }
        let mut prev = first;
        for e in &self.entries[1..] {
            if e.kind == Kind::Full {
                return Err(Error::invalid(format!(
                    "{}: a second full backup in one chain",
                    e.file
                )));
            }
            if e.index != prev.index + 1 || e.seq_from != prev.seq_to + 1 || e.seq_to < e.seq_from {
                return Err(Error::invalid(format!(
                    "{}: gap or overlap in the chain (after {} which ends at seq {})",
                    e.file, prev.file, prev.seq_to
                )));
            }
            prev = e;
        }
        Ok(())
    }

    /// The newest entry.
    pub fn last(&self) -> Option<&Entry> {
        self.entries.last()
    }
}

/// Every chain in `dir`, oldest first (chain ids sort by time). Backup files without a
/// manifest are ignored here (see [`check_orphans`]).
///
/// Errors: `NotFound` when `dir` does not exist; `Invalid` naming a damaged manifest.
pub fn list_chains(dir: &Path) -> Result<Vec<Manifest>> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| Error::not_found(format!("backup directory {}: {e}", dir.display())))?;
    let mut names: Vec<String> = Vec::new();
    let mut file_chains = std::collections::BTreeSet::new();
    for ent in rd {
        let name = ent?.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && name.ends_with(".manifest") {
            names.push(name);
        } else if let Some(rest) = name.strip_prefix(PREFIX)
            && name.ends_with(".age")
            && let Some((chain, _)) = rest.split_once('-')
        {
            file_chains.insert(chain.to_string());
        }
    }
    names.sort();
    let mut out = Vec::new();
    for n in names {
        let text = std::fs::read_to_string(dir.join(&n))
            .map_err(|e| Error::invalid(format!("{n}: cannot read: {e}")))?;
        out.push(Manifest::parse(&n, &text)?);
    }
    Ok(out)
}

/// Errors (`NotFound`, naming the manifest) when `dir` holds backup files of a chain whose
/// manifest is missing (deleted, or a crash right after the chain's first file).
pub fn check_orphans(dir: &Path) -> Result<()> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| Error::not_found(format!("backup directory {}: {e}", dir.display())))?;
    let mut manifests = std::collections::BTreeSet::new();
    let mut file_chains = std::collections::BTreeSet::new();
    for ent in rd {
        let name = ent?.file_name().to_string_lossy().into_owned();
        if name.starts_with(PREFIX) && name.ends_with(".manifest") {
            manifests.insert(name);
        } else if let Some(rest) = name.strip_prefix(PREFIX)
            && name.ends_with(".age")
            && let Some((chain, _)) = rest.split_once('-')
        {
            file_chains.insert(chain.to_string());
        }
    }
    for chain in file_chains {
        let m = manifest_name(&chain);
        if !manifests.contains(&m) {
            return Err(Error::not_found(format!(
                "{m}: missing (files of chain {chain} are present)"
            )));
        }
    }
    Ok(())
}

/// Path of the manifest of `chain` in `dir`.
pub fn manifest_path(dir: &Path, chain: &str) -> PathBuf {
    dir.join(manifest_name(chain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_round_trips_and_checks_continuity() {
        let e = |index, kind, from, to| Entry {
            index,
            kind,
            seq_from: from,
            seq_to: to,
            seq_to_ts_ms: 5,
            created_ms: 6,
            size: 7,
            sha256: "ab".repeat(32),
            counts: BTreeMap::from([(3, 4)]),
            file: file_name("c", index, kind, from, to),
        };
        let mut m = Manifest {
            chain: "c".into(),
            entries: vec![e(1, Kind::Full, 0, 10), e(2, Kind::Segment, 11, 12)],
        };
        assert_eq!(Manifest::parse("m", &m.render()).unwrap(), m);
        m.check_continuity().unwrap();
        m.entries.push(e(3, Kind::Incremental, 14, 15));
        assert!(
            m.check_continuity()
                .unwrap_err()
                .message
                .contains("-000003-")
        );
        assert!(Manifest::parse("m", "bogus\n").is_err());
    }
}
