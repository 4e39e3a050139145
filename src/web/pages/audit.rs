//! The auditor's page: searches the audit log by actor, action, object and date range,
//! newest first, with paging. Shows audit records only, never ticket contents.

use maud::{Markup, html};

use super::{layout, time_ms};
use crate::audit::AuditRecord;
use crate::web::http::Req;
use crate::web::i18n::{Key, t};

/// Records per page.
pub const PAGE: usize = 50;

/// The search form (values from the query string) and one page of `records`; `offset`
/// is the number of matches skipped, `more` whether older matches exist.
pub fn render(
    req: &Req,
    records: &[AuditRecord],
    offset: usize,
    more: bool,
    error: Option<&str>,
) -> Markup {
    let l = req.lang;
    // Echoed filter values without control characters (a NUL is not HTML-escaped).
    let q = |k: &str| -> String {
        req.q(k)
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .collect()
    };
    let link = |off: usize| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for k in ["actor", "action", "object", "from", "to"] {
            let v = q(k);
            if !v.is_empty() {
                ser.append_pair(k, &v);
            }
        }
        ser.append_pair("offset", &off.to_string());
        format!("/audit?{}", ser.finish())
    };
    let body = html! {
        div.page-head { h1 { (t(l, Key::AuditLog)) } (super::admin_roles::admin_nav(req)) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.filters method="get" action="/audit" {
            div.field { label for="a-actor" { (t(l, Key::AuditActor)) } input #a-actor type="text" name="actor" value=(q("actor")) maxlength="254"; }
            div.field { label for="a-action" { (t(l, Key::AuditAction)) } input #a-action type="text" name="action" value=(q("action")) maxlength="100"; }
            div.field { label for="a-object" { (t(l, Key::AuditObject)) } input #a-object type="text" name="object" value=(q("object")) maxlength="300"; }
            div.field { label for="a-from" { (t(l, Key::DateFrom)) } input #a-from type="date" name="from" value=(q("from")); }
            div.field { label for="a-to" { (t(l, Key::DateTo)) } input #a-to type="date" name="to" value=(q("to")); }
            div.actions { button.primary type="submit" { (t(l, Key::Search)) } }
        }
        @if records.is_empty() {
            section.card.empty { p { (t(l, Key::NoRecords)) } }
        } @else {
            div.table-wrap {
                table.admin.audit {
                    thead { tr {
                        th.num scope="col" { "#" }
                        th scope="col" { (t(l, Key::AuditTime)) }
                        th scope="col" { (t(l, Key::AuditActor)) }
                        th scope="col" { (t(l, Key::AuditRole)) }
                        th scope="col" { (t(l, Key::AuditClient)) }
                        th scope="col" { (t(l, Key::AuditAction)) }
                        th scope="col" { (t(l, Key::AuditObject)) }
                        th scope="col" { (t(l, Key::AuditOutcome)) }
                        th scope="col" { (t(l, Key::AuditDetail)) }
                    } }
                    tbody {
                        @for r in records {
                            tr class={ "audit-" (r.outcome.as_str()) } {
                                td.num { (r.seq) }
                                td.when { (time_ms(r.ts_ms)) }
                                td.actor { (r.actor) }
                                td { (r.role) }
                                td { (r.client) }
                                td.action { (r.action) }
                                td.object { (r.object) }
                                td { (r.outcome.as_str()) }
                                td.detail { (r.detail) }
                            }
                        }
                    }
                }
            }
        }
        form.filters method="get" action="/audit/export" {
            div.field { label for="x-since" { (t(l, Key::DateFrom)) } input #x-since type="date" name="since" required; }
            div.field { label for="x-format" { (t(l, Key::ExportFormat)) }
                select #x-format name="format" { option value="csv" { "CSV" } option value="json" { "JSON" } } }
            div.actions { button.secondary type="submit" { (t(l, Key::Export)) } }
        }
        nav.pager {
            @if offset > 0 { a.button.secondary href=(link(offset.saturating_sub(PAGE))) { "← " (t(l, Key::Newer)) } }
            @if more { a.button.secondary href=(link(offset + PAGE)) { (t(l, Key::Older)) " →" } }
        }
    };
    layout::page(req, t(l, Key::AuditLog), body)
}
