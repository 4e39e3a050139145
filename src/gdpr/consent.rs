//! The consent register (GDPR Art. 7): per contact, what they consented to, the exact
//! wording they were shown, when and how they actively gave it, the evidence, and its
//! withdrawal.
//!
//! Art. 7(1) puts the burden of proof on the controller, so a record is never edited or
//! deleted by normal use: withdrawal (Art. 7(3)) is added to the record, and a new consent
//! for the same purpose is a new record. Only erasure of the data subject (Art. 17) removes
//! them. Consent must be an affirmative act (recital 32: "silence, pre-ticked boxes or
//! inactivity should not therefore constitute consent"), so [`record`] demands an explicit
//! `affirmed` flag that forms leave unticked by default.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::codec::be;
use crate::store::{Reader, Table, WriteTx};

/// How the data subject gave (or withdrew) consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    /// In an e-mail; the evidence names the article.
    Email,
    /// On a web form the data subject filled in.
    WebForm,
    /// By telephone, noted by the agent.
    Phone,
    /// On paper, kept outside trygg; the note says where.
    Paper,
    /// In person, noted by the agent.
    InPerson,
}

impl Channel {
    /// Stable machine name, used in forms, JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::WebForm => "web-form",
            Channel::Phone => "phone",
            Channel::Paper => "paper",
            Channel::InPerson => "in-person",
        }
    }

    /// Parses [`Channel::as_str`]. Errors: `Invalid` naming the accepted values.
    pub fn parse(s: &str) -> Result<Channel> {
        Ok(match s.trim() {
            "email" => Channel::Email,
            "web-form" => Channel::WebForm,
            "phone" => Channel::Phone,
            "paper" => Channel::Paper,
            "in-person" => Channel::InPerson,
            other => {
                return Err(Error::invalid(format!(
                    "unknown consent channel '{other}': use email, web-form, phone, paper or in-person"
                )));
            }
        })
    }
}

/// What proves the consent: an article of a ticket, and/or a free-text note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Ticket number and article id in which the data subject said yes.
    pub article: Option<(u64, u64)>,
    /// Where the evidence is kept otherwise (e.g. "signed form, HR archive 2026/14").
    pub note: String,
}

/// The withdrawal of a consent (Art. 7(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// Unix ms.
    pub at_ms: i64,
    pub channel: Channel,
    /// The agent who recorded it.
    pub recorded_by: String,
    pub evidence: Evidence,
}

/// One consent of one contact for one purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Node-aware id ([`crate::app::IdGen`]).
    pub id: u64,
    /// Lower-case e-mail address of the contact (the data subject).
    pub contact: String,
    /// The purpose consented to, as the organisation names it (e.g. "newsletter").
    pub purpose: String,
    /// The exact wording the data subject was shown or told.
    pub wording: String,
    /// When the data subject gave it (Unix ms; may be before it was recorded).
    pub given_ms: i64,
    pub channel: Channel,
    pub evidence: Evidence,
    /// The agent who recorded it, and when (Unix ms).
    pub recorded_by: String,
    pub recorded_ms: i64,
    pub withdrawn: Option<Withdrawal>,
}

impl Consent {
    /// Whether the consent holds now (given and not withdrawn).
    pub fn is_active(&self) -> bool {
        self.withdrawn.is_none()
    }
}

/// Input of [`record`].
#[derive(Debug, Clone)]
pub struct NewConsent {
    pub contact: String,
    pub purpose: String,
    pub wording: String,
    pub given_ms: i64,
    pub channel: Channel,
    pub evidence: Evidence,
    /// Must be `true`: the agent confirms the data subject actively said yes. A form field
    /// for it is never pre-ticked.
    pub affirmed: bool,
}

/// Longest accepted purpose, in characters (Unicode scalar values, as a form's
/// `maxlength` counts them for the letters people type).
pub const MAX_PURPOSE: usize = 200;
/// Longest accepted wording or evidence note, in characters.
pub const MAX_TEXT: usize = 8 * 1024;
/// The earliest accepted date of consent, 1990-01-01T00:00:00Z in Unix ms: older dates are
/// typing mistakes (e.g. 1800-01-01), not records anyone can prove (Art. 7(1)).
pub const EARLIEST_GIVEN_MS: i64 = 631_152_000_000;

/// Checks a consent text field: at most `max` characters and no control characters
/// (they would travel raw into CSV exports and confuse readers); `multi_line` fields may
/// hold newlines (`\r\n` is stored as `\n`) and tabs. Returns the text trimmed.
/// Errors: `Invalid` naming the field.
pub fn clean_field(field: &str, value: &str, max: usize, multi_line: bool) -> Result<String> {
    let v = if multi_line {
        value.trim().replace("\r\n", "\n")
    } else {
        value.trim().to_string()
    };
    if v.chars().count() > max {
        return Err(Error::invalid(format!(
            "{field} must be at most {max} characters"
        )));
    }
    let allowed = |c: char| multi_line && matches!(c, '\n' | '\t');
    if v.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(Error::invalid(if multi_line {
            format!("{field} must not contain control characters (only line breaks and tabs)")
        } else {
            format!("{field} must not contain control characters or line breaks")
        }));
    }
    Ok(v)
}

fn key(contact: &str, id: u64) -> Vec<u8> {
    let mut k = prefix(contact);
    k.extend_from_slice(&be(id));
    k
}

fn prefix(contact: &str) -> Vec<u8> {
    let mut k = contact.to_lowercase().into_bytes();
    k.push(0);
    k
}

/// Records a consent given by a data subject. `id` comes from the caller's id generator,
/// `now_ms` from its clock. Errors: `Invalid` when the consent was not affirmed, a field is
/// empty or too long, the address is not an address, or `given_ms` lies in the future.
pub fn record(
    tx: &mut WriteTx,
    id: u64,
    now_ms: i64,
    recorded_by: &str,
    new: NewConsent,
) -> Result<Consent> {
    if !new.affirmed {
        return Err(Error::invalid(
            "consent must be actively given: confirm that the data subject said yes (GDPR Art. 7, recital 32)",
        ));
    }
    let contact = crate::helpdesk::settings::normalise_address("contact", &new.contact)?;
    let purpose = clean_field("purpose", &new.purpose, MAX_PURPOSE, false)?;
    let wording = clean_field(
        "the wording shown to the data subject",
        &new.wording,
        MAX_TEXT,
        true,
    )?;
    if purpose.is_empty() {
        return Err(Error::invalid(format!(
            "purpose must be 1 to {MAX_PURPOSE} characters"
        )));
    }
    if wording.is_empty() {
        return Err(Error::invalid(format!(
            "the wording shown to the data subject is required (at most {MAX_TEXT} characters)"
        )));
    }
    let mut evidence = new.evidence;
    evidence.note = clean_field("evidence note", &evidence.note, MAX_TEXT, true)?;
    if new.given_ms > now_ms {
        return Err(Error::invalid("consent cannot be given in the future"));
    }
    if new.given_ms < EARLIEST_GIVEN_MS {
        return Err(Error::invalid(
            "consent cannot be given before 1990-01-01: check the date",
        ));
    }
    if new.channel == Channel::Email && evidence.article.is_none() {
        return Err(Error::invalid(
            "consent given by e-mail needs the article in which the data subject said yes",
        ));
    }
    let c = Consent {
        id,
        contact,
        purpose,
        wording,
        given_ms: new.given_ms,
        channel: new.channel,
        evidence,
        recorded_by: recorded_by.to_string(),
        recorded_ms: now_ms,
        withdrawn: None,
    };
    tx.put_rec(Table::Consents, &key(&c.contact, c.id), &c)?;
    Ok(c)
}

/// Records the withdrawal of consent `id` of `contact` (Art. 7(3)). Errors: `NotFound`,
/// `Conflict` when it was already withdrawn, `Invalid` for a future time.
pub fn withdraw(
    tx: &mut WriteTx,
    contact: &str,
    id: u64,
    now_ms: i64,
    withdrawal: Withdrawal,
) -> Result<Consent> {
    let k = key(contact, id);
    let mut c: Consent = tx
        .get_rec(Table::Consents, &k)?
        .ok_or_else(|| Error::not_found("no such consent"))?;
    if c.withdrawn.is_some() {
        return Err(Error::conflict("this consent was already withdrawn"));
    }
    let mut withdrawal = withdrawal;
    withdrawal.evidence.note = clean_field("note", &withdrawal.evidence.note, MAX_TEXT, true)?;
    if withdrawal.at_ms > now_ms || withdrawal.at_ms < c.given_ms {
        return Err(Error::invalid(
            "withdrawal must lie between the consent and now",
        ));
    }
    c.withdrawn = Some(withdrawal);
    tx.put_rec(Table::Consents, &k, &c)?;
    Ok(c)
}

/// Every consent record of `contact`, oldest first: the history exported for the data
/// subject (Art. 15) and for proof (Art. 7(1)).
pub fn history(r: &impl Reader, contact: &str) -> Result<Vec<Consent>> {
    let mut out: Vec<Consent> = r
        .scan(Table::Consents, &prefix(contact), false, usize::MAX)?
        .into_iter()
        .map(|(_, v)| crate::store::codec::decode(&v))
        .collect::<Result<_>>()?;
    out.sort_by_key(|c| (c.given_ms, c.id));
    Ok(out)
}

/// Whether `contact` currently consents to `purpose` (case-insensitive).
pub fn has_active(r: &impl Reader, contact: &str, purpose: &str) -> Result<bool> {
    Ok(history(r, contact)?
        .iter()
        .any(|c| c.is_active() && c.purpose.eq_ignore_ascii_case(purpose.trim())))
}

/// Removes every consent record of `contact`; used only by erasure (Art. 17). Returns how
/// many were removed.
pub fn erase(tx: &mut WriteTx, contact: &str) -> Result<usize> {
    tx.mark_erasure();
    let keys: Vec<Vec<u8>> = tx
        .scan(Table::Consents, &prefix(contact), false, usize::MAX)?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for k in &keys {
        tx.delete(Table::Consents, k)?;
    }
    Ok(keys.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// A base time after [`EARLIEST_GIVEN_MS`] (2023-11-14).
    const T: i64 = 1_700_000_000_000;

    fn new(contact: &str) -> NewConsent {
        NewConsent {
            contact: contact.into(),
            purpose: "Newsletter".into(),
            wording: "May we send you our monthly newsletter?".into(),
            given_ms: T + 1_000,
            channel: Channel::Email,
            evidence: Evidence {
                article: Some((1001, 7)),
                note: String::new(),
            },
            affirmed: true,
        }
    }

    #[test]
    fn record_withdraw_and_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("t.redb")).expect("store");
        let c = store
            .write(T + 2_000, |tx| {
                record(
                    tx,
                    1,
                    T + 2_000,
                    "agent@example.org",
                    new("Ann@Example.ORG"),
                )
            })
            .expect("record");
        assert_eq!(c.contact, "ann@example.org");
        store
            .write(T + 3_000, |tx| {
                record(
                    tx,
                    2,
                    T + 3_000,
                    "agent@example.org",
                    new("bob@example.org"),
                )
            })
            .expect("record");
        assert!(
            store
                .read(|r| has_active(r, "ann@example.org", "newsletter"))
                .expect("read")
        );
        let w = Withdrawal {
            at_ms: T + 2_500,
            channel: Channel::Phone,
            recorded_by: "agent@example.org".into(),
            evidence: Evidence::default(),
        };
        store
            .write(T + 4_000, |tx| {
                withdraw(tx, "ann@example.org", 1, T + 4_000, w.clone())
            })
            .expect("withdraw");
        let again = store.write(T + 4_000, |tx| {
            withdraw(tx, "ann@example.org", 1, T + 4_000, w.clone())
        });
        assert_eq!(
            again.map(|_| ()).map_err(|e| e.kind),
            Err(crate::error::ErrorKind::Conflict)
        );
        let h = store
            .read(|r| history(r, "ann@example.org"))
            .expect("history");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].withdrawn.as_ref().map(|w| w.at_ms), Some(T + 2_500));
        assert!(
            !store
                .read(|r| has_active(r, "ann@example.org", "newsletter"))
                .expect("read")
        );
        // The other contact's record is untouched, and erasure removes only Ann's.
        assert_eq!(
            store
                .write(T + 5_000, |tx| erase(tx, "ann@example.org"))
                .expect("erase"),
            1
        );
        assert_eq!(
            store
                .read(|r| history(r, "bob@example.org"))
                .expect("h")
                .len(),
            1
        );
        assert!(
            store
                .read(|r| history(r, "ann@example.org"))
                .expect("h")
                .is_empty()
        );
    }

    #[test]
    fn limits_count_characters_and_multi_line_fields_keep_breaks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("t.redb")).expect("store");
        let c = store
            .write(T + 2_000, |tx| {
                record(
                    tx,
                    1,
                    T + 2_000,
                    "agent@example.org",
                    NewConsent {
                        // 150 characters, 300 bytes: within the 200-character limit.
                        purpose: "å".repeat(150),
                        wording: "Line one\r\n\tLine two".into(),
                        given_ms: EARLIEST_GIVEN_MS,
                        ..new("a@example.org")
                    },
                )
            })
            .expect("record");
        assert_eq!(c.purpose.chars().count(), 150);
        assert_eq!(c.wording, "Line one\n\tLine two");
    }

    #[test]
    fn consent_must_be_affirmed_complete_and_in_the_past() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("t.redb")).expect("store");
        let cases: Vec<(NewConsent, &str)> = vec![
            (
                NewConsent {
                    affirmed: false,
                    ..new("a@example.org")
                },
                "actively",
            ),
            (
                NewConsent {
                    wording: " ".into(),
                    ..new("a@example.org")
                },
                "wording",
            ),
            (
                NewConsent {
                    purpose: String::new(),
                    ..new("a@example.org")
                },
                "purpose",
            ),
            (
                NewConsent {
                    given_ms: T + 9_999,
                    ..new("a@example.org")
                },
                "future",
            ),
            (
                NewConsent {
                    evidence: Evidence::default(),
                    ..new("a@example.org")
                },
                "article",
            ),
            (new("not an address"), "contact"),
            (
                NewConsent {
                    given_ms: EARLIEST_GIVEN_MS - 1,
                    ..new("a@example.org")
                },
                "1990",
            ),
            (
                NewConsent {
                    purpose: "News\u{7}letter".into(),
                    ..new("a@example.org")
                },
                "control characters",
            ),
            (
                NewConsent {
                    purpose: "News\nletter".into(),
                    ..new("a@example.org")
                },
                "line breaks",
            ),
            (
                NewConsent {
                    wording: "Yes\u{1b}[31m".into(),
                    ..new("a@example.org")
                },
                "control characters",
            ),
            (
                NewConsent {
                    evidence: Evidence {
                        article: Some((1001, 7)),
                        note: "form\u{0}".into(),
                    },
                    ..new("a@example.org")
                },
                "control characters",
            ),
            (
                NewConsent {
                    purpose: "å".repeat(MAX_PURPOSE + 1),
                    ..new("a@example.org")
                },
                "200 characters",
            ),
        ];
        for (input, needle) in cases {
            let err = store
                .write(T + 2_000, |tx| {
                    record(tx, 1, T + 2_000, "agent@example.org", input)
                })
                .expect_err(needle);
            assert_eq!(err.kind, crate::error::ErrorKind::Invalid);
            assert!(
                err.message.contains(needle),
                "{} lacks {needle}",
                err.message
            );
        }
        assert!(
            store
                .read(|r| history(r, "a@example.org"))
                .expect("h")
                .is_empty()
        );
    }
}
