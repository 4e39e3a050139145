//! Admin page: queues and the mailboxes whose new tickets land in them.

use maud::{Markup, html};

use super::layout;
use crate::gdpr::classification::Classification;
use crate::helpdesk::queues::{PURPOSE_MAX, Queue};
use crate::web::http::Req;
use crate::web::i18n::{Key, classification_label, t};

/// The queue list and the create/update form.
pub fn render(req: &Req, csrf: &str, queues: &[Queue], error: Option<&str>) -> Markup {
    let l = req.lang;
    // `?edit=ID` fills the form with that queue.
    // gdpr: a refused POST shows the values as submitted, with the message.
    let posted = (req.method == hyper::Method::POST && error.is_some()).then(|| Queue {
        id: req.fs("id"),
        name: req.fs("name"),
        mailboxes: vec![req.fs("mailboxes")],
        default_classification: Classification::parse(&req.fs("default_classification"))
            .unwrap_or_default(),
        purpose: req.fs("purpose"),
    });
    let editing = posted.as_ref().or_else(|| {
        req.q("edit")
            .and_then(|id| queues.iter().find(|q| q.id == id))
    });
    let mailboxes = editing.map(|q| q.mailboxes.join(", "));
    let body = html! {
        div.page-head { h1 { (t(l, Key::AdminQueues)) } (super::admin_roles::admin_nav(req)) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        div.table-wrap {
            table.admin.queues {
                thead { tr {
                    th scope="col" { (t(l, Key::QueueId)) }
                    th scope="col" { (t(l, Key::FullName)) }
                    th scope="col" { (t(l, Key::Mailboxes)) }
                    th scope="col" { (t(l, Key::DefaultClassification)) }
                    th scope="col" { (t(l, Key::PurposeOfProcessing)) }
                    th scope="col" { }
                } }
                tbody {
                    @for q in queues {
                        tr {
                            td.queue-id { (q.id) } td { (q.name) } td { (q.mailboxes.join(", ")) }
                            td { (super::ticket::classification_badge(l, q.default_classification)) }
                            td.purpose { (q.purpose) }
                            td { a.button.secondary href={ "/admin/queues?edit=" (q.id) } { (t(l, Key::Edit)) } }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (t(l, Key::NewQueue)) }
            form method="post" action="/admin/queues" {
                input type="hidden" name="csrf" value=(csrf);
                div.field { label for="q-id" { (t(l, Key::QueueId)) }
                    input #q-id type="text" name="id" required maxlength="40" pattern="[a-z0-9_-]+"
                        value=[editing.map(|q| q.id.as_str())]; }
                div.field { label for="q-name" { (t(l, Key::FullName)) }
                    input #q-name type="text" name="name" required maxlength="100"
                        value=[editing.map(|q| q.name.as_str())]; }
                div.field { label for="q-mb" { (t(l, Key::Mailboxes)) }
                    input #q-mb type="text" name="mailboxes" maxlength="2000"
                        value=[mailboxes.as_deref()]; }
                // gdpr
                @let current = editing.map(|q| q.default_classification).unwrap_or_default();
                div.field { label for="q-class" { (t(l, Key::DefaultClassification)) }
                    select #q-class name="default_classification" {
                        @for c in Classification::ALL {
                            option value=(c.as_str()) selected[c == current] { (classification_label(l, c)) }
                        }
                    }
                }
                div.field { label for="q-purpose" { (t(l, Key::PurposeOfProcessing)) }
                    textarea #q-purpose name="purpose" rows="3" maxlength=(PURPOSE_MAX)
                        aria-describedby="q-purpose-hint" { (editing.map(|q| q.purpose.as_str()).unwrap_or("")) }
                    p.hint #q-purpose-hint { (t(l, Key::PurposeHint)) }
                }
                div.actions { button.primary type="submit" { (t(l, Key::SaveQueue)) } }
            }
        }
    };
    layout::page(req, t(l, Key::AdminQueues), body)
}
