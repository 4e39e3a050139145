//! The retention admin page (`/admin/retention`): rules, the daily run's hour, the preview
//! of the next run, "Run now", the last runs and the current legal holds (GDPR Art.
//! 5(1)(e), 17, 17(3)(e)). Also the legal-hold block of the ticket page.

use maud::{Markup, html};

use super::{layout, time_ms};
use crate::auth::roles::{Area, QueuePerm};
use crate::gdpr::classification::Classification;
use crate::gdpr::hold::{HeldContact, HeldTicket};
use crate::gdpr::retention::{Action, PREVIEW_LIST, Plan, RetentionSettings, RunLog, RunReport};
use crate::helpdesk::{Ticket, queues};
use crate::web::http::Req;
use crate::web::i18n::{RetKey as K, classification_label, rt};

/// Everything the page shows.
pub struct RetentionView {
    pub settings: RetentionSettings,
    /// `(id, name)` of every queue.
    pub queues: Vec<(String, String)>,
    pub plan: Plan,
    pub log: RunLog,
    pub held_tickets: Vec<HeldTicket>,
    pub held_contacts: Vec<HeldContact>,
}

/// The add-rule form's values (kept after a rejected submit).
#[derive(Debug, Clone, Default)]
pub struct RuleForm {
    pub queue: String,
    pub classification: String,
    pub action: String,
    pub after_days: String,
}

fn action_text(req: &Req, a: Action) -> &'static str {
    match a {
        Action::Anonymise => rt(req.lang, K::Anonymise),
        Action::Delete => rt(req.lang, K::Delete),
    }
}

/// The page. `error` for a rejected form, `report` after "Run now".
pub fn render(
    req: &Req,
    csrf: &str,
    v: &RetentionView,
    form: &RuleForm,
    error: Option<&str>,
    report: Option<&RunReport>,
) -> Markup {
    let l = req.lang;
    let s = &v.settings;
    let queue_name = |id: &str| -> String {
        v.queues
            .iter()
            .find(|(q, _)| q == id)
            .map_or_else(|| id.to_string(), |(_, n)| n.clone())
    };
    let body = html! {
        div.page-head { h1 { (rt(l, K::Title)) } (super::admin_roles::admin_nav(req)) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        // After "Run now" (redirected here with `?ran=1`): the run just made, the newest.
        @if let Some(r) = report.or_else(|| req.q("ran").and(v.log.runs.first())) {
            p.notice role="status" {
                (rt(l, K::RunDone)) " "
                (r.anonymised) " " (rt(l, K::Anonymised).to_lowercase()) ", "
                (r.deleted) " " (rt(l, K::Deleted).to_lowercase()) ", "
                (r.held) " " (rt(l, K::Held).to_lowercase()) ", "
                (r.failed) " " (rt(l, K::Failed).to_lowercase()) "."
            }
        }
        section.card {
            h2 { (rt(l, K::Rules)) }
            p.hint { (rt(l, K::Intro)) }
            @if s.rules.is_empty() {
                p.hint { (rt(l, K::NoRules)) }
            } @else {
                div.table-wrap { table.tickets {
                    thead { tr {
                        th { (rt(l, K::Queue)) }
                        th { (rt(l, K::Classification)) }
                        th { (rt(l, K::Action)) }
                        th { (rt(l, K::AfterDays)) }
                        th {}
                    } }
                    tbody { @for r in &s.rules { tr {
                        td { @match &r.queue { Some(q) => (queue_name(q)), None => (rt(l, K::AllQueues)) } }
                        td { (r.classification.map_or(rt(l, K::AllClassifications), |c| classification_label(l, c))) }
                        td { (action_text(req, r.action)) }
                        td { (r.after_days) " " (rt(l, if r.after_days == 1 { K::Day } else { K::Days })) }
                        td {
                            form method="post" action="/admin/retention/remove" {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="id" value=(r.id);
                                button.secondary type="submit" { (rt(l, K::Remove)) }
                            }
                        }
                    } } }
                } }
            }
            form.stack method="post" action="/admin/retention/rules" {
                input type="hidden" name="csrf" value=(csrf);
                label for="ret-queue" { (rt(l, K::Queue)) }
                select #ret-queue name="queue" {
                    option value="" selected[form.queue.is_empty()] { (rt(l, K::AllQueues)) }
                    @for (id, name) in &v.queues {
                        option value=(id) selected[&form.queue == id] { (name) }
                    }
                }
                label for="ret-class" { (rt(l, K::Classification)) }
                select #ret-class name="classification" {
                    option value="" selected[form.classification.is_empty()] { (rt(l, K::AllClassifications)) }
                    @for c in Classification::ALL {
                        option value=(c.as_str()) selected[form.classification == c.as_str()] { (classification_label(l, c)) }
                    }
                }
                label for="ret-action" { (rt(l, K::Action)) }
                select #ret-action name="action" {
                    @for a in [Action::Anonymise, Action::Delete] {
                        option value=(a.as_str()) selected[form.action == a.as_str()] { (action_text(req, a)) }
                    }
                }
                label for="ret-days" { (rt(l, K::AfterDays)) }
                input #ret-days type="number" name="after_days" min="1" max="36500" required value=(form.after_days);
                div.actions { button.primary type="submit" { (rt(l, K::AddRule)) } }
            }
        }
        section.card {
            h2 { (rt(l, K::Schedule)) }
            p.hint { (rt(l, K::ScheduleHint)) }
            form method="post" action="/admin/retention/schedule" {
                input type="hidden" name="csrf" value=(csrf);
                label for="ret-hour" { (rt(l, K::Schedule)) " (UTC)" }
                select #ret-hour name="hour" {
                    @for h in 0u8..24 {
                        option value=(h) selected[h == s.run_hour_utc] { (format!("{h:02}:00")) }
                    }
                }
                " "
                button.secondary type="submit" { (rt(l, K::Save)) }
            }
        }
        section.card {
            h2 { (rt(l, K::Preview)) }
            p {
                (rt(l, K::PreviewCounts)) " "
                strong { (v.plan.anonymise) } " / " strong { (v.plan.delete) } " / " strong { (v.plan.held) }
            }
            @if v.plan.items.is_empty() {
                p.hint { (rt(l, K::NothingDue)) }
            } @else {
                div.table-wrap { table.tickets {
                    thead { tr {
                        th { (rt(l, K::Ticket)) }
                        th { (rt(l, K::Queue)) }
                        th { (rt(l, K::Classification)) }
                        th { (rt(l, K::Closed)) }
                        th { (rt(l, K::Action)) }
                    } }
                    tbody { @for i in v.plan.items.iter().take(PREVIEW_LIST) { tr {
                        td { a href={ "/tickets/" (i.number) } { (crate::helpdesk::ticket_tag(i.number)) } }
                        td { (queue_name(&i.queue)) }
                        td { (classification_label(l, i.classification)) }
                        td { (time_ms(i.closed_ms)) }
                        td { (action_text(req, i.action)) }
                    } } }
                } }
                @if v.plan.items.len() > PREVIEW_LIST {
                    p.hint { (rt(l, K::PreviewMore)) " " (v.plan.items.len() - PREVIEW_LIST) }
                }
            }
            form method="post" action="/admin/retention/run" {
                input type="hidden" name="csrf" value=(csrf);
                button.primary type="submit" { (rt(l, K::RunNow)) }
            }
        }
        section.card #last-runs {
            h2 { (rt(l, K::LastRuns)) }
            @if v.log.runs.is_empty() {
                p.hint { (rt(l, K::NoRuns)) }
            } @else {
                div.table-wrap { table.tickets {
                    thead { tr {
                        th { (rt(l, K::When)) }
                        th { (rt(l, K::By)) }
                        th { (rt(l, K::Anonymised)) }
                        th { (rt(l, K::Deleted)) }
                        th { (rt(l, K::Held)) }
                        th { (rt(l, K::Failed)) }
                        th { (rt(l, K::ContactsRemoved)) }
                        th { (rt(l, K::Duration)) }
                    } }
                    tbody { @for r in &v.log.runs { tr {
                        td { (time_ms(r.at_ms)) }
                        td { (r.actor) }
                        td { (r.anonymised) }
                        td { (r.deleted) }
                        td { (r.held) }
                        td { (r.failed) }
                        td { (r.contacts_removed) }
                        td { (r.duration_ms) }
                    } } }
                } }
            }
        }
        (holds_card(req, csrf, v))
    };
    layout::page(req, rt(l, K::Title), body)
}

fn holds_card(req: &Req, csrf: &str, v: &RetentionView) -> Markup {
    let l = req.lang;
    let privacy = req.has_area(Area::Privacy);
    html! {
        section.card {
            h2 { (rt(l, K::Holds)) }
            @if v.held_tickets.is_empty() && v.held_contacts.is_empty() {
                p.hint { (rt(l, K::NoHolds)) }
            }
            @if !v.held_tickets.is_empty() {
                h3 { (rt(l, K::HeldTickets)) }
                div.table-wrap { table.tickets {
                    thead { tr {
                        th { (rt(l, K::Ticket)) } th { (rt(l, K::Queue)) } th { (rt(l, K::Reason)) }
                        th { (rt(l, K::By)) } th { (rt(l, K::When)) } th {}
                    } }
                    tbody { @for h in &v.held_tickets { tr {
                        td { a href={ "/tickets/" (h.number) } { (crate::helpdesk::ticket_tag(h.number)) } }
                        td { (h.queue) }
                        td { (h.hold.reason) }
                        td { (h.hold.by) }
                        td { (time_ms(h.hold.at_ms)) }
                        td {
                            // Lifting needs the privacy area (or managing the queue, on the
                            // ticket page).
                            @if privacy {
                                form method="post" action={ "/tickets/" (h.number) "/hold/lift" } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="next" value="/admin/retention";
                                    button.secondary type="submit" { (rt(l, K::Lift)) }
                                }
                            }
                        }
                    } } }
                } }
            }
            @if !v.held_contacts.is_empty() {
                h3 { (rt(l, K::HeldContacts)) }
                @if privacy {
                    div.table-wrap { table.tickets {
                        thead { tr {
                            th { (rt(l, K::Address)) } th { (rt(l, K::Reason)) }
                            th { (rt(l, K::By)) } th { (rt(l, K::When)) } th {}
                        } }
                        tbody { @for c in &v.held_contacts { tr {
                            td { (c.address) }
                            td { (c.hold.reason) }
                            td { (c.hold.by) }
                            td { (time_ms(c.hold.at_ms)) }
                            td {
                                form method="post" action="/contacts/hold/lift" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="address" value=(c.address);
                                    input type="hidden" name="next" value="/admin/retention";
                                    button.secondary type="submit" { (rt(l, K::Lift)) }
                                }
                            }
                        } } }
                    } }
                } @else {
                    p.hint { (rt(l, K::ContactsHidden)) " " (v.held_contacts.len()) }
                }
            }
            @if privacy {
                h3 { (rt(l, K::PlaceHold)) }
                p.hint { (rt(l, K::HoldContactHint)) }
                form.stack method="post" action="/contacts/hold" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="next" value="/admin/retention";
                    label for="hold-addr" { (rt(l, K::Address)) }
                    input #hold-addr type="email" name="address" required maxlength="320";
                    label for="hold-reason" { (rt(l, K::Reason)) }
                    input #hold-reason type="text" name="reason" required maxlength="500";
                    div.actions { button.primary type="submit" { (rt(l, K::PlaceHold)) } }
                }
            }
        }
    }
}

/// The ticket page's legal-hold block: a notice with reason, who and when while held, and
/// the form to place or lift a hold for those who may (`Area::Privacy` or `manage` on the
/// ticket's queue).
pub fn ticket_hold(req: &Req, t: &Ticket, csrf: &str) -> Markup {
    let l = req.lang;
    let may = req.has_area(Area::Privacy)
        || req
            .grants
            .as_ref()
            .is_some_and(|g| g.can(queues::of_ticket(t), QueuePerm::Manage));
    let n = t.number;
    html! {
        @if let Some(h) = &t.legal_hold {
            section.card.warning.legal-hold role="note" {
                p { strong { (rt(l, K::HoldNotice)) } }
                p { (rt(l, K::Reason)) ": " (h.reason) " · " (rt(l, K::By)) ": " (h.by) " · " (time_ms(h.at_ms)) }
                @if may {
                    form method="post" action={ "/tickets/" (n) "/hold/lift" } {
                        input type="hidden" name="csrf" value=(csrf);
                        button.secondary type="submit" { (rt(l, K::Lift)) }
                    }
                }
            }
        } @else if may {
            details.legal-hold {
                summary { (rt(l, K::PlaceHold)) }
                form method="post" action={ "/tickets/" (n) "/hold" } {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="hold-reason" { (rt(l, K::Reason)) }
                    input #hold-reason type="text" name="reason" required maxlength="500";
                    " "
                    button.secondary type="submit" { (rt(l, K::PlaceHold)) }
                }
            }
        }
    }
}
