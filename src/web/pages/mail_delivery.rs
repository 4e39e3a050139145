//! The admin's mail delivery page (`/admin/mail`): how mail goes out (relay or direct MX),
//! the retry period, the DNS records to publish (DKIM, SPF, DMARC) with DKIM key
//! generation, and the outbound queue with "retry now" and "cancel". Every form posts the
//! session's CSRF token.

use maud::{Markup, html};

use super::{layout, time_ms};
use crate::helpdesk::settings::{DeliveryMode, DirectTls, OutboundSettings, Relay, RelayTls};
use crate::helpdesk::ticket_tag;
use crate::mail::outbound::dkim::{DkimKeys, DnsRecord, DomainAdvice};
use crate::mail::outbound::queue::OutboundItem;
use crate::web::http::Req;
use crate::web::i18n::{Key, t};

/// What the page shows.
pub struct MailDeliveryPage<'a> {
    pub relay: Option<&'a Relay>,
    pub outbound: &'a OutboundSettings,
    pub dkim: Option<&'a DkimKeys>,
    pub advice: &'a [DomainAdvice],
    pub queue: &'a [OutboundItem],
    pub csrf: &'a str,
    /// A notice after a successful POST.
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// Renders the page.
pub fn render(req: &Req, p: &MailDeliveryPage<'_>) -> Markup {
    let l = req.lang;
    let o = p.outbound;
    let relay_addr = p
        .relay
        .map(|r| {
            if r.host.contains(':') {
                format!("[{}]:{}", r.host, r.port)
            } else {
                format!("{}:{}", r.host, r.port)
            }
        })
        .unwrap_or_default();
    let relay_tls = p.relay.map(|r| r.tls).unwrap_or(RelayTls::Required);
    let relay_user = p.relay.and_then(|r| r.username.clone()).unwrap_or_default();
    let hours = o.retry_period_ms as f64 / 3_600_000.0;
    let hours = if hours.fract() == 0.0 {
        format!("{hours:.0}")
    } else {
        format!("{hours}")
    };
    let opt = t(l, Key::Optional);
    let body = html! {
        div.page-head { h1 { (t(l, Key::MailDeliveryTitle)) } (super::admin_roles::admin_nav(req)) }
        @if let Some(n) = p.notice {
            p.notice role="status" { (n) }
        }
        @if let Some(e) = p.error {
            p.error role="alert" { (e) }
        }
        section.card #delivery-settings {
            h2 { (t(l, Key::DeliverySettings)) }
            form method="post" action="/admin/mail/settings" {
                input type="hidden" name="csrf" value=(p.csrf);
                div.field {
                    label for="mode" { (t(l, Key::DeliveryModeLabel)) }
                    select #mode name="mode" {
                        option value="relay" selected[o.mode == DeliveryMode::Relay] { (t(l, Key::ModeRelay)) }
                        option value="direct" selected[o.mode == DeliveryMode::Direct] { (t(l, Key::ModeDirect)) }
                    }
                }
                div.row {
                    div.field {
                        label for="relay" { (t(l, Key::Smarthost)) }
                        input #relay type="text" name="relay" value=(relay_addr)
                            maxlength="260" placeholder="smtp.example.org:587" autocomplete="off";
                    }
                    div.field {
                        label for="relay_tls" { (t(l, Key::TlsMode)) }
                        select #relay_tls name="relay_tls" {
                            option value="required" selected[relay_tls == RelayTls::Required] { (t(l, Key::TlsRequired)) }
                            option value="opportunistic" selected[relay_tls == RelayTls::Opportunistic] { (t(l, Key::TlsOpportunistic)) }
                            option value="none" selected[relay_tls == RelayTls::None] { (t(l, Key::TlsNone)) }
                        }
                    }
                }
                div.row {
                    div.field {
                        label for="relay_user" { (t(l, Key::RelayUser)) " " span.optional { "(" (opt) ")" } }
                        input #relay_user type="text" name="relay_user" value=(relay_user)
                            maxlength="254" autocomplete="off";
                    }
                    div.field {
                        label for="relay_password" { (t(l, Key::RelayPassword)) " " span.optional { "(" (opt) ")" } }
                        input #relay_password type="password" name="relay_password"
                            maxlength="1024" autocomplete="new-password";
                    }
                }
                div.row {
                    div.field {
                        label for="direct_tls" { (t(l, Key::DirectTlsLabel)) }
                        select #direct_tls name="direct_tls" {
                            option value="opportunistic" selected[o.direct_tls == DirectTls::Opportunistic] { (t(l, Key::DirectTlsOpportunistic)) }
                            option value="required" selected[o.direct_tls == DirectTls::Required] { (t(l, Key::DirectTlsRequired)) }
                        }
                    }
                    div.field {
                        label for="public_host" { (t(l, Key::PublicHost)) " " span.optional { "(" (opt) ")" } }
                        input #public_host type="text" name="public_host"
                            value=(o.public_host.as_deref().unwrap_or(""))
                            maxlength="253" placeholder="helpdesk.example.org" autocomplete="off";
                    }
                }
                div.field {
                    label for="retry_hours" { (t(l, Key::RetryPeriodHours)) }
                    input #retry_hours type="text" inputmode="decimal" name="retry_hours"
                        value=(hours) required maxlength="12" aria-describedby="retry-hint";
                    p.hint #retry-hint { (t(l, Key::RetryPeriodHint)) }
                }
                div.actions {
                    button.primary type="submit" { (t(l, Key::SaveSettings)) }
                }
            }
        }
        section.card #dns-records {
            h2 { (t(l, Key::DnsRecords)) }
            p.lead { (t(l, Key::DnsRecordsIntro)) }
            @if p.dkim.is_none() {
                p.warning { (t(l, Key::NoDkimKeys)) }
            }
            @for d in p.advice {
                h3 { (d.domain) }
                table.records {
                    thead {
                        tr {
                            th scope="col" { "" }
                            th scope="col" { (t(l, Key::RecordName)) }
                            th scope="col" { "Type" }
                            th scope="col" { (t(l, Key::RecordValue)) }
                        }
                    }
                    tbody {
                        @for r in &d.dkim {
                            (record_row(t(l, Key::DkimRecord), r))
                        }
                        @if let Some(r) = &d.spf {
                            (record_row(t(l, Key::SpfRecord), r))
                        }
                        (record_row(t(l, Key::DmarcRecord), &d.dmarc))
                    }
                }
                @if d.spf.is_some() {
                    p.hint { (t(l, Key::SpfMergeHint)) }
                } @else if o.mode == DeliveryMode::Relay {
                    p.hint.spf-advice { (t(l, Key::SpfRecord)) ": " (t(l, Key::SpfKeepRelay)) }
                } @else {
                    p.hint.spf-advice { (t(l, Key::SpfRecord)) ": " (t(l, Key::SpfNeedsHost)) }
                }
                p.hint { (t(l, Key::DmarcHint)) }
            }
            form method="post" action="/admin/mail/dkim" {
                input type="hidden" name="csrf" value=(p.csrf);
                div.row {
                    div.field {
                        label for="selector" { (t(l, Key::DkimSelector)) }
                        input #selector type="text" name="selector"
                            value=(p.dkim.map(|k| k.selector.as_str()).unwrap_or(crate::mail::outbound::dkim::DEFAULT_SELECTOR))
                            required maxlength="50" pattern="[A-Za-z0-9.-]+" aria-describedby="keys-hint";
                    }
                }
                p.hint #keys-hint { (t(l, Key::GenerateKeysHint)) }
                div.actions {
                    button.secondary type="submit" { (t(l, Key::GenerateKeys)) }
                }
            }
        }
        section.card #outbound-queue {
            h2 { (t(l, Key::OutboundQueue)) }
            @if p.queue.is_empty() {
                p.muted { (t(l, Key::QueueEmpty)) }
            } @else {
                table.queue {
                    thead {
                        tr {
                            th scope="col" { (t(l, Key::Ticket)) }
                            th scope="col" { (t(l, Key::Recipients)) }
                            th scope="col" { (t(l, Key::Status)) }
                            th scope="col" { (t(l, Key::Attempts)) }
                            th scope="col" { (t(l, Key::NextAttempt)) }
                            th scope="col" { (t(l, Key::GivesUp)) }
                            th scope="col" { (t(l, Key::LastError)) }
                            th scope="col" { "" }
                        }
                    }
                    tbody {
                        @for it in p.queue {
                            tr id={ "queue-" (it.id) } {
                                td { a href={ "/tickets/" (it.ticket) "#article-" (it.article) } { (ticket_tag(it.ticket)) } }
                                td { (it.rcpt_to.join(", ")) }
                                td {
                                    @if it.attempts == 0 {
                                        span.delivery-state.queued { (t(l, Key::DeliveryQueued)) }
                                    } @else {
                                        span.delivery-state.deferred { (t(l, Key::DeliveryDeferred)) }
                                    }
                                }
                                td { (it.attempts) }
                                td { (time_ms(it.next_attempt_ms)) }
                                td { (time_ms(it.created_ms.saturating_add(o.retry_period_ms))) }
                                td.last-error { (it.last_error.as_deref().unwrap_or("")) }
                                td.actions {
                                    form.inline method="post" action={ "/admin/mail/queue/" (it.id) "/retry" } {
                                        input type="hidden" name="csrf" value=(p.csrf);
                                        button.secondary type="submit" { (t(l, Key::RetryNow)) }
                                    }
                                    " "
                                    form.inline method="post" action={ "/admin/mail/queue/" (it.id) "/cancel" } {
                                        input type="hidden" name="csrf" value=(p.csrf);
                                        button.danger type="submit" { (t(l, Key::CancelDelivery)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page(req, t(l, Key::MailDeliveryTitle), body)
}

fn record_row(what: &str, r: &DnsRecord) -> Markup {
    html! {
        tr class={ "record " (r.purpose) } {
            th scope="row" { (what) }
            td { code.record-name { (r.name) } }
            td { (r.rtype) }
            td { code.record-value { (r.value) } }
        }
    }
}
