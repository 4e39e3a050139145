//! Anonymisation and deletion of tickets: the storage-limitation duty (GDPR Art. 5(1)(e))
//! and the right to erasure (Art. 17).
//!
//! - **Anonymise** replaces every piece of personal data of a ticket (names, addresses,
//!   subject, bodies, attachments, raw messages, Message-IDs, which often carry host and
//!   user names) with placeholders, and keeps what statistics need: queue, dates, status,
//!   the number of articles and their directions. Recital 26: anonymous data is no longer
//!   personal data, so an anonymised ticket may be kept indefinitely.
//! - **Delete** removes the ticket, its articles, its Message-ID index entries, its queued
//!   outgoing mail, and every blob (raw message, attachment) no other article references.
//!
//! Both run inside the caller's write transaction so the audit event that records them is
//! committed atomically with them (DESIGN invariant 3). What the change log, backups and
//! freed pages still hold afterwards is described in `docs/gdpr.md`.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::helpdesk::model::{Article, Delivery, MailAddress, MessageRef, Ticket};
use crate::mail::outbound::queue::{self, OutboundItem};
use crate::store::codec::{be, decode};
use crate::store::{Reader, Table, WriteTx};

/// Text put where personal data was.
pub const PLACEHOLDER: &str = "[anonymised]";
/// Address put where an e-mail address was (`.invalid` is reserved by RFC 2606 §2).
pub const PLACEHOLDER_ADDRESS: &str = "anonymised@anonymised.invalid";

/// What one anonymisation or deletion touched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub tickets: u64,
    pub articles: u64,
    pub attachments: u64,
    /// Blobs (raw messages, attachment contents) removed because nothing else used them.
    pub blobs_removed: u64,
    pub message_ids: u64,
    /// Outgoing mails removed from the delivery queue.
    pub outbound: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.tickets += o.tickets;
        self.articles += o.articles;
        self.attachments += o.attachments;
        self.blobs_removed += o.blobs_removed;
        self.message_ids += o.message_ids;
        self.outbound += o.outbound;
    }
}

/// Who references what, built once per run from a consistent read (or inside the write
/// transaction) so that a batch of erasures needs one scan, not one per ticket.
#[derive(Debug, Default)]
pub struct References {
    /// Blob hash → number of articles and queued mails using it.
    blobs: HashMap<String, u32>,
    /// Ticket number → Message-ID keys pointing at it.
    message_ids: HashMap<u64, Vec<Vec<u8>>>,
    /// Ticket number → queued outgoing mails.
    outbound: HashMap<u64, Vec<OutboundItem>>,
    /// Ticket number → every version of its outgoing mails still in the change log, sent
    /// and failed ones included (loaded on first use, [`References::logged_outbound`]).
    logged: Option<HashMap<u64, Vec<OutboundItem>>>,
}

impl References {
    /// Scans articles, the Message-ID index and the outbound queue. Cost: one pass over
    /// each table.
    pub fn build(r: &impl Reader) -> Result<References> {
        let mut refs = References::default();
        for (_, v) in r.scan(Table::Articles, &[], false, usize::MAX)? {
            let a: Article = decode(&v)?;
            for sha in blobs_of(&a) {
                *refs.blobs.entry(sha).or_default() += 1;
            }
        }
        for (k, v) in r.scan(Table::MessageIds, &[], false, usize::MAX)? {
            let m: MessageRef = decode(&v)?;
            refs.message_ids.entry(m.ticket).or_default().push(k);
        }
        for item in queue::all(r)? {
            *refs.blobs.entry(item.raw_sha256.clone()).or_default() += 1;
            refs.outbound.entry(item.ticket).or_default().push(item);
        }
        Ok(refs)
    }

    /// The logged versions of ticket `number`'s outgoing mails (see the field doc): the
    /// first call reads the whole change log once.
    fn logged_outbound(&mut self, tx: &WriteTx, number: u64) -> Result<Vec<OutboundItem>> {
        if self.logged.is_none() {
            let mut m: HashMap<u64, Vec<OutboundItem>> = HashMap::new();
            for (_, v) in tx.logged_puts(Table::Outbound)? {
                // A record the current code cannot read is skipped; its key (the id)
                // holds no personal data.
                if let Ok(item) = decode::<OutboundItem>(&v) {
                    m.entry(item.ticket).or_default().push(item);
                }
            }
            self.logged = Some(m);
        }
        Ok(self
            .logged
            .as_ref()
            .and_then(|m| m.get(&number).cloned())
            .unwrap_or_default())
    }

    /// Drops one reference to `sha`; deletes the blob when it was the last. Returns whether
    /// the blob was deleted.
    pub(crate) fn release(&mut self, tx: &mut WriteTx, sha: &str) -> Result<bool> {
        let n = self.blobs.entry(sha.to_string()).or_insert(1);
        *n = n.saturating_sub(1);
        if *n == 0 {
            self.blobs.remove(sha);
            let key =
                hex::decode(sha).map_err(|e| Error::internal(format!("blob key {sha}: {e}")))?;
            return tx.delete(Table::Blobs, &key);
        }
        Ok(false)
    }
}

fn blobs_of(a: &Article) -> Vec<String> {
    let mut v: Vec<String> = a.attachments.iter().map(|x| x.sha256.clone()).collect();
    v.extend(a.raw_sha256.clone());
    // An article counts once per distinct blob (the same file attached twice is one use).
    let set: HashSet<String> = v.into_iter().collect();
    set.into_iter().collect()
}

fn placeholder_address() -> MailAddress {
    MailAddress {
        name: None,
        address: PLACEHOLDER_ADDRESS.to_string(),
    }
}

fn ticket_articles(tx: &WriteTx, number: u64) -> Result<Vec<(Vec<u8>, Article)>> {
    tx.scan(Table::Articles, &be(number), false, usize::MAX)?
        .into_iter()
        .map(|(k, v)| Ok((k, decode::<Article>(&v)?)))
        .collect()
}

fn load_ticket(tx: &WriteTx, number: u64) -> Result<Ticket> {
    tx.get_rec(Table::Tickets, &be(number))?
        .ok_or_else(|| Error::not_found(format!("ticket {number} does not exist")))
}

/// Removes what both operations remove: Message-ID index entries, queued mail, and the
/// blobs of `articles` that nothing else uses.
fn drop_shared(
    tx: &mut WriteTx,
    number: u64,
    articles: &[(Vec<u8>, Article)],
    refs: &mut References,
    c: &mut Counts,
) -> Result<()> {
    for key in refs.message_ids.remove(&number).unwrap_or_default() {
        if tx.delete(Table::MessageIds, &key)? {
            c.message_ids += 1;
        }
    }
    for item in refs.outbound.remove(&number).unwrap_or_default() {
        queue::remove(tx, &item)?;
        c.outbound += 1;
        if refs.release(tx, &item.raw_sha256)? {
            c.blobs_removed += 1;
        }
    }
    // Sent and failed mails left the queue by ordinary deletes; their earlier images in
    // the change log still name the recipients. Scrub those too, due-index rows included.
    for item in refs.logged_outbound(tx, number)? {
        forget_outbound(tx, &item)?;
    }
    // Per-article mail facts (mailboxes reached, content fingerprint).
    for (k, _) in tx.scan(Table::ArticleMail, &be(number), false, usize::MAX)? {
        tx.delete(Table::ArticleMail, &k)?;
    }
    for (_, a) in articles {
        c.attachments += a.attachments.len() as u64;
        for sha in blobs_of(a) {
            if refs.release(tx, &sha)? {
                c.blobs_removed += 1;
            }
        }
    }
    Ok(())
}

/// Marks the change-log history of one version of an outgoing mail (its queue row and its
/// due-index row) for scrubbing ([`WriteTx::forget_history`]).
fn forget_outbound(tx: &mut WriteTx, item: &OutboundItem) -> Result<()> {
    tx.forget_history(Table::Outbound, &be(item.id))?;
    tx.forget_history(
        Table::OutboundDue,
        &crate::store::codec::be2(item.next_attempt_ms.max(0) as u64, item.id),
    )
}

/// Takes the outgoing mails of kept ticket `number` that name `address` (envelope sender
/// or recipient) out of trygg, for an erasure of that person (Art. 17): a mail still queued
/// is cancelled (its article becomes `Failed`, at `now_ms`), its raw message released, and
/// the change-log history of every version (sent and failed mails included) is scrubbed.
/// Returns how many queued mails were cancelled.
pub(crate) fn drop_outbound_naming(
    tx: &mut WriteTx,
    number: u64,
    address: &str,
    refs: &mut References,
    now_ms: i64,
) -> Result<u64> {
    let names = |i: &OutboundItem| {
        i.mail_from.eq_ignore_ascii_case(address)
            || i.rcpt_to.iter().any(|r| r.eq_ignore_ascii_case(address))
    };
    let mut cancelled = 0;
    let live = refs.outbound.remove(&number).unwrap_or_default();
    let (hit, keep): (Vec<OutboundItem>, Vec<OutboundItem>) =
        live.into_iter().partition(|i| names(i));
    if !keep.is_empty() {
        refs.outbound.insert(number, keep);
    }
    for item in hit {
        queue::remove(tx, &item)?;
        queue::set_article_delivery(
            tx,
            item.ticket,
            item.article,
            Delivery::Failed {
                at_ms: now_ms,
                reason: "cancelled: the recipient's data was erased (GDPR Art. 17)".into(),
            },
        )?;
        refs.release(tx, &item.raw_sha256)?;
        cancelled += 1;
    }
    for item in refs.logged_outbound(tx, number)? {
        if names(&item) {
            forget_outbound(tx, &item)?;
        }
    }
    Ok(cancelled)
}

/// Replaces the personal data of ticket `number` with placeholders (see module doc).
/// Errors: `NotFound` when the ticket does not exist.
pub fn anonymise_ticket(tx: &mut WriteTx, number: u64, refs: &mut References) -> Result<Counts> {
    tx.mark_erasure();
    let mut ticket = load_ticket(tx, number)?;
    let articles = ticket_articles(tx, number)?;
    let mut c = Counts {
        tickets: 1,
        articles: articles.len() as u64,
        ..Counts::default()
    };
    drop_shared(tx, number, &articles, refs, &mut c)?;
    for (key, mut a) in articles {
        a.message_id = format!("anonymised.{}.{}", a.ticket, a.id);
        a.from = placeholder_address();
        a.reply_to = None;
        a.to = a.to.iter().map(|_| placeholder_address()).collect();
        a.cc = a.cc.iter().map(|_| placeholder_address()).collect();
        a.subject = PLACEHOLDER.to_string();
        a.text = PLACEHOLDER.to_string();
        a.html = None;
        a.attachments.clear();
        a.raw_sha256 = None;
        a.in_reply_to.clear();
        a.references.clear();
        a.author = a.author.map(|_| PLACEHOLDER.to_string());
        a.delivery = a.delivery.map(|d| match d {
            Delivery::Sent { at_ms, .. } => Delivery::Sent {
                at_ms,
                reply: PLACEHOLDER.to_string(),
            },
            Delivery::Failed { at_ms, .. } => Delivery::Failed {
                at_ms,
                reason: PLACEHOLDER.to_string(),
            },
            // The queued mail was removed above; it will never be sent.
            Delivery::Queued { .. } | Delivery::Deferred { .. } => Delivery::Failed {
                at_ms: a.created_ms,
                reason: PLACEHOLDER.to_string(),
            },
        });
        tx.put_rec(Table::Articles, &key, &a)?;
    }
    ticket.subject = PLACEHOLDER.to_string();
    ticket.customer = placeholder_address();
    ticket.participants.clear();
    tx.put_rec(Table::Tickets, &be(number), &ticket)?;
    Ok(c)
}

/// Deletes ticket `number` and everything only it uses (see module doc).
/// Errors: `NotFound` when the ticket does not exist.
pub fn delete_ticket(tx: &mut WriteTx, number: u64, refs: &mut References) -> Result<Counts> {
    tx.mark_erasure();
    load_ticket(tx, number)?;
    let articles = ticket_articles(tx, number)?;
    let mut c = Counts {
        tickets: 1,
        articles: articles.len() as u64,
        ..Counts::default()
    };
    drop_shared(tx, number, &articles, refs, &mut c)?;
    for (key, _) in &articles {
        tx.delete(Table::Articles, key)?;
    }
    // Links from this ticket, and links of other tickets to it.
    for (k, v) in tx.scan(Table::TicketLinks, &[], false, usize::MAX)? {
        let from_this = k.get(..8) == Some(&be(number)[..]);
        let to_this = decode::<crate::helpdesk::model::TicketLink>(&v)
            .map(|l| l.other == number)
            .unwrap_or(false);
        if from_this || to_this {
            tx.delete(Table::TicketLinks, &k)?;
        }
    }
    tx.delete(Table::Tickets, &be(number))?;
    Ok(c)
}

/// Deletes the RFC 3834 auto-reply rate-limit counters (`day (8 bytes) ++ address`) of
/// every address `named` accepts, and scrubs the history of those counters that the daily
/// clean-up deleted earlier (ordinary writes whose old images in the change log still hold
/// the address). Marks the transaction as an erasure. Returns how many keys were handled.
pub fn forget_auto_reply_counts(tx: &mut WriteTx, named: impl Fn(&str) -> bool) -> Result<usize> {
    tx.mark_erasure();
    let matches = |k: &[u8]| {
        k.get(8..)
            .and_then(|a| std::str::from_utf8(a).ok())
            .is_some_and(&named)
    };
    let mut keys: std::collections::BTreeSet<Vec<u8>> = std::collections::BTreeSet::new();
    for (k, _) in tx.scan(Table::AutoReplyCounts, &[], false, usize::MAX)? {
        if matches(&k) {
            keys.insert(k);
        }
    }
    for (k, _) in tx.logged_puts(Table::AutoReplyCounts)? {
        if matches(&k) {
            keys.insert(k);
        }
    }
    for k in &keys {
        if !tx.delete(Table::AutoReplyCounts, k)? {
            tx.forget_history(Table::AutoReplyCounts, k)?;
        }
    }
    Ok(keys.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::gdpr::test_support::{app, env, mail};
    use crate::helpdesk::ingest::ingest;

    /// Every key and value of every table but contacts (a contact outlives one ticket; the
    /// retention run and subject erasure remove contacts).
    fn all_bytes(app: &App) -> Vec<u8> {
        let dump = app.store.dump().expect("dump");
        dump.into_iter()
            .filter(|((t, _), _)| *t != Table::Contacts.id())
            .flat_map(|((_, k), v)| [k, v].concat())
            .collect()
    }

    fn contains(hay: &[u8], needle: &str) -> bool {
        hay.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    #[test]
    fn anonymise_keeps_statistics_and_removes_personal_data() {
        let (_d, app) = app();
        let t1 = ingest(
            &app,
            &mail(
                "Anna Andersson",
                "anna@example.net",
                "salary-question",
                "My CPR 010203-1234",
                "ANNA-CV",
            ),
            &env(),
        )
        .expect("ingest");
        // A second ticket sharing the attachment content keeps the blob alive.
        ingest(
            &app,
            &mail("Bo Berg", "bo@example.net", "other", "hello", "ANNA-CV"),
            &env(),
        )
        .expect("ingest");
        let n = t1.ticket;
        let counts = app
            .store
            .write(2, |tx| {
                let mut refs = References::build(tx)?;
                anonymise_ticket(tx, n, &mut refs)
            })
            .expect("anonymise");
        assert_eq!(counts.tickets, 1);
        assert_eq!(counts.articles, 1);
        assert_eq!(counts.attachments, 1);
        // The raw message goes; the shared attachment stays for the other ticket.
        assert_eq!(counts.blobs_removed, 1);
        let bytes = all_bytes(&app);
        for s in [
            "salary-question",
            "010203-1234",
            "anna@example.net",
            "Anna Andersson",
        ] {
            assert!(!contains(&bytes, s), "{s} left in the store's rows");
        }
        assert!(contains(&bytes, "ANNA-CV") || contains(&bytes, "bo@example.net"));
        let (t, arts) = app
            .store
            .read(|r| {
                Ok((
                    crate::helpdesk::tickets::get_ticket(r, n)?,
                    crate::helpdesk::tickets::articles(r, n)?,
                ))
            })
            .expect("read");
        assert_eq!(t.articles, 1);
        assert_eq!(arts.len(), 1);
        assert_eq!(t.customer.address, PLACEHOLDER_ADDRESS);
    }

    #[test]
    fn delete_removes_rows_and_unshared_blobs() {
        let (_d, app) = app();
        let t = ingest(
            &app,
            &mail(
                "Anna Andersson",
                "anna@example.net",
                "delete-me",
                "secret text",
                "UNIQUE-FILE",
            ),
            &env(),
        )
        .expect("ingest");
        let counts = app
            .store
            .write(2, |tx| {
                let mut refs = References::build(tx)?;
                delete_ticket(tx, t.ticket, &mut refs)
            })
            .expect("delete");
        assert_eq!(counts.blobs_removed, 2, "raw message and attachment");
        assert_eq!(counts.message_ids, 1);
        let bytes = all_bytes(&app);
        for s in ["delete-me", "secret text", "UNIQUE-FILE"] {
            assert!(!contains(&bytes, s), "{s} left in the store's rows");
        }
        let missing = app.store.write(3, |tx| {
            delete_ticket(tx, t.ticket, &mut References::default())
        });
        assert_eq!(
            missing.map(|_| ()).map_err(|e| e.kind),
            Err(crate::error::ErrorKind::NotFound)
        );
    }
}
