//! Contacts as data subjects: what an agent may see of one person (their page, Art. 15),
//! correcting their contact data (right to rectification, Art. 16), and the consent
//! register as agents use it (Art. 7: record, withdraw, export the history).
//!
//! Who may do what: the `privacy` admin area may do everything; otherwise an agent needs a
//! permission on at least one ticket where the contact is the customer or a participant —
//! `read` to see the contact, `change` to rectify, `reply` to record or withdraw consent.
//! Everything else answers exactly like a contact that does not exist. Every function runs
//! through the one access check ([`crate::audit::access::guard`]), so the audit record
//! commits with the access. The audit trail names the contact by a keyed hash
//! ([`contact_ref`]), never by address, and rectification records which fields changed,
//! never their values: the trail outlives an erasure and must not keep personal data.

use serde::Serialize;

use crate::app::App;
use crate::audit::access::{Actor, Need, guard};
use crate::auth::roles::{Area, Grants, QueuePerm};
use crate::error::{Error, Result};
use crate::gdpr::consent::{self, Channel, Consent, Evidence, NewConsent, Withdrawal};
use crate::helpdesk::model::{Contact, Direction, Ticket};
use crate::store::codec::decode;
use crate::store::{Reader, Table, WriteTx};

/// Longest accepted name or organisation, in characters.
pub const MAX_NAME: usize = 200;
/// Longest accepted phone number, in characters.
pub const MAX_PHONE: usize = 40;

/// Whether an actor may act on a contact ([`permits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Yes,
    No,
    /// No contact record, ticket or consent has this address.
    Absent,
}

/// Tickets where `address` (lower case) is the customer or a participant, newest first.
/// Cost: one pass over the tickets table (there is no index by customer).
pub fn tickets_of(r: &impl Reader, address: &str) -> Result<Vec<Ticket>> {
    let mut out = Vec::new();
    for (_, v) in r.scan(Table::Tickets, &[], true, usize::MAX)? {
        let t: Ticket = decode(&v)?;
        if t.customer.address.eq_ignore_ascii_case(address)
            || t.participants.iter().any(|p| p == address)
        {
            out.push(t);
        }
    }
    Ok(out)
}

/// Whether `g` grants `perm` on ticket `t` (its queue, and its classification within the
/// clearance): the one place contact pages decide which of a contact's tickets an agent
/// may see or act through.
pub fn may(g: &Grants, t: &Ticket, perm: QueuePerm) -> bool {
    crate::helpdesk::tickets::may(g, t, perm)
}

/// The check behind [`Need::AreaOrContact`]: area `area`, or `perm` on one of the contact's
/// tickets.
pub fn permits(
    r: &impl Reader,
    g: &Grants,
    address: &str,
    area: Area,
    perm: QueuePerm,
) -> Result<Permit> {
    let tickets = tickets_of(r, address)?;
    let exists = !tickets.is_empty()
        || r.get_rec::<Contact>(Table::Contacts, address.as_bytes())?
            .is_some()
        || !consent::history(r, address)?.is_empty();
    Ok(if !exists {
        Permit::Absent
    } else if g.has_area(area) || tickets.iter().any(|t| may(g, t, perm)) {
        Permit::Yes
    } else {
        Permit::No
    })
}

/// How the audit trail names a contact: `contact #` and 16 hex digits of a keyed SHA-256 of
/// the address (the installation's secret is the key), so records can be correlated
/// without the trail holding the address.
pub fn contact_ref(r: &impl Reader, address: &str) -> Result<String> {
    use sha2::{Digest, Sha256};
    let secret = crate::helpdesk::settings::load(r)?
        .map(|s| s.secret_hex)
        .unwrap_or_default();
    // The same hash as a data-subject request by e-mail (`gdpr::audit_event`), so every
    // record about one address correlates.
    let h = Sha256::digest(format!("{secret}\0e-mail\0{address}").as_bytes());
    Ok(format!("contact #{}", &hex::encode(h)[..16]))
}

/// The address from a URL or form, lower case. Errors: `Invalid`.
pub fn address(s: &str) -> Result<String> {
    crate::helpdesk::settings::normalise_address("contact", s)
}

/// An article that can prove consent: one the contact sent, in a ticket the viewer may
/// read.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceArticle {
    pub ticket: u64,
    pub article: u64,
    /// Unix ms.
    pub created_ms: i64,
    pub subject: String,
}

/// What the contact page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    pub address: String,
    /// `None` when only tickets or consents name the address.
    pub contact: Option<Contact>,
    /// The contact's tickets the viewer may read, newest first.
    pub tickets: Vec<Ticket>,
    /// The full consent history, oldest first (Art. 7(1)).
    pub consents: Vec<Consent>,
    /// Candidate evidence articles for a new consent, newest first.
    pub evidence: Vec<EvidenceArticle>,
    pub may_rectify: bool,
    pub may_record_consent: bool,
    /// How the audit trail names this contact.
    pub audit_ref: String,
    /// Ids of consents whose evidence article lies in a ticket the viewer may not open
    /// (its queue or classification, Art. 9, 32): their `evidence.article` is cleared in
    /// [`ContactView::consents`] and the page says only that it is a message in such a
    /// ticket ([`redact_evidence`]).
    pub evidence_hidden: Vec<u64>,
}

/// Clears the evidence articles of `list` that lie in tickets `g` may not read (unless `g`
/// has the `privacy` area, which sees everything), so a consent history does not leak the
/// number of a ticket above the viewer's clearance (Art. 5(1)(f), 32). Returns the ids of
/// the consents changed.
pub fn redact_evidence(r: &impl Reader, g: &Grants, list: &mut [Consent]) -> Result<Vec<u64>> {
    let mut hidden = Vec::new();
    if g.has_area(Area::Privacy) {
        return Ok(hidden);
    }
    let readable = |n: u64| -> Result<bool> {
        Ok(
            match r.get_rec::<Ticket>(Table::Tickets, &crate::store::codec::be(n))? {
                Some(t) => may(g, &t, QueuePerm::Read),
                None => true,
            },
        )
    };
    for c in list.iter_mut() {
        let mut changed = false;
        if let Some((n, _)) = c.evidence.article
            && !readable(n)?
        {
            c.evidence.article = None;
            changed = true;
        }
        if let Some(w) = c.withdrawn.as_mut()
            && let Some((n, _)) = w.evidence.article
            && !readable(n)?
        {
            w.evidence.article = None;
            changed = true;
        }
        if changed {
            hidden.push(c.id);
        }
    }
    Ok(hidden)
}

/// The contact page of `address` (audited `contact.view`). Errors: `NotFound` when the
/// contact does not exist or the actor may not see it (the same answer), `Invalid` address.
pub fn view(app: &App, actor: &Actor, address_in: &str) -> Result<ContactView> {
    let addr = address(address_in)?;
    let audit_ref = app.store.read(|r| contact_ref(r, &addr))?;
    guard(
        app,
        actor,
        Need::AreaOrContact(Area::Privacy, addr.clone(), QueuePerm::Read),
        "contact.view",
        &audit_ref,
        |tx, ok| {
            let g = ok.grants;
            let privacy = g.has_area(Area::Privacy);
            let all = tickets_of(tx, &addr)?;
            let mut visible: Vec<Ticket> = all
                .iter()
                .filter(|t| may(g, t, QueuePerm::Read))
                .cloned()
                .collect();
            let today = crate::gdpr::classification::today(app.now_ms());
            let mut evidence = Vec::new();
            for t in &mut visible {
                let arts = crate::helpdesk::tickets::articles(tx, t.number)?;
                // gdpr: subjects masked per number detected anywhere in the ticket (Art. 25).
                let ids = crate::helpdesk::tickets::ticket_ids(t, &arts, today);
                let masked =
                    |s: &str| crate::gdpr::national_id::mask_known(s, &ids, today).into_owned();
                t.subject = masked(&t.subject);
                for a in arts {
                    let from_them = a.direction == Direction::In
                        && (a.from.address.eq_ignore_ascii_case(&addr)
                            || a.reply_to
                                .as_ref()
                                .is_some_and(|x| x.address.eq_ignore_ascii_case(&addr)));
                    if from_them {
                        evidence.push(EvidenceArticle {
                            ticket: t.number,
                            article: a.id,
                            created_ms: a.created_ms,
                            subject: masked(&a.subject),
                        });
                    }
                }
            }
            evidence.sort_by_key(|e| std::cmp::Reverse(e.created_ms));
            let mut consents = consent::history(tx, &addr)?;
            let evidence_hidden = redact_evidence(tx, g, &mut consents)?;
            let view = ContactView {
                contact: tx.get_rec(Table::Contacts, addr.as_bytes())?,
                may_rectify: privacy || all.iter().any(|t| may(g, t, QueuePerm::Change)),
                may_record_consent: privacy || all.iter().any(|t| may(g, t, QueuePerm::Reply)),
                address: addr.clone(),
                tickets: visible,
                consents,
                evidence,
                audit_ref: audit_ref.clone(),
                evidence_hidden,
            };
            let detail = format!(
                "{} tickets, {} consents shown",
                view.tickets.len(),
                view.consents.len()
            );
            Ok((view, detail))
        },
    )
}

/// Corrected contact data (Art. 16). `None` leaves a field as it is; an empty value clears
/// it.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Rectification {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub organisation: Option<String>,
}

fn clean_text(field: &str, v: &str, max: usize) -> Result<Option<String>> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(Error::invalid(format!("{field}: at most {max} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{field}: control characters are not allowed"
        )));
    }
    Ok((!v.is_empty()).then(|| v.to_string()))
}

/// A phone number as written (`+46 70-123 45 67`, `(08) 555 000 11`): digits with spaces,
/// `+`, `-`, `.`, `/` and parentheses, 6 to 15 digits (ITU-T E.164 allows at most 15), at
/// most [`MAX_PHONE`] characters. Empty clears it. Errors: `Invalid`.
pub fn clean_phone(v: &str) -> Result<Option<String>> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let ok_chars = v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-./()".contains(c));
    let plus_ok = v.rfind('+').is_none_or(|i| i == 0);
    if !ok_chars || !plus_ok || !(6..=15).contains(&digits) || v.chars().count() > MAX_PHONE {
        return Err(Error::invalid(
            "phone: use digits with spaces, +, -, ., / or parentheses (6 to 15 digits)",
        ));
    }
    Ok(Some(v.to_string()))
}

impl Rectification {
    /// The validated values (`Some(None)`: clear). Errors: `Invalid` naming the field.
    #[allow(clippy::type_complexity)]
    fn cleaned(
        &self,
    ) -> Result<(
        Option<Option<String>>,
        Option<Option<String>>,
        Option<Option<String>>,
    )> {
        Ok((
            self.name
                .as_deref()
                .map(|v| clean_text("name", v, MAX_NAME))
                .transpose()?,
            self.phone.as_deref().map(clean_phone).transpose()?,
            self.organisation
                .as_deref()
                .map(|v| clean_text("organisation", v, MAX_NAME))
                .transpose()?,
        ))
    }
}

/// What [`rectify`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Rectified {
    pub contact: Contact,
    /// Names of the fields that changed (`name`, `phone`, `organisation`).
    pub changed: Vec<&'static str>,
}

/// Corrects the contact's name, phone and organisation (Art. 16), audited as
/// `contact.rectify` with the names of the changed fields only. Needs the `privacy` area or
/// `change` on one of the contact's tickets. A contact known only from tickets gets a
/// record. Errors: `Invalid` (values, address), `NotFound` (absent or not permitted).
pub fn rectify(
    app: &App,
    actor: &Actor,
    address_in: &str,
    input: &Rectification,
) -> Result<Rectified> {
    let addr = address(address_in)?;
    let audit_ref = app.store.read(|r| contact_ref(r, &addr))?;
    let now = app.now_ms();
    guard(
        app,
        actor,
        Need::AreaOrContact(Area::Privacy, addr.clone(), QueuePerm::Change),
        "contact.rectify",
        &audit_ref,
        |tx, _| {
            let (name, phone, organisation) = input.cleaned()?;
            let mut c: Contact = tx
                .get_rec(Table::Contacts, addr.as_bytes())?
                .unwrap_or_else(|| Contact {
                    address: addr.clone(),
                    name: None,
                    created_ms: now,
                    last_seen_ms: now,
                    phone: None,
                    organisation: None,
                    legal_hold: None,
                    rectified_ms: None,
                });
            let mut changed = Vec::new();
            let mut set = |slot: &mut Option<String>, v: Option<Option<String>>, n| {
                if let Some(v) = v
                    && *slot != v
                {
                    *slot = v;
                    changed.push(n);
                }
            };
            set(&mut c.name, name, "name");
            set(&mut c.phone, phone, "phone");
            set(&mut c.organisation, organisation, "organisation");
            if !changed.is_empty() {
                c.rectified_ms = Some(now);
                tx.put_rec(Table::Contacts, addr.as_bytes(), &c)?;
            }
            let detail = if changed.is_empty() {
                "nothing changed".to_string()
            } else {
                format!("changed: {}", changed.join(", "))
            };
            Ok((
                Rectified {
                    contact: c,
                    changed,
                },
                detail,
            ))
        },
    )
}

/// A consent as an agent enters it (form or CLI), before checks.
#[derive(Debug, Clone, Default)]
pub struct ConsentForm {
    pub purpose: String,
    pub wording: String,
    /// When it was given: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM` (the server's time zone) or
    /// RFC 3339; empty means now.
    pub given: String,
    /// [`Channel::as_str`].
    pub channel: String,
    /// `TICKET-ARTICLE` (e.g. `1001-4242`) or empty.
    pub article: String,
    pub note: String,
    /// The agent ticked "the data subject actively said yes" (never pre-ticked).
    pub affirmed: bool,
}

/// Parses a point in time given by an agent (see [`ConsentForm::given`]) to Unix ms; empty
/// is `now_ms`. Errors: `Invalid`.
pub fn parse_when(field: &str, s: &str, now_ms: i64) -> Result<i64> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(now_ms);
    }
    let bad = || {
        Error::invalid(format!(
            "{field}: give a date like 2026-01-31 or 2026-01-31T14:30"
        ))
    };
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let tz = jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC);
    let dt = if let Ok(d) = s.parse::<jiff::civil::Date>() {
        d.to_datetime(jiff::civil::Time::midnight())
    } else {
        s.parse::<jiff::civil::DateTime>().map_err(|_| bad())?
    };
    dt.to_zoned_datetime(tz)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| bad())
}

/// Parses `TICKET-ARTICLE`. Errors: `Invalid`.
fn parse_article(s: &str) -> Result<Option<(u64, u64)>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.split_once('-')
        .and_then(|(t, a)| Some((t.parse().ok()?, a.parse().ok()?)))
        .map(Some)
        .ok_or_else(|| Error::invalid("evidence: choose an article from the list"))
}

/// Whether article `(ticket, article)` is one of `addr`'s tickets that `g` may read.
fn article_readable(
    tx: &WriteTx,
    g: &Grants,
    addr: &str,
    (ticket, article): (u64, u64),
) -> Result<bool> {
    let Some(t) = tx.get_rec::<Ticket>(Table::Tickets, &crate::store::codec::be(ticket))? else {
        return Ok(false);
    };
    let theirs =
        t.customer.address.eq_ignore_ascii_case(addr) || t.participants.iter().any(|p| p == addr);
    Ok(theirs
        && may(g, &t, QueuePerm::Read)
        && tx
            .get_rec::<crate::helpdesk::model::Article>(
                Table::Articles,
                &crate::store::codec::be2(ticket, article),
            )?
            .is_some())
}

/// Records a consent of the contact (Art. 7; [`consent::record`] refuses one that was not
/// affirmed). Needs the `privacy` area or `reply` on one of the contact's tickets; an
/// evidence article must belong to one of the contact's tickets the actor may read.
/// Audited as `consent.record` with the purpose. Errors: `Invalid`, `NotFound`.
pub fn record_consent(
    app: &App,
    actor: &Actor,
    address_in: &str,
    form: &ConsentForm,
) -> Result<Consent> {
    let addr = address(address_in)?;
    let audit_ref = app.store.read(|r| contact_ref(r, &addr))?;
    let now = app.now_ms();
    let id = app.next_id();
    guard(
        app,
        actor,
        Need::AreaOrContact(Area::Privacy, addr.clone(), QueuePerm::Reply),
        "consent.record",
        &audit_ref,
        |tx, ok| {
            let article = parse_article(&form.article)?;
            if let Some(a) = article
                && !article_readable(tx, ok.grants, &addr, a)?
            {
                return Err(Error::invalid(
                    "evidence: that article is not one of this contact's articles",
                ));
            }
            let new = NewConsent {
                contact: addr.clone(),
                purpose: form.purpose.clone(),
                wording: form.wording.clone(),
                given_ms: parse_when("when given", &form.given, now)?,
                channel: Channel::parse(&form.channel)?,
                evidence: Evidence {
                    article,
                    note: form.note.trim().to_string(),
                },
                affirmed: form.affirmed,
            };
            let c = consent::record(tx, id, now, &actor.id, new)?;
            let detail = format!("consent {} to \"{}\"", c.id, c.purpose);
            Ok((c, detail))
        },
    )
}

/// Records the withdrawal of consent `id` (Art. 7(3)) at `at` ([`parse_when`]; empty: now)
/// by `channel`. Same permission as [`record_consent`]; audited as `consent.withdraw`.
/// Errors: `NotFound`, `Conflict` (already withdrawn), `Invalid`.
pub fn withdraw_consent(
    app: &App,
    actor: &Actor,
    address_in: &str,
    id: u64,
    at: &str,
    channel: &str,
    note: &str,
) -> Result<Consent> {
    let addr = address(address_in)?;
    let audit_ref = app.store.read(|r| contact_ref(r, &addr))?;
    let now = app.now_ms();
    guard(
        app,
        actor,
        Need::AreaOrContact(Area::Privacy, addr.clone(), QueuePerm::Reply),
        "consent.withdraw",
        &audit_ref,
        |tx, _| {
            let w = Withdrawal {
                at_ms: parse_when("withdrawn on", at, now)?,
                channel: Channel::parse(channel)?,
                recorded_by: actor.id.clone(),
                evidence: Evidence {
                    article: None,
                    note: note.trim().to_string(),
                },
            };
            let c = consent::withdraw(tx, &addr, id, now, w)?;
            Ok((c, format!("consent {id}")))
        },
    )
}

/// Format of [`consent_export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
}

/// The contact's consent history (Art. 7(1) proof; Art. 15 and 20 for the data subject) as
/// JSON (`{"contact", "generated", "consents": [...]}`, times RFC 3339) or CSV (one row per
/// consent, header first). Needs `read` as [`view`]; audited as `consent.export`.
pub fn consent_export(
    app: &App,
    actor: &Actor,
    address_in: &str,
    format: ExportFormat,
) -> Result<String> {
    let addr = address(address_in)?;
    let audit_ref = app.store.read(|r| contact_ref(r, &addr))?;
    let now = app.now_ms();
    guard(
        app,
        actor,
        Need::AreaOrContact(Area::Privacy, addr.clone(), QueuePerm::Read),
        "consent.export",
        &audit_ref,
        |tx, ok| {
            let mut list = consent::history(tx, &addr)?;
            // Evidence in tickets the viewer may not open is left out (Art. 32).
            redact_evidence(tx, ok.grants, &mut list)?;
            let text = match format {
                ExportFormat::Json => consents_json(&addr, now, &list)?,
                ExportFormat::Csv => consents_csv(&list)?,
            };
            let detail = format!(
                "{} consents as {}",
                list.len(),
                if format == ExportFormat::Json {
                    "json"
                } else {
                    "csv"
                }
            );
            Ok((text, detail))
        },
    )
}

fn ts(ms: i64) -> String {
    crate::helpdesk::tickets::rfc3339(ms)
}

fn article_ref(a: Option<(u64, u64)>) -> String {
    a.map(|(t, a)| format!("{t}-{a}")).unwrap_or_default()
}

fn consents_json(addr: &str, now: i64, list: &[Consent]) -> Result<String> {
    let rows: Vec<serde_json::Value> = list
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id,
                "purpose": c.purpose,
                "wording": c.wording,
                "given": ts(c.given_ms),
                "channel": c.channel.as_str(),
                "evidence_article": article_ref(c.evidence.article),
                "evidence_note": c.evidence.note,
                "recorded_by": c.recorded_by,
                "recorded": ts(c.recorded_ms),
                "active": c.is_active(),
                "withdrawn": c.withdrawn.as_ref().map(|w| serde_json::json!({
                    "at": ts(w.at_ms),
                    "channel": w.channel.as_str(),
                    "recorded_by": w.recorded_by,
                    "note": w.evidence.note,
                })),
            })
        })
        .collect();
    Ok(serde_json::to_string_pretty(&serde_json::json!({
        "format": "trygg-consents/1",
        "contact": addr,
        "generated": ts(now),
        "consents": rows,
    }))?)
}

fn consents_csv(list: &[Consent]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::internal(format!("writing CSV: {e}"));
    w.write_record([
        "id",
        "purpose",
        "wording",
        "given",
        "channel",
        "evidence_article",
        "evidence_note",
        "recorded_by",
        "recorded",
        "withdrawn",
        "withdrawal_channel",
        "withdrawal_note",
    ])
    .map_err(err)?;
    for c in list {
        let w_at = c
            .withdrawn
            .as_ref()
            .map(|w| ts(w.at_ms))
            .unwrap_or_default();
        let w_ch = c
            .withdrawn
            .as_ref()
            .map(|w| w.channel.as_str())
            .unwrap_or("");
        let w_note = c
            .withdrawn
            .as_ref()
            .map(|w| w.evidence.note.as_str())
            .unwrap_or("");
        w.write_record([
            c.id.to_string().as_str(),
            &csv_cell(&c.purpose),
            &csv_cell(&c.wording),
            &ts(c.given_ms),
            c.channel.as_str(),
            &article_ref(c.evidence.article),
            &csv_cell(&c.evidence.note),
            &csv_cell(&c.recorded_by),
            &ts(c.recorded_ms),
            &w_at,
            w_ch,
            &csv_cell(w_note),
        ])
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::internal(format!("CSV is not UTF-8: {e}")))
}

/// A text cell safe to open in a spreadsheet: a leading `=`, `+`, `-` or `@` would be read
/// as a formula (OWASP "CSV injection"), so such a cell gets a leading `'`.
fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gdpr::test_support::{app, env, mail};
    use crate::helpdesk::ingest::ingest;

    #[test]
    fn phone_and_text_validation() {
        assert_eq!(
            clean_phone(" +46 70-123 45 67 ").expect("ok").as_deref(),
            Some("+46 70-123 45 67")
        );
        assert!(clean_phone("(08) 555 000 11").expect("ok").is_some());
        assert_eq!(clean_phone("").expect("clear"), None);
        for bad in [
            "call me",
            "12345",
            "46+70 123 45 67",
            "1234567890123456",
            "070;1234567",
        ] {
            assert!(clean_phone(bad).is_err(), "{bad}");
        }
        assert!(clean_text("name", &"x".repeat(201), MAX_NAME).is_err());
        assert!(clean_text("name", "a\u{7}b", MAX_NAME).is_err());
        assert_eq!(clean_text("name", "  ", MAX_NAME).expect("ok"), None);
    }

    #[test]
    fn when_parses_dates_times_and_timestamps() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_when("x", "", now).expect("now"), now);
        assert_eq!(
            parse_when("x", "2023-11-14T22:13:20Z", now).expect("ts"),
            now
        );
        assert!(parse_when("x", "2026-01-31", now).is_ok());
        assert!(parse_when("x", "2026-01-31T14:30", now).is_ok());
        assert!(parse_when("x", "yesterday", now).is_err());
        assert_eq!(parse_article("1001-7").expect("a"), Some((1001, 7)));
        assert!(parse_article("1001").is_err());
    }

    #[test]
    fn rectify_records_field_names_only_and_access_follows_tickets() {
        let (_d, app) = app();
        let t = ingest(
            &app,
            &mail("Anna A", "anna@example.net", "hello", "hi", "F"),
            &env(),
        )
        .expect("ingest");
        let admin = Actor::user("admin@example.org", "192.0.2.1");
        // A user with no role may not see or rectify the contact: like absence.
        app.store
            .write(0, |tx| {
                crate::auth::create_user_with_roles(tx, "none@example.org", "N", "h", &[], 0)
            })
            .expect("user");
        let none = Actor::user("none@example.org", "192.0.2.2");
        let refused = view(&app, &none, "anna@example.net").expect_err("refused");
        let absent = view(&app, &none, "nobody@example.net").expect_err("absent");
        assert_eq!(refused.kind, crate::error::ErrorKind::NotFound);
        assert_eq!(refused.message, absent.message);
        // Who may use the privacy area anyway is told plainly.
        let absent = view(&app, &admin, "nobody@example.net").expect_err("absent");
        assert_eq!(absent.kind, crate::error::ErrorKind::NotFound);
        assert_eq!(absent.message, "no contact nobody@example.net");
        let v = view(&app, &admin, "ANNA@example.net").expect("view");
        assert_eq!(v.tickets.len(), 1);
        assert_eq!(v.tickets[0].number, t.ticket);
        assert_eq!(v.evidence.len(), 1);
        assert!(v.may_rectify && v.may_record_consent);

        let bad = rectify(
            &app,
            &admin,
            "anna@example.net",
            &Rectification {
                phone: Some("ring me".into()),
                ..Default::default()
            },
        )
        .expect_err("bad phone");
        assert_eq!(bad.kind, crate::error::ErrorKind::Invalid);
        let r = rectify(
            &app,
            &admin,
            "anna@example.net",
            &Rectification {
                name: Some("Anna Andersson-Berg".into()),
                phone: Some("+46 70 123 45 67".into()),
                organisation: Some(String::new()),
            },
        )
        .expect("rectify");
        assert_eq!(r.changed, ["name", "phone"]);
        assert_eq!(r.contact.name.as_deref(), Some("Anna Andersson-Berg"));
        let recs = app
            .store
            .read(|r| crate::audit::since(r, 0))
            .expect("audit");
        let last = recs.last().expect("record");
        assert_eq!(last.action, "contact.rectify");
        assert_eq!(last.detail, "changed: name, phone");
        let all = serde_json::to_string(&recs).expect("json");
        for value in ["Andersson-Berg", "123 45 67", "anna@example.net"] {
            assert!(!all.contains(value), "{value} in the audit trail");
        }
        assert!(
            recs.iter()
                .any(|r| r.action == "contact.view" && r.outcome == crate::audit::Outcome::Denied)
        );
    }

    #[test]
    fn consents_need_the_tick_and_an_article_of_the_contact() {
        let (_d, app) = app();
        let t = ingest(
            &app,
            &mail("Anna A", "anna@example.net", "yes please", "yes", "F"),
            &env(),
        )
        .expect("ingest");
        let other = ingest(
            &app,
            &mail("Bo B", "bo@example.net", "other", "x", "G"),
            &env(),
        )
        .expect("ingest");
        let admin = Actor::user("admin@example.org", "192.0.2.1");
        let mut form = ConsentForm {
            purpose: "Newsletter".into(),
            wording: "May we send you our newsletter?".into(),
            given: String::new(),
            channel: "email".into(),
            article: format!("{}-{}", t.ticket, t.article),
            note: String::new(),
            affirmed: false,
        };
        let e = record_consent(&app, &admin, "anna@example.net", &form).expect_err("no tick");
        assert!(e.message.contains("actively"), "{}", e.message);
        form.article = format!("{}-{}", other.ticket, other.article);
        form.affirmed = true;
        let e = record_consent(&app, &admin, "anna@example.net", &form).expect_err("not hers");
        assert!(e.message.contains("evidence"), "{}", e.message);
        form.article = format!("{}-{}", t.ticket, t.article);
        let c = record_consent(&app, &admin, "anna@example.net", &form).expect("record");
        let w = withdraw_consent(
            &app,
            &admin,
            "anna@example.net",
            c.id,
            "",
            "phone",
            "called",
        )
        .expect("withdraw");
        assert!(w.withdrawn.is_some());
        let csv = consent_export(&app, &admin, "anna@example.net", ExportFormat::Csv).expect("csv");
        assert!(csv.starts_with("id,purpose,wording"), "{csv}");
        assert!(
            csv.contains("Newsletter") && csv.contains(",phone,called"),
            "{csv}"
        );
        let json =
            consent_export(&app, &admin, "anna@example.net", ExportFormat::Json).expect("json");
        let v: serde_json::Value = serde_json::from_str(&json).expect("parse");
        assert_eq!(v["consents"][0]["active"], false);
        assert_eq!(v["consents"][0]["withdrawn"]["channel"], "phone");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
