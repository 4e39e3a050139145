//! Damaged backups are always detected, with an error naming the file: truncated,
//! corrupted or removed files, a damaged manifest, and the wrong identity or passphrase.
//! Also point-in-time restore, the drill, passphrase mode and the admin page.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use trygg::backup::manifest::list_chains;
use trygg::store::Store;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    backup: PathBuf,
    identity: PathBuf,
    files: Vec<String>,
    manifest: String,
    seqs: Vec<u64>,
}

fn ok(args: &[&str]) -> serde_json::Value {
    let out = trygg(args);
    assert!(
        out.status.success(),
        "trygg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn mail(port: u16, i: u32) {
    let raw = format!(
        "From: Kund <kund{i}@example.org>\r\nTo: support@helpdesk.example.com\r\nSubject: Fr\u{e5}ga {i}\r\n\
         Message-ID: <tamper-{i}@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej {i}\r\n\
         --b\r\nContent-Type: application/pdf; name=f{i}.pdf\r\nContent-Disposition: attachment; filename=f{i}.pdf\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK{i:04}\r\n--b--\r\n"
    );
    let (code, text) = smtplib_send(
        port,
        "kund@example.org",
        &["support@helpdesk.example.com"],
        raw.as_bytes(),
    );
    assert_eq!(code, 250, "{text}");
}

/// A chain of a full backup, an incremental and a segment, with mail between them.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let data = root.join("data");
    let backup = root.join("backup");
    let identity = root.join("identity.txt");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let k = ok(&["backup", "keygen", "--out", &s(&identity), "--json"]);
    let public = k["public_key"].as_str().unwrap().to_string();
    ok(&[
        "backup",
        "configure",
        "--data",
        &s(&data),
        "--target",
        &s(&backup),
        "--recipient",
        &public,
        "--disable",
        "--json",
    ]);
    let server = Server::start(&data);
    mail(server.smtp, 1);
    ok(&["backup", "run", "--full", "--data", &s(&data), "--json"]);
    mail(server.smtp, 2);
    ok(&[
        "backup",
        "run",
        "--incremental",
        "--data",
        &s(&data),
        "--json",
    ]);
    mail(server.smtp, 3);
    mail(server.smtp, 4);
    ok(&["backup", "run", "--segment", "--data", &s(&data), "--json"]);
    drop(server);
    let m = list_chains(&backup).unwrap().pop().unwrap();
    assert_eq!(m.entries.len(), 3);
    Fixture {
        files: m.entries.iter().map(|e| e.file.clone()).collect(),
        seqs: m.entries.iter().map(|e| e.seq_to).collect(),
        manifest: format!("trygg-{}.manifest", m.chain),
        _dir: dir,
        root,
        data,
        backup,
        identity,
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A fresh copy of the backup directory.
fn copy(f: &Fixture, name: &str) -> PathBuf {
    let to = f.root.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(&f.backup).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    to
}

fn fails_naming(out: &Output, file: &str, code: i32, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: exit code; stderr: {err}"
    );
    assert!(
        err.contains(file),
        "{what}: error does not name {file}: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{what}: one line: {err}");
}

fn verify(dir: &Path, identity: Option<&Path>) -> Output {
    let mut args = vec![
        "backup".to_string(),
        "verify".into(),
        "--from".into(),
        s(dir),
    ];
    if let Some(i) = identity {
        args.push("--identity".into());
        args.push(s(i));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    trygg(&refs)
}

fn restore(f: &Fixture, dir: &Path, to: &str, identity: &Path) -> Output {
    trygg(&[
        "restore",
        "--from",
        &s(dir),
        "--identity",
        &s(identity),
        "--to",
        &s(&f.root.join(to)),
    ])
}

fn rewrite_manifest_line(dir: &Path, f: &Fixture, file: &str) {
    let meta = std::fs::metadata(dir.join(file)).unwrap();
    let bytes = std::fs::read(dir.join(file)).unwrap();
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    let mp = dir.join(&f.manifest);
    let text = std::fs::read_to_string(&mp).unwrap();
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if l.ends_with(file) {
                let mut p: Vec<String> = l.split(' ').map(str::to_string).collect();
                p[7] = meta.len().to_string();
                p[8] = sha.clone();
                p.join(" ")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&mp, out.join("\n") + "\n").unwrap();
}

#[test]
fn every_damaged_file_is_detected_and_named() {
    let f = fixture();
    // The intact set passes both checks and restores.
    ok(&["backup", "verify", "--from", &s(&f.backup), "--json"]);
    ok(&[
        "backup",
        "verify",
        "--from",
        &s(&f.backup),
        "--identity",
        &s(&f.identity),
        "--json",
    ]);

    for (i, file) in f.files.iter().enumerate() {
        // Truncated.
        let d = copy(&f, &format!("trunc{i}"));
        let len = std::fs::metadata(d.join(file)).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(d.join(file))
            .unwrap()
            .set_len(len / 2)
            .unwrap();
        fails_naming(&verify(&d, None), file, 2, "truncated, no key");
        fails_naming(
            &restore(&f, &d, &format!("r-trunc{i}"), &f.identity),
            file,
            2,
            "truncated, restore",
        );
        assert!(
            !f.root
                .join(format!("r-trunc{i}"))
                .join("trygg.redb")
                .exists(),
            "no half restore"
        );

        // Truncated, and the manifest "fixed" to match: only decryption can tell.
        rewrite_manifest_line(&d, &f, file);
        assert!(
            verify(&d, None).status.success(),
            "hashes match the altered manifest"
        );
        fails_naming(
            &verify(&d, Some(&f.identity)),
            file,
            2,
            "truncated + manifest, with key",
        );

        // One byte flipped in the middle.
        let d = copy(&f, &format!("flip{i}"));
        let mut b = std::fs::read(d.join(file)).unwrap();
        let mid = b.len() / 2;
        b[mid] ^= 0x40;
        std::fs::write(d.join(file), &b).unwrap();
        fails_naming(&verify(&d, None), file, 2, "corrupted, no key");
        rewrite_manifest_line(&d, &f, file);
        fails_naming(
            &verify(&d, Some(&f.identity)),
            file,
            2,
            "corrupted + manifest, with key",
        );
        fails_naming(
            &restore(&f, &d, &format!("r-flip{i}"), &f.identity),
            file,
            2,
            "corrupted, restore",
        );

        // Removed.
        let d = copy(&f, &format!("rm{i}"));
        std::fs::remove_file(d.join(file)).unwrap();
        fails_naming(&verify(&d, None), file, 3, "removed, no key");
        fails_naming(
            &restore(&f, &d, &format!("r-rm{i}"), &f.identity),
            file,
            3,
            "removed, restore",
        );
    }

    // The manifest itself: removed, corrupted, truncated mid-line, last line dropped.
    let d = copy(&f, "m-rm");
    std::fs::remove_file(d.join(&f.manifest)).unwrap();
    fails_naming(&verify(&d, None), &f.manifest, 3, "manifest removed");
    fails_naming(
        &restore(&f, &d, "r-m-rm", &f.identity),
        &f.manifest,
        3,
        "manifest removed, restore",
    );
    let d = copy(&f, "m-cut");
    let text = std::fs::read_to_string(d.join(&f.manifest)).unwrap();
    std::fs::write(d.join(&f.manifest), &text[..text.len() - 40]).unwrap();
    fails_naming(&verify(&d, None), &f.manifest, 2, "manifest cut mid-line");
    let d = copy(&f, "m-line");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(
        d.join(&f.manifest),
        lines[..lines.len() - 1].join("\n") + "\n",
    )
    .unwrap();
    fails_naming(
        &verify(&d, None),
        &f.files[2],
        2,
        "manifest lost its last line",
    );
    let d = copy(&f, "m-sha");
    let last = lines.last().unwrap();
    let mut fields: Vec<&str> = last.split(' ').collect();
    let zeros = "0".repeat(64);
    fields[8] = &zeros;
    std::fs::write(d.join(&f.manifest), text.replace(last, &fields.join(" "))).unwrap();
    fails_naming(&verify(&d, None), &f.files[2], 2, "manifest hash altered");

    // The wrong identity.
    let other = f.root.join("other-identity.txt");
    ok(&["backup", "keygen", "--out", &s(&other), "--json"]);
    fails_naming(
        &verify(&f.backup, Some(&other)),
        &f.files[0],
        5,
        "wrong identity, verify",
    );
    fails_naming(
        &restore(&f, &f.backup, "r-wrong", &other),
        &f.files[0],
        5,
        "wrong identity, restore",
    );
    let out = trygg(&[
        "backup",
        "drill",
        "--from",
        &s(&f.backup),
        "--identity",
        &s(&other),
    ]);
    fails_naming(&out, &f.files[0], 5, "wrong identity, drill");
}

#[test]
fn point_in_time_restore_drill_and_refusals() {
    let f = fixture();
    // Up to the incremental's last record: exactly that head.
    let out = ok(&[
        "restore",
        "--from",
        &s(&f.backup),
        "--identity",
        &s(&f.identity),
        "--to",
        &s(&f.root.join("pit")),
        "--seq",
        &f.seqs[1].to_string(),
        "--json",
    ]);
    assert_eq!(out["seq"].as_u64(), Some(f.seqs[1]));
    let st = Store::open(&f.root.join("pit").join("trygg.redb")).unwrap();
    assert_eq!(st.head_seq().unwrap(), f.seqs[1]);
    drop(st);
    // Tickets 1 and 2 are there, 3 and 4 are not.
    let list = ticket_list(&f.root.join("pit"));
    assert_eq!(list.as_array().unwrap().len(), 2);

    // A non-empty data directory is refused without --force, replaced with it.
    let again = trygg(&[
        "restore",
        "--from",
        &s(&f.backup),
        "--identity",
        &s(&f.identity),
        "--to",
        &s(&f.root.join("pit")),
    ]);
    assert_eq!(
        again.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    ok(&[
        "restore",
        "--from",
        &s(&f.backup),
        "--identity",
        &s(&f.identity),
        "--to",
        &s(&f.root.join("pit")),
        "--force",
        "--json",
    ]);
    // Compare before listing: a list is audited, so it writes to the store it reads.
    let orig = Store::open(&f.data.join("trygg.redb")).unwrap();
    let rest = Store::open(&f.root.join("pit").join("trygg.redb")).unwrap();
    assert_eq!(
        without_backup_audit(orig.dump().unwrap(), &rest),
        rest.dump().unwrap()
    );
    drop((orig, rest));
    assert_eq!(
        ticket_list(&f.root.join("pit")).as_array().unwrap().len(),
        4
    );

    // Point in time before the first mail after the full backup: the full's state only.
    let m = list_chains(&f.backup).unwrap().pop().unwrap();
    let until = m.entries[0].seq_to_ts_ms.to_string();
    let out = ok(&[
        "restore",
        "--from",
        &s(&f.backup),
        "--identity",
        &s(&f.identity),
        "--to",
        &s(&f.root.join("pit2")),
        "--until",
        &until,
        "--json",
    ]);
    assert!(out["seq"].as_u64().unwrap() >= f.seqs[0] && out["seq"].as_u64().unwrap() < f.seqs[2]);

    // The drill: JSON report, saved next to the backups.
    let rep = ok(&[
        "backup",
        "drill",
        "--from",
        &s(&f.backup),
        "--identity",
        &s(&f.identity),
        "--json",
    ]);
    assert_eq!(rep["ok"], true, "{rep}");
    assert_eq!(rep["tickets"], 4);
    assert_eq!(rep["articles"], 4);
    assert_eq!(rep["recovered_seq"].as_u64(), Some(f.seqs[2]));
    assert!(rep["rpo_ms"].as_i64().unwrap() >= 0);
    let checks = rep["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c["name"] == "row counts" && c["ok"] == true)
    );
    let saved = std::fs::read_dir(&f.backup)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("drill-")
        })
        .count();
    assert_eq!(saved, 1);
    let status = ok(&["backup", "status", "--data", &s(&f.data), "--json"]);
    assert_eq!(status["drills"].as_array().unwrap().len(), 1);

    // A drill on a damaged set fails, naming the file.
    let d = copy(&f, "drill-bad");
    let mut b = std::fs::read(d.join(&f.files[1])).unwrap();
    let n = b.len() - 30;
    b[n] ^= 1;
    std::fs::write(d.join(&f.files[1]), &b).unwrap();
    rewrite_manifest_line(&d, &f, &f.files[1]);
    let out = trygg(&[
        "backup",
        "drill",
        "--from",
        &s(&d),
        "--identity",
        &s(&f.identity),
    ]);
    fails_naming(&out, &f.files[1], 2, "drill on damaged backup");
}

#[test]
fn passphrase_mode_round_trips_and_refuses_a_wrong_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = dir.path().join("backup");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let pf = write_file(dir.path(), "pass", b"correct horse battery staple\n");
    let wrong = write_file(dir.path(), "wrong", b"incorrect horse battery staple\n");
    ok(&[
        "backup",
        "configure",
        "--data",
        &s(&data),
        "--target",
        &s(&backup),
        "--passphrase-file",
        &s(&pf),
        "--disable",
        "--json",
    ]);
    let st = ok(&["backup", "status", "--data", &s(&data), "--json"]);
    assert_eq!(st["settings"]["passphrase_mode"], true);
    assert!(
        !st.to_string().contains("correct horse"),
        "status never shows the passphrase"
    );
    ok(&["backup", "run", "--full", "--data", &s(&data), "--json"]);
    ok(&[
        "backup",
        "verify",
        "--from",
        &s(&backup),
        "--passphrase-file",
        &s(&pf),
        "--json",
    ]);
    let out = trygg(&[
        "backup",
        "verify",
        "--from",
        &s(&backup),
        "--passphrase-file",
        &s(&wrong),
    ]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(&[
        "restore",
        "--from",
        &s(&backup),
        "--passphrase-file",
        &s(&pf),
        "--to",
        &s(&dir.path().join("r")),
        "--json",
    ]);
    let a = Store::open(&data.join("trygg.redb")).unwrap();
    let b = Store::open(&dir.path().join("r").join("trygg.redb")).unwrap();
    assert_eq!(
        without_backup_audit(a.dump().unwrap(), &b),
        b.dump().unwrap()
    );
}

#[test]
fn cli_refuses_bad_settings_and_missing_chains_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let bad = trygg(&[
        "backup",
        "configure",
        "--data",
        &s(&data),
        "--target",
        "/x",
        "--recipient",
        "age1nope",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("age1nope"));
    let rel = trygg(&[
        "backup",
        "configure",
        "--data",
        &s(&data),
        "--target",
        "relative/dir",
    ]);
    assert_eq!(rel.status.code(), Some(2));
    let none = trygg(&["backup", "run", "--incremental", "--data", &s(&data)]);
    assert_eq!(
        none.status.code(),
        Some(2),
        "not configured: {}",
        String::from_utf8_lossy(&none.stderr)
    );
    // The configured target vanished (NAS not mounted): an error, not a new directory.
    let gone = dir.path().join("nas").join("trygg");
    let id0 = dir.path().join("id0.txt");
    let k = ok(&["backup", "keygen", "--out", &s(&id0), "--json"]);
    ok(&[
        "backup",
        "configure",
        "--data",
        &s(&data),
        "--target",
        &s(&gone),
        "--recipient",
        k["public_key"].as_str().unwrap(),
        "--disable",
    ]);
    std::fs::remove_dir(&gone).unwrap();
    let out = trygg(&["backup", "run", "--full", "--data", &s(&data)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    assert!(!gone.exists());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let id = dir.path().join("id.txt");
    ok(&["backup", "keygen", "--out", &s(&id), "--json"]);
    let again = trygg(&["backup", "keygen", "--out", &s(&id)]);
    assert_eq!(
        again.status.code(),
        Some(4),
        "keygen never overwrites an identity"
    );
    let v = trygg(&["backup", "verify", "--from", &s(&empty)]);
    assert_eq!(v.status.code(), Some(3));
    let r = trygg(&[
        "restore",
        "--from",
        &s(&empty),
        "--identity",
        &s(&id),
        "--to",
        &s(&dir.path().join("r")),
    ]);
    assert_eq!(r.status.code(), Some(3));
}

#[test]
#[ignore = "interop: needs curl; run by .ci/run"]
fn admin_page_shows_chains_and_drills_and_saves_the_schedule() {
    let f = fixture();
    ok(&[
        "backup",
        "drill",
        "--from",
        &s(&f.backup),
        "--identity",
        &s(&f.identity),
        "--json",
    ]);
    let server = Server::start(&f.data);
    let jar = f.root.join("cookies");
    let base = server.base_url();
    // Not signed in: to the login page.
    let (st, _) = curl(&jar, &[&format!("{base}/admin/backup")]);
    assert_eq!(st, 303);
    let (_, page) = curl(&jar, &[&format!("{base}/login")]);
    let csrf = hidden(&page, "csrf");
    let (st, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            &format!("email={ADMIN}"),
            "--data-urlencode",
            &format!("password={ADMIN_PW}"),
            "--data-urlencode",
            &format!("csrf={csrf}"),
            &format!("{base}/login"),
        ],
    );
    assert_eq!(st, 303);
    let (st, page) = curl(&jar, &[&format!("{base}/admin/backup?lang=sv")]);
    assert_eq!(st, 200, "{page}");
    let chain = list_chains(&f.backup).unwrap().pop().unwrap().chain;
    assert!(page.contains(&chain), "chain listed");
    assert!(
        page.contains("godkänd"),
        "the drill report is shown (Swedish)"
    );
    let csrf = hidden(&page, "csrf");
    let id_text = std::fs::read_to_string(&f.identity).unwrap();
    let public = id_text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap()
        .to_string();
    // A POST without the token is refused and changes nothing.
    let (st, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            "ship_every_secs=5",
            "-H",
            &format!("Origin: {base}"),
            &format!("{base}/admin/backup"),
        ],
    );
    assert_eq!(st, 403);
    let form = |ship: &str| {
        vec![
            "--data-urlencode".to_string(),
            format!("csrf={csrf}"),
            "--data-urlencode".into(),
            format!("target={}", s(&f.backup)),
            "--data-urlencode".into(),
            format!("recipients={public}"),
            "--data-urlencode".into(),
            "passphrase=".into(),
            "--data-urlencode".into(),
            "full_every_days=7".into(),
            "--data-urlencode".into(),
            "incremental_every_hours=12".into(),
            "--data-urlencode".into(),
            format!("ship_every_secs={ship}"),
            "--data-urlencode".into(),
            "keep_chains=2".into(),
            "-H".into(),
            format!("Origin: {base}"),
            format!("{base}/admin/backup"),
        ]
    };
    // Too short an interval: refused with a message, nothing saved.
    let args = form("1");
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (st, page) = curl(&jar, &refs);
    assert_eq!(st, 400, "{page}");
    let args = form("5");
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (st, page) = curl(&jar, &refs);
    assert_eq!(st, 200, "{page}");
    let status = ok(&["backup", "status", "--data", &s(&f.data), "--json"]);
    assert_eq!(status["settings"]["ship_every_secs"], 5);
    assert_eq!(status["settings"]["full_every_days"], 7);
    assert_eq!(
        status["settings"]["enabled"], false,
        "checkbox not sent: schedule off"
    );
    assert_eq!(status["settings"]["recipients"][0], public.as_str());
}

#[test]
fn retention_keeps_the_newest_chains_and_the_log_is_truncated_only_after_backup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let backup = dir.path().join("backup");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let id = dir.path().join("id.txt");
    let k = ok(&["backup", "keygen", "--out", &s(&id), "--json"]);
    ok(&[
        "backup",
        "configure",
        "--data",
        &s(&data),
        "--target",
        &s(&backup),
        "--recipient",
        k["public_key"].as_str().unwrap(),
        "--keep-chains",
        "2",
        "--disable",
    ]);
    let before = ok(&["backup", "status", "--data", &s(&data), "--json"]);
    assert_eq!(
        before["log_first_seq"], 1,
        "nothing truncated before a backup"
    );
    // Another installation shares the target: retention must never touch its chain.
    let other = dir.path().join("other");
    setup(&other, &["support@helpdesk.example.com"], &[]);
    ok(&[
        "backup",
        "configure",
        "--data",
        &s(&other),
        "--recipient",
        k["public_key"].as_str().unwrap(),
        "--disable",
    ]);
    let foreign = ok(&[
        "backup",
        "run",
        "--full",
        "--data",
        &s(&other),
        "--to",
        &s(&backup),
        "--json",
    ]);
    let foreign = foreign["chain"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = ok(&["backup", "run", "--full", "--data", &s(&data), "--json"]);
        ids.push(r["chain"].as_str().unwrap().to_string());
        // A change between the fulls (a logged settings write).
        ok(&[
            "backup",
            "configure",
            "--data",
            &s(&data),
            "--full-every-days",
            &(10 + i).to_string(),
        ]);
    }
    let left: Vec<String> = list_chains(&backup)
        .unwrap()
        .into_iter()
        .map(|m| m.chain)
        .collect();
    let mut want = vec![foreign.clone()];
    want.extend(ids[1..].iter().cloned());
    assert_eq!(
        left, want,
        "ours beyond two deleted, the other installation's kept"
    );
    let files = std::fs::read_dir(&backup).unwrap().count();
    assert_eq!(files, 6, "three chains of one file and one manifest each");
    ok(&[
        "backup",
        "verify",
        "--from",
        &s(&backup),
        "--identity",
        &s(&id),
    ]);
    let st = ok(&["backup", "status", "--data", &s(&data), "--json"]);
    let wm = st["watermarks"]["backup"].as_u64().unwrap();
    let head = st["head_seq"].as_u64().unwrap();
    assert!(wm < head, "the last configure is not backed up yet");
    assert_eq!(
        st["log_first_seq"].as_u64().unwrap(),
        wm,
        "truncated up to the watermark, head record kept"
    );
    // The records after the watermark go into the next incremental.
    let inc = ok(&[
        "backup",
        "run",
        "--incremental",
        "--data",
        &s(&data),
        "--json",
    ]);
    assert_eq!(inc["file"]["seq_from"].as_u64(), Some(wm + 1));
    assert_eq!(inc["file"]["seq_to"].as_u64(), Some(head));
}

/// `orig` without what a backup run writes after its own files, which the backup therefore
/// cannot contain: the run's audit record and the list of chains this installation started
/// (taken from the restore's side as it is), so it can be compared with a restore.
fn without_backup_audit(
    mut orig: std::collections::BTreeMap<(u8, Vec<u8>), Vec<u8>>,
    restored: &Store,
) -> std::collections::BTreeMap<(u8, Vec<u8>), Vec<u8>> {
    let audit = trygg::store::Table::Audit.id();
    let chains_key = (
        trygg::store::Table::Settings.id(),
        b"backup_chains".to_vec(),
    );
    let rest = restored.dump().unwrap();
    orig.retain(|k, v| {
        k.0 != audit
            || rest.contains_key(k)
            || !v.windows(b"backup.run".len()).any(|w| w == b"backup.run")
    });
    orig.remove(&chains_key);
    if let Some(v) = rest.get(&chains_key) {
        orig.insert(chains_key, v.clone());
    }
    orig
}

/// A chain must open with one key: after the admin changes the recipient (key rotation),
/// the next segment or incremental starts a new chain with a full backup under the new
/// key, so the newest chain restores with the new identity alone.
#[test]
fn a_new_key_starts_a_new_chain() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let target = dir.path().join("bk");
    std::fs::create_dir(&target).unwrap();
    let (id_a, id_b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    let ka = ok(&["backup", "keygen", "--out", &s(&id_a), "--json"]);
    let kb = ok(&["backup", "keygen", "--out", &s(&id_b), "--json"]);
    let configure = |key: &serde_json::Value| {
        ok(&[
            "backup",
            "configure",
            "--data",
            &s(&data),
            "--target",
            &s(&target),
            "--recipient",
            key["public_key"].as_str().unwrap(),
            "--disable",
        ]);
    };
    configure(&ka);
    let full = ok(&["backup", "run", "--full", "--data", &s(&data), "--json"]);
    assert_eq!(full["kind"], "full", "{full}");
    configure(&kb);
    // Something to back up, written through the store's ordinary path.
    let m = trygg(&["mail-rules", "set", "--data", &s(&data), "--autoack", "on"]);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    let seg = ok(&["backup", "run", "--segment", "--data", &s(&data), "--json"]);
    assert_eq!(
        seg["kind"], "full",
        "a new chain, not a segment of the old: {seg}"
    );
    assert_ne!(seg["chain"], full["chain"]);
    // The flag is spent: the next segment joins the new chain.
    let m = trygg(&["mail-rules", "set", "--data", &s(&data), "--autoack", "off"]);
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    let next = ok(&["backup", "run", "--segment", "--data", &s(&data), "--json"]);
    assert_eq!(next["kind"], "segment", "{next}");
    assert_eq!(next["chain"], seg["chain"]);
    let r = trygg(&[
        "restore",
        "--from",
        &s(&target),
        "--identity",
        &s(&id_b),
        "--to",
        &s(&dir.path().join("restored")),
    ]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "the newest chain restores with the new key alone: {}",
        String::from_utf8_lossy(&r.stderr)
    );
}
