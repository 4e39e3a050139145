//! The store: redb behind one write path (DESIGN invariant 1).
//!
//! Only this module imports `redb`. Every write goes through [`Store::write`], which records
//! each row put or deleted and appends one [`ChangeRecord`] to the change log inside the same
//! transaction, then commits with `Durability::Immediate` and two-phase commit (so a commit
//! that returned is on disk and a torn commit cannot be accepted). Reads use MVCC snapshots.
//!
//! Calls block: async callers use `tokio::task::spawn_blocking` (DESIGN decision 2).

pub mod changelog;
pub mod codec;
pub mod schema;
// backup: snapshots, bulk restore, log watermarks and truncation
pub mod snapshot;
// gdpr: scrubbing erased data from the change log and the file
pub mod erasure;
// group commit for concurrent ingest
pub mod group;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use redb::{Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::{Serialize, de::DeserializeOwned};

pub use changelog::{ChangeRecord, Op};
pub use schema::Table;

use crate::error::{Error, ErrorKind, Result};
use erasure::erased_key;
use schema::{CHANGELOG, ERASED, LOG_STATE};

/// Schema version this build writes. [`Store::open`] migrates older stores up to it and
/// refuses newer ones.
pub const SCHEMA_VERSION: u64 = 3;
const META_SCHEMA: &[u8] = b"schema_version";

impl From<redb::Error> for Error {
    fn from(e: redb::Error) -> Self {
        Error::internal(format!("store: {e}"))
    }
}
macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self { Error::from(redb::Error::from(e)) }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

impl From<redb::DatabaseError> for Error {
    fn from(e: redb::DatabaseError) -> Self {
        match e {
            redb::DatabaseError::DatabaseAlreadyOpen => Error::new(
                ErrorKind::Unavailable,
                "the data directory is in use by another trygg process",
            ),
            other => Error::from(redb::Error::from(other)),
        }
    }
}

/// The embedded database of one data directory.
pub struct Store {
    /// Behind a lock only so [`Store::vacuum`] can swap in a rewritten file; every other
    /// use holds the read side just long enough to begin a transaction.
    db: RwLock<redb::Database>,
    path: PathBuf,
    /// One [`Store::vacuum`] at a time.
    vacuum_lock: std::sync::Mutex<()>,
    /// Held for the whole of every write transaction (redb allows one writer anyway), so
    /// [`Store::vacuum`] can wait for the writer in flight without holding `db`.
    write_lock: std::sync::Mutex<()>,
    /// Closures waiting for a shared commit ([`Store::write_grouped`]).
    group: group::Queue,
}

/// Read access shared by [`ReadTx`] and [`WriteTx`], so domain code can read in either.
pub trait Reader {
    /// The row `key` of `table`, if present.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Rows whose key starts with `prefix`, in key order; at most `limit` rows, newest
    /// (largest key) first when `reverse`.
    fn scan(
        &self,
        table: Table,
        prefix: &[u8],
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// Rows with `from <= key < to`, in key order, at most `limit`.
    fn range(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// Decodes the row `key` of `table` with [`codec::decode`].
    fn get_rec<T: DeserializeOwned>(&self, table: Table, key: &[u8]) -> Result<Option<T>> {
        self.get(table, key)?.map(|v| codec::decode(&v)).transpose()
    }
    /// Number of rows in `table`.
    fn count(&self, table: Table) -> Result<u64>;
}

fn scan_table<T: ReadableTable<&'static [u8], &'static [u8]>>(
    t: &T,
    prefix: &[u8],
    reverse: bool,
    limit: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    let iter = t.range::<&[u8]>(prefix..)?;
    if !reverse {
        for item in iter {
            let (k, v) = item?;
            if !k.value().starts_with(prefix) || out.len() >= limit {
                break;
            }
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        return Ok(out);
    }
    // Reverse: everything with the prefix, newest first. The upper bound is the prefix
    // incremented as a big-endian number (or the end of the table).
    let upper = prefix_upper_bound(prefix);
    let iter = match &upper {
        Some(u) => t.range::<&[u8]>(prefix..u.as_slice())?,
        None => t.range::<&[u8]>(prefix..)?,
    };
    for item in iter.rev() {
        let (k, v) = item?;
        if out.len() >= limit {
            break;
        }
        out.push((k.value().to_vec(), v.value().to_vec()));
    }
    Ok(out)
}

fn range_table<T: ReadableTable<&'static [u8], &'static [u8]>>(
    t: &T,
    from: &[u8],
    to: &[u8],
    limit: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    if from >= to {
        return Ok(out);
    }
    for item in t.range::<&[u8]>(from..to)? {
        let (k, v) = item?;
        if out.len() >= limit {
            break;
        }
        out.push((k.value().to_vec(), v.value().to_vec()));
    }
    Ok(out)
}

fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut up = prefix.to_vec();
    while let Some(last) = up.pop() {
        if last < u8::MAX {
            up.push(last + 1);
            return Some(up);
        }
    }
    None
}

/// A read-only MVCC snapshot.
pub struct ReadTx {
    txn: redb::ReadTransaction,
}

impl Reader for ReadTx {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let t = match self.txn.open_table(table.def()) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }
    fn scan(
        &self,
        table: Table,
        prefix: &[u8],
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        match self.txn.open_table(table.def()) {
            Ok(t) => scan_table(&t, prefix, reverse, limit),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }
    fn range(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        match self.txn.open_table(table.def()) {
            Ok(t) => range_table(&t, from, to, limit),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }
    fn count(&self, table: Table) -> Result<u64> {
        match self.txn.open_table(table.def()) {
            Ok(t) => Ok(t.len()?),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }
}

/// A write transaction that records every change for the change log.
pub struct WriteTx {
    txn: redb::WriteTransaction,
    ops: Vec<Op>,
    erasure: bool,
}

impl WriteTx {
    /// Puts `value` at `key` in `table` and records the after-image.
    pub fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<()> {
        {
            let mut t = self.txn.open_table(table.def())?;
            t.insert(key, value)?;
        }
        self.ops.push(Op {
            table: table.id(),
            key: key.to_vec(),
            value: Some(value.to_vec()),
        });
        Ok(())
    }

    /// Encodes `value` with [`codec::encode`] and puts it.
    pub fn put_rec<T: Serialize>(&mut self, table: Table, key: &[u8], value: &T) -> Result<()> {
        let bytes = codec::encode(value)?;
        self.put(table, key, &bytes)
    }

    /// Deletes `key` from `table`; records the delete only if the row existed. Returns
    /// whether it existed.
    pub fn delete(&mut self, table: Table, key: &[u8]) -> Result<bool> {
        let existed = {
            let mut t = self.txn.open_table(table.def())?;
            t.remove(key)?.is_some()
        };
        if existed {
            self.ops.push(Op {
                table: table.id(),
                key: key.to_vec(),
                value: None,
            });
        }
        Ok(existed)
    }

    /// Whether this transaction has changed anything so far.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Sequence number of the newest committed change-log record; this transaction's own
    /// record, if it changes anything, will be the next.
    pub fn log_head(&self) -> Result<u64> {
        let st = self.txn.open_table(LOG_STATE)?;
        Ok(st.get("head")?.map(|v| v.value()).unwrap_or(0))
    }

    /// Whether a change-log record after `seq` changed a row of one of `tables` (so data
    /// derived from those tables as of `seq` is stale). Reads the records after `seq` only.
    pub fn log_touches_since(&self, seq: u64, tables: &[Table]) -> Result<bool> {
        let ids: Vec<u8> = tables.iter().map(|t| t.id()).collect();
        let log = self.txn.open_table(CHANGELOG)?;
        for item in log.range(seq + 1..)? {
            let (_, v) = item?;
            let rec: ChangeRecord = codec::decode(v.value())?;
            if rec.ops.iter().any(|op| ids.contains(&op.table)) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Marks this transaction as an erasure (GDPR Art. 17, retention): once it commits,
    /// the earlier after-images of every key it puts or deletes are due to be scrubbed
    /// from the change log by [`Store::purge_erased`], so anonymised or deleted personal
    /// data does not survive in the log. Idempotent.
    pub fn mark_erasure(&mut self) {
        self.erasure = true;
    }

    // gdpr: history of rows that are gone already (outbound mail sent before an erasure)
    /// Makes this transaction hold the last image of `key` in `table` and marks it as an
    /// erasure, so [`Store::purge_erased`] scrubs every earlier after-image of the key from
    /// the change log: for rows changed or deleted earlier by ordinary transactions (a sent
    /// mail's queue entry) whose old images still hold personal data (GDPR Art. 17). A
    /// present row is put again unchanged; an absent one gets a delete op, so replaying the
    /// scrubbed log from any base still ends in the same state.
    pub fn forget_history(&mut self, table: Table, key: &[u8]) -> Result<()> {
        self.erasure = true;
        match self.get(table, key)? {
            Some(v) => self.put(table, key, &v),
            None => {
                self.ops.push(Op {
                    table: table.id(),
                    key: key.to_vec(),
                    value: None,
                });
                Ok(())
            }
        }
    }

    /// Every after-image of `table` still in the change log, `(key, value)`, oldest first
    /// (deleted rows' earlier versions included). Cost: one pass over the whole log.
    pub fn logged_puts(&self, table: Table) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let log = self.txn.open_table(CHANGELOG)?;
        let mut out = Vec::new();
        for item in log.iter()? {
            let (_, v) = item?;
            let rec: ChangeRecord = codec::decode(v.value())?;
            for op in rec.ops {
                if op.table == table.id()
                    && let Some(value) = op.value
                {
                    out.push((op.key, value));
                }
            }
        }
        Ok(out)
    }
}

impl Reader for WriteTx {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let t = self.txn.open_table(table.def())?;
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }
    fn scan(
        &self,
        table: Table,
        prefix: &[u8],
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let t = self.txn.open_table(table.def())?;
        scan_table(&t, prefix, reverse, limit)
    }
    fn range(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let t = self.txn.open_table(table.def())?;
        range_table(&t, from, to, limit)
    }
    fn count(&self, table: Table) -> Result<u64> {
        let t = self.txn.open_table(table.def())?;
        Ok(t.len()?)
    }
}

/// Logical content of a store: `(table id, key) → value` for every replicated row.
pub type Dump = BTreeMap<(u8, Vec<u8>), Vec<u8>>;

impl Store {
    /// Opens (or creates) the store file at `path`, creates missing tables and migrates the
    /// schema to [`SCHEMA_VERSION`].
    ///
    /// Errors: `Unavailable` when another process holds the file (redb locks it),
    /// `Invalid` when the store was written by a newer trygg, `Internal` on I/O errors.
    pub fn open(path: &Path) -> Result<Store> {
        let db = redb::Database::builder().create(path)?;
        {
            use std::os::unix::fs::PermissionsExt;
            // Personal data: owner only, whatever the umask.
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        let store = Store {
            db: RwLock::new(db),
            path: path.to_path_buf(),
            vacuum_lock: Default::default(),
            write_lock: Default::default(),
            group: Default::default(),
        };
        store.init_tables()?;
        store.migrate()?;
        // An erasure whose file rewrite was interrupted finishes now.
        store.vacuum_if_due()?;
        Ok(store)
    }

    /// Path of the store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer's turn; hold it from `begin_write` to commit.
    pub(crate) fn writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The database, for beginning one transaction (never held across a closure).
    pub(crate) fn db(&self) -> RwLockReadGuard<'_, redb::Database> {
        // A panic while the lock was held cannot have left the database inconsistent
        // (redb's own transactions guarantee that), so poisoning is ignored.
        self.db.read().unwrap_or_else(|p| p.into_inner())
    }

    fn init_tables(&self) -> Result<()> {
        let _w = self.writer();
        let txn = self.db().begin_write()?;
        for t in Table::ALL {
            txn.open_table(t.def())?;
        }
        txn.open_table(CHANGELOG)?;
        txn.open_table(LOG_STATE)?;
        txn.open_table(ERASED)?;
        txn.commit()?;
        Ok(())
    }

    /// Schema migration hook: runs each step from the stored version up to
    /// [`SCHEMA_VERSION`], each in its own logged transaction.
    fn migrate(&self) -> Result<()> {
        let current: Option<u64> = self.read(|r| r.get_rec(Table::Meta, META_SCHEMA))?;
        match current {
            None => self.write(0, |tx| {
                tx.put_rec(Table::Meta, META_SCHEMA, &SCHEMA_VERSION)
            }),
            Some(v) if v > SCHEMA_VERSION => Err(Error::invalid(format!(
                "this store has schema version {v}, newer than this trygg supports ({SCHEMA_VERSION}); upgrade trygg"
            ))),
            Some(v) => {
                for from in v..SCHEMA_VERSION {
                    self.write(0, |tx| {
                        migrations::step(from, tx)?;
                        tx.put_rec(Table::Meta, META_SCHEMA, &(from + 1))
                    })?;
                }
                Ok(())
            }
        }
    }

    /// Runs `f` in a read snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&ReadTx) -> Result<T>) -> Result<T> {
        let rtx = ReadTx {
            txn: self.db().begin_read()?,
        };
        f(&rtx)
    }

    /// Runs `f` in the single write transaction. If `f` returns `Ok` and changed rows, one
    /// change-log record (stamped `now_ms`) is appended and the transaction is committed
    /// durably before this returns. If `f` fails, nothing is written.
    pub fn write<T>(&self, now_ms: i64, f: impl FnOnce(&mut WriteTx) -> Result<T>) -> Result<T> {
        let _w = self.writer();
        let mut txn = self.db().begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        txn.set_two_phase_commit(true);
        let mut wtx = WriteTx {
            txn,
            ops: Vec::new(),
            erasure: false,
        };
        let out = f(&mut wtx)?;
        let WriteTx { txn, ops, erasure } = wtx;
        if ops.is_empty() {
            txn.abort()?;
            return Ok(out);
        }
        let erased: Vec<Vec<u8>> = if erasure {
            ops.iter().map(|op| erased_key(op.table, &op.key)).collect()
        } else {
            Vec::new()
        };
        let seq = append_log(&txn, now_ms, ops)?;
        if !erased.is_empty() {
            let mut t = txn.open_table(ERASED)?;
            for k in erased {
                t.insert(k.as_slice(), seq)?;
            }
        }
        txn.commit()?;
        Ok(out)
    }

    /// Sequence number of the newest change-log record (0 for an empty log).
    pub fn head_seq(&self) -> Result<u64> {
        let txn = self.db().begin_read()?;
        let t = txn.open_table(LOG_STATE)?;
        Ok(t.get("head")?.map(|v| v.value()).unwrap_or(0))
    }

    /// Up to `limit` change-log records with `seq >= from`, in order.
    pub fn changes_since(&self, from: u64, limit: usize) -> Result<Vec<ChangeRecord>> {
        let txn = self.db().begin_read()?;
        let t = txn.open_table(CHANGELOG)?;
        let mut out = Vec::new();
        for item in t.range(from..)? {
            if out.len() >= limit {
                break;
            }
            let (_, v) = item?;
            out.push(codec::decode(v.value())?);
        }
        Ok(out)
    }

    /// Applies a record read from another store's change log (replay for restore and
    /// replication): every op is applied verbatim and the same record is appended to this
    /// store's log, so both logs stay identical.
    ///
    /// Errors: `Conflict` unless `rec.seq` is exactly this store's head + 1 (no gaps, no
    /// re-application); `Invalid` for an unknown table id.
    pub fn apply_change(&self, rec: &ChangeRecord) -> Result<()> {
        let _w = self.writer();
        let mut txn = self.db().begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        txn.set_two_phase_commit(true);
        apply_in_txn(&txn, rec)?;
        txn.commit()?;
        Ok(())
    }

    /// Every replicated row, for comparing two stores (restore checks, tests).
    pub fn dump(&self) -> Result<Dump> {
        let txn = self.db().begin_read()?;
        let mut out = Dump::new();
        for table in Table::ALL {
            let t = txn.open_table(table.def())?;
            for item in t.iter()? {
                let (k, v) = item?;
                out.insert((table.id(), k.value().to_vec()), v.value().to_vec());
            }
        }
        Ok(out)
    }
}

/// Applies `rec` inside `txn` (see [`Store::apply_change`] for the rules).
fn apply_in_txn(txn: &redb::WriteTransaction, rec: &ChangeRecord) -> Result<()> {
    let head = {
        let t = txn.open_table(LOG_STATE)?;
        t.get("head")?.map(|v| v.value()).unwrap_or(0)
    };
    if rec.seq != head + 1 {
        return Err(Error::conflict(format!(
            "change {} does not follow this store's head {head}",
            rec.seq
        )));
    }
    for op in &rec.ops {
        let table = Table::from_id(op.table)
            .ok_or_else(|| Error::invalid(format!("unknown table id {}", op.table)))?;
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
    let mut log = txn.open_table(CHANGELOG)?;
    log.insert(rec.seq, codec::encode_fixed(rec)?.as_slice())?;
    let mut st = txn.open_table(LOG_STATE)?;
    st.insert("head", rec.seq)?;
    Ok(())
}

fn append_log(txn: &redb::WriteTransaction, now_ms: i64, ops: Vec<Op>) -> Result<u64> {
    let mut st = txn.open_table(LOG_STATE)?;
    let seq = st.get("head")?.map(|v| v.value()).unwrap_or(0) + 1;
    let rec = ChangeRecord {
        seq,
        ts_ms: now_ms,
        ops,
    };
    let mut log = txn.open_table(CHANGELOG)?;
    log.insert(seq, codec::encode_fixed(&rec)?.as_slice())?;
    st.insert("head", seq)?;
    Ok(seq)
}

#[cfg(test)]
impl Store {
    /// An empty store at `path` without the schema record [`Store::open`] writes, so a
    /// replayed log lines up from sequence 1 (tests of replay).
    pub(crate) fn bare(path: &Path) -> Store {
        let s = Store {
            db: RwLock::new(redb::Database::builder().create(path).expect("create")),
            path: path.to_path_buf(),
            vacuum_lock: Default::default(),
            write_lock: Default::default(),
            group: Default::default(),
        };
        s.init_tables().expect("tables");
        s
    }

    /// A bare store in `dir` with this store's whole change log replayed into it.
    pub(crate) fn replayed(&self, dir: &Path) -> Store {
        let b = Store::bare(&dir.join("replayed.redb"));
        for rec in self.changes_since(1, usize::MAX).expect("log") {
            b.apply_change(&rec).expect("apply");
        }
        b
    }
}

mod migrations {
    use super::WriteTx;
    use crate::error::Result;

    /// Migrates the schema from version `from` to `from + 1`, inside the same logged
    /// transaction that records the new version. Version 1 is the first schema, so no step
    /// exists yet; a future `SCHEMA_VERSION = 2` adds `if from == 1 { … }` here (redb's
    /// advice: copy into a new table rather than reinterpret an old one).
    pub(super) fn step(from: u64, tx: &mut WriteTx) -> Result<()> {
        tracing::info!("migrating store schema {from} -> {}", from + 1);
        // Schema 2: records in named MessagePack (fields can be added with defaults from
        // now on), users hold role names, tickets belong to a queue. See `crate::upgrade`.
        if from == 1 {
            crate::upgrade::from_schema_1(tx)?;
        }
        // Schema 3: roles carry a clearance (GDPR classification); the built-in agent and
        // auditor get the built-in defaults.
        if from == 2 {
            crate::upgrade::from_schema_2(tx)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("trygg.redb")).unwrap();
        (dir, s)
    }

    #[test]
    fn every_write_appends_one_record_in_order() {
        let (_d, s) = temp_store();
        let h0 = s.head_seq().unwrap();
        s.write(1, |tx| {
            tx.put(Table::Tickets, b"a", b"1")?;
            tx.put(Table::Tickets, b"b", b"2")
        })
        .unwrap();
        s.write(2, |tx| tx.delete(Table::Tickets, b"a").map(|_| ()))
            .unwrap();
        // A transaction that changes nothing is not logged.
        s.write(3, |tx| tx.get(Table::Tickets, b"zz").map(|_| ()))
            .unwrap();
        assert_eq!(s.head_seq().unwrap(), h0 + 2);
        let recs = s.changes_since(h0 + 1, 10).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].ops.len(), 2);
        assert_eq!(recs[1].ops[0].value, None);
    }

    #[test]
    fn failed_write_leaves_no_rows_and_no_record() {
        let (_d, s) = temp_store();
        let h0 = s.head_seq().unwrap();
        let r: Result<()> = s.write(1, |tx| {
            tx.put(Table::Tickets, b"a", b"1")?;
            Err(Error::invalid("no"))
        });
        assert!(r.is_err());
        assert_eq!(s.head_seq().unwrap(), h0);
        assert_eq!(s.read(|r| r.get(Table::Tickets, b"a")).unwrap(), None);
    }

    #[test]
    fn replaying_the_log_from_zero_reproduces_every_row() {
        let (_d, a) = temp_store();
        for i in 0u64..50 {
            a.write(i as i64, |tx| {
                tx.put(Table::Tickets, &codec::be(i), format!("t{i}").as_bytes())?;
                tx.put(Table::Articles, &codec::be2(i, i * 7), b"article")?;
                if i % 3 == 0 && i > 0 {
                    tx.delete(Table::Tickets, &codec::be(i - 1))?;
                }
                if i % 5 == 0 {
                    tx.put(Table::Tickets, &codec::be(i), b"overwritten")?;
                }
                Ok(())
            })
            .unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        // An empty redb file: no migration record, so the logs can line up from seq 1.
        let b = Store::bare(&dir.path().join("b.redb"));
        let mut next = 1;
        loop {
            let batch = a.changes_since(next, 7).unwrap();
            if batch.is_empty() {
                break;
            }
            for rec in &batch {
                b.apply_change(rec).unwrap();
                next = rec.seq + 1;
            }
        }
        assert_eq!(a.dump().unwrap(), b.dump().unwrap());
        assert_eq!(a.head_seq().unwrap(), b.head_seq().unwrap());
        assert_eq!(
            a.changes_since(1, usize::MAX).unwrap(),
            b.changes_since(1, usize::MAX).unwrap()
        );
        // Re-applying or skipping a record is refused.
        let first = a.changes_since(1, 1).unwrap().remove(0);
        assert_eq!(
            b.apply_change(&first).unwrap_err().kind,
            ErrorKind::Conflict
        );
    }

    #[test]
    fn scans_by_prefix_both_ways() {
        let (_d, s) = temp_store();
        s.write(0, |tx| {
            for (t, a) in [(1u64, 1u64), (1, 2), (1, 3), (2, 1)] {
                tx.put(Table::Articles, &codec::be2(t, a), b"x")?;
            }
            Ok(())
        })
        .unwrap();
        let fwd = s
            .read(|r| r.scan(Table::Articles, &codec::be(1), false, 10))
            .unwrap();
        assert_eq!(fwd.len(), 3);
        let rev = s
            .read(|r| r.scan(Table::Articles, &codec::be(1), true, 2))
            .unwrap();
        assert_eq!(rev.len(), 2);
        assert_eq!(rev[0].0, codec::be2(1, 3).to_vec());
        assert_eq!(prefix_upper_bound(&[1, 255]), Some(vec![2]));
        assert_eq!(prefix_upper_bound(&[255]), None);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.redb");
        {
            let s = Store::open(&p).unwrap();
            s.write(0, |tx| {
                tx.put_rec(Table::Meta, META_SCHEMA, &(SCHEMA_VERSION + 1))
            })
            .unwrap();
        }
        let err = Store::open(&p).err().unwrap();
        assert_eq!(err.kind, ErrorKind::Invalid);
    }
}
