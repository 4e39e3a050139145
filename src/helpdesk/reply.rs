//! An agent's answer: stored as an outgoing article and queued for delivery in one
//! transaction (nothing acknowledged is lost), then the outbound worker is woken.

use super::model::*;
use super::settings;
use super::ticket_tag;
use super::tickets::{articles, get_ticket};
use crate::app::App;
use crate::error::{Error, Result};
use crate::mail::outbound::compose::{self, OutgoingMail};
use crate::mail::outbound::queue::{self, DEFAULT_LIFETIME_MS, OutboundItem};
use crate::store::Table;
use crate::store::codec::{be, be2};

/// Longest reply text accepted, bytes.
pub const MAX_REPLY_LEN: usize = 256 * 1024;

/// Sends `text` as agent `author`'s answer in ticket `number`: builds the mail (From the
/// ticket's mailbox, To the customer, Subject with the ticket tag, In-Reply-To/References
/// continuing the thread), stores it as an outgoing article with its raw bytes, queues it,
/// and wakes the outbound worker. Returns the new article's id.
///
/// Errors: `Invalid` for an empty or oversized text; `NotFound` for an unknown ticket;
/// `Unavailable` before setup.
pub fn reply(app: &App, number: u64, author: &str, text: &str) -> Result<u64> {
    reply_checked(app, number, author, text, |_, _| Ok(()))
}

/// access: [`reply`] with `check` run inside the reply's write transaction, after the
/// ticket is loaded and before anything is written (the access check and its audit
/// record; an error from it aborts the reply).
pub fn reply_checked(
    app: &App,
    number: u64,
    author: &str,
    text: &str,
    check: impl FnOnce(&mut crate::store::WriteTx, &Ticket) -> Result<()>,
) -> Result<u64> {
    let text = text.replace("\r\n", "\n");
    if text.trim().is_empty() {
        return Err(Error::invalid("the reply is empty"));
    }
    if text.len() > MAX_REPLY_LEN {
        return Err(Error::invalid(format!(
            "the reply is longer than {} KiB",
            MAX_REPLY_LEN / 1024
        )));
    }
    let now = app.now_ms();
    let article_id = app.next_id();
    let queue_id = app.next_id();
    app.store.write(now, |tx| {
        let s = settings::load(tx)?.ok_or_else(|| Error::unavailable("trygg is not set up yet"))?;
        let mut ticket = get_ticket(tx, number)?;
        check(tx, &ticket)?;
        // gdpr: an anonymised ticket has no one left to answer (its addresses are
        // placeholders in the reserved `.invalid` domain).
        if ticket.anonymised_ms.is_some() {
            return Err(Error::invalid(
                "this ticket was anonymised under a retention rule; there is no one to answer",
            ));
        }
        let thread = articles(tx, number)?;
        // Answer the newest customer message; fall back to the ticket's customer.
        let last_in = thread.iter().rev().find(|a| a.direction == Direction::In);
        let to = last_in
            .map(|a| a.reply_to.clone().unwrap_or_else(|| a.from.clone()))
            .unwrap_or_else(|| ticket.customer.clone());
        if to.address.trim().is_empty() {
            return Err(Error::invalid(
                "this ticket has no customer address to answer (e.g. a bounce without a sender)",
            ));
        }
        // Outlook threads by Thread-Index: continue the customer's, if they sent one.
        let parent_thread_index = last_in
            .and_then(|a| a.raw_sha256.as_deref())
            .and_then(|sha| super::ingest::get_blob(tx, sha).ok().flatten())
            .and_then(|raw| crate::mail::rules::raw_header(&raw, "thread-index"));
        let mut references: Vec<String> = last_in.map(|a| a.references.clone()).unwrap_or_default();
        let in_reply_to = last_in.map(|a| a.message_id.clone());
        if let Some(id) = &in_reply_to
            && !references.contains(id)
        {
            references.push(id.clone());
        }
        // Keep References bounded (RFC 5322 §3.6.4 allows trimming the middle).
        if references.len() > 20 {
            let keep_tail = references.split_off(references.len() - 19);
            references.truncate(1);
            references.extend(keep_tail);
        }
        let mailbox = if ticket.mailbox.is_empty() {
            s.mailboxes.first().cloned().unwrap_or_default()
        } else {
            ticket.mailbox.clone()
        };
        let domain = mailbox
            .rsplit('@')
            .next()
            .unwrap_or("localhost")
            .to_string();
        let secret = hex::decode(&s.secret_hex).map_err(Error::internal)?;
        let message_id = compose::message_id(&secret, number, article_id, &domain);
        let from = MailAddress {
            name: Some(s.org_name.clone()),
            address: mailbox.clone(),
        };
        // Keep other systems' reference tags of the customer's latest subject, so their
        // ticket system threads our answer too.
        // National IDs in the ticket subject are masked in the subject we generate (Art. 25:
        // subjects show in previews, lock screens and relay logs); the text is the agent's.
        let today = crate::gdpr::classification::today(now);
        // Per number: one detected anywhere in the thread is masked in every spelling.
        let ids = super::tickets::ticket_ids(&ticket, &thread, today);
        let topic = crate::gdpr::national_id::mask_known(&ticket.subject, &ids, today).into_owned();
        let mut subject = format!("{} {}", ticket_tag(number), topic);
        if let Some(a) = last_in {
            for tag in crate::mail::rules::foreign_reference_tags(&a.subject) {
                if !subject.contains(&tag) && subject.len() < 400 {
                    subject.push(' ');
                    subject.push_str(&tag);
                }
            }
        }
        let mail = OutgoingMail {
            from: from.clone(),
            to: vec![to.clone()],
            subject: subject.clone(),
            text: text.clone(),
            message_id: message_id.clone(),
            in_reply_to: in_reply_to.clone(),
            references: references.clone(),
            date: now / 1000,
            auto_replied: false,
            x_loop: Some(mailbox.clone()),
            thread_topic: Some(topic.clone()),
            thread_index: Some(thread_index_for(
                &secret,
                &ticket,
                parent_thread_index.as_deref(),
                now,
            )),
        };
        let raw = compose::build(&mail)?;
        let raw_sha = super::ingest::put_blob(tx, &raw)?;
        let article = Article {
            id: article_id,
            ticket: number,
            direction: Direction::Out,
            message_id: message_id.clone(),
            from,
            reply_to: None,
            to: vec![to.clone()],
            cc: Vec::new(),
            subject,
            text,
            html: None,
            attachments: Vec::new(),
            raw_sha256: Some(raw_sha.clone()),
            created_ms: now,
            date: Some(now / 1000),
            in_reply_to: in_reply_to.into_iter().collect(),
            references,
            flags: ParseFlags::default(),
            author: Some(author.to_string()),
            delivery: Some(Delivery::Queued {
                attempts: 0,
                last_error: None,
            }),
        };
        tx.put_rec(Table::Articles, &be2(number, article_id), &article)?;
        tx.put_rec(
            Table::MessageIds,
            message_id.as_bytes(),
            &MessageRef {
                ticket: number,
                article: article_id,
                fingerprint: None,
            },
        )?;
        ticket.articles += 1;
        ticket.updated_ms = now;
        tx.put_rec(Table::Tickets, &be(number), &ticket)?;
        queue::enqueue(
            tx,
            &OutboundItem {
                id: queue_id,
                ticket: number,
                article: article_id,
                mail_from: mailbox,
                rcpt_to: vec![to.address.clone()],
                raw_sha256: raw_sha,
                attempts: 0,
                next_attempt_ms: now,
                created_ms: now,
                expires_ms: now + DEFAULT_LIFETIME_MS,
                last_error: None,
            },
        )
    })?;
    app.outbound_wakeup.notify_one();
    Ok(article_id)
}

/// The `Thread-Index` of an outgoing mail in ticket `ticket`: a child block of the
/// customer's `parent` index when it is valid, else a new index whose GUID is derived from
/// the ticket (HMAC, so all our mails of one ticket share it) and its creation time.
pub fn thread_index_for(secret: &[u8], ticket: &Ticket, parent: Option<&str>, now: i64) -> String {
    use hmac::{Hmac, Mac};
    if let Some(child) = parent.and_then(|p| crate::mail::rules::thread_index_child(p, now)) {
        return child;
    }
    let mut guid = [0u8; 16];
    if let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret) {
        mac.update(format!("thread-index:{}", ticket.number).as_bytes());
        guid.copy_from_slice(&mac.finalize().into_bytes()[..16]);
    }
    crate::mail::rules::thread_index_new(guid, ticket.created_ms)
}
