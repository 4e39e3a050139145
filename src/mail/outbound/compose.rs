//! Building outgoing mail with mail-builder: From the support mailbox, the ticket tag in the
//! Subject, a Message-ID of ours, and In-Reply-To/References continuing the customer's
//! thread (RFC 5322 §3.6.4), so the customer's answer threads back into the ticket.

use hmac::{Hmac, Mac};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::helpdesk::MailAddress;

/// Everything needed to build one outgoing message.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub from: MailAddress,
    pub to: Vec<MailAddress>,
    pub subject: String,
    pub text: String,
    /// Without `<>`.
    pub message_id: String,
    /// Without `<>`.
    pub in_reply_to: Option<String>,
    /// Without `<>`, oldest first.
    pub references: Vec<String>,
    /// Unix seconds.
    pub date: i64,
    /// An automatic response (RFC 3834 §5: `Auto-Submitted: auto-replied`); otherwise
    /// `Auto-Submitted: no`.
    pub auto_replied: bool,
    /// Our loop marker: `X-Loop: <mailbox>`; mail coming back with it is never answered.
    pub x_loop: Option<String>,
    /// Outlook's `Thread-Topic` (the ticket title).
    pub thread_topic: Option<String>,
    /// Outlook's `Thread-Index` (base64, see `crate::mail::rules::thread_index_new`).
    pub thread_index: Option<String>,
}

/// The Message-ID trygg gives article `article` of ticket `ticket`:
/// `<ticket>.<article>.<mac>@<domain>` where `mac` is the first 16 hex digits of
/// HMAC-SHA256(secret, "<ticket>.<article>"), so our own ids can be recognised and not
/// forged.
pub fn message_id(secret: &[u8], ticket: u64, article: u64, domain: &str) -> String {
    format!(
        "{ticket}.{article}.{}@{domain}",
        id_mac(secret, ticket, article)
    )
}

fn id_mac(secret: &[u8], ticket: u64, article: u64) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{ticket}.{article}").as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// If `id` is a Message-ID minted by [`message_id`] with `secret`, its (ticket, article).
pub fn verify_message_id(secret: &[u8], id: &str) -> Option<(u64, u64)> {
    let local = id.split('@').next()?;
    let mut parts = local.split('.');
    let ticket: u64 = parts.next()?.parse().ok()?;
    let article: u64 = parts.next()?.parse().ok()?;
    let mac = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let expected = id_mac(secret, ticket, article);
    crate::auth::session::tokens_equal(mac, &expected).then_some((ticket, article))
}

/// A raw header value without line breaks or control characters (header injection).
fn is_header_safe(v: &str) -> bool {
    !v.is_empty() && v.len() < 500 && !v.chars().any(char::is_control)
}

fn addr(a: &MailAddress) -> Address<'static> {
    match &a.name {
        Some(n) if !n.is_empty() => Address::new_address(Some(n.clone()), a.address.clone()),
        _ => Address::new_address(None::<String>, a.address.clone()),
    }
}

/// Serialises `m` as an RFC 5322 message (UTF-8 text, quoted-printable or base64 as
/// mail-builder chooses; RFC 2047 encoded headers). Errors: `Invalid` without recipients.
pub fn build(m: &OutgoingMail) -> Result<Vec<u8>> {
    if m.to.is_empty() {
        return Err(Error::invalid("the reply has no recipient"));
    }
    let to: Vec<Address<'static>> = m.to.iter().map(addr).collect();
    let mut b = MessageBuilder::new()
        .from(addr(&m.from))
        .to(to)
        .subject(m.subject.clone())
        .message_id(m.message_id.clone())
        .date(m.date)
        .header(
            "Auto-Submitted",
            mail_builder::headers::raw::Raw::new(if m.auto_replied {
                "auto-replied"
            } else {
                "no"
            }),
        )
        .text_body(m.text.clone());
    if let Some(l) = m.x_loop.as_ref().filter(|l| is_header_safe(l)) {
        b = b.header("X-Loop", mail_builder::headers::raw::Raw::new(l.clone()));
    }
    if m.auto_replied {
        // Ask Exchange not to answer our automatic mail with its own (out of office etc.).
        b = b.header(
            "X-Auto-Response-Suppress",
            mail_builder::headers::raw::Raw::new("All"),
        );
    }
    if let Some(t) = m.thread_topic.as_ref().filter(|t| !t.is_empty()) {
        b = b.header(
            "Thread-Topic",
            mail_builder::headers::text::Text::new(t.clone()),
        );
    }
    if let Some(t) = m.thread_index.as_ref().filter(|t| is_header_safe(t)) {
        b = b.header(
            "Thread-Index",
            mail_builder::headers::raw::Raw::new(t.clone()),
        );
    }
    if let Some(irt) = &m.in_reply_to {
        b = b.in_reply_to(irt.clone());
    }
    if !m.references.is_empty() {
        b = b.references(m.references.clone());
    }
    let mut raw = b
        .write_to_vec()
        .map_err(|e| Error::internal(format!("building mail: {e}")))?;
    // End with CRLF so the bytes on the wire (before "." CRLF) equal the stored bytes.
    if !raw.ends_with(b"\r\n") {
        raw.extend_from_slice(b"\r\n");
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_message_ids_verify_and_forgeries_do_not() {
        let id = message_id(b"secret", 1001, 77, "example.com");
        assert_eq!(verify_message_id(b"secret", &id), Some((1001, 77)));
        assert_eq!(verify_message_id(b"other", &id), None);
        assert_eq!(
            verify_message_id(b"secret", "1001.78.0000000000000000@example.com"),
            None
        );
        assert_eq!(verify_message_id(b"secret", "garbage"), None);
    }

    #[test]
    fn built_mail_parses_back() {
        let m = OutgoingMail {
            from: MailAddress {
                name: Some("Hjälp AB".into()),
                address: "support@example.se".into(),
            },
            to: vec![MailAddress {
                name: Some("Åsa Öberg".into()),
                address: "asa@example.se".into(),
            }],
            subject: "Re: [#1001] Skrivaren på plan 3".into(),
            text: "Hej Åsa,\n\nnu fungerar det.\n".into(),
            message_id: "1001.5.abc@example.se".into(),
            in_reply_to: Some("orig@example.se".into()),
            references: vec!["first@example.se".into(), "orig@example.se".into()],
            date: 1_741_000_000,
            auto_replied: false,
            x_loop: Some("support@example.se".into()),
            thread_topic: Some("Skrivaren på plan 3".into()),
            thread_index: Some(crate::mail::rules::thread_index_new(
                [1; 16],
                1_741_000_000_000,
            )),
        };
        let raw = build(&m).unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("X-Loop: support@example.se\r\n"), "{text}");
        assert!(text.contains("Auto-Submitted: no\r\n"));
        assert!(text.contains("Thread-Index: "));
        assert!(text.contains("Thread-Topic: "));
        let auto = build(&OutgoingMail {
            auto_replied: true,
            ..m.clone()
        })
        .unwrap();
        let auto_p = crate::mail::inbound::parse::parse_message(&auto);
        assert_eq!(auto_p.auto_submitted.as_deref(), Some("auto-replied"));
        assert!(crate::mail::rules::bears_our_loop(
            &auto_p,
            &["support@example.se".into()]
        ));
        let p = crate::mail::inbound::parse::parse_message(&raw);
        assert_eq!(p.subject, m.subject);
        assert_eq!(p.message_id.as_deref(), Some("1001.5.abc@example.se"));
        assert_eq!(p.in_reply_to, vec!["orig@example.se".to_string()]);
        assert_eq!(p.references, m.references);
        assert!(p.text.contains("nu fungerar det."));
        assert_eq!(p.from.unwrap().name.as_deref(), Some("Hjälp AB"));
    }
}
