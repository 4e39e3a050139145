//! The audit trail end to end: records written by real web and CLI use, `trygg audit
//! verify` through the running server and on the store, `trygg audit export` in JSON and
//! CSV, and tampering with one stored record (through the store API of the lib crate, with
//! the server stopped) detected and named by `trygg audit verify`.

mod common;

use common::https::Client;
use common::*;
use trygg::audit::AuditRecord;
use trygg::store::{Store, Table, codec};

const MAIL: &str = "From: Per Kund <per@kund.example.se>\r\n\
To: support@helpdesk.example.com\r\n\
Subject: Printer\r\n\
Message-ID: <audit-1@kund.example.se>\r\n\
\r\n\
The printer on floor 3 does not print.\r\n";

fn run(args: &[&str]) -> (i32, String, String) {
    let o = trygg(args);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn verify_names_the_first_tampered_record_and_export_serves_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.display().to_string();
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let mut server = Server::start(&data);
    assert_eq!(
        smtp_deliver(
            server.smtp,
            "per@kund.example.se",
            "support@helpdesk.example.com",
            MAIL
        ),
        250
    );
    let c = Client::new(&data, server.http);
    assert!(c.login(ADMIN, "wrong password!").is_none());
    let admin = c.login(ADMIN, ADMIN_PW).expect("login");
    let n = ticket_list(&data)[0]["number"].as_u64().unwrap();
    for _ in 0..3 {
        assert_eq!(c.get(&format!("/tickets/{n}"), &admin).status, 200);
    }

    // The auditor page: filters and paging (50 a page, newest first).
    for _ in 0..60 {
        assert_eq!(c.get(&format!("/api/v1/tickets/{n}"), &admin).status, 200);
    }
    let page = c
        .get("/audit?action=ticket.view&object=ticket:", &admin)
        .text();
    assert_eq!(
        page.matches("<td class=\"action\">ticket.view</td>")
            .count(),
        50
    );
    assert!(page.contains("offset=50"), "a link to older records");
    let older = c
        .get(
            "/audit?action=ticket.view&object=ticket%3A&offset=50",
            &admin,
        )
        .text();
    // 63 views in all: 3 pages + 60 API calls.
    assert_eq!(
        older
            .matches("<td class=\"action\">ticket.view</td>")
            .count(),
        13
    );
    assert!(older.contains("offset=0"), "a link to newer records");
    let failures = c.get("/audit?action=login.failure", &admin).text();
    assert_eq!(
        failures
            .matches("<td class=\"action\">login.failure</td>")
            .count(),
        1
    );
    let nobody = c.get("/audit?actor=nobody%40example.org", &admin).text();
    assert!(nobody.contains("No matching records."));
    let future = c.get("/audit?from=2999-01-01", &admin).text();
    assert!(future.contains("No matching records."));
    let past = c.get("/audit?to=2000-01-01", &admin).text();
    assert!(past.contains("No matching records."));
    let bad = c.get("/audit?from=yesterday", &admin);
    assert_eq!(bad.status, 400);

    // Verify through the running server (control socket).
    let (code, out, err) = run(&["audit", "verify", "--data", &d]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("audit chain ok: "), "{out}");

    // Export: JSON has every field; CSV has a header and one line per record; --since in
    // the future gives nothing but the header.
    let (code, json, err) = run(&[
        "audit",
        "export",
        "--data",
        &d,
        "--since",
        "2000-01-01",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let recs: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let actions: Vec<&str> = recs.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"login.failure") && actions.contains(&"login.success"));
    assert_eq!(actions.iter().filter(|a| **a == "ticket.view").count(), 63);
    assert!(recs.iter().all(|r| r["hash"].as_str().unwrap().len() == 64));
    let (code, csv, _) = run(&[
        "audit",
        "export",
        "--data",
        &d,
        "--since",
        "2000-01-01",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    assert!(
        csv.starts_with("seq,time,actor,role,client,action,object,outcome,detail,prev_hash,hash\n")
    );
    // The JSON export itself was recorded, so the CSV has one more record.
    assert_eq!(csv.lines().count(), 1 + recs.len() + 1);
    assert!(csv.contains(",audit.export,"));
    let (code, csv, _) = run(&[
        "audit",
        "export",
        "--data",
        &d,
        "--since",
        "2999-01-01",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), 1);
    let (code, _, err) = run(&["audit", "export", "--data", &d, "--since", "last year"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = run(&[
        "audit",
        "export",
        "--data",
        &d,
        "--since",
        "2000-01-01",
        "--format",
        "xml",
    ]);
    assert_eq!(code, 2);

    // Stop the server; verify on the store directly.
    server.kill9();
    let (code, out, err) = run(&["audit", "verify", "--data", &d, "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let total = report["records"].as_u64().unwrap();
    assert!(total >= 8, "{report}");

    // Tamper: change who viewed in record 5 (keeping its stored hash).
    let target = 5u64;
    {
        let store = Store::open(&data.join("trygg.redb")).unwrap();
        store
            .write(0, |tx| {
                use trygg::store::Reader;
                let mut r: AuditRecord = tx.get_rec(Table::Audit, &codec::be(target))?.unwrap();
                r.actor = "someone-else@example.org".into();
                tx.put_rec(Table::Audit, &codec::be(target), &r)
            })
            .unwrap();
    }
    let (code, _, err) = run(&["audit", "verify", "--data", &d]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains(&format!("broken at record {target}:")),
        "{err}"
    );
    // Re-computing the tampered record's hash only moves the break to the next record.
    {
        let store = Store::open(&data.join("trygg.redb")).unwrap();
        store
            .write(0, |tx| {
                use trygg::store::Reader;
                let mut r: AuditRecord = tx.get_rec(Table::Audit, &codec::be(target))?.unwrap();
                r.hash = r.compute_hash()?;
                tx.put_rec(Table::Audit, &codec::be(target), &r)
            })
            .unwrap();
    }
    let (code, _, err) = run(&["audit", "verify", "--data", &d]);
    assert_eq!(code, 4);
    assert!(
        err.contains(&format!("broken at record {}:", target + 1)),
        "{err}"
    );
    // Flipping raw bytes in an earlier record is found there.
    {
        let store = Store::open(&data.join("trygg.redb")).unwrap();
        store
            .write(0, |tx| {
                use trygg::store::Reader;
                let mut raw = tx.get(Table::Audit, &codec::be(2))?.unwrap();
                let i = raw.len() - 70; // inside the hashes / strings near the end
                raw[i] ^= 0x01;
                tx.put(Table::Audit, &codec::be(2), &raw)
            })
            .unwrap();
    }
    let (code, _, err) = run(&["audit", "verify", "--data", &d]);
    assert_eq!(code, 4);
    assert!(err.contains("broken at record 2:"), "{err}");
}
