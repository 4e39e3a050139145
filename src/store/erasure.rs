//! Making erasure complete inside the store file (GDPR Art. 17, Art. 5(1)(e)).
//!
//! Deleting or overwriting a row is not enough: the change log still holds the row's
//! earlier after-images (until backups allow truncation), and redb leaves the bytes of
//! freed pages in the file. A write transaction marked with [`WriteTx::mark_erasure`]
//! records the keys it wrote in an internal table; [`Store::purge_erased`] then
//!
//! 1. drops, from every change-log record older than the erasing one, the ops on those
//!    keys. Replaying the log still gives the same final state, because the erasing record
//!    (kept whole) holds the last op on each of them; only the history of erased rows goes.
//! 2. rewrites the file ([`Store::vacuum`]) so no free page keeps the old rows or log
//!    records (redb's `compact()` only moves pages; a test found erased strings after it).
//!
//! Records already copied to backup files are outside the store: they go when their
//! backup chain expires (see `docs/gdpr.md`).
//!
//! [`WriteTx::mark_erasure`]: super::WriteTx::mark_erasure

use std::collections::BTreeMap;

use redb::{Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::Serialize;

use super::schema::{CHANGELOG, ERASED, LOG_STATE};
use super::{ChangeRecord, Store, codec};
use crate::error::{Error, Result};

/// Key of the erased-keys table: table id, then the row key.
pub(super) fn erased_key(table: u8, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(table);
    k.extend_from_slice(key);
    k
}

/// Whether `op`, in the record `seq`, is an earlier image of a key erased after it.
fn erased_before(pending: &BTreeMap<Vec<u8>, u64>, op: &super::Op, seq: u64) -> bool {
    pending
        .get(&erased_key(op.table, &op.key))
        .is_some_and(|&erased_at| seq < erased_at)
}

/// Log-state flag: a vacuum is owed (set by a scrub; the vacuumed file does not carry it).
const COMPACT_DUE: &str = "compact_due";

/// What [`Store::purge_erased`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Erased keys whose history was scrubbed.
    pub keys: u64,
    /// Change-log records rewritten without the ops on those keys.
    pub records_rewritten: u64,
    /// Ops dropped from them.
    pub ops_dropped: u64,
    /// Whether the file was rewritten (false when no scrub owed it).
    pub vacuumed: bool,
    /// Size of the store file before and after, bytes.
    pub file_bytes_before: u64,
    pub file_bytes_after: u64,
    /// Wall time of the log scrub and of the file rewrite, milliseconds.
    pub scrub_ms: u64,
    pub vacuum_ms: u64,
    // retention: the erasing records' own deletes (their keys can be personal data)
    /// Delete ops dropped from the erasing records themselves (see [`Store::purge_erased`]).
    pub delete_ops_dropped: u64,
}

impl Store {
    /// Number of erased keys whose history is still in the change log.
    pub fn pending_erasures(&self) -> Result<u64> {
        let txn = self.db().begin_read()?;
        Ok(txn.open_table(ERASED)?.len()?)
    }

    /// Scrubs the change log of the earlier after-images of erased keys, then rewrites the
    /// file (see the module docs). Call it after an erasure or a retention run; start-up
    /// calls it too. Cheap when nothing is pending. Blocks for about the time of copying
    /// the store; other store calls wait only for the final catch-up step.
    ///
    /// Errors: `Internal` on I/O or store errors; the vacuum stays owed and the next call
    /// (or start) retries it.
    pub fn purge_erased(&self) -> Result<PurgeReport> {
        let mut report = PurgeReport {
            file_bytes_before: self.file_len(),
            ..PurgeReport::default()
        };
        let t = std::time::Instant::now();
        self.scrub_log(&mut report)?;
        report.scrub_ms = t.elapsed().as_millis() as u64;
        let t = std::time::Instant::now();
        report.vacuumed = self.vacuum_if_due()?;
        report.vacuum_ms = t.elapsed().as_millis() as u64;
        report.file_bytes_after = self.file_len();
        Ok(report)
    }

    fn file_len(&self) -> u64 {
        std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
    }

    fn scrub_log(&self, report: &mut PurgeReport) -> Result<()> {
        // Find the records to rewrite in a snapshot, without holding up writers: only the
        // rewrite itself takes the writer's turn. Records never change after commit except
        // by a scrub (one at a time, under `vacuum_lock`) or truncation (checked below).
        let _one = self.vacuum_lock.lock().unwrap_or_else(|p| p.into_inner());
        let (pending, seqs) = {
            let snap = self.db().begin_read()?;
            let mut pending: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
            for item in snap.open_table(ERASED)?.iter()? {
                let (k, v) = item?;
                pending.insert(k.value().to_vec(), v.value());
            }
            let last = pending.values().copied().max().unwrap_or(0);
            let mut seqs = Vec::new();
            for item in snap.open_table(CHANGELOG)?.range(..last)? {
                let (seq, v) = item?;
                let rec: ChangeRecord = codec::decode(v.value())?;
                if rec
                    .ops
                    .iter()
                    .any(|op| erased_before(&pending, op, rec.seq))
                {
                    seqs.push(seq.value());
                }
            }
            (pending, seqs)
        };
        if pending.is_empty() {
            return Ok(());
        }
        report.keys = pending.len() as u64;
        let _w = self.writer();
        let mut txn = self.db().begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        {
            let mut log = txn.open_table(CHANGELOG)?;
            for seq in seqs {
                let Some(mut rec) = log
                    .get(seq)?
                    .map(|v| codec::decode::<ChangeRecord>(v.value()))
                    .transpose()?
                else {
                    continue; // truncated meanwhile
                };
                let before = rec.ops.len();
                rec.ops.retain(|op| !erased_before(&pending, op, rec.seq));
                report.ops_dropped += (before - rec.ops.len()) as u64;
                // An emptied record stays: sequence numbers must stay gap-free.
                log.insert(seq, codec::encode_fixed(&rec)?.as_slice())?;
                report.records_rewritten += 1;
            }
            // retention: a deleted row's key is personal data too (a contact's address, a
            // Message-ID), and the erasing record's delete op still names it. Once every
            // earlier op on the key is gone, replaying from an empty store never creates the
            // row, so the delete is needed only by a consumer whose base (a backup taken
            // before) may hold it: drop it when every consumer has the erasing record
            // already (seq <= lowest watermark) or there is no consumer (no watermark).
            // Otherwise it goes when log truncation passes it.
            let shipped = {
                let st = txn.open_table(LOG_STATE)?;
                let mut min: Option<u64> = None;
                for item in st.iter()? {
                    let (k, v) = item?;
                    if k.value().starts_with(super::snapshot::WATERMARK_PREFIX) {
                        min = Some(min.map_or(v.value(), |m| m.min(v.value())));
                    }
                }
                min.unwrap_or(u64::MAX)
            };
            let erasing: std::collections::BTreeSet<u64> = pending
                .values()
                .copied()
                .filter(|&seq| seq <= shipped)
                .collect();
            for seq in erasing {
                let Some(mut rec) = log
                    .get(seq)?
                    .map(|v| codec::decode::<ChangeRecord>(v.value()))
                    .transpose()?
                else {
                    continue;
                };
                let before = rec.ops.len();
                rec.ops.retain(|op| {
                    op.value.is_some()
                        || pending.get(&erased_key(op.table, &op.key)) != Some(&rec.seq)
                });
                if rec.ops.len() != before {
                    report.delete_ops_dropped += (before - rec.ops.len()) as u64;
                    log.insert(seq, codec::encode_fixed(&rec)?.as_slice())?;
                    report.records_rewritten += 1;
                }
            }
            // Only the entries handled here: an erasure committed meanwhile stays pending.
            let mut erased = txn.open_table(ERASED)?;
            for (k, seq) in &pending {
                if erased.get(k.as_slice())?.is_some_and(|v| v.value() == *seq) {
                    erased.remove(k.as_slice())?;
                }
            }
            let mut st = txn.open_table(LOG_STATE)?;
            st.insert(COMPACT_DUE, 1)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Rewrites the store file when a scrub owes it (see [`Store::vacuum`]). Returns
    /// whether it did.
    pub(crate) fn vacuum_if_due(&self) -> Result<bool> {
        let due = {
            let txn = self.db().begin_read()?;
            let st = txn.open_table(LOG_STATE)?;
            st.get(COMPACT_DUE)?.is_some_and(|v| v.value() == 1)
        };
        if !due {
            return Ok(false);
        }
        self.vacuum()?;
        Ok(true)
    }

    /// Rewrites the store into a fresh file holding only live rows and the (scrubbed) log,
    /// and puts it in place of the old one (like SQLite's `VACUUM`). redb's own
    /// `compact()` is not enough: a test found erased strings in free pages after it.
    ///
    /// The copy is made from a read snapshot while writers go on; then, with the store
    /// held exclusively, the change-log records committed meanwhile are applied to the
    /// copy, the copy is made durable and renamed over the store file (fsync of the
    /// directory included), and the handle switches to it. A crash before the rename
    /// leaves the old file in force (and a stale `*.vacuum` file that the next run
    /// removes); after it, the new one. The old file's disk blocks are released to the
    /// file system, which trygg cannot wipe (see `docs/gdpr.md`).
    ///
    /// Errors: `Internal` on I/O or store errors; the old file then stays in use.
    pub fn vacuum(&self) -> Result<()> {
        let _one = self.vacuum_lock.lock().unwrap_or_else(|p| p.into_inner());
        let tmp = self.path.with_extension("redb.vacuum");
        if tmp.exists() {
            std::fs::remove_file(&tmp)?;
        }
        let new = redb::Database::builder().create(&tmp)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        let copied_head = {
            let snap = self.db().begin_read()?;
            copy_rows(&snap, &new)?;
            let st = snap.open_table(LOG_STATE)?;
            st.get("head")?.map(|v| v.value()).unwrap_or(0)
        };
        // No writer in flight, then no one beginning a transaction: the catch-up below sees
        // every committed record and nothing commits to the old file after it.
        let _w = self.writer();
        let mut db = self.db.write().unwrap_or_else(|p| p.into_inner());
        {
            let old = db.begin_read()?;
            let mut txn = new.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            txn.set_two_phase_commit(true);
            {
                // Records committed while the copy was made.
                let log = old.open_table(CHANGELOG)?;
                let mut new_log = txn.open_table(CHANGELOG)?;
                for item in log.range(copied_head + 1..)? {
                    let (seq, v) = item?;
                    let rec: ChangeRecord = codec::decode(v.value())?;
                    for op in &rec.ops {
                        let table = super::Table::from_id(op.table).ok_or_else(|| {
                            Error::internal(format!("unknown table id {}", op.table))
                        })?;
                        let mut t = txn.open_table(table.def())?;
                        match &op.value {
                            Some(v) => {
                                t.insert(op.key.as_slice(), v.as_slice())?;
                            }
                            None => {
                                t.remove(op.key.as_slice())?;
                            }
                        }
                    }
                    new_log.insert(seq.value(), v.value())?;
                }
                // Records truncated meanwhile (backup watermarks) go here too.
                let first = log.first()?.map(|(k, _)| k.value());
                if let Some(first) = first {
                    new_log.retain_in(..first, |_, _| false)?;
                }
                // Internal state is small: copied again whole.
                let mut st = txn.open_table(LOG_STATE)?;
                st.retain(|_, _| false)?;
                for item in old.open_table(LOG_STATE)?.iter()? {
                    let (k, v) = item?;
                    if k.value() != COMPACT_DUE {
                        st.insert(k.value(), v.value())?;
                    }
                }
                let mut er = txn.open_table(ERASED)?;
                er.retain(|_, _| false)?;
                for item in old.open_table(ERASED)?.iter()? {
                    let (k, v) = item?;
                    er.insert(k.value(), v.value())?;
                }
            }
            txn.commit()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        // The old handle is dropped here; its file is already unlinked.
        *db = new;
        Ok(())
    }
}

/// Bytes copied per transaction while vacuuming, so memory stays bounded.
const VACUUM_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// Copies every table of `snap` into the empty database `new`.
fn copy_rows(snap: &redb::ReadTransaction, new: &redb::Database) -> Result<()> {
    fn batch(new: &redb::Database) -> Result<redb::WriteTransaction> {
        let mut txn = new.begin_write()?;
        txn.set_durability(Durability::None)?;
        Ok(txn)
    }
    let mut txn = batch(new)?;
    let mut bytes = 0usize;
    for table in super::Table::ALL {
        let src = snap.open_table(table.def())?;
        let mut it = src.iter()?;
        loop {
            let mut dst = txn.open_table(table.def())?;
            let mut full = false;
            for item in it.by_ref() {
                let (k, v) = item?;
                dst.insert(k.value(), v.value())?;
                bytes += k.value().len() + v.value().len();
                if bytes >= VACUUM_BATCH_BYTES {
                    full = true;
                    break;
                }
            }
            drop(dst);
            if !full {
                break;
            }
            txn.commit()?;
            txn = batch(new)?;
            bytes = 0;
        }
    }
    {
        let src = snap.open_table(CHANGELOG)?;
        let mut dst = txn.open_table(CHANGELOG)?;
        for item in src.iter()? {
            let (k, v) = item?;
            dst.insert(k.value(), v.value())?;
        }
        txn.open_table(LOG_STATE)?;
        txn.open_table(ERASED)?;
    }
    txn.commit()?;
    // Make the copy durable now, while writers go on: otherwise the catch-up commit under
    // the writer's turn would flush gigabytes and stall them for seconds.
    let mut txn = new.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    txn.open_table(LOG_STATE)?;
    txn.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Table, codec};
    use super::*;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn erased_rows_leave_neither_log_nor_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let s = Store::open(&path).unwrap();
        // Several versions of each secret row, among other rows, over many transactions.
        for i in 0u64..40 {
            s.write(i as i64, |tx| {
                tx.put(
                    Table::Tickets,
                    &codec::be(i),
                    format!("keep-{i:04} {}", "k".repeat(300)).as_bytes(),
                )?;
                if i % 4 == 0 {
                    tx.put(
                        Table::Articles,
                        &codec::be2(7, i),
                        format!("SECRET-{i:04}-ulla@example.org {}", "s".repeat(500)).as_bytes(),
                    )?;
                }
                Ok(())
            })
            .unwrap();
        }
        s.write(100, |tx| {
            tx.put(Table::Articles, &codec::be2(7, 0), b"[anonymised]")?;
            tx.put(
                Table::Articles,
                &codec::be2(7, 4),
                b"SECRET-0004 second version",
            )
        })
        .unwrap();
        let before = s.dump().unwrap();
        s.write(200, |tx| {
            tx.mark_erasure();
            tx.put(Table::Articles, &codec::be2(7, 0), b"[anonymised]")?;
            for i in (4u64..40).step_by(4) {
                tx.delete(Table::Articles, &codec::be2(7, i))?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(s.pending_erasures().unwrap(), 10);
        // A later unmarked write of a key erased before is history that stays.
        s.write(300, |tx| {
            tx.put(Table::Articles, &codec::be2(7, 8), b"new after erasure")
        })
        .unwrap();
        let after_erase = s.dump().unwrap();
        assert_ne!(before, after_erase);

        let r = s.purge_erased().unwrap();
        assert_eq!(r.keys, 10);
        assert_eq!(r.ops_dropped, 12);
        assert!(r.vacuumed, "{r:?}");
        // retention: the erasing record's deletes went too (no backup consumer here), the
        // one followed by a new write included: replay below still matches.
        assert_eq!(r.delete_ops_dropped, 9);
        assert_eq!(s.pending_erasures().unwrap(), 0);
        assert_eq!(s.dump().unwrap(), after_erase, "rows untouched");
        // Replaying the scrubbed log still gives the same rows.
        let d2 = tempfile::tempdir().unwrap();
        let b = s.replayed(d2.path());
        assert_eq!(b.dump().unwrap(), s.dump().unwrap());
        drop(s);
        let bytes = std::fs::read(&path).unwrap();
        assert!(contains(&bytes, b"keep-0039"), "control string present");
        assert!(contains(&bytes, b"new after erasure"));
        for i in (0u64..40).step_by(4) {
            let needle = format!("SECRET-{i:04}");
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{needle} left in file"
            );
        }
        assert!(!contains(&bytes, b"ulla@example.org"));
        // Nothing owed: a second purge does nothing.
        let s = Store::open(&path).unwrap();
        assert_eq!(s.purge_erased().unwrap().keys, 0);
    }
}

#[cfg(test)]
mod concurrent {
    use super::super::{Table, codec};
    use super::*;

    #[test]
    fn writes_during_a_vacuum_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let s = std::sync::Arc::new(Store::open(&dir.path().join("s.redb")).unwrap());
        for i in 0u64..300 {
            s.write(1, |tx| tx.put(Table::Tickets, &codec::be(i), &[7u8; 2000]))
                .unwrap();
        }
        s.write(2, |tx| {
            tx.mark_erasure();
            tx.delete(Table::Tickets, &codec::be(0)).map(|_| ())
        })
        .unwrap();
        let w = {
            let s = s.clone();
            std::thread::spawn(move || {
                for i in 1000u64..1400 {
                    s.write(3, |tx| tx.put(Table::Articles, &codec::be(i), b"during"))
                        .unwrap();
                }
            })
        };
        let r = s.purge_erased().unwrap();
        w.join().unwrap();
        assert!(r.vacuumed);
        let d = s.dump().unwrap();
        assert_eq!(
            d.keys().filter(|(t, _)| *t == Table::Articles.id()).count(),
            400
        );
        assert_eq!(
            d.keys().filter(|(t, _)| *t == Table::Tickets.id()).count(),
            299
        );
        let recs = s.changes_since(1, usize::MAX).unwrap();
        assert_eq!(recs.last().unwrap().seq, s.head_seq().unwrap());
        assert!(
            recs.windows(2).all(|w| w[1].seq == w[0].seq + 1),
            "gap-free"
        );
    }
}

// retention
#[cfg(test)]
mod keys {
    use super::super::{Table, codec};
    use super::*;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// A deleted row whose key is personal data (a contact's address) leaves neither the
    /// log nor the file when no consumer needs the delete; a consumer that has not yet
    /// copied the erasing record keeps it (its restore base may hold the row).
    #[test]
    fn deleted_keys_leave_the_log_unless_a_consumer_still_needs_the_delete() {
        for behind in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.redb");
            let s = Store::open(&path).unwrap();
            s.write(1, |tx| {
                tx.put(Table::Contacts, b"KEY-ulla@example.org", b"v")
            })
            .unwrap();
            s.write(2, |tx| tx.put(Table::Tickets, &codec::be(1), b"keep-me"))
                .unwrap();
            if behind {
                s.set_watermark("backup", 1).unwrap();
            }
            s.write(3, |tx| {
                tx.mark_erasure();
                tx.delete(Table::Contacts, b"KEY-ulla@example.org")
                    .map(|_| ())
            })
            .unwrap();
            let r = s.purge_erased().unwrap();
            assert_eq!(r.delete_ops_dropped, u64::from(!behind), "{r:?}");
            let recs = s.changes_since(1, usize::MAX).unwrap();
            assert!(
                recs.windows(2).all(|w| w[1].seq == w[0].seq + 1) && recs.len() >= 3,
                "gap-free, nothing removed"
            );
            drop(s);
            let bytes = std::fs::read(&path).unwrap();
            assert!(contains(&bytes, b"keep-me"));
            assert_eq!(contains(&bytes, b"KEY-ulla@example.org"), behind);
        }
    }

    // gdpr: history of rows deleted before the erasure
    #[test]
    fn forget_history_scrubs_rows_deleted_earlier_and_replay_still_matches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.redb");
        let s = Store::open(&path).unwrap();
        // Row A: written, rewritten, deleted by ordinary transactions. Row B: still there.
        s.write(1, |tx| {
            tx.put(Table::Outbound, &codec::be(1), b"GONE-1 erik@example.org")?;
            tx.put(Table::Outbound, &codec::be(2), b"OLD-2 erik@example.org")
        })
        .unwrap();
        s.write(2, |tx| {
            tx.put(Table::Outbound, &codec::be(1), b"GONE-1b erik@example.org")?;
            tx.put(Table::Outbound, &codec::be(2), b"NOW-2 others only")
        })
        .unwrap();
        s.write(3, |tx| {
            tx.delete(Table::Outbound, &codec::be(1)).map(|_| ())
        })
        .unwrap();
        s.write(4, |tx| {
            tx.forget_history(Table::Outbound, &codec::be(1))?;
            tx.forget_history(Table::Outbound, &codec::be(2))
        })
        .unwrap();
        let before = s.dump().unwrap();
        s.purge_erased().unwrap();
        assert_eq!(s.dump().unwrap(), before, "rows unchanged");
        let log: Vec<u8> = s
            .changes_since(0, usize::MAX)
            .unwrap()
            .into_iter()
            .flat_map(|r| r.ops)
            .flat_map(|op| [op.key, op.value.unwrap_or_default()].concat())
            .collect();
        assert!(!contains(&log, b"erik@example.org"));
        assert!(contains(&log, b"NOW-2 others only"));
        let d2 = tempfile::tempdir().unwrap();
        let b = s.replayed(d2.path());
        assert_eq!(b.dump().unwrap(), s.dump().unwrap());
        drop(s);
        let bytes = std::fs::read(&path).unwrap();
        assert!(!contains(&bytes, b"erik@example.org"), "left in the file");
    }
}
