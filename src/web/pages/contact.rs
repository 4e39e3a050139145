//! contacts: one contact's page — their data, legal hold, tickets the viewer may read, the
//! consent register with its history (GDPR Art. 7), and the forms to correct their data
//! (Art. 16), record and withdraw consent. No JavaScript; consent is never pre-ticked.

use maud::{Markup, html};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::privacy_text::{self as x, tr};
use super::tickets::status_badge;
use super::{layout, time_ms};
use crate::gdpr::consent::Channel;
use crate::gdpr::contacts::ContactView;
use crate::helpdesk::ticket_tag;
use crate::web::http::Req;
use crate::web::i18n::{Key, Lang, RetKey, rt, t};

/// RFC 3986 §2.3 unreserved characters stay; everything else in an address is escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The URL of the contact page of `address` (the address percent-encoded as one segment).
pub fn contact_url(address: &str) -> String {
    format!("/contacts/{}", utf8_percent_encode(address, SEGMENT))
}

/// Every consent channel with its label, in form order.
pub fn channels(l: Lang) -> [(Channel, &'static str); 5] {
    [
        (Channel::Email, tr(l, x::CH_EMAIL)),
        (Channel::WebForm, tr(l, x::CH_WEB_FORM)),
        (Channel::Phone, tr(l, x::CH_PHONE)),
        (Channel::Paper, tr(l, x::CH_PAPER)),
        (Channel::InPerson, tr(l, x::CH_IN_PERSON)),
    ]
}

fn channel_label(l: Lang, c: Channel) -> &'static str {
    channels(l)
        .into_iter()
        .find(|(k, _)| *k == c)
        .map(|(_, v)| v)
        .unwrap_or("")
}

/// The rectification form's values (what is stored, or what was typed).
#[derive(Debug, Clone, Default)]
pub struct RectifyValues {
    pub name: String,
    pub phone: String,
    pub organisation: String,
}

/// The consent form's values (empty, or what was typed). The "actively said yes" box is
/// always rendered unticked, also when a refused form is shown again (recital 32).
#[derive(Debug, Clone, Default)]
pub struct ConsentValues {
    pub purpose: String,
    pub wording: String,
    pub given: String,
    pub channel: String,
    pub article: String,
    pub note: String,
}

/// Messages for the page's forms.
#[derive(Debug, Clone, Default)]
pub struct Messages<'a> {
    pub notice: Option<&'a str>,
    pub rectify: Option<&'a str>,
    pub consent: Option<&'a str>,
    pub withdraw: Option<&'a str>,
}

/// Renders the contact page.
pub fn render(
    req: &Req,
    csrf: &str,
    v: &ContactView,
    rect: &RectifyValues,
    cons: &ConsentValues,
    msg: &Messages<'_>,
) -> Markup {
    let l = req.lang;
    let base = contact_url(&v.address);
    let c = v.contact.as_ref();
    let title = format!("{} {}", tr(l, x::CONTACT), v.address);
    let body = html! {
        div.page-head {
            h1 { (tr(l, x::CONTACT)) " " span.addr { (v.address) } }
        }
        @if let Some(n) = msg.notice { p.notice role="status" { (n) } }
        section.card {
            @if c.is_none() { p.hint { (tr(l, x::NO_RECORD)) } }
            dl.facts {
                dt { (tr(l, x::NAME)) } dd { (c.and_then(|c| c.name.as_deref()).unwrap_or("")) }
                dt { (tr(l, x::EMAIL)) } dd { (v.address) }
                dt { (tr(l, x::PHONE)) } dd { (c.and_then(|c| c.phone.as_deref()).unwrap_or("")) }
                dt { (tr(l, x::ORGANISATION)) } dd { (c.and_then(|c| c.organisation.as_deref()).unwrap_or("")) }
                @if let Some(c) = c {
                    dt { (tr(l, x::FIRST_SEEN)) } dd { (time_ms(c.created_ms)) }
                    dt { (tr(l, x::LAST_SEEN)) } dd { (time_ms(c.last_seen_ms)) }
                }
                dt { (tr(l, x::LEGAL_HOLD)) }
                dd.legal-hold {
                    @match c.and_then(|c| c.legal_hold.as_ref()) {
                        Some(h) => { (h.reason) " (" (tr(l, x::PLACED_BY)) " " (h.by) ", " (time_ms(h.at_ms)) ")" }
                        None => { (tr(l, x::NONE)) }
                    }
                    // legal hold: placing and lifting is for the privacy area (Art. 17(3)(e))
                    @if c.is_some() && req.has_area(crate::auth::roles::Area::Privacy) {
                        @if c.is_some_and(|c| c.legal_hold.is_some()) {
                            form.inline method="post" action="/contacts/hold/lift" {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="address" value=(v.address);
                                input type="hidden" name="next" value=(base);
                                button.secondary type="submit" { (rt(l, RetKey::Lift)) }
                            }
                        } @else {
                            details {
                                summary { (rt(l, RetKey::PlaceHold)) }
                                form method="post" action="/contacts/hold" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="address" value=(v.address);
                                    input type="hidden" name="next" value=(base);
                                    label for="hold-reason" { (rt(l, RetKey::Reason)) }
                                    input #hold-reason type="text" name="reason" required maxlength="500";
                                    p.hint { (rt(l, RetKey::HoldContactHint)) }
                                    button.secondary type="submit" { (rt(l, RetKey::PlaceHold)) }
                                }
                            }
                        }
                    }
                }
                dt { (tr(l, x::AUDIT_REF)) } dd { code { (v.audit_ref) } }
            }
        }
        section.card #tickets {
            h2 { (t(l, Key::Tickets)) }
            @if v.tickets.is_empty() {
                p.hint { (tr(l, x::NO_VISIBLE_TICKETS)) }
            } @else {
                div.table-wrap { table.admin {
                    thead { tr {
                        th scope="col" { (t(l, Key::Ticket)) }
                        th scope="col" { (t(l, Key::Subject)) }
                        th scope="col" { (t(l, Key::Status)) }
                        th scope="col" { (t(l, Key::Created)) }
                    } }
                    tbody {
                        @for tk in &v.tickets {
                            tr {
                                td { a href={ "/tickets/" (tk.number) } { (ticket_tag(tk.number)) } }
                                td { (tk.subject) }
                                td { (status_badge(l, tk.status.as_str())) }
                                td.when { (time_ms(tk.created_ms)) }
                            }
                        }
                    }
                } }
            }
        }
        @if v.may_rectify {
            section.card #rectify {
                h2 { (tr(l, x::RECTIFY_TITLE)) }
                @if let Some(e) = msg.rectify { p.error role="alert" { (e) } }
                form method="post" action={ (base) "/rectify" } {
                    input type="hidden" name="csrf" value=(csrf);
                    div.field { label for="c-name" { (tr(l, x::NAME)) }
                        input #c-name type="text" name="name" maxlength="200" value=(rect.name); }
                    div.field { label for="c-phone" { (tr(l, x::PHONE)) }
                        input #c-phone type="text" name="phone" maxlength="40" inputmode="tel" value=(rect.phone); }
                    div.field { label for="c-org" { (tr(l, x::ORGANISATION)) }
                        input #c-org type="text" name="organisation" maxlength="200" value=(rect.organisation); }
                    div.actions.split {
                        p.hint { (tr(l, x::RECTIFY_HINT)) }
                        button.primary type="submit" { (tr(l, x::SAVE_CORRECTIONS)) }
                    }
                }
            }
        }
        section.card #consents {
            h2 { (tr(l, x::CONSENTS_TITLE)) }
            @if let Some(e) = msg.withdraw { p.error role="alert" { (e) } }
            @if v.consents.is_empty() {
                p.hint { (tr(l, x::NO_CONSENTS)) }
            } @else {
                div.table-wrap { table.admin.consents {
                    thead { tr {
                        th scope="col" { (tr(l, x::PURPOSE)) }
                        th scope="col" { (tr(l, x::WORDING)) }
                        th scope="col" { (tr(l, x::GIVEN)) }
                        th scope="col" { (tr(l, x::EVIDENCE)) }
                        th scope="col" { (tr(l, x::RECORDED_BY)) }
                        th scope="col" { (tr(l, x::STATE)) }
                    } }
                    tbody {
                        @for k in &v.consents {
                            tr {
                                td { (k.purpose) }
                                td.detail { (k.wording) }
                                td.when { (time_ms(k.given_ms)) br; (channel_label(l, k.channel)) }
                                td {
                                    @if let Some((tn, an)) = k.evidence.article {
                                        a href={ "/tickets/" (tn) "#article-" (an) } { (ticket_tag(tn)) }
                                        " "
                                    } @else if v.evidence_hidden.contains(&k.id) {
                                        // gdpr: evidence above the viewer's clearance: no number, no link
                                        span.muted.evidence-hidden { (tr(l, x::EVIDENCE_HIDDEN)) }
                                        " "
                                    }
                                    (k.evidence.note)
                                }
                                td { (k.recorded_by) br; (time_ms(k.recorded_ms)) }
                                td {
                                    @match &k.withdrawn {
                                        Some(w) => {
                                            span.badge.status-closed { (tr(l, x::WITHDRAWN)) } " "
                                            (time_ms(w.at_ms)) br;
                                            (channel_label(l, w.channel)) " · " (w.recorded_by)
                                            @if !w.evidence.note.is_empty() { br; (w.evidence.note) }
                                        }
                                        None => {
                                            span.badge.status-open { (tr(l, x::IN_FORCE)) }
                                            @if v.may_record_consent {
                                                details.withdraw { summary { (tr(l, x::WITHDRAW)) "…" }
                                                form.withdraw method="post" action={ (base) "/consents/" (k.id) "/withdraw" } {
                                                    input type="hidden" name="csrf" value=(csrf);
                                                    label.block for={ "w-at-" (k.id) } { (tr(l, x::WITHDRAWN_ON)) }
                                                    input id={ "w-at-" (k.id) } type="text" name="at" maxlength="40" placeholder="YYYY-MM-DD";
                                                    label.block for={ "w-ch-" (k.id) } { (tr(l, x::CHANNEL)) }
                                                    select id={ "w-ch-" (k.id) } name="channel" {
                                                        @for (ch, label) in channels(l) {
                                                            option value=(ch.as_str()) { (label) }
                                                        }
                                                    }
                                                    label.block for={ "w-note-" (k.id) } { (tr(l, x::NOTE)) }
                                                    input id={ "w-note-" (k.id) } type="text" name="note" maxlength="2000";
                                                    button.secondary type="submit" { (tr(l, x::WITHDRAW)) }
                                                }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            p {
                a.button.secondary href={ (base) "/consents.json" } { (tr(l, x::EXPORT_JSON)) }
                " "
                a.button.secondary href={ (base) "/consents.csv" } { (tr(l, x::EXPORT_CSV)) }
            }
        }
        @if v.may_record_consent {
            section.card #record-consent {
                h2 { (tr(l, x::RECORD_CONSENT)) }
                @if let Some(e) = msg.consent { p.error role="alert" { (e) } }
                form method="post" action={ (base) "/consents" } {
                    input type="hidden" name="csrf" value=(csrf);
                    div.field { label for="k-purpose" { (tr(l, x::PURPOSE)) }
                        input #k-purpose type="text" name="purpose" required maxlength="200" value=(cons.purpose); }
                    div.field { label for="k-wording" { (tr(l, x::WORDING)) }
                        textarea #k-wording name="wording" rows="3" required maxlength="8192" aria-describedby="k-wording-hint" { (cons.wording) }
                        p.hint #k-wording-hint { (tr(l, x::WORDING_HINT)) } }
                    div.row {
                        div.field { label for="k-given" { (tr(l, x::GIVEN)) }
                            input #k-given type="text" name="given" maxlength="40" value=(cons.given) aria-describedby="k-given-hint";
                            p.hint #k-given-hint { (tr(l, x::GIVEN_HINT)) } }
                        div.field { label for="k-channel" { (tr(l, x::CHANNEL)) }
                            select #k-channel name="channel" {
                                @for (ch, label) in channels(l) {
                                    option value=(ch.as_str()) selected[cons.channel == ch.as_str()] { (label) }
                                }
                            } }
                    }
                    div.field { label for="k-article" { (tr(l, x::EVIDENCE_ARTICLE)) }
                        select #k-article name="article" {
                            option value="" { (tr(l, x::NO_ARTICLE)) }
                            @for e in &v.evidence {
                                @let val = format!("{}-{}", e.ticket, e.article);
                                option value=(val) selected[cons.article == val] {
                                    (ticket_tag(e.ticket)) " · " (crate::helpdesk::tickets::rfc3339(e.created_ms).get(..10).unwrap_or("")) " · " (e.subject)
                                }
                            }
                        } }
                    div.field { label for="k-note" { (tr(l, x::NOTE)) }
                        input #k-note type="text" name="note" maxlength="8192" value=(cons.note); }
                    label.check {
                        input type="checkbox" name="affirmed" value="yes";
                        " " (tr(l, x::AFFIRMED))
                    }
                    div.actions { button.primary type="submit" { (tr(l, x::RECORD_CONSENT)) } }
                }
            }
        }
    };
    layout::page(req, &title, body)
}
