//! Administration of users, roles and queues: the domain functions behind the admin pages
//! (and any future API/CLI). Each runs through the access check with its admin area
//! (`users` for users and roles, `mail` — or `manage` on the queue — for queues) and is audited in its transaction.

use std::collections::{BTreeMap, BTreeSet};

use super::roles::{self, Area, QueuePerm, RoleDef};
use super::{User, password};
use crate::app::App;
use crate::audit::access::{Actor, Need, guard};
use crate::error::{Error, Result};
use crate::helpdesk::queues::{self, Queue};
use crate::helpdesk::settings::normalise_address;
use crate::store::{Reader, Table};

/// Every user (audited as `user.list`: staff names and addresses).
pub fn users(app: &App, actor: &Actor) -> Result<Vec<User>> {
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        "user.list",
        "users",
        |tx, _| {
            let u = super::list_users(tx)?;
            let n = u.len();
            Ok((u, format!("{n} shown")))
        },
    )
}

/// Every role and every queue (for the role editor; audited as `role.list`).
pub fn roles_and_queues(app: &App, actor: &Actor) -> Result<(Vec<RoleDef>, Vec<Queue>)> {
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        "role.list",
        "roles",
        |tx, _| Ok(((roles::list(tx)?, queues::list(tx)?), String::new())),
    )
}

/// The queues the actor may manage: every queue with the `mail` area, else those its
/// roles grant `manage` on (audited as `queue.list`). Errors: `NotFound` with neither.
pub fn queue_list(app: &App, actor: &Actor) -> Result<Vec<Queue>> {
    guard(
        app,
        actor,
        Need::AreaOrAnyQueue(Area::Mail, QueuePerm::Manage),
        "queue.list",
        "queues",
        |tx, ok| {
            let all = queues::list(tx)?;
            let mine: Vec<Queue> = if ok.grants.has_area(Area::Mail) {
                all
            } else {
                all.into_iter()
                    .filter(|q| ok.grants.can(&q.id, QueuePerm::Manage))
                    .collect()
            };
            let n = mine.len();
            Ok((mine, format!("{n} shown")))
        },
    )
}

/// Creates a user with `role_names`. Errors: `Invalid` (address, password policy, unknown
/// role), `Conflict` (address taken), `NotFound` without the `users` area.
pub fn create_user(
    app: &App,
    actor: &Actor,
    email: &str,
    name: &str,
    pw: &str,
    role_names: &[String],
) -> Result<()> {
    let email = normalise_address("e-mail", email)?;
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name: give 1 to 200 characters"));
    }
    // The configured password policy applies to accounts an admin creates too.
    let (policy, words) = app.store.read(|r| {
        Ok((
            super::policy::load(r)?,
            super::policy::org_words(r, &email, &name)?,
        ))
    })?;
    super::policy::check_password(&policy, pw, &words)?;
    let hash = password::hash(pw)?;
    let now = app.now_ms();
    let object = format!("user:{email}");
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        "user.create",
        &object,
        |tx, _| {
            super::create_user_with_roles(tx, &email, &name, &hash, role_names, now)?;
            Ok(((), format!("roles {}", role_names.join("+"))))
        },
    )
}

/// Replaces the roles of `email`. Errors: `NotFound`, `Invalid` for an unknown role.
pub fn set_roles(app: &App, actor: &Actor, email: &str, role_names: &[String]) -> Result<()> {
    let email = email.trim().to_lowercase();
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        "user.roles",
        &format!("user:{email}"),
        |tx, _| {
            let old = super::find_user(tx, &email)?
                .ok_or_else(|| Error::not_found("no such user"))?
                .roles;
            // An admin must not take user administration away from themselves.
            if email == actor.id && !roles::Grants::resolve(tx, role_names)?.has_area(Area::Users) {
                return Err(Error::invalid(
                    "you cannot remove user administration from your own account",
                ));
            }
            super::set_roles(tx, &email, role_names)?;
            Ok(((), format!("{} -> {}", old.join("+"), role_names.join("+"))))
        },
    )
}

/// Disables (and signs out at once) or enables `email`. Errors: `NotFound`; `Invalid`
/// when disabling oneself (an admin must not lock themselves out).
pub fn set_disabled(app: &App, actor: &Actor, email: &str, disabled: bool) -> Result<()> {
    let email = email.trim().to_lowercase();
    if disabled && email == actor.id {
        return Err(Error::invalid("you cannot disable your own account"));
    }
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        &format!("user:{email}"),
        |tx, _| {
            super::set_disabled(tx, &email, disabled)?;
            Ok(((), String::new()))
        },
    )?;
    if disabled {
        // After the commit: a request racing with this sees the user disabled in the store.
        app.sessions.remove_user(&email);
    }
    Ok(())
}

/// Gives `email` a temporary password that must be changed at the next sign-in (a user
/// who forgot theirs). The policy applies to it; the user's sessions end. Errors:
/// `NotFound`; `Invalid` for a refused password, a directory account (its password lives
/// in the directory) or one's own account (use the account page).
pub fn reset_password(app: &App, actor: &Actor, email: &str, pw: &str) -> Result<()> {
    let email = email.trim().to_lowercase();
    if email == actor.id {
        return Err(Error::invalid(
            "change your own password on your account page",
        ));
    }
    let (policy, words) = app.store.read(|r| {
        let u = super::find_user(r, &email)?.ok_or_else(|| Error::not_found("no such user"))?;
        Ok((
            super::policy::load(r)?,
            super::policy::org_words(r, &email, &u.name)?,
        ))
    })?;
    super::policy::check_password(&policy, pw, &words)?;
    let hash = password::hash(pw)?;
    let now = app.now_ms();
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        "user.password_reset",
        &format!("user:{email}"),
        |tx, _| {
            let mut u: super::User = tx
                .get_rec(Table::Users, email.as_bytes())?
                .ok_or_else(|| Error::not_found("no such user"))?;
            let mut s = super::policy::load_user(tx, &email)?;
            if s.directory_dn.is_some() {
                return Err(Error::invalid(
                    "this account signs in with the directory; reset its password there",
                ));
            }
            s.history.insert(0, u.password_hash.clone());
            s.history.truncate((policy.history as usize).max(1));
            s.password_changed_ms = now;
            s.must_change = true;
            u.password_hash = hash;
            tx.put_rec(Table::Users, email.as_bytes(), &u)?;
            super::policy::save_user(tx, &email, &s)?;
            Ok(((), "must change at next sign-in".to_string()))
        },
    )?;
    app.sessions.remove_user(&email);
    Ok(())
}

/// Removes the second factor of `email` (lost phone): TOTP secret, pending enrolment and
/// recovery codes. If the policy requires TOTP for the user's roles, they enrol again at
/// the next sign-in. The user's sessions end. Errors: `NotFound`; `Invalid` for one's own
/// account (use the account page, which asks for the password).
pub fn reset_totp(app: &App, actor: &Actor, email: &str) -> Result<()> {
    let email = email.trim().to_lowercase();
    if email == actor.id {
        return Err(Error::invalid(
            "manage your own two-factor sign-in on your account page",
        ));
    }
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        "user.totp_reset",
        &format!("user:{email}"),
        |tx, _| {
            if super::find_user(tx, &email)?.is_none() {
                return Err(Error::not_found("no such user"));
            }
            let mut s = super::policy::load_user(tx, &email)?;
            let had = s.totp_secret.is_some();
            s.totp_secret = None;
            s.totp_pending = None;
            s.totp_last_step = 0;
            s.recovery.clear();
            super::policy::save_user(tx, &email, &s)?;
            Ok(((), if had { "removed" } else { "none was set" }.to_string()))
        },
    )?;
    app.sessions.remove_user(&email);
    Ok(())
}

/// Per user: (has a confirmed second factor, signs in with the directory), for the users
/// page.
pub fn totp_status(app: &App, users: &[super::User]) -> Result<Vec<(bool, bool)>> {
    app.store.read(|r| {
        users
            .iter()
            .map(|u| {
                let s = super::policy::load_user(r, &u.email)?;
                Ok((s.totp_secret.is_some(), s.directory_dn.is_some()))
            })
            .collect()
    })
}

/// What a role form carries (the fields of [`RoleDef`] an admin sets).
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    pub name: String,
    pub description: String,
    pub all_queues: BTreeSet<QueuePerm>,
    pub queues: BTreeMap<String, BTreeSet<QueuePerm>>,
    pub areas: BTreeSet<Area>,
    // gdpr
    /// The most restricted classification holders may open (Art. 9, 32). `None`: keep the
    /// stored role's, or *confidential* (the built-in agent's) for a new role.
    pub clearance: Option<crate::gdpr::classification::Classification>,
}

/// Creates or replaces a role. Errors: `Invalid` (name, unknown queue).
pub fn save_role(app: &App, actor: &Actor, input: RoleInput) -> Result<()> {
    let name = input.name.trim().to_lowercase();
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        "role.save",
        &format!("role:{name}"),
        |tx, _| {
            let clearance = match input.clearance {
                Some(c) => c,
                None => roles::get(tx, &name)?
                    .map(|r| r.clearance)
                    .unwrap_or(crate::gdpr::classification::Classification::Confidential),
            };
            let def = RoleDef {
                name: name.clone(),
                description: input.description.trim().to_string(),
                all_queues: input.all_queues,
                queues: input.queues,
                areas: input.areas,
                builtin: false,
                clearance,
            };
            let detail = format!(
                "all queues [{}], areas [{}], queues [{}], clearance {}",
                def.all_queues
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                def.areas
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                def.queues
                    .iter()
                    .map(|(q, p)| format!(
                        "{q}:{}",
                        p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("/")
                    ))
                    .collect::<Vec<_>>()
                    .join(","),
                def.clearance.as_str()
            );
            roles::save(tx, def)?;
            // An admin must not lock everyone (themselves first) out of user administration
            // by editing a role they hold.
            if !crate::audit::access::grants(tx, actor)?.has_area(Area::Users) {
                return Err(Error::invalid(
                    "this change would take user administration away from your own account; \
                     give the role the users area, or give yourself another role that has it first",
                ));
            }
            Ok(((), detail))
        },
    )
}

/// Deletes a role. Errors: `NotFound`, `Conflict` (built-in or still held).
pub fn delete_role(app: &App, actor: &Actor, name: &str) -> Result<()> {
    guard(
        app,
        actor,
        Need::Area(Area::Users),
        "role.delete",
        &format!("role:{name}"),
        |tx, _| {
            roles::delete(tx, name)?;
            Ok(((), String::new()))
        },
    )
}

/// Creates (`mail` area) or updates (`mail` area or `manage` on it) a queue. Errors:
/// `Invalid`; `NotFound` without permission.
pub fn save_queue(app: &App, actor: &Actor, q: Queue) -> Result<()> {
    let id = q.id.trim().to_lowercase();
    guard(
        app,
        actor,
        // New queues need the `mail` area; an existing queue may also be changed by its
        // managers (`manage` on it).
        Need::AreaOrQueue(Area::Mail, id.clone(), QueuePerm::Manage),
        "queue.save",
        &format!("queue:{id}"),
        |tx, allowed| {
            // Which addresses route mail into a queue is the mail area's decision: a queue
            // manager may rename their queue but not point other mailboxes at it (that
            // would route another function's mail to them).
            let mut q = q;
            if !allowed.grants.has_area(Area::Mail) {
                let mut current = queues::get(tx, &id)?
                    .map(|c| c.mailboxes)
                    .unwrap_or_default();
                let mut wanted: Vec<String> = q
                    .mailboxes
                    .iter()
                    .map(|m| m.trim().to_lowercase())
                    .collect();
                current.sort();
                current.dedup();
                wanted.sort();
                wanted.dedup();
                if wanted != current {
                    return Err(Error::invalid(
                        "only administrators of the mail area can change a queue's mailboxes",
                    ));
                }
            }
            // gdpr: the default classification and the purpose's length are recorded too.
            let detail = format!(
                "{} [{}], default {}, purpose {} characters",
                q.name.trim(),
                q.mailboxes.join(","),
                q.default_classification.as_str(),
                q.purpose.trim().chars().count()
            );
            q.id = id.clone();
            queues::save(tx, q)?;
            Ok(((), detail))
        },
    )
}
