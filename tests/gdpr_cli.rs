//! `trygg gdpr export|erase` against a running server: the export is complete and readable,
//! erasure needs `--yes`, removes exactly the subject's data, and is audited without naming
//! the erased address.

mod common;

use common::*;

const MAILBOX: &str = "support@helpdesk.example.com";

fn mail(from: &str, cc: Option<&str>, id: &str, subject: &str, body: &str) -> Vec<u8> {
    let cc = cc.map(|c| format!("Cc: {c}\r\n")).unwrap_or_default();
    format!(
        "From: {from}\r\nTo: {MAILBOX}\r\n{cc}Subject: {subject}\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--b\r\n\
         Content-Type: application/pdf; name=cv.pdf\r\nContent-Disposition: attachment; filename=cv.pdf\r\n\r\n\
         PDF-{id}\r\n--b--\r\n"
    )
    .into_bytes()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = trygg(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "interop: needs python3 smtplib; run by .ci/run"]
fn export_then_erase_a_data_subject() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &[MAILBOX], &[]);
    let server = Server::start(&data);
    let d = data.to_str().unwrap();
    for (from, cc, id, subject, body) in [
        (
            "Anna <anna@kund.example.se>",
            None,
            "a1@kund",
            "Lönefråga",
            "Mitt personnummer är 811218-9876",
        ),
        (
            "Anna <anna@kund.example.se>",
            None,
            "a2@kund",
            "Skrivaren",
            "Hej igen",
        ),
        (
            "Bo <bo@kund.example.se>",
            Some("anna@kund.example.se"),
            "b1@kund",
            "Möte",
            "Anna når ni på 070-123 45 67",
        ),
        (
            "Carl <carl@annat.example.dk>",
            None,
            "c1@annat",
            "Faktura",
            "Intet om hende",
        ),
    ] {
        let (code, text) = smtplib_send(
            server.smtp,
            "x@kund.example.se",
            &[MAILBOX],
            &mail(from, cc, id, subject, body),
        );
        assert_eq!(code, 250, "{text}");
    }
    assert_eq!(ticket_list(&data).as_array().unwrap().len(), 4);

    // Export: complete (Anna's two tickets and Bo's, which copies her), readable, audited.
    let zip = dir.path().join("anna.zip");
    let (code, out, err) = run(&[
        "gdpr",
        "export",
        "--data",
        d,
        "--email",
        "Anna@Kund.example.se",
        "--out",
        zip.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (
            v["tickets"].as_u64(),
            v["articles"].as_u64(),
            v["attachments"].as_u64(),
            v["contacts"].as_u64()
        ),
        (Some(3), Some(3), Some(3), Some(1)),
        "{v}"
    );
    let listing = std::process::Command::new(python())
        .args(["-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print('\\n'.join(sorted(z.namelist()))); print(z.read('summary.txt').decode())"])
        .arg(&zip)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("data.json") && listing.contains("summary.txt"),
        "{listing}"
    );
    let entries = |prefix: &str| {
        listing
            .lines()
            .filter(|l| l.starts_with(prefix) && !l.contains(' '))
            .count()
    };
    assert_eq!(entries("attachments/"), 3, "{listing}");
    assert_eq!(entries("messages/"), 3, "{listing}");
    assert!(
        listing.contains("Lönefråga") && !listing.contains("Faktura"),
        "{listing}"
    );
    // Refusals: an existing file, no subject, two subjects.
    let (code, _, err) = run(&[
        "gdpr",
        "export",
        "--data",
        d,
        "--email",
        "anna@kund.example.se",
        "--out",
        zip.to_str().unwrap(),
    ]);
    assert_eq!(code, 4, "{err}");
    let (code, _, err) = run(&["gdpr", "export", "--data", d, "--out", "/tmp/x.zip"]);
    assert_eq!((code, err.trim().lines().count()), (2, 1), "{err}");
    let (code, _, _) = run(&[
        "gdpr",
        "export",
        "--data",
        d,
        "--email",
        "a@b.se",
        "--phone",
        "070-1234567",
        "--out",
        "/tmp/x.zip",
    ]);
    assert_eq!(code, 2);

    // Erase without --yes: a preview, exit 2, nothing changed.
    let (code, out, err) = run(&[
        "gdpr",
        "erase",
        "--data",
        d,
        "--email",
        "anna@kund.example.se",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        out.contains("would delete") && err.contains("--yes"),
        "{out}\n{err}"
    );
    assert_eq!(ticket_list(&data).as_array().unwrap().len(), 4);

    // Erase: Anna's tickets go, Bo's stays without her address or phone number, Carl's untouched.
    let (code, out, err) = run(&[
        "gdpr",
        "erase",
        "--data",
        d,
        "--email",
        "anna@kund.example.se",
        "--yes",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        r["plan"]["delete_tickets"].as_array().unwrap().len(),
        2,
        "{r}"
    );
    let tickets = ticket_list(&data);
    let subjects: Vec<&str> = tickets
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects.contains(&"Möte") && subjects.contains(&"Faktura"));
    let bo = tickets
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "Möte")
        .unwrap();
    let shown = ticket_show(&data, bo["number"].as_u64().unwrap()).to_string();
    assert!(!shown.contains("anna@kund.example.se"), "{shown}");
    let (code, out, _) = run(&[
        "gdpr",
        "export",
        "--data",
        d,
        "--email",
        "anna@kund.example.se",
        "--out",
        dir.path().join("after.zip").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("\"tickets\": 0"), "{out}");

    // The audit trail has both requests, and does not name the erased address.
    let (code, csv, err) = run(&[
        "audit",
        "export",
        "--data",
        d,
        "--since",
        "2000-01-01",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        csv.contains("gdpr.export") && csv.contains("gdpr.erase"),
        "{csv}"
    );
    assert!(!csv.contains("anna@kund.example.se"), "{csv}");
    drop(server);
}
