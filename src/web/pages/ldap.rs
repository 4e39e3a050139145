//! login-security: the admin's directory (Active Directory / LDAP) page: connection,
//! search, disabled filter, group → role mapping, and a connection test that shows each
//! step (connect, bind, user found, account enabled, groups, user bind).

use maud::{Markup, html};

use super::layout;
use super::login_text::{self as lt, tr};
use crate::auth::ldap::{BindMode, LdapConfig, TestStep};
use crate::web::http::Req;

/// "group DN => role" lines.
pub fn group_roles_text(c: &LdapConfig) -> String {
    c.group_roles
        .iter()
        .map(|(g, r)| format!("{g} => {r}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses "group DN => role" lines. Errors: the bad line.
pub fn parse_group_roles(s: &str) -> Result<Vec<(String, String)>, String> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.rsplit_once("=>")
                .map(|(g, r)| (g.trim().to_string(), r.trim().to_lowercase()))
                .filter(|(g, r)| !g.is_empty() && !r.is_empty())
                .ok_or_else(|| format!("group mapping: write “group DN => role”: {l}"))
        })
        .collect()
}

/// The page: the form filled from `c` (the service password is never shown), and the
/// last test's steps if any.
pub fn render(
    req: &Req,
    c: &LdapConfig,
    csrf: &str,
    test: Option<(&[TestStep], &str)>,
    notice: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let l = req.lang;
    let text = |id: &'static str, label: lt::Tr, value: &str| {
        html! {
            div.field {
                label for=(id) { (tr(l, label)) }
                input id=(id) type="text" name=(id) value=(value) maxlength="1000" autocomplete="off";
            }
        }
    };
    let body = html! {
        div.page-head { h1 { (tr(l, lt::DIRECTORY)) } (super::admin_roles::admin_nav(req)) }
        @if let Some(n) = notice {
            p.notice role="status" { (n) }
        }
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        @if let Some((steps, summary)) = test {
            section.card #ldap-test-result {
                h2 { (tr(l, lt::TEST_RESULT)) }
                table.steps {
                    tbody {
                        @for s in steps {
                            tr class=(if s.ok { "ok" } else { "failed" }) {
                                th { (s.what) }
                                td { (if s.ok { "✔" } else { "✘" }) }
                                td { (s.detail) }
                            }
                        }
                    }
                }
                p #ldap-test-summary { (summary) }
            }
        }
        section.card #ldap-settings {
            form method="post" action="/admin/ldap" {
                input type="hidden" name="csrf" value=(csrf);
                label.check { input type="checkbox" name="enabled" value="1" checked[c.enabled]; " " (tr(l, lt::ENABLED)) }
                div.row {
                    (text("url", lt::L_URL, &c.url))
                    label.check { input type="checkbox" name="starttls" value="1" checked[c.starttls]; " StartTLS" }
                }
                (text("ca_file", lt::L_CA, &c.ca_file))
                div.field {
                    label for="bind_mode" { (tr(l, lt::L_BIND)) }
                    select #bind_mode name="bind_mode" {
                        option value="search" selected[c.bind_mode == BindMode::SearchThenBind] { (tr(l, lt::L_SEARCH_BIND)) }
                        option value="upn" selected[c.bind_mode == BindMode::Upn] { (tr(l, lt::L_UPN_BIND)) }
                    }
                }
                div.row {
                    (text("upn_domain", lt::L_UPN_DOMAIN, &c.upn_domain))
                    (text("bind_dn", lt::L_SVC_DN, &c.bind_dn))
                }
                div.field {
                    label for="bind_password" { (tr(l, lt::L_SVC_PW)) " (" (tr(l, lt::KEEP_SECRET)) ")" }
                    input #bind_password type="password" name="bind_password" maxlength="1024" autocomplete="new-password";
                }
                (text("base_dn", lt::L_BASE_DN, &c.base_dn))
                (text("user_filter", lt::L_USER_FILTER, &c.user_filter))
                div.row {
                    (text("mail_attr", lt::L_MAIL_ATTR, &c.mail_attr))
                    (text("name_attr", lt::L_NAME_ATTR, &c.name_attr))
                }
                (text("disabled_filter", lt::L_DISABLED_FILTER, &c.disabled_filter))
                div.field {
                    label for="group_roles" { (tr(l, lt::L_GROUP_ROLES)) }
                    textarea #group_roles name="group_roles" rows="4" { (group_roles_text(c)) }
                }
                (text("max_depth", lt::L_DEPTH, &c.max_depth.to_string()))
                div.actions {
                    button.primary type="submit" { (tr(l, lt::SAVE)) }
                }
            }
        }
        section.card #ldap-test {
            h2 { (tr(l, lt::TEST_CONNECTION)) }
            form method="post" action="/admin/ldap/test" {
                input type="hidden" name="csrf" value=(csrf);
                div.row {
                    div.field {
                        label for="test_login" { (tr(l, lt::TEST_LOGIN)) }
                        input #test_login type="text" name="test_login" maxlength="256" autocomplete="off";
                    }
                    div.field {
                        label for="test_password" { (tr(l, lt::TEST_PASSWORD)) }
                        input #test_password type="password" name="test_password" maxlength="1024" autocomplete="off";
                    }
                }
                div.actions {
                    button.secondary type="submit" { (tr(l, lt::TEST_CONNECTION)) }
                }
            }
        }
    };
    layout::page(req, tr(l, lt::DIRECTORY), body)
}
