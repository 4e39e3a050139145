//! Links between tickets (a stranger quoted a tag, a follow-up of a long-closed ticket, a
//! merge) and the merge action that moves one ticket's articles into another.

use serde::Serialize;

use super::model::*;
use super::tickets::{articles, get_ticket};
use crate::app::App;
use crate::error::{Error, Result};
use crate::store::codec::{be, be2, decode};
use crate::store::{Reader, Table, WriteTx};

/// Records `kind` from `a` to `b` and the inverse from `b` to `a`.
pub fn link(
    tx: &mut WriteTx,
    a: u64,
    b: u64,
    kind: LinkKind,
    by: Option<&str>,
    now: i64,
) -> Result<()> {
    tx.put_rec(
        Table::TicketLinks,
        &be2(a, b),
        &TicketLink {
            other: b,
            kind,
            at_ms: now,
            by: by.map(str::to_string),
        },
    )?;
    tx.put_rec(
        Table::TicketLinks,
        &be2(b, a),
        &TicketLink {
            other: a,
            kind: kind.inverse(),
            at_ms: now,
            by: by.map(str::to_string),
        },
    )
}

/// The links of ticket `number`, by other ticket number.
pub fn links_of(r: &impl Reader, number: u64) -> Result<Vec<TicketLink>> {
    r.scan(Table::TicketLinks, &be(number), false, 1000)?
        .into_iter()
        .map(|(_, v)| decode(&v))
        .collect()
}

/// A link as the JSON API and CLI show it.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub ticket: u64,
    /// [`LinkKind::as_str`].
    pub kind: &'static str,
    /// RFC 3339 UTC.
    pub at: String,
    pub by: Option<String>,
}

/// The links of ticket `number` for display. Errors: `NotFound`.
pub fn show_links(app: &App, number: u64) -> Result<Vec<LinkView>> {
    app.store.read(|r| {
        get_ticket(r, number)?;
        Ok(links_of(r, number)?
            .into_iter()
            .map(|l| LinkView {
                ticket: l.other,
                kind: l.kind.as_str(),
                at: super::tickets::rfc3339(l.at_ms),
                by: l.by,
            })
            .collect())
    })
}

/// Moves every article of ticket `from` into ticket `into` (their Message-IDs follow, so
/// later replies thread into `into`), merges the participants, closes `from` and records
/// the merge as links on both tickets (who and when). Returns the number of articles moved.
///
/// Errors: `NotFound` for an unknown ticket; `Invalid` when both are the same; `Conflict`
/// when `from` was already merged.
pub fn merge(
    app: &App,
    actor: &crate::audit::access::Actor,
    from: u64,
    into: u64,
) -> Result<usize> {
    use crate::audit::access::{Need, grants, guard};
    use crate::auth::roles::QueuePerm;
    // Both tickets need `change` (issue 4). The guard checks one of them and records the
    // attempt; the other is checked first, so a refusal names the ticket the actor may not
    // change and looks exactly like a missing ticket.
    let may_change = |n: u64| -> Result<bool> {
        app.store.read(|r| {
            let g = grants(r, actor)?;
            Ok(match get_ticket(r, n) {
                // gdpr: also within the actor's clearance.
                Ok(t) => super::tickets::may(&g, &t, QueuePerm::Change),
                Err(e) if e.kind == crate::error::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            })
        })
    };
    let into_ok = may_change(into)?;
    if from == into && into_ok {
        return Err(Error::invalid("a ticket cannot be merged into itself"));
    }
    let checked = if into_ok { from } else { into };
    let by = actor.id.clone();
    guard(
        app,
        actor,
        Need::Ticket(checked, QueuePerm::Change),
        "ticket.merge",
        &format!("ticket {from}"),
        |tx, allowed| {
            let other = if checked == from { into } else { from };
            let t = get_ticket(tx, other)?;
            if !super::tickets::may(allowed.grants, &t, QueuePerm::Change) {
                return Err(super::tickets::no_ticket(other));
            }
            let n = merge_in_tx(tx, from, into, &by, app.now_ms())?;
            Ok((n, format!("into ticket {into}: {n} articles moved")))
        },
    )
}

/// The merge itself, inside the caller's (audited) transaction.
fn merge_in_tx(tx: &mut WriteTx, from: u64, into: u64, by: &str, now: i64) -> Result<usize> {
    {
        let mut src = get_ticket(tx, from)?;
        let mut dst = get_ticket(tx, into)?;
        if links_of(tx, from)?
            .iter()
            .any(|l| l.kind == LinkKind::MergedInto)
        {
            return Err(Error::conflict(format!("ticket {from} was already merged")));
        }
        // A ticket merged away holds no articles and forwards its mail: merge into the ticket
        // it went to instead (merging into it would form a cycle).
        if let Some(l) = links_of(tx, into)?
            .iter()
            .find(|l| l.kind == LinkKind::MergedInto)
        {
            return Err(Error::conflict(format!(
                "ticket {into} was merged into ticket {}; merge into that one",
                l.other
            )));
        }
        let moved = articles(tx, from)?;
        for mut a in moved.iter().cloned() {
            tx.delete(Table::Articles, &be2(from, a.id))?;
            a.ticket = into;
            tx.put_rec(Table::Articles, &be2(into, a.id), &a)?;
            let mut keys = vec![a.message_id.clone()];
            if let Some(info) = tx.get_rec::<ArticleMail>(Table::ArticleMail, &be2(from, a.id))? {
                tx.delete(Table::ArticleMail, &be2(from, a.id))?;
                keys.push(super::ingest::variant_key(&a.message_id, &info.fingerprint));
                tx.put_rec(Table::ArticleMail, &be2(into, a.id), &info)?;
            }
            for key in keys {
                if let Some(mut r) = tx.get_rec::<MessageRef>(Table::MessageIds, key.as_bytes())?
                    && r.ticket == from
                    && r.article == a.id
                {
                    r.ticket = into;
                    tx.put_rec(Table::MessageIds, key.as_bytes(), &r)?;
                }
            }
        }
        for p in &src.participants {
            if !dst.participants.contains(p) {
                dst.participants.push(p.clone());
            }
        }
        if !dst.participants.contains(&src.customer.address) && !src.customer.address.is_empty() {
            dst.participants.push(src.customer.address.clone());
        }
        dst.articles += moved.len() as u32;
        dst.updated_ms = now;
        if dst.status == TicketStatus::Closed {
            dst.status = TicketStatus::Open;
        }
        src.articles = 0;
        src.status = TicketStatus::Closed;
        src.updated_ms = now;
        src.closed_ms = Some(now); // retention
        tx.put_rec(Table::Tickets, &be(from), &src)?;
        tx.put_rec(Table::Tickets, &be(into), &dst)?;
        link(tx, from, into, LinkKind::MergedInto, Some(by), now)?;
        tracing::info!(
            user = by,
            from,
            into,
            articles = moved.len(),
            "tickets merged"
        );
        Ok(moved.len())
    }
}

/// Mail facts of a ticket for programs and tests: its links and, per article, which of our
/// mailboxes it reached and its fingerprint. Errors: `NotFound`.
pub fn mail_info(app: &App, number: u64) -> Result<serde_json::Value> {
    let links = show_links(app, number)?;
    let arts = app.store.read(|r| {
        let mut out = Vec::new();
        for a in articles(r, number)? {
            let info: Option<ArticleMail> = r.get_rec(Table::ArticleMail, &be2(number, a.id))?;
            out.push(serde_json::json!({
                "id": a.id,
                "message_id": a.message_id,
                "mailboxes": info.as_ref().map(|i| i.mailboxes.clone()).unwrap_or_default(),
                "fingerprint": info.map(|i| i.fingerprint),
            }));
        }
        Ok(out)
    })?;
    Ok(serde_json::json!({ "links": links, "articles": arts }))
}

/// Our mailboxes each article reached, by article id.
pub type MailboxesByArticle = std::collections::HashMap<u64, Vec<String>>;

/// The links of ticket `number` and, per article id, the mailboxes it reached.
pub fn mail_facts(app: &App, number: u64) -> Result<(Vec<TicketLink>, MailboxesByArticle)> {
    app.store.read(|r| {
        let links = links_of(r, number)?;
        let mut mailboxes = std::collections::HashMap::new();
        for (k, v) in r.scan(Table::ArticleMail, &be(number), false, usize::MAX)? {
            let info: ArticleMail = decode(&v)?;
            let id = crate::store::codec::read_be(k.get(8..).unwrap_or_default());
            if !info.mailboxes.is_empty() {
                mailboxes.insert(id, info.mailboxes);
            }
        }
        Ok((links, mailboxes))
    })
}
