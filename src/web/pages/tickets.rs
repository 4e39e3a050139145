//! The ticket list.

use maud::{Markup, html};

use super::{layout, time_rfc3339};
use crate::helpdesk::tickets::TicketSummary;
use crate::web::http::Req;
use crate::web::i18n::{Key, Lang, t};

/// The status badge for `open` / `closed`.
pub fn status_badge(l: Lang, status: &str) -> Markup {
    let (class, label) = match status {
        "open" => ("badge status-open", t(l, Key::StatusOpen)),
        "closed" => ("badge status-closed", t(l, Key::StatusClosed)),
        other => ("badge", other),
    };
    html! { span class=(class) { (label) } }
}

/// The list of `tickets` under filter `filter` (`open`, `closed`, `all`); `truncated` when
/// only the newest are shown.
pub fn render(
    req: &Req,
    filter: &str,
    tickets: &[TicketSummary],
    queue_names: &std::collections::BTreeMap<String, String>,
    truncated: bool,
) -> Markup {
    let l = req.lang;
    let tabs = [
        ("all", t(l, Key::All)),
        ("open", t(l, Key::Open)),
        ("closed", t(l, Key::Closed)),
    ];
    let body = html! {
        div.page-head {
            h1 { (t(l, Key::Tickets)) }
            nav.tabs aria-label=(t(l, Key::Filter)) {
                @for (value, label) in tabs {
                    a href={ "/tickets?status=" (value) }
                        aria-current=[(value == filter).then_some("page")] { (label) }
                }
            }
        }
        @if tickets.is_empty() {
            section.card.empty {
                p.empty-title { (t(l, Key::NoTickets)) }
                p.muted { (t(l, Key::NoTicketsHint)) }
            }
        } @else {
            div.table-wrap {
                table.tickets {
                    thead {
                        tr {
                            th.num scope="col" { "#" }
                            th scope="col" { (t(l, Key::Subject)) }
                            th scope="col" { (t(l, Key::Customer)) }
                            th scope="col" { (t(l, Key::Status)) }
                            th scope="col" { (t(l, Key::Classification)) }
                            th scope="col" { (t(l, Key::Queue)) }
                            th.count scope="col" { (t(l, Key::Messages)) }
                            th.when scope="col" { (t(l, Key::Updated)) }
                        }
                    }
                    tbody {
                        @for tk in tickets {
                            tr class={ "row-" (tk.status) } {
                                td.num { a.tag href={ "/tickets/" (tk.number) } { (tk.tag) } }
                                td.subject { a href={ "/tickets/" (tk.number) } { (tk.subject) } }
                                td.customer {
                                    @match tk.customer_name.as_deref().filter(|n| !n.is_empty()) {
                                        Some(name) => {
                                            span.name { (name) }
                                            span.addr { (tk.customer) }
                                        }
                                        None => { span.name { (tk.customer) } }
                                    }
                                }
                                td { (status_badge(l, tk.status)) }
                                // gdpr
                                td.classification {
                                    @if let Ok(c) = crate::gdpr::classification::Classification::parse(tk.classification) {
                                        (super::ticket::classification_badge(l, c))
                                    }
                                }
                                td.queue { (queue_names.get(&tk.queue).unwrap_or(&tk.queue)) }
                                td.count { (tk.articles) }
                                td.when { (time_rfc3339(&tk.updated)) }
                            }
                        }
                    }
                }
            }
            @if truncated {
                p.muted.small { (t(l, Key::ShowingNewest)) }
            }
        }
    };
    layout::page(req, t(l, Key::Tickets), body)
}
