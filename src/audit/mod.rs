//! The audit trail (DESIGN invariant 3): every look at personal data, every change, every
//! login and every export is an [`AuditRecord`] — who, what, when, from where, under which
//! role. Records are appended inside the same store transaction as the read or change they
//! record (see [`access`]), so an access cannot happen without its record.
//!
//! The log is append-only and hash-chained: record `n` stores
//! `hash_n = sha256(hash_{n-1} ++ canonical(record_n))` with `hash_0` = 32 zero bytes, where
//! `canonical` is the record's JSON without its `hash` field, fields in declaration order.
//! Changing, inserting or deleting a record in the middle breaks the chain at that record
//! ([`verify_chain`]). Cutting records off the end is not detectable from the chain alone;
//! the store's change log and backups hold the later heads.

pub mod access;
pub mod bench;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::codec::{be, read_be};
use crate::store::{Reader, Table, WriteTx};

/// Whether the recorded action was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done (or, for logins, signed in).
    Ok,
    /// Refused: no permission, the thing does not exist, or a wrong password.
    Denied,
}

impl Outcome {
    /// `ok` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
        }
    }
}

/// One audit event as stored (`Table::Audit`, key = `seq` big-endian).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// Unix milliseconds (from the injected clock).
    pub ts_ms: i64,
    /// Who: a user's e-mail address, `cli:<unix user>` for the local operator, or
    /// `anonymous` (failed sign-in with an unknown name is recorded under the name typed).
    pub actor: String,
    /// The role(s) the actor acted under, joined with `+` (`local-admin` for the CLI).
    pub role: String,
    /// Client address (IP) for web requests, `local` for the CLI.
    pub client: String,
    /// What, e.g. `ticket.view`, `attachment.download`, `login.failure`, `user.disable`.
    pub action: String,
    /// Which thing, e.g. `ticket:1001`, `user:a@b.se`, `tickets?status=open`.
    pub object: String,
    pub outcome: Outcome,
    /// Free text: counts, old → new values, reasons.
    pub detail: String,
    /// Hex sha256 of the previous record (64 zeros for the first).
    pub prev_hash: String,
    /// Hex sha256 of `prev_hash` bytes ++ canonical JSON of this record without `hash`.
    pub hash: String,
}

/// The fields hashed, in this order (the canonical form).
#[derive(Serialize)]
struct Canonical<'a> {
    seq: u64,
    ts_ms: i64,
    actor: &'a str,
    role: &'a str,
    client: &'a str,
    action: &'a str,
    object: &'a str,
    outcome: Outcome,
    detail: &'a str,
    prev_hash: &'a str,
}

impl AuditRecord {
    /// The hash this record should carry (hex).
    pub fn compute_hash(&self) -> Result<String> {
        let prev = hex::decode(&self.prev_hash)
            .map_err(|_| Error::invalid(format!("record {}: bad prev_hash", self.seq)))?;
        let canon = serde_json::to_vec(&Canonical {
            seq: self.seq,
            ts_ms: self.ts_ms,
            actor: &self.actor,
            role: &self.role,
            client: &self.client,
            action: &self.action,
            object: &self.object,
            outcome: self.outcome,
            detail: &self.detail,
            prev_hash: &self.prev_hash,
        })?;
        let mut h = Sha256::new();
        h.update(&prev);
        h.update(&canon);
        Ok(hex::encode(h.finalize()))
    }
}

/// What to record, apart from when and the chain fields; the fields mean the same as in
/// [`AuditRecord`].
#[derive(Debug, Clone)]
pub struct Event {
    pub actor: String,
    pub role: String,
    pub client: String,
    pub action: String,
    pub object: String,
    pub outcome: Outcome,
    pub detail: String,
}

const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The newest record, if any.
pub fn head(r: &impl Reader) -> Result<Option<AuditRecord>> {
    match r.scan(Table::Audit, &[], true, 1)?.into_iter().next() {
        Some((_, v)) => Ok(Some(crate::store::codec::decode(&v)?)),
        None => Ok(None),
    }
}

/// Appends `ev` at time `now_ms` inside `tx` (the caller's transaction: the record commits
/// with the read or change it describes, or not at all). Returns the new sequence number.
pub fn append(tx: &mut WriteTx, now_ms: i64, ev: Event) -> Result<u64> {
    let (seq, prev_hash) = match tx.scan(Table::Audit, &[], true, 1)?.into_iter().next() {
        Some((k, v)) => {
            // The previous hash is taken as stored; verification checks it.
            let prev: AuditRecord = crate::store::codec::decode(&v)
                .map_err(|e| e.context(format!("audit record {}", read_be(&k))))?;
            (prev.seq + 1, prev.hash)
        }
        None => (1, ZERO_HASH.to_string()),
    };
    let mut rec = AuditRecord {
        seq,
        ts_ms: now_ms,
        actor: ev.actor,
        role: ev.role,
        client: ev.client,
        action: ev.action,
        object: ev.object,
        outcome: ev.outcome,
        detail: ev.detail,
        prev_hash,
        hash: String::new(),
    };
    rec.hash = rec.compute_hash()?;
    tx.put_rec(Table::Audit, &be(seq), &rec)?;
    Ok(seq)
}

/// The result of [`verify_chain`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Records checked (up to and including the first broken one).
    pub records: u64,
    /// Hex hash of the last record (of a valid chain), if any.
    pub head_hash: Option<String>,
    /// The first broken link, if any.
    pub first_broken: Option<BrokenLink>,
}

impl VerifyReport {
    /// Whether the whole chain is intact.
    pub fn ok(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenLink {
    /// Sequence number (store key) of the first record that does not verify.
    pub seq: u64,
    pub reason: String,
}

/// Checks the whole chain in key order: each key equals its record's `seq`, sequence
/// numbers have no gaps, each `prev_hash` equals the previous record's hash, each `hash`
/// is recomputed. Names the first broken link. Errors only on store failures; a broken
/// chain is an `Ok` report with `first_broken` set.
pub fn verify_chain(r: &impl Reader) -> Result<VerifyReport> {
    const BATCH: usize = 4096;
    let mut expected_seq = 1u64;
    let mut prev = ZERO_HASH.to_string();
    let mut records = 0u64;
    let mut from = be(0).to_vec();
    let end = vec![0xffu8; 9];
    loop {
        let rows = r.range(Table::Audit, &from, &end, BATCH)?;
        if rows.is_empty() {
            break;
        }
        for (k, v) in &rows {
            records += 1;
            let key_seq = read_be(k);
            let broken = |reason: String| VerifyReport {
                records,
                head_hash: None,
                first_broken: Some(BrokenLink {
                    seq: key_seq,
                    reason,
                }),
            };
            if k.len() != 8 {
                return Ok(broken("malformed key".into()));
            }
            if key_seq != expected_seq {
                return Ok(broken(format!(
                    "expected record {expected_seq} here (records missing or inserted)"
                )));
            }
            let rec: AuditRecord = match crate::store::codec::decode(v) {
                Ok(r) => r,
                Err(_) => return Ok(broken("the record cannot be decoded (altered)".into())),
            };
            if rec.seq != key_seq {
                return Ok(broken(format!("the record says it is {}", rec.seq)));
            }
            if rec.prev_hash != prev {
                return Ok(broken(
                    "prev_hash does not match the previous record's hash".into(),
                ));
            }
            match rec.compute_hash() {
                Ok(h) if h == rec.hash => {}
                _ => return Ok(broken("hash does not match the record's content".into())),
            }
            prev = rec.hash;
            expected_seq += 1;
        }
        let last = read_be(&rows[rows.len() - 1].0);
        from = be(last.saturating_add(1)).to_vec();
        if last == u64::MAX {
            break;
        }
    }
    Ok(VerifyReport {
        records,
        head_hash: (records > 0).then_some(prev),
        first_broken: None,
    })
}

/// A search of the audit log (all conditions must hold; empty strings match anything).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Filter {
    /// Substring of the actor, case-insensitive.
    pub actor: String,
    /// Action prefix, e.g. `ticket.` or `login.failure`.
    pub action: String,
    /// Substring of the object, e.g. `ticket:1001`.
    pub object: String,
    /// Unix ms, inclusive.
    pub from_ms: Option<i64>,
    /// Unix ms, exclusive.
    pub to_ms: Option<i64>,
}

impl Filter {
    /// Whether `r` matches.
    pub fn matches(&self, r: &AuditRecord) -> bool {
        (self.actor.is_empty() || r.actor.to_lowercase().contains(&self.actor.to_lowercase()))
            && (self.action.is_empty() || r.action.starts_with(&self.action))
            && (self.object.is_empty() || r.object.contains(&self.object))
            && self.from_ms.is_none_or(|f| r.ts_ms >= f)
            && self.to_ms.is_none_or(|t| r.ts_ms < t)
    }
}

/// One page of matching records, newest first: skips `offset` matches, returns at most
/// `limit` and whether more exist.
pub fn search(
    r: &impl Reader,
    f: &Filter,
    offset: usize,
    limit: usize,
) -> Result<(Vec<AuditRecord>, bool)> {
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut upper: Option<u64> = None;
    const BATCH: usize = 2048;
    loop {
        let rows = match upper {
            None => r.scan(Table::Audit, &[], true, BATCH)?,
            Some(0) => break,
            Some(u) => {
                // Newest first below `u`: read the batch before it in key order (a gap
                // left by a deleted record just moves the window further down).
                let lo = u.saturating_sub(BATCH as u64);
                let mut rows = r.range(Table::Audit, &be(lo), &be(u), BATCH)?;
                if rows.is_empty() {
                    upper = Some(lo);
                    continue;
                }
                rows.reverse();
                rows
            }
        };
        if rows.is_empty() {
            break;
        }
        for (k, v) in &rows {
            upper = Some(read_be(k));
            let rec: AuditRecord = crate::store::codec::decode(v)?;
            if !f.matches(&rec) {
                continue;
            }
            if skipped < offset {
                skipped += 1;
                continue;
            }
            if out.len() == limit {
                return Ok((out, true));
            }
            out.push(rec);
        }
    }
    Ok((out, false))
}

/// Every record with `ts_ms >= since_ms`, oldest first.
pub fn since(r: &impl Reader, since_ms: i64) -> Result<Vec<AuditRecord>> {
    let mut out = Vec::new();
    for (_, v) in r.scan(Table::Audit, &[], false, usize::MAX)? {
        let rec: AuditRecord = crate::store::codec::decode(&v)?;
        if rec.ts_ms >= since_ms {
            out.push(rec);
        }
    }
    Ok(out)
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A JSON array of records (every field, including the chain hashes).
    Json,
    /// RFC 4180 CSV with a header line; time as RFC 3339 UTC.
    Csv,
}

impl Format {
    /// Parses `json` or `csv`.
    pub fn parse(s: &str) -> Result<Format> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(Error::invalid(format!(
                "format must be json or csv, not {other:?}"
            ))),
        }
    }
}

/// Renders `records` in `format`.
pub fn render(records: &[AuditRecord], format: Format) -> Result<String> {
    match format {
        Format::Json => Ok(serde_json::to_string_pretty(records)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "seq",
                "time",
                "actor",
                "role",
                "client",
                "action",
                "object",
                "outcome",
                "detail",
                "prev_hash",
                "hash",
            ])
            .map_err(Error::internal)?;
            for r in records {
                w.write_record([
                    r.seq.to_string().as_str(),
                    &crate::helpdesk::tickets::rfc3339(r.ts_ms),
                    &r.actor,
                    &r.role,
                    &r.client,
                    &r.action,
                    &r.object,
                    r.outcome.as_str(),
                    &r.detail,
                    &r.prev_hash,
                    &r.hash,
                ])
                .map_err(Error::internal)?;
            }
            let bytes = w.into_inner().map_err(Error::internal)?;
            String::from_utf8(bytes).map_err(Error::internal)
        }
    }
}

/// Parses an export start: a date `YYYY-MM-DD` (midnight UTC) or an RFC 3339 timestamp.
/// Returns Unix ms. Errors: `Invalid`.
pub fn parse_since(s: &str) -> Result<i64> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    let d: jiff::civil::Date = s.parse().map_err(|_| {
        Error::invalid(format!(
            "--since: give a date like 2026-01-01 or an RFC 3339 time, not {s:?}"
        ))
    })?;
    d.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|e| Error::invalid(format!("--since: {e}")))
}

/// One page of the log for the auditor page or API (needs the `audit` area; the search
/// itself is audited as `audit.search`).
pub fn search_as(
    app: &crate::app::App,
    actor: &access::Actor,
    f: &Filter,
    offset: usize,
    limit: usize,
) -> Result<(Vec<AuditRecord>, bool)> {
    // An e-mail address searched for is recorded by its keyed hash, as the trail names data
    // subjects elsewhere: the trail outlives erasures and must not keep the address.
    let object_term = if f.object.contains('@') {
        let addr = f.object.trim().to_lowercase();
        app.store
            .read(|r| crate::gdpr::contacts::contact_ref(r, &addr))?
    } else {
        f.object.clone()
    };
    let object = format!(
        "audit?actor={}&action={}&object={}&offset={offset}",
        f.actor, f.action, object_term
    );
    access::guard(
        app,
        actor,
        access::Need::Area(crate::auth::roles::Area::Audit),
        "audit.search",
        &object,
        |tx, _| {
            let page = search(tx, f, offset, limit)?;
            let n = page.0.len();
            Ok((page, format!("{n} shown")))
        },
    )
}

/// The export for `trygg audit export` (needs the `audit` area; audited as
/// `audit.export` in the same transaction that reads the records, so the export's own
/// record is not in it).
pub fn export_as(
    app: &crate::app::App,
    actor: &access::Actor,
    since_ms: i64,
    format: Format,
) -> Result<String> {
    access::guard(
        app,
        actor,
        access::Need::Area(crate::auth::roles::Area::Audit),
        "audit.export",
        &format!(
            "audit?since={}",
            crate::helpdesk::tickets::rfc3339(since_ms)
        ),
        |tx, _| {
            let recs = since(tx, since_ms)?;
            let n = recs.len();
            Ok((render(&recs, format)?, format!("{n} records as {format:?}")))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn ev(action: &str) -> Event {
        Event {
            actor: "a@x.se".into(),
            role: "agent".into(),
            client: "127.0.0.1".into(),
            action: action.into(),
            object: "ticket:1001".into(),
            outcome: Outcome::Ok,
            detail: String::new(),
        }
    }

    #[test]
    fn chain_verifies_and_names_the_first_altered_record() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("s.redb")).unwrap();
        for i in 0..10 {
            s.write(i, |tx| append(tx, i, ev("ticket.view")).map(|_| ()))
                .unwrap();
        }
        let rep = s.read(verify_chain).unwrap();
        assert!(rep.ok() && rep.records == 10, "{rep:?}");
        // Alter record 4's actor, keeping its hash: broken at 4.
        s.write(0, |tx| {
            let mut r: AuditRecord = tx.get_rec(Table::Audit, &be(4))?.unwrap();
            r.actor = "someone-else".into();
            tx.put_rec(Table::Audit, &be(4), &r)
        })
        .unwrap();
        let rep = s.read(verify_chain).unwrap();
        assert_eq!(rep.first_broken.unwrap().seq, 4);
        // Re-hashing record 4 moves the break to 5 (its prev_hash no longer matches).
        s.write(0, |tx| {
            let mut r: AuditRecord = tx.get_rec(Table::Audit, &be(4))?.unwrap();
            r.hash = r.compute_hash()?;
            tx.put_rec(Table::Audit, &be(4), &r)
        })
        .unwrap();
        let rep = s.read(verify_chain).unwrap();
        assert_eq!(rep.first_broken.unwrap().seq, 5);
        // Deleting a record in the middle: broken where it is missing.
        s.write(0, |tx| tx.delete(Table::Audit, &be(7)).map(|_| ()))
            .unwrap();
        let (page, more) = s.read(|r| search(r, &Filter::default(), 0, 3)).unwrap();
        assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [10, 9, 8]);
        assert!(more);
    }

    #[test]
    fn since_dates_and_formats_parse() {
        assert_eq!(parse_since("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(parse_since("1970-01-01T00:00:01Z").unwrap(), 1000);
        assert!(parse_since("yesterday").is_err());
        assert!(Format::parse("xml").is_err());
        let rec = AuditRecord {
            seq: 1,
            ts_ms: 0,
            actor: "a,\"b\"".into(),
            role: "r".into(),
            client: "c".into(),
            action: "x".into(),
            object: "o".into(),
            outcome: Outcome::Denied,
            detail: "line\nbreak".into(),
            prev_hash: ZERO_HASH.into(),
            hash: "h".into(),
        };
        let csv = render(&[rec], Format::Csv).unwrap();
        assert!(csv.contains("\"a,\"\"b\"\"\""), "{csv}");
        assert!(csv.starts_with("seq,time,actor"));
    }
}
