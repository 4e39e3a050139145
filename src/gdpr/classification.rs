//! Ticket classification and legal hold.
//!
//! Every ticket carries a classification that says how carefully it must be handled
//! (GDPR Art. 5(1)(f) integrity and confidentiality, Art. 25 protection by design, Art. 32
//! security of processing). *Sensitive* is for the special categories of Art. 9 (health,
//! union membership, beliefs, sexual orientation …); roles can be limited by classification.
//!
//! A legal hold (Art. 17(3)(e): data needed for legal claims; Art. 18(1)(c) restriction)
//! suspends retention and erasure for a ticket or a contact, with a reason, until lifted.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How carefully a ticket must be handled; ordered from least to most restricted.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum Classification {
    /// May be shown to anyone (e.g. a public FAQ question).
    Public,
    /// Internal to the organisation: the default for customer mail.
    #[default]
    Internal,
    /// Personal data needing care, e.g. a national identity number was found.
    Confidential,
    /// Special categories of personal data (Art. 9) or data about criminal convictions
    /// (Art. 10).
    Sensitive,
}

impl Classification {
    /// Every level, least restricted first.
    pub const ALL: [Classification; 4] = [
        Classification::Public,
        Classification::Internal,
        Classification::Confidential,
        Classification::Sensitive,
    ];

    /// Stable machine name (`public`, `internal`, `confidential`, `sensitive`).
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Public => "public",
            Classification::Internal => "internal",
            Classification::Confidential => "confidential",
            Classification::Sensitive => "sensitive",
        }
    }

    /// Parses [`Classification::as_str`]. Errors: `Invalid` naming the accepted values.
    pub fn parse(s: &str) -> Result<Classification> {
        Classification::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "classification must be public, internal, confidential or sensitive, not {s:?}"
                ))
            })
    }
}

/// A legal hold on a ticket or a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHold {
    /// Why, e.g. "dispute with customer, case 2026-114". Required.
    pub reason: String,
    /// Who placed it.
    pub by: String,
    /// Unix ms.
    pub at_ms: i64,
}

impl LegalHold {
    /// A hold with a trimmed, non-empty reason of at most 500 bytes. Errors: `Invalid`.
    pub fn new(reason: &str, by: &str, at_ms: i64) -> Result<LegalHold> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(Error::invalid(
                "a legal hold needs a reason (at most 500 characters)",
            ));
        }
        if reason.chars().any(char::is_control) {
            return Err(Error::invalid(
                "the reason for a legal hold must be one line of text, without control characters",
            ));
        }
        Ok(LegalHold {
            reason: reason.to_string(),
            by: by.to_string(),
            at_ms,
        })
    }
}

/// The classification incoming text calls for: at least *confidential* when it holds a
/// national identity number (in the text or an attachment's file name), else `None`.
/// `today` bounds birth dates (injected clock).
pub fn detect<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    today: jiff::civil::Date,
) -> Option<Classification> {
    texts
        .into_iter()
        .any(|t| crate::gdpr::national_id::contains(t, today))
        .then_some(Classification::Confidential)
}

/// The Unix ms `now_ms` as a civil date in UTC (for [`detect`] and national-id checks).
pub fn today(now_ms: i64) -> jiff::civil::Date {
    jiff::Timestamp::from_millisecond(now_ms)
        .map(|t| jiff::tz::Offset::UTC.to_datetime(t).date())
        .unwrap_or_else(|_| jiff::civil::Date::constant(2000, 1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_and_parse() {
        assert!(Classification::Public < Classification::Internal);
        assert!(Classification::Confidential < Classification::Sensitive);
        assert_eq!(Classification::default(), Classification::Internal);
        for c in Classification::ALL {
            assert_eq!(Classification::parse(c.as_str()).expect("parse"), c);
        }
        assert_eq!(
            Classification::parse(" Sensitive ").expect("parse"),
            Classification::Sensitive
        );
        assert!(Classification::parse("secret").is_err());
    }

    #[test]
    fn national_ids_raise_to_confidential() {
        let d = today(1_764_460_800_000); // 2025-11-30
        assert_eq!(
            detect(["hej", "mit cpr er 010203-1234"], d),
            Some(Classification::Confidential)
        );
        assert_eq!(
            detect(["personnummer_811218-9876.pdf"], d),
            Some(Classification::Confidential)
        );
        assert_eq!(detect(["scan811218-9876.pdf"], d), None, "glued to letters");
        assert_eq!(
            detect(["Lönespec 811218-9876.pdf"], d),
            Some(Classification::Confidential)
        );
        assert_eq!(detect(["ordre 150310-4321", "ring 12345678"], d), None);
    }

    #[test]
    fn legal_hold_needs_a_reason() {
        assert!(LegalHold::new("  ", "a@example.org", 1).is_err());
        assert_eq!(
            LegalHold::new(" dispute ", "a@example.org", 1)
                .expect("hold")
                .reason,
            "dispute"
        );
    }
}
