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

/// Raw single-part mail (`ctype` `text/plain` or `text/html`).
fn simple(
    from: &str,
    cc: Option<&str>,
    id: &str,
    subject: &str,
    ctype: &str,
    body: &str,
) -> Vec<u8> {
    let cc = cc.map(|c| format!("Cc: {c}\r\n")).unwrap_or_default();
    format!(
        "From: {from}\r\nTo: {MAILBOX}\r\n{cc}Subject: {subject}\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: {ctype}; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Bugs from a fresh-user test: erasure by national id finds every spelling of the exact
/// number (also split by HTML markup); erasure by address takes the person's name and phone
/// number from kept tickets; the export of someone only copied holds only the messages about
/// them; rectifying an unknown contact says so.
#[test]
#[ignore = "interop: needs python3 smtplib; run by .ci/run"]
fn erasure_finds_every_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &[MAILBOX], &[]);
    let server = Server::start(&data);
    let d = data.to_str().unwrap();
    for (from, cc, id, subject, ctype, body) in [
        (
            "Al <al@a.se>",
            None,
            "n1@a",
            "Ordernummer 811218-9876?",
            "text/plain",
            "order number 811218-9876 hmm. Personnummer 811218-9876",
        ),
        (
            "Bea <bea@b.se>",
            None,
            "n2@b",
            "Ring mig",
            "text/plain",
            "Ring 811218-9876 eller tel. 811218-9876. Mitt kundnummer 811218-9876 ... Kundnr 811218-9876",
        ),
        (
            "Cy <cy@c.se>",
            None,
            "n3@c",
            "Html",
            "text/html",
            "<p>My number is <b>811218</b>-9876</p>",
        ),
        (
            "Erik Erasmus <erik@erase.se>",
            None,
            "e1@erase",
            "Eriks fråga",
            "text/plain",
            "hej",
        ),
        (
            "Erik Erasmus <erik@erase.se>",
            None,
            "e2@erase",
            "Eriks andra",
            "text/plain",
            "hej igen",
        ),
        (
            "Kund Åtta <kund8@other.se>",
            Some("Erik Erasmus <erik@erase.se>"),
            "k1@other",
            "Kollegan",
            "text/plain",
            "My colleague erik@erase.se (Erik Erasmus, 0735551234) had trouble",
        ),
    ] {
        let (code, text) = smtplib_send(
            server.smtp,
            "x@a.se",
            &[MAILBOX],
            &simple(from, cc, id, subject, ctype, body),
        );
        assert_eq!(code, 250, "{text}");
    }
    let follow_up = format!(
        "From: Kund Åtta <kund8@other.se>\r\nTo: {MAILBOX}\r\nSubject: Re: Kollegan\r\n\
         Message-ID: <k2@other>\r\nIn-Reply-To: <k1@other>\r\nReferences: <k1@other>\r\n\r\n\
         UNRELATED-FOLLOW-UP\r\n"
    );
    let (code, text) = smtplib_send(server.smtp, "x@a.se", &[MAILBOX], follow_up.as_bytes());
    assert_eq!(code, 250, "{text}");
    let (code, out, err) = run(&[
        "gdpr",
        "erase",
        "--data",
        d,
        "--national-id",
        "198112189876",
        "--yes",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        r["plan"]["redact_tickets"].as_array().unwrap().len(),
        3,
        "{r}"
    );
    for t in ticket_list(&data).as_array().unwrap() {
        let shown = ticket_show(&data, t["number"].as_u64().unwrap()).to_string();
        assert!(!shown.contains("9876"), "{shown}");
    }

    // Erik's phone number as his contact record knows it; the export of Erik holds only the
    // copied message of kund8's ticket, with readable reasons.
    let (code, _, err) = run(&[
        "gdpr",
        "rectify",
        "--data",
        d,
        "--email",
        "erik@erase.se",
        "--phone",
        "073-555 12 34",
    ]);
    assert_eq!(code, 0, "{err}");
    let zip = dir.path().join("erik.zip");
    let (code, out, err) = run(&[
        "gdpr",
        "export",
        "--data",
        d,
        "--email",
        "erik@erase.se",
        "--out",
        zip.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let listing = std::process::Command::new(python())
        .args(["-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.read('data.json').decode())"])
        .arg(&zip)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&listing.stdout).unwrap();
    let kund8 = json["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ticket"]["subject"] == "Kollegan")
        .unwrap();
    // kund8's follow-up, which does not concern Erik, is left out.
    let k8 = ticket_show(&data, kund8["ticket"]["number"].as_u64().unwrap());
    assert_eq!(k8["articles"].as_array().unwrap().len(), 2, "{k8}");
    assert_eq!(kund8["articles"].as_array().unwrap().len(), 1, "{kund8}");
    assert!(
        !kund8.to_string().contains("UNRELATED-FOLLOW-UP"),
        "{kund8}"
    );
    for a in kund8["articles"].as_array().unwrap() {
        assert!(!a["reasons"].as_array().unwrap().is_empty(), "{a}");
        assert_eq!(a["article"]["direction"], "In", "{a}");
    }
    assert!(
        kund8["articles"].to_string().contains("\"recipient\""),
        "{kund8}"
    );
    assert_eq!(v["tickets"].as_u64(), Some(3), "{v}");
    eprintln!(
        "DEBUG {}",
        ticket_show(&data, kund8["ticket"]["number"].as_u64().unwrap())
    );

    let (code, out, err) = run(&[
        "gdpr",
        "erase",
        "--data",
        d,
        "--email",
        "erik@erase.se",
        "--yes",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}\n{out}");
    let t = ticket_list(&data);
    let k = t
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "Kollegan")
        .unwrap();
    let shown = ticket_show(&data, k["number"].as_u64().unwrap()).to_string();
    for gone in ["erik@erase.se", "Erik Erasmus", "0735551234"] {
        assert!(!shown.contains(gone), "{gone}: {shown}");
    }
    assert!(shown.contains("had trouble"), "{shown}");
    // Nowhere in the data directory (store file, change log, raw messages).
    for f in walk(&data) {
        let b = std::fs::read(&f).unwrap();
        assert!(
            !b.windows(13).any(|w| w == b"erik@erase.se"),
            "the address is left in {}",
            f.display()
        );
    }
    let (code, out, err) = run(&[
        "gdpr",
        "export",
        "--data",
        d,
        "--phone",
        "0735551234",
        "--out",
        dir.path().join("phone.zip").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"tickets\": 0"), "{out}");

    let (code, _, err) = run(&[
        "gdpr",
        "rectify",
        "--data",
        d,
        "--email",
        "nobody@nowhere.se",
        "--name",
        "X Y",
    ]);
    assert_eq!(
        (code, err.trim()),
        (3, "trygg: no contact nobody@nowhere.se"),
        "{err}"
    );
    drop(server);
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap() {
            out.extend(walk(&e.unwrap().path()));
        }
    } else if p.is_file() {
        out.push(p.to_path_buf());
    }
    out
}

/// Bugs from a tester: erasing by address also finds and redacts tickets that name the
/// person only by their known full name or phone number (not a namesake by given name);
/// a national id with a space is accepted; the readable summary says "1 message".
#[test]
#[ignore = "interop: needs python3 smtplib; run by .ci/run"]
fn erasure_by_address_finds_known_full_name_and_phone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &[MAILBOX], &[]);
    let server = Server::start(&data);
    let d = data.to_str().unwrap();
    for (from, id, subject, body) in [
        (
            "Alice Lindqvist <alice@kund.se>",
            "a1@kund",
            "Skrivaren",
            "My printer is broken.",
        ),
        (
            "Carl Berg <carl@other.se>",
            "c1@other",
            "Callback",
            "Please call back Alice Lindqvist on +46 70 123 45 67.",
        ),
        (
            "Dave Holm <dave@other.se>",
            "d1@other",
            "Visit",
            "ALICE LINDQVIST visited on Monday.",
        ),
        (
            "Erin Ek <erin@other.se>",
            "e1@other",
            "Accounting",
            "Alice from accounting called.",
        ),
    ] {
        let (code, text) = smtplib_send(
            server.smtp,
            "x@a.se",
            &[MAILBOX],
            &mail(from, None, id, subject, body),
        );
        assert_eq!(code, 250, "{text}");
    }
    let (code, _, err) = run(&[
        "gdpr",
        "rectify",
        "--data",
        d,
        "--email",
        "alice@kund.se",
        "--phone",
        "070-123 45 67",
    ]);
    assert_eq!(code, 0, "{err}");
    let number = |subject: &str| {
        ticket_list(&data)
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["subject"] == subject)
            .unwrap()["number"]
            .as_u64()
            .unwrap()
    };
    let (carl, dave, erin) = (number("Callback"), number("Visit"), number("Accounting"));

    // The preview names Carl's and Dave's tickets for redaction, not Erin's.
    let (code, out, err) = run(&[
        "gdpr",
        "erase",
        "--data",
        d,
        "--email",
        "alice@kund.se",
        "--json",
    ]);
    // Without --yes nothing is erased and the exit code says so.
    assert_eq!(code, 2, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        plan["redact_tickets"],
        serde_json::json!([carl, dave]),
        "{plan}"
    );
    assert_eq!(
        plan["delete_tickets"].as_array().unwrap().len(),
        1,
        "{plan}"
    );

    let (code, out, err) = run(&[
        "gdpr",
        "erase",
        "--data",
        d,
        "--email",
        "alice@kund.se",
        "--yes",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}\n{out}");
    for n in [carl, dave] {
        let shown = ticket_show(&data, n).to_string();
        assert!(!shown.to_lowercase().contains("alice lindqvist"), "{shown}");
        assert!(!shown.contains("123 45 67"), "{shown}");
    }
    assert!(
        ticket_show(&data, carl)
            .to_string()
            .contains("Please call back")
    );
    assert!(
        ticket_show(&data, dave)
            .to_string()
            .contains("visited on Monday")
    );
    assert!(
        ticket_show(&data, erin)
            .to_string()
            .contains("Alice from accounting called.")
    );
    // Nowhere in the data directory (store file, change log, raw messages).
    for f in walk(&data) {
        let b = std::fs::read(&f).unwrap().to_ascii_lowercase();
        for gone in ["alice lindqvist", "123 45 67", "alice@kund.se"] {
            assert!(
                !b.windows(gone.len()).any(|w| w == gone.as_bytes()),
                "{gone} is left in {}",
                f.display()
            );
        }
    }

    // A national id written with a space is a valid identity.
    let (code, out, err) = run(&[
        "gdpr",
        "export",
        "--data",
        d,
        "--national-id",
        "811218 9876",
        "--out",
        dir.path().join("nid.zip").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"tickets\": 0"), "{out}");

    // Erin's export: one of everything, in the singular.
    let zip = dir.path().join("erin.zip");
    let (code, _, err) = run(&[
        "gdpr",
        "export",
        "--data",
        d,
        "--email",
        "erin@other.se",
        "--out",
        zip.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let summary = std::process::Command::new(python())
        .args(["-c", "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(z.read('summary.txt').decode())"])
        .arg(&zip)
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&summary.stdout);
    assert!(
        summary.contains(
            "1 support ticket with 1 message and 1 attachment, 1 contact record and 0 consent records."
        ),
        "{summary}"
    );
    assert!(summary.contains("; 1 message. "), "{summary}");
    drop(server);
}
