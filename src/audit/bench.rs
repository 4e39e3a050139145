//! `trygg bench audit`: the cost of the audit write on a ticket view. Builds a throw-away
//! store with one ticket (setup, one mail through the real ingest path), then times
//! `views` ticket views without the audit (a read snapshot of the same rows) and with it
//! ([`crate::helpdesk::tickets::load_full`]: access check + audit record in a durable write
//! transaction).

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::access::Actor;
use crate::app::{App, SystemClock};
use crate::error::{Error, Result};
use crate::helpdesk::ingest::{Envelope, ingest};
use crate::helpdesk::settings::{SetupInput, run_setup};
use crate::helpdesk::tickets;
use crate::store::Reader;

/// Figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub views: usize,
    /// Ticket views per second reading without an audit record.
    pub plain_views_per_s: f64,
    /// Ticket views per second through the audited access check.
    pub audited_views_per_s: f64,
    /// Mean microseconds per view, without and with the audit write.
    pub plain_us: f64,
    pub audited_us: f64,
    /// Audit records in the store afterwards (one per audited view).
    pub audit_records: u64,
    /// Whether the chain verified after the run.
    pub chain_ok: bool,
}

/// Runs the benchmark in a fresh store under `dir` (which must be empty or absent).
pub fn run(dir: &std::path::Path, views: usize) -> Result<BenchReport> {
    if views == 0 {
        return Err(Error::invalid("--views: give at least 1"));
    }
    let app: Arc<App> = App::open(dir, Arc::new(SystemClock))?;
    run_setup(
        &app,
        SetupInput {
            org_name: "Bench AB".into(),
            admin_email: "admin@bench.example".into(),
            admin_password: "Solros-Kaffe-Vinter-42".into(),
            mailboxes: vec!["support@bench.example".into()],
            relay: None,
        },
    )?;
    let body = "Hej! Skrivaren på plan 3 skriver inte ut. ".repeat(50);
    let raw = format!(
        "From: Kund <kund@example.org>\r\nTo: support@bench.example\r\nSubject: Skrivaren\r\n\
         Message-ID: <bench-1@example.org>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0100\r\n\r\n{body}\r\n"
    );
    let env = Envelope {
        mail_from: "kund@example.org".into(),
        rcpt_to: vec!["support@bench.example".into()],
        ..Default::default()
    };
    ingest(&app, raw.as_bytes(), &env)?;
    let number = app
        .store
        .read(|r| {
            Ok(r.scan(crate::store::Table::Tickets, &[], false, 1)?
                .first()
                .map(|(k, _)| crate::store::codec::read_be(k)))
        })?
        .ok_or_else(|| Error::internal("bench ticket missing"))?;
    let actor = Actor::user("admin@bench.example", "127.0.0.1");

    let t0 = Instant::now();
    for _ in 0..views {
        let (t, a) = app.store.read(|r| {
            Ok((
                tickets::get_ticket(r, number)?,
                tickets::articles(r, number)?,
            ))
        })?;
        std::hint::black_box((t, a));
    }
    let plain = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    for _ in 0..views {
        std::hint::black_box(tickets::load_full(&app, &actor, number)?);
    }
    let audited = t1.elapsed().as_secs_f64();

    let report = app.store.read(super::verify_chain)?;
    Ok(BenchReport {
        views,
        plain_views_per_s: views as f64 / plain,
        audited_views_per_s: views as f64 / audited,
        plain_us: plain * 1e6 / views as f64,
        audited_us: audited * 1e6 / views as f64,
        audit_records: report.records,
        chain_ok: report.ok(),
    })
}
