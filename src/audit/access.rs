//! The one access check (DESIGN invariant 3). Every read of ticket content, contacts,
//! attachments and raw messages, every change, and every admin action goes through
//! [`guard`] (or the helpers built on it): it resolves the actor's grants, checks the
//! permission, runs the operation and appends the audit record — all in one store write
//! transaction, so the record commits with the access or nothing happens.
//!
//! Things an actor may not see answer `NotFound` with the same message as things that do
//! not exist (no probing for ticket numbers); the audit record says which it was.

use crate::app::App;
use crate::auth::roles::{Area, Grants, LOCAL_ADMIN, QueuePerm};
use crate::error::{Error, ErrorKind, Result};
use crate::helpdesk::{Ticket, queues, tickets};
use crate::store::WriteTx;

use super::{Event, Outcome};

/// Who is acting, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Where the grants come from.
    pub kind: ActorKind,
    /// A user's login (e-mail), or `cli:<unix user>` for the local operator.
    pub id: String,
    /// Client IP for web requests, `local` for the CLI.
    pub client: String,
}

/// Kinds of actors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// A signed-in user; grants come from their roles in the store, at each access.
    User,
    /// The local operator: the CLI on the store or over the owner-only control socket.
    /// Someone who can reach those can read the store file anyway, so they get every
    /// permission under the role name `local-admin`, and every action is still recorded.
    Local,
}

impl Actor {
    /// A signed-in web user `email` connecting from `client`.
    pub fn user(email: &str, client: impl Into<String>) -> Actor {
        Actor {
            kind: ActorKind::User,
            id: email.to_string(),
            client: client.into(),
        }
    }
    /// The local operator, recorded as `cli:<unix_user>`.
    pub fn local(unix_user: &str) -> Actor {
        Actor {
            kind: ActorKind::Local,
            id: format!("cli:{unix_user}"),
            client: "local".into(),
        }
    }
}

/// The grants of `actor` now: a missing or disabled user has none.
pub fn grants(r: &impl crate::store::Reader, actor: &Actor) -> Result<Grants> {
    match actor.kind {
        ActorKind::Local => Ok(Grants::everything(LOCAL_ADMIN)),
        ActorKind::User => match crate::auth::find_user(r, &actor.id)? {
            Some(u) if !u.disabled => Grants::resolve(r, &u.roles),
            _ => Ok(Grants::default()),
        },
    }
}

/// What an operation needs.
#[derive(Debug, Clone)]
pub enum Need {
    /// Nothing beyond being this actor (e.g. listing, which filters by grants itself).
    Nothing,
    /// An admin area.
    Area(Area),
    /// A permission on the queue of ticket `n`, and clearance for its classification there
    /// (GDPR Art. 9, 32: roles limited by classification).
    Ticket(u64, QueuePerm),
    /// An admin area, or a permission on the existing queue with this id (queue managers).
    AreaOrQueue(Area, String, QueuePerm),
    /// An admin area, or a permission on at least one queue.
    AreaOrAnyQueue(Area, QueuePerm),
    // contacts: the data subject's own page (issue 6)
    /// An admin area, or a permission on at least one ticket whose customer or participant
    /// is the contact with this (lower-case) address. A contact with no record, no ticket
    /// and no consent does not exist.
    AreaOrContact(Area, String, QueuePerm),
}

/// The outcome of the permission check handed to the operation.
pub struct Allowed<'a> {
    /// The actor's grants, resolved in this transaction.
    pub grants: &'a Grants,
    /// The ticket for [`Need::Ticket`].
    pub ticket: Option<Ticket>,
}

/// Runs `op` when `actor` has `need`, appending the audit record `action` on `object` in
/// the same write transaction. `op` returns its result and a detail for the record.
///
/// When the need is not met, a `Denied` record is committed and the answer is `NotFound`
/// (for tickets: the same error a missing ticket gives) or `NotFound` "no such page" for
/// admin areas, so a caller cannot tell "forbidden" from "absent". An error from `op`
/// rolls everything back (nothing happened, nothing is recorded).
pub fn guard<T>(
    app: &App,
    actor: &Actor,
    need: Need,
    action: &str,
    object: &str,
    op: impl FnOnce(&mut WriteTx, &Allowed) -> Result<(T, String)>,
) -> Result<T> {
    let now = app.now_ms();
    app.store.write(now, |tx| {
        let g = grants(tx, actor)?;
        let mut ticket = None;
        let why_not: Option<(&str, Error)> = match &need {
            Need::Nothing => None,
            Need::Area(a) => {
                (!g.has_area(*a)).then(|| ("no permission", Error::not_found("no such page")))
            }
            Need::AreaOrQueue(a, q, p) => {
                let ok = g.has_area(*a) || (queues::get(tx, q)?.is_some() && g.can(q, *p));
                (!ok).then(|| ("no permission", Error::not_found("no such page")))
            }
            Need::AreaOrAnyQueue(a, p) => (!g.has_area(*a) && !g.any_queue(*p))
                .then(|| ("no permission", Error::not_found("no such page"))),
            // contacts
            Need::AreaOrContact(a, address, p) => {
                match crate::gdpr::contacts::permits(tx, &g, address, *a, *p)? {
                    crate::gdpr::contacts::Permit::Yes => None,
                    crate::gdpr::contacts::Permit::No => {
                        Some(("no permission", Error::not_found("no such page")))
                    }
                    // Who may use the area anyway (privacy admins, the local operator)
                    // learns nothing new from a plain "no contact".
                    crate::gdpr::contacts::Permit::Absent if g.has_area(*a) => Some((
                        "does not exist",
                        Error::not_found(format!("no contact {address}")),
                    )),
                    crate::gdpr::contacts::Permit::Absent => {
                        Some(("does not exist", Error::not_found("no such page")))
                    }
                }
            }
            Need::Ticket(n, p) => match tickets::get_ticket(tx, *n) {
                Ok(t) if g.can_ticket(queues::of_ticket(&t), t.classification, *p) => {
                    ticket = Some(t);
                    None
                }
                // gdpr: above the actor's clearance on its queue, the ticket looks absent.
                Ok(t) if g.can(queues::of_ticket(&t), *p) => {
                    Some(("classification", tickets::no_ticket(*n)))
                }
                Ok(_) => Some(("no permission", tickets::no_ticket(*n))),
                Err(e) if e.kind == ErrorKind::NotFound => Some(("does not exist", e)),
                Err(e) => return Err(e),
            },
        };
        let mut ev = Event {
            actor: actor.id.clone(),
            role: g.role_label(),
            client: actor.client.clone(),
            action: action.to_string(),
            object: object.to_string(),
            outcome: Outcome::Ok,
            detail: String::new(),
        };
        if let Some((why, err)) = why_not {
            ev.outcome = Outcome::Denied;
            ev.detail = why.to_string();
            super::append(tx, now, ev)?;
            return Ok(Err(err));
        }
        let (out, detail) = op(tx, &Allowed { grants: &g, ticket })?;
        ev.detail = detail;
        super::append(tx, now, ev)?;
        Ok(Ok(out))
    })?
}

/// Records `action` on `object` by `actor` (with the roles it holds now) in its own
/// transaction: for outcomes that happen outside a guarded transaction, e.g. a refusal
/// found after the guard rolled back, or the summary of a run made of several
/// transactions.
pub fn record_for(
    app: &App,
    actor: &Actor,
    action: &str,
    object: &str,
    outcome: Outcome,
    detail: String,
) -> Result<()> {
    let role = app
        .store
        .read(|r| grants(r, actor))
        .map(|g| g.role_label())
        .unwrap_or_default();
    record(
        app,
        Event {
            actor: actor.id.clone(),
            role,
            client: actor.client.clone(),
            action: action.to_string(),
            object: object.to_string(),
            outcome,
            detail,
        },
    )
}

/// Records an event that is not an access (sign-in success or failure) in its own
/// transaction.
pub fn record(app: &App, ev: Event) -> Result<()> {
    let now = app.now_ms();
    app.store
        .write(now, |tx| super::append(tx, now, ev).map(|_| ()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FixedClock;
    use crate::helpdesk::{MailAddress, TicketStatus};
    use crate::store::codec::be;
    use crate::store::{Reader, Table};

    fn ticket(number: u64, queue: &str) -> Ticket {
        Ticket {
            number,
            subject: format!("t{number}"),
            status: TicketStatus::Open,
            customer: MailAddress {
                name: None,
                address: "kund@example.org".into(),
            },
            mailbox: String::new(),
            created_ms: 0,
            updated_ms: 0,
            articles: 0,
            participants: vec![],
            queue: queue.into(),
            classification: Default::default(),
            legal_hold: None,
            closed_ms: None,
            anonymised_ms: None,
        }
    }

    fn records(app: &App) -> Vec<crate::audit::AuditRecord> {
        app.store.read(|r| crate::audit::since(r, 0)).unwrap()
    }

    #[test]
    fn refusals_look_like_absence_are_recorded_and_failed_ops_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path(), std::sync::Arc::new(FixedClock::at(1_000))).unwrap();
        app.store
            .write(0, |tx| {
                crate::auth::create_user(tx, "a@x.se", "A", "h", crate::auth::Role::Agent, 0)?;
                crate::auth::create_user(tx, "boss@x.se", "B", "h", crate::auth::Role::Admin, 0)?;
                queues::save(
                    tx,
                    queues::Queue {
                        id: "hr".into(),
                        name: "HR".into(),
                        mailboxes: vec![],
                        default_classification: Default::default(),
                        purpose: String::new(),
                    },
                )?;
                tx.put_rec(Table::Tickets, &be(1001), &ticket(1001, "general"))?;
                tx.put_rec(Table::Tickets, &be(1002), &ticket(1002, "hr"))
            })
            .unwrap();
        let agent = Actor::user("a@x.se", "192.0.2.1");
        let boss = Actor::user("boss@x.se", "192.0.2.2");

        assert!(tickets::load_full(&app, &agent, 1001).is_ok());
        let refused = tickets::load_full(&app, &agent, 1002).unwrap_err();
        let absent = tickets::load_full(&app, &agent, 1003).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::NotFound);
        assert_eq!(refused.message, "no ticket 1002");
        assert_eq!(absent.message, "no ticket 1003");
        let recs = records(&app);
        let got: Vec<(&str, Outcome, &str, &str)> = recs
            .iter()
            .map(|r| {
                (
                    r.object.as_str(),
                    r.outcome,
                    r.detail.as_str(),
                    r.client.as_str(),
                )
            })
            .collect();
        assert_eq!(got[0].0, "ticket:1001");
        assert_eq!(got[0].1, Outcome::Ok);
        assert_eq!(
            got[1],
            ("ticket:1002", Outcome::Denied, "no permission", "192.0.2.1")
        );
        assert_eq!(
            got[2],
            (
                "ticket:1003",
                Outcome::Denied,
                "does not exist",
                "192.0.2.1"
            )
        );
        assert!(recs.iter().all(|r| r.role == "agent" && r.ts_ms == 1_000));

        // An operation that fails rolls back its record with it; a move refused for its
        // target queue is then recorded on its own, as denied.
        let n = recs.len();
        let e = tickets::move_to_queue(&app, &boss, 1001, "nope").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        let after = records(&app);
        assert_eq!(after.len(), n + 1);
        let last = after.last().unwrap();
        assert_eq!(
            (last.action.as_str(), last.outcome, last.detail.as_str()),
            (
                "ticket.move",
                Outcome::Denied,
                "no permission on queue nope"
            )
        );
        tickets::move_to_queue(&app, &boss, 1001, "hr").unwrap();
        let t: Ticket = app
            .store
            .read(|r| r.get_rec(Table::Tickets, &be(1001)))
            .unwrap()
            .unwrap();
        assert_eq!(t.queue, "hr");
        // Now in hr, the agent may no longer see it; a disabled user sees nothing.
        assert!(tickets::load_full(&app, &agent, 1001).is_err());
        app.store
            .write(0, |tx| crate::auth::set_disabled(tx, "boss@x.se", true))
            .unwrap();
        assert!(tickets::load_full(&app, &boss, 1002).is_err());
        assert_eq!(records(&app).last().unwrap().role, "-");
        assert!(app.store.read(crate::audit::verify_chain).unwrap().ok());
    }

    #[test]
    fn queue_managers_change_only_their_queues() {
        use crate::auth::admin;
        use crate::auth::roles::{self, RoleDef};
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path(), std::sync::Arc::new(FixedClock::at(1))).unwrap();
        let q = |id: &str, name: &str| queues::Queue {
            id: id.into(),
            name: name.into(),
            mailboxes: vec![],
            default_classification: Default::default(),
            purpose: String::new(),
        };
        app.store
            .write(0, |tx| {
                crate::auth::ensure_builtins(tx)?;
                queues::save(tx, q("hr", "HR"))?;
                roles::save(
                    tx,
                    RoleDef {
                        name: "hr-lead".into(),
                        description: String::new(),
                        all_queues: Default::default(),
                        queues: [("hr".to_string(), [QueuePerm::Manage].into_iter().collect())]
                            .into_iter()
                            .collect(),
                        areas: Default::default(),
                        builtin: false,
                        clearance: crate::auth::roles::unlimited_clearance(),
                    },
                )?;
                crate::auth::create_user_with_roles(
                    tx,
                    "lead@x.se",
                    "L",
                    "h",
                    &["hr-lead".into()],
                    0,
                )?;
                crate::auth::create_user(tx, "a@x.se", "A", "h", crate::auth::Role::Agent, 0)
            })
            .unwrap();
        let lead = Actor::user("lead@x.se", "192.0.2.9");
        let agent = Actor::user("a@x.se", "192.0.2.1");
        let ids: Vec<String> = admin::queue_list(&app, &lead)
            .unwrap()
            .into_iter()
            .map(|q| q.id)
            .collect();
        assert_eq!(ids, ["hr"]);
        admin::save_queue(&app, &lead, q("hr", "Human resources")).unwrap();
        for other in [q("general", "Mine now"), q("it", "New")] {
            let e = admin::save_queue(&app, &lead, other).unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotFound);
        }
        assert_eq!(
            admin::queue_list(&app, &agent).unwrap_err().kind,
            ErrorKind::NotFound
        );
        let names: Vec<String> = app
            .store
            .read(queues::list)
            .unwrap()
            .into_iter()
            .map(|q| q.name)
            .collect();
        assert_eq!(names, ["General", "Human resources"]);
    }

    // gdpr
    #[test]
    fn tickets_above_the_clearance_look_absent_and_are_not_listed() {
        use crate::gdpr::classification::Classification;
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path(), std::sync::Arc::new(FixedClock::at(5))).unwrap();
        let with = |n: u64, c: Classification| Ticket {
            classification: c,
            ..ticket(n, "general")
        };
        app.store
            .write(0, |tx| {
                crate::auth::create_user(tx, "a@x.se", "A", "h", crate::auth::Role::Agent, 0)?;
                crate::auth::create_user(tx, "boss@x.se", "B", "h", crate::auth::Role::Admin, 0)?;
                tx.put_rec(
                    Table::Tickets,
                    &be(1001),
                    &with(1001, Classification::Confidential),
                )?;
                tx.put_rec(
                    Table::Tickets,
                    &be(1002),
                    &with(1002, Classification::Sensitive),
                )
            })
            .unwrap();
        let agent = Actor::user("a@x.se", "192.0.2.1");
        let boss = Actor::user("boss@x.se", "192.0.2.2");
        // The built-in agent is cleared up to confidential.
        assert!(tickets::load_full(&app, &agent, 1001).is_ok());
        let refused = tickets::load_full(&app, &agent, 1002).unwrap_err();
        let absent = tickets::load_full(&app, &agent, 1003).unwrap_err();
        assert_eq!(
            (refused.kind, refused.message.as_str()),
            (ErrorKind::NotFound, "no ticket 1002")
        );
        assert_eq!(absent.message, "no ticket 1003");
        let last: Vec<(String, Outcome, String)> = records(&app)
            .iter()
            .rev()
            .take(2)
            .map(|r| (r.object.clone(), r.outcome, r.detail.clone()))
            .collect();
        assert_eq!(
            last,
            [
                (
                    "ticket:1003".into(),
                    Outcome::Denied,
                    "does not exist".into()
                ),
                (
                    "ticket:1002".into(),
                    Outcome::Denied,
                    "classification".into()
                ),
            ]
        );
        let numbers = |who: &Actor| -> Vec<u64> {
            tickets::list(&app, who, tickets::StatusFilter::All, 100)
                .unwrap()
                .into_iter()
                .map(|t| t.number)
                .collect()
        };
        assert_eq!(numbers(&agent), [1001]);
        assert_eq!(numbers(&boss), [1002, 1001]);
        assert!(tickets::load_full(&app, &boss, 1002).is_ok());
        // The local operator sees everything.
        assert!(tickets::load_full(&app, &Actor::local("root"), 1002).is_ok());
    }
}
