//! gdpr: ticket classification (Art. 5(1)(f), 9, 32), the purpose of processing shown on
//! each ticket (Art. 5(1)(b)), and the audited reveal of masked national identity numbers
//! (Art. 25, 87). The rules live in [`crate::helpdesk::tickets`]; these handlers only
//! parse forms and render.

use std::sync::Arc;

use hyper::header::{self, HeaderValue};
use hyper::{StatusCode, Uri};

use super::{parse_number, post_allowed, render_ticket_as, session_of, to_login};
use crate::app::App;
use crate::audit::access::{Actor, grants};
use crate::auth::roles::QueuePerm;
use crate::error::{ErrorKind, Result};
use crate::gdpr::classification::Classification;
use crate::helpdesk::{Ticket, queues, tickets};
use crate::web::blocking;
use crate::web::http::{self, Req, Resp};
use crate::web::pages::{self, ticket::MailExtras, ticket::Privacy};

/// What the ticket page shows about data protection for `actor`: the queue's purpose and
/// the classifications they may set (with `change` on the ticket, up to their clearance on
/// its queue). Masking is applied later by [`pages::ticket::mask_for_display`].
pub(super) fn privacy(app: &App, actor: &Actor, t: &Ticket, revealed: bool) -> Result<Privacy> {
    app.store.read(|r| {
        let g = grants(r, actor)?;
        let q = queues::of_ticket(t);
        let purpose = queues::get(r, q)?.map(|q| q.purpose).unwrap_or_default();
        let settable = if tickets::may(&g, t, QueuePerm::Change) {
            Classification::ALL
                .into_iter()
                .filter(|c| g.cleared(q, *c))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Privacy {
            purpose,
            settable,
            revealed,
            ..Privacy::default()
        })
    })
}

/// Drops links to tickets `actor` may not read (another queue, or above their clearance):
/// a link names a ticket, and listings never show tickets one may not open.
pub(super) fn visible_links(app: &App, actor: &Actor, extras: &mut MailExtras) -> Result<()> {
    app.store.read(|r| {
        let mut keep = Vec::with_capacity(extras.links.len());
        for l in extras.links.drain(..) {
            if tickets::may_read(r, actor, l.other)? {
                keep.push(l);
            }
        }
        extras.links = keep;
        Ok(())
    })
}

/// `POST /tickets/{n}/classification` with field `classification`: sets the ticket's
/// classification (needs `change`; not above one's clearance; audited `ticket.classify`).
pub(super) async fn set(app: &Arc<App>, req: &Req, uri: &Uri, n: &str) -> Resp {
    let Some(session) = session_of(req) else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &session.csrf) {
        return pages::csrf_failed(req);
    }
    let Some(n) = parse_number(n) else {
        return pages::not_found(req);
    };
    let class = match Classification::parse(&req.fs("classification")) {
        Ok(c) => c,
        Err(e) => return pages::error_page(req, &e),
    };
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    match blocking(app, move |a| {
        tickets::set_classification(a, &actor, n, class)
    })
    .await
    {
        Ok(()) => {
            tracing::info!(user = %session.user, ticket = n, classification = class.as_str(), "ticket classified");
            http::redirect(&format!("/tickets/{n}"))
        }
        Err(e) if e.kind == ErrorKind::NotFound => pages::not_found(req),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /tickets/{n}/reveal`: the ticket page with national IDs shown, for this response
/// only (needs `read`; audited `ticket.reveal` naming the articles). A POST, so that a
/// reveal is a deliberate act: never prefetched, bookmarked or repeated by a reload
/// without the browser asking.
pub(super) async fn reveal(app: &Arc<App>, req: &Req, uri: &Uri, n: &str) -> Resp {
    let Some(session) = session_of(req) else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &session.csrf) {
        return pages::csrf_failed(req);
    }
    let Some(n) = parse_number(n) else {
        return pages::not_found(req);
    };
    let mut r = render_ticket_as(app, req, session, n, StatusCode::OK, "", None, true).await;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}
