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
                    input #email type="email" name="email" value=(email) required
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
