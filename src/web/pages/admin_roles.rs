//! Admin page: roles (named sets of permissions per queue and admin areas).

use maud::{Markup, html};

use super::layout;
use crate::auth::roles::{Area, QueuePerm, RoleDef};
use crate::gdpr::classification::Classification;
use crate::helpdesk::queues::Queue;
use crate::web::http::Req;
use crate::web::i18n::{Key, classification_label, t};

/// Links between the admin pages the user may open.
pub fn admin_nav(req: &Req) -> Markup {
    let l = req.lang;
    let lt = |x: super::login_text::Tr| super::login_text::tr(l, x);
    // Every admin page the signed-in user's roles allow, and only those.
    let mut pages: Vec<(&str, &str)> = Vec::new();
    if req.has_area(Area::Users) {
        pages.push(("/admin/users", t(l, Key::AdminUsers)));
        pages.push(("/admin/roles", t(l, Key::AdminRoles)));
    }
    if req.may_manage_queues() {
        pages.push(("/admin/queues", t(l, Key::AdminQueues)));
    }
    if req.has_area(Area::Mail) {
        pages.push(("/admin/mail", t(l, Key::MailDeliveryTitle)));
        pages.push(("/admin/mail-rules", t(l, Key::MailRules)));
        pages.push(("/admin/imap", t(l, Key::ImapTitle)));
    }
    if req.has_area(Area::Backups) {
        pages.push(("/admin/backup", t(l, Key::BackupTitle)));
    }
    if req.has_area(Area::Policies) {
        pages.push(("/admin/security", lt(super::login_text::SECURITY_TITLE)));
        // retention
        pages.push((
            "/admin/retention",
            crate::web::i18n::rt(l, crate::web::i18n::RetKey::Title),
        ));
    }
    if req.has_area(Area::Users) {
        pages.push(("/admin/ldap", lt(super::login_text::DIRECTORY)));
    }
    if req.has_area(Area::Audit) {
        pages.push(("/audit", t(l, Key::AuditLog)));
    }
    // privacy: data-subject requests
    if req.has_area(Area::Privacy) {
        pages.push((
            "/admin/privacy",
            super::privacy_text::tr(l, super::privacy_text::PRIVACY_TITLE),
        ));
    }
    // records
    if req.has_area(Area::Privacy) {
        pages.push((
            "/admin/records",
            super::records::tr_title(l, super::records::RECORDS_TITLE),
        ));
        pages.push((
            "/admin/subprocessors",
            super::records::tr_title(l, super::records::SUBPROCESSORS_TITLE),
        ));
    }
    html! {
        nav.tabs {
            @for (href, label) in pages {
                a href=(href) aria-current=[(req.path == href).then_some("page")] { (label) }
            }
        }
    }
}

/// The first admin page the signed-in user may open (the topbar's "Administration" link).
pub fn first_admin_page(req: &Req) -> Option<&'static str> {
    [
        (req.has_area(Area::Users), "/admin/users"),
        (req.may_manage_queues(), "/admin/queues"),
        (req.has_area(Area::Mail), "/admin/mail"),
        (req.has_area(Area::Backups), "/admin/backup"),
        (req.has_area(Area::Policies), "/admin/security"),
        (req.has_area(Area::Audit), "/audit"),
        // privacy
        (req.has_area(Area::Privacy), "/admin/privacy"),
    ]
    .into_iter()
    .find_map(|(ok, p)| ok.then_some(p))
}

fn perm_label(l: crate::web::i18n::Lang, p: QueuePerm) -> &'static str {
    match p {
        QueuePerm::Read => t(l, Key::PermRead),
        QueuePerm::Reply => t(l, Key::PermReply),
        QueuePerm::Change => t(l, Key::PermChange),
        QueuePerm::Manage => t(l, Key::PermManage),
    }
}

/// The role list and the create/replace form (a role with an existing name is replaced).
pub fn render(
    req: &Req,
    csrf: &str,
    roles: &[RoleDef],
    queues: &[Queue],
    error: Option<&str>,
) -> Markup {
    let l = req.lang;
    // `?edit=NAME` fills the form with that role.
    let editing = req
        .q("edit")
        .and_then(|n| roles.iter().find(|r| r.name == n));
    let has_all = |p: QueuePerm| editing.is_some_and(|r| r.all_queues.contains(&p));
    let has_q = |q: &str, p: QueuePerm| {
        editing.is_some_and(|r| r.queues.get(q).is_some_and(|s| s.contains(&p)))
    };
    let has_area = |a: Area| editing.is_some_and(|r| r.areas.contains(&a));
    let body = html! {
        div.page-head { h1 { (t(l, Key::AdminRoles)) } (admin_nav(req)) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        div.table-wrap {
            table.admin.roles {
                thead { tr {
                    th scope="col" { (t(l, Key::FullName)) }
                    th scope="col" { (t(l, Key::Description)) }
                    th scope="col" { (t(l, Key::Permissions)) }
                    th scope="col" { }
                } }
                tbody {
                    @for r in roles {
                        tr {
                            td.role-name { (r.name) }
                            td { (role_description(l, r)) }
                            td {
                                @if !r.all_queues.is_empty() {
                                    div { (t(l, Key::AllQueues)) ": "
                                        (r.all_queues.iter().map(|p| perm_label(l, *p)).collect::<Vec<_>>().join(", ")) }
                                }
                                @for (q, ps) in &r.queues {
                                    div { (t(l, Key::Queue)) " " (q) ": "
                                        (ps.iter().map(|p| perm_label(l, *p)).collect::<Vec<_>>().join(", ")) }
                                }
                                @if !r.areas.is_empty() {
                                    div { (t(l, Key::AdminAreas)) ": "
                                        (r.areas.iter().map(|a| area_label(l, *a)).collect::<Vec<_>>().join(", ")) }
                                }
                                // gdpr
                                div.clearance { (t(l, Key::Clearance)) ": "
                                    (super::ticket::classification_badge(l, r.clearance)) }
                            }
                            td {
                                a.button.secondary href={ "/admin/roles?edit=" (r.name) } { (t(l, Key::Edit)) }
                                @if !r.builtin {
                                    form.inline method="post" action="/admin/roles/delete" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="name" value=(r.name);
                                        button.secondary type="submit" { (t(l, Key::DeleteRole)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { (t(l, Key::NewRole)) }
            form method="post" action="/admin/roles" {
                input type="hidden" name="csrf" value=(csrf);
                div.field { label for="r-name" { (t(l, Key::FullName)) }
                    input #r-name type="text" name="name" required maxlength="40" pattern="[a-z0-9_-]+"
                        value=[editing.map(|r| r.name.as_str())]; }
                div.field { label for="r-desc" { (t(l, Key::Description)) }
                    input #r-desc type="text" name="description" maxlength="200"
                        value=[editing.map(|r| r.description.as_str())]; }
                fieldset { legend { (t(l, Key::AllQueues)) }
                    @for p in QueuePerm::ALL {
                        label.check { input type="checkbox" name="all" value=(p.as_str()) checked[has_all(p)]; " " (perm_label(l, p)) }
                    }
                }
                @for q in queues {
                    fieldset { legend { (t(l, Key::Queue)) " " (q.name) " (" (q.id) ")" }
                        @for p in QueuePerm::ALL {
                            label.check { input type="checkbox" name={ "q:" (q.id) } value=(p.as_str()) checked[has_q(&q.id, p)]; " " (perm_label(l, p)) }
                        }
                    }
                }
                fieldset { legend { (t(l, Key::AdminAreas)) }
                    @for a in Area::ALL {
                        label.check { input type="checkbox" name="area" value=(a.as_str()) checked[has_area(a)]; " " (area_label(l, a)) }
                    }
                }
                // gdpr: roles limited by classification
                @let clearance = editing.map(|r| r.clearance).unwrap_or(Classification::Confidential);
                div.field { label for="r-clearance" { (t(l, Key::Clearance)) }
                    select #r-clearance name="clearance" aria-describedby="r-clearance-hint" {
                        @for c in Classification::ALL {
                            option value=(c.as_str()) selected[c == clearance] { (classification_label(l, c)) }
                        }
                    }
                    p.hint #r-clearance-hint { (t(l, Key::ClearanceHint)) }
                }
                div.actions { button.primary type="submit" { (t(l, Key::SaveRole)) } }
            }
        }
    };
    layout::page(req, t(l, Key::AdminRoles), body)
}

/// A role's description; the built-in roles' own (stored in English at setup) in the
/// reader's language, unless an admin has changed it.
fn role_description(l: crate::web::i18n::Lang, r: &RoleDef) -> &str {
    let builtin = crate::auth::roles::builtin_roles(crate::helpdesk::queues::DEFAULT_QUEUE);
    let untouched = r.builtin
        && builtin
            .iter()
            .any(|b| b.name == r.name && b.description == r.description);
    if !untouched {
        return &r.description;
    }
    match r.name.as_str() {
        crate::auth::roles::ADMIN => t(l, Key::RoleDescAdmin),
        crate::auth::roles::AGENT => t(l, Key::RoleDescAgent),
        crate::auth::roles::AUDITOR => t(l, Key::RoleDescAuditor),
        _ => &r.description,
    }
}

/// The name of admin area `a` in the reader's language.
fn area_label(l: crate::web::i18n::Lang, a: Area) -> &'static str {
    t(
        l,
        match a {
            Area::Users => Key::AreaUsers,
            Area::Mail => Key::AreaMail,
            Area::Policies => Key::AreaPolicies,
            Area::Backups => Key::AreaBackups,
            Area::Audit => Key::AreaAudit,
            Area::Privacy => Key::AreaPrivacy,
        },
    )
}
