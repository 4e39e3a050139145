//! Data-subject requests: find everything that concerns one person, and export it
//! (GDPR Art. 15 right of access, Art. 20 right to data portability).
//!
//! A person is identified by an e-mail address, a phone number or a national identity
//! number ([`Identity`]). Matching is deliberately generous (a false match costs an agent a
//! look; a miss breaks the law) and every match says why it matched, so the agent can review
//! the result before it is sent or erased.

use std::collections::BTreeMap;
use std::io::{Seek, Write};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::gdpr::consent::{self, Consent};
use crate::gdpr::national_id;
use crate::helpdesk::model::{Article, Contact, Delivery, MailAddress, Ticket};
use crate::store::codec::decode;
use crate::store::{Reader, Table};

/// How the data subject is identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Lower-case e-mail address.
    Email(String),
    /// The last eight digits of a phone number (see [`Identity::phone`]).
    Phone(String),
    /// A national identity number as ten digits (`YYMMDDNNNC` / `DDMMYYSSSS`).
    NationalId(String),
}

impl Identity {
    /// An e-mail address. Errors: `Invalid` if it is not one.
    pub fn email(s: &str) -> Result<Identity> {
        Ok(Identity::Email(
            crate::helpdesk::settings::normalise_address("email", s)?,
        ))
    }

    /// A phone number in any common writing (`+46 70-123 45 67`, `0045 12345678`). It is
    /// matched on its last eight digits, which are the whole subscriber number in Denmark
    /// and cover the Swedish number without trunk prefix and country code. Errors: `Invalid`
    /// for fewer than eight digits.
    pub fn phone(s: &str) -> Result<Identity> {
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 8 || s.chars().any(|c| c.is_alphabetic()) {
            return Err(Error::invalid(format!(
                "phone: {s:?} is not a phone number with at least 8 digits"
            )));
        }
        Ok(Identity::Phone(digits[digits.len() - 8..].to_string()))
    }

    /// A Danish CPR or Swedish personnummer/samordningsnummer, with or without separator
    /// or century. Errors: `Invalid` if it is not a valid one ([`national_id`]).
    ///
    /// A single space between the date part (6 or 8 digits) and the last four digits is
    /// read as the usual `-` (`811218 9876`, `19811218 9876`): the spelling of space-split
    /// groups that [`find`] also matches.
    pub fn national_id(s: &str, today: jiff::civil::Date) -> Result<Identity> {
        let t = space_to_dash(s.trim());
        let t = t.as_str();
        let labelled = format!("personnummer {t}");
        let found = national_id::find(&labelled, today);
        match found.as_slice() {
            [f] if f.end == labelled.len() && f.start == "personnummer ".len() => {
                Ok(Identity::NationalId(ten_digits(t)))
            }
            _ => Err(Error::invalid(format!(
                "national id: {s:?} is not a valid CPR number or personnummer"
            ))),
        }
    }

    /// Short description for reports ("e-mail anna@example.se", "phone …45 67 89 01").
    pub fn describe(&self) -> String {
        match self {
            Identity::Email(e) => format!("e-mail address {e}"),
            Identity::Phone(p) => format!("phone number ending {p}"),
            Identity::NationalId(_) => "national identity number".to_string(),
        }
    }
}

/// `YYMMDD NNNN` / `YYYYMMDD NNNN` (one space) as `YYMMDD-NNNN` / `YYYYMMDD-NNNN`;
/// anything else unchanged.
fn space_to_dash(t: &str) -> String {
    if let Some((date, tail)) = t.split_once(' ')
        && matches!(date.len(), 6 | 8)
        && tail.len() == 4
        && date.bytes().chain(tail.bytes()).all(|b| b.is_ascii_digit())
    {
        format!("{date}-{tail}")
    } else {
        t.to_string()
    }
}

/// The ten digits of a national id (drops separators and a 12-digit form's century).
fn ten_digits(s: &str) -> String {
    let d: String = s.chars().filter(char::is_ascii_digit).collect();
    if d.len() == 12 { d[2..].to_string() } else { d }
}

/// Why an article concerns the data subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Reason {
    /// The subject is the ticket's customer.
    Customer,
    /// The subject sent it, or was a recipient (To, Cc, Reply-To).
    Address,
    /// The subject's address, phone number or national id appears in the text.
    Mentioned,
    /// For an e-mail subject: one of their known full names ([`KnownData`]: at least two
    /// words) appears in the text, though their address does not.
    MentionedByName,
    /// For an e-mail subject: their known phone number (contact record) appears in the
    /// text, matched on its last eight digits like a phone search.
    MentionedByPhone,
}

impl Reason {
    /// Stable machine name (`reason_codes` in the export): `customer`, `address`,
    /// `mentioned`, `mentioned_by_name`, `mentioned_by_phone`.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Customer => "customer",
            Reason::Address => "address",
            Reason::Mentioned => "mentioned",
            Reason::MentionedByName => "mentioned_by_name",
            Reason::MentionedByPhone => "mentioned_by_phone",
        }
    }

    /// Readable English wording for the export and its summary (Art. 12(1): intelligible
    /// form). For one message, [`article_reasons`] tells sender from recipient.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Customer => "customer of the ticket",
            Reason::Address => "sender or recipient of a message",
            Reason::Mentioned => "mentioned in the text",
            Reason::MentionedByName => "mentioned by name",
            Reason::MentionedByPhone => "mentioned by phone",
        }
    }
}

/// Why one article concerns the subject, readable: `sender`, `recipient`, `mentioned in
/// the text`.
pub fn article_reasons(a: &Article, why: &[Reason], id: &Identity) -> Vec<&'static str> {
    let mut out = Vec::new();
    for r in why {
        match (r, id) {
            (Reason::Address, Identity::Email(e)) => {
                if address_is(&a.from, e) || a.reply_to.as_ref().is_some_and(|x| address_is(x, e)) {
                    out.push("sender");
                }
                if a.to.iter().chain(&a.cc).any(|x| address_is(x, e)) {
                    out.push("recipient");
                }
            }
            _ => out.push(r.describe()),
        }
    }
    out.dedup();
    out
}

/// One ticket that concerns the data subject, with the articles and why.
#[derive(Debug, Clone, Serialize)]
pub struct TicketMatch {
    pub ticket: Ticket,
    /// Every article of the ticket, and for those that match, why.
    pub articles: Vec<(Article, Vec<Reason>)>,
    pub reasons: Vec<Reason>,
}

/// Everything trygg holds about one data subject.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectData {
    pub contacts: Vec<Contact>,
    pub tickets: Vec<TicketMatch>,
    pub consents: Vec<Consent>,
}

impl SubjectData {
    /// What an export hands out (Art. 15, 20): the subject's own tickets (they are the
    /// customer) whole; of other tickets only the articles that concern them (non-empty
    /// reasons), since the rest is other people's data (Art. 15(4)).
    pub fn for_export(&self) -> SubjectData {
        let mut out = self.clone();
        for t in &mut out.tickets {
            if !t.reasons.contains(&Reason::Customer) {
                t.articles.retain(|(_, why)| !why.is_empty());
            }
        }
        out
    }

    /// `(tickets, articles, attachments, contacts, consents)`.
    pub fn counts(&self) -> (usize, usize, usize, usize, usize) {
        let articles = self.tickets.iter().map(|t| t.articles.len()).sum();
        let attachments = self
            .tickets
            .iter()
            .flat_map(|t| &t.articles)
            .map(|(a, _)| a.attachments.len())
            .sum();
        (
            self.tickets.len(),
            articles,
            attachments,
            self.contacts.len(),
            self.consents.len(),
        )
    }
}

/// Deletes every quarantined mail whose sender, subject or raw message names `id` (or, for
/// an e-mail subject, one of their known full names or phone numbers, `known`).
fn erase_quarantined(
    tx: &mut crate::store::WriteTx,
    id: &Identity,
    known: &KnownData,
    today: jiff::civil::Date,
) -> Result<u64> {
    use crate::mail::inbound::imap::QuarantineItem;
    let mut n = 0;
    for (k, v) in tx.scan(Table::Quarantine, &[], false, usize::MAX)? {
        let q: QuarantineItem = crate::store::codec::decode(&v)?;
        let raw = tx.get(Table::QuarantineRaw, &k)?.unwrap_or_default();
        let raw = String::from_utf8_lossy(&raw);
        // Also by the e-mail subject's known full names and phone numbers, as `find` does.
        let named = [q.from.as_str(), q.subject.as_str(), &raw].iter().any(|t| {
            text_mentions(id, t, today) || known.names_full_name(t) || known.names_phone(t, today)
        });
        if named {
            tx.delete(Table::Quarantine, &k)?;
            tx.delete(Table::QuarantineRaw, &k)?;
            n += 1;
        }
    }
    Ok(n)
}

fn address_is(a: &MailAddress, email: &str) -> bool {
    a.address.eq_ignore_ascii_case(email)
}

fn text_mentions(id: &Identity, text: &str, _today: jiff::civil::Date) -> bool {
    match id {
        Identity::Email(e) => text.to_lowercase().contains(e.as_str()),
        Identity::Phone(p) => phone_runs(text).any(|run| run.ends_with(p.as_str())),
        Identity::NationalId(n) => !national_id_spans(text, n).is_empty(),
    }
}

/// Byte spans of `text` where the known national id `n` (ten digits) is written, in any
/// spelling: `YYMMDD-NNNN`, `YYMMDD+NNNN`, `YYYYMMDD-NNNN`, ten or twelve digits in a row,
/// or digit groups split by spaces, `-` or `+` (at most three such characters between two
/// digits). Unlike [`national_id::find`], no label or look-alike rule applies: those rules
/// guard the detection of *unknown* numbers against order and phone numbers, while a
/// request naming this exact number must find every occurrence of it (Art. 15, 17).
/// A twelve-digit form needs century 18, 19 or 20; digits right before or after the
/// number make it part of a longer one, not a match.
fn national_id_spans(text: &str, n: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let is_sep = |c: char| matches!(c, ' ' | '-' | '+' | '\u{a0}' | '\t');
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].1.is_ascii_digit() && (i == 0 || !chars[i - 1].1.is_ascii_digit());
        if !starts {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        let mut seps = 0;
        let mut j = i;
        let mut found = None;
        while j < chars.len() && digits.len() < 12 {
            let c = chars[j].1;
            if c.is_ascii_digit() {
                digits.push(c);
                seps = 0;
                let next_is_digit = chars.get(j + 1).is_some_and(|(_, d)| d.is_ascii_digit());
                let hit = match digits.len() {
                    10 => digits == n,
                    12 => matches!(&digits[..2], "18" | "19" | "20") && &digits[2..] == n,
                    _ => false,
                };
                if hit && !next_is_digit {
                    found = Some((chars[i].0, chars[j].0 + 1, j + 1));
                    break;
                }
            } else if is_sep(c) && seps < 3 {
                seps += 1;
            } else {
                break;
            }
            j += 1;
        }
        match found {
            Some((start, end, next)) => {
                out.push((start, end));
                i = next;
            }
            None => i += 1,
        }
    }
    out
}

/// Digit runs in `text` that may be phone numbers: digits joined by spaces, `-`, `.`, `/`
/// or parentheses, at least eight digits long.
fn phone_runs(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut runs = Vec::new();
    let mut cur = String::new();
    let mut gap = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            cur.push(c);
            gap = 0;
        } else if matches!(c, ' ' | '-' | '.' | '/' | '(' | ')' | '+') && gap < 2 && !cur.is_empty()
        {
            gap += 1;
        } else {
            if cur.len() >= 8 {
                runs.push(std::mem::take(&mut cur));
            }
            cur.clear();
            gap = 0;
        }
    }
    if cur.len() >= 8 {
        runs.push(cur);
    }
    runs.into_iter()
}

/// Finds every contact, ticket, article and consent concerning `id`. A ticket concerns the
/// subject when they are its customer, or an article of it was from/to them or mentions
/// them; the whole ticket is returned (the context is the subject's data too, Art. 15(3)),
/// with per-article reasons. `today` bounds national-id birth dates.
pub fn find(r: &impl Reader, id: &Identity, today: jiff::civil::Date) -> Result<SubjectData> {
    let mut contacts = Vec::new();
    let mut consents = Vec::new();
    if let Identity::Email(e) = id {
        if let Some(c) = r.get_rec::<Contact>(Table::Contacts, e.as_bytes())? {
            contacts.push(c);
        }
        consents = consent::history(r, e)?;
    }
    let all: Vec<Article> = r
        .scan(Table::Articles, &[], false, usize::MAX)?
        .into_iter()
        .map(|(_, v)| decode(&v))
        .collect::<Result<_>>()?;
    // An e-mail subject is also found by their known full names and phone numbers.
    let known = match id {
        Identity::Email(e) => KnownData::collect(e, &contacts, all.iter()),
        _ => KnownData::default(),
    };
    // Grouped by ticket.
    let mut by_ticket: BTreeMap<u64, Vec<(Article, Vec<Reason>)>> = BTreeMap::new();
    for a in all {
        let mut why = Vec::new();
        if let Identity::Email(e) = id {
            let addressed = address_is(&a.from, e)
                || a.reply_to.as_ref().is_some_and(|x| address_is(x, e))
                || a.to.iter().chain(&a.cc).any(|x| address_is(x, e));
            if addressed {
                why.push(Reason::Address);
            }
        }
        let names: String = a
            .attachments
            .iter()
            .map(|x| x.filename.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let html = a.html.as_deref().unwrap_or("");
        let body = format!("{}\n{}\n{}\n{}", a.subject, a.text, html, names);
        // The HTML also as rendered: markup may split a number (`<b>811218</b>-9876`).
        if text_mentions(id, &body, today)
            || (!html.is_empty()
                && text_mentions(id, &crate::mail::inbound::parse::html_to_text(html), today))
        {
            why.push(Reason::Mentioned);
        }
        let rendered = if html.is_empty() || known.is_empty() {
            String::new()
        } else {
            crate::mail::inbound::parse::html_to_text(html)
        };
        if known.names_full_name(&body) || known.names_full_name(&rendered) {
            why.push(Reason::MentionedByName);
        }
        if known.names_phone(&body, today) || known.names_phone(&rendered, today) {
            why.push(Reason::MentionedByPhone);
        }
        by_ticket.entry(a.ticket).or_default().push((a, why));
    }
    let mut tickets = Vec::new();
    for (number, articles) in by_ticket {
        let Some(ticket) = r.get_rec::<Ticket>(Table::Tickets, &crate::store::codec::be(number))?
        else {
            continue;
        };
        let mut reasons: Vec<Reason> = articles.iter().flat_map(|(_, w)| w.clone()).collect();
        if let Identity::Email(e) = id
            && (address_is(&ticket.customer, e) || ticket.participants.iter().any(|p| p == e))
        {
            reasons.push(Reason::Customer);
        }
        reasons.sort();
        reasons.dedup();
        if !reasons.is_empty() {
            tickets.push(TicketMatch {
                ticket,
                articles,
                reasons,
            });
        }
    }
    Ok(SubjectData {
        contacts,
        tickets,
        consents,
    })
}

/// What [`export`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub tickets: usize,
    pub articles: usize,
    pub attachments: usize,
    pub contacts: usize,
    pub consents: usize,
    /// Bytes of the archive.
    pub bytes: u64,
}

/// Keeps a file name safe inside an archive: no directories, no control characters.
fn safe_name(s: &str) -> String {
    let n: String = s
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let n = n.trim_matches(['.', ' ']).to_string();
    if n.is_empty() {
        "file".to_string()
    } else {
        n.chars().take(120).collect()
    }
}

/// Writes the subject's data as a ZIP archive: `data.json` (machine-readable, Art. 20),
/// `summary.txt` (readable, Art. 15), `attachments/<ticket>-<article>-<n>-<name>` and
/// `messages/<ticket>-<article>.eml` (the raw mails). `org` names the controller.
/// Errors: `Internal` when a referenced blob is missing or the writer fails.
pub fn export<W: Write + Seek>(
    r: &impl Reader,
    data: &SubjectData,
    id: &Identity,
    org: &str,
    generated_ms: i64,
    out: W,
) -> Result<ExportReport> {
    let data = &data.for_export();
    let mut zip = zip::ZipWriter::new(out);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    let zerr =
        |e: zip::result::ZipError| Error::internal(format!("writing the export archive: {e}"));
    let mut files: Vec<serde_json::Value> = Vec::new();
    for t in &data.tickets {
        for (a, _) in &t.articles {
            for (i, att) in a.attachments.iter().enumerate() {
                let path = format!(
                    "attachments/{}-{}-{}-{}",
                    t.ticket.number,
                    a.id,
                    i + 1,
                    safe_name(&att.filename)
                );
                let bytes =
                    crate::helpdesk::ingest::get_blob(r, &att.sha256)?.ok_or_else(|| {
                        Error::internal(format!("attachment blob {} is missing", att.sha256))
                    })?;
                zip.start_file(path.as_str(), opts).map_err(zerr)?;
                zip.write_all(&bytes)?;
                files.push(serde_json::json!({
                    "ticket": t.ticket.number, "article": a.id, "filename": att.filename,
                    "content_type": att.content_type, "size": att.size, "sha256": att.sha256,
                    "path": path,
                }));
            }
            if let Some(sha) = &a.raw_sha256
                && let Some(raw) = crate::helpdesk::ingest::get_blob(r, sha)?
            {
                zip.start_file(format!("messages/{}-{}.eml", t.ticket.number, a.id), opts)
                    .map_err(zerr)?;
                zip.write_all(&raw)?;
            }
        }
    }
    let json = serde_json::json!({
        "format": "trygg-subject-export/1",
        "controller": org,
        "generated": crate::helpdesk::tickets::rfc3339(generated_ms),
        "subject": id.describe(),
        "contacts": data.contacts,
        "consents": data.consents,
        "tickets": data.tickets.iter().map(|t| serde_json::json!({
            "ticket": t.ticket,
            "reasons": t.reasons.iter().map(|r| r.describe()).collect::<Vec<_>>(),
            "reason_codes": t.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
            "articles": t.articles.iter().map(|(a, why)| serde_json::json!({
                "article": a,
                "reasons": article_reasons(a, why, id),
                "reason_codes": why.iter().map(|r| r.code()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "attachments": files,
    });
    zip.start_file("data.json", opts).map_err(zerr)?;
    zip.write_all(&serde_json::to_vec_pretty(&json)?)?;
    zip.start_file("summary.txt", opts).map_err(zerr)?;
    zip.write_all(summary(data, id, org, generated_ms).as_bytes())?;
    let mut w = zip.finish().map_err(zerr)?;
    let bytes = w.stream_position()?;
    let (tickets, articles, attachments, contacts, consents) = data.counts();
    Ok(ExportReport {
        tickets,
        articles,
        attachments,
        contacts,
        consents,
        bytes,
    })
}

/// The readable summary for the data subject (Art. 15(1): what is held and where from).
pub fn summary(data: &SubjectData, id: &Identity, org: &str, generated_ms: i64) -> String {
    use std::fmt::Write as _;
    let (tickets, articles, attachments, contacts, consents) = data.counts();
    let mut s = String::new();
    let _ = writeln!(s, "Personal data held by {org}");
    let _ = writeln!(
        s,
        "Generated {}",
        crate::helpdesk::tickets::rfc3339(generated_ms)
    );
    let _ = writeln!(s, "Data subject identified by: {}\n", id.describe());
    let _ = writeln!(
        s,
        "{} with {} and {}, {} and {}.\n",
        crate::gdpr::count(tickets, "support ticket", "support tickets"),
        crate::gdpr::count(articles, "message", "messages"),
        crate::gdpr::count(attachments, "attachment", "attachments"),
        crate::gdpr::count(contacts, "contact record", "contact records"),
        crate::gdpr::count(consents, "consent record", "consent records"),
    );
    for c in &data.contacts {
        let _ = writeln!(
            s,
            "Contact: {} {} (first seen {})",
            c.name.as_deref().unwrap_or(""),
            c.address,
            crate::helpdesk::tickets::rfc3339(c.created_ms)
        );
    }
    for c in &data.consents {
        let state = match &c.withdrawn {
            Some(w) => format!("withdrawn {}", crate::helpdesk::tickets::rfc3339(w.at_ms)),
            None => "in force".to_string(),
        };
        let _ = writeln!(
            s,
            "Consent to \"{}\", given {} by {} ({state}). Wording: {}",
            c.purpose,
            crate::helpdesk::tickets::rfc3339(c.given_ms),
            c.channel.as_str(),
            c.wording
        );
    }
    for t in &data.tickets {
        let _ = writeln!(
            s,
            "\nTicket {} \"{}\" opened {}, {}; {}. You appear as: {}",
            crate::helpdesk::ticket_tag(t.ticket.number),
            t.ticket.subject,
            crate::helpdesk::tickets::rfc3339(t.ticket.created_ms),
            t.ticket.status.as_str(),
            crate::gdpr::count(t.articles.len(), "message", "messages"),
            t.reasons
                .iter()
                .map(|r| r.describe())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (a, why) in &t.articles {
            let why = article_reasons(a, why, id);
            let _ = writeln!(
                s,
                "  {} {} from {}: {}{}",
                crate::helpdesk::tickets::rfc3339(a.created_ms),
                if a.direction == crate::helpdesk::model::Direction::In {
                    "received"
                } else {
                    "sent"
                },
                a.from.address,
                a.subject,
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", why.join(", "))
                }
            );
        }
    }
    let _ = writeln!(
        s,
        "\nThe file data.json holds the same data in machine-readable form (GDPR Art. 20);\n\
         attachments/ and messages/ hold the files and the original e-mails."
    );
    s
}

/// What erasing a data subject will do ([`plan_erasure`]): shown to the admin as the
/// preview before they confirm (Art. 17; Art. 12(3) asks for a reply without undue delay,
/// not without a check).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErasurePlan {
    /// Tickets the subject is the customer of: deleted with their articles and files.
    pub delete_tickets: Vec<u64>,
    /// Other tickets where the subject appears: their address, phone number or national id
    /// (every spelling of it) is replaced by a placeholder in the articles that name them,
    /// for an e-mail subject also their known names and phone numbers, and those articles'
    /// raw messages are removed; mail to them still queued there is cancelled.
    pub redact_tickets: Vec<u64>,
    pub articles_redacted: usize,
    pub contacts: usize,
    pub consents: usize,
    /// Legal holds that block the erasure (Art. 17(3)(e)), one line each: `contact ADDRESS:
    /// REASON` or `ticket NUMBER: REASON`. Empty when the erasure may proceed.
    pub holds: Vec<String>,
}

/// Splits what [`find`] returned into deletions and redactions.
pub fn plan_erasure(data: &SubjectData) -> ErasurePlan {
    let mut plan = ErasurePlan {
        contacts: data.contacts.len(),
        consents: data.consents.len(),
        ..ErasurePlan::default()
    };
    for c in &data.contacts {
        if let Some(h) = &c.legal_hold {
            plan.holds
                .push(format!("contact {}: {}", c.address, h.reason));
        }
    }
    for t in &data.tickets {
        if let Some(h) = &t.ticket.legal_hold {
            plan.holds
                .push(format!("ticket {}: {}", t.ticket.number, h.reason));
        }
        if t.reasons.contains(&Reason::Customer) {
            plan.delete_tickets.push(t.ticket.number);
        } else {
            plan.redact_tickets.push(t.ticket.number);
            plan.articles_redacted += t.articles.iter().filter(|(_, w)| !w.is_empty()).count();
        }
    }
    plan
}

/// Replaces every occurrence of the subject in `text` with [`crate::gdpr::erase::PLACEHOLDER`].
/// A national id is matched in every spelling of the exact number ([`national_id_spans`]);
/// `_today` is kept for callers and unused.
pub fn redact_text(id: &Identity, text: &str, _today: jiff::civil::Date) -> String {
    let ph = crate::gdpr::erase::PLACEHOLDER;
    match id {
        Identity::Email(e) => replace_ci(text, e, ph, false),
        Identity::NationalId(n) => {
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            for (start, end) in national_id_spans(text, n) {
                out.push_str(&text[last..start]);
                out.push_str(ph);
                last = end;
            }
            out.push_str(&text[last..]);
            out
        }
        Identity::Phone(p) => {
            // Walk the text again with the same run rules as `phone_runs`, by char index.
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            let mut i = 0;
            while i < chars.len() {
                if !chars[i].1.is_ascii_digit() {
                    i += 1;
                    continue;
                }
                let start = chars[i].0;
                let mut digits = String::new();
                let mut j = i;
                let mut end = start;
                let mut gap = 0;
                while j < chars.len() {
                    let c = chars[j].1;
                    if c.is_ascii_digit() {
                        digits.push(c);
                        gap = 0;
                        end = chars[j].0 + 1;
                    } else if matches!(c, ' ' | '-' | '.' | '/' | '(' | ')' | '+') && gap < 2 {
                        gap += 1;
                    } else {
                        break;
                    }
                    j += 1;
                }
                if digits.len() >= 8 && digits.ends_with(p.as_str()) {
                    // Take a leading `+` of a country code along.
                    let s = if start > 0 && text.as_bytes()[start - 1] == b'+' {
                        start - 1
                    } else {
                        start
                    };
                    out.push_str(&text[last..s.max(last)]);
                    out.push_str(ph);
                    last = end;
                }
                i = j.max(i + 1);
            }
            out.push_str(&text[last..]);
            out
        }
    }
}

/// Replaces every case-insensitive occurrence of `needle` (lower case) in `text` with
/// `ph`; with `whole_words`, only where no letter or digit touches it on either side, and
/// any run of whitespace matches the single space between two words ([`name_spans`]).
fn replace_ci(text: &str, needle: &str, ph: &str, whole_words: bool) -> String {
    if needle.is_empty() {
        return text.to_string();
    }
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; only then fall back.
    let (hay, src) = if lower.len() == text.len() {
        (lower.as_str(), text)
    } else {
        (lower.as_str(), lower.as_str())
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let spans = if whole_words {
        name_spans(hay, needle)
    } else {
        hay.match_indices(needle)
            .map(|(i, _)| (i, i + needle.len()))
            .collect()
    };
    for (i, end) in spans {
        if i < last {
            continue;
        }
        out.push_str(&src[last..i]);
        out.push_str(ph);
        last = end;
    }
    out.push_str(&src[last..]);
    out
}

/// Words that, alone, name a role or a mailbox rather than a person: never redacted as
/// a name ([`redactable_name`]).
const GENERIC_NAMES: &[&str] = &[
    "support",
    "info",
    "admin",
    "kontakt",
    "contact",
    "kund",
    "kunde",
    "customer",
    "service",
    "kundservice",
    "kundeservice",
    "sales",
    "salg",
    "noreply",
    "no-reply",
    "team",
    "office",
    "kontor",
    "helpdesk",
    "user",
    "mail",
    "post",
    "reception",
    "ekonomi",
    "økonomi",
    "faktura",
    "invoice",
    "billing",
];

/// The display name `name`, trimmed of quotes and spaces, if it is specific enough to
/// redact wherever it appears in a kept ticket: at least 4 characters, and not a single
/// generic word ([`GENERIC_NAMES`]). A short name ("Bo", "Li") would hit unrelated words and
/// other people; a generic word is not the person's name. Single given names of 4+ letters
/// ("Erik") are redacted: in an erasure a redacted namesake costs less than a leak.
fn redactable_name(name: &str) -> Option<String> {
    let n = name.trim().trim_matches(['"', '\'', ' ']).trim();
    let lower = n.to_lowercase();
    if n.chars().count() < 4 || n.contains('@') {
        return None;
    }
    if !lower.contains(char::is_whitespace) && GENERIC_NAMES.contains(&lower.as_str()) {
        return None;
    }
    Some(lower)
}

/// Whether the (lower-case) name is specific enough to *search* for: at least two words of
/// at least two letters each, and at least 8 characters in all ("Alice Lindqvist", not
/// "Bo Li" or "Alice"). A full name is rarely shared by an unrelated person mentioned in the
/// same help desk; a given name often is.
fn is_full_name(name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    words.len() >= 2
        && words
            .iter()
            .all(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        && name.chars().count() >= 8
}

/// Byte spans in `hay` (lower case) where `name` (lower case) stands as whole words: no
/// letter or digit touching either end, any run of whitespace (line breaks too) between
/// its words.
fn name_spans(hay: &str, name: &str) -> Vec<(usize, usize)> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let Some((first, rest)) = words.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    'next: for (i, _) in hay.match_indices(first) {
        if hay[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        let mut pos = i + first.len();
        for w in rest {
            let tail = &hay[pos..];
            let trimmed = tail.trim_start();
            if trimmed.len() == tail.len() || !trimmed.starts_with(w) {
                continue 'next;
            }
            pos += tail.len() - trimmed.len() + w.len();
        }
        if hay[pos..].chars().next().is_some_and(char::is_alphanumeric) {
            continue;
        }
        out.push((i, pos));
    }
    out
}

/// What else identifies an e-mail subject in the tickets that are kept (Art. 17): the
/// names they are known by and their phone numbers.
#[derive(Debug, Default)]
struct KnownData {
    /// Lower-case names, longest first (a full name before its parts).
    names: Vec<String>,
    /// Phone identities (last eight digits).
    phones: Vec<Identity>,
}

impl KnownData {
    /// From the contact record (name, phone) and every display name used with `email` in
    /// From, Reply-To, To or Cc of any article found.
    fn of(email: &str, data: &SubjectData) -> KnownData {
        let articles = data
            .tickets
            .iter()
            .flat_map(|t| &t.articles)
            .map(|(a, _)| a);
        KnownData::collect(email, &data.contacts, articles)
    }

    /// From the `contacts` (name, phone) and every display name used with `email` in From,
    /// Reply-To, To or Cc of `articles`.
    fn collect<'a>(
        email: &str,
        contacts: &[Contact],
        articles: impl Iterator<Item = &'a Article>,
    ) -> KnownData {
        let mut names = Vec::new();
        let mut phones = Vec::new();
        for c in contacts {
            names.extend(c.name.as_deref().and_then(redactable_name));
            if let Some(p) = c.phone.as_deref().and_then(|p| Identity::phone(p).ok())
                && !phones.contains(&p)
            {
                phones.push(p);
            }
        }
        for a in articles {
            for addr in std::iter::once(&a.from)
                .chain(&a.reply_to)
                .chain(&a.to)
                .chain(&a.cc)
            {
                if address_is(addr, email) {
                    names.extend(addr.name.as_deref().and_then(redactable_name));
                }
            }
        }
        names.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        names.dedup();
        KnownData { names, phones }
    }

    /// `text` with the names and phone numbers replaced by the placeholder.
    fn redact(&self, text: &str, today: jiff::civil::Date) -> String {
        let ph = crate::gdpr::erase::PLACEHOLDER;
        let mut t = text.to_string();
        for n in &self.names {
            t = replace_ci(&t, n, ph, true);
        }
        for p in &self.phones {
            t = redact_text(p, &t, today);
        }
        t
    }

    /// Whether `text` still holds a name or phone number.
    fn mentioned(&self, text: &str, today: jiff::civil::Date) -> bool {
        self.redact(text, today) != text
    }

    /// Whether there is no name and no phone number to look for.
    fn is_empty(&self) -> bool {
        self.names.is_empty() && self.phones.is_empty()
    }

    /// Whether `text` names one of the known *full* names ([`is_full_name`]), as whole
    /// words, case-insensitive, any whitespace between the words. Single given names are
    /// not searched for: too many namesakes; they are only redacted in articles found
    /// otherwise.
    fn names_full_name(&self, text: &str) -> bool {
        if self.names.is_empty() {
            return false;
        }
        let hay = text.to_lowercase();
        self.names
            .iter()
            .filter(|n| is_full_name(n))
            .any(|n| !name_spans(&hay, n).is_empty())
    }

    /// Whether `text` holds one of the known phone numbers (last eight digits).
    fn names_phone(&self, text: &str, today: jiff::civil::Date) -> bool {
        self.phones.iter().any(|p| text_mentions(p, text, today))
    }
}

/// Redacts `html` for `id` and `known`; if the subject still shows in the text the HTML
/// renders to (digits split by markup: `<b>811218</b>-9876`), the HTML is dropped and
/// `None` returned, so only the redacted plain text remains.
fn redact_html(
    id: &Identity,
    known: &KnownData,
    html: &str,
    today: jiff::civil::Date,
) -> Option<String> {
    let h = known.redact(&redact_text(id, html, today), today);
    let rendered = crate::mail::inbound::parse::html_to_text(&h);
    if text_mentions(id, &rendered, today) || known.mentioned(&rendered, today) {
        None
    } else {
        Some(h)
    }
}

/// What [`erase`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErasureReport {
    pub plan: ErasurePlan,
    pub removed: crate::gdpr::erase::Counts,
    pub raw_messages_removed: usize,
    /// Queued mails to the subject in kept tickets, cancelled.
    pub outbound_cancelled: u64,
    /// Quarantined mails (IMAP fetch held them back: too large, unprocessable) that name
    /// the subject, deleted with their raw message.
    pub quarantined_removed: u64,
}

/// Erases the data subject (Art. 17) inside the caller's transaction, so the audit event
/// commits with it: deletes their tickets (with all their outbound mail, its logged history
/// included), redacts them from other tickets (for an e-mail subject also their known names
/// and phone numbers, [`KnownData`], and mail to them: queued cancelled at `now_ms`, logged
/// history scrubbed), deletes their contact record and consent history. Returns what was
/// done; the caller shows
/// [`plan_erasure`] first and asks for confirmation. Errors: `Conflict` naming every legal
/// hold ([`ErasurePlan::holds`]) on the contact or on a ticket it would delete or redact
/// (Art. 17(3)(e)), before anything is changed.
pub fn erase(
    tx: &mut crate::store::WriteTx,
    id: &Identity,
    today: jiff::civil::Date,
    now_ms: i64,
) -> Result<ErasureReport> {
    use crate::gdpr::erase::{References, delete_ticket, drop_outbound_naming};
    tx.mark_erasure();
    let data = find(tx, id, today)?;
    let plan = plan_erasure(&data);
    if !plan.holds.is_empty() {
        return Err(Error::conflict(format!(
            "not erased: under legal hold (GDPR Art. 17(3)(e)): {}",
            plan.holds.join("; ")
        )));
    }
    // Names and phone numbers of an e-mail subject go from the kept tickets too.
    let known = match id {
        Identity::Email(e) => KnownData::of(e, &data),
        _ => KnownData::default(),
    };
    let mut refs = References::build(tx)?;
    let mut report = ErasureReport::default();
    for n in &plan.delete_tickets {
        report.removed += delete_ticket(tx, *n, &mut refs)?;
    }
    let placeholder = MailAddress {
        name: None,
        address: crate::gdpr::erase::PLACEHOLDER_ADDRESS.to_string(),
    };
    let red = |text: &str| known.redact(&redact_text(id, text, today), today);
    for t in data
        .tickets
        .iter()
        .filter(|t| plan.redact_tickets.contains(&t.ticket.number))
    {
        for (a, why) in &t.articles {
            if why.is_empty() {
                continue;
            }
            let mut a = a.clone();
            if let Identity::Email(e) = id {
                for addr in std::iter::once(&mut a.from)
                    .chain(a.reply_to.iter_mut())
                    .chain(a.to.iter_mut())
                    .chain(a.cc.iter_mut())
                {
                    if address_is(addr, e) {
                        *addr = placeholder.clone();
                    } else if let Some(n) = &addr.name {
                        let r = red(n);
                        if r != *n {
                            addr.name = Some(r);
                        }
                    }
                }
            }
            a.subject = red(&a.subject);
            a.text = red(&a.text);
            if let Some(h) = a.html.take() {
                a.html = redact_html(id, &known, &h, today);
                if a.html.is_none() && a.text.trim().is_empty() {
                    // An HTML-only message keeps its content as redacted plain text.
                    a.text = red(&crate::mail::inbound::parse::html_to_text(&h));
                }
            }
            for att in &mut a.attachments {
                att.filename = red(&att.filename);
            }
            // A delivery report (an SMTP reply) may quote the recipient's address.
            a.delivery = a.delivery.map(|d| match d {
                Delivery::Sent { at_ms, reply } => Delivery::Sent {
                    at_ms,
                    reply: red(&reply),
                },
                Delivery::Failed { at_ms, reason } => Delivery::Failed {
                    at_ms,
                    reason: red(&reason),
                },
                Delivery::Queued {
                    attempts,
                    last_error,
                } => Delivery::Queued {
                    attempts,
                    last_error: last_error.map(|x| red(&x)),
                },
                Delivery::Deferred {
                    attempts,
                    last_error,
                    next_attempt_ms,
                } => Delivery::Deferred {
                    attempts,
                    last_error: red(&last_error),
                    next_attempt_ms,
                },
            });
            // The raw message cannot be redacted without breaking it: it goes.
            if let Some(sha) = a.raw_sha256.take()
                && refs.release(tx, &sha)?
            {
                report.raw_messages_removed += 1;
            }
            tx.put_rec(
                Table::Articles,
                &crate::store::codec::be2(a.ticket, a.id),
                &a,
            )?;
        }
        // Mail to or from the subject in a kept ticket: cancelled if still queued, its
        // logged history scrubbed (after the articles, whose delivery it updates).
        if let Identity::Email(e) = id {
            report.outbound_cancelled +=
                drop_outbound_naming(tx, t.ticket.number, e, &mut refs, now_ms)?;
        }
        let mut ticket = t.ticket.clone();
        if let Identity::Email(e) = id {
            ticket.participants.retain(|p| p != e);
        }
        ticket.subject = red(&ticket.subject);
        tx.put_rec(
            Table::Tickets,
            &crate::store::codec::be(ticket.number),
            &ticket,
        )?;
    }
    // Quarantined mail never became an article, so `find` does not see it; it is theirs
    // all the same (its raw message, sender and subject).
    report.quarantined_removed = erase_quarantined(tx, id, &known, today)?;
    if let Identity::Email(e) = id {
        tx.delete(Table::Contacts, e.as_bytes())?;
        consent::erase(tx, e)?;
        // RFC 3834 rate-limit counters, also those the daily clean-up deleted earlier.
        crate::gdpr::erase::forget_auto_reply_counts(tx, |a| a == e.as_str())?;
    }
    report.plan = plan;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> jiff::civil::Date {
        jiff::civil::Date::new(2026, 11, 30).expect("date")
    }

    #[test]
    fn identities_normalise() {
        assert_eq!(
            Identity::email(" Anna@Example.SE ").expect("e"),
            Identity::Email("anna@example.se".into())
        );
        assert_eq!(
            Identity::phone("+46 70-123 45 67").expect("p"),
            Identity::Phone("01234567".into())
        );
        assert_eq!(
            Identity::phone("070-123 45 67").expect("p"),
            Identity::Phone("01234567".into())
        );
        assert!(Identity::phone("1234").is_err());
        assert!(Identity::phone("call me").is_err());
        assert_eq!(
            Identity::national_id("19811218-9876", today()).expect("id"),
            Identity::NationalId("8112189876".into())
        );
        assert_eq!(
            Identity::national_id("811218-9876", today()).expect("id"),
            Identity::NationalId("8112189876".into())
        );
        assert!(Identity::national_id("811218-9875", today()).is_err());
        assert!(Identity::national_id("811218-9876 and more", today()).is_err());
    }

    #[test]
    fn export_and_erase_a_subject() {
        use crate::gdpr::test_support::{app, env, mail, mail_with};
        use crate::helpdesk::ingest::ingest;
        let (_d, app) = app();
        // Anna's own two tickets; Bo's ticket with Anna in Cc and her phone number in the
        // text; Carl's ticket that does not concern her.
        let a1 = ingest(
            &app,
            &mail(
                "Anna A",
                "anna@example.se",
                "anna-one",
                "pnr 811218-9876",
                "ANNA-FILE-1",
            ),
            &env(),
        )
        .expect("ingest");
        let a2 = ingest(
            &app,
            &mail(
                "Anna A",
                "anna@example.se",
                "anna-two",
                "hej",
                "ANNA-FILE-2",
            ),
            &env(),
        )
        .expect("ingest");
        let b = ingest(
            &app,
            &mail_with(
                "Cc: Anna A <anna@example.se>\r\n",
                "Bo B",
                "bo@example.se",
                "bo-ticket",
                "Anna nås på 070-123 45 67",
                "BO-FILE",
            ),
            &env(),
        )
        .expect("ingest");
        let c = ingest(
            &app,
            &mail(
                "Carl C",
                "carl@example.se",
                "carl-ticket",
                "nothing",
                "CARL-FILE",
            ),
            &env(),
        )
        .expect("ingest");
        // An agent's answer to Bo in his ticket is not about Anna: not exported.
        crate::helpdesk::reply::reply(&app, b.ticket, "agent@example.org", "BO-ANSWER")
            .expect("reply");
        let id = Identity::email("anna@example.se").expect("id");
        let data = app.store.read(|r| find(r, &id, today())).expect("find");
        let numbers: Vec<u64> = data.tickets.iter().map(|t| t.ticket.number).collect();
        assert_eq!(numbers, [a1.ticket, a2.ticket, b.ticket]);
        assert_eq!(data.counts(), (3, 4, 3, 1, 0));
        assert_eq!(data.for_export().counts(), (3, 3, 3, 1, 0));
        let mut buf = std::io::Cursor::new(Vec::new());
        let report = app
            .store
            .read(|r| export(r, &data, &id, "Example", 1_700_000_000_000, &mut buf))
            .expect("export");
        assert_eq!(
            (report.tickets, report.articles, report.attachments),
            (3, 3, 3)
        );
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(buf.into_inner())).expect("zip");
        let mut names: Vec<String> = zip
            .file_names()
            .map(|n| n.map(|n| n.to_string()))
            .collect::<Result<_, _>>()
            .expect("names");
        names.sort();
        assert_eq!(names.len(), 2 + 3 + 3, "{names:?}");
        let mut json = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("data.json").expect("data.json"), &mut json)
            .expect("read");
        assert!(
            json.contains("anna-two")
                && json.contains("bo-ticket")
                && !json.contains("carl-ticket")
                && !json.contains("BO-ANSWER")
        );
        for readable in [
            "\"customer of the ticket\"",
            "\"sender\"",
            "\"recipient\"",
            "\"reason_codes\"",
        ] {
            assert!(json.contains(readable), "{readable} missing");
        }
        assert!(!json.contains("\"Customer\"") && !json.contains("\"Address\""));
        let mut summary = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("summary.txt").expect("summary"),
            &mut summary,
        )
        .expect("read");
        assert!(
            summary.contains("You appear as: customer of the ticket"),
            "{summary}"
        );
        assert!(!summary.contains("BO-ANSWER"));

        // The phone number finds Bo's ticket only.
        let phone = Identity::phone("+46701234567").expect("phone");
        let by_phone = app.store.read(|r| find(r, &phone, today())).expect("find");
        assert_eq!(by_phone.tickets.len(), 1);
        assert_eq!(by_phone.tickets[0].ticket.number, b.ticket);

        let plan = plan_erasure(&data);
        assert_eq!(plan.delete_tickets, [a1.ticket, a2.ticket]);
        assert_eq!(plan.redact_tickets, [b.ticket]);
        let done = app
            .store
            .write(2, |tx| erase(tx, &id, today(), 2))
            .expect("erase");
        assert_eq!(done.removed.tickets, 2);
        let dump = app.store.dump().expect("dump");
        let bytes: Vec<u8> = dump
            .into_iter()
            .flat_map(|((_, k), v)| [k, v].concat())
            .collect();
        let has = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
        for gone in [
            "anna@example.se",
            "anna-one",
            "anna-two",
            "ANNA-FILE-1",
            "ANNA-FILE-2",
            "811218-9876",
        ] {
            assert!(!has(gone), "{gone} is still in the store");
        }
        for kept in [
            "bo-ticket",
            "BO-FILE",
            "carl-ticket",
            "CARL-FILE",
            "bo@example.se",
        ] {
            assert!(has(kept), "{kept} was removed");
        }
        assert!(
            app.store
                .read(|r| find(r, &id, today()))
                .expect("find")
                .tickets
                .is_empty()
        );
        let _ = c;
    }

    #[test]
    fn legal_hold_blocks_erasure_and_the_preview_names_it() {
        use crate::gdpr::classification::LegalHold;
        use crate::gdpr::test_support::{app, env, mail, mail_with};
        use crate::helpdesk::ingest::ingest;
        use crate::store::codec::be;
        let (_d, app) = app();
        let own = ingest(
            &app,
            &mail("Anna A", "anna@example.se", "own", "hej", "A-FILE"),
            &env(),
        )
        .expect("ingest");
        let other = ingest(
            &app,
            &mail_with(
                "Cc: anna@example.se\r\n",
                "Bo B",
                "bo@example.se",
                "bo-ticket",
                "x",
                "B-FILE",
            ),
            &env(),
        )
        .expect("ingest");
        let id = Identity::email("anna@example.se").expect("id");
        let hold = |reason: &str| LegalHold::new(reason, "admin@example.org", 1).expect("hold");
        let erase_err = |app: &crate::app::App| {
            app.store
                .write(2, |tx| erase(tx, &id, today(), 2))
                .expect_err("held")
        };
        // A hold on a ticket that would only be redacted blocks it too.
        app.store
            .write(1, |tx| {
                let mut t: Ticket = tx.get_rec(Table::Tickets, &be(other.ticket))?.expect("t");
                t.legal_hold = Some(hold("dispute 2026-114"));
                tx.put_rec(Table::Tickets, &be(other.ticket), &t)
            })
            .expect("hold ticket");
        let e = erase_err(&app);
        assert_eq!(e.kind, crate::error::ErrorKind::Conflict);
        assert!(
            e.message
                .contains(&format!("ticket {}: dispute 2026-114", other.ticket))
                && e.message.contains("17(3)(e)"),
            "{}",
            e.message
        );
        // The contact's own hold, with the ticket hold lifted.
        app.store
            .write(1, |tx| {
                let mut t: Ticket = tx.get_rec(Table::Tickets, &be(other.ticket))?.expect("t");
                t.legal_hold = None;
                tx.put_rec(Table::Tickets, &be(other.ticket), &t)?;
                let mut c: Contact = tx
                    .get_rec(Table::Contacts, b"anna@example.se")?
                    .expect("contact");
                c.legal_hold = Some(hold("claim by the customer"));
                tx.put_rec(Table::Contacts, b"anna@example.se", &c)
            })
            .expect("hold contact");
        let data = app.store.read(|r| find(r, &id, today())).expect("find");
        assert_eq!(
            plan_erasure(&data).holds,
            ["contact anna@example.se: claim by the customer"]
        );
        assert!(erase_err(&app).message.contains("claim by the customer"));
        // Nothing was erased.
        assert!(
            app.store
                .read(|r| r.get_rec::<Ticket>(Table::Tickets, &be(own.ticket)))
                .expect("read")
                .is_some()
        );
        // Lifted: the erasure proceeds.
        app.store
            .write(1, |tx| {
                let mut c: Contact = tx
                    .get_rec(Table::Contacts, b"anna@example.se")?
                    .expect("contact");
                c.legal_hold = None;
                tx.put_rec(Table::Contacts, b"anna@example.se", &c)
            })
            .expect("lift");
        let done = app
            .store
            .write(2, |tx| erase(tx, &id, today(), 2))
            .expect("erase");
        assert_eq!(done.plan.delete_tickets, [own.ticket]);
        assert!(done.plan.holds.is_empty());
    }

    fn raw(from: &str, subject: &str, mid: &str, ctype: &str, body: &str) -> Vec<u8> {
        format!(
            "From: {from}\r\nTo: support@example.org\r\nSubject: {subject}\r\n\
             Message-ID: <{mid}@mail.example.net>\r\nMIME-Version: 1.0\r\n\
             Content-Type: {ctype}; charset=utf-8\r\n\r\n{body}\r\n"
        )
        .into_bytes()
    }

    fn store_bytes(app: &crate::app::App) -> Vec<u8> {
        app.store
            .dump()
            .expect("dump")
            .into_iter()
            .flat_map(|((_, k), v)| [k, v].concat())
            .collect()
    }

    fn holds(hay: &[u8], s: &str) -> bool {
        hay.windows(s.len()).any(|w| w == s.as_bytes())
    }

    #[test]
    fn exact_national_id_is_found_in_every_spelling() {
        let n = "8112189876";
        for t in [
            "Ordernummer 811218-9876?",
            "order number 811218-9876 hmm",
            "Ring 811218+9876.",
            "19811218-9876",
            "198112189876",
            "8112189876",
            "811218 9876",
            "19 811218 - 9876",
            "x811218-9876y",
        ] {
            assert_eq!(national_id_spans(t, n).len(), 1, "{t}");
        }
        for t in [
            "9811218-98765",
            "811218-9875",
            "2811218-9876",
            "17811218-9876",
        ] {
            assert!(national_id_spans(t, n).is_empty(), "{t}");
        }
        let id = Identity::national_id("198112189876", today()).expect("id");
        assert_eq!(
            redact_text(&id, "Kundnr 811218-9876, tel. 19811218 9876!", today()),
            "Kundnr [anonymised], tel. [anonymised]!"
        );
    }

    #[test]
    fn erasing_a_national_id_redacts_every_occurrence_and_split_html() {
        use crate::gdpr::test_support::{app, env};
        use crate::helpdesk::ingest::ingest;
        let (_d, app) = app();
        let a = ingest(
            &app,
            &raw(
                "Al A <al@example.se>",
                "Ordernummer 811218-9876?",
                "nid-a",
                "text/plain",
                "order number 811218-9876 hmm. Personnummer 811218-9876",
            ),
            &env(),
        )
        .expect("a");
        let b = ingest(
            &app,
            &raw(
                "Bea B <bea@example.se>",
                "call me",
                "nid-b",
                "text/plain",
                "Ring 811218-9876 eller tel. 811218-9876. Mitt kundnummer 811218-9876 ... \
                 Kundnr 811218-9876",
            ),
            &env(),
        )
        .expect("b");
        let c = ingest(
            &app,
            &raw(
                "Cy C <cy@example.se>",
                "html",
                "nid-c",
                "text/html",
                "<p>My number is <b>811218</b>-9876</p>",
            ),
            &env(),
        )
        .expect("c");
        let id = Identity::national_id("198112189876", today()).expect("id");
        let data = app.store.read(|r| find(r, &id, today())).expect("find");
        let plan = plan_erasure(&data);
        assert_eq!(plan.redact_tickets, [a.ticket, b.ticket, c.ticket]);
        app.store
            .write(2, |tx| erase(tx, &id, today(), 2))
            .expect("erase");
        let bytes = store_bytes(&app);
        for gone in ["811218", "8112189876"] {
            assert!(!holds(&bytes, gone), "{gone} is still in the store");
        }
        let arts = app
            .store
            .read(|r| crate::helpdesk::tickets::articles(r, c.ticket))
            .expect("articles");
        assert!(arts[0].html.is_none(), "{:?}", arts[0].html);
        assert!(arts[0].text.contains("My number is"), "{}", arts[0].text);
        let arts = app
            .store
            .read(|r| crate::helpdesk::tickets::articles(r, b.ticket))
            .expect("articles");
        assert_eq!(
            arts[0]
                .text
                .matches(crate::gdpr::erase::PLACEHOLDER)
                .count(),
            4
        );
        assert!(
            app.store
                .read(|r| find(r, &id, today()))
                .expect("find")
                .tickets
                .is_empty()
        );
    }

    #[test]
    fn erasure_scrubs_auto_reply_counters_deleted_earlier() {
        use crate::gdpr::test_support::app;
        let (_d, app) = app();
        let key = |day: u64| [&day.to_be_bytes()[..], b"yan@kund.se"].concat();
        // Day 1: a counter for the address; day 2: the daily clean-up deletes it in an
        // ordinary write (its old image stays in the change log).
        app.store
            .write(1, |tx| {
                tx.put_rec(Table::AutoReplyCounts, &key(20_000), &1u32)
            })
            .expect("count");
        app.store
            .write(2, |tx| {
                tx.delete(Table::AutoReplyCounts, &key(20_000)).map(|_| ())
            })
            .expect("clean-up");
        app.store
            .write(3, |tx| {
                tx.put_rec(Table::AutoReplyCounts, &key(20_001), &2u32)
            })
            .expect("count");
        let id = Identity::email("yan@kund.se").expect("id");
        app.store
            .write(4, |tx| erase(tx, &id, today(), 4))
            .expect("erase");
        app.store.purge_erased().expect("purge");
        let in_log = app
            .store
            .changes_since(1, usize::MAX)
            .expect("log")
            .into_iter()
            .flat_map(|r| r.ops)
            .any(|op| op.key.windows(11).any(|w| w == b"yan@kund.se"));
        assert!(!in_log, "the counters' history is scrubbed");
        let path = app.store.path().to_path_buf();
        let bytes = std::fs::read(&path).expect("read");
        assert!(
            !bytes.windows(11).any(|w| w == b"yan@kund.se"),
            "gone from the file"
        );
    }

    #[test]
    fn erasure_removes_quarantined_mail_naming_the_subject() {
        use crate::gdpr::test_support::app;
        use crate::mail::inbound::imap::{QuarantineReason, quarantine, quarantine_list};
        let (_d, app) = app();
        let theirs = b"From: Erik <erik@erase.se>\r\nSubject: big\r\n\r\nQ-SECRET-1\r\n";
        let other = b"From: Per <per@keep.se>\r\nSubject: big\r\n\r\nQ-KEEP-2\r\n";
        for raw in [&theirs[..], &other[..]] {
            quarantine(
                &app,
                "imap test",
                None,
                raw,
                99,
                false,
                QuarantineReason::TooLarge,
            )
            .expect("quarantine");
        }
        let id = Identity::email("erik@erase.se").expect("id");
        let r = app
            .store
            .write(1, |tx| erase(tx, &id, today(), 1))
            .expect("erase");
        assert_eq!(r.quarantined_removed, 1);
        let left = quarantine_list(&app, true).expect("list");
        assert_eq!(left.len(), 1);
        assert!(left[0].from.contains("per@keep.se"));
        let dump = app.store.dump().expect("dump");
        assert!(
            !dump
                .values()
                .any(|v| v.windows(11).any(|w| w == b"Q-SECRET-1\r")),
            "raw quarantined mail gone"
        );
    }

    #[test]
    fn erasing_an_address_removes_names_phones_and_outbound_mail() {
        use crate::gdpr::test_support::{app, env, mail, mail_with};
        use crate::helpdesk::ingest::ingest;
        use crate::mail::outbound::queue::{self, OutboundItem};
        let (_d, app) = app();
        let e1 = ingest(
            &app,
            &mail(
                "Erik Erasmus",
                "erik@erase.se",
                "erik-one",
                "hej",
                "E-FILE-1",
            ),
            &env(),
        )
        .expect("e1");
        ingest(
            &app,
            &mail(
                "Erik Erasmus",
                "erik@erase.se",
                "erik-two",
                "hej igen",
                "E-FILE-2",
            ),
            &env(),
        )
        .expect("e2");
        let k = ingest(
            &app,
            &mail_with(
                "Cc: Erik Erasmus <erik@erase.se>\r\n",
                "Kund Åtta",
                "kund8@other.se",
                "kund8-ticket",
                "My colleague erik@erase.se (Erik Erasmus, 0735551234) had trouble. \
                 Ring +46 73-555 12 34 or Support.",
                "K-FILE",
            ),
            &env(),
        )
        .expect("k");
        // The contact's known phone number (as rectified), written differently.
        app.store
            .write(1, |tx| {
                let mut c: Contact = tx
                    .get_rec(Table::Contacts, b"erik@erase.se")?
                    .expect("contact");
                c.phone = Some("073-555 12 34".into());
                tx.put_rec(Table::Contacts, b"erik@erase.se", &c)
            })
            .expect("phone");
        // A reply to Erik in his own ticket, then sent (the worker removes the entry); in
        // kund8's ticket one mail to Erik still queued and one sent.
        crate::helpdesk::reply::reply(&app, e1.ticket, "agent@example.org", "svar").expect("reply");
        let item = |id: u64| OutboundItem {
            id,
            ticket: k.ticket,
            article: 1,
            mail_from: "support@example.org".into(),
            rcpt_to: vec!["kund8@other.se".into(), "erik@erase.se".into()],
            raw_sha256: "00".repeat(32),
            attempts: 0,
            next_attempt_ms: 5,
            created_ms: 5,
            expires_ms: 10,
            last_error: None,
        };
        app.store
            .write(3, |tx| {
                queue::enqueue(tx, &item(900_001))?;
                queue::enqueue(tx, &item(900_002))
            })
            .expect("enqueue");
        app.store
            .write(4, |tx| {
                for i in queue::all(tx)? {
                    if i.id != 900_001 {
                        queue::remove(tx, &i)?;
                    }
                }
                Ok(())
            })
            .expect("sent");
        let id = Identity::email("erik@erase.se").expect("id");
        let done = app
            .store
            .write(5, |tx| erase(tx, &id, today(), 5))
            .expect("erase");
        assert_eq!(done.outbound_cancelled, 1);
        crate::gdpr::purge_after_erasure(&app);
        let bytes = store_bytes(&app);
        let log: Vec<u8> = app
            .store
            .changes_since(0, usize::MAX)
            .expect("log")
            .into_iter()
            .flat_map(|r| r.ops)
            .flat_map(|op| [op.key, op.value.unwrap_or_default()].concat())
            .collect();
        for gone in ["erik@erase.se", "Erik Erasmus", "0735551234", "555 12 34"] {
            assert!(!holds(&bytes, gone), "{gone} is still in a row");
            assert!(!holds(&log, gone), "{gone} is still in the change log");
        }
        for kept in ["kund8@other.se", "had trouble", "Support"] {
            assert!(holds(&bytes, kept), "{kept} was removed");
        }
        assert!(app.store.read(queue::all).expect("q").is_empty());
        let phone = Identity::phone("0735551234").expect("phone");
        assert!(
            app.store
                .read(|r| find(r, &phone, today()))
                .expect("find")
                .tickets
                .is_empty()
        );
    }

    #[test]
    fn erasing_an_address_finds_and_redacts_known_full_names_and_phones() {
        use crate::gdpr::test_support::{app, env, mail};
        use crate::helpdesk::ingest::ingest;
        let (_d, app) = app();
        let m = |name: &str, from: &str, subject: &str, body: &str| {
            ingest(&app, &mail(name, from, subject, body, "FILE"), &env()).expect("ingest")
        };
        m(
            "Alice Lindqvist",
            "alice@kund.se",
            "alice-own",
            "My printer is broken.",
        );
        let carl = m(
            "Carl Berg",
            "carl@other.se",
            "carl-callback",
            "Please call back Alice Lindqvist on +46 70 123 45 67.",
        );
        let dave = m(
            "Dave Holm",
            "dave@other.se",
            "dave-visit",
            "ALICE\r\n LINDQVIST visited on Monday.",
        );
        // A namesake by given name only, and a look-alike number: not her.
        let erin = m(
            "Erin Ek",
            "erin@other.se",
            "erin-namesake",
            "Alice from accounting called about order 70123999.",
        );
        // Rectified phone, written differently from the mention.
        app.store
            .write(1, |tx| {
                let mut c: Contact = tx
                    .get_rec(Table::Contacts, b"alice@kund.se")?
                    .expect("contact");
                c.phone = Some("070-123 45 67".into());
                tx.put_rec(Table::Contacts, b"alice@kund.se", &c)
            })
            .expect("rectify");
        let id = Identity::email("alice@kund.se").expect("id");
        let found = app.store.read(|r| find(r, &id, today())).expect("find");
        let reasons = |n: u64| {
            found
                .tickets
                .iter()
                .find(|t| t.ticket.number == n)
                .map(|t| t.reasons.clone())
        };
        assert_eq!(
            reasons(carl.ticket),
            Some(vec![Reason::MentionedByName, Reason::MentionedByPhone])
        );
        assert_eq!(reasons(dave.ticket), Some(vec![Reason::MentionedByName]));
        assert_eq!(reasons(erin.ticket), None);
        assert_eq!(found.tickets.len(), 3);
        let plan = plan_erasure(&found);
        assert_eq!(plan.redact_tickets, vec![carl.ticket, dave.ticket]);
        assert_eq!(plan.articles_redacted, 2);

        let done = app
            .store
            .write(2, |tx| erase(tx, &id, today(), 5))
            .expect("erase");
        assert_eq!(done.raw_messages_removed, 2);
        crate::gdpr::purge_after_erasure(&app);
        let bytes = store_bytes(&app);
        let lower = bytes.to_ascii_lowercase();
        for gone in [
            "alice lindqvist",
            "alice\r\n lindqvist",
            "123 45 67",
            "alice@kund.se",
        ] {
            assert!(!holds(&lower, gone), "{gone} is still in a row");
        }
        for kept in [
            "Please call back",
            "visited on Monday",
            "Alice from accounting called about order 70123999",
            "carl@other.se",
            "dave@other.se",
        ] {
            assert!(holds(&bytes, kept), "{kept} was removed");
        }
        // Kept tickets stay, redacted; the namesake's raw mail stays too.
        let after = app
            .store
            .read(|r| find(r, &Identity::email("erin@other.se")?, today()))
            .expect("erin");
        assert!(after.tickets[0].articles[0].0.raw_sha256.is_some());
        for n in [carl.ticket, dave.ticket] {
            let t: Option<Ticket> = app
                .store
                .read(|r| r.get_rec(Table::Tickets, &crate::store::codec::be(n)))
                .expect("ticket");
            assert!(t.is_some(), "ticket {n} was deleted, not redacted");
        }
    }

    #[test]
    fn full_names_are_searched_single_names_are_not() {
        assert!(is_full_name("alice lindqvist"));
        assert!(is_full_name("bo lindqvist"));
        assert!(!is_full_name("alice"));
        assert!(!is_full_name("bo li"));
        assert!(!is_full_name("a lindqvist"));
        assert!(!is_full_name("jo li b"));
        let known = KnownData {
            names: vec!["alice lindqvist".into(), "alice".into()],
            phones: vec![Identity::phone("070-123 45 67").expect("p")],
        };
        assert!(known.names_full_name("Call ALICE   Lindqvist."));
        assert!(known.names_full_name("alice\nlindqvist"));
        assert!(!known.names_full_name("Alice called."));
        assert!(!known.names_full_name("Alice Lindqvistsson"));
        assert!(!known.names_full_name("Malice Lindqvist"));
        assert!(known.names_phone("ring 0046-70-1234567", today()));
        assert!(!known.names_phone("ring 070-123 45 68", today()));
        assert_eq!(
            known.redact("Hi Alice\n Lindqvist and alice", today()),
            "Hi [redacted] and [redacted]".replace("[redacted]", crate::gdpr::erase::PLACEHOLDER)
        );
    }

    #[test]
    fn national_id_with_a_space_is_accepted() {
        let want = Identity::NationalId("8112189876".into());
        for s in ["811218 9876", "19811218 9876", "811218-9876"] {
            assert_eq!(Identity::national_id(s, today()).expect(s), want, "{s}");
        }
        assert_eq!(
            Identity::national_id("010203 1234", today()).expect("cpr"),
            Identity::NationalId("0102031234".into())
        );
        for bad in ["811218  9876", "8112 189876", "811218 9875", "81121 89876"] {
            assert!(Identity::national_id(bad, today()).is_err(), "{bad}");
        }
    }

    #[test]
    fn summary_counts_are_singular_or_plural() {
        use crate::gdpr::count;
        assert_eq!(count(1, "message", "messages"), "1 message");
        assert_eq!(count(0, "message", "messages"), "0 messages");
        assert_eq!(
            count(2, "contact record", "contact records"),
            "2 contact records"
        );
        let data = SubjectData {
            contacts: Vec::new(),
            tickets: Vec::new(),
            consents: Vec::new(),
        };
        let id = Identity::email("x@example.se").expect("id");
        let s = summary(&data, &id, "Org", 0);
        assert!(
            s.contains("0 support tickets with 0 messages and 0 attachments, 0 contact records and 0 consent records."),
            "{s}"
        );
    }

    #[test]
    fn names_too_short_or_generic_are_not_redacted() {
        assert_eq!(
            redactable_name("\"Erik Erasmus\""),
            Some("erik erasmus".into())
        );
        assert_eq!(redactable_name("Erik"), Some("erik".into()));
        assert_eq!(redactable_name("Bo"), None);
        assert_eq!(redactable_name("Support"), None);
        assert_eq!(redactable_name("a@b.se"), None);
        assert_eq!(
            replace_ci("Erik, Eriksson and ERIK", "erik", "[x]", true),
            "[x], Eriksson and [x]"
        );
    }

    #[test]
    fn redaction_replaces_only_the_subject() {
        let e = Identity::email("anna@example.se").expect("e");
        assert_eq!(
            redact_text(&e, "Mail ANNA@example.se or bo@example.se", today()),
            "Mail [anonymised] or bo@example.se"
        );
        let p = Identity::phone("+46 70 123 45 67").expect("p");
        assert_eq!(
            redact_text(&p, "Ring +46 70 123 45 67 eller 08-555 000 11.", today()),
            "Ring [anonymised] eller 08-555 000 11."
        );
        let n = Identity::national_id("811218-9876", today()).expect("n");
        assert_eq!(
            redact_text(&n, "pnr 811218-9876, ordre 150310-4321", today()),
            "pnr [anonymised], ordre 150310-4321"
        );
    }

    #[test]
    fn text_matching() {
        let p = Identity::phone("+45 12 34 56 78").expect("p");
        assert!(text_mentions(&p, "ring på 12 34 56 78 i dag", today()));
        assert!(text_mentions(&p, "tel +4512345678", today()));
        assert!(!text_mentions(&p, "ordre 12 34 56 79", today()));
        let n = Identity::national_id("811218-9876", today()).expect("n");
        assert!(text_mentions(&n, "personnummer 19811218-9876", today()));
        assert!(!text_mentions(&n, "personnummer 19811218-9875", today()));
        let e = Identity::email("anna@example.se").expect("e");
        assert!(text_mentions(
            &e,
            "write to ANNA@example.se please",
            today()
        ));
    }
}
