//! Upgrading a schema-1 store (written by trygg 0.1, the first release) to schema 2.
//!
//! Schema 1 wrote every record as positional postcard (value format 1). Postcard has no
//! field names, so a record type that grew a field can no longer read its old rows, with or
//! without `#[serde(default)]`. Schema 2 writes records as named MessagePack (format 2, see
//! `store::codec`), where added defaulted fields just work; this step is the one-time
//! bridge. Each schema-1 row is decoded with the record shape of 0.1, frozen below, turned
//! into the current type through JSON (so fields added since take their defaults) and
//! written back in format 2. Schema 2 also gave users role names instead of one role, and
//! tickets a queue.
//!
//! It runs inside the migration's single logged transaction (`store::migrations`), so a
//! crash leaves the store at schema 1, and backups and a replica see the new rows.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::store::codec::{FORMAT_V1, decode, encode_fixed};
use crate::store::{Reader, Table, WriteTx};

/// The record shapes of trygg 0.1 that have changed since.
mod v1 {
    use serde::{Deserialize, Serialize};

    use crate::helpdesk::model::{AttachmentRef, Delivery, Direction, MailAddress, TicketStatus};

    #[derive(Serialize, Deserialize)]
    pub struct ParseFlags {
        pub malformed: bool,
        pub charset_fallback: bool,
        pub missing_message_id: bool,
        pub long_lines: bool,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Ticket {
        pub number: u64,
        pub subject: String,
        pub status: TicketStatus,
        pub customer: MailAddress,
        pub mailbox: String,
        pub created_ms: i64,
        pub updated_ms: i64,
        pub articles: u32,
        pub participants: Vec<String>,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Article {
        pub id: u64,
        pub ticket: u64,
        pub direction: Direction,
        pub message_id: String,
        pub from: MailAddress,
        pub reply_to: Option<MailAddress>,
        pub to: Vec<MailAddress>,
        pub cc: Vec<MailAddress>,
        pub subject: String,
        pub text: String,
        pub html: Option<String>,
        pub attachments: Vec<AttachmentRef>,
        pub raw_sha256: Option<String>,
        pub created_ms: i64,
        pub date: Option<i64>,
        pub in_reply_to: Vec<String>,
        pub references: Vec<String>,
        pub flags: ParseFlags,
        pub author: Option<String>,
        /// Schema 1 knew the first three variants; postcard numbers variants, so the
        /// current enum (one variant appended) reads them.
        pub delivery: Option<Delivery>,
    }

    #[derive(Serialize, Deserialize)]
    pub struct MessageRef {
        pub ticket: u64,
        pub article: u64,
    }

    #[derive(Serialize, Deserialize, Clone, Copy)]
    pub enum Role {
        Admin,
        Agent,
    }

    #[derive(Serialize, Deserialize)]
    pub struct User {
        pub email: String,
        pub name: String,
        pub password_hash: String,
        pub role: Role,
        pub disabled: bool,
        pub created_ms: i64,
    }
}

/// Decodes a format-1 row with the 0.1 shape `Old` and converts it to `New` through JSON.
fn convert<Old: DeserializeOwned + Serialize, New: DeserializeOwned + Serialize>(
    bytes: &[u8],
    fix: impl FnOnce(&mut serde_json::Value),
) -> Result<New> {
    let old: Old = decode(bytes)?;
    let mut v = serde_json::to_value(&old)?;
    fix(&mut v);
    Ok(serde_json::from_value(v)?)
}

/// Rewrites every row of `table` that is still in format 1 with `f`.
fn rewrite(
    tx: &mut WriteTx,
    table: Table,
    f: impl Fn(&[u8], &[u8]) -> Result<Vec<u8>>,
) -> Result<u64> {
    let rows = tx.scan(table, &[], false, usize::MAX)?;
    let mut n = 0;
    for (k, v) in rows {
        if v.first() == Some(&FORMAT_V1) {
            let new = f(&k, &v)
                .map_err(|e| e.context(format!("upgrading a {} row of schema 1", table.name())))?;
            tx.put(table, &k, &new)?;
            n += 1;
        }
    }
    Ok(n)
}

fn enc<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    crate::store::codec::encode(v)
}

/// Upgrades every schema-1 row to schema 2 (see the module doc). Tables without records
/// (blobs, the queue's timer index) and the meta counters (plain integers, which read the
/// same in either format) stay as they are.
pub fn from_schema_1(tx: &mut WriteTx) -> Result<()> {
    use crate::helpdesk::model::{Article, Contact, MessageRef, Ticket};
    crate::auth::ensure_builtins(tx)?;
    let queue = crate::helpdesk::queues::DEFAULT_QUEUE;
    let tickets = rewrite(tx, Table::Tickets, |_, v| {
        enc(&convert::<v1::Ticket, Ticket>(v, |j| {
            j["queue"] = queue.into();
        })?)
    })?;
    let articles = rewrite(tx, Table::Articles, |_, v| {
        enc(&convert::<v1::Article, Article>(v, |_| {})?)
    })?;
    let ids = rewrite(tx, Table::MessageIds, |_, v| {
        enc(&convert::<v1::MessageRef, MessageRef>(v, |_| {})?)
    })?;
    let users = rewrite(tx, Table::Users, |_, v| {
        let old: v1::User = decode(v)?;
        let role = match old.role {
            v1::Role::Admin => crate::auth::Role::Admin,
            v1::Role::Agent => crate::auth::Role::Agent,
        };
        enc(&crate::auth::User {
            email: old.email,
            name: old.name,
            password_hash: old.password_hash,
            roles: vec![role.role_name().to_string()],
            disabled: old.disabled,
            created_ms: old.created_ms,
        })
    })?;
    // Unchanged shapes: read with today's type, written in format 2.
    let contacts = rewrite(tx, Table::Contacts, |_, v| enc(&decode::<Contact>(v)?))?;
    let outbound = rewrite(tx, Table::Outbound, |_, v| {
        enc(&decode::<crate::mail::outbound::queue::OutboundItem>(v)?)
    })?;
    let settings = rewrite(tx, Table::Settings, |k, v| match k {
        b"settings" => enc(&decode::<crate::helpdesk::settings::Settings>(v)?),
        other => Err(Error::internal(format!(
            "unknown schema-1 settings key {:?}",
            String::from_utf8_lossy(other)
        ))),
    })?;
    tracing::info!(
        tickets,
        articles,
        ids,
        users,
        contacts,
        outbound,
        settings,
        "store upgraded from schema 1"
    );
    Ok(())
}

/// Encodes a schema-1 row (tests build old stores with it).
#[doc(hidden)]
pub fn encode_v1<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    encode_fixed(v)
}

/// Upgrades a schema-2 store to schema 3: roles gained a clearance (the most restricted
/// ticket classification they may open). Stored roles read as cleared for everything,
/// which keeps custom roles as they were; the built-in `agent` and `auditor` get the
/// clearance new installations give them (confidential and public), so *sensitive*
/// tickets (Art. 9) need a role made for them, as in a fresh installation.
pub fn from_schema_2(tx: &mut WriteTx) -> Result<()> {
    use crate::auth::roles::{self, RoleDef};
    for def in roles::builtin_roles(crate::helpdesk::queues::DEFAULT_QUEUE) {
        if def.name == roles::ADMIN {
            continue;
        }
        if let Some(mut stored) = tx.get_rec::<RoleDef>(Table::Roles, def.name.as_bytes())?
            && stored.builtin
        {
            stored.clearance = def.clearance;
            tx.put_rec(Table::Roles, def.name.as_bytes(), &stored)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helpdesk::model::{
        Article, Delivery, Direction, MailAddress, ParseFlags, Ticket, TicketStatus,
    };
    use crate::store::Store;
    use crate::store::codec::{be, be2};

    fn addr(a: &str) -> MailAddress {
        MailAddress {
            name: Some("Anna".into()),
            address: a.into(),
        }
    }

    /// A store as trygg 0.1 wrote it opens upgraded: every record readable with today's
    /// types, values kept, new fields defaulted, users with role names, tickets in a queue.
    #[test]
    fn schema_1_store_opens_upgraded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.redb");
        {
            let s = Store::open(&p).expect("open");
            s.write(0, |tx| {
                tx.put(Table::Meta, b"schema_version", &encode_v1(&1u64)?)?;
                tx.delete(Table::Roles, b"admin")?;
                let t = v1::Ticket {
                    number: 1001,
                    subject: "Skrivaren".into(),
                    status: TicketStatus::Closed,
                    customer: addr("anna@example.se"),
                    mailbox: "support@x.se".into(),
                    created_ms: 1,
                    updated_ms: 2,
                    articles: 1,
                    participants: vec!["anna@example.se".into()],
                };
                tx.put(Table::Tickets, &be(1001), &encode_v1(&t)?)?;
                let a = v1::Article {
                    id: 7,
                    ticket: 1001,
                    direction: Direction::Out,
                    message_id: "m@x".into(),
                    from: addr("support@x.se"),
                    reply_to: None,
                    to: vec![addr("anna@example.se")],
                    cc: vec![],
                    subject: "Re: Skrivaren".into(),
                    text: "Hej".into(),
                    html: None,
                    attachments: vec![],
                    raw_sha256: Some("ab".into()),
                    created_ms: 3,
                    date: Some(4),
                    in_reply_to: vec!["q@y".into()],
                    references: vec!["q@y".into()],
                    flags: v1::ParseFlags {
                        malformed: false,
                        charset_fallback: true,
                        missing_message_id: false,
                        long_lines: true,
                    },
                    author: Some("agent@x.se".into()),
                    delivery: Some(Delivery::Failed {
                        at_ms: 5,
                        reason: "550".into(),
                    }),
                };
                tx.put(Table::Articles, &be2(1001, 7), &encode_v1(&a)?)?;
                tx.put(
                    Table::MessageIds,
                    b"m@x",
                    &encode_v1(&v1::MessageRef {
                        ticket: 1001,
                        article: 7,
                    })?,
                )?;
                for (e, r) in [("a@x.se", v1::Role::Admin), ("b@x.se", v1::Role::Agent)] {
                    let u = v1::User {
                        email: e.into(),
                        name: "N".into(),
                        password_hash: "h".into(),
                        role: r,
                        disabled: false,
                        created_ms: 0,
                    };
                    tx.put(Table::Users, e.as_bytes(), &encode_v1(&u)?)?;
                }
                Ok(())
            })
            .expect("write schema 1 rows");
        }
        let s = Store::open(&p).expect("reopen upgrades");
        s.read(|r| {
            let t: Ticket = r.get_rec(Table::Tickets, &be(1001))?.expect("ticket");
            assert_eq!(t.subject, "Skrivaren");
            assert_eq!(t.status, TicketStatus::Closed);
            assert_eq!(t.queue, crate::helpdesk::queues::DEFAULT_QUEUE);
            let a: Article = r.get_rec(Table::Articles, &be2(1001, 7))?.expect("article");
            assert_eq!(a.in_reply_to, ["q@y"]);
            assert_eq!(
                a.flags,
                ParseFlags {
                    charset_fallback: true,
                    long_lines: true,
                    ..ParseFlags::default()
                }
            );
            assert!(matches!(
                a.delivery,
                Some(Delivery::Failed { at_ms: 5, .. })
            ));
            let m: crate::helpdesk::model::MessageRef =
                r.get_rec(Table::MessageIds, b"m@x")?.expect("id");
            assert_eq!((m.ticket, m.article, m.fingerprint), (1001, 7, None));
            let admin = crate::auth::find_user(r, "a@x.se")?.expect("admin");
            let agent = crate::auth::find_user(r, "b@x.se")?.expect("agent");
            assert_eq!(admin.roles, ["admin"]);
            assert_eq!(agent.roles, ["agent"]);
            assert!(crate::auth::roles::get(r, "admin")?.is_some());
            Ok(())
        })
        .expect("read");
        // Opening again changes nothing more.
        let head = s.head_seq().expect("head");
        drop(s);
        let s = Store::open(&p).expect("third open");
        assert_eq!(s.head_seq().expect("head"), head);
    }

    /// A schema-2 store: its roles have no clearance field. The built-in agent and
    /// auditor get theirs; the admin and custom roles stay cleared for everything.
    #[test]
    fn schema_2_roles_get_clearances() {
        use crate::auth::roles::{self, RoleDef};
        use crate::gdpr::classification::Classification;
        use std::collections::{BTreeMap, BTreeSet};
        #[derive(Serialize)]
        struct RoleV2 {
            name: String,
            description: String,
            all_queues: BTreeSet<crate::auth::roles::QueuePerm>,
            queues: BTreeMap<String, BTreeSet<crate::auth::roles::QueuePerm>>,
            areas: BTreeSet<crate::auth::roles::Area>,
            builtin: bool,
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("s.redb");
        {
            let s = Store::open(&p).expect("open");
            s.write(0, |tx| {
                tx.put_rec(Table::Meta, b"schema_version", &2u64)?;
                for (name, builtin) in [
                    ("admin", true),
                    ("agent", true),
                    ("auditor", true),
                    ("hr", false),
                ] {
                    let r = RoleV2 {
                        name: name.into(),
                        description: String::new(),
                        all_queues: BTreeSet::new(),
                        queues: BTreeMap::new(),
                        areas: BTreeSet::new(),
                        builtin,
                    };
                    tx.put_rec(Table::Roles, name.as_bytes(), &r)?;
                }
                Ok(())
            })
            .expect("seed");
        }
        let s = Store::open(&p).expect("reopen");
        let get = |n: &str| -> RoleDef { s.read(|r| roles::get(r, n)).expect("read").expect(n) };
        assert_eq!(get("agent").clearance, Classification::Confidential);
        assert_eq!(get("auditor").clearance, Classification::Public);
        assert_eq!(get("admin").clearance, Classification::Sensitive);
        assert_eq!(get("hr").clearance, Classification::Sensitive);
        let v: u64 = s
            .read(|r| r.get_rec(Table::Meta, b"schema_version"))
            .expect("read")
            .expect("version");
        assert_eq!(v, crate::store::SCHEMA_VERSION);
    }
}
