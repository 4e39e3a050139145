//! Restore: rebuilds a data directory from the newest full backup of a chain plus its
//! incrementals and segments, or up to a sequence number or point in time.

use std::cell::RefCell;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::format::{FrameReader, Item, Kind};
use super::keys::DecryptWith;
use super::manifest::{self, Entry, Manifest};
use crate::error::{Error, ErrorKind, Result};
use crate::store::snapshot::Loader;

/// Hash and size of the ciphertext read so far.
#[derive(Default)]
pub struct ReadState {
    hash: Sha256,
    bytes: u64,
}

/// A reader that hashes the ciphertext as the decryptor pulls it.
pub struct HashingReader<R: Read> {
    inner: R,
    state: Rc<RefCell<ReadState>>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut s = self.state.borrow_mut();
        s.hash.update(&buf[..n]);
        s.bytes += n as u64;
        Ok(n)
    }
}

/// A decrypting frame reader over one backup file.
pub type EntryReader =
    FrameReader<age::stream::StreamReader<HashingReader<BufReader<std::fs::File>>>>;

/// Prefixes `e`'s message with the file name (every backup error names its file).
pub fn in_file(file: &str, e: Error) -> Error {
    Error {
        kind: e.kind,
        message: format!("{file}: {}", e.message),
        detail: e.detail,
    }
}

/// Opens `entry` of `dir`, decrypts it with `keys` and reads its header, which must match
/// the manifest. Errors name the file: `NotFound` (missing), `Forbidden` (no identity
/// matches), `Invalid` (damaged).
pub fn open_entry(
    dir: &Path,
    entry: &Entry,
    chain: &str,
    keys: &DecryptWith,
) -> Result<(EntryReader, Rc<RefCell<ReadState>>)> {
    let name = &entry.file;
    let f = std::fs::File::open(dir.join(name)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::not_found(format!("{name}: missing (listed in the manifest)"))
        } else {
            Error::invalid(format!("{name}: cannot open: {e}"))
        }
    })?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len != entry.size {
        return Err(Error::invalid(format!(
            "{name}: {len} bytes, the manifest says {} (truncated or altered)",
            entry.size
        )));
    }
    let state = Rc::new(RefCell::new(ReadState::default()));
    let hr = HashingReader {
        inner: BufReader::with_capacity(1 << 20, f),
        state: state.clone(),
    };
    let dec = age::Decryptor::new(hr).map_err(|e| {
        Error::invalid(format!(
            "{name}: not a readable age file (truncated or corrupted): {e}"
        ))
    })?;
    let stream = dec.decrypt(keys.iter()).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => Error::new(
            ErrorKind::Forbidden,
            format!(
                "{name}: {} cannot decrypt it (wrong identity or passphrase?)",
                keys.source
            ),
        ),
        // A wrong passphrase fails to unwrap the file key (the scrypt stanza has no key
        // id to match), which age reports as a decryption failure.
        age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed
            if keys.passphrase =>
        {
            Error::new(
                ErrorKind::Forbidden,
                format!("{name}: the passphrase cannot decrypt it (wrong passphrase, or the file header is damaged)"),
            )
        }
        other => Error::invalid(format!("{name}: cannot decrypt (corrupted?): {other}")),
    })?;
    let reader = FrameReader::open(stream).map_err(|e| in_file(name, e))?;
    let h = reader.header();
    if h.chain != chain
        || h.index != entry.index
        || h.kind != entry.kind
        || h.seq_from != entry.seq_from
        || h.seq_to != entry.seq_to
        || h.counts != entry.counts
    {
        return Err(Error::invalid(format!(
            "{name}: its header does not match the manifest line"
        )));
    }
    Ok((reader, state))
}

/// After the trailer: checks the ciphertext's size and hash against the manifest. (The
/// frame reader saw the plaintext end, so age has read and authenticated the last chunk.)
pub fn finish_entry(
    reader: EntryReader,
    state: Rc<RefCell<ReadState>>,
    entry: &Entry,
) -> Result<()> {
    drop(reader);
    let s = Rc::try_unwrap(state)
        .map_err(|_| Error::internal("read state still shared"))?
        .into_inner();
    let sha = hex::encode(s.hash.finalize());
    if s.bytes != entry.size || sha != entry.sha256 {
        return Err(Error::invalid(format!(
            "{}: ciphertext hash or size does not match the manifest",
            entry.file
        )));
    }
    Ok(())
}

/// What to restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    pub from: PathBuf,
    pub to: PathBuf,
    /// Stop after the last record committed at or before this time (Unix ms).
    pub until_ms: Option<i64>,
    /// Stop at this sequence number.
    pub seq: Option<u64>,
    /// Use this chain instead of choosing one.
    pub chain: Option<String>,
    /// Replace an existing store in `to`.
    pub force: bool,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub chain: String,
    pub files: Vec<String>,
    /// Newest change-log sequence number in the restored store.
    pub seq: u64,
    /// Commit time of that record, Unix ms.
    pub seq_ts_ms: i64,
    pub rows: u64,
    pub changes: u64,
    /// Ciphertext read, bytes.
    pub bytes: u64,
    pub duration_ms: u64,
    pub data_dir: String,
    /// Row counts of the manifest line of the last file applied completely (drill check).
    #[serde(skip)]
    pub expected_counts: Option<std::collections::BTreeMap<u8, u64>>,
}

/// Picks the chain to restore from.
pub fn choose_chain(chains: Vec<Manifest>, o: &RestoreOptions) -> Result<Manifest> {
    if chains.is_empty() {
        return Err(Error::not_found(format!(
            "no backup chain (trygg-*.manifest) in {}",
            o.from.display()
        )));
    }
    let pick = if let Some(c) = &o.chain {
        chains.into_iter().find(|m| &m.chain == c)
    } else {
        chains.into_iter().rev().find(|m| {
            let Some(full) = m.entries.first() else {
                return false;
            };
            o.seq.is_none_or(|s| full.seq_to <= s)
                && o.until_ms.is_none_or(|t| full.seq_to_ts_ms <= t)
        })
    };
    let m = pick.ok_or_else(|| match &o.chain {
        Some(c) => Error::not_found(format!(
            "there is no backup chain {c:?} in {}",
            o.from.display()
        )),
        None => Error::not_found("no backup chain starts early enough for the requested point"),
    })?;
    m.check_continuity()?;
    if let (Some(s), Some(last)) = (o.seq, m.last())
        && last.seq_to < s
    {
        return Err(Error::not_found(format!(
            "chain {} reaches only seq {}, not {s}",
            m.chain, last.seq_to
        )));
    }
    Ok(m)
}

/// Restores per `o` with `keys`. The store is built in a temporary file beside the target
/// and renamed into place only when every file checked out.
///
/// Errors: `Conflict` when `o.to` holds data and `force` is off, or a server runs there;
/// errors of [`open_entry`] naming the file.
pub fn restore(o: &RestoreOptions, keys: &DecryptWith) -> Result<RestoreReport> {
    let started = std::time::Instant::now();
    let chains = manifest::list_chains(&o.from)?;
    manifest::check_orphans(&o.from)?;
    let m = choose_chain(chains, o)?;
    let store_path = o.to.join(crate::app::STORE_FILE);
    if o.to.exists() {
        let non_empty = std::fs::read_dir(&o.to)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true);
        if non_empty && !o.force {
            return Err(Error::conflict(format!(
                "{} is not empty; use --force to replace its store",
                o.to.display()
            )));
        }
        if crate::control::call(&o.to, &crate::control::Request::Ping)
            .ok()
            .flatten()
            .is_some()
        {
            return Err(Error::conflict(format!(
                "a trygg server is running on {}; stop it first",
                o.to.display()
            )));
        }
    }
    let created = !o.to.exists();
    crate::app::create_private_dir(&o.to)?;
    let tmp = o.to.join(format!(".{}.restoring", crate::app::STORE_FILE));
    let _ = std::fs::remove_file(&tmp);
    let result = load(o, &m, keys, &tmp);
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            if created {
                // Leave no empty data directory behind (remove_dir refuses a non-empty one).
                let _ = std::fs::remove_dir(&o.to);
            }
            return Err(e);
        }
    };
    std::fs::rename(&tmp, &store_path)?;
    std::fs::File::open(&o.to)?.sync_all()?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.data_dir = o.to.display().to_string();
    Ok(report)
}

fn load(o: &RestoreOptions, m: &Manifest, keys: &DecryptWith, tmp: &Path) -> Result<RestoreReport> {
    let target_seq = o.seq.unwrap_or(u64::MAX);
    let until = o.until_ms.unwrap_or(i64::MAX);
    let used: Vec<&Entry> = m
        .entries
        .iter()
        .filter(|e| e.kind == Kind::Full || e.seq_from <= target_seq)
        .collect();
    let total: u64 = used.iter().map(|e| e.size).sum();
    let bar = if o.progress {
        let b = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            b.set_style(style.progress_chars("=> "));
        }
        b.set_message("restoring");
        Some(b)
    } else {
        None
    };
    let mut loader = Loader::create(tmp)?;
    let mut rep = RestoreReport {
        chain: m.chain.clone(),
        files: Vec::new(),
        seq: 0,
        seq_ts_ms: 0,
        rows: 0,
        changes: 0,
        bytes: 0,
        duration_ms: 0,
        data_dir: String::new(),
        expected_counts: None,
    };
    let mut done_before = 0u64;
    let mut stopped = false;
    for e in used {
        if stopped {
            break;
        }
        let (mut r, state) = open_entry(&o.from, e, &m.chain, keys)?;
        let mut n = 0u64;
        let mut complete = true;
        while let Some(item) = r
            .next_item()
            .map_err(|x| super::restore::in_file(&e.file, x))?
        {
            match item {
                Item::Row { table, key, value } if e.kind == Kind::Full => {
                    loader
                        .put_row(table, &key, &value)
                        .map_err(|x| in_file(&e.file, x))?;
                    rep.rows += 1;
                }
                Item::Change(rec) if e.kind != Kind::Full => {
                    if stopped || rec.seq > target_seq || rec.ts_ms > until {
                        // Keep reading to the trailer so the whole file is still checked.
                        stopped = true;
                        complete = false;
                        continue;
                    }
                    rep.seq = rec.seq;
                    rep.seq_ts_ms = rec.ts_ms;
                    loader.apply(rec).map_err(|x| {
                        in_file(
                            &e.file,
                            Error::invalid(format!("change does not apply: {}", x.message)),
                        )
                    })?;
                    rep.changes += 1;
                }
                _ => {
                    return Err(Error::invalid(format!(
                        "{}: frame kind does not fit a {} file",
                        e.file,
                        e.kind.as_str()
                    )));
                }
            }
            n += 1;
            if let Some(b) = &bar
                && n.is_multiple_of(256)
            {
                b.set_position(done_before + state.borrow().bytes);
            }
        }
        if e.kind == Kind::Full {
            let expected: u64 = e.counts.values().sum();
            if rep.rows != expected {
                return Err(Error::invalid(format!(
                    "{}: holds {} rows, the manifest says {expected}",
                    e.file, rep.rows
                )));
            }
            loader.set_head(e.seq_to)?;
            rep.seq = e.seq_to;
            rep.seq_ts_ms = e.seq_to_ts_ms;
        }
        finish_entry(r, state, e)?;
        if complete {
            rep.expected_counts = Some(e.counts.clone());
        }
        done_before += e.size;
        rep.bytes += e.size;
        rep.files.push(e.file.clone());
        if let Some(b) = &bar {
            b.set_position(done_before);
        }
        if e.seq_to >= target_seq {
            stopped = true;
        }
    }
    let store = loader.finish()?;
    // Changes replayed over the full backup (deletes of erased rows among them) leave the
    // old rows' bytes in free pages of the new file: rewrite it, as after an erasure
    // (GDPR Art. 17; `Store::vacuum`).
    if rep.changes > 0 {
        store.vacuum()?;
    }
    drop(store);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::super::format::{FrameWriter, Header};
    use super::super::keys::{EncryptTo, keygen};
    use super::*;
    use crate::store::{ChangeRecord, Op};
    use std::io::Write;

    /// An encrypted sample file and an identity that opens it.
    fn sample() -> (Vec<u8>, DecryptWith, tempfile::TempDir) {
        let (text, public) = keygen("test");
        let dir = tempfile::tempdir().unwrap();
        let idf = dir.path().join("id.txt");
        std::fs::write(&idf, text).unwrap();
        let enc = EncryptTo::recipients(&[public]).unwrap();
        let mut out = Vec::new();
        let stream = enc.encryptor().unwrap().wrap_output(&mut out).unwrap();
        let header = Header {
            format: 1,
            kind: Kind::Segment,
            chain: "c".into(),
            index: 2,
            seq_from: 1,
            seq_to: 40,
            seq_to_ts_ms: 0,
            created_ms: 0,
            counts: Default::default(),
            writer: "t".into(),
        };
        let mut fw = FrameWriter::start(stream, &header).unwrap();
        for seq in 1..=40 {
            fw.change(&ChangeRecord {
                seq,
                ts_ms: 0,
                ops: vec![Op {
                    table: 3,
                    key: seq.to_be_bytes().to_vec(),
                    value: Some(vec![7u8; 3000]),
                }],
            })
            .unwrap();
        }
        let (stream, _) = fw.finish().unwrap();
        stream.finish().unwrap().flush().unwrap();
        (out, DecryptWith::identity_file(&idf).unwrap(), dir)
    }

    fn read_all(bytes: &[u8], keys: &DecryptWith) -> Result<u64> {
        let dec = age::Decryptor::new(bytes).map_err(|e| Error::invalid(e.to_string()))?;
        let stream = dec
            .decrypt(keys.iter())
            .map_err(|e| Error::invalid(e.to_string()))?;
        let mut r = FrameReader::open(stream)?;
        let mut n = 0;
        while r.next_item()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    #[test]
    fn ciphertext_cut_anywhere_or_altered_never_reads_as_complete() {
        let (bytes, keys, _d) = sample();
        assert!(bytes.len() > 64 * 1024, "spans more than one age chunk");
        assert_eq!(read_all(&bytes, &keys).unwrap(), 40);
        let step = 997; // a prime, so cuts land everywhere in chunks and frames
        let mut cut = 0;
        while cut < bytes.len() {
            assert!(read_all(&bytes[..cut], &keys).is_err(), "cut at {cut}");
            cut += step;
        }
        for cut in bytes.len() - 40..bytes.len() {
            assert!(read_all(&bytes[..cut], &keys).is_err(), "cut at {cut}");
        }
        let mut i = 0;
        while i < bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(read_all(&b, &keys).is_err(), "flip at {i}");
            i += step;
        }
    }
}
