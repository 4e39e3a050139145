//! The help desk's records as stored (values of [`crate::store::Table`]s).

use serde::{Deserialize, Serialize};

pub use crate::mail::inbound::parse::{MailAddress, ParseFlags};

/// Where a ticket stands. New tickets are `Open`; an agent closes them; a customer's reply
/// reopens a closed ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketStatus {
    Open,
    Closed,
}

impl TicketStatus {
    /// Stable lower-case name used in the JSON API and CLI (`open`, `closed`).
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Closed => "closed",
        }
    }
}

/// A ticket: one customer request and the conversation about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Human-friendly number, unique per installation, starting at 1001.
    pub number: u64,
    /// Subject of the first message, reply prefixes stripped.
    pub subject: String,
    pub status: TicketStatus,
    /// The customer (sender of the first message, or its Reply-To for web forms).
    pub customer: MailAddress,
    /// Our support address the first message was sent to; replies go out from it.
    pub mailbox: String,
    /// Unix milliseconds.
    pub created_ms: i64,
    /// Unix milliseconds of the last article or status change.
    pub updated_ms: i64,
    /// Number of articles (incoming and outgoing).
    pub articles: u32,
    /// Lower-case addresses of everyone who wrote in this ticket (customers, colleagues).
    pub participants: Vec<String>,
    /// Id of the queue the ticket belongs to (see [`crate::helpdesk::queues`]); empty in
    /// records from before queues, which count as the default queue.
    #[serde(default)]
    pub queue: String,
    // gdpr: fields appended for issue 6 (records from before read as the defaults)
    /// How carefully the ticket must be handled (GDPR Art. 5(1)(f), 9, 32). Set from the
    /// queue's default, raised by detection at ingest, changed by agents.
    #[serde(default)]
    pub classification: crate::gdpr::classification::Classification,
    /// A legal hold suspends retention and erasure (Art. 17(3)(e), 18(1)(c)).
    #[serde(default)]
    pub legal_hold: Option<crate::gdpr::classification::LegalHold>,
    /// Unix ms when the ticket was last closed (`None` while open or for records from
    /// before this field, which use `updated_ms`); retention periods count from here.
    #[serde(default)]
    pub closed_ms: Option<i64>,
    /// Unix ms when retention (or an erasure) anonymised the ticket; an anonymised ticket
    /// is not anonymised again, but delete rules still apply to it.
    #[serde(default)]
    pub anonymised_ms: Option<i64>,
}

/// Direction of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Received mail.
    In,
    /// An agent's answer (or another message we sent).
    Out,
}

impl Direction {
    /// `in` or `out`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// A file attached to an article; the content lives in the blob table under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    /// Decoded file name (RFC 2047/2231), as the sender named it.
    pub filename: String,
    /// `type/subtype`, lower case.
    pub content_type: String,
    /// Octets after transfer decoding.
    pub size: u64,
    /// Hex SHA-256 of the content (the blob key).
    pub sha256: String,
    /// Content-ID without `<>` (for `cid:` references in HTML), if any.
    pub content_id: Option<String>,
    /// Shown inline by the sender's client.
    pub inline: bool,
}

/// Delivery state of an outgoing article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Waiting in the outbound queue; `attempts` so far, `last_error` of the last try.
    Queued {
        attempts: u32,
        last_error: Option<String>,
    },
    /// Accepted by the next hop; `reply` is its final SMTP answer. `at_ms` Unix ms.
    Sent { at_ms: i64, reply: String },
    /// Given up; `reason` says why (a permanent reply, the retry period ran out, or an
    /// admin cancelled it).
    Failed { at_ms: i64, reason: String },
    /// Waiting in the outbound queue after `attempts` temporary failures (4yz reply,
    /// timeout, DNS or TLS failure); `last_error` of the last one; the next attempt at
    /// `next_attempt_ms` (Unix ms). Appended last: stored variants keep their index.
    Deferred {
        attempts: u32,
        last_error: String,
        next_attempt_ms: i64,
    },
}

impl Delivery {
    /// Stable lower-case name for the JSON API, CLI and CSS: `queued`, `sent`, `failed`,
    /// `deferred`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Delivery::Queued { .. } => "queued",
            Delivery::Sent { .. } => "sent",
            Delivery::Failed { .. } => "failed",
            Delivery::Deferred { .. } => "deferred",
        }
    }
}

/// One message in a ticket's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Node-aware id (see [`crate::app::IdGen`]); orders articles by creation time.
    pub id: u64,
    pub ticket: u64,
    pub direction: Direction,
    /// Message-ID without `<>` (synthetic and stable when the mail had none).
    pub message_id: String,
    pub from: MailAddress,
    /// Where answers go (Reply-To, e.g. of contact forms), when it differs from `from`.
    pub reply_to: Option<MailAddress>,
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    pub subject: String,
    /// Decoded plain text.
    pub text: String,
    /// The mail's HTML body as received (unsanitised; sanitise before display).
    pub html: Option<String>,
    pub attachments: Vec<AttachmentRef>,
    /// Hex SHA-256 of the raw message blob (incoming mail and sent mail alike).
    pub raw_sha256: Option<String>,
    /// Unix milliseconds when trygg stored it.
    pub created_ms: i64,
    /// The sender's Date header, Unix seconds.
    pub date: Option<i64>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub flags: ParseFlags,
    /// The agent who wrote an outgoing article.
    pub author: Option<String>,
    /// Delivery state of an outgoing article.
    pub delivery: Option<Delivery>,
}

/// `Message-ID → article` index entry (threading, de-duplication).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub ticket: u64,
    pub article: u64,
    /// The stored message's content fingerprint (mail rules: same id, other content → a new
    /// article).
    #[serde(default)]
    pub fingerprint: Option<String>,
}

// mail rules: links between tickets (Table::TicketLinks)

/// How one ticket relates to another (`Table::TicketLinks`, stored in both directions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkKind {
    /// This ticket was opened because someone who is not a participant of the other one
    /// quoted its tag; an agent may merge it.
    QuotesTagOf,
    /// The other ticket was opened by quoting this ticket's tag.
    TagQuotedBy,
    /// This ticket continues the other (closed longer than the configured days).
    FollowUpOf,
    /// The other ticket continues this one.
    FollowedUpBy,
    /// This ticket's articles were moved into the other one.
    MergedInto,
    /// The other ticket's articles were moved into this one.
    MergedFrom,
}

impl LinkKind {
    /// Stable name for JSON and CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::QuotesTagOf => "quotes_tag_of",
            LinkKind::TagQuotedBy => "tag_quoted_by",
            LinkKind::FollowUpOf => "follow_up_of",
            LinkKind::FollowedUpBy => "followed_up_by",
            LinkKind::MergedInto => "merged_into",
            LinkKind::MergedFrom => "merged_from",
        }
    }
    /// The kind recorded on the other ticket.
    pub fn inverse(self) -> LinkKind {
        match self {
            LinkKind::QuotesTagOf => LinkKind::TagQuotedBy,
            LinkKind::TagQuotedBy => LinkKind::QuotesTagOf,
            LinkKind::FollowUpOf => LinkKind::FollowedUpBy,
            LinkKind::FollowedUpBy => LinkKind::FollowUpOf,
            LinkKind::MergedInto => LinkKind::MergedFrom,
            LinkKind::MergedFrom => LinkKind::MergedInto,
        }
    }
}

/// One link record: `ticket (BE) ++ other (BE) → TicketLink`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketLink {
    pub other: u64,
    pub kind: LinkKind,
    /// Unix ms.
    pub at_ms: i64,
    /// Who made it (`None`: mail rules).
    pub by: Option<String>,
}

/// A customer (data subject) known by e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub address: String,
    pub name: Option<String>,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    // gdpr: fields appended for issue 6
    /// Telephone number as given (rectifiable, Art. 16).
    #[serde(default)]
    pub phone: Option<String>,
    /// Organisation the contact belongs to, as given.
    #[serde(default)]
    pub organisation: Option<String>,
    /// A legal hold on the contact suspends retention of their tickets and erasure of
    /// their data (Art. 17(3)(e)).
    #[serde(default)]
    pub legal_hold: Option<crate::gdpr::classification::LegalHold>,
    // contacts: appended for rectification (issue 6)
    /// Unix ms when the contact's data was last rectified (Art. 16). While set, the display
    /// name of incoming mail no longer replaces the corrected name.
    #[serde(default)]
    pub rectified_ms: Option<i64>,
}

/// Mail facts of an incoming article (`Table::ArticleMail`, key `ticket ++ article`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleMail {
    /// Which of our mailboxes received it (lower case; several when the same mail reached
    /// more than one of them, in one delivery or several).
    pub mailboxes: Vec<String>,
    /// Its content fingerprint ([`crate::helpdesk::ingest::content_fingerprint`]).
    pub fingerprint: String,
}
