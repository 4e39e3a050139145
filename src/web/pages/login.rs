//! The sign-in page.

use maud::{Markup, html};

use super::layout;
use crate::web::http::Req;
use crate::web::i18n::{Key, t};

/// The sign-in form. `csrf` is the pre-session token (also in the `trygg_csrf` cookie);
/// `email` is kept after a failed attempt; `error` and `notice` are shown above the form.
pub fn render(
    req: &Req,
    csrf: &str,
    email: &str,
    error: Option<&str>,
    notice: Option<&str>,
) -> Markup {
    let l = req.lang;
    let body = html! {
        section.card.narrow.auth {
            h1 { (t(l, Key::SignInTitle)) }
            @if let Some(n) = notice {
                p.notice role="status" { (n) }
            }
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                div.field {
                    label for="email" { (t(l, Key::Email)) }
                    input #email type="text" name="email" value=(email) required
                        autocomplete="username" autofocus[email.is_empty()] maxlength="254";
                }
                div.field {
                    label for="password" { (t(l, Key::Password)) }
                    input #password type="password" name="password" required
                        autocomplete="current-password" autofocus[!email.is_empty()] maxlength="1024";
                }
                div.actions {
                    button.primary.wide type="submit" { (t(l, Key::SignIn)) }
                }
            }
        }
    };
    layout::page(req, t(l, Key::SignIn), body)
}

// ---- login-security: the steps after the password ----------------------------------------

use super::login_text::{self as lt, tr};

/// The second step: a TOTP or recovery code. `csrf` is the pre-session token.
pub fn render_totp(req: &Req, csrf: &str, error: Option<&str>) -> Markup {
    let l = req.lang;
    let body = html! {
        section.card.narrow.auth {
            h1 { (tr(l, lt::TOTP_TITLE)) }
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            p { (tr(l, lt::TOTP_PROMPT)) }
            form method="post" action="/login/totp" {
                input type="hidden" name="csrf" value=(csrf);
                div.field {
                    label for="code" { (tr(l, lt::CODE)) }
                    input #code type="text" name="code" required autofocus
                        autocomplete="one-time-code" inputmode="text" maxlength="32";
                }
                div.actions {
                    button.primary.wide type="submit" { (t(l, Key::SignIn)) }
                }
            }
        }
    };
    layout::page(req, tr(l, lt::TOTP_TITLE), body)
}

/// What the enrolment form shows: the secret as text, the otpauth URI as an SVG QR code.
pub struct Enrolment<'a> {
    pub secret_base32: &'a str,
    pub uri: &'a str,
    /// The QR code, an SVG document made by the `qrcode` crate from `uri` (no script).
    pub qr_svg: &'a str,
    pub csrf: &'a str,
    /// Form target: `/login/enrol` (forced) or `/account/totp` (voluntary).
    pub action: &'a str,
    pub required: bool,
    pub error: Option<&'a str>,
}

/// The TOTP set-up form (forced after sign-in, or from the account page).
pub fn render_enrol(req: &Req, e: &Enrolment) -> Markup {
    let l = req.lang;
    // The SVG starts with an XML declaration; inline only the <svg> element.
    let svg = e.qr_svg.find("<svg").map(|i| &e.qr_svg[i..]).unwrap_or("");
    let body = html! {
        section.card.narrow.auth #totp-enrol {
            h1 { (tr(l, lt::ENROL_TITLE)) }
            @if e.required {
                p.notice role="status" { (tr(l, lt::ENROL_REQUIRED)) }
            }
            @if let Some(err) = e.error {
                p.error role="alert" { (err) }
            }
            p { (tr(l, lt::ENROL_SCAN)) }
            div.qr { (maud::PreEscaped(svg)) }
            p { (tr(l, lt::KEY)) ": " code #totp-secret { (e.secret_base32) } }
            p.hint { a #otpauth-uri href=(e.uri) { (e.uri) } }
            form method="post" action=(e.action) {
                input type="hidden" name="csrf" value=(e.csrf);
                div.field {
                    label for="code" { (tr(l, lt::CODE)) }
                    input #code type="text" name="code" required autofocus
                        autocomplete="one-time-code" inputmode="numeric" maxlength="8";
                }
                div.actions {
                    button.primary.wide type="submit" { (tr(l, lt::CONTINUE)) }
                }
            }
        }
    };
    layout::page(req, tr(l, lt::ENROL_TITLE), body)
}

/// The ten recovery codes, shown once, with a link onwards.
pub fn render_recovery_codes(req: &Req, codes: &[String], next: &str) -> Markup {
    let l = req.lang;
    let body = html! {
        section.card.narrow.auth #recovery-codes {
            h1 { (tr(l, lt::RECOVERY_TITLE)) }
            p { (tr(l, lt::RECOVERY_TEXT)) }
            ul.codes {
                @for c in codes {
                    li { code.recovery-code { (c) } }
                }
            }
            p { a.button.primary href=(next) { (tr(l, lt::CONTINUE)) } }
        }
    };
    layout::page(req, tr(l, lt::RECOVERY_TITLE), body)
}

/// The forced password change after the maximum age.
pub fn render_expired(req: &Req, csrf: &str, error: Option<&str>) -> Markup {
    let l = req.lang;
    let body = html! {
        section.card.narrow.auth {
            h1 { (tr(l, lt::EXPIRED_TITLE)) }
            p.notice role="status" { (tr(l, lt::EXPIRED_TEXT)) }
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            form method="post" action="/login/password" {
                input type="hidden" name="csrf" value=(csrf);
                div.field {
                    label for="new_password" { (tr(l, lt::NEW_PASSWORD)) }
                    input #new_password type="password" name="new_password" required autofocus
                        autocomplete="new-password" maxlength="1024";
                }
                div.field {
                    label for="new_password2" { (tr(l, lt::REPEAT_PASSWORD)) }
                    input #new_password2 type="password" name="new_password2" required
                        autocomplete="new-password" maxlength="1024";
                }
                div.actions {
                    button.primary.wide type="submit" { (tr(l, lt::CONTINUE)) }
                }
            }
        }
    };
    layout::page(req, tr(l, lt::EXPIRED_TITLE), body)
}
