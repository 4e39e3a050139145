//! IMAP fetch against a real Dovecot started by the test (`testing/dovecot-test.sh`):
//! every message becomes a ticket once, a message without Message-ID and an oversized one
//! never stop the batch (the big one is quarantined and shown to the admin), `\Seen` is set
//! only on messages already stored (checked after killing trygg mid-batch), a restart and a
//! full re-fetch duplicate nothing, IDLE brings new mail without polling, and STARTTLS with
//! "move to folder" works. The account is configured through the admin page over HTTPS.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const PW: &str = "Test-Passw0rd";

/// A throwaway Dovecot, stopped on drop.
struct Dovecot {
    dir: PathBuf,
    imap: u16,
    imaps: u16,
}

impl Dovecot {
    fn start(dir: &Path) -> Dovecot {
        let imap = free_port();
        let imaps = free_port();
        let st = Command::new("bash")
            .arg(script())
            .args(["start", &dir.display().to_string()])
            .args([imap.to_string(), imaps.to_string()])
            .status()
            .expect("dovecot-test.sh");
        assert!(st.success(), "dovecot did not start");
        Dovecot {
            dir: dir.to_path_buf(),
            imap,
            imaps,
        }
    }
    fn seed(&self, user: &str, files: &[PathBuf]) {
        let st = Command::new("bash")
            .arg(script())
            .args(["seed", &self.dir.display().to_string(), user])
            .args(files)
            .status()
            .unwrap();
        assert!(st.success(), "seeding failed");
    }
    fn ca(&self) -> String {
        self.dir.join("tls/ca.crt").display().to_string()
    }
    /// `folder` of `user` as seen by Python's imaplib: subject → flags.
    fn messages(&self, user: &str, folder: &str) -> BTreeMap<String, String> {
        let code = r#"
import imaplib, json, ssl, sys, email
port, user, pw, ca, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
m = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx)
m.login(user, pw)
typ, _ = m.select(folder, readonly=True)
out = {}
if typ == 'OK':
    typ, data = m.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
    for item in data:
        if isinstance(item, tuple):
            flags = item[0].decode()
            subj = email.message_from_bytes(item[1]).get('Subject', '')
            out[subj] = flags
print(json.dumps(out))
m.logout()
"#;
        let out = Command::new(python())
            .args(["-c", code])
            .arg(self.imaps.to_string())
            .args([user, PW, &self.ca(), folder])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .args(["stop", &self.dir.display().to_string()])
            .status();
    }
}

fn script() -> PathBuf {
    shared().join("testing/dovecot-test.sh")
}

fn attr(body: &str, pat: &str) -> Option<String> {
    let i = body.find(pat)?;
    Some(body[i + pat.len()..].split('"').next()?.to_string())
}

/// Signs in as the admin; returns the CSRF token of the session.
fn login(jar: &Path, base: &str) -> String {
    let (_, page) = curl(jar, &[&format!("{base}/login")]);
    let csrf = attr(&page, "name=\"csrf\" value=\"").unwrap();
    let (st, _) = curl(
        jar,
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
    let (st, page) = curl(jar, &[&format!("{base}/admin/imap")]);
    assert_eq!(st, 200, "{page}");
    attr(&page, "name=\"csrf\" value=\"").unwrap()
}

fn add_account(jar: &Path, base: &str, csrf: &str, fields: &[(&str, &str)]) {
    let mut args: Vec<String> = vec!["--data-urlencode".into(), format!("csrf={csrf}")];
    for (k, v) in fields {
        args.push("--data-urlencode".into());
        args.push(format!("{k}={v}"));
    }
    args.push(format!("{base}/admin/imap"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (st, page) = curl(jar, &refs);
    assert_eq!(st, 303, "account not added: {page}");
}

/// `(fetched, imported, duplicates, quarantined)` of the first account card on the page
/// whose heading contains `user`, and the number of new quarantine items.
fn counts(jar: &Path, base: &str, user: &str) -> ((u64, u64, u64, u64), u64, bool) {
    let (_, page) = curl(jar, &[&format!("{base}/admin/imap")]);
    let start = page
        .find(&format!("<h2>{user}"))
        .and_then(|h| page[..h].rfind("<section"))
        .unwrap_or_else(|| panic!("no account {user}: {page}"));
    let card = &page[start..];
    let n = |k: &str| -> u64 {
        attr(card, &format!("data-{k}=\""))
            .unwrap()
            .parse()
            .unwrap()
    };
    let q: u64 = attr(&page, "id=\"quarantine\" data-count=\"")
        .unwrap()
        .parse()
        .unwrap();
    let reconciled = attr(card, "data-reconciled=\"").as_deref() == Some("true");
    (
        (
            n("fetched"),
            n("imported"),
            n("duplicates"),
            n("quarantined"),
        ),
        q,
        reconciled,
    )
}

fn subjects(data: &Path) -> Vec<String> {
    ticket_list(data)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap().to_string())
        .collect()
}

fn write_msg(
    dir: &Path,
    name: &str,
    subject: &str,
    message_id: Option<&str>,
    body: &str,
) -> PathBuf {
    let mut m = format!(
        "From: Kund <kund@example.org>\r\nTo: support@trygg.test\r\nSubject: {subject}\r\n\
         Date: Mon, 3 Mar 2025 09:00:00 +0100\r\n"
    );
    if let Some(id) = message_id {
        m.push_str(&format!("Message-ID: <{id}>\r\n"));
    }
    m.push_str("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    m.push_str(body);
    m.push_str("\r\n");
    write_file(dir, name, m.as_bytes())
}

#[test]
#[ignore = "interop: needs dovecot, curl and python3; run by .ci/run"]
fn imap_fetch_imports_everything_once_and_flags_only_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = std::fs::metadata(dir.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o755);
    std::fs::set_permissions(dir.path(), p).unwrap();
    let dove = Dovecot::start(&dir.path().join("imap"));
    let msgs = dir.path().join("msgs");
    std::fs::create_dir(&msgs).unwrap();

    // 120 ordinary messages, one without Message-ID, one with an empty one (`<>`), one over
    // the 20000-octet limit.
    let mut files = Vec::new();
    for i in 0..120 {
        files.push(write_msg(
            &msgs,
            &format!("m{i}.eml"),
            &format!("msg {i:03}"),
            Some(&format!("m{i}@example.org")),
            "Hej! Skrivaren fungerar inte.",
        ));
    }
    files.insert(
        10,
        write_msg(&msgs, "noid.eml", "no message id", None, "Utan Message-ID."),
    );
    files.insert(
        15,
        write_msg(
            &msgs,
            "emptyid.eml",
            "empty message id",
            Some(""),
            "Tom Message-ID.",
        ),
    );
    files.insert(
        20,
        write_msg(
            &msgs,
            "big.eml",
            "too big",
            Some("big@example.org"),
            &"x".repeat(998).repeat(40).chars().collect::<String>(),
        ),
    );
    dove.seed("support@trygg.test", &files);
    let expected: BTreeSet<String> = (0..120)
        .map(|i| format!("msg {i:03}"))
        .chain(["no message id".to_string(), "empty message id".to_string()])
        .collect();

    let data = dir.path().join("data");
    setup(&data, &["support@trygg.test", "sales@trygg.test"], &[]);
    let mut server = Server::start(&data);
    let jar = dir.path().join("jar");
    let base = server.base_url();
    let csrf = login(&jar, &base);
    let imaps = dove.imaps.to_string();
    let ca = dove.ca();
    add_account(
        &jar,
        &base,
        &csrf,
        &[
            ("host", "127.0.0.1"),
            ("port", &imaps),
            ("tls", "implicit"),
            ("ca_file", &ca),
            ("username", "support@trygg.test"),
            ("password", PW),
            ("folder", "INBOX"),
            ("mailbox", "support@trygg.test"),
            ("max_size", "20000"),
            ("poll_secs", "3600"),
        ],
    );

    // Kill trygg (SIGKILL) in the middle of the batch.
    let some = wait_for(120, || (subjects(&data).len() >= 15).then_some(()));
    assert!(some.is_some(), "no import started: {}", server.log_text());
    server.kill9();
    let stored: BTreeSet<String> = subjects(&data).into_iter().collect();
    let on_server = dove.messages("support@trygg.test", "INBOX");
    assert_eq!(on_server.len(), 123);
    for (subject, flags) in &on_server {
        if flags.contains("\\Seen") && subject != "too big" {
            assert!(
                stored.contains(subject),
                "{subject} is \\Seen on the server but not stored"
            );
        }
    }

    // Restart: the rest arrives, nothing twice.
    let server = Server::start(&data);
    let base = server.base_url();
    let jar = dir.path().join("jar2");
    let csrf = login(&jar, &base);
    let all = wait_for(180, || {
        let s = subjects(&data);
        (s.len() >= expected.len()).then_some(s)
    })
    .unwrap_or_else(|| panic!("not all imported: {}", server.log_text()));
    let unique: BTreeSet<String> = all.iter().cloned().collect();
    assert_eq!(all.len(), unique.len(), "duplicates: {all:?}");
    assert_eq!(unique, expected);
    // The oversized one is quarantined and alerted; all are \Seen now.
    let done = wait_for(60, || {
        let (c, q, ok) = counts(&jar, &base, "support@trygg.test");
        (c.3 >= 1 && q >= 1 && ok).then_some(c)
    });
    assert!(done.is_some(), "quarantine not shown");
    let (_, page) = curl(&jar, &[&format!("{base}/admin/imap")]);
    assert!(page.contains("quarantine-alert"), "{page}");
    let (_, metrics) = curl(&jar, &[&format!("{base}/metrics")]);
    assert!(metrics.contains("trygg_quarantine_waiting 1"), "{metrics}");
    assert!(page.contains("too big"), "{page}");
    let on_server = dove.messages("support@trygg.test", "INBOX");
    assert!(
        on_server.values().all(|f| f.contains("\\Seen")),
        "{on_server:?}"
    );

    // IDLE: a new message arrives without waiting for the hour-long poll interval.
    dove.seed(
        "support@trygg.test",
        &[write_msg(
            &msgs,
            "late.eml",
            "late arrival",
            Some("late@example.org"),
            "Hej igen.",
        )],
    );
    let late = wait_for(60, || {
        subjects(&data)
            .contains(&"late arrival".to_string())
            .then_some(())
    });
    assert!(
        late.is_some(),
        "IDLE did not deliver: {}",
        server.log_text()
    );

    // UIDVALIDITY changes (the provider rebuilt the folder): everything is fetched again and
    // recognised; only the new message makes a ticket.
    let ((_, _, dup0, _), _, _) = counts(&jar, &base, "support@trygg.test");
    let st = Command::new("doveadm")
        .arg("-c")
        .arg(dove.dir.join("dovecot.conf"))
        .args([
            "mailbox",
            "update",
            "-u",
            "support@trygg.test",
            "--uid-validity",
            "4242",
            "INBOX",
        ])
        .status()
        .unwrap();
    assert!(st.success(), "doveadm mailbox update");
    dove.seed(
        "support@trygg.test",
        &[write_msg(
            &msgs,
            "after.eml",
            "after uidvalidity change",
            Some("after@example.org"),
            "Hej.",
        )],
    );
    let rebuilt = wait_for(120, || {
        let (c, _, ok) = counts(&jar, &base, "support@trygg.test");
        (subjects(&data).contains(&"after uidvalidity change".to_string())
            && c.2 >= dup0 + 122
            && ok)
            .then_some(())
    });
    assert!(
        rebuilt.is_some(),
        "UIDVALIDITY change not handled: {}",
        server.log_text()
    );
    let all = subjects(&data);
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(
        all.len(),
        unique.len(),
        "duplicates after UIDVALIDITY change"
    );
    let (_, page) = curl(&jar, &[&format!("{base}/admin/imap")]);
    assert!(
        page.contains("data-uid-validity=\"4242\""),
        "checkpoint follows"
    );

    // Fetch everything again: all duplicates, no new ticket, no new quarantine item.
    let before = subjects(&data).len();
    let ((fetched0, ..), _, _) = counts(&jar, &base, "support@trygg.test");
    let (_, page) = curl(&jar, &[&format!("{base}/admin/imap")]);
    let id = attr(&page, "id=\"account-").unwrap();
    let (st, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            &format!("csrf={csrf}"),
            &format!("{base}/admin/imap/{id}/refetch"),
        ],
    );
    assert_eq!(st, 303);
    let again = wait_for(120, || {
        let (c, q, ok) = counts(&jar, &base, "support@trygg.test");
        (c.0 >= fetched0 + 125 && ok).then_some((c, q))
    });
    let ((fetched, imported, duplicates, quarantined), q) =
        again.unwrap_or_else(|| panic!("re-fetch did not finish: {}", server.log_text()));
    assert_eq!(subjects(&data).len(), before, "re-fetch made new tickets");
    assert_eq!(fetched, imported + duplicates + quarantined);
    assert_eq!(q, 1, "the big one is quarantined once");
    let quarantine_rows = page.matches("quarantine-item").count();
    assert_eq!(quarantine_rows, 1);
}

#[test]
#[ignore = "interop: needs dovecot, curl and python3; run by .ci/run"]
fn imap_starttls_account_moves_imported_mail() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = std::fs::metadata(dir.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o755);
    std::fs::set_permissions(dir.path(), p).unwrap();
    let dove = Dovecot::start(&dir.path().join("imap"));
    let msgs = dir.path().join("msgs");
    std::fs::create_dir(&msgs).unwrap();
    dove.seed(
        "sales@trygg.test",
        &[
            write_msg(&msgs, "a.eml", "offert", Some("a@example.org"), "Hej"),
            write_msg(&msgs, "b.eml", "order", Some("b@example.org"), "Hej"),
        ],
    );
    let data = dir.path().join("data");
    setup(&data, &["support@trygg.test", "sales@trygg.test"], &[]);
    let server = Server::start(&data);
    let jar = dir.path().join("jar");
    let base = server.base_url();
    // The page is for signed-in admins; forms need the session's CSRF token.
    let anon = dir.path().join("anon");
    let (st, _) = curl(&anon, &[&format!("{base}/admin/imap")]);
    assert_eq!(st, 303, "anonymous visitors are sent to sign in");
    let csrf = login(&jar, &base);
    let (st, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            "csrf=wrong",
            "--data-urlencode",
            "host=127.0.0.1",
            &format!("{base}/admin/imap"),
        ],
    );
    assert_eq!(st, 403, "POST without the right CSRF token");
    let imap = dove.imap.to_string();
    let ca = dove.ca();
    // Certificates are verified by default: without the test CA the login never happens,
    // the admin sees why, and nothing is imported or flagged.
    dove.seed(
        "support@trygg.test",
        &[write_msg(
            &msgs,
            "c.eml",
            "unverified",
            Some("c@example.org"),
            "Hej",
        )],
    );
    let imaps = dove.imaps.to_string();
    add_account(
        &jar,
        &base,
        &csrf,
        &[
            ("host", "127.0.0.1"),
            ("port", &imaps),
            ("tls", "implicit"),
            ("username", "support@trygg.test"),
            ("password", PW),
        ],
    );
    let refused = wait_for(60, || {
        let (_, page) = curl(&jar, &[&format!("{base}/admin/imap")]);
        page.contains("UnknownIssuer").then_some(())
    });
    assert!(refused.is_some(), "no certificate error shown");
    assert!(!subjects(&data).contains(&"unverified".to_string()));
    assert!(!dove.messages("support@trygg.test", "INBOX")["unverified"].contains("\\Seen"));

    add_account(
        &jar,
        &base,
        &csrf,
        &[
            ("host", "localhost"),
            ("port", &imap),
            ("tls", "starttls"),
            ("ca_file", &ca),
            ("username", "sales@trygg.test"),
            ("password", PW),
            ("move_to", "Imported"),
            ("mailbox", "sales@trygg.test"),
        ],
    );
    let got = wait_for(60, || (subjects(&data).len() >= 2).then_some(()));
    assert!(got.is_some(), "{}", server.log_text());
    let moved = wait_for(30, || {
        (dove.messages("sales@trygg.test", "Imported").len() == 2
            && dove.messages("sales@trygg.test", "INBOX").is_empty())
        .then_some(())
    });
    assert!(moved.is_some(), "messages were not moved");
    let mut s = subjects(&data);
    s.sort();
    assert_eq!(s, ["offert", "order"]);
    let (c, _, ok) = counts(&jar, &base, "sales@trygg.test");
    assert_eq!(c, (2, 2, 0, 0));
    assert!(ok);
}
