//! Consistent snapshots, bulk loading and log truncation for backup and restore.
//!
//! A [`Snapshot`] is one redb read transaction: the rows of every replicated table, the
//! change-log head and the log records it sees all belong to the same instant, while
//! writers go on committing (MVCC). [`Loader`] rebuilds a store from a backup without
//! writing change-log records for the loaded rows, then continues the log with
//! [`Loader::apply`]. Watermarks say how far each log consumer has safely copied the log;
//! [`Store::truncate_log`] never deletes past the lowest one.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::schema::{CHANGELOG, LOG_STATE};
use super::{ChangeRecord, Store, Table, codec};
use crate::error::{Error, Result};

/// Row counts per table id, at one snapshot.
pub type Counts = BTreeMap<u8, u64>;

/// A consistent read view of the whole store (rows, log head and log records).
pub struct Snapshot {
    txn: redb::ReadTransaction,
    head: u64,
    head_ts_ms: i64,
}

impl Snapshot {
    /// Sequence number of the newest change-log record visible in this snapshot.
    pub fn head(&self) -> u64 {
        self.head
    }

    /// Commit time (Unix ms) of the head record; 0 when the log is empty.
    pub fn head_ts_ms(&self) -> i64 {
        self.head_ts_ms
    }

    /// Row count of every replicated table.
    pub fn counts(&self) -> Result<Counts> {
        let mut out = Counts::new();
        for t in Table::ALL {
            let n = match self.txn.open_table(t.def()) {
                Ok(tab) => tab.len()?,
                Err(redb::TableError::TableDoesNotExist(_)) => 0,
                Err(e) => return Err(e.into()),
            };
            out.insert(t.id(), n);
        }
        Ok(out)
    }

    /// Calls `f(table id, key, value)` for every replicated row, table by table in id order.
    pub fn for_each_row(&self, mut f: impl FnMut(u8, &[u8], &[u8]) -> Result<()>) -> Result<()> {
        for t in Table::ALL {
            let tab = match self.txn.open_table(t.def()) {
                Ok(tab) => tab,
                Err(redb::TableError::TableDoesNotExist(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            for item in tab.iter()? {
                let (k, v) = item?;
                f(t.id(), k.value(), v.value())?;
            }
        }
        Ok(())
    }

    /// Sequence number of the oldest record still in the log (head + 1 when it is empty).
    pub fn first_seq(&self) -> Result<u64> {
        let t = self.txn.open_table(CHANGELOG)?;
        Ok(t.first()?.map(|(k, _)| k.value()).unwrap_or(self.head + 1))
    }

    /// Calls `f` for every record with `from <= seq <= head`, in order.
    ///
    /// Errors: `Conflict` when the log no longer holds `from` (it was truncated after an
    /// earlier backup; a new full backup is needed).
    pub fn for_each_change(
        &self,
        from: u64,
        mut f: impl FnMut(&ChangeRecord) -> Result<()>,
    ) -> Result<()> {
        if from > self.head {
            return Ok(());
        }
        let first = self.first_seq()?;
        if first > from {
            return Err(Error::conflict(format!(
                "the change log starts at {first}, after {from}: it was truncated; take a full backup"
            )));
        }
        let t = self.txn.open_table(CHANGELOG)?;
        for item in t.range(from..=self.head)? {
            let (_, v) = item?;
            let rec: ChangeRecord = codec::decode(v.value())?;
            f(&rec)?;
        }
        Ok(())
    }
}

/// Bulk loader for restore: a new store file filled from backup frames.
pub struct Loader {
    store: Store,
    rows: Vec<(u8, Vec<u8>, Vec<u8>)>,
    row_bytes: usize,
    records: Vec<ChangeRecord>,
    record_bytes: usize,
}

/// Bytes buffered before a bulk transaction is committed.
const LOAD_BATCH_BYTES: usize = 16 * 1024 * 1024;

impl Loader {
    /// Creates an empty store at `path` (which must not exist) without the schema record a
    /// normal [`Store::open`] writes, so the restored rows and log line up with the
    /// original's.
    pub fn create(path: &Path) -> Result<Loader> {
        if path.exists() {
            return Err(Error::conflict(format!(
                "{} already exists",
                path.display()
            )));
        }
        let db = redb::Database::builder().create(path)?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        let store = Store {
            db: std::sync::RwLock::new(db),
            path: path.to_path_buf(),
            vacuum_lock: Default::default(),
            write_lock: Default::default(),
            group: Default::default(),
        };
        store.init_tables()?;
        Ok(Loader {
            store,
            rows: Vec::new(),
            row_bytes: 0,
            records: Vec::new(),
            record_bytes: 0,
        })
    }

    /// Queues a row of a full snapshot. Errors: `Invalid` for an unknown table id.
    pub fn put_row(&mut self, table: u8, key: &[u8], value: &[u8]) -> Result<()> {
        Table::from_id(table).ok_or_else(|| Error::invalid(format!("unknown table id {table}")))?;
        self.row_bytes += key.len() + value.len();
        self.rows.push((table, key.to_vec(), value.to_vec()));
        if self.row_bytes >= LOAD_BATCH_BYTES {
            self.flush_rows()?;
        }
        Ok(())
    }

    fn flush_rows(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let _w = self.store.writer();
        let mut txn = self.store.db().begin_write()?;
        txn.set_durability(Durability::None)?;
        for (table, k, v) in self.rows.drain(..) {
            // Checked in put_row.
            let Some(t) = Table::from_id(table) else {
                continue;
            };
            txn.open_table(t.def())?
                .insert(k.as_slice(), v.as_slice())?;
        }
        txn.commit()?;
        self.row_bytes = 0;
        Ok(())
    }

    /// Marks the loaded snapshot as the state at log sequence `seq`: the next record
    /// applied must be `seq + 1`.
    pub fn set_head(&mut self, seq: u64) -> Result<()> {
        self.flush_rows()?;
        let _w = self.store.writer();
        let mut txn = self.store.db().begin_write()?;
        txn.set_durability(Durability::None)?;
        txn.open_table(LOG_STATE)?.insert("head", seq)?;
        txn.commit()?;
        Ok(())
    }

    /// Queues a change-log record for replay (applied in order, batched).
    pub fn apply(&mut self, rec: ChangeRecord) -> Result<()> {
        self.record_bytes += rec
            .ops
            .iter()
            .map(|o| o.key.len() + o.value.as_ref().map_or(0, Vec::len))
            .sum::<usize>();
        self.records.push(rec);
        if self.record_bytes >= LOAD_BATCH_BYTES || self.records.len() >= 10_000 {
            self.flush_records()?;
        }
        Ok(())
    }

    fn flush_records(&mut self) -> Result<()> {
        if self.records.is_empty() {
            return Ok(());
        }
        let _w = self.store.writer();
        let mut txn = self.store.db().begin_write()?;
        txn.set_durability(Durability::None)?;
        for rec in self.records.drain(..) {
            super::apply_in_txn(&txn, &rec)?;
        }
        txn.commit()?;
        self.record_bytes = 0;
        Ok(())
    }

    /// Writes everything queued and commits durably. Returns the store (its head is the
    /// last applied record).
    pub fn finish(mut self) -> Result<Store> {
        self.flush_rows()?;
        self.flush_records()?;
        {
            let _w = self.store.writer();
            let mut txn = self.store.db().begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            txn.set_two_phase_commit(true);
            txn.open_table(LOG_STATE)?; // an empty durable commit persists the earlier ones
            txn.commit()?;
        }
        Ok(self.store)
    }
}

/// Prefix of watermark keys in the log-state table.
pub(super) const WATERMARK_PREFIX: &str = "wm:";

impl Store {
    /// A consistent snapshot of rows and log at this instant.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let txn = self.db().begin_read()?;
        let (head, head_ts_ms) = {
            let st = txn.open_table(LOG_STATE)?;
            let head = st.get("head")?.map(|v| v.value()).unwrap_or(0);
            let log = txn.open_table(CHANGELOG)?;
            let ts = match log.get(head)? {
                Some(v) => codec::decode::<ChangeRecord>(v.value())?.ts_ms,
                None => 0,
            };
            (head, ts)
        };
        Ok(Snapshot {
            txn,
            head,
            head_ts_ms,
        })
    }

    /// Records that consumer `name` (e.g. `backup`, later `replication`) holds every log
    /// record up to `seq` safely. Never moves a watermark backwards. Internal state: not
    /// logged, not replicated.
    pub fn set_watermark(&self, name: &str, seq: u64) -> Result<()> {
        let _w = self.writer();
        let mut txn = self.db().begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        {
            let mut st = txn.open_table(LOG_STATE)?;
            let key = format!("{WATERMARK_PREFIX}{name}");
            let old = st.get(key.as_str())?.map(|v| v.value()).unwrap_or(0);
            if seq > old {
                st.insert(key.as_str(), seq)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Every watermark, by consumer name.
    pub fn watermarks(&self) -> Result<BTreeMap<String, u64>> {
        let txn = self.db().begin_read()?;
        let st = txn.open_table(LOG_STATE)?;
        let mut out = BTreeMap::new();
        for item in st.iter()? {
            let (k, v) = item?;
            if let Some(name) = k.value().strip_prefix(WATERMARK_PREFIX) {
                out.insert(name.to_string(), v.value());
            }
        }
        Ok(out)
    }

    /// Deletes change-log records that every consumer has safely copied: those with
    /// `seq <= min(watermarks)`, but never the head record (its time stamps snapshots).
    /// Without any watermark nothing is deleted. Returns how many records were deleted.
    pub fn truncate_log(&self) -> Result<u64> {
        let Some(upto) = self.watermarks()?.values().copied().min() else {
            return Ok(0);
        };
        let _w = self.writer();
        let mut txn = self.db().begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let n = {
            let head = txn
                .open_table(LOG_STATE)?
                .get("head")?
                .map(|v| v.value())
                .unwrap_or(0);
            let upto = upto.min(head.saturating_sub(1));
            let mut log = txn.open_table(CHANGELOG)?;
            let before = log.len()?;
            log.retain_in(..=upto, |_, _| false)?;
            before - log.len()?
        };
        txn.commit()?;
        Ok(n)
    }

    /// Sequence number of the oldest record in the log (head + 1 when empty).
    pub fn log_first_seq(&self) -> Result<u64> {
        self.snapshot()?.first_seq()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("s.redb")).unwrap();
        (dir, s)
    }

    fn put(s: &Store, k: u64) {
        s.write(k as i64, |tx| tx.put(Table::Tickets, &codec::be(k), b"v"))
            .unwrap();
    }

    #[test]
    fn snapshot_is_one_instant_while_writes_go_on() {
        let (_d, s) = temp_store();
        put(&s, 1);
        let snap = s.snapshot().unwrap();
        let head = snap.head();
        put(&s, 2);
        put(&s, 3);
        assert_eq!(snap.head(), head);
        assert_eq!(snap.counts().unwrap()[&Table::Tickets.id()], 1);
        let mut rows = 0;
        snap.for_each_row(|t, _, _| {
            rows += u64::from(t == Table::Tickets.id());
            Ok(())
        })
        .unwrap();
        assert_eq!(rows, 1);
        let mut seqs = Vec::new();
        snap.for_each_change(1, |r| {
            seqs.push(r.seq);
            Ok(())
        })
        .unwrap();
        assert_eq!(seqs, (1..=head).collect::<Vec<_>>());
        assert_eq!(s.snapshot().unwrap().head(), head + 2);
    }

    #[test]
    fn truncation_follows_the_lowest_watermark_and_keeps_the_head() {
        let (_d, s) = temp_store();
        for k in 0..10 {
            put(&s, k);
        }
        let head = s.head_seq().unwrap();
        assert_eq!(s.truncate_log().unwrap(), 0, "no watermark, no truncation");
        s.set_watermark("backup", 5).unwrap();
        s.set_watermark("replication", 3).unwrap();
        assert_eq!(s.truncate_log().unwrap(), 3);
        assert_eq!(s.log_first_seq().unwrap(), 4);
        s.set_watermark("backup", 2).unwrap(); // never moves back
        assert_eq!(s.watermarks().unwrap()["backup"], 5);
        s.set_watermark("replication", head).unwrap();
        s.set_watermark("backup", head).unwrap();
        s.truncate_log().unwrap();
        assert_eq!(s.log_first_seq().unwrap(), head, "the head record stays");
        let err = s.snapshot().unwrap().for_each_change(2, |_| Ok(()));
        assert_eq!(err.unwrap_err().kind, ErrorKind::Conflict);
    }

    #[test]
    fn loader_rebuilds_rows_then_continues_the_log() {
        let (d, a) = temp_store();
        for k in 0..20 {
            put(&a, k);
        }
        let snap = a.snapshot().unwrap();
        let p = d.path().join("b.redb");
        let mut l = Loader::create(&p).unwrap();
        snap.for_each_row(|t, k, v| l.put_row(t, k, v)).unwrap();
        l.set_head(snap.head()).unwrap();
        drop(snap);
        let from = a.head_seq().unwrap() + 1;
        for k in 20..30 {
            put(&a, k);
        }
        for rec in a.changes_since(from, usize::MAX).unwrap() {
            l.apply(rec).unwrap();
        }
        let b = l.finish().unwrap();
        assert_eq!(a.dump().unwrap(), b.dump().unwrap());
        assert_eq!(a.head_seq().unwrap(), b.head_seq().unwrap());
        assert!(Loader::create(&p).is_err(), "never over an existing file");
        let mut bad = Loader::create(&d.path().join("c.redb")).unwrap();
        assert!(bad.put_row(250, b"k", b"v").is_err());
    }
}
