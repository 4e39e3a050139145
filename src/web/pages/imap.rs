//! The admin page for IMAP fetch: accounts with their checkpoint and reconciled counts,
//! the quarantine (with an alert while anything in it is new), and the form to add a
//! mailbox. Machine-readable `data-*` attributes carry the counts for scripts and tests.

use maud::{Markup, html};

use super::{human_size, layout, time_ms};
use crate::mail::inbound::imap::{
    AccountInput, AfterImport, ImapAccount, ImapState, ImapTls, QuarantineItem, QuarantineReason,
};
use crate::web::http::Req;
use crate::web::i18n::{Key, t};

/// What the page shows.
pub struct ImapPage<'a> {
    pub accounts: &'a [(ImapAccount, ImapState)],
    pub quarantine: &'a [QuarantineItem],
    /// The support addresses an account can feed.
    pub mailboxes: &'a [String],
    pub csrf: &'a str,
    /// The form as entered, re-shown after an error.
    pub form: &'a AccountInput,
    pub error: Option<&'a str>,
}

/// Renders the page.
pub fn render(req: &Req, p: &ImapPage<'_>) -> Markup {
    let l = req.lang;
    let opt = t(l, Key::Optional);
    let new_items = p.quarantine.iter().filter(|q| !q.dismissed).count();
    let body = html! {
        div.page-head {
            div.page-head { h1 { (t(l, Key::ImapTitle)) } (super::admin_roles::admin_nav(req)) }
        }
        p.lead { (t(l, Key::ImapIntro)) }
        @if new_items > 0 {
            p.warning role="alert" #quarantine-alert data-count=(new_items) {
                (t(l, Key::QuarantineAlert)) " (" (new_items) ")"
            }
        }
        @if let Some(e) = p.error {
            p.error role="alert" { (e) }
        }
        @if p.accounts.is_empty() {
            section.card.empty { p { (t(l, Key::ImapNone)) } }
        }
        @for (a, st) in p.accounts {
            section.card.imap-account id={ "account-" (a.id) }
                data-fetched=(st.fetched) data-imported=(st.imported)
                data-duplicates=(st.duplicates) data-quarantined=(st.quarantined)
                data-last-uid=(st.last_uid) data-uid-validity=(st.uid_validity)
                data-reconciled=(st.reconciled() && st.alerts.is_empty()) {
                h2 { (a.username) " @ " (a.host) ":" (a.port) " / " (a.folder) }
                p.muted.small {
                    (match a.tls { ImapTls::Implicit => t(l, Key::ImapTlsImplicit), ImapTls::StartTls => t(l, Key::ImapTlsStarttls) })
                    " · " (a.mailbox) " · "
                    @match &a.after {
                        AfterImport::MarkSeen => { "\\Seen" }
                        AfterImport::MoveTo(f) => { "→ " (f) }
                    }
                    " · " (if st.idle { t(l, Key::ImapIdle) } else { t(l, Key::ImapPolling) })
                }
                table {
                    tbody {
                        tr { th scope="row" { (t(l, Key::ImapFetched)) } td { (st.fetched) } }
                        tr { th scope="row" { (t(l, Key::ImapImported)) } td { (st.imported) } }
                        tr { th scope="row" { (t(l, Key::ImapDuplicates)) } td { (st.duplicates) } }
                        tr { th scope="row" { (t(l, Key::ImapQuarantined)) } td { (st.quarantined) } }
                        tr { th scope="row" { (t(l, Key::ImapCheckpoint)) }
                             td { "UIDVALIDITY " (st.uid_validity) ", UID " (st.last_uid) } }
                        tr { th scope="row" { (t(l, Key::ImapLastCheck)) }
                             td { @if let Some(ms) = st.last_ok_ms { (time_ms(ms)) } @else { "–" } } }
                    }
                }
                @if st.reconciled() && st.alerts.is_empty() {
                    p.notice.small { (t(l, Key::ImapReconciled)) }
                } @else {
                    div.warning role="alert" {
                        p { (t(l, Key::ImapMismatch)) }
                        ul { @for al in &st.alerts { li.small { (al) } } }
                    }
                }
                @if let Some(e) = &st.last_error {
                    p.error {
                        (t(l, Key::ImapLastError)) ": " (e)
                        @if let Some(ms) = st.last_error_ms { " (" (time_ms(ms)) ")" }
                    }
                }
                div.actions {
                    form.inline method="post" action={ "/admin/imap/" (a.id) "/refetch" } {
                        input type="hidden" name="csrf" value=(p.csrf);
                        button.secondary type="submit" { (t(l, Key::ImapRefetch)) }
                    }
                    form.inline method="post" action={ "/admin/imap/" (a.id) "/delete" } {
                        input type="hidden" name="csrf" value=(p.csrf);
                        button.secondary type="submit" { (t(l, Key::ImapDelete)) }
                    }
                }
            }
        }
        section.card #quarantine data-count=(new_items) {
            h2 { (t(l, Key::QuarantineTitle)) }
            @if p.quarantine.is_empty() {
                p.muted { (t(l, Key::QuarantineNone)) }
            } @else {
                div.table-wrap {
                    table {
                        thead { tr {
                            th scope="col" { (t(l, Key::From)) }
                            th scope="col" { (t(l, Key::Subject)) }
                            th scope="col" { (t(l, Key::Size)) }
                            th scope="col" { (t(l, Key::Reason)) }
                            th scope="col" { (t(l, Key::Source)) }
                            th scope="col" { (t(l, Key::Created)) }
                            th scope="col" {}
                        } }
                        tbody {
                            @for q in p.quarantine {
                                tr.quarantine-item data-reason=(format!("{:?}", q.reason)) data-dismissed=(q.dismissed) {
                                    td { (q.from) }
                                    // gdpr: national IDs masked in lists
                                    td { (crate::gdpr::national_id::mask(&q.subject, crate::gdpr::classification::today(q.created_ms))) }
                                    td { (human_size(q.size)) }
                                    td {
                                        (match q.reason {
                                            QuarantineReason::TooLarge => t(l, Key::QuarantineTooLarge),
                                            QuarantineReason::Unprocessable => t(l, Key::QuarantineUnprocessable),
                                            QuarantineReason::Unfetchable => t(l, Key::QuarantineUnfetchable),
                                        })
                                        @if q.header_only { " (" (t(l, Key::QuarantineHeaderOnly)) ")" }
                                    }
                                    td.small { (q.source) }
                                    td { (time_ms(q.created_ms)) }
                                    td {
                                        a href={ "/admin/quarantine/" (q.id) "/raw" } { (t(l, Key::Download)) }
                                        @if !q.dismissed {
                                            form.inline method="post" action={ "/admin/quarantine/" (q.id) "/dismiss" } {
                                                input type="hidden" name="csrf" value=(p.csrf);
                                                button.linklike type="submit" { (t(l, Key::QuarantineDismiss)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (t(l, Key::ImapAdd)) }
            form method="post" action="/admin/imap" {
                input type="hidden" name="csrf" value=(p.csrf);
                div.row {
                    div.field {
                        label for="host" { (t(l, Key::ImapHost)) }
                        input #host type="text" name="host" value=(p.form.host) required maxlength="253"
                            placeholder="imap.example.org" autocomplete="off";
                    }
                    div.field {
                        label for="port" { (t(l, Key::ImapPort)) " " span.optional { "(" (opt) ")" } }
                        input #port type="text" name="port" value=(p.form.port) maxlength="5" inputmode="numeric";
                    }
                    div.field {
                        label for="tls" { (t(l, Key::ImapTls)) }
                        select #tls name="tls" {
                            option value="implicit" selected[p.form.tls != "starttls"] { (t(l, Key::ImapTlsImplicit)) }
                            option value="starttls" selected[p.form.tls == "starttls"] { (t(l, Key::ImapTlsStarttls)) }
                        }
                    }
                }
                div.field {
                    label for="ca_file" { (t(l, Key::ImapCaFile)) " " span.optional { "(" (opt) ")" } }
                    input #ca_file type="text" name="ca_file" value=(p.form.ca_file) maxlength="1000"
                        aria-describedby="ca-hint" autocomplete="off";
                    p.hint #ca-hint { (t(l, Key::ImapCaHint)) }
                }
                div.row {
                    div.field {
                        label for="username" { (t(l, Key::ImapUser)) }
                        input #username type="text" name="username" value=(p.form.username) required
                            maxlength="320" autocomplete="off";
                    }
                    div.field {
                        label for="password" { (t(l, Key::Password)) }
                        input #password type="password" name="password" required maxlength="1024"
                            autocomplete="new-password";
                    }
                }
                div.row {
                    div.field {
                        label for="folder" { (t(l, Key::ImapFolder)) }
                        input #folder type="text" name="folder" maxlength="200" placeholder="INBOX"
                            value=(p.form.folder);
                    }
                    div.field {
                        label for="move_to" { (t(l, Key::ImapMoveTo)) " " span.optional { "(" (opt) ")" } }
                        input #move_to type="text" name="move_to" maxlength="200" value=(p.form.move_to)
                            aria-describedby="move-hint";
                        p.hint #move-hint { (t(l, Key::ImapMoveHint)) }
                    }
                }
                div.row {
                    div.field {
                        label for="mailbox" { (t(l, Key::ImapMailbox)) }
                        select #mailbox name="mailbox" {
                            @for m in p.mailboxes {
                                option value=(m) selected[*m == p.form.mailbox] { (m) }
                            }
                        }
                    }
                    div.field {
                        label for="max_size" { (t(l, Key::ImapMaxSize)) " " span.optional { "(" (opt) ")" } }
                        input #max_size type="text" name="max_size" value=(p.form.max_size) maxlength="12"
                            inputmode="numeric";
                    }
                    div.field {
                        label for="poll_secs" { (t(l, Key::ImapPoll)) " " span.optional { "(" (opt) ")" } }
                        input #poll_secs type="text" name="poll_secs" value=(p.form.poll_secs) maxlength="6"
                            inputmode="numeric" placeholder="300";
                    }
                }
                button.primary type="submit" { (t(l, Key::ImapSave)) }
            }
        }
    };
    layout::page(req, t(l, Key::ImapTitle), body)
}
