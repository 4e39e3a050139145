//! One ticket: header, the thread, the reply form and the status button.

use std::collections::HashMap;

use maud::{Markup, PreEscaped, html};

use super::tickets::status_badge;
use super::{human_size, layout, time_ms};
use crate::helpdesk::ticket_tag;
use crate::helpdesk::tickets::display_address;
use crate::helpdesk::{Article, Delivery, Direction, Ticket, TicketStatus};
use crate::web::http::Req;
use crate::web::i18n::{Key, t};
use crate::web::sanitize::sanitise_mail_html;

/// The download URL of attachment `index` of article `article` in ticket `number`.
pub fn attachment_url(number: u64, article: u64, index: usize) -> String {
    format!("/tickets/{number}/articles/{article}/attachments/{index}")
}

/// The sanitised HTML body of every article that has one, by article id. `cid:` images are
/// pointed at the article's own attachments.
pub fn sanitised_bodies(number: u64, articles: &[Article]) -> HashMap<u64, String> {
    let mut out = HashMap::new();
    for a in articles {
        let Some(html) = &a.html else { continue };
        let cids: HashMap<String, String> = a
            .attachments
            .iter()
            .enumerate()
            .filter_map(|(i, x)| {
                x.content_id
                    .as_ref()
                    .map(|c| (c.clone(), attachment_url(number, a.id, i)))
            })
            .collect();
        out.insert(a.id, sanitise_mail_html(html, &cids));
    }
    out
}

/// What the page needs besides the ticket.
pub struct TicketPage<'a> {
    pub ticket: &'a Ticket,
    pub articles: &'a [Article],
    /// From [`sanitised_bodies`].
    pub bodies: &'a HashMap<u64, String>,
    pub csrf: &'a str,
    /// The reply text to put back into the form (after an error).
    pub reply_text: &'a str,
    pub error: Option<&'a str>,
    /// access: `(id, name)` of queues the ticket may be moved to (empty: no move form).
    pub move_queues: &'a [(String, String)],
}

/// Renders the ticket page.
pub fn render(req: &Req, p: &TicketPage<'_>) -> Markup {
    let l = req.lang;
    let tk = p.ticket;
    let n = tk.number;
    let tag = ticket_tag(n);
    let title = format!("{tag} {}", tk.subject);
    let body = html! {
        p.crumbs { a href="/tickets" { "← " (t(l, Key::BackToTickets)) } }
        div.ticket-head {
            h1 {
                span.tag { (tag) }
                " "
                span.subject { (tk.subject) }
            }
            (status_badge(l, tk.status.as_str()))
        }
        div.ticket-layout {
            div.ticket-main {
                section.thread aria-label=(t(l, Key::Thread)) {
                    @for a in p.articles {
                        (article(req, n, a, p.bodies.get(&a.id)))
                    }
                }
                section.card.reply #reply {
                    h2 { (t(l, Key::Reply)) }
                    @if let Some(e) = p.error {
                        p.error role="alert" { (e) }
                    }
                    form method="post" action={ "/tickets/" (n) "/reply" } {
                        input type="hidden" name="csrf" value=(p.csrf);
                        label.visually-hidden for="reply-text" { (t(l, Key::Reply)) }
                        textarea #reply-text name="text" rows="8" required
                            aria-describedby="reply-hint" { (p.reply_text) }
                        div.actions.split {
                            p.hint #reply-hint { (t(l, Key::ReplyHint)) }
                            button.primary type="submit" { (t(l, Key::SendReply)) }
                        }
                    }
                }
            }
            aside.ticket-side {
                section.card.side {
                    dl.facts {
                        dt { (t(l, Key::Status)) }
                        dd { (status_badge(l, tk.status.as_str())) }
                        dt { (t(l, Key::Customer)) }
                        dd {
                            @if let Some(name) = tk.customer.name.as_deref().filter(|s| !s.is_empty()) {
                                span.name { (name) } br;
                            }
                            a.addr href={ "mailto:" (tk.customer.address) } { (tk.customer.address) }
                        }
                        @if !tk.mailbox.is_empty() {
                            dt { (t(l, Key::Mailbox)) }
                            dd { (tk.mailbox) }
                        }
                        dt { (t(l, Key::Created)) }
                        dd { (time_ms(tk.created_ms)) }
                        dt { (t(l, Key::Updated)) }
                        dd { (time_ms(tk.updated_ms)) }
                        dt { (t(l, Key::Messages)) }
                        dd { (tk.articles) }
                    }
                    form method="post" action={ "/tickets/" (n) "/status" } {
                        input type="hidden" name="csrf" value=(p.csrf);
                        @match tk.status {
                            TicketStatus::Open => {
                                input type="hidden" name="status" value="closed";
                                button.secondary.wide type="submit" { (t(l, Key::CloseTicket)) }
                            }
                            TicketStatus::Closed => {
                                input type="hidden" name="status" value="open";
                                button.secondary.wide type="submit" { (t(l, Key::ReopenTicket)) }
                            }
                        }
                    }
                    (queue_box(req, tk, p))
                }
            }
        }
    };
    layout::page(req, &title, body)
}

fn article(req: &Req, n: u64, a: &Article, body: Option<&String>) -> Markup {
    let l = req.lang;
    let (dir_class, dir_label) = match a.direction {
        Direction::In => ("msg in", t(l, Key::Incoming)),
        Direction::Out => ("msg out", t(l, Key::Outgoing)),
    };
    let to: Vec<String> = a.to.iter().map(display_address).collect();
    let cc: Vec<String> = a.cc.iter().map(display_address).collect();
    html! {
        article class=(dir_class) id={ "article-" (a.id) } {
            header.msg-head {
                div.msg-who {
                    span class={ "badge dir-" (a.direction.as_str()) } { (dir_label) }
                    strong.from { (display_address(&a.from)) }
                }
                div.msg-when { (time_ms(a.created_ms)) }
            }
            dl.msg-meta {
                @if !to.is_empty() {
                    dt { (t(l, Key::To)) } dd { (to.join(", ")) }
                }
                @if !cc.is_empty() {
                    dt { (t(l, Key::Cc)) } dd { (cc.join(", ")) }
                }
            }
            @if let Some(d) = &a.delivery {
                (delivery(req, d))
            }
            @if a.flags.malformed {
                p.warning.small { (t(l, Key::Malformed)) }
            }
            @if a.text.trim().is_empty() {
                p.text.muted { (t(l, Key::NoText)) }
            } @else {
                div.text { (a.text.trim_end()) }
            }
            @if let Some(h) = body {
                details.formatted {
                    summary { (t(l, Key::ShowFormatted)) }
                    p.hint { (t(l, Key::ActiveContentBlocked)) }
                    div.mail-html { (PreEscaped(h)) }
                }
            }
            @if !a.attachments.is_empty() {
                div.attachments {
                    h3.visually-hidden { (t(l, Key::Attachments)) }
                    ul {
                        @for (i, x) in a.attachments.iter().enumerate() {
                            li {
                                a href=(attachment_url(n, a.id, i)) download=(x.filename)
                                    title=(t(l, Key::Download)) {
                                    span.file-icon aria-hidden="true" {}
                                    span.file-name { (x.filename) }
                                }
                                span.file-meta { (x.content_type) " · " (human_size(x.size)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn delivery(req: &Req, d: &Delivery) -> Markup {
    let l = req.lang;
    let (class, label, detail) = match d {
        Delivery::Queued { last_error, .. } => (
            "delivery queued",
            t(l, Key::DeliveryQueued),
            last_error.as_deref(),
        ),
        Delivery::Sent { reply, .. } => (
            "delivery sent",
            t(l, Key::DeliverySent),
            Some(reply.as_str()),
        ),
        Delivery::Failed { reason, .. } => (
            "delivery failed",
            t(l, Key::DeliveryFailed),
            Some(reason.as_str()),
        ),
    };
    html! {
        p class=(class) {
            span.delivery-state { (label) }
            @if let Some(d) = detail.filter(|d| !d.is_empty()) {
                " — " span.delivery-detail { (d) }
            }
        }
    }
}

// access: the ticket's queue and the form to move it.
fn queue_box(req: &Req, tk: &Ticket, p: &TicketPage<'_>) -> Markup {
    let l = req.lang;
    let current = crate::helpdesk::queues::of_ticket(tk);
    html! {
        dl.facts {
            dt { (t(l, Key::Queue)) }
            dd.queue { (current) }
        }
        @if p.move_queues.iter().any(|(id, _)| id != current) {
            form method="post" action={ "/tickets/" (tk.number) "/queue" } {
                input type="hidden" name="csrf" value=(p.csrf);
                label for="move-queue" { (t(l, Key::MoveToQueue)) }
                select #move-queue name="queue" {
                    @for (id, name) in p.move_queues {
                        option value=(id) selected[id == current] { (name) }
                    }
                }
                button.secondary.wide type="submit" { (t(l, Key::Move)) }
            }
        }
    }
}
