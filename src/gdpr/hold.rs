//! Legal holds on tickets and contacts: while one is in place, retention leaves the ticket
//! (or every ticket whose customer is the contact) alone.
//!
//! Sources: GDPR Art. 17(3)(e) (erasure does not apply to data needed "for the
//! establishment, exercise or defence of legal claims") and Art. 18(1)(c) (restriction of
//! processing while the data subject needs it for legal claims). A hold needs a reason and
//! is audited (`hold.place`, `hold.lift`); the reason is the controller's note, not the
//! data subject's data, and is limited to 500 characters.
//!
//! Contacts appear in the audit trail by a keyed hash of their address (as data-subject
//! requests do), so the trail does not keep an address that is erased later.

use serde::Serialize;

use super::classification::LegalHold;
use crate::app::App;
use crate::audit::access::{Actor, Need, guard};
use crate::auth::roles::{Area, QueuePerm};
use crate::error::{Error, ErrorKind, Result};
use crate::helpdesk::model::{Contact, Ticket};
use crate::helpdesk::{queues, tickets};
use crate::store::codec::{be, decode};
use crate::store::{Reader, Table};

/// Places (`reason` given) or lifts (`None`) the legal hold on ticket `number`. Needs
/// `Area::Privacy` or `manage` on the ticket's queue. Placing on a held ticket replaces the
/// reason. Returns the hold now in place. Errors: `Invalid` (empty or too long reason),
/// `NotFound` (no ticket, or no permission: the same answer), `Conflict` (lifting a hold
/// that is not there).
pub fn set_ticket(
    app: &App,
    actor: &Actor,
    number: u64,
    reason: Option<&str>,
) -> Result<Option<LegalHold>> {
    let now = app.now_ms();
    let hold = reason
        .map(|r| LegalHold::new(r, &actor.id, now))
        .transpose()?;
    let queue = app.store.read(|r| {
        Ok(tickets::get_ticket(r, number)
            .ok()
            .map(|t| queues::of_ticket(&t).to_string()))
    })?;
    let need = match queue {
        Some(q) => Need::AreaOrQueue(Area::Privacy, q, QueuePerm::Manage),
        None => Need::Ticket(number, QueuePerm::Manage),
    };
    let action = if hold.is_some() {
        "hold.place"
    } else {
        "hold.lift"
    };
    let r = guard(
        app,
        actor,
        need,
        action,
        &format!("ticket:{number}"),
        |tx, ok| {
            let mut t: Ticket = tickets::get_ticket(tx, number)?;
            // A queue manager acts only on tickets they may open (clearance, Art. 9, 32);
            // one above it answers like a missing ticket.
            if !ok.grants.has_area(Area::Privacy)
                && !ok.grants.cleared(queues::of_ticket(&t), t.classification)
            {
                return Err(tickets::no_ticket(number));
            }
            let detail = match (&hold, &t.legal_hold) {
                (Some(_), Some(old)) => return Err(already_held(old)),
                (Some(h), None) => format!("reason: {}", short(&h.reason)),
                (None, Some(old)) => format!("was: {}", short(&old.reason)),
                (None, None) => {
                    return Err(Error::conflict(format!(
                        "ticket {number} is not under legal hold"
                    )));
                }
            };
            t.legal_hold = hold.clone();
            tx.put_rec(Table::Tickets, &be(number), &t)?;
            Ok((hold.clone(), detail))
        },
    );
    // An area refusal says "no such page"; for a ticket, answer as for a missing one.
    r.map_err(|e| {
        if e.kind == ErrorKind::NotFound {
            tickets::no_ticket(number)
        } else {
            e
        }
    })
}

/// Places (`reason` given) or lifts (`None`) the legal hold on the contact with e-mail
/// `address` (case-insensitive). Needs `Area::Privacy`. Errors: `Invalid` (reason),
/// `NotFound` (no such contact, or no permission), `Conflict` (nothing to lift).
pub fn set_contact(
    app: &App,
    actor: &Actor,
    address: &str,
    reason: Option<&str>,
) -> Result<Option<LegalHold>> {
    let now = app.now_ms();
    let addr = address.trim().to_lowercase();
    if addr.is_empty() || addr.len() > 320 || !addr.contains('@') {
        return Err(Error::invalid("give the contact's e-mail address"));
    }
    let hold = reason
        .map(|r| LegalHold::new(r, &actor.id, now))
        .transpose()?;
    let action = if hold.is_some() {
        "hold.place"
    } else {
        "hold.lift"
    };
    let object = contact_ref(app, &addr)?;
    guard(
        app,
        actor,
        Need::Area(Area::Privacy),
        action,
        &object,
        |tx, _| {
            let mut c: Contact = tx
                .get_rec(Table::Contacts, addr.as_bytes())?
                .ok_or_else(|| Error::not_found(format!("no contact {addr}")))?;
            let detail = match (&hold, &c.legal_hold) {
                (Some(_), Some(old)) => return Err(already_held(old)),
                (Some(h), None) => format!("reason: {}", short(&h.reason)),
                (None, Some(old)) => format!("was: {}", short(&old.reason)),
                (None, None) => {
                    return Err(Error::conflict(format!(
                        "the contact {addr} is not under legal hold"
                    )));
                }
            };
            c.legal_hold = hold.clone();
            tx.put_rec(Table::Contacts, addr.as_bytes(), &c)?;
            Ok((hold.clone(), detail))
        },
    )
}

/// Placing a hold over another would silently replace its reason, author and date.
fn already_held(old: &LegalHold) -> Error {
    Error::conflict(format!(
        "already under legal hold since {} ({}: {}); lift that hold first to change it",
        crate::helpdesk::tickets::rfc3339(old.at_ms),
        old.by,
        short(&old.reason)
    ))
}

/// A reason cut to 200 characters for the audit detail.
fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

/// `contact #<16 hex>`: the keyed hash the audit trail names contacts by
/// ([`crate::gdpr::contacts::contact_ref`]).
fn contact_ref(app: &App, addr: &str) -> Result<String> {
    app.store
        .read(|r| crate::gdpr::contacts::contact_ref(r, addr))
}

/// A hold as listed (admin page, CLI).
#[derive(Debug, Clone, Serialize)]
pub struct HeldTicket {
    pub number: u64,
    pub queue: String,
    pub hold: LegalHold,
}

/// A contact under hold.
#[derive(Debug, Clone, Serialize)]
pub struct HeldContact {
    pub address: String,
    pub hold: LegalHold,
}

/// Every current hold (the caller checks the area: this lists contacts' addresses).
pub fn list(r: &impl Reader) -> Result<(Vec<HeldTicket>, Vec<HeldContact>)> {
    let mut ts = Vec::new();
    for (_, v) in r.scan(Table::Tickets, &[], false, usize::MAX)? {
        let t: Ticket = decode(&v)?;
        if let Some(hold) = t.legal_hold.clone() {
            ts.push(HeldTicket {
                number: t.number,
                queue: queues::of_ticket(&t).to_string(),
                hold,
            });
        }
    }
    let mut cs = Vec::new();
    for (_, v) in r.scan(Table::Contacts, &[], false, usize::MAX)? {
        let c: Contact = decode(&v)?;
        if let Some(hold) = c.legal_hold {
            cs.push(HeldContact {
                address: c.address,
                hold,
            });
        }
    }
    Ok((ts, cs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gdpr::test_support::{app, env, mail};
    use crate::helpdesk::ingest::ingest;

    #[test]
    fn holds_need_a_reason_are_listed_and_lift_once() {
        let (_d, app) = app();
        let t = ingest(&app, &mail("A", "a@example.net", "s1", "b", "x"), &env()).expect("in");
        let op = Actor::local("root");
        assert_eq!(
            set_ticket(&app, &op, t.ticket, Some(" ")).map_err(|e| e.kind),
            Err(ErrorKind::Invalid)
        );
        set_ticket(&app, &op, t.ticket, Some("case 7")).expect("place");
        set_contact(&app, &op, "A@Example.net", Some("dispute")).expect("place");
        let (ts, cs) = app.store.read(list).expect("list");
        assert_eq!((ts.len(), cs.len()), (1, 1));
        assert_eq!(ts[0].hold.reason, "case 7");
        assert_eq!(cs[0].address, "a@example.net");
        set_ticket(&app, &op, t.ticket, None).expect("lift");
        assert_eq!(
            set_ticket(&app, &op, t.ticket, None).map_err(|e| e.kind),
            Err(ErrorKind::Conflict)
        );
        assert_eq!(
            set_ticket(&app, &op, 99_999, Some("x")).map_err(|e| e.kind),
            Err(ErrorKind::NotFound)
        );
        assert_eq!(
            set_contact(&app, &op, "nobody@example.net", Some("x")).map_err(|e| e.kind),
            Err(ErrorKind::NotFound)
        );
        // Nobody without the area or queue permission may place one.
        let stranger = Actor::user("stranger@example.org", "127.0.0.1");
        assert_eq!(
            set_ticket(&app, &stranger, t.ticket, Some("x")).map_err(|e| e.kind),
            Err(ErrorKind::NotFound)
        );
        assert_eq!(
            set_contact(&app, &stranger, "a@example.net", None).map_err(|e| e.kind),
            Err(ErrorKind::NotFound)
        );
    }
}
