//! privacy: the admin's data-subject request pages (GDPR Art. 15, 16, 17, 20): identify a
//! person, see what trygg holds and why, export it, go to rectification, and erase it after
//! a preview and a typed confirmation. No JavaScript.

use maud::{Markup, html};

use super::contact::contact_url;
use super::privacy_text::{self as x, tr};
use super::{layout, time_ms};
use crate::gdpr::subject::{ErasurePlan, ErasureReport, Reason, SubjectData};
use crate::helpdesk::ticket_tag;
use crate::web::http::Req;
use crate::web::i18n::{Key, Lang, t};

/// How the admin named the person (what was typed; exactly one should be filled).
#[derive(Debug, Clone, Default)]
pub struct SubjectForm {
    pub email: String,
    pub phone: String,
    pub national_id: String,
}

impl SubjectForm {
    /// From the request's form fields.
    pub fn from_req(req: &Req) -> SubjectForm {
        SubjectForm {
            email: req.fs("email").trim().to_string(),
            phone: req.fs("phone").trim().to_string(),
            national_id: req.fs("national_id").trim().to_string(),
        }
    }

    /// The domain's request shape (empty fields are absent).
    pub fn spec(&self) -> crate::gdpr::SubjectSpec {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        crate::gdpr::SubjectSpec {
            email: some(&self.email),
            phone: some(&self.phone),
            national_id: some(&self.national_id),
        }
    }

    /// The message for an invalid form: when not exactly one field is filled, the form's
    /// own wording (the domain's names the CLI flags); otherwise the domain's `message`.
    pub fn error_text(&self, l: Lang, message: &str) -> String {
        let filled = [&self.email, &self.phone, &self.national_id]
            .into_iter()
            .filter(|s| !s.is_empty())
            .count();
        if filled == 1 {
            message.to_string()
        } else {
            tr(l, x::ONE_FIELD).to_string()
        }
    }

    /// The one value given (for the typed confirmation).
    pub fn value(&self) -> &str {
        [&self.email, &self.phone, &self.national_id]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(String::as_str)
            .unwrap_or("")
    }

    fn hidden(&self) -> Markup {
        html! {
            input type="hidden" name="email" value=(self.email);
            input type="hidden" name="phone" value=(self.phone);
            input type="hidden" name="national_id" value=(self.national_id);
        }
    }
}

fn reason(l: Lang, r: Reason) -> &'static str {
    match r {
        Reason::Customer => tr(l, x::R_CUSTOMER),
        Reason::Address => tr(l, x::R_ADDRESS),
        Reason::Mentioned => tr(l, x::R_MENTIONED),
        // gdpr: known full name / phone of an e-mail subject
        Reason::MentionedByName => tr(l, x::R_MENTIONED_BY_NAME),
        Reason::MentionedByPhone => tr(l, x::R_MENTIONED_BY_PHONE),
    }
}

fn head(req: &Req) -> Markup {
    html! {
        div.page-head { h1 { (tr(req.lang, x::PRIVACY_TITLE)) } (super::admin_roles::admin_nav(req)) }
    }
}

/// The search form, and what was found for it.
pub fn render_search(
    req: &Req,
    csrf: &str,
    form: &SubjectForm,
    error: Option<&str>,
    found: Option<&SubjectData>,
) -> Markup {
    let l = req.lang;
    let body = html! {
        (head(req))
        p.lead { (tr(l, x::PRIVACY_INTRO)) }
        section.card {
            h2 { (tr(l, x::IDENTIFY)) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            // POST keeps e-mail addresses and ID numbers out of URLs and browser history.
            form method="post" action="/admin/privacy" {
                input type="hidden" name="csrf" value=(csrf);
                div.row {
                    div.field { label for="s-email" { (tr(l, x::EMAIL)) }
                        input #s-email type="text" name="email" maxlength="254" value=(form.email); }
                    div.field { label for="s-phone" { (tr(l, x::PHONE)) }
                        input #s-phone type="text" name="phone" maxlength="40" value=(form.phone); }
                    div.field { label for="s-nid" { (tr(l, x::NATIONAL_ID)) }
                        input #s-nid type="text" name="national_id" maxlength="20" autocomplete="off" value=(form.national_id); }
                }
                div.actions { button.primary type="submit" { (tr(l, x::FIND)) } }
            }
        }
        @if let Some(d) = found { (found_card(req, csrf, form, d)) }
    };
    layout::page(req, tr(l, x::PRIVACY_TITLE), body)
}

fn found_card(req: &Req, csrf: &str, form: &SubjectForm, d: &SubjectData) -> Markup {
    let l = req.lang;
    let (tickets, articles, attachments, contacts, consents) = d.counts();
    let empty = tickets + contacts + consents == 0;
    html! {
        section.card #found {
            h2 { (tr(l, x::FOUND)) }
            @if empty {
                p { (tr(l, x::NOTHING_FOUND)) }
            } @else {
                dl.facts.counts {
                    dt { (t(l, Key::Tickets)) } dd.count-tickets { (tickets) }
                    dt { (t(l, Key::Messages)) } dd.count-articles { (articles) }
                    dt { (tr(l, x::ATTACHMENTS)) } dd.count-attachments { (attachments) }
                    dt { (tr(l, x::CONTACT_RECORDS)) } dd.count-contacts { (contacts) }
                    dt { (tr(l, x::CONSENTS)) } dd.count-consents { (consents) }
                }
                @for c in &d.contacts {
                    p {
                        (tr(l, x::CONTACT)) ": " (c.name.as_deref().unwrap_or("")) " " (c.address) " · "
                        a href=(contact_url(&c.address)) { (tr(l, x::CONTACT_PAGE_RECTIFY)) }
                    }
                    @if let Some(h) = &c.legal_hold {
                        p.warning { (tr(l, x::LEGAL_HOLD)) ": " (h.reason) }
                    }
                }
                @if !d.tickets.is_empty() {
                    div.table-wrap { table.admin.matches {
                        thead { tr {
                            th scope="col" { (t(l, Key::Ticket)) }
                            th scope="col" { (t(l, Key::Subject)) }
                            th scope="col" { (t(l, Key::Created)) }
                            th scope="col" { (tr(l, x::WHY)) }
                        } }
                        tbody {
                            @for m in &d.tickets {
                                tr {
                                    td { a href={ "/tickets/" (m.ticket.number) } { (ticket_tag(m.ticket.number)) } }
                                    td { (masked_subject(m)) }
                                    td.when { (time_ms(m.ticket.created_ms)) }
                                    td { (m.reasons.iter().map(|r| reason(l, *r)).collect::<Vec<_>>().join(", ")) }
                                }
                            }
                        }
                    } }
                }
                @if !d.consents.is_empty() {
                    h3 { (tr(l, x::CONSENTS)) }
                    ul {
                        @for c in &d.consents {
                            li {
                                (c.purpose) " · " (time_ms(c.given_ms)) " · "
                                @match &c.withdrawn {
                                    Some(w) => { (tr(l, x::WITHDRAWN)) " " (time_ms(w.at_ms)) }
                                    None => { (tr(l, x::IN_FORCE)) }
                                }
                            }
                        }
                    }
                }
                div.actions {
                    form.inline method="post" action="/admin/privacy/export" {
                        input type="hidden" name="csrf" value=(csrf);
                        (form.hidden())
                        button.primary type="submit" { (tr(l, x::EXPORT_ZIP)) }
                    }
                    " "
                    form.inline method="post" action="/admin/privacy/erase" {
                        input type="hidden" name="csrf" value=(csrf);
                        (form.hidden())
                        button.danger type="submit" { (tr(l, x::ERASE_PREVIEW)) }
                    }
                }
            }
        }
    }
}

/// The erasure preview and, unless a legal hold blocks it, the confirmation form.
pub fn render_preview(
    req: &Req,
    csrf: &str,
    form: &SubjectForm,
    plan: &ErasurePlan,
    error: Option<&str>,
) -> Markup {
    let l = req.lang;
    let tags = |v: &[u64]| {
        v.iter()
            .map(|n| ticket_tag(*n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let body = html! {
        (head(req))
        section.card #erase {
            h2 { (tr(l, x::ERASE_TITLE)) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            dl.facts.plan {
                dt { (tr(l, x::PLAN_DELETE)) } dd.plan-delete { (plan.delete_tickets.len()) " " (tags(&plan.delete_tickets)) }
                dt { (tr(l, x::PLAN_REDACT)) } dd.plan-redact { (plan.redact_tickets.len()) " " (tags(&plan.redact_tickets)) }
                dt { (tr(l, x::PLAN_ARTICLES)) } dd { (plan.articles_redacted) }
                dt { (tr(l, x::CONTACT_RECORDS)) } dd { (plan.contacts) }
                dt { (tr(l, x::CONSENTS)) } dd { (plan.consents) }
            }
            @if !plan.holds.is_empty() {
                div.warning.holds role="alert" {
                    p { (tr(l, x::HELD)) }
                    ul { @for h in &plan.holds { li { (h) } } }
                }
            } @else {
                form method="post" action="/admin/privacy/erase" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="step" value="confirm";
                    (form.hidden())
                    label.check {
                        input type="checkbox" name="confirm" value="yes";
                        " " (tr(l, x::CONFIRM_TICK))
                    }
                    div.field { label for="e-repeat" { (tr(l, x::CONFIRM_TYPE)) }
                        input #e-repeat type="text" name="repeat" maxlength="254" autocomplete="off" required; }
                    div.actions { button.danger type="submit" { (tr(l, x::ERASE_NOW)) } }
                }
            }
            p { a href="/admin/privacy" { (tr(l, x::NEW_SEARCH)) } }
        }
    };
    layout::page(req, tr(l, x::ERASE_TITLE), body)
}

/// The result of an erasure.
/// What an erasure did, in counts only (no personal data), so the result can travel in
/// the redirect after the confirming POST (a reload then shows it again, never re-erases).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedCounts {
    pub tickets_deleted: usize,
    pub tickets_redacted: usize,
    pub messages_deleted: usize,
    pub messages_redacted: usize,
    pub outbound_cancelled: usize,
    pub attachments: usize,
    pub files_removed: usize,
    pub contacts: usize,
    pub consents: usize,
}

impl ErasedCounts {
    const KEYS: [&'static str; 9] = ["td", "tr", "md", "mr", "oc", "at", "fr", "ct", "cs"];

    /// The counts of `r`.
    pub fn of(r: &ErasureReport) -> ErasedCounts {
        ErasedCounts {
            tickets_deleted: r.plan.delete_tickets.len(),
            tickets_redacted: r.plan.redact_tickets.len(),
            messages_deleted: r.removed.articles as usize,
            messages_redacted: r.plan.articles_redacted,
            outbound_cancelled: r.outbound_cancelled as usize,
            attachments: r.removed.attachments as usize,
            files_removed: r.removed.blobs_removed as usize + r.raw_messages_removed,
            contacts: r.plan.contacts,
            consents: r.plan.consents,
        }
    }

    fn values(&self) -> [usize; 9] {
        [
            self.tickets_deleted,
            self.tickets_redacted,
            self.messages_deleted,
            self.messages_redacted,
            self.outbound_cancelled,
            self.attachments,
            self.files_removed,
            self.contacts,
            self.consents,
        ]
    }

    /// `td=2&tr=1&…` for the redirect.
    pub fn query(&self) -> String {
        Self::KEYS
            .iter()
            .zip(self.values())
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// From the redirect's query (`q` reads one parameter); missing or bad values are 0.
    pub fn from_query<'a>(q: impl Fn(&str) -> Option<&'a str>) -> ErasedCounts {
        let n = |k: &str| q(k).and_then(|v| v.parse().ok()).unwrap_or(0);
        ErasedCounts {
            tickets_deleted: n("td"),
            tickets_redacted: n("tr"),
            messages_deleted: n("md"),
            messages_redacted: n("mr"),
            outbound_cancelled: n("oc"),
            attachments: n("at"),
            files_removed: n("fr"),
            contacts: n("ct"),
            consents: n("cs"),
        }
    }
}

/// The result page after an erasure.
pub fn render_erased(req: &Req, r: &ErasedCounts) -> Markup {
    let l = req.lang;
    let body = html! {
        (head(req))
        section.card #erased {
            h2 { (tr(l, x::ERASED_TITLE)) }
            p.notice role="status" { (tr(l, x::ERASED_TEXT)) }
            dl.facts {
                dt { (tr(l, x::TICKETS_DELETED)) } dd.erased-deleted { (r.tickets_deleted) }
                dt { (tr(l, x::TICKETS_REDACTED)) } dd.erased-redacted { (r.tickets_redacted) }
                dt { (tr(l, x::MESSAGES_DELETED)) } dd.erased-articles-deleted { (r.messages_deleted) }
                dt { (tr(l, x::MESSAGES_REDACTED)) } dd.erased-articles-redacted { (r.messages_redacted) }
                @if r.outbound_cancelled > 0 {
                    dt { (tr(l, x::OUTBOUND_CANCELLED)) } dd { (r.outbound_cancelled) }
                }
                dt { (tr(l, x::ATTACHMENTS)) } dd { (r.attachments) }
                dt { (tr(l, x::FILES_REMOVED)) } dd { (r.files_removed) }
                dt { (tr(l, x::CONTACT_RECORDS)) } dd { (r.contacts) }
                dt { (tr(l, x::CONSENTS)) } dd { (r.consents) }
            }
            p { a href="/admin/privacy" { (tr(l, x::NEW_SEARCH)) } }
        }
    };
    layout::page(req, tr(l, x::ERASED_TITLE), body)
}

// masking: the find result lists subjects with national IDs masked per number (issue 6)
/// The subject of `m` with every national ID detected anywhere in the ticket masked
/// ([`crate::helpdesk::tickets::ticket_ids`]; Art. 25). Birth dates are bounded by the
/// ticket's last change: every number in it was written by then.
fn masked_subject(m: &crate::gdpr::subject::TicketMatch) -> String {
    let today = crate::gdpr::classification::today(m.ticket.updated_ms);
    let mut ids = crate::helpdesk::tickets::IdSet::new();
    crate::gdpr::national_id::collect(&m.ticket.subject, today, &mut ids);
    for (a, _) in &m.articles {
        crate::helpdesk::tickets::article_ids(a, today, &mut ids);
    }
    crate::gdpr::national_id::mask_known(&m.ticket.subject, &ids, today).into_owned()
}
