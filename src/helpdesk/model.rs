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
    /// Given up; `reason` says why.
    Failed { at_ms: i64, reason: String },
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
}

/// A customer (data subject) known by e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub address: String,
    pub name: Option<String>,
    pub created_ms: i64,
    pub last_seen_ms: i64,
}
