//! The durable outbound queue: items in [`Table::Outbound`], indexed by due time in
//! [`Table::OutboundDue`] (a timer index, as Stalwart's queue). Enqueueing happens in the
//! same transaction that stores the outgoing article, so an acknowledged reply is never lost.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::helpdesk::model::{Article, Delivery};
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
    /// Unix ms after which temporary failures become permanent, as set when queued. The
    /// worker uses `created_ms` + the current retry period setting instead
    /// ([`crate::helpdesk::settings::OutboundSettings::retry_period_ms`]), so a changed
    /// setting applies to waiting mail too.
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

// ---- admin actions (outbound queue view) ---------------------------------------------------

/// Updates the outgoing article's delivery state (skipped if the article was erased).
pub fn set_article_delivery(
    tx: &mut WriteTx,
    ticket: u64,
    article: u64,
    d: Delivery,
) -> Result<()> {
    let key = be2(ticket, article);
    let Some(mut a) = tx.get_rec::<Article>(Table::Articles, &key)? else {
        return Ok(());
    };
    a.delivery = Some(d);
    tx.put_rec(Table::Articles, &key, &a)
}

/// Makes item `id` due at `now_ms` (the admin's "retry now"); the caller wakes the worker.
/// Errors: `NotFound` when the item is no longer queued (sent, failed or cancelled).
pub fn retry_now(tx: &mut WriteTx, id: u64, now_ms: i64) -> Result<()> {
    let Some(item) = tx.get_rec::<OutboundItem>(Table::Outbound, &be(id))? else {
        return Err(Error::not_found("this mail is no longer in the queue"));
    };
    let mut next = item.clone();
    next.next_attempt_ms = now_ms;
    reschedule(tx, &next, item.next_attempt_ms)?;
    if item.attempts > 0 {
        set_article_delivery(
            tx,
            item.ticket,
            item.article,
            Delivery::Deferred {
                attempts: item.attempts,
                last_error: item.last_error.clone().unwrap_or_default(),
                next_attempt_ms: now_ms,
            },
        )?;
    }
    Ok(())
}

/// Takes item `id` out of the queue for good (the admin's "cancel"); its article becomes
/// `Failed` naming `by`. Errors: `NotFound` when the item is no longer queued.
pub fn cancel(tx: &mut WriteTx, id: u64, by: &str, now_ms: i64) -> Result<()> {
    let Some(item) = tx.get_rec::<OutboundItem>(Table::Outbound, &be(id))? else {
        return Err(Error::not_found("this mail is no longer in the queue"));
    };
    remove(tx, &item)?;
    let mut reason = format!("cancelled by {by}");
    if let Some(e) = &item.last_error {
        reason.push_str(&format!(
            " after {} attempts (last error: {e})",
            item.attempts
        ));
    }
    set_article_delivery(
        tx,
        item.ticket,
        item.article,
        Delivery::Failed {
            at_ms: now_ms,
            reason,
        },
    )
}

/// [`retry_now`] in its own transaction, then wakes the worker.
pub fn admin_retry(app: &crate::app::App, id: u64) -> Result<()> {
    let now = app.now_ms();
    app.store.write(now, |tx| retry_now(tx, id, now))?;
    app.outbound_wakeup.notify_one();
    Ok(())
}

/// [`cancel`] in its own transaction; `by` is the admin's login.
pub fn admin_cancel(app: &crate::app::App, id: u64, by: &str) -> Result<()> {
    let now = app.now_ms();
    app.store.write(now, |tx| cancel(tx, id, by, now))
}
