//! Incoming mail → ticket or article, in one durable transaction.
//!
//! Threading, strongest evidence first: a Message-ID in In-Reply-To or References that we
//! stored for a ticket (incoming or outgoing); then trygg's ticket tag in the subject;
//! otherwise a new ticket. A Message-ID seen before adds nothing (RFC 5322 §3.6.4 says it is
//! the same message).

use sha2::{Digest, Sha256};

use super::model::*;
use super::{queues, settings, tags_in_subject, ticket_title};
use crate::app::App;
use crate::error::{Error, Result};
use crate::mail::inbound::parse::{ParsedMessage, parse_message};
use crate::store::codec::{be, be2};
use crate::store::{Reader, Table, WriteTx};

/// Largest message accepted, octets (also announced as SMTP SIZE, RFC 1870).
pub const MAX_MESSAGE_SIZE: usize = 50 * 1024 * 1024;

/// The SMTP envelope of a delivery.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// MAIL FROM (empty for bounces).
    pub mail_from: String,
    /// Accepted RCPT TO addresses, lower case.
    pub rcpt_to: Vec<String>,
    /// Client address, for the log.
    pub peer: String,
    /// Trace header(s) to prepend to the stored raw message (RFC 5321 §4.4 `Received:`).
    /// Parsing, de-duplication and synthetic ids use the message without it.
    pub trace: Option<String>,
}

/// What [`ingest`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IngestOutcome {
    pub ticket: u64,
    pub article: u64,
    /// A new ticket was opened.
    pub created: bool,
    /// The Message-ID was already stored: nothing was added.
    pub duplicate: bool,
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Stores `data` under its SHA-256 (once; later copies are free). Returns the hex hash.
pub fn put_blob(tx: &mut WriteTx, data: &[u8]) -> Result<String> {
    let digest = Sha256::digest(data);
    if tx.get(Table::Blobs, &digest)?.is_none() {
        tx.put(Table::Blobs, &digest, data)?;
    }
    Ok(hex::encode(digest))
}

/// The blob with hex SHA-256 `sha256_hex`.
pub fn get_blob(r: &impl Reader, sha256_hex: &str) -> Result<Option<Vec<u8>>> {
    let key = hex::decode(sha256_hex).map_err(|_| Error::not_found("no such file"))?;
    r.get(Table::Blobs, &key)
}

/// A stable Message-ID for mail that has none: derived from the raw bytes, so a
/// redelivery of the same bytes is recognised as a duplicate.
pub fn synthetic_message_id(raw: &[u8]) -> String {
    format!("{}@synthetic.trygg.invalid", &sha256_hex(raw)[..32])
}

/// Parses `raw` and stores it as a new ticket or as an article of the ticket it threads
/// into; returns only after the commit is durable. The raw bytes are always kept, also for
/// malformed mail (flagged, never dropped).
///
/// Errors: `Unavailable` before setup; `Internal` on storage failure (the SMTP layer answers
/// 451 so the sender retries).
pub fn ingest(app: &App, raw: &[u8], env: &Envelope) -> Result<IngestOutcome> {
    let parsed = parse_message(raw);
    let now = app.now_ms();
    let article_id = app.next_id();
    app.store.write(now, |tx| {
        store_parsed(tx, raw, &parsed, env, now, article_id)
    })
}

fn store_parsed(
    tx: &mut WriteTx,
    raw: &[u8],
    p: &ParsedMessage,
    env: &Envelope,
    now: i64,
    article_id: u64,
) -> Result<IngestOutcome> {
    let settings =
        settings::load(tx)?.ok_or_else(|| Error::unavailable("trygg is not set up yet"))?;
    let message_id = p
        .message_id
        .clone()
        .unwrap_or_else(|| synthetic_message_id(raw));
    if let Some(existing) = tx.get_rec::<MessageRef>(Table::MessageIds, message_id.as_bytes())? {
        return Ok(IngestOutcome {
            ticket: existing.ticket,
            article: existing.article,
            created: false,
            duplicate: true,
        });
    }

    let from = p.from.clone().unwrap_or_else(|| MailAddress {
        name: None,
        address: env.mail_from.to_lowercase(),
    });
    let sender = from.address.to_lowercase();

    let existing = find_thread(tx, p, raw)?;
    let mailbox = env
        .rcpt_to
        .iter()
        .find(|r| settings.mailboxes.contains(r))
        .or_else(|| settings.mailboxes.first())
        .cloned()
        .unwrap_or_default();

    let raw_sha = match &env.trace {
        Some(trace) => {
            let mut stored = Vec::with_capacity(trace.len() + raw.len());
            stored.extend_from_slice(trace.as_bytes());
            stored.extend_from_slice(raw);
            put_blob(tx, &stored)?
        }
        None => put_blob(tx, raw)?,
    };
    let mut attachments = Vec::with_capacity(p.attachments.len());
    for a in &p.attachments {
        attachments.push(AttachmentRef {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.data.len() as u64,
            sha256: put_blob(tx, &a.data)?,
            content_id: a.content_id.clone(),
            inline: a.inline,
        });
    }

    let (mut ticket, created) = match existing {
        Some(t) => (t, false),
        None => {
            let number = next_ticket_number(tx)?;
            let ticket = Ticket {
                number,
                subject: ticket_title(&p.subject, None),
                status: TicketStatus::Open,
                // Contact forms send From a no-reply address with the customer in Reply-To.
                customer: match &p.reply_to {
                    Some(r) if !r.address.is_empty() => MailAddress {
                        name: r.name.clone(),
                        address: r.address.to_lowercase(),
                    },
                    _ => MailAddress {
                        name: from.name.clone(),
                        address: sender.clone(),
                    },
                },
                queue: queues::for_mailbox(tx, &mailbox)?,
                mailbox,
                created_ms: now,
                updated_ms: now,
                articles: 0,
                participants: Vec::new(),
            };
            (ticket, true)
        }
    };
    if !ticket.participants.contains(&sender) && !sender.is_empty() {
        ticket.participants.push(sender.clone());
    }
    ticket.articles += 1;
    ticket.updated_ms = now;
    if ticket.status == TicketStatus::Closed && !settings.mailboxes.contains(&sender) {
        ticket.status = TicketStatus::Open;
    }

    let reply_to = p
        .reply_to
        .clone()
        .filter(|r| !r.address.eq_ignore_ascii_case(&from.address));
    // Mail from one of our own support addresses (an agent writing from a mail client, or
    // our own answer copied back to us) belongs to the thread as an outgoing article.
    let direction = if settings.mailboxes.contains(&sender) {
        Direction::Out
    } else {
        Direction::In
    };
    let article = Article {
        id: article_id,
        ticket: ticket.number,
        direction,
        message_id: message_id.clone(),
        from,
        reply_to,
        to: p.to.clone(),
        cc: p.cc.clone(),
        subject: p.subject.clone(),
        text: p.text.clone(),
        html: p.html.clone(),
        attachments,
        raw_sha256: Some(raw_sha),
        created_ms: now,
        date: p.date,
        in_reply_to: p.in_reply_to.clone(),
        references: p.references.clone(),
        flags: p.flags.clone(),
        author: None,
        delivery: None,
    };
    tx.put_rec(Table::Tickets, &be(ticket.number), &ticket)?;
    tx.put_rec(Table::Articles, &be2(ticket.number, article_id), &article)?;
    tx.put_rec(
        Table::MessageIds,
        message_id.as_bytes(),
        &MessageRef {
            ticket: ticket.number,
            article: article_id,
        },
    )?;
    upsert_contact(tx, &article.from, now)?;
    Ok(IngestOutcome {
        ticket: ticket.number,
        article: article_id,
        created,
        duplicate: false,
    })
}

/// The ticket a message belongs to: by In-Reply-To, then References (newest first), then
/// trygg's tag in the subject.
fn find_thread(tx: &WriteTx, p: &ParsedMessage, raw: &[u8]) -> Result<Option<Ticket>> {
    // A delivery status notification (RFC 3464) threads by the message it reports on.
    let dsn_id = if p.content_type.eq_ignore_ascii_case("multipart/report") {
        dsn_original_message_id(raw)
    } else {
        None
    };
    let ids = p
        .in_reply_to
        .iter()
        .chain(p.references.iter().rev())
        .chain(dsn_id.iter());
    for id in ids {
        if let Some(r) = tx.get_rec::<MessageRef>(Table::MessageIds, id.as_bytes())?
            && let Some(t) = tx.get_rec::<Ticket>(Table::Tickets, &be(r.ticket))?
        {
            return Ok(Some(t));
        }
    }
    for n in tags_in_subject(&p.subject) {
        if let Some(t) = tx.get_rec::<Ticket>(Table::Tickets, &be(n))? {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

/// The Message-ID of the original message inside a DSN (its `message/rfc822` or
/// `text/rfc822-headers` part, RFC 3462 §2 / RFC 3464), if any.
pub fn dsn_original_message_id(raw: &[u8]) -> Option<String> {
    use mail_parser::{MessageParser, MimeHeaders, PartType};
    std::panic::catch_unwind(|| {
        let msg = MessageParser::default().parse(raw)?;
        for part in msg.parts.iter() {
            let ct = part.content_type()?;
            let sub = ct.subtype().unwrap_or_default().to_ascii_lowercase();
            let inner = match (&part.body, sub.as_str()) {
                (PartType::Message(m), _) => m.message_id().map(str::to_string),
                (_, "rfc822-headers") | (_, "rfc822") => {
                    let bytes = raw.get(part.offset_body as usize..part.offset_end as usize)?;
                    MessageParser::default()
                        .parse_headers(bytes)
                        .and_then(|m| m.message_id().map(str::to_string))
                }
                _ => None,
            };
            if inner.is_some() {
                return inner;
            }
        }
        None
    })
    .ok()
    .flatten()
}

/// First ticket number handed out.
pub const FIRST_TICKET_NUMBER: u64 = 1001;

fn next_ticket_number(tx: &mut WriteTx) -> Result<u64> {
    const KEY: &[u8] = b"next_ticket_number";
    let n: u64 = tx.get_rec(Table::Meta, KEY)?.unwrap_or(FIRST_TICKET_NUMBER);
    tx.put_rec(Table::Meta, KEY, &(n + 1))?;
    Ok(n)
}

/// Records (or refreshes) the contact behind `addr`.
pub fn upsert_contact(tx: &mut WriteTx, addr: &MailAddress, now: i64) -> Result<()> {
    let key = addr.address.to_lowercase();
    if key.is_empty() {
        return Ok(());
    }
    let contact = match tx.get_rec::<Contact>(Table::Contacts, key.as_bytes())? {
        Some(mut c) => {
            if addr.name.is_some() {
                c.name = addr.name.clone();
            }
            c.last_seen_ms = now;
            c
        }
        None => Contact {
            address: key.clone(),
            name: addr.name.clone(),
            created_ms: now,
            last_seen_ms: now,
        },
    };
    tx.put_rec(Table::Contacts, key.as_bytes(), &contact)
}
