//! Retention ages tickets with the real binary: mail in over SMTP, rules and holds over
//! HTTPS and the CLI, the clock moved with TRYGG_TEST_CLOCK_OFFSET_MS (+100 days, then
//! +400). Each run anonymises or deletes exactly what the rules say and keeps what is under
//! legal hold; afterwards no erased marker (subject, body, attachment, sender, raw-only
//! header) is left in any file of the data directory, while the kept ones are (control).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::https::{Client, hidden};
use common::*;

const CARE: &str = "care@helpdesk.example.com";
const SALES: &str = "sales@helpdesk.example.com";
const DAY_MS: i64 = 86_400_000;

/// The tickets seeded: key, queue mailbox, and whether it stays open.
const SEED: [(&str, &str, bool); 6] = [
    ("a1", CARE, false),  // anonymised at +400
    ("a2", CARE, false),  // ticket under legal hold
    ("b1", SALES, false), // deleted at +100
    ("b2", SALES, false), // deleted at +100
    ("b3", SALES, false), // customer contact under legal hold
    ("b4", SALES, true),  // open: never touched
];

/// Every marker of ticket `k`: in the subject, body, two attachments (plain and base64,
/// whose decoded text is only in the attachment blob), the sender's name and address, the
/// Message-ID, and a header only the raw message keeps.
fn markers(k: &str) -> Vec<String> {
    [
        "subj", "body", "file", "b64file", "name", "from", "mid", "rawonly",
    ]
    .iter()
    .map(|m| format!("mrk{m}{k}zq"))
    .collect()
}

fn sender(k: &str) -> String {
    format!("mrkfrom{k}zq@kund.example")
}

fn mail(k: &str, to: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("mrkb64file{k}zq"));
    format!(
        "From: mrkname{k}zq <{from}>\r\nTo: {to}\r\nSubject: mrksubj{k}zq\r\n\
         Message-ID: <mrkmid{k}zq@kund.example>\r\nX-Trace: mrkrawonly{k}zq\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello mrkbody{k}zq\r\n\
         --b\r\nContent-Type: text/plain; name=a.txt\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\n\
         mrkfile{k}zq\r\n\
         --b\r\nContent-Type: application/octet-stream; name=b.bin\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=b.bin\r\n\r\n{b64}\r\n--b--\r\n",
        from = sender(k)
    )
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = trygg(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "trygg {args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// SIGTERM and wait, so the server shuts down cleanly before the next start.
fn stop(mut s: Server) {
    let pid = libc::pid_t::try_from(s.child.id()).expect("pid");
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let _ = s.child.wait();
}

fn start(data: &Path, offset_days: i64) -> Server {
    let off = (offset_days * DAY_MS).to_string();
    Server::start_with_env(data, &[("TRYGG_TEST_CLOCK_OFFSET_MS", &off)])
}

fn signed_in(s: &Server) -> (Client, String, String) {
    let c = Client::new(&s.data, s.http);
    let cookie = c.login(ADMIN, ADMIN_PW).expect("admin signs in");
    let csrf = hidden(&c.get("/tickets", &cookie).text(), "csrf").expect("csrf");
    (c, cookie, csrf)
}

/// Every file under `dir` except backups, as (path, bytes).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n == "backups") {
            continue;
        }
        if p.is_dir() {
            out.extend(files(&p));
        } else if p.is_file() {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn found_in<'a>(files: &'a [(String, Vec<u8>)], needle: &str) -> Vec<&'a str> {
    files
        .iter()
        .filter(|(_, b)| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .map(|(p, _)| p.as_str())
        .collect()
}

#[test]
fn retention_ages_tickets_and_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let server = start(&data, 0);
    let (c, cookie, csrf) = signed_in(&server);
    for (id, name, mbox) in [("care", "Care", CARE), ("sales", "Sales", SALES)] {
        let a = c.post(
            "/admin/queues",
            &cookie,
            &[
                ("csrf", &csrf),
                ("id", id),
                ("name", name),
                ("mailboxes", mbox),
            ],
        );
        assert_eq!(a.status, 303, "{}", a.text());
    }
    for (k, to, _) in SEED {
        assert_eq!(smtp_deliver(server.smtp, &sender(k), to, &mail(k, to)), 250);
    }
    let mut num: BTreeMap<&str, u64> = BTreeMap::new();
    for t in ticket_list(&data).as_array().unwrap() {
        let subject = t["subject"].as_str().unwrap();
        let k = SEED
            .iter()
            .find(|(k, _, _)| subject == format!("mrksubj{k}zq"))
            .map(|s| s.0)
            .unwrap_or_else(|| panic!("unexpected ticket {t}"));
        num.insert(k, t["number"].as_u64().unwrap());
    }
    assert_eq!(num.len(), SEED.len());
    let queue_of = |k: &str| if k.starts_with('a') { "care" } else { "sales" };
    for (k, _, open) in SEED {
        if !open {
            let a = c.post(
                &format!("/tickets/{}/status", num[k]),
                &cookie,
                &[("csrf", &csrf), ("status", "closed")],
            );
            assert_eq!(a.status, 303, "{}", a.text());
        }
    }

    // Rules over HTTPS; bad values re-render the form with the message.
    let add = |q: &str, class: &str, action: &str, days: &str| {
        c.post(
            "/admin/retention/rules",
            &cookie,
            &[
                ("csrf", &csrf),
                ("queue", q),
                ("classification", class),
                ("action", action),
                ("after_days", days),
            ],
        )
    };
    let bad = add("care", "", "delete", "0");
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("1 to 36500 days"), "{}", bad.text());
    let bad = add("nosuch", "", "delete", "30");
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("there is no queue"), "{}", bad.text());
    let no_csrf = c.post(
        "/admin/retention/rules",
        &cookie,
        &[("queue", "care"), ("action", "delete"), ("after_days", "1")],
    );
    assert_eq!(no_csrf.status, 403);
    assert_eq!(add("care", "", "anonymise", "365").status, 303);
    assert_eq!(add("sales", "", "delete", "90").status, 303);
    // Every seeded ticket is "internal": a sensitive-only rule must touch none of them.
    assert_eq!(add("", "sensitive", "delete", "10").status, 303);
    // The daily run must not start during the test: put it twelve hours away.
    let hour = (jiff::Timestamp::now().as_second() / 3600 + 12) % 24;
    let a = c.post(
        "/admin/retention/schedule",
        &cookie,
        &[("csrf", &csrf), ("hour", &hour.to_string())],
    );
    assert_eq!(a.status, 303);

    // Legal holds: a ticket over HTTPS, a contact over the CLI; CLI errors are one line.
    let a = c.post(
        &format!("/tickets/{}/hold", num["a2"]),
        &cookie,
        &[("csrf", &csrf), ("reason", "dispute 2026-114")],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    let page = c.get(&format!("/tickets/{}", num["a2"]), &cookie).text();
    assert!(
        page.contains("dispute 2026-114") && page.contains("/hold/lift"),
        "{page}"
    );
    let b3 = sender("b3");
    let (code, _, err) = run(&[
        "gdpr",
        "hold",
        "contact",
        &b3,
        "--reason",
        "court order",
        "--data",
        d,
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(&[
        "gdpr", "hold", "ticket", "99999", "--reason", "x", "--data", d,
    ]);
    assert_eq!((code, err.trim().lines().count()), (3, 1), "{err}");
    let (code, _, err) = run(&[
        "gdpr",
        "hold",
        "ticket",
        &num["b1"].to_string(),
        "--data",
        d,
    ]);
    assert_eq!((code, err.trim().lines().count()), (2, 1), "{err}");
    let (code, _, err) = run(&[
        "gdpr",
        "hold",
        "ticket",
        &num["b1"].to_string(),
        "--lift",
        "--data",
        d,
    ]);
    assert_eq!((code, err.trim().lines().count()), (4, 1), "{err}");
    let plan = json(&["gdpr", "retention", "preview", "--json", "--data", d]);
    assert_eq!(
        (plan["anonymise"].as_u64(), plan["delete"].as_u64()),
        (Some(0), Some(0)),
        "{plan}"
    );
    // The statistics to compare with later, from the list (a list is audited without
    // customers' addresses; viewing a ticket would put its customer in the audit trail).
    let before = list_entry(&data, num["a1"]);
    stop(server);

    // +100 days: exactly sales' unheld closed tickets are deleted.
    let server = start(&data, 100);
    let plan = json(&["gdpr", "retention", "preview", "--json", "--data", d]);
    let planned: Vec<u64> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    assert_eq!(planned, vec![num["b1"], num["b2"]], "{plan}");
    assert_eq!(
        (
            plan["delete"].as_u64(),
            plan["anonymise"].as_u64(),
            plan["held"].as_u64()
        ),
        (Some(2), Some(0), Some(1)),
        "{plan}"
    );
    let (c, cookie, _) = signed_in(&server);
    let page = c.get("/admin/retention", &cookie).text();
    assert!(
        page.contains(&format!("/tickets/{}", num["b1"])) && page.contains("court order"),
        "{page}"
    );
    let r = json(&["gdpr", "retention", "run", "--json", "--data", d]);
    assert_eq!(
        (
            r["deleted"].as_u64(),
            r["anonymised"].as_u64(),
            r["held"].as_u64(),
            r["failed"].as_u64(),
            r["contacts_removed"].as_u64()
        ),
        (Some(2), Some(0), Some(1), Some(0), Some(2)),
        "{r}"
    );
    eprintln!("retention run at +100 days: {} ms", r["duration_ms"]);
    let left: Vec<u64> = ticket_list(&data)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_u64().unwrap())
        .collect();
    for k in ["b1", "b2"] {
        assert!(!left.contains(&num[k]), "{k} still listed");
    }
    for k in ["a1", "a2", "b3", "b4"] {
        assert!(left.contains(&num[k]), "{k} gone");
    }
    stop(server);

    // +400 days: care's unheld ticket is anonymised ("Run now" on the page), keeping its
    // statistics; a second run changes nothing.
    let server = start(&data, 400);
    let plan = json(&["gdpr", "retention", "preview", "--json", "--data", d]);
    assert_eq!(
        (
            plan["anonymise"].as_u64(),
            plan["delete"].as_u64(),
            plan["held"].as_u64()
        ),
        (Some(1), Some(0), Some(2)),
        "{plan}"
    );
    assert_eq!(plan["items"][0]["number"].as_u64(), Some(num["a1"]));
    let (c, cookie, csrf) = signed_in(&server);
    let ran = c.post("/admin/retention/run", &cookie, &[("csrf", &csrf)]);
    assert_eq!(
        ran.status, 303,
        "redirected, so a reload does not run again"
    );
    assert_eq!(
        ran.header("location"),
        Some("/admin/retention?ran=1#last-runs")
    );
    let page = c.get("/admin/retention?ran=1", &cookie).text();
    assert!(
        page.contains("Retention run finished: 1 anonymised, 0 deleted, 2 held, 0 failed"),
        "{page}"
    );
    let again = json(&["gdpr", "retention", "run", "--json", "--data", d]);
    assert_eq!(
        (again["anonymised"].as_u64(), again["deleted"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
    let a1 = list_entry(&data, num["a1"]);
    for f in [
        "number", "status", "queue", "created", "updated", "articles", "mailbox",
    ] {
        assert_eq!(a1[f], before[f], "{f}: {a1} vs {before}");
    }
    assert_eq!(a1["queue"], queue_of("a1"));
    assert_eq!(a1["status"], "closed");
    assert_eq!(a1["articles"], 1, "{a1}");
    assert_eq!(a1["subject"], "[anonymised]");
    assert_eq!(a1["customer"], "anonymised@anonymised.invalid");
    // Nothing to answer on an anonymised ticket: no reply form, and a reply is refused.
    let n_a1 = num["a1"];
    let page = c.get(&format!("/tickets/{n_a1}"), &cookie).text();
    assert!(
        page.contains("was anonymised") && !page.contains("name=\"text\""),
        "{page}"
    );
    let reply = c.post(
        &format!("/tickets/{n_a1}/reply"),
        &cookie,
        &[("csrf", &csrf), ("text", "Hello?")],
    );
    assert_eq!(reply.status, 400);
    assert_eq!(list_entry(&data, n_a1)["articles"], 1, "no article added");
    let audit = {
        let (code, out, err) = run(&[
            "audit",
            "export",
            "--data",
            d,
            "--since",
            "2000-01-01",
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        out
    };
    stop(server);

    // No trace of erased data in any file of the data directory; kept data is there.
    let all = files(&data);
    assert!(all.iter().any(|(p, _)| p.ends_with("trygg.redb")));
    for k in ["a1", "b1", "b2"] {
        for m in markers(k) {
            let hits = found_in(&all, &m);
            assert!(hits.is_empty(), "erased marker {m} found in {hits:?}");
            assert!(!audit.contains(&m), "erased marker {m} in the audit export");
        }
    }
    for k in ["a2", "b3", "b4"] {
        for m in markers(k) {
            assert!(!found_in(&all, &m).is_empty(), "kept marker {m} missing");
        }
    }
    // The audit trail records each run with its counts.
    let records: serde_json::Value = serde_json::from_str(&audit).expect("audit json");
    let runs: Vec<String> = records
        .as_array()
        .expect("audit records")
        .iter()
        .filter(|r| r["action"] == "gdpr.retention.run")
        .map(|r| r["detail"].as_str().unwrap_or_default().to_string())
        .collect();
    let joined = runs.join("\n");
    assert!(
        joined.contains("0 anonymised, 2 deleted, 1 held, 0 failed")
            && joined.contains("1 anonymised, 0 deleted, 2 held, 0 failed"),
        "{audit}"
    );
    // Listing the held contacts' addresses on the retention page is a look at personal
    // data: audited.
    assert!(
        records
            .as_array()
            .expect("audit records")
            .iter()
            .any(|r| r["action"] == "hold.list"),
        "{audit}"
    );
}

/// Ticket `n` as `trygg ticket list --json` shows it.
fn list_entry(data: &Path, n: u64) -> serde_json::Value {
    ticket_list(data)
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == n)
        .cloned()
        .unwrap_or_else(|| panic!("ticket {n} not listed"))
}

/// Who may do what: the page and contact holds need their admin areas, a ticket hold needs
/// the data-protection area or `manage` on the ticket's queue; refusals look like absence
/// and are audited; the page speaks Swedish.
#[test]
fn retention_and_holds_need_their_permissions() {
    const PW: &str = "Granit-Hav-Moln-456";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let server = start(&data, 0);
    let (c, admin, csrf) = signed_in(&server);
    let ok = |a: common::https::Answer| assert_eq!(a.status, 303, "{}", a.text());
    for (id, name, mbox) in [("care", "Care", CARE), ("sales", "Sales", SALES)] {
        ok(c.post(
            "/admin/queues",
            &admin,
            &[
                ("csrf", &csrf),
                ("id", id),
                ("name", name),
                ("mailboxes", mbox),
            ],
        ));
    }
    ok(c.post(
        "/admin/roles",
        &admin,
        &[
            ("csrf", &csrf),
            ("name", "care-lead"),
            ("description", "Care team lead"),
            ("q:care", "read"),
            ("q:care", "manage"),
        ],
    ));
    for (email, role) in [
        ("lead@helpdesk.example.com", Some("care-lead")),
        ("nobody@helpdesk.example.com", None),
    ] {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("email", email),
            ("name", "Staff"),
            ("password", PW),
        ];
        if let Some(r) = role {
            form.push(("role", r));
        }
        ok(c.post("/admin/users", &admin, &form));
    }
    for (k, to) in [("p1", CARE), ("p2", SALES)] {
        assert_eq!(smtp_deliver(server.smtp, &sender(k), to, &mail(k, to)), 250);
    }
    let list = ticket_list(&data);
    let num = |k: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["subject"] == format!("mrksubj{k}zq"))
            .unwrap()["number"]
            .as_u64()
            .unwrap()
    };
    let (care, sales) = (num("p1"), num("p2"));

    let login = |email: &str| {
        let cookie = c.login(email, PW).expect("staff signs in");
        let csrf = hidden(&c.get("/tickets", &cookie).text(), "csrf").expect("csrf");
        (cookie, csrf)
    };
    let hold = |cookie: &str, csrf: &str, n: u64| {
        c.post(
            &format!("/tickets/{n}/hold"),
            cookie,
            &[("csrf", csrf), ("reason", "claim")],
        )
        .status
    };
    let (lead, lead_csrf) = login("lead@helpdesk.example.com");
    let (nobody, nobody_csrf) = login("nobody@helpdesk.example.com");
    for (cookie, csrf) in [(&lead, &lead_csrf), (&nobody, &nobody_csrf)] {
        assert_eq!(c.get("/admin/retention", cookie).status, 404);
        let run = c.post("/admin/retention/run", cookie, &[("csrf", csrf)]);
        assert_eq!(run.status, 404);
        let contact = c.post(
            "/contacts/hold",
            cookie,
            &[("csrf", csrf), ("address", &sender("p1")), ("reason", "x")],
        );
        assert_eq!(contact.status, 404);
    }
    assert_eq!(hold(&nobody, &nobody_csrf, care), 404);
    assert_eq!(hold(&lead, &lead_csrf, sales), 404, "not their queue");
    // A ticket above the manager's clearance (their role: confidential) looks missing.
    let sensitive = |class: &str| {
        let r = c.post(
            &format!("/tickets/{care}/classification"),
            &admin,
            &[("csrf", csrf.as_str()), ("classification", class)],
        );
        assert_eq!(r.status, 303, "{}", r.text());
    };
    sensitive("sensitive");
    assert_eq!(hold(&lead, &lead_csrf, care), 404, "above clearance");
    sensitive("internal");
    assert_eq!(hold(&lead, &lead_csrf, care), 303, "queue manager");
    let page = c.get(&format!("/tickets/{care}"), &lead).text();
    assert!(
        page.contains("Legal hold") && page.contains("claim"),
        "{page}"
    );
    // An empty reason is refused with a message, CSRF is checked.
    let empty = c.post(
        &format!("/tickets/{sales}/hold"),
        &admin,
        &[("csrf", &csrf), ("reason", " ")],
    );
    assert_eq!(empty.status, 400);
    assert!(empty.text().contains("needs a reason"), "{}", empty.text());
    assert!(
        empty
            .text()
            .contains(&format!("action=\"/tickets/{sales}/hold\"")),
        "the ticket page again, with its hold form: {}",
        empty.text()
    );
    let ctrl = c.post(
        &format!("/tickets/{sales}/hold"),
        &admin,
        &[("csrf", &csrf), ("reason", "a\u{7}b")],
    );
    assert_eq!(ctrl.status, 400);
    // A second hold would silently replace the first one's reason, author and date.
    let twice = c.post(
        &format!("/tickets/{care}/hold"),
        &admin,
        &[("csrf", &csrf), ("reason", "another reason")],
    );
    assert_eq!(twice.status, 409);
    assert!(
        twice.text().contains("already under legal hold"),
        "{}",
        twice.text()
    );
    let forged = c.post(
        &format!("/tickets/{sales}/hold"),
        &admin,
        &[
            ("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ("reason", "x"),
        ],
    );
    assert_eq!(forged.status, 403);
    // The admin (every area) holds a contact from the page and sees it listed.
    ok(c.post(
        "/contacts/hold",
        &admin,
        &[
            ("csrf", &csrf),
            ("address", &sender("p2").to_uppercase()),
            ("reason", "court order"),
            ("next", "/admin/retention"),
        ],
    ));
    let page = c.get("/admin/retention?lang=sv", &admin).text();
    assert!(
        page.contains("Gallring") && page.contains(&sender("p2")) && page.contains("court order"),
        "{page}"
    );
    let audit = {
        let (code, out, err) = run(&[
            "audit",
            "export",
            "--data",
            data.to_str().unwrap(),
            "--since",
            "2000-01-01",
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let events: Vec<(String, String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"].as_str().is_some_and(|a| a.starts_with("hold.")))
        .map(|r| {
            (
                r["actor"].as_str().unwrap().to_string(),
                r["object"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |actor: &str, object: &str, outcome: &str| {
        events
            .iter()
            .any(|(a, o, r)| a == actor && o.starts_with(object) && r == outcome)
    };
    assert!(
        has(
            "nobody@helpdesk.example.com",
            &format!("ticket:{care}"),
            "denied"
        ),
        "{events:?}"
    );
    assert!(
        has(
            "lead@helpdesk.example.com",
            &format!("ticket:{sales}"),
            "denied"
        ),
        "{events:?}"
    );
    assert!(
        has("lead@helpdesk.example.com", &format!("ticket:{care}"), "ok"),
        "{events:?}"
    );
    assert!(has(ADMIN, "contact #", "ok"), "{events:?}");
    // Contacts are named by a keyed hash in hold events, not by their address.
    for r in audit.as_array().unwrap() {
        if r["action"].as_str().is_some_and(|a| a.starts_with("hold.")) {
            assert!(!r.to_string().contains(&sender("p2")), "{r}");
        }
    }
    stop(server);
}
