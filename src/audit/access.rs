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
    /// A permission on the queue of ticket `n`.
    Ticket(u64, QueuePerm),
}

/// The outcome of the permission check handed to the operation.
pub struct Allowed<'a> {
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
            Need::Ticket(n, p) => match tickets::get_ticket(tx, *n) {
                Ok(t) if g.can(queues::of_ticket(&t), *p) => {
                    ticket = Some(t);
                    None
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

/// Records an event that is not an access (sign-in success or failure) in its own
/// transaction.
pub fn record(app: &App, ev: Event) -> Result<()> {
    let now = app.now_ms();
    app.store
        .write(now, |tx| super::append(tx, now, ev).map(|_| ()))
}
