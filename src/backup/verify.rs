//! `trygg backup verify`: without a key, checks every manifest, file size, ciphertext hash
//! and chain continuity; with a key, also decrypts every file and checks every frame.

use std::io::Read;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::format::{Item, Kind};
use super::keys::DecryptWith;
use super::manifest::{self, Entry};
use super::restore::{finish_entry, in_file, open_entry};
use crate::error::{Error, Result};

/// What verify checked.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub chains: usize,
    pub files: usize,
    pub bytes: u64,
    /// Whether every file was decrypted and its frames checked.
    pub decrypted: bool,
}

/// Checks size and SHA-256 of `e`'s ciphertext in `dir`.
pub fn check_ciphertext(dir: &Path, e: &Entry) -> Result<()> {
    let mut f = std::fs::File::open(dir.join(&e.file)).map_err(|x| {
        if x.kind() == std::io::ErrorKind::NotFound {
            Error::not_found(format!("{}: missing (listed in the manifest)", e.file))
        } else {
            Error::invalid(format!("{}: cannot open: {x}", e.file))
        }
    })?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    if n != e.size {
        return Err(Error::invalid(format!(
            "{}: {n} bytes, the manifest says {} (truncated or altered)",
            e.file, e.size
        )));
    }
    if hex::encode(h.finalize()) != e.sha256 {
        return Err(Error::invalid(format!(
            "{}: ciphertext hash does not match the manifest (corrupted)",
            e.file
        )));
    }
    Ok(())
}

/// Decrypts `e` and checks its header, every frame, the record sequence and the trailer.
pub fn check_plaintext(dir: &Path, e: &Entry, chain: &str, keys: &DecryptWith) -> Result<()> {
    let (mut r, state) = open_entry(dir, e, chain, keys)?;
    let mut rows = 0u64;
    let mut next = e.seq_from;
    while let Some(item) = r.next_item().map_err(|x| in_file(&e.file, x))? {
        match item {
            Item::Row { .. } if e.kind == Kind::Full => rows += 1,
            Item::Change(rec) if e.kind != Kind::Full => {
                if rec.seq != next {
                    return Err(Error::invalid(format!(
                        "{}: record {} where {next} was expected",
                        e.file, rec.seq
                    )));
                }
                next += 1;
            }
            _ => {
                return Err(Error::invalid(format!(
                    "{}: frame kind does not fit a {} file",
                    e.file,
                    e.kind.as_str()
                )));
            }
        }
    }
    if e.kind == Kind::Full {
        let expected: u64 = e.counts.values().sum();
        if rows != expected {
            return Err(Error::invalid(format!(
                "{}: holds {rows} rows, the manifest says {expected}",
                e.file
            )));
        }
    } else if next != e.seq_to + 1 {
        return Err(Error::invalid(format!(
            "{}: records end at {}, the manifest says {}",
            e.file,
            next.saturating_sub(1),
            e.seq_to
        )));
    }
    finish_entry(r, state, e)
}

/// Verifies every chain in `dir`. Returns the first problem as an error naming the file.
pub fn verify(dir: &Path, keys: Option<&DecryptWith>) -> Result<VerifyReport> {
    let chains = manifest::list_chains(dir)?;
    manifest::check_orphans(dir)?;
    if chains.is_empty() {
        return Err(Error::not_found(format!(
            "no backup chain (trygg-*.manifest) in {}",
            dir.display()
        )));
    }
    let mut rep = VerifyReport {
        chains: chains.len(),
        files: 0,
        bytes: 0,
        decrypted: keys.is_some(),
    };
    let mut listed = std::collections::HashSet::new();
    for m in &chains {
        m.check_continuity()?;
        for e in &m.entries {
            check_ciphertext(dir, e)?;
            if let Some(k) = keys {
                check_plaintext(dir, e, &m.chain, k)?;
            }
            listed.insert(e.file.clone());
            rep.files += 1;
            rep.bytes += e.size;
        }
    }
    let mut unlisted = Vec::new();
    for ent in std::fs::read_dir(dir)? {
        let n = ent?.file_name().to_string_lossy().into_owned();
        if n.starts_with(manifest::PREFIX) && n.ends_with(".age") && !listed.contains(&n) {
            unlisted.push(n);
        }
    }
    unlisted.sort();
    if let Some(n) = unlisted.first() {
        return Err(Error::invalid(format!(
            "{n}: listed in no manifest (manifest truncated or edited, or a backup was interrupted)"
        )));
    }
    Ok(rep)
}
