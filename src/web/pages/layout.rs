//! The frame around every page: head, top bar with navigation, language switcher.

use maud::{DOCTYPE, Markup, html};

use crate::web::assets;
use crate::web::http::Req;
use crate::web::i18n::{Key, Lang, t};

/// A whole page titled `title` around `main`.
pub fn page(req: &Req, title: &str, main: Markup) -> Markup {
    let l = req.lang;
    let signed_in = req.session.as_ref().map(|(_, s)| s);
    let on_tickets = req.path == "/tickets" || req.path.starts_with("/tickets/");
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="color-scheme" content="light";
                title { (title) " · trygg" }
                link rel="stylesheet" href=(assets::url("trygg.css"));
                link rel="icon" href=(assets::url("favicon.svg")) type="image/svg+xml";
            }
            body {
                header.topbar {
                    div.topbar-inner {
                        a.brand href="/" {
                            span.brand-mark aria-hidden="true" { "t" }
                            span.brand-name { "trygg" }
                            span.brand-sub { (t(l, Key::HelpDesk)) }
                        }
                        @if let Some(s) = signed_in {
                            nav.mainnav aria-label=(t(l, Key::HelpDesk)) {
                                a href="/tickets" aria-current=[on_tickets.then_some("page")] {
                                    (t(l, Key::Tickets))
                                }
                                // Administration: shown only with an admin area (or
                                // queue management); the sub-navigation lists the rest.
                                @if let Some(first) = super::admin_roles::first_admin_page(req) {
                                    a href=(first) aria-current=[(req.path.starts_with("/admin") || req.path == "/audit").then_some("page")] {
                                        (t(l, Key::Administration))
                                    }
                                }
                            }
                            div.account {
                                span.user title=(t(l, Key::SignedInAs)) { (s.user) }
                                // login-security: own account (password, two-step sign-in, sessions)
                                a.account-link href="/account" aria-current=[req.path.starts_with("/account").then_some("page")] {
                                    (super::login_text::tr(l, super::login_text::MY_ACCOUNT))
                                }
                                form.inline method="post" action="/logout" {
                                    input type="hidden" name="csrf" value=(s.csrf);
                                    button.linklike type="submit" { (t(l, Key::SignOut)) }
                                }
                            }
                        }
                    }
                }
                main.content { (main) }
                footer.footer {
                    nav.langs aria-label=(t(l, Key::Language)) {
                        @for other in Lang::ALL {
                            @if other == l {
                                span.current lang=(other.code()) aria-current="true" { (other.native_name()) }
                            } @else {
                                a href=(req.url_with_lang(other)) lang=(other.code()) hreflang=(other.code()) {
                                    (other.native_name())
                                }
                            }
                        }
                    }
                    span.muted { "trygg " (env!("CARGO_PKG_VERSION")) }
                }
            }
        }
    }
}
