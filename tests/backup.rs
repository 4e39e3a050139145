//! Backups proven to restore: mail is ingested continuously over SMTP (Python smtplib)
//! while the schedule ships log segments and the CLI takes full and incremental backups
//! through the control socket; the server is killed with SIGKILL; the backups are restored
//! into a new directory and compared with the original store.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use trygg::backup::manifest::{Manifest, list_chains};
use trygg::store::{Reader, Store, Table};

fn run_ok(args: &[&str]) -> serde_json::Value {
    let out = trygg(args);
    assert!(
        out.status.success(),
        "trygg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn chains(dir: &Path) -> Vec<Manifest> {
    list_chains(dir).unwrap_or_default()
}

fn segments_in_newest(dir: &Path) -> usize {
    chains(dir).last().map_or(0, |m| {
        m.entries
            .iter()
            .filter(|e| e.kind == trygg::backup::format::Kind::Segment)
            .count()
    })
}

fn ticket_count(data: &Path) -> usize {
    ticket_list(data).as_array().map_or(0, |a| a.len())
}

#[test]
fn continuous_ingest_backups_kill_restore_equals_original() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let target = dir.path().join("backup");
    let id = dir.path().join("identity.txt");
    let d = data.display().to_string();
    let tg = target.display().to_string();
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let k = run_ok(&[
        "backup",
        "keygen",
        "--out",
        &id.display().to_string(),
        "--json",
    ]);
    let public = k["public_key"].as_str().unwrap().to_string();
    run_ok(&[
        "backup",
        "configure",
        "--data",
        &d,
        "--target",
        &tg,
        "--recipient",
        &public,
        "--ship-every-secs",
        "2",
        "--json",
    ]);
    let mut server = Server::start(&data);

    // The schedule takes the first full backup by itself.
    assert!(
        wait_for(60, || (!chains(&target).is_empty()).then_some(())).is_some(),
        "no scheduled full backup: {}",
        server.log_text()
    );

    // An independent client sends mail; it prints each Message-ID with the time of its 250.
    let script = r#"
import smtplib, sys, time
port = int(sys.argv[1])
s = smtplib.SMTP('127.0.0.1', port, timeout=30)
s.ehlo('backup.example.org')
for i in range(100000):
    mid = 'bk-%d@client.example.org' % i
    msg = ('From: Kund %d <kund%d@example.org>\r\nTo: support@helpdesk.example.com\r\n'
           'Subject: Backupfr\xe5ga %d\r\nMessage-ID: <%s>\r\n'
           'Content-Type: text/plain; charset=utf-8\r\n\r\nHej, fr\xe5ga %d.\r\n'
           % (i, i % 11, i, mid, i)).encode('utf-8')
    try:
        s.mail('kund@example.org')
        s.rcpt('support@helpdesk.example.com')
        code, _ = s.data(msg)
    except Exception:
        break
    if code == 250:
        print(mid, int(time.time() * 1000), flush=True)
"#;
    let mut client = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(server.smtp.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let stdout = client.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });

    // While mail flows: a full backup (new chain) and an incremental through the control
    // socket, and shipped segments from the schedule.
    assert!(wait_for(60, || (ticket_count(&data) >= 10).then_some(())).is_some());
    let full = run_ok(&["backup", "run", "--full", "--data", &d, "--json"]);
    assert_eq!(full["kind"], "full");
    assert!(wait_for(60, || (ticket_count(&data) >= 30).then_some(())).is_some());
    let inc = run_ok(&["backup", "run", "--incremental", "--data", &d, "--json"]);
    assert_eq!(inc["kind"], "incremental");
    assert_eq!(
        inc["skipped"], false,
        "mail kept coming, so the incremental has records"
    );
    assert!(
        wait_for(120, || (segments_in_newest(&target) >= 2).then_some(())).is_some(),
        "no shipped segments: {}",
        server.log_text()
    );
    server.kill9();
    let _ = client.wait();
    let acked: Vec<(String, i64)> = reader
        .join()
        .unwrap()
        .iter()
        .filter_map(|l| {
            let (m, t) = l.split_once(' ')?;
            Some((m.to_string(), t.parse().ok()?))
        })
        .collect();
    assert!(acked.len() >= 30);

    let all = chains(&target);
    assert!(all.len() >= 2, "scheduled chain plus the CLI's full backup");
    let newest = all.last().unwrap();
    assert_eq!(newest.chain, full["chain"].as_str().unwrap());
    let last = newest.last().unwrap().clone();
    let shipped_seq = last.seq_to;

    // Integrity without the key, then with it.
    run_ok(&["backup", "verify", "--from", &tg, "--json"]);
    run_ok(&[
        "backup",
        "verify",
        "--from",
        &tg,
        "--identity",
        &id.display().to_string(),
        "--json",
    ]);

    // Restore into a new directory.
    let restored = dir.path().join("restored");
    let r = run_ok(&[
        "restore",
        "--from",
        &tg,
        "--identity",
        &id.display().to_string(),
        "--to",
        &restored.display().to_string(),
        "--json",
    ]);
    assert_eq!(r["seq"].as_u64(), Some(shipped_seq));

    let orig = Store::open(&data.join("trygg.redb")).unwrap();
    let rest = Store::open(&restored.join("trygg.redb")).unwrap();
    assert_eq!(rest.head_seq().unwrap(), shipped_seq);

    // The original's log after the last shipped record is still there (never truncated
    // past what is safely backed up).
    let tail = orig.changes_since(shipped_seq + 1, usize::MAX).unwrap();
    assert_eq!(
        tail.first().map_or(orig.head_seq().unwrap() + 1, |r| r.seq),
        shipped_seq + 1
    );
    assert!(orig.log_first_seq().unwrap() <= shipped_seq + 1);
    let tail_ids: HashSet<Vec<u8>> = tail
        .iter()
        .flat_map(|r| r.ops.iter())
        .filter(|o| o.table == Table::MessageIds.id())
        .map(|o| o.key.clone())
        .collect();

    // Every message acknowledged before the last shipped transaction began is restored;
    // every acknowledged message is either restored or in the unshipped tail.
    let mut before = 0;
    for (mid, ack_ms) in &acked {
        let in_restored = rest
            .read(|r| r.get(Table::MessageIds, mid.as_bytes()))
            .unwrap()
            .is_some();
        if *ack_ms < last.seq_to_ts_ms {
            before += 1;
            assert!(
                in_restored,
                "{mid} acknowledged before the last shipped segment but not restored"
            );
        }
        assert!(
            in_restored || tail_ids.contains(mid.as_bytes()),
            "{mid} acknowledged but neither restored nor in the original's log"
        );
    }
    assert!(
        before >= 30,
        "only {before} messages before the last segment"
    );

    // Logical content: the restored store plus the original's unshipped records equals
    // the original; when nothing followed the last segment, the stores are equal as is.
    for rec in &tail {
        rest.apply_change(rec).unwrap();
    }
    assert_eq!(rest.dump().unwrap(), orig.dump().unwrap());
    eprintln!(
        "backup: {} acknowledged, {before} before the last segment, shipped seq {shipped_seq}, {} unshipped records",
        acked.len(),
        tail.len()
    );
}

#[test]
fn server_ships_the_last_segment_at_shutdown_and_restores_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let target = dir.path().join("backup");
    let id = dir.path().join("identity.txt");
    let d = data.display().to_string();
    let tg = target.display().to_string();
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let k = run_ok(&[
        "backup",
        "keygen",
        "--out",
        &id.display().to_string(),
        "--json",
    ]);
    let public = k["public_key"].as_str().unwrap().to_string();
    // Shipping every hour: only the shutdown ships the segment.
    run_ok(&[
        "backup",
        "configure",
        "--data",
        &d,
        "--target",
        &tg,
        "--recipient",
        &public,
        "--ship-every-secs",
        "3600",
        "--json",
    ]);
    let mut server = Server::start(&data);
    assert!(wait_for(60, || (!chains(&target).is_empty()).then_some(())).is_some());
    for i in 0..5 {
        let raw = format!(
            "From: <k{i}@example.org>\r\nTo: support@helpdesk.example.com\r\nSubject: Avslut {i}\r\nMessage-ID: <stop-{i}@example.org>\r\n\r\nHej\r\n"
        );
        let (code, _) = smtplib_send(
            server.smtp,
            "k@example.org",
            &["support@helpdesk.example.com"],
            raw.as_bytes(),
        );
        assert_eq!(code, 250);
    }
    // SIGTERM: a clean stop ships what is new.
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let _ = server.child.wait();
    let orig = Store::open(&data.join("trygg.redb")).unwrap();
    let head = orig.head_seq().unwrap();
    let m = chains(&target).pop().unwrap();
    assert_eq!(
        m.last().unwrap().seq_to,
        head,
        "shutdown shipped up to the head"
    );
    let restored = dir.path().join("restored");
    run_ok(&[
        "restore",
        "--from",
        &tg,
        "--identity",
        &id.display().to_string(),
        "--to",
        &restored.display().to_string(),
        "--json",
    ]);
    let rest = Store::open(&restored.join("trygg.redb")).unwrap();
    assert_eq!(rest.dump().unwrap(), orig.dump().unwrap());
    // The log was truncated up to what is safely in the backup (keeping the head record).
    assert_eq!(orig.log_first_seq().unwrap(), head);
}
