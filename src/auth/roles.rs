//! Roles: named sets of permissions. A permission is either per queue ([`QueuePerm`] on
//! one queue, or on every queue) or an admin area ([`Area`]). A user holds one or more
//! roles; what they may do is the union ([`Grants`]), resolved from the store at each
//! request so a change applies at once.
//!
//! Built-in roles (created at setup and by the schema-2 migration): `admin` (everything),
//! `agent` (read, reply, change on the default queue), `auditor` (the audit area only — it
//! reads the audit log, never ticket contents).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gdpr::classification::Classification;
use crate::store::{Reader, Table, WriteTx};

/// What a role allows on a queue's tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum QueuePerm {
    /// See tickets, articles, attachments, raw messages and customer contacts.
    Read,
    /// Answer the customer.
    Reply,
    /// Change status; move tickets (needs `Change` on both queues).
    Change,
    /// Manage the queue itself (name, mailboxes).
    Manage,
}

impl QueuePerm {
    /// Every queue permission, in order.
    pub const ALL: [QueuePerm; 4] = [
        QueuePerm::Read,
        QueuePerm::Reply,
        QueuePerm::Change,
        QueuePerm::Manage,
    ];
    /// Stable lower-case name (`read`, `reply`, `change`, `manage`) for forms and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            QueuePerm::Read => "read",
            QueuePerm::Reply => "reply",
            QueuePerm::Change => "change",
            QueuePerm::Manage => "manage",
        }
    }
    /// Parses [`QueuePerm::as_str`].
    pub fn parse(s: &str) -> Option<QueuePerm> {
        QueuePerm::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Admin areas outside the queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Area {
    /// Users, their roles, and role definitions.
    Users,
    /// Mailboxes, queues, relay.
    Mail,
    /// Security and retention policies.
    Policies,
    /// Backups and restore.
    Backups,
    /// Reading and exporting the audit log.
    Audit,
    /// Data protection: data-subject requests (Art. 15–20), the consent register, records
    /// of processing (Art. 30) and sub-processors (Art. 28). Appended for issue 6.
    Privacy,
}

impl Area {
    /// Every area, in order.
    pub const ALL: [Area; 6] = [
        Area::Users,
        Area::Mail,
        Area::Policies,
        Area::Backups,
        Area::Audit,
        Area::Privacy,
    ];
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Users => "users",
            Area::Mail => "mail",
            Area::Policies => "policies",
            Area::Backups => "backups",
            Area::Audit => "audit",
            Area::Privacy => "privacy",
        }
    }
    /// Parses [`Area::as_str`].
    pub fn parse(s: &str) -> Option<Area> {
        Area::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A named set of permissions. Later fields (e.g. `require_totp`, `allowed_networks`) are
/// appended at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDef {
    /// Lower-case name, `[a-z0-9_-]{1,40}`; the key.
    pub name: String,
    pub description: String,
    /// Permissions on every queue, including queues created later.
    pub all_queues: BTreeSet<QueuePerm>,
    /// Permissions per queue id.
    pub queues: BTreeMap<String, BTreeSet<QueuePerm>>,
    pub areas: BTreeSet<Area>,
    /// Built-in roles cannot be deleted.
    pub builtin: bool,
    // gdpr: field appended for issue 6
    /// The most restricted classification this role may open on its queues (Art. 9, 32:
    /// e.g. only HR may open *sensitive*). Roles from before this field may open all.
    #[serde(default = "crate::auth::roles::unlimited_clearance")]
    pub clearance: crate::gdpr::classification::Classification,
}

/// Clearance of roles stored before clearances existed: every level.
pub fn unlimited_clearance() -> crate::gdpr::classification::Classification {
    crate::gdpr::classification::Classification::Sensitive
}

/// Name of the built-in administrator role.
pub const ADMIN: &str = "admin";
/// Name of the built-in agent role.
pub const AGENT: &str = "agent";
/// Name of the built-in auditor role.
pub const AUDITOR: &str = "auditor";
/// Role name recorded for the local operator (CLI over the control socket or on the store).
pub const LOCAL_ADMIN: &str = "local-admin";

/// The three built-in roles; `default_queue` is the id of the default queue.
pub fn builtin_roles(default_queue: &str) -> Vec<RoleDef> {
    let work: BTreeSet<QueuePerm> = [QueuePerm::Read, QueuePerm::Reply, QueuePerm::Change]
        .into_iter()
        .collect();
    vec![
        RoleDef {
            name: ADMIN.into(),
            description: "Everything: all queues and all admin areas".into(),
            all_queues: QueuePerm::ALL.into_iter().collect(),
            queues: BTreeMap::new(),
            areas: Area::ALL.into_iter().collect(),
            builtin: true,
            clearance: Classification::Sensitive,
        },
        RoleDef {
            name: AGENT.into(),
            description: "Works tickets of the default queue".into(),
            all_queues: BTreeSet::new(),
            queues: [(default_queue.to_string(), work)].into_iter().collect(),
            areas: BTreeSet::new(),
            builtin: true,
            clearance: Classification::Confidential,
        },
        RoleDef {
            name: AUDITOR.into(),
            description: "Reads the audit log; never ticket contents".into(),
            all_queues: BTreeSet::new(),
            queues: BTreeMap::new(),
            areas: [Area::Audit].into_iter().collect(),
            builtin: true,
            clearance: Classification::Public,
        },
    ]
}

/// Creates the built-in roles that do not exist yet (idempotent).
pub fn ensure_builtin(tx: &mut WriteTx, default_queue: &str) -> Result<()> {
    for r in builtin_roles(default_queue) {
        if tx.get(Table::Roles, r.name.as_bytes())?.is_none() {
            tx.put_rec(Table::Roles, r.name.as_bytes(), &r)?;
        }
    }
    Ok(())
}

/// Checks a role or queue name: 1 to 40 of `a-z 0-9 _ -`. Errors: `Invalid` naming `what`.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{what}: use 1 to 40 lower-case letters, digits, - or _"
        )))
    }
}

/// The role `name`, if any.
pub fn get(r: &impl Reader, name: &str) -> Result<Option<RoleDef>> {
    r.get_rec(Table::Roles, name.as_bytes())
}

/// Every role, by name.
pub fn list(r: &impl Reader) -> Result<Vec<RoleDef>> {
    r.scan(Table::Roles, &[], false, usize::MAX)?
        .into_iter()
        .map(|(_, v)| crate::store::codec::decode(&v))
        .collect()
}

/// Creates or replaces role `def` (the caller checks the `users` area and audits). A
/// built-in role keeps its `builtin` flag. Errors: `Invalid` for a bad name or an unknown
/// queue.
pub fn save(tx: &mut WriteTx, mut def: RoleDef) -> Result<()> {
    check_name("role name", &def.name)?;
    if def.description.chars().count() > 200 {
        return Err(Error::invalid("role description: at most 200 characters"));
    }
    for q in def.queues.keys() {
        if tx.get(Table::Queues, q.as_bytes())?.is_none() {
            return Err(Error::invalid(format!("role: no queue {q:?}")));
        }
    }
    def.queues.retain(|_, p| !p.is_empty());
    def.builtin = get(tx, &def.name)?.is_some_and(|old| old.builtin);
    tx.put_rec(Table::Roles, def.name.as_bytes(), &def)
}

/// Deletes role `name`. Errors: `NotFound`; `Conflict` for a built-in role or one still
/// held by a user.
pub fn delete(tx: &mut WriteTx, name: &str) -> Result<()> {
    let def = get(tx, name)?.ok_or_else(|| Error::not_found(format!("no role {name}")))?;
    if def.builtin {
        return Err(Error::conflict("built-in roles cannot be deleted"));
    }
    for u in super::list_users(tx)? {
        if u.roles.iter().any(|r| r == name) {
            return Err(Error::conflict(format!(
                "role {name} is still held by {}",
                u.email
            )));
        }
    }
    tx.delete(Table::Roles, name.as_bytes())?;
    Ok(())
}

/// What an actor may do: the union of its roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// The role names these grants came from (recorded in audit events).
    pub roles: Vec<String>,
    pub all_queues: BTreeSet<QueuePerm>,
    pub queues: BTreeMap<String, BTreeSet<QueuePerm>>,
    pub areas: BTreeSet<Area>,
    // gdpr: clearances (issue 6)
    /// Clearance on every queue, from roles with permissions on all queues (`None`: no
    /// such role).
    pub clearance_all: Option<Classification>,
    /// Clearance per queue id: the highest clearance of the roles granting that queue.
    pub clearances: BTreeMap<String, Classification>,
}

impl Grants {
    /// The union of roles `names` (unknown names grant nothing).
    pub fn resolve(r: &impl Reader, names: &[String]) -> Result<Grants> {
        let mut g = Grants {
            roles: names.to_vec(),
            ..Default::default()
        };
        for n in names {
            if let Some(def) = get(r, n)? {
                // gdpr: a role contributes its clearance to the queues it grants.
                if !def.all_queues.is_empty() {
                    g.clearance_all = g.clearance_all.max(Some(def.clearance));
                }
                for (q, p) in &def.queues {
                    if !p.is_empty() {
                        let c = g.clearances.entry(q.clone()).or_insert(def.clearance);
                        *c = (*c).max(def.clearance);
                    }
                }
                g.all_queues.extend(def.all_queues);
                for (q, p) in def.queues {
                    g.queues.entry(q).or_default().extend(p);
                }
                g.areas.extend(def.areas);
                if def.builtin && def.name == ADMIN {
                    // The built-in admin has every area, also areas added after it was
                    // stored (e.g. `privacy`).
                    g.areas.extend(Area::ALL);
                }
            }
        }
        Ok(g)
    }

    /// Everything (the local operator).
    pub fn everything(role: &str) -> Grants {
        Grants {
            roles: vec![role.to_string()],
            all_queues: QueuePerm::ALL.into_iter().collect(),
            queues: BTreeMap::new(),
            areas: Area::ALL.into_iter().collect(),
            clearance_all: Some(Classification::Sensitive),
            clearances: BTreeMap::new(),
        }
    }

    /// Whether `perm` is granted on queue `queue`.
    pub fn can(&self, queue: &str, perm: QueuePerm) -> bool {
        self.all_queues.contains(&perm) || self.queues.get(queue).is_some_and(|p| p.contains(&perm))
    }

    /// Whether admin area `area` is granted.
    pub fn has_area(&self, area: Area) -> bool {
        self.areas.contains(&area)
    }

    /// Whether `perm` is granted on at least one queue.
    pub fn any_queue(&self, perm: QueuePerm) -> bool {
        self.all_queues.contains(&perm) || self.queues.values().any(|p| p.contains(&perm))
    }

    // gdpr: roles limited by classification (Art. 9, 25, 32)

    /// The most restricted classification the actor may open on queue `queue`: the highest
    /// clearance of the roles granting that queue (a role with permissions on every queue
    /// counts for each). `None` when no role grants the queue.
    pub fn clearance(&self, queue: &str) -> Option<Classification> {
        self.clearance_all.max(self.clearances.get(queue).copied())
    }

    /// Whether a ticket of classification `class` on queue `queue` is within the actor's
    /// clearance there.
    pub fn cleared(&self, queue: &str, class: Classification) -> bool {
        self.clearance(queue).is_some_and(|c| c >= class)
    }

    /// Whether `perm` is granted on a ticket of classification `class` in queue `queue`:
    /// the permission on the queue and the clearance for the classification.
    pub fn can_ticket(&self, queue: &str, class: Classification, perm: QueuePerm) -> bool {
        self.can(queue, perm) && self.cleared(queue, class)
    }

    /// The role names joined with `+` (for audit records), `-` when none.
    pub fn role_label(&self) -> String {
        if self.roles.is_empty() {
            "-".into()
        } else {
            self.roles.join("+")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_the_union_of_roles() {
        let roles = builtin_roles("general");
        let mut g = Grants::default();
        for r in &roles[1..] {
            g.all_queues.extend(r.all_queues.iter().copied());
            for (q, p) in &r.queues {
                g.queues.entry(q.clone()).or_default().extend(p);
            }
            g.areas.extend(r.areas.iter().copied());
        }
        assert!(g.can("general", QueuePerm::Reply));
        assert!(!g.can("general", QueuePerm::Manage));
        assert!(!g.can("hr", QueuePerm::Read));
        assert!(g.has_area(Area::Audit) && !g.has_area(Area::Users));
        let all = Grants::everything(LOCAL_ADMIN);
        assert!(all.can("anything", QueuePerm::Manage) && all.has_area(Area::Backups));
        assert!(check_name("x", "it-support_2").is_ok());
        assert!(check_name("x", "HR").is_err() && check_name("x", "").is_err());
    }

    // gdpr
    #[test]
    fn clearance_is_the_highest_of_the_roles_granting_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&dir.path().join("s.redb")).unwrap();
        let role = |name: &str, all: bool, queue: Option<&str>, c: Classification| RoleDef {
            name: name.into(),
            description: String::new(),
            all_queues: if all {
                [QueuePerm::Read].into_iter().collect()
            } else {
                BTreeSet::new()
            },
            queues: queue
                .map(|q| (q.to_string(), [QueuePerm::Read].into_iter().collect()))
                .into_iter()
                .collect(),
            areas: BTreeSet::new(),
            builtin: false,
            clearance: c,
        };
        store
            .write(0, |tx| {
                for q in ["hr", "it"] {
                    crate::helpdesk::queues::save(
                        tx,
                        crate::helpdesk::queues::Queue {
                            id: q.into(),
                            name: q.into(),
                            mailboxes: vec![],
                            default_classification: Default::default(),
                            purpose: String::new(),
                        },
                    )?;
                }
                for r in [
                    role("hr-low", false, Some("hr"), Classification::Internal),
                    role("hr-high", false, Some("hr"), Classification::Sensitive),
                    role("it", false, Some("it"), Classification::Confidential),
                    role("reader", true, None, Classification::Public),
                    role("areas", false, None, Classification::Sensitive),
                ] {
                    save(tx, r)?;
                }
                Ok(())
            })
            .unwrap();
        let g = |names: &[&str]| {
            let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            store.read(|r| Grants::resolve(r, &names)).unwrap()
        };
        let low = g(&["hr-low"]);
        assert_eq!(low.clearance("hr"), Some(Classification::Internal));
        assert_eq!(low.clearance("it"), None);
        assert!(low.can_ticket("hr", Classification::Internal, QueuePerm::Read));
        assert!(!low.can_ticket("hr", Classification::Confidential, QueuePerm::Read));
        let both = g(&["hr-low", "hr-high", "it"]);
        assert_eq!(both.clearance("hr"), Some(Classification::Sensitive));
        assert!(both.can_ticket("it", Classification::Confidential, QueuePerm::Read));
        assert!(!both.can_ticket("it", Classification::Sensitive, QueuePerm::Read));
        // A role on every queue counts for each; one granting no queue counts for none.
        let r = g(&["reader", "it", "areas"]);
        assert_eq!(r.clearance("hr"), Some(Classification::Public));
        assert_eq!(r.clearance("it"), Some(Classification::Confidential));
        assert!(!r.cleared("hr", Classification::Internal));
        assert!(g(&["areas"]).clearance("hr").is_none());
        // The local operator is cleared for everything.
        assert!(Grants::everything(LOCAL_ADMIN).cleared("x", Classification::Sensitive));
    }
}
