//! GDPR duties built in: national-ID detection and masking (Art. 25, 87). Classification,
//! retention, consent and data-subject requests follow in this module.

pub mod classification;
pub mod consent;
// contacts: the contact page, rectification (Art. 16) and consent handling by agents
pub mod contacts;
pub mod erase;
// retention: storage limitation and legal holds (Art. 5(1)(e), 17(3)(e))
pub mod hold;
pub mod national_id;
pub mod retention;
pub mod subject;
// records: record of processing (Art. 30) and sub-processors (Art. 28)
pub mod records;

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::audit::access::Actor;
use crate::error::{Error, Result};

/// How a data-subject request names the person (exactly one of the three).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SubjectSpec {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub national_id: Option<String>,
}

impl SubjectSpec {
    /// The identity. Errors: `Invalid` unless exactly one way is given and it is valid.
    pub fn identity(&self, now_ms: i64) -> Result<subject::Identity> {
        match (&self.email, &self.phone, &self.national_id) {
            (Some(e), None, None) => short_errors(e, subject::Identity::email),
            (None, Some(p), None) => short_errors(p, subject::Identity::phone),
            (None, None, Some(n)) => short_errors(n, |n| {
                subject::Identity::national_id(n, classification::today(now_ms))
            }),
            _ => Err(Error::invalid(
                "name the data subject by exactly one of e-mail address, phone number or national ID (--email, --phone, --national-id)",
            )),
        }
    }
}

/// Longest typed value an error message repeats in full, in characters.
const MAX_ECHO: usize = 100;

/// `parse(v)`, with an error that repeats at most [`MAX_ECHO`] characters of `v` (a 100 KB
/// paste must not come back whole). Values longer than any identity (254 characters, the
/// longest e-mail address, RFC 5321 §4.5.3.1) are refused before parsing.
fn short_errors(
    v: &str,
    parse: impl FnOnce(&str) -> Result<subject::Identity>,
) -> Result<subject::Identity> {
    let chars = v.chars().count();
    if chars <= MAX_ECHO {
        return parse(v);
    }
    let short: String = v.chars().take(MAX_ECHO).collect();
    let too_long = || {
        Error::invalid(format!(
            "{short:?}… ({chars} characters) is not an e-mail address, phone number or national ID"
        ))
    };
    if chars > 254 {
        return Err(too_long());
    }
    parse(v).map_err(|e| {
        if e.message.contains(v) {
            Error {
                message: e.message.replace(v, &format!("{short}…")),
                ..e
            }
        } else if e.message.chars().count() > 2 * MAX_ECHO + 100 {
            too_long()
        } else {
            e
        }
    })
}

/// The audit event of a data-subject request. The subject is named by a keyed hash, not by
/// the address or number itself: the audit trail outlives an erasure and must not keep what
/// was erased, yet whoever holds the identity can check that this request concerned it.
///
/// Data-subject requests need the `privacy` area (the local operator has every area); a
/// refusal is recorded as `Denied` and answers `NotFound` "no such page", like every admin
/// page one may not use.
fn audit_event(
    app: &App,
    actor: &Actor,
    action: &str,
    id: &subject::Identity,
    detail: String,
) -> Result<crate::audit::Event> {
    use sha2::{Digest, Sha256};
    let (secret, grants) = app.store.read(|r| {
        Ok((
            crate::helpdesk::settings::load(r)?
                .map(|s| s.secret_hex)
                .unwrap_or_default(),
            crate::audit::access::grants(r, actor)?,
        ))
    })?;
    let (kind, value) = match id {
        subject::Identity::Email(v) => ("e-mail", v),
        subject::Identity::Phone(v) => ("phone", v),
        subject::Identity::NationalId(v) => ("national id", v),
    };
    let h = Sha256::digest(format!("{secret}\0{kind}\0{value}").as_bytes());
    let ev = crate::audit::Event {
        actor: actor.id.clone(),
        role: grants.role_label(),
        client: actor.client.clone(),
        action: action.to_string(),
        object: format!("data subject by {kind} #{}", &hex::encode(h)[..16]),
        outcome: crate::audit::Outcome::Ok,
        detail,
    };
    if !grants.has_area(crate::auth::roles::Area::Privacy) {
        crate::audit::access::record(
            app,
            crate::audit::Event {
                outcome: crate::audit::Outcome::Denied,
                detail: "no permission".into(),
                ..ev
            },
        )?;
        return Err(Error::not_found("no such page"));
    }
    Ok(ev)
}

/// Exports everything about the subject as a ZIP written atomically to `out` (mode 0600;
/// an existing file is refused), Art. 15 and 20. Recorded in the audit trail as
/// `gdpr.export`. Errors: `Invalid` (identity, path), `Conflict` (file exists).
pub fn export_subject(
    app: &App,
    actor: &Actor,
    spec: &SubjectSpec,
    out: &std::path::Path,
) -> Result<subject::ExportReport> {
    if !out.is_absolute() {
        return Err(Error::invalid("the export file must be an absolute path"));
    }
    if out.exists() {
        return Err(Error::conflict(format!(
            "{} exists; not overwriting",
            out.display()
        )));
    }
    let (report, bytes) = export_subject_bytes(app, actor, spec)?;
    crate::app::write_atomic(out, &bytes, 0o600)?;
    Ok(report)
}

/// [`export_subject`] into memory: the report and the ZIP archive (for a web download).
/// Recorded as `gdpr.export`. Errors: `Invalid` (identity), `NotFound` (no `privacy` area).
pub fn export_subject_bytes(
    app: &App,
    actor: &Actor,
    spec: &SubjectSpec,
) -> Result<(subject::ExportReport, Vec<u8>)> {
    let now = app.now_ms();
    let id = spec.identity(now)?;
    let org = app
        .store
        .read(crate::helpdesk::settings::load)?
        .map(|s| s.org_name)
        .unwrap_or_default();
    let today = classification::today(now);
    let mut buf = std::io::Cursor::new(Vec::new());
    let report = app.store.read(|r| {
        let data = subject::find(r, &id, today)?;
        subject::export(r, &data, &id, &org, now, &mut buf)
    })?;
    // The permission check (and its refusal record) comes before the archive leaves.
    let ev = audit_event(
        app,
        actor,
        "gdpr.export",
        &id,
        format!(
            "{} tickets, {} articles, {} attachments",
            report.tickets, report.articles, report.attachments
        ),
    )?;
    crate::audit::access::record(app, ev)?;
    Ok((report, buf.into_inner()))
}

/// Everything trygg holds about the subject, for the admin's data-subject request page
/// (Art. 15): what [`subject::find`] returns. It shows personal data, so it is recorded as
/// `gdpr.find`. Errors: `Invalid` (identity), `NotFound` (no `privacy` area).
pub fn find_subject(app: &App, actor: &Actor, spec: &SubjectSpec) -> Result<subject::SubjectData> {
    let now = app.now_ms();
    let id = spec.identity(now)?;
    let ev = audit_event(app, actor, "gdpr.find", &id, String::new())?;
    let data = app
        .store
        .read(|r| subject::find(r, &id, classification::today(now)))?;
    let (t, a, f, c, k) = data.counts();
    crate::audit::access::record(
        app,
        crate::audit::Event {
            detail: format!(
                "{}, {}, {}, {}, {}",
                count(t, "ticket", "tickets"),
                count(a, "article", "articles"),
                count(f, "attachment", "attachments"),
                count(c, "contact record", "contact records"),
                count(k, "consent", "consents")
            ),
            ..ev
        },
    )?;
    Ok(data)
}

/// What erasing the subject would do (the preview shown before confirming). It shows which
/// tickets concern the person, so it is a look at personal data: recorded as
/// `gdpr.erase.preview`. A legal hold that blocks the erasure (Art. 17(3)(e)) is listed in
/// [`subject::ErasurePlan::holds`]; [`erase_subject`] then refuses.
pub fn erasure_preview(
    app: &App,
    actor: &Actor,
    spec: &SubjectSpec,
) -> Result<subject::ErasurePlan> {
    let now = app.now_ms();
    let id = spec.identity(now)?;
    let data = app
        .store
        .read(|r| subject::find(r, &id, classification::today(now)))?;
    let plan = subject::plan_erasure(&data);
    let detail = format!(
        "{} tickets to delete, {} to redact",
        plan.delete_tickets.len(),
        plan.redact_tickets.len()
    );
    crate::audit::access::record(
        app,
        audit_event(app, actor, "gdpr.erase.preview", &id, detail)?,
    )?;
    Ok(plan)
}

/// Erases the subject (Art. 17) and records `gdpr.erase` in the same transaction.
/// Errors: `Conflict` naming the holds when the contact, or a ticket the erasure would
/// delete or redact, is under legal hold (Art. 17(3)(e): data needed for legal claims);
/// nothing is erased then. `Invalid` (identity), `NotFound` (no `privacy` area).
pub fn erase_subject(
    app: &App,
    actor: &Actor,
    spec: &SubjectSpec,
) -> Result<subject::ErasureReport> {
    let now = app.now_ms();
    let id = spec.identity(now)?;
    let ev = audit_event(app, actor, "gdpr.erase", &id, String::new())?;
    app.store
        .write(now, |tx| {
            let report = subject::erase(tx, &id, classification::today(now), now)?;
            let detail = format!(
                "{} tickets deleted, {} redacted",
                report.plan.delete_tickets.len(),
                report.plan.redact_tickets.len()
            );
            crate::audit::append(tx, now, crate::audit::Event { detail, ..ev })?;
            Ok(report)
        })
        .inspect(|_| purge_after_erasure(app))
}

/// Scrubs the change log and rewrites the store file after an erasure
/// ([`crate::store::Store::purge_erased`]). The erasure itself is committed already, so a
/// failure here is logged, not returned: the work stays owed and the next start retries it.
pub fn purge_after_erasure(app: &App) {
    match app.store.purge_erased() {
        Ok(r) => tracing::info!(
            keys = r.keys,
            records = r.records_rewritten,
            ops = r.ops_dropped,
            bytes_before = r.file_bytes_before,
            bytes_after = r.file_bytes_after,
            "erased data scrubbed from the change log and the store file"
        ),
        Err(e) => tracing::warn!("scrubbing erased data failed (retried at next start): {e}"),
    }
}

#[cfg(test)]
mod test_support;

/// `n` with the English noun in singular or plural: `1 message`, `0 messages`, `2 messages`
/// (export summaries and audit details, Art. 12(1): clear and plain language).
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_not_echoed_whole() {
        let spec = |email: String| SubjectSpec {
            email: Some(email),
            ..SubjectSpec::default()
        };
        let huge = format!("{}@", "a".repeat(100_000));
        let e = spec(huge).identity(0).expect_err("invalid");
        assert_eq!(e.kind, crate::error::ErrorKind::Invalid);
        assert!(e.message.len() < 400, "{}", e.message.len());
        let mid = format!("{}@@x.se", "b".repeat(150));
        let e = spec(mid.clone()).identity(0).expect_err("invalid");
        assert!(
            !e.message.contains(&mid) && e.message.len() < 400,
            "{}",
            e.message
        );
        let e = spec("bad@@x.se".into()).identity(0).expect_err("invalid");
        assert!(e.message.contains("bad@@x.se"), "{}", e.message);
    }
}
