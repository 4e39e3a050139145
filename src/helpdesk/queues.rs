//! Queues: the function a ticket belongs to (e.g. "HR", "IT support"). Every ticket is in
//! exactly one queue; roles grant permissions per queue. New tickets go to the queue whose
//! mailboxes include the receiving address, else to the default queue.

use serde::{Deserialize, Serialize};

use crate::auth::roles::check_name;
use crate::error::{Error, Result};
use crate::store::{Reader, Table, WriteTx};

/// Id of the default queue, created at setup (and by the schema-2 migration).
pub const DEFAULT_QUEUE: &str = "general";

/// A queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    /// Lower-case id, `[a-z0-9_-]{1,40}`; the key, used in URLs and role definitions.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Support addresses (lower case) whose new tickets land in this queue.
    pub mailboxes: Vec<String>,
    // gdpr: fields appended for issue 6
    /// Classification new tickets of this queue start with (Art. 25: protection by default).
    #[serde(default)]
    pub default_classification: crate::gdpr::classification::Classification,
    /// Purpose of processing (Art. 5(1)(b)) shown to agents on this queue's tickets, e.g.
    /// "Answering customers' questions about their orders".
    #[serde(default)]
    pub purpose: String,
}

// gdpr
/// Longest purpose-of-processing text, in characters.
pub const PURPOSE_MAX: usize = 1000;

/// Creates the default queue when it does not exist (idempotent).
pub fn ensure_default(tx: &mut WriteTx) -> Result<()> {
    if tx.get(Table::Queues, DEFAULT_QUEUE.as_bytes())?.is_none() {
        tx.put_rec(
            Table::Queues,
            DEFAULT_QUEUE.as_bytes(),
            &Queue {
                id: DEFAULT_QUEUE.into(),
                name: "General".into(),
                mailboxes: Vec::new(),
                default_classification: Default::default(),
                purpose: String::new(),
            },
        )?;
    }
    Ok(())
}

/// The queue `id`, if any.
pub fn get(r: &impl Reader, id: &str) -> Result<Option<Queue>> {
    r.get_rec(Table::Queues, id.as_bytes())
}

/// Every queue, by id.
pub fn list(r: &impl Reader) -> Result<Vec<Queue>> {
    r.scan(Table::Queues, &[], false, usize::MAX)?
        .into_iter()
        .map(|(_, v)| crate::store::codec::decode(&v))
        .collect()
}

/// The queue id for a new ticket received at `mailbox`: the first queue listing that
/// mailbox, else [`DEFAULT_QUEUE`].
pub fn for_mailbox(r: &impl Reader, mailbox: &str) -> Result<String> {
    let m = mailbox.to_lowercase();
    Ok(list(r)?
        .into_iter()
        .find(|q| q.mailboxes.contains(&m))
        .map(|q| q.id)
        .unwrap_or_else(|| DEFAULT_QUEUE.to_string()))
}

/// The queue a stored ticket belongs to (tickets from before queues: the default queue).
pub fn of_ticket(t: &super::Ticket) -> &str {
    if t.queue.is_empty() {
        DEFAULT_QUEUE
    } else {
        &t.queue
    }
}

/// Creates or updates queue `q` (the caller checks the `mail` area and audits); its
/// mailboxes become support addresses (added to the settings' mailboxes).
/// Errors: `Invalid` for a bad id, empty name or malformed mailbox.
pub fn save(tx: &mut WriteTx, mut q: Queue) -> Result<()> {
    check_name("queue id", &q.id)?;
    q.name = q.name.trim().to_string();
    if q.name.is_empty() || q.name.chars().count() > 100 {
        return Err(Error::invalid("queue name: give 1 to 100 characters"));
    }
    // gdpr: the purpose of processing (Art. 5(1)(b)) is shown on every ticket of the queue.
    q.purpose = q.purpose.trim().replace("\r\n", "\n");
    if q.purpose.chars().count() > PURPOSE_MAX {
        return Err(Error::invalid(format!(
            "purpose of processing: at most {PURPOSE_MAX} characters"
        )));
    }
    if q.purpose
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::invalid(
            "purpose of processing: control characters are not allowed",
        ));
    }
    let mut boxes = Vec::new();
    for m in &q.mailboxes {
        let a = super::settings::normalise_address("queue mailbox", m)?;
        if !boxes.contains(&a) {
            boxes.push(a);
        }
    }
    // One address routes to one queue.
    for other in list(tx)? {
        if other.id != q.id
            && let Some(m) = boxes.iter().find(|m| other.mailboxes.contains(m))
        {
            return Err(Error::invalid(format!(
                "queue mailbox: {m} already belongs to queue \"{}\"",
                other.name
            )));
        }
    }
    q.mailboxes = boxes;
    // A queue's addresses are support addresses: the SMTP listener, IMAP fetch, threading
    // and loop rules all know "our" addresses from the settings, so add them there.
    if let Some(mut s) = super::settings::load(tx)? {
        let before = s.mailboxes.len();
        for m in &q.mailboxes {
            if !s.mailboxes.contains(m) {
                s.mailboxes.push(m.clone());
            }
        }
        if s.mailboxes.len() != before {
            super::settings::save(tx, &s)?;
        }
    }
    tx.put_rec(Table::Queues, q.id.as_bytes(), &q)
}
