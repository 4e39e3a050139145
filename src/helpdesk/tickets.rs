//! Reading and changing tickets: the list, one ticket with its thread, status changes and
//! attachment downloads. The same functions serve the web pages, the JSON API, the control
//! socket and the CLI.

use serde::Serialize;

use super::model::*;
use super::{queues, ticket_tag};
use crate::app::App;
use crate::audit::access::{Actor, Need, guard};
use crate::auth::roles::QueuePerm;
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
    /// Id of the ticket's queue.
    pub queue: String,
    // gdpr
    /// [`Classification::as_str`](crate::gdpr::classification::Classification::as_str).
    pub classification: &'static str,
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

/// The summary of `t` with national IDs in the subject masked (as of `today`; `ids`: those
/// detected anywhere in the ticket, [`ticket_ids`]).
fn summary(t: &Ticket, ids: &IdSet, today: jiff::civil::Date) -> TicketSummary {
    TicketSummary {
        number: t.number,
        tag: ticket_tag(t.number),
        subject: mask(&t.subject, ids, today),
        status: t.status.as_str(),
        customer: t.customer.address.clone(),
        customer_name: t.customer.name.clone(),
        mailbox: t.mailbox.clone(),
        articles: t.articles,
        created: rfc3339(t.created_ms),
        updated: rfc3339(t.updated_ms),
        queue: queues::of_ticket(t).to_string(),
        classification: t.classification.as_str(),
    }
}

/// The view of `a` with national IDs (found in it, or `ids` detected elsewhere in the
/// ticket) masked in its subject, text and attachment names.
fn article_view(a: &Article, ids: &IdSet, today: jiff::civil::Date) -> ArticleView {
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
        subject: mask(&a.subject, ids, today),
        text: mask(&a.text, ids, today),
        has_html: a.html.is_some(),
        message_id: a.message_id.clone(),
        created: rfc3339(a.created_ms),
        attachments: a
            .attachments
            .iter()
            .enumerate()
            .map(|(index, x)| AttachmentView {
                index,
                filename: mask(&x.filename, ids, today),
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

/// The number of tickets and of open tickets (for `/metrics`; no personal data).
pub fn counts(app: &App) -> Result<(usize, usize)> {
    app.store.read(|r| {
        let mut total = 0;
        let mut open = 0;
        for (_, v) in r.scan(Table::Tickets, &[], false, usize::MAX)? {
            let t: Ticket = crate::store::codec::decode(&v)?;
            total += 1;
            open += usize::from(t.status == TicketStatus::Open);
        }
        Ok((total, open))
    })
}

/// Tickets the actor may read, most recently created first, at most `limit`. Audited as
/// `ticket.list` (the list shows customers' names and addresses).
pub fn list(
    app: &App,
    actor: &Actor,
    filter: StatusFilter,
    limit: usize,
) -> Result<Vec<TicketSummary>> {
    let object = match filter {
        StatusFilter::All => "tickets?status=all",
        StatusFilter::Open => "tickets?status=open",
        StatusFilter::Closed => "tickets?status=closed",
    };
    guard(
        app,
        actor,
        Need::Nothing,
        "ticket.list",
        object,
        |tx, ok| {
            let today = crate::gdpr::classification::today(app.now_ms());
            let rows = tx.scan(Table::Tickets, &[], true, usize::MAX)?;
            let mut out = Vec::new();
            for (_, v) in rows {
                let t: Ticket = crate::store::codec::decode(&v)?;
                let keep = match filter {
                    StatusFilter::All => true,
                    StatusFilter::Open => t.status == TicketStatus::Open,
                    StatusFilter::Closed => t.status == TicketStatus::Closed,
                };
                // gdpr: tickets above the actor's clearance are not listed.
                if keep && may(ok.grants, &t, QueuePerm::Read) {
                    // gdpr: a subject that could hold a number detected in an article is
                    // masked per number; others need not read the thread.
                    let ids = if t.subject.bytes().filter(u8::is_ascii_digit).count() >= 10 {
                        ticket_ids(&t, &articles(tx, t.number)?, today)
                    } else {
                        IdSet::new()
                    };
                    out.push(summary(&t, &ids, today));
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            let detail = format!("{} shown", out.len());
            Ok((out, detail))
        },
    )
}

/// The error for a ticket that does not exist or may not be seen (identical for both).
pub fn no_ticket(number: u64) -> Error {
    Error::not_found(format!("no ticket {number}"))
}

/// The ticket record `number`. Errors: `NotFound`.
pub fn get_ticket(r: &impl Reader, number: u64) -> Result<Ticket> {
    r.get_rec(Table::Tickets, &be(number))?
        .ok_or_else(|| no_ticket(number))
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

/// Ticket `number` with its thread, if the actor may read its queue (audited as
/// `ticket.view`), national IDs masked (GDPR Art. 25). Errors: `NotFound` (also when not
/// permitted).
pub fn show(app: &App, actor: &Actor, number: u64) -> Result<TicketView> {
    let (t, arts) = load_full(app, actor, number)?;
    let today = crate::gdpr::classification::today(app.now_ms());
    let ids = ticket_ids(&t, &arts, today);
    Ok(TicketView {
        ticket: summary(&t, &ids, today),
        articles: arts.iter().map(|a| article_view(a, &ids, today)).collect(),
    })
}

/// The full records of ticket `number` (for pages that need HTML bodies), if the actor may
/// read its queue (audited as `ticket.view`). Errors: `NotFound`.
pub fn load_full(app: &App, actor: &Actor, number: u64) -> Result<(Ticket, Vec<Article>)> {
    guard(
        app,
        actor,
        Need::Ticket(number, QueuePerm::Read),
        "ticket.view",
        &format!("ticket:{number}"),
        |tx, ok| {
            let t = ok.ticket.clone().ok_or_else(|| no_ticket(number))?;
            let arts = articles(tx, number)?;
            // The data subject by keyed hash, not address: the trail outlives an erasure
            // and must not keep what was erased (see `gdpr::contacts::contact_ref`).
            let detail = format!(
                "{} articles, customer {}",
                arts.len(),
                crate::gdpr::contacts::contact_ref(tx, &t.customer.address)?
            );
            Ok(((t, arts), detail))
        },
    )
}

/// Attachment `index` of article `article_id` in ticket `number`: its description and
/// content, if the actor may read the ticket's queue (audited as `attachment.download`).
/// Errors: `NotFound`.
pub fn attachment(
    app: &App,
    actor: &Actor,
    number: u64,
    article_id: u64,
    index: usize,
) -> Result<(AttachmentRef, Vec<u8>)> {
    guard(
        app,
        actor,
        Need::Ticket(number, QueuePerm::Read),
        "attachment.download",
        &format!("attachment:{number}/{article_id}/{index}"),
        |tx, _| {
            let a = article(tx, number, article_id)?;
            let att = a
                .attachments
                .get(index)
                .cloned()
                .ok_or_else(|| Error::not_found("no such attachment"))?;
            let data = super::ingest::get_blob(tx, &att.sha256)?
                .ok_or_else(|| Error::internal(format!("blob {} missing", att.sha256)))?;
            let detail = format!("{} ({} bytes)", att.filename, att.size);
            Ok(((att, data), detail))
        },
    )
}

/// The raw message of an article (as received, or as sent), if the actor may read the
/// ticket's queue (audited as `raw.download`). Errors: `NotFound`.
pub fn raw_message(app: &App, actor: &Actor, number: u64, article_id: u64) -> Result<Vec<u8>> {
    guard(
        app,
        actor,
        Need::Ticket(number, QueuePerm::Read),
        "raw.download",
        &format!("raw:{number}/{article_id}"),
        |tx, _| {
            let a = article(tx, number, article_id)?;
            let sha = a
                .raw_sha256
                .ok_or_else(|| Error::not_found("this article has no raw message"))?;
            let raw = super::ingest::get_blob(tx, &sha)?
                .ok_or_else(|| Error::not_found("raw message missing"))?;
            let detail = format!("{} bytes", raw.len());
            Ok((raw, detail))
        },
    )
}

/// Opens or closes ticket `number` (needs `change` on its queue; audited as
/// `ticket.status`). Errors: `NotFound`.
pub fn set_status(app: &App, actor: &Actor, number: u64, status: TicketStatus) -> Result<()> {
    let now = app.now_ms();
    guard(
        app,
        actor,
        Need::Ticket(number, QueuePerm::Change),
        "ticket.status",
        &format!("ticket:{number}"),
        |tx, ok| {
            let mut t = ok.ticket.clone().ok_or_else(|| no_ticket(number))?;
            let detail = format!("{} -> {}", t.status.as_str(), status.as_str());
            if t.status != status {
                t.status = status;
                t.updated_ms = now;
                // retention: periods count from the last closing (a reopen keeps it)
                if status == TicketStatus::Closed {
                    t.closed_ms = Some(now);
                }
                tx.put_rec(Table::Tickets, &be(number), &t)?;
            }
            Ok(((), detail))
        },
    )
}

/// Moves ticket `number` to queue `to` (needs `change` on both queues; audited as
/// `ticket.move`). Errors: `NotFound` for the ticket or a queue the actor may not change.
pub fn move_to_queue(app: &App, actor: &Actor, number: u64, to: &str) -> Result<()> {
    let now = app.now_ms();
    let to = to.to_string();
    let r = guard(
        app,
        actor,
        Need::Ticket(number, QueuePerm::Change),
        "ticket.move",
        &format!("ticket:{number}"),
        |tx, ok| {
            let mut t = ok.ticket.clone().ok_or_else(|| no_ticket(number))?;
            if queues::get(tx, &to)?.is_none() || !ok.grants.can(&to, QueuePerm::Change) {
                return Err(Error::not_found(format!("no queue {to}")));
            }
            let detail = format!("{} -> {to}", queues::of_ticket(&t));
            t.queue = to.clone();
            t.updated_ms = now;
            tx.put_rec(Table::Tickets, &be(number), &t)?;
            Ok(((), detail))
        },
    );
    // A refused target rolls the guarded transaction back; record the refusal on its own.
    if let Err(e) = &r
        && e.kind == crate::error::ErrorKind::NotFound
        && e.message.starts_with("no queue")
    {
        crate::audit::access::record_for(
            app,
            actor,
            "ticket.move",
            &format!("ticket:{number}"),
            crate::audit::Outcome::Denied,
            format!("no permission on queue {to}"),
        )?;
    }
    r
}

/// Sends the actor's answer in ticket `number` (needs `reply` on its queue; audited as
/// `ticket.reply` in the reply's own transaction). A refused reply changes nothing and
/// answers `NotFound` like a missing ticket. Returns the new article's id.
pub fn reply(app: &App, actor: &Actor, number: u64, text: &str) -> Result<u64> {
    let now = app.now_ms();
    let r = super::reply::reply_checked(app, number, &actor.id, text, |tx, t| {
        let g = crate::audit::access::grants(tx, actor)?;
        if !may(&g, t, QueuePerm::Reply) {
            return Err(no_ticket(number));
        }
        crate::audit::append(
            tx,
            now,
            crate::audit::Event {
                actor: actor.id.clone(),
                role: g.role_label(),
                client: actor.client.clone(),
                action: "ticket.reply".into(),
                object: format!("ticket:{number}"),
                outcome: crate::audit::Outcome::Ok,
                // The customer by keyed hash (see `load_full`).
                detail: format!(
                    "{} characters to {}",
                    text.chars().count(),
                    crate::gdpr::contacts::contact_ref(tx, &t.customer.address)?
                ),
            },
        )
        .map(|_| ())
    });
    match r {
        // Refused (or absent): the reply was rolled back with its transaction; record the
        // refusal through the access check, which answers the same NotFound.
        Err(e) if e.kind == crate::error::ErrorKind::NotFound => guard(
            app,
            actor,
            Need::Ticket(number, QueuePerm::Reply),
            "ticket.reply",
            &format!("ticket:{number}"),
            |_, _| Err(e),
        ),
        other => other,
    }
}

// ---- gdpr: classification, masking and reveal (issue 6) --------------------------------

/// National identity numbers detected in a ticket, by [`crate::gdpr::national_id::key`].
pub type IdSet = std::collections::BTreeSet<String>;

/// `text` with national identity numbers masked as of `today`, and every occurrence of one
/// in `ids` ([`crate::gdpr::national_id::mask_known`]).
fn mask(text: &str, ids: &IdSet, today: jiff::civil::Date) -> String {
    crate::gdpr::national_id::mask_known(text, ids, today).into_owned()
}

/// Adds the national IDs detected in article `a` (subject, text, HTML as text, attachment
/// file names) as of `today` to `ids`.
pub fn article_ids(a: &Article, today: jiff::civil::Date, ids: &mut IdSet) {
    use crate::gdpr::national_id::collect;
    collect(&a.subject, today, ids);
    collect(&a.text, today, ids);
    if let Some(h) = a.html.as_deref() {
        collect(&crate::mail::inbound::parse::html_to_text(h), today, ids);
    }
    for x in &a.attachments {
        collect(&x.filename, today, ids);
    }
}

/// The national IDs detected anywhere in ticket `t` with articles `arts` (its subject, and
/// per article [`article_ids`]). Masking is per number, not per occurrence (GDPR Art. 25,
/// 87): once a number is detected as an identity number in one place, every occurrence of
/// it in the ticket is masked, also where a look-alike label ("order number", "tel.")
/// stands before it.
pub fn ticket_ids(t: &Ticket, arts: &[Article], today: jiff::civil::Date) -> IdSet {
    let mut ids = IdSet::new();
    crate::gdpr::national_id::collect(&t.subject, today, &mut ids);
    for a in arts {
        article_ids(a, today, &mut ids);
    }
    ids
}

/// Whether grants `g` allow `perm` on ticket `t`: the permission on its queue and the
/// clearance for its classification there (Art. 9, 32).
pub fn may(g: &crate::auth::roles::Grants, t: &Ticket, perm: QueuePerm) -> bool {
    g.can_ticket(queues::of_ticket(t), t.classification, perm)
}

/// Whether the actor may read ticket `number` (it exists, its queue is granted and its
/// classification within the clearance). For filtering links and suggestions; not audited.
pub fn may_read(r: &impl Reader, actor: &Actor, number: u64) -> Result<bool> {
    let g = crate::audit::access::grants(r, actor)?;
    Ok(match get_ticket(r, number) {
        Ok(t) => may(&g, &t, QueuePerm::Read),
        Err(e) if e.kind == crate::error::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    })
}

/// The national IDs found in `a` as of `today`: whether its subject, text, HTML (as text)
/// or an attachment's file name holds one.
pub fn article_holds_id(a: &Article, today: jiff::civil::Date) -> bool {
    use crate::gdpr::national_id::contains;
    contains(&a.subject, today)
        || contains(&a.text, today)
        || a.html
            .as_deref()
            .is_some_and(|h| contains(&crate::mail::inbound::parse::html_to_text(h), today))
        || a.attachments.iter().any(|x| contains(&x.filename, today))
}

/// Masks national IDs in the records a page shows (GDPR Art. 25, data protection by
/// default; Art. 87): the ticket subject and, per article, subject, text and attachment
/// file names, per number ([`ticket_ids`]). HTML bodies are masked after sanitising by the
/// page (see [`mask_html`]). Agents' stored replies are not changed; only what is shown.
/// Returns the detected IDs (empty: nothing was masked).
pub fn mask_records(t: &mut Ticket, arts: &mut [Article], today: jiff::civil::Date) -> IdSet {
    let ids = ticket_ids(t, arts, today);
    t.subject = mask(&t.subject, &ids, today);
    for a in arts {
        a.subject = mask(&a.subject, &ids, today);
        a.text = mask(&a.text, &ids, today);
        for x in &mut a.attachments {
            x.filename = mask(&x.filename, &ids, today);
        }
    }
    ids
}

/// Sanitised HTML with national IDs (found in it, or in `ids`) masked; `None` when an ID
/// would still show (e.g. its digits split by markup), so the caller shows the plain text
/// only.
pub fn mask_html(html: &str, ids: &IdSet, today: jiff::civil::Date) -> Option<String> {
    let masked = mask(html, ids, today);
    let text = crate::mail::inbound::parse::html_to_text(&masked);
    let clean =
        !crate::gdpr::national_id::contains(&text, today) && mask(&text, ids, today) == text;
    clean.then_some(masked)
}

/// Ticket `number` with its thread unmasked, for an explicit reveal by an agent who may
/// read it (audited as `ticket.reveal`; the detail names the articles holding national IDs
/// and whether the subject does). Errors: `NotFound` (also when not permitted).
pub fn reveal(app: &App, actor: &Actor, number: u64) -> Result<(Ticket, Vec<Article>)> {
    let today = crate::gdpr::classification::today(app.now_ms());
    guard(
        app,
        actor,
        Need::Ticket(number, QueuePerm::Read),
        "ticket.reveal",
        &format!("ticket:{number}"),
        |tx, ok| {
            let t = ok.ticket.clone().ok_or_else(|| no_ticket(number))?;
            let arts = articles(tx, number)?;
            let ids: Vec<String> = arts
                .iter()
                .filter(|a| article_holds_id(a, today))
                .map(|a| a.id.to_string())
                .collect();
            let mut detail = format!("articles [{}]", ids.join(","));
            if crate::gdpr::national_id::contains(&t.subject, today) {
                detail.push_str(", subject");
            }
            Ok(((t, arts), detail))
        },
    )
}

/// Sets the classification of ticket `number` (needs `change` on it; audited as
/// `ticket.classify` with `old -> new`). Art. 5(1)(f), 9, 32: an agent may not classify
/// above their own clearance on the ticket's queue. Errors: `NotFound` (also when not
/// permitted); `Forbidden` above the clearance (recorded as a denied `ticket.classify`).
pub fn set_classification(
    app: &App,
    actor: &Actor,
    number: u64,
    class: crate::gdpr::classification::Classification,
) -> Result<()> {
    let now = app.now_ms();
    let r = guard(
        app,
        actor,
        Need::Ticket(number, QueuePerm::Change),
        "ticket.classify",
        &format!("ticket:{number}"),
        |tx, ok| {
            let mut t = ok.ticket.clone().ok_or_else(|| no_ticket(number))?;
            if !ok.grants.cleared(queues::of_ticket(&t), class) {
                return Err(Error::forbidden(format!(
                    "you may not classify above your clearance on this queue ({})",
                    ok.grants
                        .clearance(queues::of_ticket(&t))
                        .map(|c| c.as_str())
                        .unwrap_or("none")
                )));
            }
            let detail = format!("{} -> {}", t.classification.as_str(), class.as_str());
            if t.classification != class {
                t.classification = class;
                t.updated_ms = now;
                tx.put_rec(Table::Tickets, &be(number), &t)?;
            }
            Ok(((), detail))
        },
    );
    // The refusal rolled the guarded transaction back; record it on its own.
    if let Err(e) = &r
        && e.kind == crate::error::ErrorKind::Forbidden
    {
        crate::audit::access::record_for(
            app,
            actor,
            "ticket.classify",
            &format!("ticket:{number}"),
            crate::audit::Outcome::Denied,
            format!("above clearance: {}", class.as_str()),
        )?;
    }
    r
}
