//! Incoming mail → ticket or article, in one durable transaction.
//!
//! Threading, strongest evidence first (see [`find_thread`]): our own HMAC-signed
//! Message-IDs in In-Reply-To/References; then any id stored for a ticket; then trygg's
//! ticket tag in the subject, only from participants or their organisation; otherwise a new
//! ticket. A Message-ID seen before with the same content adds nothing (RFC 5322 §3.6.4);
//! with other content it is a new, flagged article. Automatic mail, bounces and the
//! auto-acknowledgement follow RFC 3834 / RFC 3464 (`crate::mail::rules`).

use sha2::{Digest, Sha256};

use super::model::*;
use super::{autoreply, links, queues, settings, tags_in_subject, ticket_title};
use crate::app::App;
use crate::error::{Error, Result};
use crate::mail::inbound::parse::{ParsedMessage, parse_message};
use crate::mail::outbound::compose;
use crate::mail::rules;
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
    /// The Message-ID was already stored with the same content: nothing was added.
    pub duplicate: bool,
    /// The article id of an automatic acknowledgement queued for the sender, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_ack: Option<u64>,
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

/// Header fields that identify a message's content (transport headers such as `Received`,
/// `Return-Path`, `Delivered-To`, `DKIM-Signature` or `X-*` differ between deliveries of
/// the same message and are left out).
const CONTENT_HEADERS: [&str; 9] = [
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "content-type",
];

/// Hex SHA-256 over the identifying header fields (unfolded, in order) and the body (line
/// ends normalised, trailing white space ignored): equal for two deliveries of one message,
/// different when a system reuses a Message-ID for another message.
pub fn content_fingerprint(raw: &[u8]) -> String {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            raw.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        });
    let (head, body) = match split {
        Some((h, b)) => (&raw[..h], &raw[b..]),
        None => (raw, &raw[raw.len()..]),
    };
    let mut hasher = Sha256::new();
    let head = String::from_utf8_lossy(head).replace("\r\n", "\n");
    let mut current: Option<String> = None;
    let mut fields: Vec<String> = Vec::new();
    for line in head.split('\n') {
        if line.starts_with([' ', '\t']) {
            if let Some(c) = current.as_mut() {
                c.push(' ');
                c.push_str(line.trim());
            }
            continue;
        }
        if let Some(c) = current.take() {
            fields.push(c);
        }
        if let Some((name, value)) = line.split_once(':')
            && CONTENT_HEADERS.contains(&name.trim().to_ascii_lowercase().as_str())
        {
            current = Some(format!(
                "{}:{}",
                name.trim().to_ascii_lowercase(),
                value.trim()
            ));
        }
    }
    if let Some(c) = current.take() {
        fields.push(c);
    }
    for f in fields {
        hasher.update(f.as_bytes());
        hasher.update(b"\n");
    }
    hasher.update(b"\n");
    let body: Vec<u8> = body.iter().copied().filter(|&b| b != b'\r').collect();
    let end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    hasher.update(&body[..end]);
    hex::encode(hasher.finalize())
}

/// The MessageIds key of a message that reused `message_id` with other content.
pub fn variant_key(message_id: &str, fingerprint: &str) -> String {
    format!("{message_id}\u{0}{fingerprint}")
}

/// Ids reserved before the write transaction (ids come from the node-aware generator).
#[derive(Debug, Clone, Copy)]
struct Ids {
    article: u64,
    ack: autoreply::AckIds,
}

/// Parses `raw` and stores it as a new ticket or as an article of the ticket it threads
/// into; returns only after the commit is durable. The raw bytes are always kept, also for
/// malformed mail (flagged, never dropped). Mail rules applied: threading (see
/// [`find_thread`]), automatic mail (RFC 3834), bounces (RFC 3464), duplicates, reopening,
/// agent forwards and the optional auto-acknowledgement (queued in the same transaction).
///
/// Errors: `Unavailable` before setup; `Internal` on storage failure (the SMTP layer answers
/// 451 so the sender retries).
pub fn ingest(app: &App, raw: &[u8], env: &Envelope) -> Result<IngestOutcome> {
    let parsed = parse_message(raw);
    let now = app.now_ms();
    let ids = Ids {
        article: app.next_id(),
        ack: autoreply::AckIds {
            article: app.next_id(),
            queue: app.next_id(),
        },
    };
    // Concurrent deliveries share one durable commit (group commit, `store::group`).
    let raw: std::sync::Arc<[u8]> = raw.into();
    let env = env.clone();
    let outcome = app.store.write_grouped(now, move |tx| {
        store_parsed(tx, &raw, &parsed, &env, now, ids)
    })?;
    if outcome.auto_ack.is_some() {
        app.outbound_wakeup.notify_one();
    }
    Ok(outcome)
}

const DAY_MS: i64 = 86_400_000;

fn store_parsed(
    tx: &mut WriteTx,
    raw: &[u8],
    p: &ParsedMessage,
    env: &Envelope,
    now: i64,
    ids: Ids,
) -> Result<IngestOutcome> {
    let article_id = ids.article;
    let settings =
        settings::load(tx)?.ok_or_else(|| Error::unavailable("trygg is not set up yet"))?;
    let mail_rules = autoreply::load(tx)?;
    let secret = hex::decode(&settings.secret_hex).map_err(Error::internal)?;
    let ours = &settings.mailboxes;
    let message_id = p
        .message_id
        .clone()
        .unwrap_or_else(|| synthetic_message_id(raw));
    let fingerprint = content_fingerprint(raw);
    // Which of our mailboxes this delivery reached.
    let reached: Vec<String> = env
        .rcpt_to
        .iter()
        .map(|r| r.to_lowercase())
        .filter(|r| ours.contains(r))
        .collect();

    // De-duplication: same Message-ID and same content is the same message (RFC 5322
    // §3.6.4); it may have reached another of our mailboxes, which is recorded.
    let mut flags = p.flags.clone();
    let mut id_key = message_id.clone();
    if let Some(existing) = tx.get_rec::<MessageRef>(Table::MessageIds, message_id.as_bytes())? {
        let variant = variant_key(&message_id, &fingerprint);
        let same = match &existing.fingerprint {
            None => true,
            Some(fp) => *fp == fingerprint,
        };
        let known = if same {
            Some(existing)
        } else {
            tx.get_rec::<MessageRef>(Table::MessageIds, variant.as_bytes())?
        };
        match known {
            Some(r) => {
                record_mailboxes(tx, &r, &reached)?;
                return Ok(IngestOutcome {
                    ticket: r.ticket,
                    article: r.article,
                    created: false,
                    duplicate: true,
                    auto_ack: None,
                });
            }
            None => {
                flags.reused_message_id = true;
                id_key = variant;
            }
        }
    }

    let from = p.from.clone().unwrap_or_else(|| MailAddress {
        name: None,
        address: env.mail_from.to_lowercase(),
    });
    let sender = from.address.to_lowercase();
    let from_us = ours.contains(&sender);
    flags.auto_reply = rules::is_auto_reply(p);
    flags.bulk = rules::is_bulk(p);
    flags.bounce = rules::is_bounce(p);
    flags.loop_detected = rules::bears_our_loop(p, ours);

    // Bounces act only on one of our own outgoing articles.
    let mut bounce_target: Option<(u64, u64)> = None;
    if flags.bounce {
        bounce_target = bounced_article(tx, p, raw, &secret)?;
        flags.bounce_unverified = bounce_target.is_none();
    }
    let found = match bounce_target {
        Some((t, _)) => Found {
            ticket: tx.get_rec::<Ticket>(Table::Tickets, &be(t))?,
            foreign_tag: None,
        },
        None => find_thread(tx, p, &secret, &sender, ours)?,
    };

    // A stranger quoting a tag gets a new ticket, linked for an agent to merge.
    let mut link_to: Option<(u64, LinkKind)> = None;
    if found.ticket.is_none()
        && let Some(n) = found.foreign_tag
    {
        flags.foreign_tag = true;
        link_to = Some((n, LinkKind::QuotesTagOf));
    }
    // Machine mail (automatic replies, bounces, our own mail looping back, list mail) never
    // reopens a closed ticket.
    let machine_mail = flags.auto_reply || flags.bounce || flags.loop_detected || flags.bulk;
    let existing = match found.ticket {
        // A reply to a ticket closed longer than the configured days starts a new one.
        Some(t)
            if t.status == TicketStatus::Closed
                && !machine_mail
                && !from_us
                && mail_rules.new_ticket_after_days > 0
                && now - t.updated_ms > i64::from(mail_rules.new_ticket_after_days) * DAY_MS =>
        {
            link_to = Some((t.number, LinkKind::FollowUpOf));
            None
        }
        other => other,
    };

    let mailbox = reached
        .first()
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
            // An agent forwarding a customer's mail: the ticket belongs to the original sender.
            let mut customer = None;
            if mail_rules.agent_forward
                && !from_us
                && !sender.is_empty()
                && tx.get(Table::Users, sender.as_bytes())?.is_some()
                && let Some(original) = rules::forwarded_original_sender(p)
            {
                flags.forwarded_by_agent = true;
                customer = Some(MailAddress {
                    name: original.name,
                    address: original.address.to_lowercase(),
                });
            }
            let number = next_ticket_number(tx)?;
            let queue = queues::for_mailbox(tx, &mailbox)?;
            (
                new_ticket(number, p, &from, customer, mailbox, queue, now),
                true,
            )
        }
    };
    // gdpr: classification (Art. 25 protection by default, Art. 32).
    classify(tx, &mut ticket, created, p, now)?;
    for addr in [&sender, &ticket.customer.address.to_lowercase()] {
        if !addr.is_empty() && !ticket.participants.contains(addr) {
            ticket.participants.push(addr.clone());
        }
    }
    ticket.articles += 1;
    let stays_closed = ticket.status == TicketStatus::Closed && (machine_mail || from_us);
    if !stays_closed {
        // Automatic mail and bounces on a closed ticket leave its closing time as it is.
        ticket.updated_ms = now;
    }
    if ticket.status == TicketStatus::Closed && !stays_closed {
        ticket.status = TicketStatus::Open;
    }

    let reply_to = p
        .reply_to
        .clone()
        .filter(|r| !r.address.eq_ignore_ascii_case(&from.address));
    // Mail from one of our own support addresses (an agent writing from a mail client, or
    // our own answer copied back to us) belongs to the thread as an outgoing article.
    let direction = if from_us {
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
        flags,
        author: None,
        delivery: None,
    };

    // The bounced article is marked failed with the reason and the failing address.
    if let Some((t, a)) = bounce_target
        && !rules::dsn_only_delayed(p)
        && let Some(mut out) = tx.get_rec::<Article>(Table::Articles, &be2(t, a))?
    {
        out.delivery = Some(Delivery::Failed {
            at_ms: now,
            reason: rules::bounce_reason(p),
        });
        tx.put_rec(Table::Articles, &be2(t, a), &out)?;
    }

    // Optional acknowledgement of a new ticket (RFC 3834 rules).
    let mut auto_ack = None;
    if created
        && mail_rules.autoack
        && !article.flags.forwarded_by_agent
        && !article.flags.bounce
        && rules::no_auto_answer_reason(p, ours).is_none()
        // An SMTP delivery (it has our trace header) with the null reverse-path is a
        // notification (RFC 5321 §4.5.5, RFC 3834 §2); IMAP fetches have no envelope.
        && !(env.trace.is_some() && env.mail_from.trim().is_empty())
        && tx.get(Table::Users, sender.as_bytes())?.is_none()
    {
        auto_ack = autoreply::queue_ack(
            tx,
            &settings,
            &mail_rules,
            &mut ticket,
            &article,
            ids.ack,
            now,
        )?;
    }

    tx.put_rec(Table::Tickets, &be(ticket.number), &ticket)?;
    tx.put_rec(Table::Articles, &be2(ticket.number, article_id), &article)?;
    tx.put_rec(
        Table::MessageIds,
        id_key.as_bytes(),
        &MessageRef {
            ticket: ticket.number,
            article: article_id,
            fingerprint: Some(fingerprint.clone()),
        },
    )?;
    tx.put_rec(
        Table::ArticleMail,
        &be2(ticket.number, article_id),
        &ArticleMail {
            mailboxes: reached,
            fingerprint: fingerprint.clone(),
        },
    )?;
    if let Some((other, kind)) = link_to {
        links::link(tx, ticket.number, other, kind, None, now)?;
    }
    upsert_contact(tx, &article.from, now)?;
    Ok(IngestOutcome {
        ticket: ticket.number,
        article: article_id,
        created,
        duplicate: false,
        auto_ack,
    })
}

/// The one place a new ticket is constructed from incoming mail. `customer` overrides the
/// sender (agent forwards); contact forms send From a no-reply address with the customer in
/// Reply-To.
fn new_ticket(
    number: u64,
    p: &ParsedMessage,
    from: &MailAddress,
    customer: Option<MailAddress>,
    mailbox: String,
    queue: String,
    now: i64,
) -> Ticket {
    let customer = customer.unwrap_or_else(|| match &p.reply_to {
        Some(r) if !r.address.is_empty() => MailAddress {
            name: r.name.clone(),
            address: r.address.to_lowercase(),
        },
        _ => MailAddress {
            name: from.name.clone(),
            address: from.address.to_lowercase(),
        },
    });
    Ticket {
        number,
        subject: ticket_title(&p.subject, None),
        status: TicketStatus::Open,
        customer,
        mailbox,
        created_ms: now,
        updated_ms: now,
        articles: 0,
        participants: Vec::new(),
        queue,
        classification: Default::default(),
        legal_hold: None,
        closed_ms: None,
        anonymised_ms: None,
    }
}

// gdpr: classification at ingest
/// A new ticket starts at its queue's default classification; a national identity number
/// in the subject, the text, the HTML (as text) or an attachment's file name of any
/// incoming mail raises the ticket to at least *confidential*, never lower
/// (GDPR Art. 25, 32, 87; [`crate::gdpr::classification::detect`]).
fn classify(
    tx: &WriteTx,
    ticket: &mut Ticket,
    created: bool,
    p: &ParsedMessage,
    now: i64,
) -> Result<()> {
    use crate::gdpr::classification::{detect, today};
    if created && let Some(q) = queues::get(tx, queues::of_ticket(ticket))? {
        ticket.classification = q.default_classification;
    }
    let html_text = p
        .html
        .as_deref()
        .map(crate::mail::inbound::parse::html_to_text);
    let texts = [p.subject.as_str(), p.text.as_str()]
        .into_iter()
        .chain(html_text.as_deref())
        .chain(p.attachments.iter().map(|a| a.filename.as_str()));
    if let Some(c) = detect(texts, today(now))
        && c > ticket.classification
    {
        tracing::info!(
            ticket = ticket.number,
            from = ticket.classification.as_str(),
            to = c.as_str(),
            "national identity number found: ticket classification raised"
        );
        ticket.classification = c;
    }
    Ok(())
}

/// Adds newly reached mailboxes to an already stored article (same mail, another of our
/// addresses).
fn record_mailboxes(tx: &mut WriteTx, r: &MessageRef, reached: &[String]) -> Result<()> {
    if reached.is_empty() {
        return Ok(());
    }
    let key = be2(r.ticket, r.article);
    let mut info: ArticleMail = tx.get_rec(Table::ArticleMail, &key)?.unwrap_or_default();
    let before = info.mailboxes.len();
    for m in reached {
        if !info.mailboxes.contains(m) {
            info.mailboxes.push(m.clone());
        }
    }
    if info.mailboxes.len() != before {
        tx.put_rec(Table::ArticleMail, &key, &info)?;
    }
    Ok(())
}

/// Where threading led.
struct Found {
    ticket: Option<Ticket>,
    /// A tag of an existing ticket that the sender may not use (not a participant).
    foreign_tag: Option<u64>,
}

/// Follows `MergedInto` links (a few hops) so mail for a merged ticket reaches the target.
fn resolve_merged(tx: &WriteTx, mut t: Ticket) -> Result<Ticket> {
    for _ in 0..8 {
        let into = links::links_of(tx, t.number)?
            .into_iter()
            .find(|l| l.kind == LinkKind::MergedInto);
        match into.map(|l| l.other) {
            Some(n) => match tx.get_rec::<Ticket>(Table::Tickets, &be(n))? {
                Some(next) => t = next,
                None => break,
            },
            None => break,
        }
    }
    Ok(t)
}

/// Whether `sender` may thread into `t` by its subject tag alone: a participant (or the
/// customer), one of our mailboxes, an agent, or someone from the same organisation's
/// mail domain as a participant (never a public provider's domain).
fn tag_allowed(tx: &WriteTx, t: &Ticket, sender: &str, ours: &[String]) -> Result<bool> {
    if sender.is_empty() {
        return Ok(false);
    }
    if ours.iter().any(|o| o == sender)
        || t.customer.address.eq_ignore_ascii_case(sender)
        || t.participants.iter().any(|p| p == sender)
    {
        return Ok(true);
    }
    if t.participants
        .iter()
        .chain(std::iter::once(&t.customer.address))
        .filter(|p| !ours.contains(p))
        .any(|p| rules::same_organisation(p, sender))
    {
        return Ok(true);
    }
    Ok(tx.get(Table::Users, sender.as_bytes())?.is_some())
}

/// The ticket a message belongs to, strongest evidence first:
/// 1. In-Reply-To/References naming one of our outgoing Message-IDs whose HMAC verifies;
/// 2. any id in In-Reply-To/References stored for a ticket (every References id counts, so a
///    reply whose direct parent we never saw still joins);
/// 3. the subject tag `[#N]`, only when [`tag_allowed`]; otherwise the tag is reported in
///    `foreign_tag` so the new ticket can be linked to it.
fn find_thread(
    tx: &WriteTx,
    p: &ParsedMessage,
    secret: &[u8],
    sender: &str,
    ours: &[String],
) -> Result<Found> {
    let ids: Vec<&String> = p
        .in_reply_to
        .iter()
        .chain(p.references.iter().rev())
        .collect();
    for id in &ids {
        if let Some((t, _)) = compose::verify_message_id(secret, id) {
            let number = match tx.get_rec::<MessageRef>(Table::MessageIds, id.as_bytes())? {
                Some(r) => r.ticket,
                None => t,
            };
            if let Some(t) = tx.get_rec::<Ticket>(Table::Tickets, &be(number))? {
                return Ok(Found {
                    ticket: Some(resolve_merged(tx, t)?),
                    foreign_tag: None,
                });
            }
        }
    }
    for id in &ids {
        if let Some(r) = tx.get_rec::<MessageRef>(Table::MessageIds, id.as_bytes())?
            && let Some(t) = tx.get_rec::<Ticket>(Table::Tickets, &be(r.ticket))?
        {
            return Ok(Found {
                ticket: Some(resolve_merged(tx, t)?),
                foreign_tag: None,
            });
        }
    }
    let mut foreign_tag = None;
    for n in tags_in_subject(&p.subject) {
        if let Some(t) = tx.get_rec::<Ticket>(Table::Tickets, &be(n))? {
            let t = resolve_merged(tx, t)?;
            if tag_allowed(tx, &t, sender, ours)? {
                return Ok(Found {
                    ticket: Some(t),
                    foreign_tag: None,
                });
            }
            foreign_tag.get_or_insert(t.number);
        }
    }
    Ok(Found {
        ticket: None,
        foreign_tag,
    })
}

/// The outgoing article a bounce reports on: the original Message-ID inside the DSN (its
/// `message/rfc822` or `text/rfc822-headers` part), then In-Reply-To/References. Only ours
/// counts: an id whose HMAC verifies, or an id stored for an outgoing article (mail we sent,
/// or our own mailbox's mail copied to us).
fn bounced_article(
    tx: &WriteTx,
    p: &ParsedMessage,
    raw: &[u8],
    secret: &[u8],
) -> Result<Option<(u64, u64)>> {
    let inner = dsn_original_message_id(raw);
    let ids = inner
        .iter()
        .chain(p.in_reply_to.iter())
        .chain(p.references.iter().rev());
    for id in ids {
        let verified = compose::verify_message_id(secret, id);
        let stored = tx.get_rec::<MessageRef>(Table::MessageIds, id.as_bytes())?;
        let (t, a) = match (stored, verified) {
            (Some(r), _) => (r.ticket, r.article),
            (None, Some((t, a))) => (t, a),
            (None, None) => continue,
        };
        if let Some(art) = tx.get_rec::<Article>(Table::Articles, &be2(t, a))?
            && art.direction == Direction::Out
        {
            return Ok(Some((t, a)));
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
            // contacts: a name corrected under Art. 16 is not overwritten by mail headers
            if addr.name.is_some() && c.rectified_ms.is_none() {
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
            phone: None,
            organisation: None,
            legal_hold: None,
            rectified_ms: None,
        },
    };
    tx.put_rec(Table::Contacts, key.as_bytes(), &contact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FixedClock;
    use crate::helpdesk::autoreply::MailRulesPatch;
    use crate::helpdesk::settings::{SetupInput, run_setup};
    use crate::helpdesk::tickets;
    use std::sync::Arc;

    const SUPPORT: &str = "support@helpdesk.example.com";
    const AGENT: &str = "agent@helpdesk.example.com";
    const T0: i64 = 1_741_000_000_000;

    struct Fixture {
        app: Arc<App>,
        clock: Arc<FixedClock>,
        _dir: tempfile::TempDir,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::at(T0));
        let app = App::open(&dir.path().join("data"), clock.clone()).unwrap();
        run_setup(
            &app,
            SetupInput {
                org_name: "Hjälpdesken AB".into(),
                admin_email: AGENT.into(),
                admin_password: "Solros-Kaffe-Vinter-42".into(),
                mailboxes: vec![SUPPORT.into(), "it@helpdesk.example.com".into()],
                relay: None,
            },
        )
        .unwrap();
        Fixture {
            app,
            clock,
            _dir: dir,
        }
    }

    fn mail(from: &str, id: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
        format!(
            "Received: from x by y; Mon, 3 Mar 2025 10:00:00 +0100\r\nFrom: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 3 Mar 2025 10:00:00 +0100\r\n{extra}\r\n{body}\r\n"
        )
        .into_bytes()
    }

    fn env(rcpts: &[&str]) -> Envelope {
        Envelope {
            mail_from: "x@example.org".into(),
            rcpt_to: rcpts.iter().map(|s| s.to_string()).collect(),
            peer: "127.0.0.1".into(),
            trace: None,
        }
    }

    fn send(f: &Fixture, raw: &[u8]) -> IngestOutcome {
        ingest(&f.app, raw, &env(&[SUPPORT])).unwrap()
    }

    fn art(f: &Fixture, t: u64, id: u64) -> Article {
        f.app.store.read(|r| tickets::article(r, t, id)).unwrap()
    }

    fn ticket(f: &Fixture, n: u64) -> Ticket {
        f.app.store.read(|r| tickets::get_ticket(r, n)).unwrap()
    }

    fn links(f: &Fixture, n: u64) -> Vec<TicketLink> {
        f.app.store.read(|r| links::links_of(r, n)).unwrap()
    }

    #[test]
    fn our_signed_ids_thread_strongest_and_forgeries_do_not() {
        let f = fixture();
        let a = send(
            &f,
            &mail(
                "Åsa <asa@kommun.example.se>",
                "a1@k",
                "Skrivaren",
                "",
                "hej",
            ),
        );
        assert!(a.created);
        let reply = crate::helpdesk::reply::reply(&f.app, a.ticket, AGENT, "Vi tittar.").unwrap();
        let our_id = art(&f, a.ticket, reply).message_id;
        // A reply naming our id threads even from a new address and with another tag.
        let b = send(
            &f,
            &mail(
                "x@annan.example.org",
                "b1@o",
                "Re: [#999999] ny rubrik",
                &format!("In-Reply-To: <{our_id}>\r\n"),
                "svar",
            ),
        );
        assert_eq!(b.ticket, a.ticket);
        assert!(!b.created);
        // The same shape with a forged MAC is not ours and not stored: a new ticket.
        let forged = format!(
            "{}.{}.0000000000000000@helpdesk.example.com",
            a.ticket, reply
        );
        let c = send(
            &f,
            &mail(
                "x@annan.example.org",
                "c1@o",
                "Re: fråga",
                &format!("In-Reply-To: <{forged}>\r\n"),
                "svar",
            ),
        );
        assert!(c.created);
    }

    #[test]
    fn every_references_id_is_a_thread_key() {
        let f = fixture();
        let a = send(
            &f,
            &mail("anna@firma.example.se", "root@f", "VPN", "", "hej"),
        );
        let b = send(
            &f,
            &mail(
                "bo@annat.example.dk",
                "b@x",
                "SV: VS: VPN",
                "In-Reply-To: <never-seen@x>\r\nReferences: <root@f> <never-seen@x>\r\n",
                "svar",
            ),
        );
        assert_eq!(b.ticket, a.ticket);
    }

    #[test]
    fn subject_tags_only_from_participants_or_their_organisation() {
        let f = fixture();
        let a = send(
            &f,
            &mail("asa@kommun.example.se", "a@k", "Skrivaren", "", "hej"),
        );
        let tag = crate::helpdesk::ticket_tag(a.ticket);
        // The customer herself.
        let own = send(
            &f,
            &mail(
                "asa@kommun.example.se",
                "a2@k",
                &format!("Sv: {tag} Skrivaren"),
                "",
                "igen",
            ),
        );
        assert_eq!(own.ticket, a.ticket);
        // A colleague from the same organisation domain.
        let colleague = send(
            &f,
            &mail(
                "per@kommun.example.se",
                "p@k",
                &format!("Sv: {tag} Skrivaren"),
                "",
                "samma",
            ),
        );
        assert_eq!(colleague.ticket, a.ticket);
        // A stranger: a new ticket, linked for an agent to merge.
        let stranger = send(
            &f,
            &mail(
                "eve@annan.example.org",
                "e@o",
                &format!("{tag} Skrivaren"),
                "",
                "jag med",
            ),
        );
        assert!(stranger.created);
        let s = art(&f, stranger.ticket, stranger.article);
        assert!(s.flags.foreign_tag);
        assert_eq!(links(&f, stranger.ticket)[0].kind, LinkKind::QuotesTagOf);
        assert_eq!(links(&f, a.ticket)[0].kind, LinkKind::TagQuotedBy);

        // Public provider domains do not make colleagues.
        let g = send(&f, &mail("kund@gmail.com", "g@g", "Hjälp", "", "hej"));
        let gtag = crate::helpdesk::ticket_tag(g.ticket);
        let other = send(
            &f,
            &mail(
                "annan@gmail.com",
                "g2@g",
                &format!("Re: {gtag} Hjälp"),
                "",
                "hej",
            ),
        );
        assert!(other.created);
        // Agents may use tags.
        let agent = send(
            &f,
            &mail(AGENT, "ag@h", &format!("{gtag} Hjälp"), "", "notis"),
        );
        assert_eq!(agent.ticket, g.ticket);

        // Merge the stranger's ticket: articles move, later replies to it follow.
        let moved = links::merge(
            &f.app,
            &crate::audit::access::Actor::local(AGENT),
            stranger.ticket,
            a.ticket,
        )
        .unwrap();
        assert_eq!(moved, 1);
        assert_eq!(ticket(&f, stranger.ticket).status, TicketStatus::Closed);
        let after = send(
            &f,
            &mail(
                "eve@annan.example.org",
                "e2@o",
                "Re: x",
                "In-Reply-To: <e@o>\r\n",
                "mer",
            ),
        );
        assert_eq!(after.ticket, a.ticket);
        assert!(
            links::merge(
                &f.app,
                &crate::audit::access::Actor::local(AGENT),
                stranger.ticket,
                a.ticket
            )
            .is_err()
        );
        // Nor can the target be merged back into the ticket that was merged away (a cycle).
        let back = links::merge(
            &f.app,
            &crate::audit::access::Actor::local(AGENT),
            a.ticket,
            stranger.ticket,
        )
        .unwrap_err();
        assert_eq!(
            back.kind,
            crate::error::ErrorKind::Conflict,
            "{}",
            back.message
        );
    }

    #[test]
    fn closed_tickets_reopen_but_not_for_automatic_mail_and_follow_up_after_days() {
        let f = fixture();
        let a = send(
            &f,
            &mail("asa@kommun.example.se", "a@k", "Skrivaren", "", "hej"),
        );
        tickets::set_status(
            &f.app,
            &crate::audit::access::Actor::local("test"),
            a.ticket,
            TicketStatus::Closed,
        )
        .unwrap();
        let auto = send(
            &f,
            &mail(
                "asa@kommun.example.se",
                "ooo@k",
                "Automatiskt svar: Skrivaren",
                "In-Reply-To: <a@k>\r\nAuto-Submitted: auto-replied\r\n",
                "Jag är borta",
            ),
        );
        assert_eq!(auto.ticket, a.ticket);
        assert!(art(&f, a.ticket, auto.article).flags.auto_reply);
        assert_eq!(ticket(&f, a.ticket).status, TicketStatus::Closed);
        let human = send(
            &f,
            &mail(
                "asa@kommun.example.se",
                "r@k",
                "Re: Skrivaren",
                "In-Reply-To: <a@k>\r\n",
                "igen",
            ),
        );
        assert_eq!(human.ticket, a.ticket);
        assert_eq!(ticket(&f, a.ticket).status, TicketStatus::Open);

        crate::helpdesk::autoreply::update(
            &f.app,
            &MailRulesPatch {
                new_ticket_after_days: Some(30),
                ..Default::default()
            },
        )
        .unwrap();
        tickets::set_status(
            &f.app,
            &crate::audit::access::Actor::local("test"),
            a.ticket,
            TicketStatus::Closed,
        )
        .unwrap();
        f.clock.advance(29 * DAY_MS);
        let soon = send(
            &f,
            &mail(
                "asa@kommun.example.se",
                "r2@k",
                "Re: Skrivaren",
                "In-Reply-To: <a@k>\r\n",
                "igen",
            ),
        );
        assert_eq!(soon.ticket, a.ticket);
        tickets::set_status(
            &f.app,
            &crate::audit::access::Actor::local("test"),
            a.ticket,
            TicketStatus::Closed,
        )
        .unwrap();
        f.clock.advance(31 * DAY_MS);
        let late = send(
            &f,
            &mail(
                "asa@kommun.example.se",
                "r3@k",
                "Re: Skrivaren",
                "In-Reply-To: <a@k>\r\n",
                "nu igen",
            ),
        );
        assert!(late.created);
        assert_eq!(links(&f, late.ticket)[0].kind, LinkKind::FollowUpOf);
        assert_eq!(links(&f, late.ticket)[0].other, a.ticket);
        assert_eq!(ticket(&f, a.ticket).status, TicketStatus::Closed);
    }

    #[test]
    fn duplicates_reused_ids_and_two_mailboxes() {
        let f = fixture();
        let raw = mail("anna@firma.example.se", "same@f", "Fråga", "", "första");
        let a = ingest(&f.app, &raw, &env(&[SUPPORT, "it@helpdesk.example.com"])).unwrap();
        // The same message again, with another trace header: a duplicate.
        let mut again = b"Received: from elsewhere\r\n".to_vec();
        again.extend_from_slice(&raw);
        let d = ingest(&f.app, &again, &env(&["it@helpdesk.example.com"])).unwrap();
        assert!(d.duplicate);
        assert_eq!((d.ticket, d.article), (a.ticket, a.article));
        let info: ArticleMail = f
            .app
            .store
            .read(|r| r.get_rec(Table::ArticleMail, &be2(a.ticket, a.article)))
            .unwrap()
            .unwrap();
        assert_eq!(
            info.mailboxes,
            vec![SUPPORT.to_string(), "it@helpdesk.example.com".into()]
        );
        // Same id, different content: a new article, flagged.
        let other = mail(
            "anna@firma.example.se",
            "same@f",
            "Fråga",
            "",
            "helt annan text",
        );
        let v = send(&f, &other);
        assert!(!v.duplicate);
        assert_ne!(v.article, a.article);
        assert!(art(&f, v.ticket, v.article).flags.reused_message_id);
        // …and that variant delivered again is a duplicate of it.
        let v2 = send(&f, &other);
        assert!(v2.duplicate);
        assert_eq!(v2.article, v.article);
        // No Message-ID: a stable synthetic one.
        let none = b"From: a@b.example\r\nSubject: utan id\r\n\r\nx\r\n";
        let n1 = send(&f, none);
        let n2 = send(&f, none);
        assert!(n2.duplicate);
        assert_eq!(n1.article, n2.article);
    }

    fn dsn(original_id: &str, rcpt: &str) -> Vec<u8> {
        format!(
            "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\r\nTo: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-{original_id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nI could not deliver it.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {SUPPORT}\r\nMessage-ID: <{original_id}>\r\nSubject: x\r\n\r\n--b--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn bounces_mark_our_article_failed_and_others_are_only_flagged() {
        let f = fixture();
        let a = send(
            &f,
            &mail("kirsten@firma.example.dk", "k@f", "Konto", "", "hej"),
        );
        let reply = crate::helpdesk::reply::reply(&f.app, a.ticket, AGENT, "Svar").unwrap();
        let our_id = art(&f, a.ticket, reply).message_id;
        let b = send(&f, &dsn(&our_id, "kirsten@firma.example.dk"));
        assert_eq!(b.ticket, a.ticket);
        assert!(!b.created);
        let bounced = art(&f, a.ticket, reply);
        match bounced.delivery {
            Some(Delivery::Failed { reason, .. }) => {
                assert!(reason.contains("kirsten@firma.example.dk"), "{reason}");
                assert!(reason.contains("5.1.1"), "{reason}");
            }
            other => panic!("not failed: {other:?}"),
        }
        let ba = art(&f, a.ticket, b.article);
        assert!(ba.flags.bounce && !ba.flags.bounce_unverified);
        // A bounce of a customer's own (incoming) message acts on nothing.
        let c = send(&f, &dsn("k@f", "kirsten@firma.example.dk"));
        let ca = art(&f, c.ticket, c.article);
        assert!(ca.flags.bounce_unverified);
        assert!(c.created);
        assert_eq!(art(&f, a.ticket, a.article).delivery, None);
    }

    #[test]
    fn auto_ack_follows_rfc_3834_and_the_daily_cap() {
        let f = fixture();
        crate::helpdesk::autoreply::update(
            &f.app,
            &MailRulesPatch {
                autoack: Some(true),
                autoack_lang: Some("sv".into()),
                max_auto_per_day: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
        let a = send(
            &f,
            &mail("Åsa <asa@kommun.example.se>", "a@k", "Skrivaren", "", "hej"),
        );
        let ack = a.auto_ack.expect("acknowledged");
        let ack_art = art(&f, a.ticket, ack);
        assert!(ack_art.flags.automatic);
        assert_eq!(ack_art.direction, Direction::Out);
        assert!(
            ack_art
                .subject
                .contains(&crate::helpdesk::ticket_tag(a.ticket))
        );
        assert!(ack_art.text.contains("Vi har registrerat"));
        let raw = get_blob_of(&f, &ack_art);
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("Auto-Submitted: auto-replied"));
        assert!(text.contains(&format!("X-Loop: {SUPPORT}")));
        let queued = f.app.store.read(crate::mail::outbound::queue::all).unwrap();
        assert!(
            queued
                .iter()
                .any(|q| q.article == ack && q.mail_from.is_empty())
        );
        // A reply to the ack (threaded) gets none; automatic mail gets none.
        for extra in [
            "Auto-Submitted: auto-replied\r\n",
            "Precedence: bulk\r\n",
            "List-Id: <l.example.org>\r\n",
            &format!("X-Loop: {SUPPORT}\r\n"),
            "X-Auto-Response-Suppress: All\r\n",
        ] {
            let o = send(
                &f,
                &mail(
                    "bo@firma.example.se",
                    &format!("{extra}@x"),
                    "Ny",
                    extra,
                    "x",
                ),
            );
            assert!(o.created && o.auto_ack.is_none(), "{extra}");
        }
        let machine = send(
            &f,
            &mail("no-reply@firma.example.se", "nr@x", "Ny", "", "x"),
        );
        assert!(machine.auto_ack.is_none());
        // The daily cap (2) per recipient.
        let second = send(&f, &mail("asa@kommun.example.se", "a2@k", "Annat", "", "x"));
        assert!(second.auto_ack.is_some());
        let third = send(
            &f,
            &mail("asa@kommun.example.se", "a3@k", "Tredje", "", "x"),
        );
        assert!(third.created && third.auto_ack.is_none());
        f.clock.advance(DAY_MS);
        let next_day = send(
            &f,
            &mail("asa@kommun.example.se", "a4@k", "Fjärde", "", "x"),
        );
        assert!(next_day.auto_ack.is_some());
        // Yesterday's counters are gone: one address counted today.
        let rows = f
            .app
            .store
            .read(|r| r.count(Table::AutoReplyCounts))
            .unwrap();
        assert_eq!(rows, 1);
        // Our own ack coming back in is never answered (and threads into its ticket).
        let back = send(&f, &raw);
        assert!(back.auto_ack.is_none());
    }

    fn get_blob_of(f: &Fixture, a: &Article) -> Vec<u8> {
        f.app
            .store
            .read(|r| get_blob(r, a.raw_sha256.as_deref().unwrap()))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn agent_forward_makes_the_original_sender_the_customer() {
        let f = fixture();
        let raw = mail(
            AGENT,
            "fw@h",
            "Fwd: Skrivaren",
            "",
            "Kan ni titta?\r\n\r\n---------- Forwarded message ---------\r\nFrom: Åsa Öberg <asa@kommun.example.se>\r\nDate: Mon, 3 Mar 2025\r\nSubject: Skrivaren\r\n\r\nDen skriver inte.",
        );
        let a = send(&f, &raw);
        let t = ticket(&f, a.ticket);
        assert_eq!(t.customer.address, "asa@kommun.example.se");
        assert_eq!(t.customer.name.as_deref(), Some("Åsa Öberg"));
        assert!(art(&f, a.ticket, a.article).flags.forwarded_by_agent);
        // A customer forwarding something is not an agent.
        let b = send(
            &f,
            &mail(
                "bo@firma.example.se",
                "fw2@f",
                "Fwd: x",
                "",
                "---------- Forwarded message ---------\r\nFrom: c@d.example\r\n",
            ),
        );
        assert_eq!(ticket(&f, b.ticket).customer.address, "bo@firma.example.se");
    }

    #[test]
    fn replies_keep_other_systems_tags_and_carry_outlook_headers() {
        let f = fixture();
        let a = send(
            &f,
            &mail("order@lev.example.com", "o@l", "Leverans", "", "hej"),
        );
        let tag = crate::helpdesk::ticket_tag(a.ticket);
        send(
            &f,
            &mail(
                "order@lev.example.com",
                "o2@l",
                &format!("AW: {tag} Leverans [SUP-4471]"),
                "In-Reply-To: <o@l>\r\nThread-Index: AdmNq0wAAAAAAAAAAAAAAAAAAAAAAA==\r\n",
                "Ihr Vorgang",
            ),
        );
        let r = crate::helpdesk::reply::reply(&f.app, a.ticket, AGENT, "Tack").unwrap();
        let out = art(&f, a.ticket, r);
        assert_eq!(out.subject, format!("{tag} Leverans [SUP-4471]"));
        let raw = get_blob_of(&f, &out);
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("Thread-Topic: Leverans"), "{text}");
        let index = crate::mail::rules::raw_header(&raw, "thread-index").unwrap();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let child = b64.decode(&index).unwrap();
        let parent = b64.decode("AdmNq0wAAAAAAAAAAAAAAAAAAAAAAA==").unwrap();
        assert_eq!(child.len(), 27, "one child block");
        assert_eq!(&child[..22], &parent[..]);
        assert!(text.contains("X-Loop: support@helpdesk.example.com"));
    }

    // gdpr
    #[test]
    fn national_ids_raise_the_classification_of_new_and_existing_tickets_never_lower() {
        use crate::gdpr::classification::Classification;
        use crate::helpdesk::ticket_tag;
        let f = fixture();
        let a = send(
            &f,
            &mail("Åsa <asa@kommun.example.se>", "c1@k", "Lön", "", "hej"),
        );
        assert_eq!(
            ticket(&f, a.ticket).classification,
            Classification::Internal
        );
        // A follow-up with a personnummer raises it.
        let b = send(
            &f,
            &mail(
                "Åsa <asa@kommun.example.se>",
                "c2@k",
                &format!("Re: {} Lön", ticket_tag(a.ticket)),
                "",
                "Mitt personnummer är 811218-9876.",
            ),
        );
        assert_eq!(b.ticket, a.ticket);
        assert_eq!(
            ticket(&f, a.ticket).classification,
            Classification::Confidential
        );
        // A sensitive ticket stays sensitive; a file name alone counts; look-alikes do not.
        let c = send(
            &f,
            &mail(
                "Bo <bo@kommun.example.se>",
                "c3@k",
                "Ordre nr. 150310-4321",
                "",
                "ring 12345678",
            ),
        );
        assert_eq!(
            ticket(&f, c.ticket).classification,
            Classification::Internal
        );
        f.app
            .store
            .write(T0, |tx| {
                let mut t = tickets::get_ticket(tx, a.ticket)?;
                t.classification = Classification::Sensitive;
                tx.put_rec(Table::Tickets, &be(a.ticket), &t)
            })
            .unwrap();
        let attach = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n";
        let body = "--b\r\nContent-Type: text/plain\r\n\r\nse bilaga\r\n--b\r\n\
            Content-Type: application/pdf\r\n\
            Content-Disposition: attachment; filename=\"CV_811218-9876.pdf\"\r\n\r\nPDF\r\n--b--";
        for (id, n) in [("c4@k", a.ticket), ("c5@k", c.ticket)] {
            send(
                &f,
                &mail(
                    if n == a.ticket {
                        "Åsa <asa@kommun.example.se>"
                    } else {
                        "Bo <bo@kommun.example.se>"
                    },
                    id,
                    &format!("Re: {} x", ticket_tag(n)),
                    attach,
                    body,
                ),
            );
        }
        assert_eq!(
            ticket(&f, a.ticket).classification,
            Classification::Sensitive
        );
        assert_eq!(
            ticket(&f, c.ticket).classification,
            Classification::Confidential
        );
    }
}
