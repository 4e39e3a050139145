//! The change log: one record per write transaction, holding after-images of every row put
//! or deleted (DESIGN decision 3). Backup, replication and indexing consume it; replaying
//! it from sequence 1 into an empty store reproduces the store's rows.

use serde::{Deserialize, Serialize};

/// One row change. `value: None` is a delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// [`super::Table::id`] of the table.
    pub table: u8,
    pub key: Vec<u8>,
    /// The row's new value (after-image), or `None` when the row was deleted.
    pub value: Option<Vec<u8>>,
}

/// Everything one committed write transaction changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeRecord {
    /// Gap-free, starting at 1; equals the number of logged transactions so far.
    pub seq: u64,
    /// Commit time, Unix milliseconds (from the injected clock of the writer).
    pub ts_ms: i64,
    /// Row changes in the order they were made; the last change of a key wins.
    pub ops: Vec<Op>,
}
