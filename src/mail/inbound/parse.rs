//! Pure parsing layer: raw RFC 5322 bytes → decoded [`ParsedMessage`].
//!
//! Built on `mail-parser` (MIME structure, RFC 2047/2231 decoding, addresses, dates, charsets)
//! with small, documented patches where its output is not what a help desk needs:
//!
//! * text parts labelled with an unknown charset, `us-ascii` or nothing but carrying 8-bit
//!   bytes are decoded as UTF-8 when valid, else windows-1252 (mail-parser would emit U+FFFD or
//!   read them as windows-1252 unconditionally);
//! * raw 8-bit header bytes that are not UTF-8 (RFC 6532 only allows UTF-8) are read as
//!   windows-1252 before the header is parsed again;
//! * RFC 2047 encoded words inside quoted `filename=`/`name=` parameters are decoded;
//! * `message/rfc822` attachments carry the embedded message exactly as transmitted;
//! * HTML-only messages are rendered to text by a small converter here (mail-parser's
//!   `html_to_text` only breaks lines at `<br>`/`</p>` and glues words after a break).
//!
//! Nothing here performs I/O; [`parse_message`] never panics.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use mail_parser::decoders::html::add_html_token;
use mail_parser::parsers::MessageStream;
use mail_parser::{
    Address, ContentType, Encoding as TransferEncoding, Header, HeaderName, HeaderValue,
    MessageParser, MessagePart, MimeHeaders, PartType,
};

/// RFC 5322 §2.1.1: maximum line length in octets, excluding the CRLF.
const MAX_LINE_OCTETS: usize = 998;

/// One mailbox from an address header (RFC 5322 §3.4 `mailbox`).
///
/// `name` is the decoded display name (RFC 2047 / RFC 6532), or the trailing comment when the
/// mailbox has no display name (`addr (Comment)`), `None` when absent or empty.
/// `address` is the addr-spec (`local@domain`) as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailAddress {
    /// Decoded display name (or comment), trimmed; `None` when there is none.
    pub name: Option<String>,
    /// The addr-spec, e.g. `"anna@example.se"`.
    pub address: String,
}

/// One attachment: a leaf MIME part (RFC 2045/2046) with a file name, or a `message/rfc822` part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParsedAttachment {
    /// Decoded file name: Content-Disposition `filename` (RFC 2183) or Content-Type `name`,
    /// with RFC 2231 (incl. continuations) and RFC 2047 (also inside quotes) decoded.
    /// `/`, `\` and control characters are replaced by `_`. A `message/rfc822` part without a
    /// name is called after its subject plus `.eml`.
    pub filename: String,
    /// Lower-case `type/subtype` without parameters, e.g. `"application/pdf"`.
    pub content_type: String,
    /// Content-ID (RFC 2392) without the angle brackets.
    pub content_id: Option<String>,
    /// `Content-Disposition: inline`, or the part is referenced as `cid:` from an HTML body.
    pub inline: bool,
    /// Octets after transfer decoding (RFC 2045 §6); for `message/rfc822` the embedded message
    /// exactly as transmitted (CRLF kept).
    pub data: Vec<u8>,
}

/// Anomalies noticed while parsing; none of them stops parsing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ParseFlags {
    /// The parser failed, panicked, or found no usable header: keep the raw bytes.
    pub malformed: bool,
    /// An unknown or wrong charset label was replaced by UTF-8 or windows-1252.
    pub charset_fallback: bool,
    /// No (non-empty) Message-ID header (RFC 5322 §3.6.4).
    pub missing_message_id: bool,
    /// A line longer than 998 octets (RFC 5322 §2.1.1).
    pub long_lines: bool,
    // mail rules: set by ingest (src/mail/rules.rs), stored with the article
    /// Automatic reply received (RFC 3834 `Auto-Submitted` other than `no`, `X-Autoreply`,
    /// out-of-office): stored, never reopens a ticket, never answered.
    #[serde(default)]
    pub auto_reply: bool,
    /// List or bulk mail (`List-Id`, `List-Unsubscribe`, `Precedence: bulk/list/junk`).
    #[serde(default)]
    pub bulk: bool,
    /// A delivery status notification (RFC 3464) or a common non-standard bounce.
    #[serde(default)]
    pub bounce: bool,
    /// A bounce that names no Message-ID of ours: stored, acted on nothing.
    #[serde(default)]
    pub bounce_unverified: bool,
    /// Same Message-ID as an earlier message but different content (some systems reuse ids).
    #[serde(default)]
    pub reused_message_id: bool,
    /// Mail trygg generated itself (an auto-acknowledgement), RFC 3834 `auto-replied`.
    #[serde(default)]
    pub automatic: bool,
    /// Bears trygg's own `X-Loop`: our mail came back; never answered.
    #[serde(default)]
    pub loop_detected: bool,
    /// A TNEF `winmail.dat` was unpacked into ordinary attachments (the original is kept).
    #[serde(default)]
    pub tnef_unpacked: bool,
    /// An agent forwarded a customer's mail; the ticket belongs to the original sender.
    #[serde(default)]
    pub forwarded_by_agent: bool,
    /// The subject quoted a ticket tag, but the sender is no participant of that ticket:
    /// a new ticket was opened and linked to the tagged one.
    #[serde(default)]
    pub foreign_tag: bool,
    /// No usable `Date` header: the date comes from the top `Received` line.
    #[serde(default)]
    pub date_from_received: bool,
}

/// A decoded message: the header fields the help desk uses, extracted text, HTML and
/// attachments.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParsedMessage {
    /// Message-ID (RFC 5322 §3.6.4) without `<>`; `None` when missing or empty.
    pub message_id: Option<String>,
    /// In-Reply-To msg-ids without `<>`, in header order.
    pub in_reply_to: Vec<String>,
    /// References msg-ids without `<>`, in header order.
    pub references: Vec<String>,
    /// Decoded (RFC 2047, RFC 6532), unfolded subject; prefixes and tags kept; `""` if none.
    pub subject: String,
    /// First mailbox of `From` (not `Sender`, not `Reply-To`).
    pub from: Option<MailAddress>,
    /// First mailbox of `Reply-To`.
    pub reply_to: Option<MailAddress>,
    /// All mailboxes of all `To` headers (groups flattened).
    pub to: Vec<MailAddress>,
    /// All mailboxes of all `Cc` headers (groups flattened).
    pub cc: Vec<MailAddress>,
    /// `Date` (RFC 5322 §3.3) as Unix seconds (UTC); without a usable Date, the date of the
    /// topmost `Received` line (RFC 5321 §4.4) in the message; `None` if neither.
    pub date: Option<i64>,
    /// Extracted text, LF line endings: every `text/plain` body part in document order (only
    /// the first part of a `multipart/report`, RFC 6522); without any, the HTML as text.
    pub text: String,
    /// The first `text/html` body part, decoded but NOT sanitised (the caller must sanitise).
    pub html: Option<String>,
    /// Attachments in document order.
    pub attachments: Vec<ParsedAttachment>,
    /// `Auto-Submitted` (RFC 3834) raw value, unfolded and trimmed.
    pub auto_submitted: Option<String>,
    /// `Precedence` (non-standard, e.g. `bulk`, `list`) raw value, trimmed.
    pub precedence: Option<String>,
    /// `List-Id` (RFC 2919) raw value, unfolded and trimmed.
    pub list_id: Option<String>,
    /// Every `X-Loop` value, unfolded and trimmed, in header order.
    pub x_loop: Vec<String>,
    /// `X-Autoreply` raw value, trimmed.
    pub x_autoreply: Option<String>,
    /// `List-Unsubscribe` (RFC 2369) raw value, unfolded and trimmed.
    pub list_unsubscribe: Option<String>,
    /// `X-Auto-Response-Suppress` (Microsoft) raw value, trimmed.
    pub x_auto_response_suppress: Option<String>,
    /// `Thread-Index` (Microsoft, base64) raw value, trimmed.
    pub thread_index: Option<String>,
    /// `Return-Path` (RFC 5321 §4.4) addr-spec without `<>`; `Some("")` for the null sender.
    pub return_path: Option<String>,
    /// The transfer-decoded text of a `message/delivery-status` part (RFC 3464 §2.1).
    pub delivery_status: Option<String>,
    /// The text of a `text/calendar` body part or `.ics` attachment (RFC 5545), if any.
    pub calendar: Option<String>,
    /// Top-level lower-case `type/subtype` (RFC 2045 §5), `"text/plain"` when absent.
    pub content_type: String,
    /// Parsing anomalies.
    pub flags: ParseFlags,
}

impl ParsedMessage {
    fn empty() -> Self {
        ParsedMessage {
            message_id: None,
            in_reply_to: Vec::new(),
            references: Vec::new(),
            subject: String::new(),
            from: None,
            reply_to: None,
            to: Vec::new(),
            cc: Vec::new(),
            date: None,
            text: String::new(),
            html: None,
            attachments: Vec::new(),
            auto_submitted: None,
            precedence: None,
            list_id: None,
            x_loop: Vec::new(),
            x_autoreply: None,
            list_unsubscribe: None,
            x_auto_response_suppress: None,
            thread_index: None,
            return_path: None,
            delivery_status: None,
            calendar: None,
            content_type: "text/plain".to_string(),
            flags: ParseFlags::default(),
        }
    }
}

/// Parses one RFC 5322 message (CRLF or LF line endings) into a [`ParsedMessage`].
///
/// Never panics: a panic inside mail-parser is caught (`std::panic::catch_unwind`) and yields a
/// message with `flags.malformed = true` and whatever could be salvaged (subject `""` etc.).
pub fn parse_message(raw: &[u8]) -> ParsedMessage {
    let long_lines = has_long_line(raw);
    let mut parsed = match catch_unwind(AssertUnwindSafe(|| parse_full(raw))) {
        Ok(Some(message)) => message,
        _ => salvage(raw),
    };
    parsed.flags.long_lines = long_lines;
    parsed.flags.missing_message_id = parsed.message_id.is_none();
    parsed
}

/// "Subject without reply/forward prefixes", used by threading.
///
/// Strips, repeatedly and case-insensitively, any leading `Re`, `Sv`, `Vs`, `Vl`, `Aw`, `Wg`,
/// `Fwd`, `Fw`, `Antw`, `Doorst`, `Tr`, `Rif`, `R`, `Rv`, `Enc`, `Res`, `Ynt`, `Odp` (English,
/// Nordic, Finnish, German, Dutch, French, Italian, Spanish, Portuguese, Turkish, Polish)
/// followed by an optional counter (`[2]` or `(2)`) and a colon (ASCII `:` or full-width
/// `：`), with optional white space around it.
/// Automatic-reply prefixes (`Automatiskt svar:`, `Autosvar:`) and ticket tags are kept.
/// Returns a trimmed sub-slice of `subject`.
pub fn strip_reply_prefixes(subject: &str) -> &str {
    // Longer prefixes first where one is a prefix of another (fwd/fw, res/re, rif/r).
    const PREFIXES: [&str; 18] = [
        "res", "re", "sv", "vs", "vl", "aw", "wg", "fwd", "fw", "antw", "doorst", "tr", "rif",
        "rv", "enc", "ynt", "odp", "r",
    ];
    let mut rest = subject.trim();
    'outer: loop {
        for prefix in PREFIXES {
            if let Some(after) = strip_one_prefix(rest, prefix) {
                rest = after.trim_start();
                continue 'outer;
            }
        }
        return rest;
    }
}

/// `rest` starts with `prefix` (ASCII, case-insensitive), an optional `[n]`/`(n)` counter and a
/// colon: returns the text after the colon.
fn strip_one_prefix<'a>(rest: &'a str, prefix: &str) -> Option<&'a str> {
    let head = rest.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let mut after = rest.get(prefix.len()..)?;
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = after.strip_prefix(open) {
            let end = inner.find(close)?;
            let counter = inner.get(..end)?;
            if counter.is_empty() || !counter.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            after = inner.get(end + close.len_utf8()..)?;
            break;
        }
    }
    let after = after.trim_start_matches([' ', '\t']);
    after
        .strip_prefix(':')
        .or_else(|| after.strip_prefix('\u{FF1A}'))
}

// ---------------------------------------------------------------------------------------------
// Full parse
// ---------------------------------------------------------------------------------------------

fn parse_full(raw: &[u8]) -> Option<ParsedMessage> {
    let message = MessageParser::default().parse(raw)?;
    let root = message.parts.first()?;
    if root.headers.is_empty() {
        return None;
    }
    let mut out = ParsedMessage::empty();
    // Only unknown header names (e.g. random bytes that happen to contain a colon): no usable
    // header, so the caller must keep the raw bytes.
    out.flags.malformed = root
        .headers
        .iter()
        .all(|h| matches!(h.name, HeaderName::Other(_)));
    read_headers(&root.headers, raw, &mut out);
    if out.date.is_none() {
        // No usable Date: the time the top Received line (the last hop before us) gives.
        out.date = root.headers.iter().find_map(|h| match (&h.name, &h.value) {
            (HeaderName::Received, HeaderValue::Received(r)) => r
                .date
                .as_ref()
                .filter(|d| d.is_valid())
                .map(|d| d.to_timestamp()),
            _ => None,
        });
        out.flags.date_from_received = out.date.is_some();
    }
    out.content_type = root
        .content_type()
        .map(mime_type)
        .unwrap_or_else(|| "text/plain".to_string());

    let mut walker = Walker {
        parts: &message.parts,
        raw,
        texts: Vec::new(),
        htmls: Vec::new(),
        attachments: Vec::new(),
        charset_fallback: false,
        delivery_status: None,
        calendar: None,
    };
    walker.walk();

    let Walker {
        texts,
        htmls,
        mut attachments,
        charset_fallback,
        delivery_status,
        mut calendar,
        ..
    } = walker;
    out.delivery_status = delivery_status;

    // TNEF (winmail.dat): its files become ordinary attachments after it; the original stays.
    let mut unpacked = Vec::new();
    for a in &attachments {
        if a.content_type == "application/ms-tnef"
            || a.content_type == "application/vnd.ms-tnef"
            || a.filename.eq_ignore_ascii_case("winmail.dat")
        {
            for (name, data) in crate::mail::rules::tnef_attachments(&a.data) {
                let filename = sanitise_filename(&name, true);
                let content_type = crate::mail::rules::content_type_for_name(&filename);
                unpacked.push(ParsedAttachment {
                    filename: if filename.is_empty() {
                        "attachment.bin".into()
                    } else {
                        filename
                    },
                    content_type,
                    content_id: None,
                    inline: false,
                    data,
                });
            }
        }
    }
    if !unpacked.is_empty() {
        out.flags.tnef_unpacked = true;
        attachments.extend(unpacked);
    }
    if calendar.is_none()
        && let Some(a) = attachments.iter().find(|a| {
            matches!(
                a.content_type.as_str(),
                "text/calendar" | "application/ics" | "text/x-vcalendar"
            ) || a.filename.to_ascii_lowercase().ends_with(".ics")
        })
    {
        calendar = Some(decode_8bit(&a.data).0);
    }
    out.calendar = calendar;

    for attachment in &mut attachments {
        if let Some(cid) = &attachment.content_id {
            let needle = format!("cid:{cid}");
            if htmls.iter().any(|h| h.contains(&needle)) {
                attachment.inline = true;
            }
        }
    }

    out.text = if !texts.is_empty() {
        join_texts(texts)
    } else {
        join_texts(htmls.iter().map(|h| html_body_to_text(h)).collect())
    };
    out.html = htmls.into_iter().next();
    // A calendar-only mail (an invite with no text) gets a readable body from the invite.
    if out.text.trim().is_empty()
        && let Some(ics) = &out.calendar
    {
        out.text = crate::mail::rules::calendar_summary(ics);
    }
    out.attachments = attachments;
    out.flags.charset_fallback |= charset_fallback;
    Some(out)
}

/// Fills the header-derived fields of `out` from the top-level headers.
fn read_headers(headers: &[Header<'_>], raw: &[u8], out: &mut ParsedMessage) {
    let mut seen_subject = false;
    let mut seen_from = false;
    let mut seen_reply_to = false;
    let mut seen_message_id = false;
    let mut seen_date = false;
    for header in headers {
        let raw_value = raw
            .get(header.offset_start as usize..header.offset_end as usize)
            .unwrap_or_default();
        match &header.name {
            HeaderName::Subject if !seen_subject => {
                seen_subject = true;
                let value = reparse_if_8bit(raw_value, &header.value, &mut out.flags, |s| {
                    s.parse_unstructured()
                });
                out.subject = match value.as_ref() {
                    HeaderValue::Text(text) => unfold(text),
                    HeaderValue::TextList(list) => unfold(&list.join(" ")),
                    _ => String::new(),
                };
            }
            HeaderName::From if !seen_from => {
                seen_from = true;
                let value = reparse_if_8bit(raw_value, &header.value, &mut out.flags, |s| {
                    s.parse_address()
                });
                out.from = mailboxes(&value).into_iter().next();
            }
            HeaderName::ReplyTo if !seen_reply_to => {
                seen_reply_to = true;
                let value = reparse_if_8bit(raw_value, &header.value, &mut out.flags, |s| {
                    s.parse_address()
                });
                out.reply_to = mailboxes(&value).into_iter().next();
            }
            HeaderName::To => {
                let value = reparse_if_8bit(raw_value, &header.value, &mut out.flags, |s| {
                    s.parse_address()
                });
                out.to.extend(mailboxes(&value));
            }
            HeaderName::Cc => {
                let value = reparse_if_8bit(raw_value, &header.value, &mut out.flags, |s| {
                    s.parse_address()
                });
                out.cc.extend(mailboxes(&value));
            }
            HeaderName::MessageId if !seen_message_id => {
                seen_message_id = true;
                out.message_id = msg_ids(&header.value, raw_value).into_iter().next();
            }
            HeaderName::InReplyTo => out.in_reply_to.extend(msg_ids(&header.value, raw_value)),
            HeaderName::References => out.references.extend(msg_ids(&header.value, raw_value)),
            HeaderName::Date if !seen_date => {
                seen_date = true;
                out.date = match &header.value {
                    HeaderValue::DateTime(dt) if dt.is_valid() => Some(dt.to_timestamp()),
                    _ => None,
                };
            }
            HeaderName::AutoSubmitted if out.auto_submitted.is_none() => {
                out.auto_submitted = raw_header_text(raw_value);
            }
            HeaderName::ListId if out.list_id.is_none() => {
                out.list_id = raw_header_text(raw_value);
            }
            HeaderName::ListUnsubscribe if out.list_unsubscribe.is_none() => {
                out.list_unsubscribe = raw_header_text(raw_value);
            }
            HeaderName::ReturnPath if out.return_path.is_none() => {
                let text = raw_header_text(raw_value).unwrap_or_default();
                out.return_path = Some(
                    text.trim()
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .trim()
                        .to_string(),
                );
            }
            HeaderName::Other(name) => {
                if name.eq_ignore_ascii_case("precedence") && out.precedence.is_none() {
                    out.precedence = raw_header_text(raw_value);
                } else if name.eq_ignore_ascii_case("x-loop") {
                    out.x_loop.extend(raw_header_text(raw_value));
                } else if name.eq_ignore_ascii_case("x-autoreply") && out.x_autoreply.is_none() {
                    out.x_autoreply = raw_header_text(raw_value);
                } else if name.eq_ignore_ascii_case("x-auto-response-suppress")
                    && out.x_auto_response_suppress.is_none()
                {
                    out.x_auto_response_suppress = raw_header_text(raw_value);
                } else if name.eq_ignore_ascii_case("thread-index") && out.thread_index.is_none() {
                    out.thread_index = raw_header_text(raw_value);
                }
            }
            _ => {}
        }
    }
}

/// mail-parser decodes raw 8-bit header bytes as UTF-8 (lossy). RFC 6532 only allows UTF-8,
/// but old scripts send Latin-1: when the raw value is not valid UTF-8, re-read it as
/// windows-1252 and parse it again with the same mail-parser field parser.
fn reparse_if_8bit<'a>(
    raw_value: &[u8],
    parsed: &'a HeaderValue<'a>,
    flags: &mut ParseFlags,
    parse: for<'s> fn(&mut MessageStream<'s>) -> HeaderValue<'s>,
) -> Cow<'a, HeaderValue<'a>> {
    if std::str::from_utf8(raw_value).is_ok() {
        return Cow::Borrowed(parsed);
    }
    flags.charset_fallback = true;
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(raw_value);
    let mut bytes = text.into_owned().into_bytes();
    if !bytes.ends_with(b"\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    let value = parse(&mut MessageStream::new(&bytes)).into_owned();
    Cow::Owned(value)
}

/// All mailboxes of an address header value, groups flattened, entries without addr-spec
/// dropped.
fn mailboxes(value: &HeaderValue<'_>) -> Vec<MailAddress> {
    let HeaderValue::Address(address) = value else {
        return Vec::new();
    };
    let list: Vec<_> = match address {
        Address::List(list) => list.iter().collect(),
        Address::Group(groups) => groups.iter().flat_map(|g| g.addresses.iter()).collect(),
    };
    list.into_iter()
        .filter_map(|addr| {
            let address = addr.address.as_deref()?.trim();
            if address.is_empty() {
                return None;
            }
            let name = addr
                .name
                .as_deref()
                .map(|n| unfold(n).trim().to_string())
                .filter(|n| !n.is_empty());
            Some(MailAddress {
                name,
                address: address.to_string(),
            })
        })
        .collect()
}

/// msg-ids of Message-ID / In-Reply-To / References, without `<>`, empty ones dropped.
/// Falls back to splitting the raw value on white space when mail-parser found nothing.
fn msg_ids(value: &HeaderValue<'_>, raw_value: &[u8]) -> Vec<String> {
    let ids: Vec<String> = match value {
        HeaderValue::Text(id) => vec![id.to_string()],
        HeaderValue::TextList(ids) => ids.iter().map(|id| id.to_string()).collect(),
        _ => decode_8bit(raw_value)
            .0
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    };
    ids.into_iter()
        .map(|id| {
            id.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .to_string()
        })
        .filter(|id| !id.is_empty())
        .collect()
}

/// A raw header value, unfolded (RFC 5322 §2.2.3) and trimmed; `None` when empty.
fn raw_header_text(raw_value: &[u8]) -> Option<String> {
    let (text, _) = decode_8bit(raw_value);
    let text = unfold(&text).trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// Removes CR/LF of folded header lines (the white space after them stays).
fn unfold(text: &str) -> String {
    text.chars().filter(|&c| c != '\r' && c != '\n').collect()
}

// ---------------------------------------------------------------------------------------------
// MIME walk
// ---------------------------------------------------------------------------------------------

struct Walker<'a, 'x> {
    parts: &'a [MessagePart<'x>],
    raw: &'a [u8],
    texts: Vec<String>,
    htmls: Vec<String>,
    attachments: Vec<ParsedAttachment>,
    charset_fallback: bool,
    delivery_status: Option<String>,
    calendar: Option<String>,
}

impl Walker<'_, '_> {
    /// Depth-first, document-order walk over the part tree (iterative: nesting depth is
    /// attacker-controlled).
    fn walk(&mut self) {
        // (part id, whether text/html body parts below count as body)
        let mut stack: Vec<(usize, bool)> = vec![(0, true)];
        let mut visited = vec![false; self.parts.len()];
        while let Some((id, body_allowed)) = stack.pop() {
            let Some(part) = self.parts.get(id) else {
                continue;
            };
            match visited.get_mut(id) {
                Some(seen) if !*seen => *seen = true,
                _ => continue,
            }
            match &part.body {
                PartType::Multipart(children) => {
                    let is_report = part.content_type().is_some_and(|ct| {
                        ct.subtype()
                            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
                    });
                    for (index, &child) in children.iter().enumerate().rev() {
                        let child = child as usize;
                        if child <= id {
                            continue;
                        }
                        stack.push((child, body_allowed && (!is_report || index == 0)));
                    }
                }
                _ => self.leaf(part, body_allowed),
            }
        }
    }

    fn leaf(&mut self, part: &MessagePart<'_>, body_allowed: bool) {
        let content_type = part
            .content_type()
            .map(mime_type)
            .unwrap_or_else(|| "text/plain".to_string());
        let filename = attachment_filename(part);
        let disposition = part.content_disposition();
        let is_attachment_disposition = disposition.is_some_and(|d| d.is_attachment());
        let is_inline_disposition = disposition.is_some_and(|d| d.is_inline());
        let content_id = part
            .content_id()
            .map(|id| {
                id.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
            .filter(|id| !id.is_empty());

        let is_message = content_type == "message/rfc822"
            || content_type == "message/global"
            || matches!(part.body, PartType::Message(_));
        if is_message {
            let data = self.embedded_message_bytes(part);
            let filename = filename.unwrap_or_else(|| {
                let subject = embedded_subject(part);
                let base = sanitise_filename(&subject, true);
                if base.trim().is_empty() {
                    "message.eml".to_string()
                } else {
                    format!("{}.eml", base.trim())
                }
            });
            self.attachments.push(ParsedAttachment {
                filename,
                content_type,
                content_id,
                inline: is_inline_disposition,
                data,
            });
            return;
        }

        if let Some(filename) = filename {
            let data = self.part_bytes(part);
            self.attachments.push(ParsedAttachment {
                filename,
                content_type,
                content_id,
                inline: is_inline_disposition,
                data,
            });
            return;
        }

        // An unnamed non-text part with a Content-ID (an inline image referenced as `cid:`
        // from the HTML, as many clients send them) is kept too, or the HTML could not show it.
        let unnamed_inline = content_id.is_some()
            && !content_type.starts_with("text/")
            && !content_type.starts_with("multipart/");
        if is_attachment_disposition || unnamed_inline {
            // Unnamed but explicitly an attachment: keep the data under a generated name.
            let data = self.part_bytes(part);
            let filename = format!(
                "attachment-{}{}",
                self.attachments.len() + 1,
                extension_for(&content_type)
            );
            self.attachments.push(ParsedAttachment {
                filename,
                content_type,
                content_id,
                inline: unnamed_inline && !is_attachment_disposition,
                data,
            });
            return;
        }

        match content_type.as_str() {
            "message/delivery-status" | "message/global-delivery-status"
                if self.delivery_status.is_none() =>
            {
                let bytes = self.part_bytes(part);
                self.delivery_status = Some(decode_8bit(&bytes).0);
            }
            "text/calendar" if self.calendar.is_none() => {
                let text = self.part_text(part);
                self.calendar = Some(text);
            }
            "text/plain" if body_allowed => {
                let text = self.part_text(part);
                self.texts.push(text);
            }
            "text/html" if body_allowed => {
                let html = self.part_text(part);
                self.htmls.push(html);
            }
            _ => {}
        }
    }

    /// Transfer-decoded octets of a leaf part.
    fn part_bytes(&self, part: &MessagePart<'_>) -> Vec<u8> {
        match &part.body {
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.to_vec(),
            PartType::Text(text) | PartType::Html(text) => match self.raw_body(part) {
                Some(encoded) => transfer_decode(encoded, part.encoding),
                None => text.as_bytes().to_vec(),
            },
            PartType::Message(message) => message.raw_message.to_vec(),
            PartType::Multipart(_) => Vec::new(),
        }
    }

    /// The raw (still transfer-encoded) body of a part, from mail-parser's offsets.
    fn raw_body(&self, part: &MessagePart<'_>) -> Option<&[u8]> {
        let start = part.offset_body as usize;
        let end = part.offset_end as usize;
        if start > end {
            return None;
        }
        self.raw.get(start..end)
    }

    /// Decoded text of a text/* body part, CRLF → LF.
    fn part_text(&mut self, part: &MessagePart<'_>) -> String {
        let charset = part
            .content_type()
            .and_then(|ct| ct.attribute("charset"))
            .map(|c| c.trim().to_ascii_lowercase());
        let library_text = match &part.body {
            PartType::Text(text) | PartType::Html(text) => Some(text.as_ref()),
            _ => None,
        };
        let needs_own_decoding = match charset.as_deref() {
            None => true,
            Some(label) => is_ascii_label(label) || is_utf8_label(label) || !is_known_label(label),
        };
        let text = if needs_own_decoding || library_text.is_none() {
            let bytes = self.part_bytes(part);
            match std::str::from_utf8(&bytes) {
                Ok(text) => {
                    if !bytes.is_ascii() && !charset.as_deref().is_some_and(is_utf8_label) {
                        self.charset_fallback = true;
                    }
                    text.to_string()
                }
                Err(_) => {
                    self.charset_fallback = true;
                    encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned()
                }
            }
        } else {
            library_text.unwrap_or_default().to_string()
        };
        normalise_newlines(&text)
    }

    /// The embedded message of a message/rfc822 part, as transmitted.
    fn embedded_message_bytes(&self, part: &MessagePart<'_>) -> Vec<u8> {
        if part.encoding == TransferEncoding::None
            && let Some(bytes) = self.raw_body(part)
        {
            return bytes.to_vec();
        }
        match &part.body {
            PartType::Message(message) => message.raw_message.to_vec(),
            _ => self.part_bytes(part),
        }
    }
}

/// The decoded subject of an embedded message/rfc822 part, `""` if none.
fn embedded_subject(part: &MessagePart<'_>) -> String {
    match &part.body {
        PartType::Message(message) => message
            .parts
            .first()
            .and_then(|root| {
                root.headers
                    .iter()
                    .find(|h| h.name == HeaderName::Subject)
                    .and_then(|h| h.value.as_text())
                    .map(unfold)
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Content-Disposition `filename` or Content-Type `name` (mail-parser decodes RFC 2231 incl.
/// continuations), then RFC 2047 words left inside quoted values are decoded too.
fn attachment_filename(part: &MessagePart<'_>) -> Option<String> {
    let name = part
        .content_disposition()
        .and_then(|cd| cd.attribute("filename"))
        .filter(|n| !n.trim().is_empty())
        .or_else(|| {
            part.content_type()
                .and_then(|ct| ct.attribute("name"))
                .filter(|n| !n.trim().is_empty())
        })?;
    let name = unfold(name);
    let decoded = if name.contains("=?") {
        let mut bytes = name.clone().into_bytes();
        bytes.extend_from_slice(b"\r\n");
        match MessageStream::new(&bytes).parse_unstructured() {
            HeaderValue::Text(text) => text.into_owned(),
            _ => name,
        }
    } else {
        name
    };
    let clean = sanitise_filename(decoded.trim(), false);
    (!clean.is_empty()).then_some(clean)
}

/// Replaces path separators and control characters (and, for names made from a subject,
/// characters that are invalid in Windows file names) by `_`.
fn sanitise_filename(name: &str, strict: bool) -> String {
    name.chars()
        .map(|c| {
            let bad = c.is_control()
                || c == '/'
                || c == '\\'
                || (strict && matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'));
            if bad { '_' } else { c }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => ".pdf",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "text/calendar" => ".ics",
        _ => ".bin",
    }
}

/// Lower-case `type/subtype` of a parsed Content-Type (RFC 2045 §5.1).
fn mime_type(ct: &ContentType<'_>) -> String {
    let c_type = ct.ctype().trim().to_ascii_lowercase();
    match ct.subtype() {
        Some(sub) => format!("{c_type}/{}", sub.trim().to_ascii_lowercase()),
        None if c_type == "text" => "text/plain".to_string(),
        None => c_type,
    }
}

fn transfer_decode(encoded: &[u8], encoding: TransferEncoding) -> Vec<u8> {
    match encoding {
        TransferEncoding::Base64 => {
            let (end, bytes) = MessageStream::new(encoded).decode_base64_mime(b"");
            if end == usize::MAX {
                encoded.to_vec()
            } else {
                bytes.into_owned()
            }
        }
        TransferEncoding::QuotedPrintable => {
            let (end, bytes) = MessageStream::new(encoded).decode_quoted_printable_mime(b"");
            if end == usize::MAX {
                encoded.to_vec()
            } else {
                bytes.into_owned()
            }
        }
        TransferEncoding::None => encoded.to_vec(),
    }
}

fn is_ascii_label(label: &str) -> bool {
    matches!(
        label,
        "us-ascii" | "ascii" | "us_ascii" | "ansi_x3.4-1968" | "iso646-us" | "646" | "us"
    )
}

fn is_utf8_label(label: &str) -> bool {
    matches!(
        label,
        "utf-8" | "utf8" | "unicode-1-1-utf-8" | "x-unicode20utf8"
    )
}

/// A charset label mail-parser (with `full_encoding`) or encoding_rs knows.
fn is_known_label(label: &str) -> bool {
    mail_parser::decoders::charsets::map::charset_decoder(label.as_bytes()).is_some()
        || encoding_rs::Encoding::for_label(label.as_bytes()).is_some()
}

/// Bytes of unknown charset: UTF-8 when valid, else windows-1252. The flag says whether the
/// fallback was needed.
fn decode_8bit(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), false),
        Err(_) => (encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(), true),
    }
}

fn normalise_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

fn join_texts(parts: Vec<String>) -> String {
    let mut out = String::new();
    for part in parts {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&part);
    }
    out
}

/// HTML → plain text for HTML-only messages: drops `head`, `script`, `style`, `template`,
/// `title` and comments, decodes entities (mail-parser's HTML entity table), turns `br` and
/// block-level tags into line breaks and separates table cells by a space.
///
/// mail-parser's own `html_to_text` only breaks at `<br>`/`</p>` and glues the first word after
/// a line break to the next one when it ends at a tag (`<th>Navn:</th><td>Helle` → `Navn:Helle`).
fn html_body_to_text(html: &str) -> String {
    const BLOCK: [&str; 34] = [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "dl",
        "dt",
        "dd",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "address",
        "form",
        "fieldset",
        "tbody",
        "thead",
        "tfoot",
        "caption",
        "center",
        "body",
    ];
    const SKIP: [&str; 5] = ["head", "script", "style", "template", "title"];

    let mut out = String::with_capacity(html.len() / 2);
    let mut pending_space = false;
    let mut skip_until: Option<String> = None;
    let mut rest = html;

    /// `hard` (`<br>`) always breaks (at most one empty line); block tags only end the line.
    fn line_break(out: &mut String, hard: bool) {
        let trimmed = out.trim_end_matches([' ', '\t']).len();
        out.truncate(trimmed);
        let done = if hard {
            out.ends_with("\n\n")
        } else {
            out.ends_with('\n')
        };
        if !out.is_empty() && !done {
            out.push('\n');
        }
    }

    while let Some(ch) = rest.chars().next() {
        if ch == '<' {
            if let Some(after) = rest.strip_prefix("<!--") {
                rest = after.find("-->").map_or("", |end| &after[end + 3..]);
                continue;
            }
            let next = rest[1..].chars().next();
            if next.is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?') {
                // Find the end of the tag, honouring quoted attribute values.
                let mut quote: Option<char> = None;
                let mut end = rest.len();
                for (i, c) in rest.char_indices().skip(1) {
                    match quote {
                        Some(q) if c == q => quote = None,
                        Some(_) => {}
                        None if c == '"' || c == '\'' => quote = Some(c),
                        None if c == '>' => {
                            end = i;
                            break;
                        }
                        None => {}
                    }
                }
                let inner = &rest[1..end];
                rest = rest.get(end + 1..).unwrap_or("");
                let closing = inner.starts_with('/');
                let name: String = inner
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .map(|c| c.to_ascii_lowercase())
                    .collect();
                if let Some(skip) = &skip_until {
                    if closing && *skip == name {
                        skip_until = None;
                    }
                    continue;
                }
                if !closing && SKIP.contains(&name.as_str()) && !inner.ends_with('/') {
                    skip_until = Some(name);
                    continue;
                }
                if name == "br" || BLOCK.contains(&name.as_str()) {
                    line_break(&mut out, name == "br");
                    pending_space = false;
                } else if (name == "td" || name == "th") && !closing {
                    pending_space = true;
                }
                continue;
            }
        }
        rest = &rest[ch.len_utf8()..];
        if skip_until.is_some() {
            continue;
        }
        if ch.is_whitespace() {
            pending_space = true;
            continue;
        }
        let mut decoded = String::new();
        if ch == '&' {
            let entity_len = rest
                .char_indices()
                .take(32)
                .find(|&(_, c)| c == ';' || !(c.is_ascii_alphanumeric() || c == '#'))
                .filter(|&(_, c)| c == ';')
                .map(|(i, _)| i);
            match entity_len {
                Some(len) if len > 0 => {
                    let token = format!("&{};", &rest[..len]);
                    add_html_token(&mut decoded, token.as_bytes(), false);
                    rest = &rest[len + 1..];
                }
                _ => decoded.push('&'),
            }
        } else {
            decoded.push(ch);
        }
        let decoded = decoded.replace('\u{A0}', " ");
        if decoded.trim().is_empty() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() && !out.ends_with(['\n', ' ']) {
            out.push(' ');
        }
        pending_space = false;
        out.push_str(&decoded);
    }
    out.trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// Salvage and checks
// ---------------------------------------------------------------------------------------------

/// Fallback when the full parse failed or panicked: `malformed`, and the subject / From /
/// Message-ID from a headers-only parse when that works.
fn salvage(raw: &[u8]) -> ParsedMessage {
    let mut out = ParsedMessage::empty();
    out.flags.malformed = true;
    let headers = catch_unwind(AssertUnwindSafe(|| {
        let message = MessageParser::default().parse_headers(raw)?;
        let root = message.parts.first()?;
        let mut partial = ParsedMessage::empty();
        read_headers(&root.headers, raw, &mut partial);
        Some((partial, root.offset_body as usize))
    }));
    if let Ok(Some((partial, body_start))) = headers {
        out = ParsedMessage {
            flags: out.flags,
            ..partial
        };
        out.flags.malformed = true;
        if let Some(body) = raw.get(body_start..) {
            let (text, fallback) = decode_8bit(body);
            out.text = normalise_newlines(&text);
            out.flags.charset_fallback |= fallback;
        }
    }
    out
}

/// Any line longer than 998 octets, excluding CRLF (RFC 5322 §2.1.1).
fn has_long_line(raw: &[u8]) -> bool {
    raw.split(|&b| b == b'\n').any(|line| {
        let len = line.len() - usize::from(line.ends_with(b"\r"));
        len > MAX_LINE_OCTETS
    })
}

// gdpr: classification at ingest and masking read mail HTML as text.
/// The visible text of an HTML body (the same conversion HTML-only mail gets for
/// [`ParsedMessage::text`]): scripts, styles and comments dropped, entities decoded.
pub fn html_to_text(html: &str) -> String {
    html_body_to_text(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn corpus_dir() -> Option<PathBuf> {
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus"));
        dir.join("manifest.json").exists().then_some(dir)
    }

    fn collapse(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn corpus_manifest() {
        let Some(dir) = corpus_dir() else {
            eprintln!("SKIP corpus_manifest: ../shared/corpus/manifest.json not found");
            return;
        };
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        let entries = manifest.as_array().unwrap();
        assert_eq!(entries.len(), 44, "manifest entry count");
        let mut failures = Vec::new();
        for entry in entries {
            let file = entry["file"].as_str().unwrap();
            let raw = std::fs::read(dir.join(file)).unwrap();
            let parsed = parse_message(&raw);
            let mut fail = |field: &str, expected: String, got: String| {
                failures.push(format!(
                    "{file}: {field}: expected {expected:?}, got {got:?}"
                ));
            };
            if parsed.flags.malformed {
                fail("flags.malformed", "false".into(), "true".into());
            }
            let subject = entry["subject"].as_str().unwrap();
            if parsed.subject != subject {
                fail("subject", subject.into(), parsed.subject.clone());
            }
            let from_address = entry["from_address"].as_str().unwrap();
            let got_address = parsed.from.as_ref().map(|f| f.address.clone());
            if got_address.as_deref() != Some(from_address) {
                fail(
                    "from_address",
                    from_address.into(),
                    format!("{got_address:?}"),
                );
            }
            let from_name = entry["from_name"].as_str();
            let got_name = parsed.from.as_ref().and_then(|f| f.name.clone());
            if got_name.as_deref() != from_name {
                fail(
                    "from_name",
                    format!("{from_name:?}"),
                    format!("{got_name:?}"),
                );
            }
            let text = collapse(&parsed.text);
            for snippet in entry["body_contains"].as_array().unwrap() {
                let snippet = collapse(snippet.as_str().unwrap());
                if !text.contains(&snippet) {
                    fail("body_contains", snippet, parsed.text.clone());
                }
            }
            for snippet in entry["body_must_not_contain"].as_array().unwrap() {
                let snippet = collapse(snippet.as_str().unwrap());
                if text.contains(&snippet) {
                    fail("body_must_not_contain", snippet, parsed.text.clone());
                }
            }
            let expected: Vec<(String, String, usize)> = entry["attachments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["filename"].as_str().unwrap().to_string(),
                        a["content_type"].as_str().unwrap().to_string(),
                        a["size"].as_u64().unwrap() as usize,
                    )
                })
                .collect();
            let got: Vec<(String, String, usize)> = parsed
                .attachments
                .iter()
                .map(|a| (a.filename.clone(), a.content_type.clone(), a.data.len()))
                .collect();
            if got != expected {
                fail("attachments", format!("{expected:?}"), format!("{got:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} corpus failure(s):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn corpus_details() {
        let Some(dir) = corpus_dir() else {
            eprintln!("SKIP corpus_details: ../shared/corpus not found");
            return;
        };
        let read = |name: &str| parse_message(&std::fs::read(dir.join(name)).unwrap());

        let m = read("34-odd-missing-message-id.eml");
        assert!(m.flags.missing_message_id);
        assert_eq!(m.message_id, None);

        let m = read("36-odd-long-line-over-998.eml");
        assert!(m.flags.long_lines);
        assert!(!read("01-new-utf8-plain-thunderbird.eml").flags.long_lines);

        let m = read("33-odd-missing-date.eml");
        // Fri, 7 Mar 2025 07:12:19 +0100 from the top Received line.
        assert_eq!(m.date, Some(1_741_327_939));
        assert!(m.flags.date_from_received);
        assert!(
            !read("01-new-utf8-plain-thunderbird.eml")
                .flags
                .date_from_received
        );

        let m = read("39-odd-charset-x-unknown.eml");
        assert!(m.flags.charset_fallback);
        let m = read("40-odd-us-ascii-declared-utf8-body.eml");
        assert!(m.flags.charset_fallback);

        let m = read("11-bounce-dsn-postfix.eml");
        assert_eq!(m.content_type, "multipart/report");

        let m = read("20-new-outlook-related-inline-image.eml");
        assert!(m.attachments[0].inline);
        assert!(m.attachments[0].content_id.is_some());
        assert!(
            !m.attachments[0]
                .content_id
                .as_deref()
                .unwrap()
                .contains('<')
        );

        let m = read("16-new-html-only-script.eml");
        assert!(m.html.is_some());
        assert!(m.text.contains('\n'));

        let m = read("09-list-mailman.eml");
        assert!(m.list_id.is_some());
        assert!(m.precedence.is_some());
        let m = read("32-auto-x-loop.eml");
        assert!(!m.x_loop.is_empty());
        let m = read("30-auto-vacation-x-autoreply.eml");
        assert!(m.auto_submitted.is_some());
        assert!(m.x_autoreply.is_some());

        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "eml") {
                let m = parse_message(&std::fs::read(&path).unwrap());
                assert!(!m.subject.contains('\u{FFFD}'), "{path:?} subject");
                assert!(!m.text.contains('\u{FFFD}'), "{path:?} text");
                assert!(!m.text.contains('\r'), "{path:?} CR in text");
                let name = m
                    .from
                    .as_ref()
                    .and_then(|f| f.name.as_deref())
                    .unwrap_or("");
                assert!(!name.contains('\u{FFFD}'), "{path:?} from");
                assert!(m.date.is_some(), "{path:?} date");
            }
        }
    }

    #[test]
    fn date_is_unix_seconds() {
        let m = parse_message(
            b"From: a@example.com\r\nDate: Thu, 6 Mar 2025 10:12:08 +0100\r\nSubject: x\r\n\r\nhi\r\n",
        );
        assert_eq!(m.date, Some(1_741_252_328));
    }

    #[test]
    fn ids_without_brackets() {
        let m = parse_message(
            b"From: a@example.com\r\nMessage-ID: <a$1@example.com>\r\nIn-Reply-To: <b@example.com>\r\nReferences: <c@example.com>\r\n <d@example.com>\r\nSubject: x\r\n\r\nhi\r\n",
        );
        assert_eq!(m.message_id.as_deref(), Some("a$1@example.com"));
        assert_eq!(m.in_reply_to, vec!["b@example.com".to_string()]);
        assert_eq!(
            m.references,
            vec!["c@example.com".to_string(), "d@example.com".to_string()]
        );
        assert!(!m.flags.missing_message_id);
        assert_eq!(m.text, "hi\n");
    }

    #[test]
    fn html_to_text_rules() {
        let html = "<html><head><title>T</title><style>p{}</style><script>evil()</script></head>\
            <body><h2>Title</h2><table><tr><th>Navn:</th><td>Helle B&aelig;k</td></tr></table>\
            <p>a&nbsp;b &amp; c<img src=\"x\" onerror=\"alert('>')\"> d<script>alert(1)</script></p>\
            <!-- <p>hidden</p> --><div>x<br>y</div>&unknown; 1 &lt; 2</body></html>";
        let text = html_body_to_text(html);
        assert_eq!(
            text,
            "Title\nNavn: Helle Bæk\na b & c d\nx\ny\n&unknown; 1 < 2"
        );
    }

    #[test]
    fn strip_prefixes() {
        assert_eq!(strip_reply_prefixes("SV: VS: Hej"), "Hej");
        assert_eq!(strip_reply_prefixes("Re[2]: x"), "x");
        assert_eq!(strip_reply_prefixes("AW: WG: x"), "x");
        assert_eq!(
            strip_reply_prefixes("Automatiskt svar: x"),
            "Automatiskt svar: x"
        );
        assert_eq!(strip_reply_prefixes("Autosvar: x"), "Autosvar: x");
        assert_eq!(strip_reply_prefixes("Reply needed"), "Reply needed");
        assert_eq!(strip_reply_prefixes("Sv:[#1002] x"), "[#1002] x");
        assert_eq!(strip_reply_prefixes("re: RE: Fwd: FW: x"), "x");
        assert_eq!(
            strip_reply_prefixes("Antw: Doorst: TR: RIF: R: Odp: x"),
            "x"
        );
        assert_eq!(strip_reply_prefixes("Re\u{FF1A} x"), "x");
        assert_eq!(strip_reply_prefixes("Re : x"), "x");
        assert_eq!(strip_reply_prefixes("Re(3): x"), "x");
        assert_eq!(strip_reply_prefixes("Ré: x"), "Ré: x");
        assert_eq!(strip_reply_prefixes("Revision: x"), "Revision: x");
        assert_eq!(strip_reply_prefixes("Re[x]: y"), "Re[x]: y");
        assert_eq!(strip_reply_prefixes(""), "");
        assert_eq!(strip_reply_prefixes("Re:"), "");
        assert_eq!(strip_reply_prefixes("Åter: x"), "Åter: x");
        assert_eq!(strip_reply_prefixes("RE: Sv: VS: AW: WG: x"), "x");
        assert_eq!(strip_reply_prefixes("Re[2]: RE[3]: Re(4): x"), "x");
        assert_eq!(strip_reply_prefixes("VL: RV: ENC: RES: YNT: x"), "x");
        assert_eq!(strip_reply_prefixes("Fwd: Fw: FWD: x"), "x");
        assert_eq!(
            strip_reply_prefixes("SV: [Driftinfo] x (sag 58213)"),
            "[Driftinfo] x (sag 58213)"
        );
        assert_eq!(strip_reply_prefixes("Resultat: x"), "Resultat: x");
        assert_eq!(strip_reply_prefixes("Encore: x"), "Encore: x");
    }

    #[test]
    fn no_panic_empty_and_garbage() {
        let m = parse_message(b"");
        assert!(m.flags.malformed);
        assert!(m.flags.missing_message_id);
        assert_eq!(m.subject, "");

        // Deterministic pseudo-random bytes (xorshift).
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..64 {
            let len = 1 + (round * 97) % 4096;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 24) as u8
                })
                .collect();
            let _ = parse_message(&bytes);
        }
        let _ = parse_message(b"\r\n\r\n\r\n");
        assert!(parse_message(b"xq7: 1\r\n\r\n\x00\xff").flags.malformed);
        let _ = parse_message(&[0xff; 3000]);
    }

    #[test]
    fn no_panic_header_only() {
        let m = parse_message(b"Subject: only headers\r\nFrom: x@example.com\r\n");
        assert_eq!(m.subject, "only headers");
        assert!(m.flags.missing_message_id);
        assert_eq!(m.text, "");
    }

    #[test]
    fn no_panic_deep_nesting() {
        let depth = 10_000;
        let mut raw =
            b"From: a@example.com\r\nSubject: deep\r\nMessage-ID: <deep@example.com>\r\n".to_vec();
        for i in 0..depth {
            raw.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
                    .as_bytes(),
            );
        }
        raw.extend_from_slice(b"Content-Type: text/plain\r\n\r\ninnermost\r\n");
        for i in (0..depth).rev() {
            raw.extend_from_slice(format!("--b{i}--\r\n").as_bytes());
        }
        let m = parse_message(&raw);
        assert_eq!(m.subject, "deep");
        assert_eq!(m.message_id.as_deref(), Some("deep@example.com"));
    }

    #[test]
    fn no_panic_unclosed_boundary() {
        let raw = b"From: a@example.com\r\nSubject: open\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nbody text\r\n--zz\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n";
        let m = parse_message(raw);
        assert_eq!(m.subject, "open");
        assert!(m.text.contains("body text"));
        assert!(m.flags.missing_message_id);
    }

    #[test]
    fn latin1_raw_header_and_unknown_charset_body() {
        let m = parse_message(
            b"From: Bj\xf8rn \xd8deg\xe5rd <b@example.dk>\r\nSubject: x\r\nContent-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: 8bit\r\n\r\nK\xf8benhavn \x80\r\n",
        );
        assert_eq!(m.from.unwrap().name.as_deref(), Some("Bjørn Ødegård"));
        assert_eq!(m.text, "København €\n");
        assert!(m.flags.charset_fallback);
    }
}
