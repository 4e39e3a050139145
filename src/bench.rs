//! `trygg bench …`: benchmarks run on a release build (docs/performance.md). Not for
//! production use; hidden from `--help`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use clap::Subcommand;

use crate::app::{App, SystemClock};
use crate::backup::format::Kind;
use crate::backup::keys::DecryptWith;
use crate::backup::restore::RestoreOptions;
use crate::backup::{BackupSettings, RunRequest};
use crate::error::{Error, Result};
use crate::helpdesk::model::*;
use crate::store::Table;
use crate::store::codec::{be, be2};

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Seed N tickets through the store write path, then time a full backup and a full
    /// restore, and the `age` CLI encrypting/decrypting the raw store file.
    Backup {
        /// Tickets to seed.
        #[arg(long, default_value_t = 100_000)]
        tickets: u64,
        /// Size of each ticket's raw message blob, bytes.
        #[arg(long, default_value_t = 8192)]
        raw_bytes: usize,
        /// Scratch directory (created; must be empty or absent).
        #[arg(long)]
        dir: PathBuf,
        /// The `age` binary to compare with.
        #[arg(long, default_value = "age")]
        age: String,
    },
    /// Seed N tickets, delete one in an erasure, then time the change-log scrub and the
    /// store-file rewrite that make the erasure complete, while a writer keeps committing
    /// (its longest stall is reported).
    Erase {
        /// Tickets to seed.
        #[arg(long, default_value_t = 100_000)]
        tickets: u64,
        /// Size of each ticket's raw message blob, bytes.
        #[arg(long, default_value_t = 8192)]
        raw_bytes: usize,
        /// Scratch directory (created; must be empty or absent).
        #[arg(long)]
        dir: PathBuf,
    },
    /// Ticket views per second with and without the audit write, in a throw-away store.
    Audit {
        /// Views to time in each mode.
        #[arg(long, default_value_t = 2000)]
        views: usize,
        /// Directory for the throw-away store (default: a temporary directory).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    // retention
    /// Seed N closed tickets, then time a retention preview and a run that anonymises or
    /// deletes all of them (including the store scrub and rewrite).
    Retention {
        /// Tickets to seed.
        #[arg(long, default_value_t = 10_000)]
        tickets: u64,
        /// `anonymise` or `delete`.
        #[arg(long, default_value = "anonymise")]
        action: String,
        /// Scratch directory (created; must not hold a store).
        #[arg(long)]
        dir: PathBuf,
    },
}

/// Runs a benchmark and prints its figures (human text, then one JSON line).
pub fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Backup {
            tickets,
            raw_bytes,
            dir,
            age,
        } => bench_backup(tickets, raw_bytes, &dir, &age),
        BenchCommand::Audit { views, dir } => bench_audit(views, dir),
        BenchCommand::Erase {
            tickets,
            raw_bytes,
            dir,
        } => bench_erase(tickets, raw_bytes, &dir),
        // retention
        BenchCommand::Retention {
            tickets,
            action,
            dir,
        } => {
            let v = crate::gdpr::retention::bench(&dir, tickets, &action)?;
            println!("{}", serde_json::to_string(&v)?);
            Ok(())
        }
    }
}

fn bench_erase(n: u64, raw_bytes: usize, dir: &Path) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(Error::conflict(format!("{} is not empty", dir.display())));
    }
    crate::app::create_private_dir(dir)?;
    let app = Arc::new(App::open(&dir.join("data"), Arc::new(SystemClock))?);
    let t = Instant::now();
    seed(&app, n, raw_bytes)?;
    println!(
        "seeded {n} tickets in {:.1} s",
        t.elapsed().as_millis() as f64 / 1000.0
    );
    let victim = 1001 + n / 2;
    app.store.write(app.now_ms(), |tx| {
        let mut refs = crate::gdpr::erase::References::build(tx)?;
        crate::gdpr::erase::delete_ticket(tx, victim, &mut refs)
    })?;
    // A writer committing small transactions all along: its longest wait is what a user
    // of the web UI would notice.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (app, stop) = (app.clone(), stop.clone());
        std::thread::spawn(move || -> Result<(u64, u128)> {
            let (mut count, mut worst) = (0u64, 0u128);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t = Instant::now();
                app.store.write(app.now_ms(), |tx| {
                    tx.put(Table::Meta, b"bench-erase-tick", &count.to_be_bytes())
                })?;
                worst = worst.max(t.elapsed().as_micros());
                count += 1;
            }
            Ok((count, worst))
        })
    };
    let r = app.store.purge_erased()?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (writes, worst_us) = writer
        .join()
        .map_err(|_| Error::internal("bench writer panicked"))??;
    println!(
        "scrub {} ms ({} records rewritten, {} ops dropped); rewrite {} ms; file {:.1} -> {:.1} MB; \
         {writes} writes meanwhile, longest {:.1} ms",
        r.scrub_ms,
        r.records_rewritten,
        r.ops_dropped,
        r.vacuum_ms,
        r.file_bytes_before as f64 / 1e6,
        r.file_bytes_after as f64 / 1e6,
        worst_us as f64 / 1000.0
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "erase", "tickets": n, "scrub_ms": r.scrub_ms, "vacuum_ms": r.vacuum_ms,
            "records_rewritten": r.records_rewritten, "ops_dropped": r.ops_dropped,
            "file_bytes_before": r.file_bytes_before, "file_bytes_after": r.file_bytes_after,
            "concurrent_writes": writes, "longest_write_stall_us": worst_us,
        })
    );
    Ok(())
}

fn mb(bytes: u64, ms: u128) -> f64 {
    bytes as f64 / 1e6 / (ms.max(1) as f64 / 1000.0)
}

/// Seeds `n` tickets (one incoming article, one raw-message blob, one contact each) in
/// write transactions of 500 tickets.
pub fn seed(app: &App, n: u64, raw_bytes: usize) -> Result<()> {
    let filler: String = "Hej! Jag har en fråga om min faktura och leveransen. "
        .chars()
        .cycle()
        .take(raw_bytes)
        .collect();
    let mut next = 1001u64;
    while next < 1001 + n {
        let end = (next + 500).min(1001 + n);
        let now = app.now_ms();
        app.store.write(now, |tx| {
            for number in next..end {
                let addr = format!("kund{}@example.org", number % 5000);
                let mid = format!("bench-{number}@client.example.org");
                let raw = format!(
                    "From: <{addr}>\r\nTo: support@helpdesk.example.com\r\nMessage-ID: <{mid}>\r\nSubject: Fråga {number}\r\n\r\n{filler}\r\n"
                );
                let sha = crate::helpdesk::ingest::put_blob(tx, raw.as_bytes())?;
                let id = app.next_id();
                let from = MailAddress {
                    name: Some(format!("Kund {number}")),
                    address: addr.clone(),
                };
                let article = Article {
                    id,
                    ticket: number,
                    direction: Direction::In,
                    message_id: mid.clone(),
                    from: from.clone(),
                    reply_to: None,
                    to: vec![MailAddress {
                        name: None,
                        address: "support@helpdesk.example.com".into(),
                    }],
                    cc: Vec::new(),
                    subject: format!("Fråga {number}"),
                    text: filler.chars().take(1024).collect(),
                    html: None,
                    attachments: Vec::new(),
                    raw_sha256: Some(sha),
                    created_ms: now,
                    date: None,
                    in_reply_to: Vec::new(),
                    references: Vec::new(),
                    flags: ParseFlags::default(),
                    author: None,
                    delivery: None,
                };
                let ticket = Ticket {
                    number,
                    subject: format!("Fråga {number}"),
                    status: TicketStatus::Open,
                    customer: from,
                    mailbox: "support@helpdesk.example.com".into(),
                    created_ms: now,
                    updated_ms: now,
                    articles: 1,
                    participants: vec![addr.clone()],
                    queue: crate::helpdesk::queues::DEFAULT_QUEUE.into(),
                    classification: Default::default(),
                    legal_hold: None,
                    closed_ms: None,
                    anonymised_ms: None,
                };
                tx.put_rec(Table::Tickets, &be(number), &ticket)?;
                tx.put_rec(Table::Articles, &be2(number, id), &article)?;
                tx.put_rec(
                    Table::MessageIds,
                    mid.as_bytes(),
                    &MessageRef {
                        ticket: number,
                        article: id,
                        fingerprint: None,
                    },
                )?;
                tx.put_rec(
                    Table::Contacts,
                    addr.as_bytes(),
                    &Contact {
                        address: addr.clone(),
                        name: None,
                        created_ms: now,
                        last_seen_ms: now,
                        phone: None,
                        organisation: None,
                        legal_hold: None,
                        rectified_ms: None,
                    },
                )?;
            }
            Ok(())
        })?;
        next = end;
    }
    Ok(())
}

fn timed(cmd: &mut Command) -> Result<u128> {
    let t = Instant::now();
    let st = cmd
        .status()
        .map_err(|e| Error::unavailable(format!("cannot run {cmd:?}: {e}")))?;
    if !st.success() {
        return Err(Error::internal(format!("{cmd:?} failed: {st}")));
    }
    Ok(t.elapsed().as_millis())
}

fn bench_backup(n: u64, raw_bytes: usize, dir: &Path, age_bin: &str) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(Error::conflict(format!("{} is not empty", dir.display())));
    }
    crate::app::create_private_dir(dir)?;
    let data = dir.join("data");
    let app = App::open(&data, Arc::new(SystemClock))?;
    let t = Instant::now();
    seed(&app, n, raw_bytes)?;
    let seed_ms = t.elapsed().as_millis();
    println!("seeded {n} tickets in {:.1} s", seed_ms as f64 / 1000.0);

    // Keys: an identity file as an admin would keep it.
    let (id_text, public) = crate::backup::keys::keygen("bench");
    let id_file = dir.join("identity.txt");
    crate::app::write_atomic(&id_file, id_text.as_bytes(), 0o600)?;
    let target = dir.join("backup");
    crate::backup::save_settings(
        &app,
        &BackupSettings {
            enabled: false,
            target: target.display().to_string(),
            recipients: vec![public.clone()],
            ..Default::default()
        },
    )?;

    let t = Instant::now();
    let out = crate::backup::run(
        &app,
        &RunRequest {
            kind: Kind::Full,
            to: None,
        },
    )?;
    let backup_ms = t.elapsed().as_millis();
    let backup_bytes = out.file.as_ref().map_or(0, |f| f.size);
    drop(app);
    // redb trims the file when it closes: this is the file age encrypts below.
    let store_bytes = std::fs::metadata(data.join(crate::app::STORE_FILE))?.len();

    let keys = DecryptWith::identity_file(&id_file)?;
    let t = Instant::now();
    let r = crate::backup::restore::restore(
        &RestoreOptions {
            from: target.clone(),
            to: dir.join("restored"),
            until_ms: None,
            seq: None,
            chain: None,
            force: false,
            progress: false,
        },
        &keys,
    )?;
    let restore_ms = t.elapsed().as_millis();
    let restored_bytes =
        std::fs::metadata(dir.join("restored").join(crate::app::STORE_FILE))?.len();

    // The practical limit: age over the raw store file.
    let raw = data.join(crate::app::STORE_FILE);
    let enc = dir.join("raw.redb.age");
    let age_enc_ms = timed(
        Command::new(age_bin)
            .arg("-r")
            .arg(&public)
            .arg("-o")
            .arg(&enc)
            .arg(&raw),
    )?;
    let age_dec_ms = timed(
        Command::new(age_bin)
            .arg("-d")
            .arg("-i")
            .arg(&id_file)
            .arg("-o")
            .arg(dir.join("raw-decrypted.redb"))
            .arg(&enc),
    )?;

    let tps = |ms: u128| n as f64 / (ms.max(1) as f64 / 1000.0);
    println!(
        "store file {:.1} MB (closed); backup file {:.1} MB",
        store_bytes as f64 / 1e6,
        backup_bytes as f64 / 1e6
    );
    println!("what            seconds   MB/s (backup bytes)   MB/s (store file)   tickets/s");
    for (what, ms) in [
        ("trygg backup", backup_ms),
        ("trygg restore", restore_ms),
        ("age -r raw", age_enc_ms),
        ("age -d raw", age_dec_ms),
    ] {
        println!(
            "{what:<14} {:>8.1} {:>21.1} {:>19.1} {:>11.0}",
            ms as f64 / 1000.0,
            mb(backup_bytes, ms),
            mb(store_bytes, ms),
            tps(ms)
        );
    }
    println!(
        "restored: {} rows, seq {}, file {:.1} MB",
        r.rows,
        r.seq,
        restored_bytes as f64 / 1e6
    );
    println!(
        "{}",
        serde_json::json!({
            "tickets": n, "raw_bytes": raw_bytes, "seed_ms": seed_ms, "store_bytes": store_bytes,
            "backup_ms": backup_ms, "backup_bytes": backup_bytes, "restore_ms": restore_ms,
            "restored_bytes": restored_bytes, "age_encrypt_ms": age_enc_ms, "age_decrypt_ms": age_dec_ms,
        })
    );
    Ok(())
}

/// `trygg bench audit`: see [`crate::audit::bench::run`].
fn bench_audit(views: usize, dir: Option<PathBuf>) -> Result<()> {
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("trygg-bench-{}", std::process::id()))
    });
    if dir.join(crate::app::STORE_FILE).exists() {
        return Err(Error::conflict(format!(
            "{} already holds a store; give an empty directory",
            dir.display()
        )));
    }
    let r = crate::audit::bench::run(&dir, views);
    let _ = std::fs::remove_dir_all(&dir);
    println!("{}", serde_json::to_string_pretty(&r?)?);
    Ok(())
}
