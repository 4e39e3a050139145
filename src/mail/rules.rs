//! What mail means: pure rules used by ingest and compose (no I/O, no store).
//!
//! * automatic mail (RFC 3834 §2 / §3.1.7): which mail is itself automatic, list or bulk, and
//!   must never be answered automatically;
//! * bounces (RFC 3464 delivery status notifications, plus the common non-standard ones);
//! * public mail providers, whose domains say nothing about who belongs to an organisation;
//! * forwarded mail (an agent forwarding a customer's message to the support address);
//! * TNEF (`winmail.dat`, MS-OXTNEF) unpacking, calendar invites (RFC 5545) as text;
//! * Outlook's `Thread-Index` (MS-OXOMSG §2.2.1.3, PidTagConversationIndex).

use base64::Engine;

use crate::mail::inbound::parse::{MailAddress, ParsedMessage};

/// Domains of public mail providers: two senders at one of them are not colleagues, so a
/// shared domain here never lets a stranger into a ticket by its subject tag. Entries ending
/// in `.` match every top-level domain (`yahoo.` → `yahoo.com`, `yahoo.se`, …).
pub const PUBLIC_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "outlook.dk",
    "outlook.se",
    "outlook.de",
    "hotmail.com",
    "hotmail.se",
    "hotmail.dk",
    "hotmail.de",
    "hotmail.co.uk",
    "live.com",
    "live.se",
    "live.dk",
    "msn.com",
    "yahoo.",
    "ymail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "gmx.",
    "web.de",
    "t-online.de",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "mail.dk",
    "jubii.dk",
    "ofir.dk",
    "get2net.dk",
    "telia.com",
    "telia.dk",
    "tele2.se",
    "bredband.net",
    "spray.se",
    "yandex.",
    "mail.ru",
    "aol.com",
    "zoho.com",
    "fastmail.com",
    "tutanota.com",
    "tuta.io",
    "online.no",
];

/// The lower-case domain of an address (`""` when there is no `@`).
pub fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, d)| d.trim().trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether `domain` belongs to a public mail provider ([`PUBLIC_DOMAINS`]).
pub fn is_public_domain(domain: &str) -> bool {
    let d = domain.to_ascii_lowercase();
    PUBLIC_DOMAINS.iter().any(|p| {
        if let Some(stem) = p.strip_suffix('.') {
            // `yahoo.` matches yahoo.com, yahoo.co.uk, mail.yahoo.se …
            let label_ok = |rest: &str| !rest.is_empty() && !rest.contains('@');
            d.strip_prefix(p).is_some_and(label_ok)
                || d.find(&format!(".{stem}."))
                    .is_some_and(|i| label_ok(&d[i + stem.len() + 2..]))
        } else {
            d == *p || d.ends_with(&format!(".{p}"))
        }
    })
}

/// Two addresses write from the same organisation's mail domain (equal domains that are not
/// public providers).
pub fn same_organisation(a: &str, b: &str) -> bool {
    let (da, db) = (domain_of(a), domain_of(b));
    !da.is_empty() && da == db && !is_public_domain(&da)
}

/// Local parts of senders that are machines: never answered automatically (RFC 3834 §2
/// "MUST NOT … to mail from a mailer-daemon"), and their mail is no reason to reopen.
pub fn is_machine_sender(address: &str) -> bool {
    let local = address
        .split('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let local = local.split('+').next().unwrap_or_default();
    let compact: String = local
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    matches!(
        compact.as_str(),
        "mailerdaemon" | "postmaster" | "listserv" | "majordomo" | "bounce" | "bounces"
    ) || compact.starts_with("noreply")
        || compact.starts_with("donotreply")
        || compact.starts_with("dontreply")
        || compact.starts_with("mailerdaemon")
        || compact.starts_with("bounce")
        || local.ends_with("-request")
        || local.ends_with("-bounces")
        || local.starts_with("owner-")
}

/// An automatic reply (RFC 3834 `Auto-Submitted` other than `no`, `X-Autoreply`,
/// `X-Autorespond`, `Precedence: auto_reply`): recorded, never reopens a ticket.
pub fn is_auto_reply(p: &ParsedMessage) -> bool {
    let auto_submitted = p
        .auto_submitted
        .as_deref()
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|v| !v.is_empty() && v != "no");
    let precedence_auto = p
        .precedence
        .as_deref()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("auto_reply"));
    let x_autoreply = p
        .x_autoreply
        .as_deref()
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"));
    auto_submitted || precedence_auto || x_autoreply
}

/// List or bulk mail: `List-Id` (RFC 2919), `List-Unsubscribe` (RFC 2369), or
/// `Precedence: bulk|list|junk`.
pub fn is_bulk(p: &ParsedMessage) -> bool {
    p.list_id.is_some()
        || p.list_unsubscribe.is_some()
        || p.precedence.as_deref().is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "bulk" | "list" | "junk"
            )
        })
}

/// Whether `p` carries trygg's loop marker: an `X-Loop` naming one of `ours`.
pub fn bears_our_loop(p: &ParsedMessage, ours: &[String]) -> bool {
    p.x_loop.iter().any(|v| {
        let v = v
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .trim();
        ours.iter().any(|o| v.eq_ignore_ascii_case(o))
    })
}

/// Why `p` must not be answered automatically (RFC 3834 §2), or `None` when an
/// auto-acknowledgement is allowed. `ours` are our own mailbox addresses.
pub fn no_auto_answer_reason(p: &ParsedMessage, ours: &[String]) -> Option<&'static str> {
    if bears_our_loop(p, ours) {
        return Some("X-Loop names us");
    }
    if is_auto_reply(p) {
        return Some("automatic mail (Auto-Submitted / X-Autoreply)");
    }
    if is_bulk(p) {
        return Some("list or bulk mail");
    }
    if !p.x_loop.is_empty() {
        return Some("X-Loop of another system");
    }
    if p.x_auto_response_suppress.as_deref().is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        !v.trim().is_empty() && v.trim() != "none"
    }) {
        return Some("X-Auto-Response-Suppress");
    }
    if p.return_path.as_deref().is_some_and(str::is_empty) {
        return Some("null sender");
    }
    if is_bounce(p) {
        return Some("delivery status notification");
    }
    if p.calendar.is_some() {
        // Invitations are answered by accepting or declining, never by a ticket receipt.
        return Some("calendar invitation");
    }
    match &p.from {
        None => Some("no sender"),
        Some(f) if f.address.trim().is_empty() => Some("no sender"),
        Some(f) if is_machine_sender(&f.address) => Some("machine sender"),
        Some(f) if ours.iter().any(|o| o.eq_ignore_ascii_case(&f.address)) => {
            Some("from our own mailbox")
        }
        _ => None,
    }
}

/// A delivery status notification: `multipart/report` with a delivery-status part (RFC
/// 3464/6522), or a common non-standard bounce (from a mailer-daemon/postmaster with a
/// bounce-like subject).
pub fn is_bounce(p: &ParsedMessage) -> bool {
    if p.delivery_status.is_some() {
        return true;
    }
    let from = p.from.as_ref().map(|f| f.address.as_str()).unwrap_or("");
    let local = from.split('@').next().unwrap_or("").to_ascii_lowercase();
    let machine = local.starts_with("mailer-daemon")
        || local.starts_with("mailer_daemon")
        || local == "postmaster";
    let subject = p.subject.to_ascii_lowercase();
    machine
        && [
            "undeliver",
            "delivery status",
            "delivery failure",
            "returned mail",
            "failure notice",
            "mail delivery failed",
            "non remis",
            "unzustellbar",
            "kunne ikke leveres",
            "kunde inte levereras",
            "olevererbart",
            "returneret",
        ]
        .iter()
        .any(|k| subject.contains(k))
}

/// One recipient block of a DSN (RFC 3464 §2.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DsnRecipient {
    /// `Final-Recipient` addr-spec (the `rfc822;` type stripped).
    pub final_recipient: String,
    /// `Action` (failed, delayed, delivered, relayed, expanded), lower case.
    pub action: String,
    /// `Status` (RFC 3463 enhanced code, e.g. `5.1.1`).
    pub status: String,
    /// `Diagnostic-Code` without its type (`smtp;`), unfolded.
    pub diagnostic: String,
}

/// Parses the per-recipient blocks of a `message/delivery-status` body (RFC 3464 §2.1:
/// header-like fields, blocks separated by blank lines; the first block is per-message).
pub fn parse_delivery_status(text: &str) -> Vec<DsnRecipient> {
    let text = text.replace("\r\n", "\n");
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        // Unfold (RFC 5322 §2.2.3).
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in block.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = fields.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let Some(rcpt) = get("final-recipient").or_else(|| get("original-recipient")) else {
            continue;
        };
        let strip_type = |v: &str| match v.split_once(';') {
            Some((_, rest)) => rest.trim().to_string(),
            None => v.trim().to_string(),
        };
        out.push(DsnRecipient {
            final_recipient: strip_type(&rcpt)
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string(),
            action: get("action").unwrap_or_default().to_ascii_lowercase(),
            status: get("status").unwrap_or_default(),
            diagnostic: get("diagnostic-code")
                .map(|d| strip_type(&d))
                .unwrap_or_default(),
        });
    }
    out
}

/// The failure text stored in `Delivery::Failed { reason }` for a bounce: one line per
/// failed recipient, `address: status diagnostic`, at most 1000 characters.
pub fn bounce_reason(p: &ParsedMessage) -> String {
    let rcpts = p
        .delivery_status
        .as_deref()
        .map(parse_delivery_status)
        .unwrap_or_default();
    let failed: Vec<String> = rcpts
        .iter()
        .filter(|r| r.action.is_empty() || r.action == "failed")
        .map(|r| {
            let mut s = format!("bounced: {}", r.final_recipient);
            if !r.status.is_empty() {
                s.push_str(&format!(" ({})", r.status));
            }
            if !r.diagnostic.is_empty() {
                s.push_str(&format!(": {}", r.diagnostic));
            }
            s
        })
        .collect();
    let mut reason = if failed.is_empty() {
        // Non-standard bounce (qmail, Exim, Exchange text): the first address in the text
        // that is not the reporting system's, and the first line with an SMTP reply code.
        let reporter = p.from.as_ref().map(|f| f.address.to_ascii_lowercase());
        let addr = p
            .text
            .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | ',' | ';'))
            .map(|w| w.trim_matches(|c: char| matches!(c, ':' | '.' | '(' | ')' | '[' | ']')))
            .find(|w| {
                let lw = w.to_ascii_lowercase();
                w.contains('@')
                    && w.len() > 3
                    && Some(&lw) != reporter.as_ref()
                    && !is_machine_sender(&lw)
            });
        let code_line = p.text.lines().map(str::trim).find(|l| {
            l.split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
                .any(|w| {
                    let b = w.as_bytes();
                    (b.len() == 3
                        && matches!(b[0], b'4' | b'5')
                        && w.bytes().all(|x| x.is_ascii_digit()))
                        || (b.len() >= 5
                            && matches!(b[0], b'4' | b'5')
                            && b[1] == b'.'
                            && w.bytes().all(|x| x.is_ascii_digit() || x == b'.'))
                })
        });
        match (addr, code_line) {
            (Some(a), Some(l)) => format!("bounced: {a}: {l}"),
            (Some(a), None) => format!("bounced: {a}"),
            _ => {
                let head: Vec<&str> = p
                    .text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .take(3)
                    .collect();
                format!("bounced: {}", head.join(" "))
            }
        }
    } else {
        failed.join("; ")
    };
    if reason.chars().count() > 1000 {
        reason = reason.chars().take(1000).collect();
    }
    reason
}

/// Whether a DSN reports only delays (`Action: delayed`), not a failure.
pub fn dsn_only_delayed(p: &ParsedMessage) -> bool {
    let rcpts = p
        .delivery_status
        .as_deref()
        .map(parse_delivery_status)
        .unwrap_or_default();
    !rcpts.is_empty() && rcpts.iter().all(|r| r.action == "delayed")
}

/// The original sender of a message an agent forwarded: the From of an attached
/// `message/rfc822` part, else the `From:` line of a forwarded header block in the text
/// (English, Swedish, Danish, German markers; Outlook's underscore rule).
pub fn forwarded_original_sender(p: &ParsedMessage) -> Option<MailAddress> {
    for a in &p.attachments {
        if a.content_type == "message/rfc822" || a.content_type == "message/global" {
            let inner = crate::mail::inbound::parse::parse_message(&a.data);
            if let Some(f) = inner.from.filter(|f| f.address.contains('@')) {
                return Some(f);
            }
        }
    }
    const MARKERS: &[&str] = &[
        "forwarded message",
        "original message",
        "begin forwarded message",
        "videresendt meddelelse",
        "videresendt besked",
        "oprindelig meddelelse",
        "vidarebefordrat meddelande",
        "ursprungligt meddelande",
        "ursprüngliche nachricht",
        "weitergeleitete nachricht",
        "________________________________",
    ];
    let lines: Vec<&str> = p.text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let l = line.to_lowercase();
        if !MARKERS.iter().any(|m| l.contains(m)) {
            continue;
        }
        for next in lines.iter().skip(i + 1).take(12) {
            let t = next.trim().trim_start_matches('>').trim();
            let Some((name, value)) = t.split_once(':') else {
                continue;
            };
            let name = name.trim().trim_matches('*').to_lowercase();
            if matches!(
                name.as_str(),
                "from" | "fra" | "från" | "von" | "van" | "de"
            ) {
                return address_in(value);
            }
        }
    }
    None
}

/// The first `name <addr>` or bare addr-spec in `text`.
fn address_in(text: &str) -> Option<MailAddress> {
    let text = text.trim().trim_matches('*').trim();
    if let (Some(lt), Some(gt)) = (text.find('<'), text.rfind('>'))
        && lt < gt
    {
        let address = text[lt + 1..gt]
            .trim()
            .trim_start_matches("mailto:")
            .to_string();
        if address.contains('@') && !address.contains(char::is_whitespace) {
            let name = text[..lt].trim().trim_matches('"').trim().to_string();
            return Some(MailAddress {
                name: (!name.is_empty()).then_some(name),
                address,
            });
        }
    }
    let word = text
        .split(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')' | '"' | ','))
        .find(|w| w.contains('@') && w.len() > 2)?
        .trim_start_matches("mailto:");
    Some(MailAddress {
        name: None,
        address: word.to_string(),
    })
}

/// Other systems' reference tags in a subject — `[SUP-4471]`, `(sag 58213)`, `[Ticket#99]` —
/// that an answer should keep so the other side threads it too: bracketed or parenthesised
/// groups of at most 40 characters that contain a digit. trygg's own `[#N]` tags are not
/// included.
pub fn foreign_reference_tags(subject: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [('[', ']'), ('(', ')')] {
        let mut rest = subject;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len_utf8()..];
            let Some(j) = after.find(close) else { break };
            let inner = &after[..j];
            let own = inner
                .strip_prefix('#')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            if !own
                && !inner.trim().is_empty()
                && inner.chars().count() <= 40
                && inner.chars().any(|c| c.is_ascii_digit())
                && !inner.contains([open, close])
            {
                out.push(format!("{open}{inner}{close}"));
            }
            rest = &after[j + close.len_utf8()..];
        }
    }
    out
}

// ---- TNEF ---------------------------------------------------------------------------------

/// TNEF stream signature (MS-OXTNEF §2.1.3.1).
const TNEF_SIGNATURE: u32 = 0x223E_9F78;
/// `attAttachRendData`: starts a new attachment (MS-OXTNEF §2.1.3.3.15).
const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
/// `attAttachTitle`: the (short) file name.
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
/// `attAttachData`: the file content.
const ATT_ATTACH_DATA: u32 = 0x0006_800F;
/// Most files taken from one TNEF stream.
const TNEF_MAX_FILES: usize = 256;

/// The files inside a TNEF stream (`winmail.dat`) as `(name, content)`, in stream order.
/// Bounds-checked on every length: malformed or truncated input yields what was read so
/// far, never a panic. Embedded messages and RTF bodies are not extracted.
pub fn tnef_attachments(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u32_at = |i: usize| -> Option<u32> {
        data.get(i..i.checked_add(4)?)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    };
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    if u32_at(0) != Some(TNEF_SIGNATURE) {
        return out;
    }
    let mut pos = 6; // signature + legacy key
    let mut current: Option<(String, Option<Vec<u8>>)> = None;
    let flush = |cur: &mut Option<(String, Option<Vec<u8>>)>, out: &mut Vec<(String, Vec<u8>)>| {
        if let Some((name, Some(bytes))) = cur.take() {
            out.push((
                if name.is_empty() {
                    "attachment.bin".into()
                } else {
                    name
                },
                bytes,
            ));
        }
    };
    // level (1) + id (4) + length (4) + data + checksum (2)
    while pos + 9 <= data.len() && out.len() < TNEF_MAX_FILES {
        let Some(level) = data.get(pos).copied() else {
            break;
        };
        let (Some(id), Some(len)) = (u32_at(pos + 1), u32_at(pos + 5)) else {
            break;
        };
        let start = pos + 9;
        let Some(end) = start.checked_add(len as usize) else {
            break;
        };
        let Some(value) = data.get(start..end) else {
            break;
        };
        if level == 2 {
            match id {
                ATT_ATTACH_REND_DATA => {
                    flush(&mut current, &mut out);
                    current = Some((String::new(), None));
                }
                ATT_ATTACH_TITLE => {
                    let raw = value.split(|&b| b == 0).next().unwrap_or_default();
                    let name = match std::str::from_utf8(raw) {
                        Ok(s) => s.to_string(),
                        Err(_) => encoding_rs::WINDOWS_1252.decode(raw).0.into_owned(),
                    };
                    current.get_or_insert_with(|| (String::new(), None)).0 = name;
                }
                ATT_ATTACH_DATA => {
                    current.get_or_insert_with(|| (String::new(), None)).1 = Some(value.to_vec());
                }
                _ => {}
            }
        }
        pos = end + 2;
    }
    flush(&mut current, &mut out);
    out
}

/// A content type for a file name's extension (TNEF carries none we trust).
pub fn content_type_for_name(name: &str) -> String {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("doc") => "application/msword",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xls") => "application/vnd.ms-excel",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("zip") => "application/zip",
        Some("ics") => "text/calendar",
        _ => "application/octet-stream",
    }
    .to_string()
}

// ---- calendar -----------------------------------------------------------------------------

/// A readable text for an invitation (RFC 5545 VEVENT): summary, time, place, organiser and
/// description. Lines are unfolded (§3.1) and text escapes undone (§3.3.11).
pub fn calendar_summary(ics: &str) -> String {
    let mut unfolded: Vec<String> = Vec::new();
    for line in ics.replace("\r\n", "\n").split('\n') {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = unfolded.last_mut() {
                last.push_str(&line[1..]);
            }
        } else {
            unfolded.push(line.to_string());
        }
    }
    let mut in_event = false;
    let mut fields: Vec<(String, String, String)> = Vec::new(); // name, params, value
    for line in &unfolded {
        let upper = line.trim().to_ascii_uppercase();
        if upper == "BEGIN:VEVENT" {
            in_event = true;
            continue;
        }
        if upper == "END:VEVENT" {
            break;
        }
        if !in_event {
            continue;
        }
        let Some((head, value)) = line.split_once(':') else {
            continue;
        };
        let (name, params) = head.split_once(';').unwrap_or((head, ""));
        fields.push((
            name.trim().to_ascii_uppercase(),
            params.to_string(),
            value.to_string(),
        ));
    }
    let get = |n: &str| fields.iter().find(|(k, _, _)| k == n);
    let unescape = |v: &str| {
        v.replace("\\n", "\n")
            .replace("\\N", "\n")
            .replace("\\,", ",")
            .replace("\\;", ";")
            .replace("\\\\", "\\")
    };
    let when = |n: &str| {
        get(n).map(|(_, params, v)| {
            let v = v.trim();
            let tz = params
                .split(';')
                .find_map(|p| p.strip_prefix("TZID="))
                .map(|t| format!(" ({})", t.trim_matches('"')));
            let pretty = match (v.get(0..4), v.get(4..6), v.get(6..8)) {
                (Some(y), Some(m), Some(d)) => match (v.get(9..11), v.get(11..13)) {
                    (Some(hh), Some(mm)) => {
                        let utc = if v.ends_with('Z') { " UTC" } else { "" };
                        format!("{y}-{m}-{d} {hh}:{mm}{utc}")
                    }
                    _ => format!("{y}-{m}-{d}"),
                },
                _ => v.to_string(),
            };
            format!("{pretty}{}", tz.unwrap_or_default())
        })
    };
    let mut out = String::new();
    if let Some((_, _, v)) = get("SUMMARY") {
        out.push_str(&format!("Invitation: {}\n", unescape(v)));
    }
    match (when("DTSTART"), when("DTEND")) {
        (Some(s), Some(e)) => out.push_str(&format!("When: {s} – {e}\n")),
        (Some(s), None) => out.push_str(&format!("When: {s}\n")),
        _ => {}
    }
    if let Some((_, _, v)) = get("LOCATION") {
        out.push_str(&format!("Where: {}\n", unescape(v)));
    }
    if let Some((_, params, v)) = get("ORGANIZER") {
        let cn = params
            .split(';')
            .find_map(|p| p.strip_prefix("CN="))
            .map(|c| c.trim_matches('"').to_string());
        let mail = v
            .trim()
            .trim_start_matches("mailto:")
            .trim_start_matches("MAILTO:");
        match cn {
            Some(cn) => out.push_str(&format!("Organiser: {cn} <{mail}>\n")),
            None => out.push_str(&format!("Organiser: {mail}\n")),
        }
    }
    if let Some((_, _, v)) = get("DESCRIPTION") {
        out.push('\n');
        out.push_str(unescape(v).trim());
        out.push('\n');
    }
    out
}

// ---- Outlook threading ----------------------------------------------------------------------

/// The first value of header `name` in the header block of `raw` (unfolded, trimmed),
/// reading at most the first 256 KiB: a cheap look-up that does not parse the body.
pub fn raw_header(raw: &[u8], name: &str) -> Option<String> {
    let head = &raw[..raw.len().min(256 * 1024)];
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| head.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(head.len());
    let text = String::from_utf8_lossy(&head[..end]);
    let mut value: Option<String> = None;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.trim().eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_string());
        }
    }
    value.filter(|v| !v.is_empty())
}

/// FILETIME (100 ns since 1601) of Unix milliseconds.
fn filetime(unix_ms: i64) -> u64 {
    (unix_ms.max(0) as u64)
        .saturating_mul(10_000)
        .saturating_add(116_444_736_000_000_000)
}

/// A new `Thread-Index` header block (MS-OXOMSG §2.2.1.3): the top 6 bytes of the
/// FILETIME (the first is 0x01 in this era), 16-byte conversation GUID; base64.
pub fn thread_index_new(guid: [u8; 16], unix_ms: i64) -> String {
    let ft = filetime(unix_ms);
    let mut b = Vec::with_capacity(22);
    b.extend_from_slice(&ft.to_be_bytes()[..6]);
    b.extend_from_slice(&guid);
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// `parent` (base64 Thread-Index) with one 5-byte child block for a reply at `unix_ms`;
/// `None` when `parent` is not a valid index.
pub fn thread_index_child(parent: &str, unix_ms: i64) -> Option<String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = engine.decode(parent.trim()).ok()?;
    if bytes.len() < 22 || (bytes.len() - 22) % 5 != 0 || bytes.len() > 22 + 5 * 200 {
        return None;
    }
    let mut head = [0u8; 8];
    head[..6].copy_from_slice(bytes.get(..6)?);
    // Header time: bytes 0..6 are the top 48 bits of the FILETIME (first byte reserved).
    let parent_ft =
        u64::from_be_bytes([head[0], head[1], head[2], head[3], head[4], head[5], 0, 0]);
    let delta = filetime(unix_ms).saturating_sub(parent_ft);
    let block: u64 = if delta < (1u64 << 49) {
        (delta >> 18) & 0x7FFF_FFFF
    } else {
        (1u64 << 31) | ((delta >> 23) & 0x7FFF_FFFF)
    };
    let mut out = bytes;
    out.extend_from_slice(&(block as u32).to_be_bytes());
    out.push(((unix_ms & 0x0F) as u8) << 4 | 0x01);
    Some(engine.encode(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::inbound::parse::parse_message;

    #[test]
    fn public_domains() {
        assert!(is_public_domain("gmail.com"));
        assert!(is_public_domain("yahoo.se"));
        assert!(is_public_domain("yahoo.co.uk"));
        assert!(is_public_domain("gmx.de"));
        assert!(is_public_domain("hotmail.dk"));
        assert!(!is_public_domain("kommun.example.se"));
        assert!(!is_public_domain("notgmail.com"));
        assert!(!is_public_domain("yahoo"));
        assert!(same_organisation(
            "a@kommun.example.se",
            "B@Kommun.Example.se"
        ));
        assert!(!same_organisation("a@gmail.com", "b@gmail.com"));
        assert!(!same_organisation("a@x.example.se", "b@y.example.se"));
    }

    #[test]
    fn other_systems_tags() {
        assert_eq!(
            foreign_reference_tags("SV: [#1002] Vi har modtaget din henvendelse (sag 58213)"),
            vec!["(sag 58213)".to_string()]
        );
        assert_eq!(
            foreign_reference_tags("[SUP-4471] Lieferung [Driftinfo] (bitte) [Ticket#99]"),
            vec!["[SUP-4471]".to_string(), "[Ticket#99]".to_string()]
        );
        assert!(foreign_reference_tags("Re: [#1] x [ ] ( ) [").is_empty());
    }

    #[test]
    fn machine_senders() {
        for a in [
            "MAILER-DAEMON@x.example",
            "postmaster@x",
            "no-reply@x",
            "noreply@x",
            "do-not-reply@x",
            "donotreply@x",
            "list-request@x",
            "owner-list@x",
            "bounces+123@x",
        ] {
            assert!(is_machine_sender(a), "{a}");
        }
        for a in ["anna@x", "nora@x", "replyhere@x"] {
            assert!(!is_machine_sender(a), "{a}");
        }
    }

    fn msg(headers: &str) -> ParsedMessage {
        parse_message(
            format!("From: Anna <anna@kund.example.se>\r\nSubject: x\r\n{headers}\r\nhej\r\n")
                .as_bytes(),
        )
    }

    #[test]
    fn automatic_mail_is_not_answered() {
        let ours = vec!["support@helpdesk.example.com".to_string()];
        assert_eq!(no_auto_answer_reason(&msg(""), &ours), None);
        assert_eq!(
            no_auto_answer_reason(&msg("Auto-Submitted: no\r\n"), &ours),
            None
        );
        for h in [
            "Auto-Submitted: auto-replied\r\n",
            "Auto-Submitted: auto-generated; owner-email=x@y\r\n",
            "Precedence: bulk\r\n",
            "Precedence: junk\r\n",
            "Precedence: list\r\n",
            "List-Id: <x.lists.example.org>\r\n",
            "List-Unsubscribe: <mailto:u@example.org>\r\n",
            "X-Loop: support@helpdesk.example.com\r\n",
            "X-Loop: other@example.org\r\n",
            "X-Auto-Response-Suppress: All\r\n",
            "Return-Path: <>\r\n",
            "X-Autoreply: yes\r\n",
        ] {
            assert!(no_auto_answer_reason(&msg(h), &ours).is_some(), "{h}");
        }
        let m = parse_message(b"From: MAILER-DAEMON@x.example\r\nSubject: hi\r\n\r\nx\r\n");
        assert!(no_auto_answer_reason(&m, &ours).is_some());
        let m = parse_message(b"From: support@helpdesk.example.com\r\nSubject: hi\r\n\r\nx\r\n");
        assert!(no_auto_answer_reason(&m, &ours).is_some());
        assert!(bears_our_loop(
            &msg("X-Loop: <Support@helpdesk.example.com>\r\n"),
            &ours
        ));
        assert!(is_auto_reply(&msg("Auto-Submitted: auto-replied\r\n")));
        assert!(!is_auto_reply(&msg("Auto-Submitted: no\r\n")));
    }

    #[test]
    fn dsn_fields() {
        let ds = "Reporting-MTA: dns; mx.example.com\r\nArrival-Date: x\r\n\r\nFinal-Recipient: rfc822; kirsten@example.dk\r\nOriginal-Recipient: rfc822;kirsten@example.dk\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <kirsten@example.dk>:\r\n Recipient address rejected\r\n";
        let r = parse_delivery_status(ds);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].final_recipient, "kirsten@example.dk");
        assert_eq!(r[0].status, "5.1.1");
        assert_eq!(r[0].action, "failed");
        assert_eq!(
            r[0].diagnostic,
            "550 5.1.1 <kirsten@example.dk>: Recipient address rejected"
        );
    }

    #[test]
    fn non_standard_bounce_names_address_and_code() {
        let m = parse_message(
            b"From: MAILER-DAEMON@mx.example.com\r\nSubject: failure notice\r\n\r\nHi. This is the qmail-send program.\r\n\r\n<kirsten@firma.example.dk>:\r\n192.0.2.1 does not like recipient.\r\nRemote host said: 550 5.1.1 No such user\r\n",
        );
        assert!(is_bounce(&m));
        assert_eq!(
            bounce_reason(&m),
            "bounced: kirsten@firma.example.dk: Remote host said: 550 5.1.1 No such user"
        );
    }

    #[test]
    fn forwarded_sender_from_text() {
        let m = parse_message(
            "From: agent@helpdesk.example.com\r\nSubject: Fwd: hjälp\r\n\r\nSe nedan.\r\n\r\n---------- Forwarded message ---------\r\nFrom: Åsa Öberg <asa@kommun.example.se>\r\nDate: igår\r\nSubject: hjälp\r\n\r\nSkrivaren!\r\n"
                .as_bytes(),
        );
        let f = forwarded_original_sender(&m).unwrap();
        assert_eq!(f.address, "asa@kommun.example.se");
        assert_eq!(f.name.as_deref(), Some("Åsa Öberg"));
        let m = parse_message(
            b"From: a@x.example\r\nSubject: x\r\n\r\n-----Ursprungligt meddelande-----\r\nFr\xc3\xa5n: per@firma.example.se\r\n",
        );
        assert_eq!(
            forwarded_original_sender(&m).unwrap().address,
            "per@firma.example.se"
        );
        assert!(forwarded_original_sender(&msg("")).is_none());
    }

    fn tnef_attr(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
        let mut v = vec![level];
        v.extend_from_slice(&id.to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        let sum: u32 = data.iter().map(|&b| b as u32).sum();
        v.extend_from_slice(&((sum & 0xFFFF) as u16).to_le_bytes());
        v
    }

    #[test]
    fn tnef_files_are_unpacked_and_garbage_is_safe() {
        let mut t = TNEF_SIGNATURE.to_le_bytes().to_vec();
        t.extend_from_slice(&[0x01, 0x00]);
        t.extend(tnef_attr(1, 0x0009_8008, b"IPM.Microsoft Mail.Note\0"));
        t.extend(tnef_attr(2, ATT_ATTACH_REND_DATA, &[0; 14]));
        t.extend(tnef_attr(2, ATT_ATTACH_TITLE, b"k\xf6rjournal.txt\0"));
        t.extend(tnef_attr(2, ATT_ATTACH_DATA, b"hello"));
        t.extend(tnef_attr(2, ATT_ATTACH_REND_DATA, &[0; 14]));
        t.extend(tnef_attr(2, ATT_ATTACH_TITLE, b"b.pdf\0"));
        t.extend(tnef_attr(2, ATT_ATTACH_DATA, b"%PDF"));
        let files = tnef_attachments(&t);
        assert_eq!(
            files,
            vec![
                ("körjournal.txt".to_string(), b"hello".to_vec()),
                ("b.pdf".to_string(), b"%PDF".to_vec())
            ]
        );
        // Every truncation and a huge length are handled.
        for n in 0..t.len() {
            let _ = tnef_attachments(&t[..n]);
        }
        let mut bad = t.clone();
        bad[7..11].copy_from_slice(&u32::MAX.to_le_bytes());
        let _ = tnef_attachments(&bad);
        assert!(tnef_attachments(b"not tnef").is_empty());
    }

    #[test]
    fn calendar_text() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Opstartsm\u{f8}de \u{2013} ny\r\n  telefoni\r\nDTSTART;TZID=Europe/Copenhagen:20250320T090000\r\nDTEND;TZID=Europe/Copenhagen:20250320T100000\r\nLOCATION:M\u{f8}delokale \u{d8}st\\, Havnegade 4\r\nORGANIZER;CN=Kasper Holm:mailto:kasper@example.dk\r\nDESCRIPTION:Vi gennemg\u{e5}r nummerplan\\nog mobiler\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let s = calendar_summary(ics);
        assert!(s.contains("Invitation: Opstartsmøde – ny telefoni"), "{s}");
        assert!(s.contains("When: 2025-03-20 09:00 (Europe/Copenhagen) – 2025-03-20 10:00"));
        assert!(s.contains("Where: Mødelokale Øst, Havnegade 4"));
        assert!(s.contains("Organiser: Kasper Holm <kasper@example.dk>"));
        assert!(s.contains("nummerplan\nog mobiler"));
        let m = parse_message(
            format!("From: k@x.example\r\nSubject: inv\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n{ics}").as_bytes(),
        );
        assert!(m.text.contains("Where: Mødelokale Øst"), "{}", m.text);
    }

    #[test]
    fn thread_index_grows_by_five_bytes() {
        let engine = base64::engine::general_purpose::STANDARD;
        let root = thread_index_new([7; 16], 1_741_000_000_000);
        assert_eq!(engine.decode(&root).unwrap().len(), 22);
        let child = thread_index_child(&root, 1_741_000_600_000).unwrap();
        let bytes = engine.decode(&child).unwrap();
        assert_eq!(bytes.len(), 27);
        assert_eq!(&bytes[..22], &engine.decode(&root).unwrap()[..]);
        assert!(thread_index_child("bm9wZQ==", 0).is_none());
        let raw =
            b"From: a@b\r\nThread-Index: AdmN\r\n q0w=\r\nSubject: x\r\n\r\nThread-Index: no\r\n";
        assert_eq!(raw_header(raw, "thread-index").as_deref(), Some("AdmNq0w="));
        assert_eq!(raw_header(raw, "x-none"), None);
    }
}

#[cfg(test)]
mod hard_mail_tests {
    use crate::mail::inbound::parse::parse_message;

    #[test]
    fn encoded_words_glued_to_text_decode() {
        for (subject, want) in [
            ("Hej=?utf-8?q?_d=C3=A4r?=", "Hej där"),
            ("=?utf-8?q?V=C3=A4lkommen?=till oss", "Välkommen till oss"),
            ("Re:=?iso-8859-1?q?_Sk=E6rm?=", "Re: Skærm"),
            ("=?utf-8?b?w4VzYQ==?==?utf-8?b?IMOWYmVyZw==?=", "Åsa Öberg"),
        ] {
            let m = parse_message(
                format!("From: a@example.org\r\nSubject: {subject}\r\n\r\nx\r\n").as_bytes(),
            );
            // mail-parser separates a glued word from its neighbour by a space; what counts
            // is that every word decodes (compared with white space collapsed).
            let got = m.subject.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(got, want, "{subject}");
            assert!(!m.subject.contains("=?"), "{subject}");
        }
    }

    #[test]
    fn agent_forward_as_attachment_names_the_original_sender() {
        let raw = b"From: agent@helpdesk.example.com\r\nSubject: Fwd: VPN\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSe bifogat.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: =?utf-8?q?Bj=C3=B6rn?= <bjorn@firma.example.se>\r\nSubject: VPN\r\nMessage-ID: <inner@firma>\r\n\r\nVPN fungerar inte.\r\n--b--\r\n";
        let m = parse_message(raw);
        assert_eq!(m.attachments.len(), 1);
        assert_eq!(m.attachments[0].filename, "VPN.eml");
        let f = super::forwarded_original_sender(&m).unwrap();
        assert_eq!(f.address, "bjorn@firma.example.se");
        assert_eq!(f.name.as_deref(), Some("Björn"));
    }
}

#[cfg(test)]
mod no_panic_tests {
    use super::*;
    use crate::mail::inbound::parse::parse_message;

    /// Deterministic pseudo-random strings over an alphabet rich in the characters these
    /// rules split on, plus multi-byte letters (slicing must stay on char boundaries).
    fn samples() -> Vec<String> {
        const ALPHABET: &[&str] = &[
            "a",
            "Z",
            "0",
            "5",
            "@",
            ".",
            ":",
            ";",
            "<",
            ">",
            "[",
            "]",
            "(",
            ")",
            "#",
            " ",
            "\t",
            "\r\n",
            "\n",
            "\r\n ",
            "=",
            "\\",
            ",",
            "å",
            "Ø",
            "€",
            "\u{feff}",
            "–",
            "yahoo.",
            "gmx.",
            "BEGIN:VEVENT",
            "DTSTART:",
            "SUMMARY:",
            "Final-Recipient:",
            "rfc822;",
            "Action: failed",
            "From:",
            "Från:",
            "-----Original Message-----",
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut out = Vec::new();
        for round in 0..400 {
            let len = 1 + round % 60;
            let mut s = String::new();
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                s.push_str(ALPHABET[(state % ALPHABET.len() as u64) as usize]);
            }
            out.push(s);
        }
        out
    }

    #[test]
    fn rules_never_panic_on_odd_input() {
        for s in samples() {
            let _ = is_public_domain(&s);
            let _ = same_organisation(&s, &s);
            let _ = is_machine_sender(&s);
            let _ = parse_delivery_status(&s);
            let _ = calendar_summary(&s);
            let _ = foreign_reference_tags(&s);
            let _ = raw_header(s.as_bytes(), "from");
            let _ = tnef_attachments(s.as_bytes());
            let _ = thread_index_child(&s, 0);
            let _ = crate::helpdesk::ingest::content_fingerprint(s.as_bytes());
            let raw = format!("From: {s}\r\nSubject: {s}\r\nX-Loop: {s}\r\n\r\n{s}\r\n");
            let m = parse_message(raw.as_bytes());
            let _ = forwarded_original_sender(&m);
            let _ = no_auto_answer_reason(&m, &["a@b".to_string()]);
            let _ = bounce_reason(&m);
            let _ = crate::mail::inbound::parse::strip_reply_prefixes(&s);
        }
    }
}
