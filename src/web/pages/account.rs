//! login-security: the signed-in user's own account page: change password, two-step
//! sign-in (set up, recovery codes left, turn off) and the list of their sessions with
//! "sign out everywhere else" and per-session sign-out.

use maud::{Markup, html};

use super::login_text::{self as lt, tr};
use super::{layout, time_ms};
use crate::auth::session::Session;
use crate::web::http::Req;

/// Everything the account page shows.
pub struct AccountPage<'a> {
    pub csrf: &'a str,
    pub email: &'a str,
    pub directory: bool,
    pub totp_on: bool,
    pub recovery_left: usize,
    /// (handle, session, is this one)
    pub sessions: &'a [(String, Session, bool)],
    pub is_admin: bool,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// The account page.
pub fn render(req: &Req, p: &AccountPage) -> Markup {
    let l = req.lang;
    let body = html! {
        h1 { (tr(l, lt::ACCOUNT_TITLE)) " · " (p.email) }
        @if let Some(n) = p.notice {
            p.notice role="status" { (n) }
        }
        @if let Some(e) = p.error {
            p.error role="alert" { (e) }
        }
        section.card #password {
            h2 { (tr(l, lt::CHANGE_PASSWORD)) }
            @if p.directory {
                p { (tr(l, lt::DIRECTORY_ACCOUNT)) }
            } @else {
                form method="post" action="/account/password" {
                    input type="hidden" name="csrf" value=(p.csrf);
                    div.field {
                        label for="current_password" { (tr(l, lt::CURRENT_PASSWORD)) }
                        input #current_password type="password" name="current_password" required
                            autocomplete="current-password" maxlength="1024";
                    }
                    div.row {
                        div.field {
                            label for="new_password" { (tr(l, lt::NEW_PASSWORD)) }
                            input #new_password type="password" name="new_password" required
                                autocomplete="new-password" maxlength="1024";
                        }
                        div.field {
                            label for="new_password2" { (tr(l, lt::REPEAT_PASSWORD)) }
                            input #new_password2 type="password" name="new_password2" required
                                autocomplete="new-password" maxlength="1024";
                        }
                    }
                    div.actions {
                        button.primary type="submit" { (tr(l, lt::CHANGE_PASSWORD)) }
                    }
                }
            }
        }
        section.card #two-step {
            h2 { (tr(l, lt::TOTP_TITLE)) }
            @if p.totp_on {
                p #totp-status { (tr(l, lt::TOTP_ON)) " " (tr(l, lt::RECOVERY_LEFT)) " " (p.recovery_left) }
                form method="post" action="/account/totp/disable" {
                    input type="hidden" name="csrf" value=(p.csrf);
                    div.field {
                        label for="disable_password" { (tr(l, lt::PASSWORD_OR_CODE)) }
                        input #disable_password type="password" name="password" required
                            autocomplete="current-password" maxlength="1024";
                    }
                    div.actions {
                        button.secondary type="submit" { (tr(l, lt::TOTP_DISABLE)) }
                    }
                }
            } @else {
                p #totp-status { (tr(l, lt::TOTP_OFF)) }
                p { a.button.primary href="/account/totp" { (tr(l, lt::TOTP_START)) } }
            }
        }
        section.card #sessions {
            h2 { (tr(l, lt::SESSIONS)) }
            table.sessions {
                thead {
                    tr {
                        th { (tr(l, lt::STARTED)) }
                        th { (tr(l, lt::LAST_SEEN)) }
                        th { (tr(l, lt::ADDRESS)) }
                        th { (tr(l, lt::BROWSER)) }
                        th {}
                    }
                }
                tbody {
                    @for (h, s, current) in p.sessions {
                        tr.session id={ "session-" (h) } {
                            td { (time_ms(s.created_ms)) }
                            td { (time_ms(s.last_seen_ms)) }
                            td.addr { (s.addr) }
                            td.ua { (s.user_agent) }
                            td {
                                @if *current {
                                    em { (tr(l, lt::THIS_SESSION)) }
                                } @else {
                                    form.inline method="post" action={ "/account/sessions/" (h) "/end" } {
                                        input type="hidden" name="csrf" value=(p.csrf);
                                        button.linklike type="submit" { (tr(l, lt::END_SESSION)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action="/account/sessions/others" {
                input type="hidden" name="csrf" value=(p.csrf);
                div.actions {
                    button.secondary type="submit" { (tr(l, lt::SIGN_OUT_ELSEWHERE)) }
                }
            }
        }
        @if p.is_admin {
            section.card #admin-security {
                h2 { (tr(l, lt::SECURITY_TITLE)) }
                p {
                    a href="/admin/security" { (tr(l, lt::SECURITY_TITLE)) }
                    " · "
                    a href="/admin/ldap" { (tr(l, lt::DIRECTORY)) }
                }
            }
        }
    };
    layout::page(req, tr(l, lt::ACCOUNT_TITLE), body)
}
