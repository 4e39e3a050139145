//! One ticket: header, the thread, the reply form and the status button.

use std::collections::{HashMap, HashSet};

use maud::{Markup, PreEscaped, html};

use super::tickets::status_badge;
use super::{human_size, layout, time_ms};
use crate::app::App;
use crate::error::Result;
use crate::gdpr::classification::Classification;
use crate::helpdesk::ticket_tag;
use crate::helpdesk::tickets;
use crate::helpdesk::tickets::display_address;
use crate::helpdesk::{Article, Delivery, Direction, LinkKind, Ticket, TicketLink, TicketStatus};
use crate::web::http::Req;
use crate::web::i18n::{Key, classification_label, t};
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

/// The CSP of a ticket page that shows one article's remote images (after the agent asked):
/// the normal policy with `img-src` widened to `https:` and `http:` for that view only.
pub const CSP_WITH_REMOTE_IMAGES: &str = "default-src 'none'; style-src 'self'; \
    img-src 'self' https: http:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Mail-rule facts the ticket page shows: links, blocked remote images, mailboxes reached.
#[derive(Debug, Clone, Default)]
pub struct MailExtras {
    pub links: Vec<TicketLink>,
    /// Articles whose HTML has remote images (blocked unless `images_for` names them).
    pub remote_images: HashSet<u64>,
    /// The article whose remote images are shown in this view.
    pub images_for: Option<u64>,
    /// Our mailboxes each article reached.
    pub mailboxes: HashMap<u64, Vec<String>>,
}

/// Sanitised bodies (as [`sanitised_bodies`]; remote images allowed only for article
/// `images_for`) and the [`MailExtras`] of ticket `number`.
pub fn bodies_and_extras(
    app: &App,
    number: u64,
    articles: &[Article],
    images_for: Option<u64>,
) -> Result<(HashMap<u64, String>, MailExtras)> {
    let mut bodies = HashMap::new();
    let mut extras = MailExtras {
        images_for,
        ..MailExtras::default()
    };
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
        let (clean, remote) =
            crate::web::sanitize::sanitise_mail_html_with(html, &cids, images_for == Some(a.id));
        if remote {
            extras.remote_images.insert(a.id);
        }
        bodies.insert(a.id, clean);
    }
    let (links, mailboxes) = crate::helpdesk::links::mail_facts(app, number)?;
    extras.links = links;
    extras.mailboxes = mailboxes;
    Ok((bodies, extras))
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
    /// Mail-rule facts (links, remote images, mailboxes).
    pub extras: &'a MailExtras,
    /// access: `(id, name)` of queues the ticket may be moved to (empty: no move form).
    pub move_queues: &'a [(String, String)],
    /// gdpr: classification, purpose, masking state.
    pub privacy: &'a Privacy,
}

// gdpr: classification, purpose of processing, masking and reveal (issue 6)

/// What the ticket page shows about data protection.
#[derive(Debug, Clone, Default)]
pub struct Privacy {
    /// The queue's purpose of processing (Art. 5(1)(b)); empty when none was recorded.
    pub purpose: String,
    /// Classifications the viewer may set (`change` on the ticket, up to their clearance);
    /// empty: no form.
    pub settable: Vec<Classification>,
    /// National IDs were masked in this view (offer the reveal button).
    pub masked: bool,
    /// This view is an audited reveal: nothing is masked.
    pub revealed: bool,
    /// Articles whose formatted (HTML) version is withheld because masking could not
    /// cover it.
    pub html_hidden: HashSet<u64>,
}

/// Prepares the records and sanitised bodies of a ticket page for display: unless
/// `revealed`, national IDs are masked ([`tickets::mask_records`], [`tickets::mask_html`];
/// GDPR Art. 25) and `privacy` notes what was masked.
pub fn mask_for_display(
    today: jiff::civil::Date,
    ticket: &mut Ticket,
    articles: &mut [Article],
    bodies: &mut HashMap<u64, String>,
    privacy: &mut Privacy,
) {
    if privacy.revealed {
        return;
    }
    let ids = tickets::mask_records(ticket, articles, today);
    privacy.masked = !ids.is_empty();
    for (id, body) in bodies.iter_mut() {
        match tickets::mask_html(body, &ids, today) {
            Some(m) => *body = m,
            None => {
                privacy.html_hidden.insert(*id);
                body.clear();
            }
        }
    }
    bodies.retain(|id, _| !privacy.html_hidden.contains(id));
}

/// The badge of classification `c`.
pub fn classification_badge(l: crate::web::i18n::Lang, c: Classification) -> Markup {
    html! {
        span class={ "badge classification class-" (c.as_str()) }
            title=(t(l, Key::Classification)) { (classification_label(l, c)) }
    }
}

/// The classification, the purpose, the reveal button and the classification form.
fn privacy_box(req: &Req, tk: &Ticket, p: &TicketPage<'_>) -> Markup {
    let l = req.lang;
    let pr = p.privacy;
    html! {
        dl.facts.privacy {
            dt { (t(l, Key::Classification)) }
            dd { (classification_badge(l, tk.classification)) }
            dt { (t(l, Key::PurposeOfProcessing)) }
            @if pr.purpose.trim().is_empty() {
                dd.purpose.muted { (t(l, Key::NoPurpose)) }
            } @else {
                dd.purpose { (pr.purpose) }
            }
        }
        @if pr.revealed {
            p.note.small.revealed role="status" { (t(l, Key::Revealed)) }
        } @else if pr.masked {
            form.reveal method="post" action={ "/tickets/" (tk.number) "/reveal" } {
                input type="hidden" name="csrf" value=(p.csrf);
                p.hint { (t(l, Key::RevealHint)) }
                button.secondary.wide type="submit" { (t(l, Key::RevealIds)) }
            }
        }
        @if !pr.settable.is_empty() {
            form method="post" action={ "/tickets/" (tk.number) "/classification" } {
                input type="hidden" name="csrf" value=(p.csrf);
                label for="set-classification" { (t(l, Key::SetClassification)) }
                select #set-classification name="classification" {
                    @for c in &pr.settable {
                        option value=(c.as_str()) selected[*c == tk.classification] {
                            (classification_label(l, *c))
                        }
                    }
                }
                button.secondary.wide type="submit" { (t(l, Key::SetClassification)) }
            }
        }
    }
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
            " "
            (classification_badge(l, tk.classification))
        }
        (super::retention::ticket_hold(req, tk, p.csrf)) // legal hold
        div.ticket-layout {
            div.ticket-main {
                section.thread aria-label=(t(l, Key::Thread)) {
                    @for a in p.articles {
                        (article(req, n, a, p.bodies.get(&a.id), p.extras))
                        @if p.privacy.html_hidden.contains(&a.id) {
                            p.hint.html-hidden { (t(l, Key::MaskedHtmlHidden)) }
                        }
                    }
                }
                section.card.reply #reply {
                    h2 { (t(l, Key::Reply)) }
                    @if let Some(e) = p.error {
                        p.error role="alert" { (e) }
                    }
                    // gdpr: nothing to answer on an anonymised ticket (its addresses are
                    // placeholders).
                    @if tk.anonymised_ms.is_some() {
                        p.hint { (t(l, Key::AnonymisedNoReply)) }
                    } @else {
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
                            // contacts: the customer's contact page, and consent with this ticket's first message as evidence
                            @if tk.anonymised_ms.is_none() {
                            br; a.contact-link href=(super::contact::contact_url(&tk.customer.address)) { (super::privacy_text::tr(l, super::privacy_text::CONTACT_PAGE)) } " · " a.consent-link href={ (super::contact::contact_url(&tk.customer.address)) "?article=" (n) "-" (p.articles.first().map(|a| a.id).unwrap_or(0)) "#record-consent" } { (super::privacy_text::tr(l, super::privacy_text::RECORD_CONSENT)) }
                            }
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
                    (links_card(req, n, p))
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
                    (privacy_box(req, tk, p))
                }
            }
        }
    };
    layout::page(req, &title, body)
}

/// Linked tickets and the merge form.
fn links_card(req: &Req, n: u64, p: &TicketPage<'_>) -> Markup {
    let l = req.lang;
    let merged = p
        .extras
        .links
        .iter()
        .any(|x| x.kind == LinkKind::MergedInto);
    html! {
        @if !p.extras.links.is_empty() {
            h2.small { (t(l, Key::LinkedTickets)) }
            ul.links {
                @for x in &p.extras.links {
                    li {
                        (link_label(l, x.kind)) " "
                        a href={ "/tickets/" (x.other) } { (ticket_tag(x.other)) }
                    }
                }
            }
        }
        @if !merged {
            form.merge method="post" action={ "/tickets/" (n) "/merge" } {
                input type="hidden" name="csrf" value=(p.csrf);
                label for="merge-into" { (t(l, Key::MergeInto)) }
                @let suggested = p.extras.links.iter().find(|x| x.kind == LinkKind::QuotesTagOf).map(|x| x.other.to_string()).unwrap_or_default();
                input #merge-into type="number" name="into" min="1" required value=(suggested);
                button.secondary type="submit" { (t(l, Key::MergeButton)) }
            }
        }
    }
}

fn link_label(l: crate::web::i18n::Lang, kind: LinkKind) -> &'static str {
    t(
        l,
        match kind {
            LinkKind::QuotesTagOf => Key::LinkQuotesTagOf,
            LinkKind::TagQuotedBy => Key::LinkTagQuotedBy,
            LinkKind::FollowUpOf => Key::LinkFollowUpOf,
            LinkKind::FollowedUpBy => Key::LinkFollowedUpBy,
            LinkKind::MergedInto => Key::LinkMergedInto,
            LinkKind::MergedFrom => Key::LinkMergedFrom,
        },
    )
}

/// The notes shown for an article's mail-rule flags.
fn flag_notes(l: crate::web::i18n::Lang, a: &Article) -> Vec<&'static str> {
    let f = &a.flags;
    [
        (f.auto_reply, Key::FlagAutoReply),
        (f.bulk, Key::FlagBulk),
        (f.bounce && !f.bounce_unverified, Key::FlagBounce),
        (f.bounce_unverified, Key::FlagBounceUnverified),
        (f.reused_message_id, Key::FlagReusedId),
        (f.automatic, Key::FlagAutomatic),
        (f.loop_detected, Key::FlagLoop),
        (f.charset_fallback, Key::FlagCharset),
        (f.tnef_unpacked, Key::FlagTnef),
        (f.forwarded_by_agent, Key::FlagForwarded),
        (f.foreign_tag, Key::FlagForeignTag),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, k)| t(l, k))
    .collect()
}

fn article(req: &Req, n: u64, a: &Article, body: Option<&String>, extras: &MailExtras) -> Markup {
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
                @if let Some(m) = extras.mailboxes.get(&a.id).filter(|m| m.len() > 1) {
                    dt { (t(l, Key::ReceivedBy)) } dd.received-by { (m.join(", ")) }
                }
            }
            @for note in flag_notes(l, a) {
                p.note.small.flag { (note) }
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
                @let showing = extras.images_for == Some(a.id);
                details.formatted open[showing] {
                    summary { (t(l, Key::ShowFormatted)) }
                    p.hint { (t(l, Key::ActiveContentBlocked)) }
                    @if extras.remote_images.contains(&a.id) {
                        @if showing {
                            p.hint.images-shown { (t(l, Key::RemoteImagesShown)) }
                        } @else {
                            p.hint.images-blocked {
                                (t(l, Key::RemoteImagesBlocked)) " "
                                a.show-images href={ "/tickets/" (n) "?images=" (a.id) "#article-" (a.id) } {
                                    (t(l, Key::ShowImages))
                                }
                            }
                        }
                    }
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
        // outbound: temporary failures, retried until the retry period ends
        Delivery::Deferred { last_error, .. } => (
            "delivery deferred",
            t(l, Key::DeliveryDeferred),
            Some(last_error.as_str()),
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
