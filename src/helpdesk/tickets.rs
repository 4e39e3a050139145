//! Reading and changing tickets: the list, one ticket with its thread, status changes and
//! attachment downloads. The same functions serve the web pages, the JSON API, the control
//! socket and the CLI.

use serde::Serialize;

use super::model::*;
use super::ticket_tag;
use crate::app::App;
use crate::error::{Error, Result};
use crate::store::codec::{be, be2};
use crate::store::{Reader, Table};

/// A ticket as the list and the JSON API show it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketSummary {
    pub number: u64,
    /// The exact subject tag trygg puts on and recognises for this ticket, e.g. `[#1001]`.
    pub tag: String,
    pub subject: String,
    /// `open` or `closed`.
    pub status: &'static str,
    /// The customer's address.
    pub customer: String,
    pub customer_name: Option<String>,
    pub mailbox: String,
    /// Number of articles.
    pub articles: u32,
    /// RFC 3339 UTC.
    pub created: String,
    /// RFC 3339 UTC.
    pub updated: String,
}

/// An attachment as shown to agents and programs.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    /// Position in the article (used in download URLs).
    pub index: usize,
    pub filename: String,
    pub content_type: String,
    /// Octets.
    pub size: u64,
    pub content_id: Option<String>,
    pub inline: bool,
}

/// An article as shown to agents and programs.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    pub id: u64,
    /// `in` or `out`.
    pub direction: &'static str,
    /// `Name <address>` or the address alone.
    pub from: String,
    pub from_address: String,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    /// Whether the mail had an HTML body (shown sanitised by the web UI).
    pub has_html: bool,
    pub message_id: String,
    /// RFC 3339 UTC of storage.
    pub created: String,
    pub attachments: Vec<AttachmentView>,
    /// For outgoing articles: `queued`, `sent` or `failed`.
    pub delivery: Option<String>,
    /// Last delivery error or the relay's final reply.
    pub delivery_detail: Option<String>,
    pub flags: ParseFlags,
}

/// A ticket with its whole thread.
#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    #[serde(flatten)]
    pub ticket: TicketSummary,
    /// Oldest first.
    pub articles: Vec<ArticleView>,
}

/// RFC 3339 UTC from Unix milliseconds.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// `Name <address>` or the bare address.
pub fn display_address(a: &MailAddress) -> String {
    match &a.name {
        Some(n) if !n.is_empty() => format!("{n} <{}>", a.address),
        _ => a.address.clone(),
    }
}

fn summary(t: &Ticket) -> TicketSummary {
    TicketSummary {
        number: t.number,
        tag: ticket_tag(t.number),
        subject: t.subject.clone(),
        status: t.status.as_str(),
        customer: t.customer.address.clone(),
        customer_name: t.customer.name.clone(),
        mailbox: t.mailbox.clone(),
        articles: t.articles,
        created: rfc3339(t.created_ms),
        updated: rfc3339(t.updated_ms),
    }
}

fn article_view(a: &Article) -> ArticleView {
    let (delivery, delivery_detail) = match &a.delivery {
        None => (None, None),
        Some(Delivery::Queued { last_error, .. }) => (Some("queued".into()), last_error.clone()),
        Some(Delivery::Sent { reply, .. }) => (Some("sent".into()), Some(reply.clone())),
        Some(Delivery::Failed { reason, .. }) => (Some("failed".into()), Some(reason.clone())),
        // outbound: retried after temporary failures
        Some(Delivery::Deferred { last_error, .. }) => {
            (Some("deferred".into()), Some(last_error.clone()))
        }
    };
    ArticleView {
        id: a.id,
        direction: a.direction.as_str(),
        from: display_address(&a.from),
        from_address: a.from.address.clone(),
        from_name: a.from.name.clone(),
        to: a.to.iter().map(display_address).collect(),
        cc: a.cc.iter().map(display_address).collect(),
        subject: a.subject.clone(),
        text: a.text.clone(),
        has_html: a.html.is_some(),
        message_id: a.message_id.clone(),
        created: rfc3339(a.created_ms),
        attachments: a
            .attachments
            .iter()
            .enumerate()
            .map(|(index, x)| AttachmentView {
                index,
                filename: x.filename.clone(),
                content_type: x.content_type.clone(),
                size: x.size,
                content_id: x.content_id.clone(),
                inline: x.inline,
            })
            .collect(),
        delivery,
        delivery_detail,
        flags: a.flags.clone(),
    }
}

/// Which tickets to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    Open,
    Closed,
}

/// Tickets, most recently created first, at most `limit`.
pub fn list(app: &App, filter: StatusFilter, limit: usize) -> Result<Vec<TicketSummary>> {
    app.store.read(|r| {
        let rows = r.scan(Table::Tickets, &[], true, usize::MAX)?;
        let mut out = Vec::new();
        for (_, v) in rows {
            let t: Ticket = crate::store::codec::decode(&v)?;
            let keep = match filter {
                StatusFilter::All => true,
                StatusFilter::Open => t.status == TicketStatus::Open,
                StatusFilter::Closed => t.status == TicketStatus::Closed,
            };
            if keep {
                out.push(summary(&t));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    })
}

/// The ticket record `number`. Errors: `NotFound`.
pub fn get_ticket(r: &impl Reader, number: u64) -> Result<Ticket> {
    r.get_rec(Table::Tickets, &be(number))?
        .ok_or_else(|| Error::not_found(format!("no ticket {number}")))
}

/// Articles of ticket `number`, oldest first.
pub fn articles(r: &impl Reader, number: u64) -> Result<Vec<Article>> {
    r.scan(Table::Articles, &be(number), false, usize::MAX)?
        .into_iter()
        .map(|(_, v)| crate::store::codec::decode(&v))
        .collect()
}

/// One article. Errors: `NotFound`.
pub fn article(r: &impl Reader, number: u64, id: u64) -> Result<Article> {
    r.get_rec(Table::Articles, &be2(number, id))?
        .ok_or_else(|| Error::not_found("no such article"))
}

/// Ticket `number` with its thread. Errors: `NotFound`.
pub fn show(app: &App, number: u64) -> Result<TicketView> {
    app.store.read(|r| {
        let t = get_ticket(r, number)?;
        let arts = articles(r, number)?;
        Ok(TicketView {
            ticket: summary(&t),
            articles: arts.iter().map(article_view).collect(),
        })
    })
}

/// The full records of ticket `number` (for pages that need HTML bodies).
pub fn load_full(app: &App, number: u64) -> Result<(Ticket, Vec<Article>)> {
    app.store
        .read(|r| Ok((get_ticket(r, number)?, articles(r, number)?)))
}

/// Attachment `index` of article `article_id` in ticket `number`: its description and
/// content. Errors: `NotFound`.
pub fn attachment(
    app: &App,
    number: u64,
    article_id: u64,
    index: usize,
) -> Result<(AttachmentRef, Vec<u8>)> {
    app.store.read(|r| {
        let a = article(r, number, article_id)?;
        let att = a
            .attachments
            .get(index)
            .cloned()
            .ok_or_else(|| Error::not_found("no such attachment"))?;
        let data = super::ingest::get_blob(r, &att.sha256)?
            .ok_or_else(|| Error::internal(format!("blob {} missing", att.sha256)))?;
        Ok((att, data))
    })
}

/// The raw message of an article (as received, or as sent). Errors: `NotFound`.
pub fn raw_message(app: &App, number: u64, article_id: u64) -> Result<Vec<u8>> {
    app.store.read(|r| {
        let a = article(r, number, article_id)?;
        let sha = a
            .raw_sha256
            .ok_or_else(|| Error::not_found("this article has no raw message"))?;
        super::ingest::get_blob(r, &sha)?.ok_or_else(|| Error::not_found("raw message missing"))
    })
}

/// Opens or closes ticket `number`. Errors: `NotFound`.
pub fn set_status(app: &App, number: u64, status: TicketStatus) -> Result<()> {
    let now = app.now_ms();
    app.store.write(now, |tx| {
        let mut t = get_ticket(tx, number)?;
        if t.status != status {
            t.status = status;
            t.updated_ms = now;
            tx.put_rec(Table::Tickets, &be(number), &t)?;
        }
        Ok(())
    })
}
