//! The durable outbound queue: items in [`Table::Outbound`], indexed by due time in
//! [`Table::OutboundDue`] (a timer index, as Stalwart's queue). Enqueueing happens in the
//! same transaction that stores the outgoing article, so an acknowledged reply is never lost.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::codec::{be, be2};
use crate::store::{Reader, Table, WriteTx};

/// One message waiting for delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundItem {
    pub id: u64,
    pub ticket: u64,
    pub article: u64,
    /// Envelope sender (MAIL FROM).
    pub mail_from: String,
    /// Envelope recipients (RCPT TO).
    pub rcpt_to: Vec<String>,
    /// Hex SHA-256 of the message bytes in the blob table; sent unchanged.
    pub raw_sha256: String,
    pub attempts: u32,
    /// Unix ms of the next attempt.
    pub next_attempt_ms: i64,
    /// Unix ms.
    pub created_ms: i64,
    /// Unix ms after which temporary failures become permanent.
    pub expires_ms: i64,
    pub last_error: Option<String>,
}

/// How long temporary failures are retried: 5 days (RFC 5321 §4.5.4.1 suggests 4–5 days).
pub const DEFAULT_LIFETIME_MS: i64 = 5 * 24 * 3600 * 1000;

/// Adds `item` to the queue (inside the caller's transaction).
pub fn enqueue(tx: &mut WriteTx, item: &OutboundItem) -> Result<()> {
    tx.put_rec(Table::Outbound, &be(item.id), item)?;
    tx.put(
        Table::OutboundDue,
        &be2(item.next_attempt_ms.max(0) as u64, item.id),
        &[],
    )
}

/// Moves `item` to a new due time (inside the caller's transaction); `old_due_ms` is the
/// due time it is indexed under now.
pub fn reschedule(tx: &mut WriteTx, item: &OutboundItem, old_due_ms: i64) -> Result<()> {
    tx.delete(Table::OutboundDue, &be2(old_due_ms.max(0) as u64, item.id))?;
    enqueue(tx, item)
}

/// Removes `item` from the queue (delivered or given up).
pub fn remove(tx: &mut WriteTx, item: &OutboundItem) -> Result<()> {
    tx.delete(
        Table::OutboundDue,
        &be2(item.next_attempt_ms.max(0) as u64, item.id),
    )?;
    tx.delete(Table::Outbound, &be(item.id))?;
    Ok(())
}

/// Items due at or before `now_ms`, earliest first, at most `limit`.
pub fn due(r: &impl Reader, now_ms: i64, limit: usize) -> Result<Vec<OutboundItem>> {
    let upper = be2(now_ms.max(0) as u64, u64::MAX);
    let keys = r.range(Table::OutboundDue, &[], &upper, limit)?;
    let mut out = Vec::with_capacity(keys.len());
    for (k, _) in keys {
        let id = crate::store::codec::read_be(k.get(8..).unwrap_or_default());
        if let Some(item) = r.get_rec::<OutboundItem>(Table::Outbound, &be(id))? {
            out.push(item);
        }
    }
    Ok(out)
}

/// Unix ms of the earliest queued item, if any (the worker sleeps until then).
pub fn next_due_ms(r: &impl Reader) -> Result<Option<i64>> {
    Ok(r.scan(Table::OutboundDue, &[], false, 1)?
        .first()
        .map(|(k, _)| crate::store::codec::read_be(k) as i64))
}

/// Every queued item (admin view, tests), in id order.
pub fn all(r: &impl Reader) -> Result<Vec<OutboundItem>> {
    r.scan(Table::Outbound, &[], false, usize::MAX)?
        .into_iter()
        .map(|(_, v)| crate::store::codec::decode(&v))
        .collect()
}
