//! Admin page: queues and the mailboxes whose new tickets land in them.

use maud::{Markup, html};

use super::layout;
use crate::helpdesk::queues::Queue;
use crate::web::http::Req;
use crate::web::i18n::{Key, t};

/// The queue list and the create/update form.
pub fn render(req: &Req, csrf: &str, queues: &[Queue], error: Option<&str>) -> Markup {
    let l = req.lang;
    // `?edit=ID` fills the form with that queue.
    let editing = req
        .q("edit")
        .and_then(|id| queues.iter().find(|q| q.id == id));
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
                    th scope="col" { }
                } }
                tbody {
                    @for q in queues {
                        tr {
                            td.queue-id { (q.id) } td { (q.name) } td { (q.mailboxes.join(", ")) }
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
                div.actions { button.primary type="submit" { (t(l, Key::SaveQueue)) } }
            }
        }
    };
    layout::page(req, t(l, Key::AdminQueues), body)
}
