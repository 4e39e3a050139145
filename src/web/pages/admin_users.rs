//! Admin page: users, their roles, disabling and enabling, and help for a user who lost
//! their password or phone (a temporary password; removing the second factor).

use maud::{Markup, html};

use super::layout;
use crate::auth::User;
use crate::auth::roles::RoleDef;
use crate::web::http::Req;
use crate::web::i18n::{Key, t};

/// The user list with a role form and a disable/enable button per user, and the form to
/// create a user. `error` is shown above.
pub fn render(
    req: &Req,
    csrf: &str,
    users: &[User],
    roles: &[RoleDef],
    totp: &[(bool, bool)],
    error: Option<&str>,
) -> Markup {
    let l = req.lang;
    let body = html! {
        div.page-head { h1 { (t(l, Key::AdminUsers)) } (super::admin_roles::admin_nav(req)) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        div.table-wrap {
            table.admin.users {
                thead { tr {
                    th scope="col" { (t(l, Key::Email)) }
                    th scope="col" { (t(l, Key::FullName)) }
                    th scope="col" { (t(l, Key::RolesLabel)) }
                    th scope="col" { (t(l, Key::Status)) }
                    th scope="col" { (t(l, Key::AccountHelp)) }
                } }
                tbody {
                    @for (i, u) in users.iter().enumerate() {
                        tr {
                            td.email { (u.email) }
                            td { (u.name) }
                            td {
                                form.inline method="post" action="/admin/users/roles" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="email" value=(u.email);
                                    @for r in roles {
                                        label.check {
                                            input type="checkbox" name="role" value=(r.name)
                                                checked[u.roles.contains(&r.name)];
                                            " " (r.name)
                                        }
                                    }
                                    button.secondary type="submit" { (t(l, Key::SaveRoles)) }
                                }
                            }
                            td {
                                @if u.disabled { span.badge { (t(l, Key::DisabledUser)) } } @else { span.badge { (t(l, Key::ActiveUser)) } }
                                form.inline method="post" action={ "/admin/users/" (if u.disabled { "enable" } else { "disable" }) } {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="email" value=(u.email);
                                    button.secondary type="submit" {
                                        (if u.disabled { t(l, Key::Enable) } else { t(l, Key::Disable) })
                                    }
                                }
                            }
                            td {
                                @if totp.get(i).is_some_and(|t| t.0) {
                                    span.badge { (t(l, Key::TwoFactorOn)) }
                                    form.inline method="post" action="/admin/users/totp-reset" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="email" value=(u.email);
                                        button.secondary type="submit" { (t(l, Key::ResetTwoFactor)) }
                                    }
                                }
                                @if !totp.get(i).is_some_and(|t| t.1) {
                                    details {
                                        summary { (t(l, Key::TemporaryPassword)) }
                                        form method="post" action="/admin/users/password" {
                                            input type="hidden" name="csrf" value=(csrf);
                                            input type="hidden" name="email" value=(u.email);
                                            label for={ "tp-" (i) } { (t(l, Key::TemporaryPasswordHelp)) }
                                            input id={ "tp-" (i) } type="password" name="password" required
                                                minlength="10" maxlength="1024" autocomplete="new-password";
                                            button.secondary type="submit" { (t(l, Key::SetTemporaryPassword)) }
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
            h2 { (t(l, Key::CreateUser)) }
            form method="post" action="/admin/users" {
                input type="hidden" name="csrf" value=(csrf);
                div.field { label for="nu-email" { (t(l, Key::Email)) }
                    input #nu-email type="email" name="email" required maxlength="254"; }
                div.field { label for="nu-name" { (t(l, Key::FullName)) }
                    input #nu-name type="text" name="name" required maxlength="200"; }
                div.field { label for="nu-pw" { (t(l, Key::Password)) }
                    input #nu-pw type="password" name="password" required minlength="10" maxlength="1024" autocomplete="new-password"; }
                fieldset { legend { (t(l, Key::RolesLabel)) }
                    @for r in roles {
                        label.check { input type="checkbox" name="role" value=(r.name); " " (r.name) }
                    }
                }
                div.actions { button.primary type="submit" { (t(l, Key::CreateUser)) } }
            }
        }
    };
    layout::page(req, t(l, Key::AdminUsers), body)
}
