//! Mail rules settings and the automatic acknowledgement of new tickets (RFC 3834).
//!
//! The settings live in the Settings table under the key `mail_rules` (backed up and
//! replicated with the data). An acknowledgement is an outgoing article flagged `automatic`,
//! queued in the same transaction that stores the ticket (durable outbound queue), carrying
//! `Auto-Submitted: auto-replied` and our `X-Loop`. It is never sent to automatic, list or
//! bulk mail, bounces, machine senders or mail bearing our loop marker
//! ([`crate::mail::rules::no_auto_answer_reason`]), and at most
//! [`MailRules::max_auto_per_day`] automatic mails go to one address per day.

use serde::{Deserialize, Serialize};

use super::model::*;
use super::settings::Settings;
use super::ticket_tag;
use crate::app::App;
use crate::error::{Error, Result};
use crate::mail::outbound::compose::{self, OutgoingMail};
use crate::mail::outbound::queue::{self, DEFAULT_LIFETIME_MS, OutboundItem};
use crate::store::codec::{be, be2};
use crate::store::{Reader, Table, WriteTx};

/// Settings-table key of [`MailRules`].
pub const SETTINGS_KEY: &[u8] = b"mail_rules";

/// Languages the acknowledgement template exists in.
pub const LANGUAGES: [&str; 3] = ["en", "sv", "da"];

/// One language's acknowledgement text. Placeholders: `{tag}` (`[#1001]`), `{number}`,
/// `{subject}` (the ticket title), `{org}` (organisation name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// `en`, `sv` or `da`.
    pub lang: String,
    pub subject: String,
    pub body: String,
}

/// Runtime mail rules an admin changes (web page `/admin/mail-rules`, CLI `trygg mail-rules`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRules {
    /// Send an acknowledgement for every new ticket (off by default).
    pub autoack: bool,
    /// Which template language is sent (`en`, `sv`, `da`).
    pub autoack_lang: String,
    /// The templates, one per language in [`LANGUAGES`].
    pub templates: Vec<Template>,
    /// Most automatic mails to one address per day (RFC 3834 §3.1.8 asks for a limit).
    pub max_auto_per_day: u32,
    /// A reply to a ticket closed longer than this many days opens a new ticket linked to the
    /// old one; 0 = always reopen (Zammad's default, "follow-up possible: yes").
    pub new_ticket_after_days: u32,
    /// Mail forwarded by an agent (a user's address) to a support address opens the ticket
    /// for the original sender.
    pub agent_forward: bool,
}

/// Default acknowledgement template for `lang` (`en`, `sv`, `da`; others → `en`).
pub fn default_template(lang: &str) -> Template {
    let (subject, body) = match lang {
        "sv" => (
            "{tag} Vi har tagit emot ditt ärende: {subject}",
            "Hej,\n\ntack för ditt meddelande. Vi har registrerat det som ärende {tag} och \
             återkommer så snart vi kan.\n\nSvara gärna på detta mejl om du vill lägga till \
             något; behåll {tag} i ämnesraden.\n\nMed vänliga hälsningar\n{org}\n\n(Detta är \
             ett automatiskt svar.)\n",
        ),
        "da" => (
            "{tag} Vi har modtaget din henvendelse: {subject}",
            "Hej,\n\ntak for din besked. Vi har registreret den som sag {tag} og vender \
             tilbage hurtigst muligt.\n\nSvar gerne på denne mail, hvis du vil tilføje noget; \
             behold {tag} i emnefeltet.\n\nMed venlig hilsen\n{org}\n\n(Dette er et \
             automatisk svar.)\n",
        ),
        _ => (
            "{tag} We have received your request: {subject}",
            "Hello,\n\nthank you for your message. We have registered it as request {tag} \
             and will get back to you as soon as we can.\n\nIf you want to add something, \
             just reply to this mail and keep {tag} in the subject.\n\nKind regards\n{org}\n\n\
             (This is an automatic reply.)\n",
        ),
    };
    Template {
        lang: if LANGUAGES.contains(&lang) {
            lang
        } else {
            "en"
        }
        .to_string(),
        subject: subject.to_string(),
        body: body.to_string(),
    }
}

impl Default for MailRules {
    fn default() -> Self {
        MailRules {
            autoack: false,
            autoack_lang: "en".into(),
            templates: LANGUAGES.iter().map(|l| default_template(l)).collect(),
            max_auto_per_day: 40,
            new_ticket_after_days: 0,
            agent_forward: true,
        }
    }
}

impl MailRules {
    /// The template for `lang`, falling back to the default text.
    pub fn template(&self, lang: &str) -> Template {
        self.templates
            .iter()
            .find(|t| t.lang == lang)
            .cloned()
            .unwrap_or_else(|| default_template(lang))
    }

    /// Checks limits. Errors: `Invalid` naming the field.
    pub fn validate(&self) -> Result<()> {
        if !LANGUAGES.contains(&self.autoack_lang.as_str()) {
            return Err(Error::invalid("the language must be en, sv or da"));
        }
        if self.max_auto_per_day > 10_000 {
            return Err(Error::invalid(
                "at most 10000 automatic mails per address and day",
            ));
        }
        if self.new_ticket_after_days > 3650 {
            return Err(Error::invalid("at most 3650 days"));
        }
        for t in &self.templates {
            if t.subject.trim().is_empty() || t.body.trim().is_empty() {
                return Err(Error::invalid(format!(
                    "the {} template needs a subject and a text",
                    t.lang
                )));
            }
            if t.subject.len() > 500 || t.body.len() > 20_000 {
                return Err(Error::invalid(format!(
                    "the {} template is too long (subject 500, text 20000 bytes)",
                    t.lang
                )));
            }
            if t.subject.contains(['\r', '\n']) {
                return Err(Error::invalid("a subject is one line"));
            }
        }
        Ok(())
    }
}

/// The mail rules (defaults when never saved).
pub fn load(r: &impl Reader) -> Result<MailRules> {
    Ok(r.get_rec(Table::Settings, SETTINGS_KEY)?
        .unwrap_or_default())
}

/// Validates and stores `rules`. Errors: `Invalid`.
pub fn save(app: &App, rules: &MailRules) -> Result<()> {
    rules.validate()?;
    app.store.write(app.now_ms(), |tx| {
        tx.put_rec(Table::Settings, SETTINGS_KEY, rules)
    })
}

/// A partial change of [`MailRules`] (CLI `trygg mail-rules set`, control socket).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRulesPatch {
    pub autoack: Option<bool>,
    pub autoack_lang: Option<String>,
    pub max_auto_per_day: Option<u32>,
    pub new_ticket_after_days: Option<u32>,
    pub agent_forward: Option<bool>,
}

/// Applies `patch` to the stored rules and returns the result. Errors: `Invalid`.
pub fn update(app: &App, patch: &MailRulesPatch) -> Result<MailRules> {
    let now = app.now_ms();
    app.store.write(now, |tx| {
        let mut r = load(tx)?;
        if let Some(v) = patch.autoack {
            r.autoack = v;
        }
        if let Some(v) = &patch.autoack_lang {
            r.autoack_lang = v.trim().to_ascii_lowercase();
        }
        if let Some(v) = patch.max_auto_per_day {
            r.max_auto_per_day = v;
        }
        if let Some(v) = patch.new_ticket_after_days {
            r.new_ticket_after_days = v;
        }
        if let Some(v) = patch.agent_forward {
            r.agent_forward = v;
        }
        r.validate()?;
        tx.put_rec(Table::Settings, SETTINGS_KEY, &r)?;
        Ok(r)
    })
}

/// Fills `{tag}`, `{number}`, `{subject}`, `{org}`.
pub fn fill(template: &str, number: u64, subject: &str, org: &str) -> String {
    template
        .replace("{tag}", &ticket_tag(number))
        .replace("{number}", &number.to_string())
        .replace("{subject}", subject)
        .replace("{org}", org)
}

const DAY_MS: i64 = 86_400_000;

fn count_key(day: u64, address: &str) -> Vec<u8> {
    let mut k = be(day).to_vec();
    k.extend_from_slice(address.to_lowercase().as_bytes());
    k
}

/// Counts one automatic mail to `address` today if the daily cap allows it; `false` when
/// the cap is reached. Also drops counters of earlier days (bounded per call).
pub fn take_auto_budget(tx: &mut WriteTx, address: &str, cap: u32, now_ms: i64) -> Result<bool> {
    let day = (now_ms.max(0) / DAY_MS) as u64;
    for (k, _) in tx.range(Table::AutoReplyCounts, &[], &be(day), 256)? {
        tx.delete(Table::AutoReplyCounts, &k)?;
    }
    let key = count_key(day, address);
    let n: u32 = tx.get_rec(Table::AutoReplyCounts, &key)?.unwrap_or(0);
    if n >= cap {
        return Ok(false);
    }
    tx.put_rec(Table::AutoReplyCounts, &key, &(n + 1))?;
    Ok(true)
}

/// Ids reserved before the transaction for an acknowledgement (article, queue item).
#[derive(Debug, Clone, Copy)]
pub struct AckIds {
    pub article: u64,
    pub queue: u64,
}

/// Stores and queues the acknowledgement of new ticket `ticket` answering `incoming`
/// (inside the ingest transaction). Returns the article id, or `None` when the daily cap
/// for the recipient is reached.
pub fn queue_ack(
    tx: &mut WriteTx,
    settings: &Settings,
    rules: &MailRules,
    ticket: &mut Ticket,
    incoming: &Article,
    ids: AckIds,
    now: i64,
) -> Result<Option<u64>> {
    let to = ticket.customer.clone();
    if to.address.trim().is_empty() {
        return Ok(None);
    }
    if !take_auto_budget(tx, &to.address, rules.max_auto_per_day, now)? {
        tracing::info!(
            ticket = ticket.number,
            "auto-acknowledgement skipped: daily cap reached"
        );
        return Ok(None);
    }
    let mailbox = if ticket.mailbox.is_empty() {
        settings.mailboxes.first().cloned().unwrap_or_default()
    } else {
        ticket.mailbox.clone()
    };
    let domain = mailbox
        .rsplit('@')
        .next()
        .unwrap_or("localhost")
        .to_string();
    let secret = hex::decode(&settings.secret_hex).map_err(Error::internal)?;
    let message_id = compose::message_id(&secret, ticket.number, ids.article, &domain);
    let t = rules.template(&rules.autoack_lang);
    // gdpr: a notification trygg sends on its own quotes the subject with national IDs
    // masked (Art. 25, 32: mail may be read by others or kept in other systems), per
    // number: one detected anywhere in the first article is masked in every spelling.
    let today = crate::gdpr::classification::today(now);
    let mut national_ids = super::tickets::IdSet::new();
    crate::gdpr::national_id::collect(&ticket.subject, today, &mut national_ids);
    super::tickets::article_ids(incoming, today, &mut national_ids);
    let quoted =
        crate::gdpr::national_id::mask_known(&ticket.subject, &national_ids, today).into_owned();
    let subject = fill(&t.subject, ticket.number, &quoted, &settings.org_name);
    let text = fill(&t.body, ticket.number, &quoted, &settings.org_name);
    let from = MailAddress {
        name: Some(settings.org_name.clone()),
        address: mailbox.clone(),
    };
    let mut references = incoming.references.clone();
    references.push(incoming.message_id.clone());
    let mail = OutgoingMail {
        from: from.clone(),
        to: vec![to.clone()],
        subject: subject.clone(),
        text: text.clone(),
        message_id: message_id.clone(),
        in_reply_to: Some(incoming.message_id.clone()),
        references: references.clone(),
        date: now / 1000,
        auto_replied: true,
        x_loop: Some(mailbox.clone()),
        thread_topic: Some(quoted.clone()),
        thread_index: Some(super::reply::thread_index_for(&secret, ticket, None, now)),
    };
    let raw = compose::build(&mail)?;
    let raw_sha = super::ingest::put_blob(tx, &raw)?;
    let flags = ParseFlags {
        automatic: true,
        ..ParseFlags::default()
    };
    let article = Article {
        id: ids.article,
        ticket: ticket.number,
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
        in_reply_to: vec![incoming.message_id.clone()],
        references,
        flags,
        author: None,
        delivery: Some(Delivery::Queued {
            attempts: 0,
            last_error: None,
        }),
    };
    tx.put_rec(Table::Articles, &be2(ticket.number, ids.article), &article)?;
    tx.put_rec(
        Table::MessageIds,
        message_id.as_bytes(),
        &MessageRef {
            ticket: ticket.number,
            article: ids.article,
            fingerprint: None,
        },
    )?;
    ticket.articles += 1;
    queue::enqueue(
        tx,
        &OutboundItem {
            id: ids.queue,
            ticket: ticket.number,
            article: ids.article,
            // RFC 3834 §3.3: an automatic response is sent with a null envelope sender, so a
            // bounce of it can never start another exchange.
            mail_from: String::new(),
            rcpt_to: vec![to.address.clone()],
            raw_sha256: raw_sha,
            attempts: 0,
            next_attempt_ms: now,
            created_ms: now,
            expires_ms: now + DEFAULT_LIFETIME_MS,
            last_error: None,
        },
    )?;
    Ok(Some(ids.article))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_placeholders() {
        let r = MailRules::default();
        assert!(!r.autoack);
        assert_eq!(r.max_auto_per_day, 40);
        assert!(r.validate().is_ok());
        for l in LANGUAGES {
            let t = r.template(l);
            assert!(t.subject.contains("{tag}"));
            assert!(t.body.contains("{tag}"));
        }
        assert_eq!(
            fill(
                "{tag} {number} {subject} {org}",
                1001,
                "Skrivaren",
                "Hjälp AB"
            ),
            "[#1001] 1001 Skrivaren Hjälp AB"
        );
        let mut bad = r.clone();
        bad.autoack_lang = "fr".into();
        assert!(bad.validate().is_err());
        let mut bad = r;
        bad.templates[0].subject = "a\nb".into();
        assert!(bad.validate().is_err());
    }
}
