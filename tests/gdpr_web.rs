//! The contact page, the consent register and the data-subject request pages over real
//! HTTPS to the real binary (GDPR Art. 7, 15, 16, 17, 20): consent is refused without the
//! affirmative tick and the form comes back with the message and what was typed; recorded,
//! withdrawn and exported (JSON, CSV); rectification shows afterwards and is audited with
//! field names only; the admin identifies a person, downloads the ZIP export (counts checked
//! in data.json), previews the erasure and confirms it with a tick and the identity typed
//! again.

mod common;

use common::https::{Client, hidden};
use common::*;

const MAILBOX: &str = "support@helpdesk.example.com";
const ANNA: &str = "anna@kund.example.se";
const ANNA_URL: &str = "/contacts/anna%40kund.example.se";

fn mail(from: &str, cc: Option<&str>, id: &str, subject: &str, body: &str) -> String {
    let cc = cc.map(|c| format!("Cc: {c}\r\n")).unwrap_or_default();
    format!(
        "From: {from}\r\nTo: {MAILBOX}\r\n{cc}Subject: {subject}\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n--b\r\n\
         Content-Type: application/pdf; name=cv.pdf\r\nContent-Disposition: attachment; filename=cv.pdf\r\n\r\n\
         PDF-{id}\r\n--b--\r\n"
    )
}

fn audit(data: &std::path::Path) -> Vec<serde_json::Value> {
    let out = trygg(&[
        "audit",
        "export",
        "--data",
        &data.display().to_string(),
        "--since",
        "2000-01-01",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("audit json")
}

/// Whether the `affirmed` checkbox in `page` is rendered without `checked`.
fn affirmed_unticked(page: &str) -> bool {
    let i = page
        .find("name=\"affirmed\"")
        .expect("affirmed checkbox on the page");
    let tag_end = page[i..].find('>').map(|e| i + e).expect("tag end");
    !page[i..tag_end].contains("checked")
}

#[test]
fn consent_rectification_and_subject_requests_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &[MAILBOX], &[]);
    let server = Server::start(&data);
    let d = data.to_str().unwrap();
    for (from, cc, id, subject, body) in [
        (
            "Anna Kund <anna@kund.example.se>",
            None,
            "a1@kund",
            "ANNA-7731 nyhetsbrev",
            "Ja tack, skicka gärna ert nyhetsbrev.",
        ),
        (
            "Bo Kund <bo@kund.example.se>",
            Some(ANNA),
            "b1@kund",
            "BO-5521 möte",
            "Vi ses på tisdag.",
        ),
    ] {
        assert_eq!(
            smtp_deliver(
                server.smtp,
                "x@kund.example.se",
                MAILBOX,
                &mail(from, cc, id, subject, body)
            ),
            250
        );
    }
    let list = ticket_list(&data);
    let number = |marker: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["subject"].as_str().unwrap_or("").contains(marker))
            .and_then(|t| t["number"].as_u64())
            .unwrap()
    };
    let (anna_t, bo_t) = (number("ANNA-7731"), number("BO-5521"));
    let anna_a = ticket_show(&data, anna_t)["articles"][0]["id"]
        .as_u64()
        .unwrap();

    let client = Client::new(&data, server.http);
    let admin = client.login(ADMIN, ADMIN_PW).expect("admin login");
    let csrf = hidden(&client.get("/tickets", &admin).text(), "csrf").expect("csrf");

    // The ticket page links the customer's contact page and a consent with this ticket's
    // message as evidence.
    let tp = client.get(&format!("/tickets/{anna_t}"), &admin).text();
    assert!(tp.contains(&format!("href=\"{ANNA_URL}\"")), "{tp}");
    assert!(tp.contains(&format!(
        "{ANNA_URL}?article={anna_t}-{anna_a}#record-consent"
    )));

    // The contact page: data, tickets, the consent form with an unticked box and the
    // evidence pre-selected from the link.
    let page = client
        .get(&format!("{ANNA_URL}?article={anna_t}-{anna_a}"), &admin)
        .text();
    assert!(
        page.contains("Anna Kund") && page.contains("ANNA-7731"),
        "{page}"
    );
    // Bo's ticket only copies Anna: she is neither its customer nor a participant, so it is
    // not hers on the contact page (the data-subject search below finds it).
    assert!(!page.contains("BO-5521"));
    assert!(affirmed_unticked(&page));
    assert!(
        page.contains(&format!("value=\"{anna_t}-{anna_a}\" selected")),
        "{page}"
    );

    // The page speaks Swedish and Danish too.
    let sv = client.get(&format!("{ANNA_URL}?lang=sv"), &admin).text();
    assert!(sv.contains("Registrera samtycke") && sv.contains("Rätta kontaktuppgifter"));
    let da = client.get(&format!("{ANNA_URL}?lang=da"), &admin).text();
    assert!(da.contains("Registrer samtykke") && da.contains("Berigtig kontaktoplysninger"));

    // Consent without the tick: refused, the form comes back with the message and the text.
    let consent = |affirmed: bool| {
        let article = format!("{anna_t}-{anna_a}");
        let mut f = vec![
            ("csrf", csrf.as_str()),
            ("purpose", "Newsletter-PURPOSE-42"),
            (
                "wording",
                "May we send you our monthly newsletter? WORDING-17",
            ),
            ("given", "2026-03-01"),
            ("channel", "email"),
            ("article", article.as_str()),
            ("note", ""),
        ];
        if affirmed {
            f.push(("affirmed", "yes"));
        }
        let f: Vec<(&str, String)> = f.into_iter().map(|(k, v)| (k, v.to_string())).collect();
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        client.post(&format!("{ANNA_URL}/consents"), &admin, &f)
    };
    let refused = consent(false);
    assert_eq!(refused.status, 400);
    let text = refused.text();
    assert!(text.contains("actively given"), "{text}");
    assert!(
        text.contains("value=\"Newsletter-PURPOSE-42\""),
        "typed purpose kept"
    );
    assert!(text.contains("WORDING-17"), "typed wording kept");
    assert!(affirmed_unticked(&text), "never re-shown ticked");
    let none: serde_json::Value = serde_json::from_str(
        &client
            .get(&format!("{ANNA_URL}/consents.json"), &admin)
            .text(),
    )
    .unwrap();
    assert_eq!(none["consents"].as_array().unwrap().len(), 0);

    // With the tick: recorded.
    let ok = consent(true);
    assert_eq!(ok.status, 303, "{}", ok.text());
    assert!(
        ok.header("location")
            .unwrap()
            .starts_with(&format!("{ANNA_URL}?saved=consent"))
    );
    let page = client.get(ANNA_URL, &admin).text();
    assert!(page.contains("Newsletter-PURPOSE-42") && page.contains("In force"));
    let v: serde_json::Value = serde_json::from_str(
        &client
            .get(&format!("{ANNA_URL}/consents.json"), &admin)
            .text(),
    )
    .unwrap();
    let id = v["consents"][0]["id"].as_u64().unwrap();
    assert_eq!(v["consents"][0]["active"], true);
    assert_eq!(
        v["consents"][0]["evidence_article"],
        format!("{anna_t}-{anna_a}")
    );

    // Withdrawn, with the date and channel.
    let w = client.post(
        &format!("{ANNA_URL}/consents/{id}/withdraw"),
        &admin,
        &[
            ("csrf", &csrf),
            ("at", "2026-04-02"),
            ("channel", "phone"),
            ("note", "called WITHDRAW-NOTE-9"),
        ],
    );
    assert_eq!(w.status, 303, "{}", w.text());
    let again = client.post(
        &format!("{ANNA_URL}/consents/{id}/withdraw"),
        &admin,
        &[("csrf", &csrf), ("at", ""), ("channel", "phone")],
    );
    assert_eq!(again.status, 400);
    assert!(again.text().contains("already withdrawn"));

    // The history export holds purpose, wording and the withdrawal.
    let j = client.get(&format!("{ANNA_URL}/consents.json"), &admin);
    assert_eq!(j.status, 200);
    assert!(
        j.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    let v: serde_json::Value = serde_json::from_str(&j.text()).unwrap();
    let c = &v["consents"][0];
    assert_eq!(c["purpose"], "Newsletter-PURPOSE-42");
    assert!(c["wording"].as_str().unwrap().contains("WORDING-17"));
    assert_eq!(c["active"], false);
    assert_eq!(c["withdrawn"]["channel"], "phone");
    assert!(
        c["withdrawn"]["at"]
            .as_str()
            .unwrap()
            .starts_with("2026-04-0")
    );
    let csv = client.get(&format!("{ANNA_URL}/consents.csv"), &admin);
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let csv = csv.text();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("id,purpose,wording,given,channel")
    );
    let row = lines.next().unwrap();
    assert!(
        row.contains("Newsletter-PURPOSE-42")
            && row.contains("WORDING-17")
            && row.contains(",phone,called WITHDRAW-NOTE-9"),
        "{row}"
    );

    // Rectification: a bad phone number comes back with the message and what was typed.
    let bad = client.post(
        &format!("{ANNA_URL}/rectify"),
        &admin,
        &[
            ("csrf", &csrf),
            ("name", "Anna RÄTTAD-NAMN"),
            ("phone", "ring mig"),
            ("organisation", ""),
        ],
    );
    assert_eq!(bad.status, 400);
    let text = bad.text();
    assert!(text.contains("phone:"), "{text}");
    assert!(text.contains("value=\"ring mig\"") && text.contains("value=\"Anna RÄTTAD-NAMN\""));
    let good = client.post(
        &format!("{ANNA_URL}/rectify"),
        &admin,
        &[
            ("csrf", &csrf),
            ("name", "Anna RÄTTAD-NAMN"),
            ("phone", "+46 70-555 12 34"),
            ("organisation", "KUNDORG-88 AB"),
        ],
    );
    assert_eq!(good.status, 303, "{}", good.text());
    let page = client.get(ANNA_URL, &admin).text();
    assert!(
        page.contains("Anna RÄTTAD-NAMN")
            && page.contains("+46 70-555 12 34")
            && page.contains("KUNDORG-88 AB")
    );
    // A later mail whose From header carries the old display name keeps the correction.
    assert_eq!(
        smtp_deliver(
            server.smtp,
            ANNA,
            MAILBOX,
            &mail(
                "Anna Kund <anna@kund.example.se>",
                None,
                "a2@kund",
                "ANNA-7732 igen",
                "Hej igen."
            )
        ),
        250
    );
    let page = client.get(ANNA_URL, &admin).text();
    assert!(page.contains("Anna RÄTTAD-NAMN") && page.contains("ANNA-7732"));
    // The same through the CLI and the control socket.
    let out = trygg(&[
        "gdpr",
        "rectify",
        "--data",
        d,
        "--email",
        ANNA,
        "--organisation",
        "KUNDORG-99 AB",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changed"], serde_json::json!(["organisation"]));
    let out = trygg(&[
        "gdpr", "rectify", "--data", d, "--email", ANNA, "--phone", "12",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = trygg(&[
        "gdpr",
        "rectify",
        "--data",
        d,
        "--email",
        "nobody@kund.example.se",
        "--name",
        "X",
    ]);
    assert_eq!(out.status.code(), Some(3));

    // Audited, with field names and never the values.
    let recs = audit(&data);
    let actions = |a: &str| recs.iter().filter(|r| r["action"] == a).count();
    for a in [
        "contact.view",
        "consent.record",
        "consent.withdraw",
        "consent.export",
    ] {
        assert!(actions(a) >= 1, "{a} not recorded");
    }
    let rect: Vec<&serde_json::Value> = recs
        .iter()
        .filter(|r| r["action"] == "contact.rectify")
        .collect();
    // The refused form and the refused CLI phone changed nothing and left no record; the
    // contact that does not exist is recorded as refused.
    assert_eq!(rect.len(), 3, "{rect:?}");
    assert_eq!(rect[2]["detail"], "does not exist");
    assert_eq!(rect[0]["detail"], "changed: name, phone, organisation");
    assert_eq!(rect[1]["detail"], "changed: organisation");
    assert_eq!(rect[1]["role"], "local-admin");
    let all = serde_json::to_string(&recs).unwrap();
    for value in ["RÄTTAD-NAMN", "555 12 34", "KUNDORG-88", "KUNDORG-99"] {
        assert!(!all.contains(value), "{value} is in the audit trail");
    }

    // Data-subject requests: the page is in the admin tab bar.
    let p = client.get("/admin/privacy", &admin).text();
    assert!(
        p.contains("href=\"/admin/privacy\" aria-current=\"page\""),
        "{p}"
    );
    let find = |fields: &[(&str, &str)]| {
        let mut f = vec![("csrf", csrf.as_str())];
        f.extend_from_slice(fields);
        client.post("/admin/privacy", &admin, &f)
    };
    let bad = find(&[("email", "not an address")]);
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("value=\"not an address\""));
    let two = find(&[("email", ANNA), ("phone", "070 555 12 34")]);
    assert_eq!(two.status, 400);
    assert!(two.text().contains("exactly one"));
    // The web form names its fields, not the CLI's flags; a huge value is not echoed
    // whole in the error (only in the field it was typed into).
    assert!(!two.text().contains("--email"), "{}", two.text());
    let huge = format!("{}@kund.example.se", "a".repeat(100_000));
    let big = find(&[("email", huge.as_str())]);
    assert_eq!(big.status, 400);
    let bt = big.text();
    assert_eq!(bt.matches(huge.as_str()).count(), 1);
    assert!(bt.contains("100016 characters"));
    let bad_id = find(&[("national_id", "811218-9875")]);
    assert_eq!(bad_id.status, 400);
    assert!(bad_id.text().contains("not a valid"));
    let found = find(&[("email", "Anna@Kund.example.se")]);
    assert_eq!(found.status, 200);
    let f = found.text();
    for s in [
        "count-tickets\">3<",
        "count-articles\">3<",
        "count-attachments\">3<",
        "count-contacts\">1<",
        "count-consents\">1<",
        "ANNA-7731",
        "BO-5521",
        "customer or participant",
        "sender or recipient",
        ANNA_URL,
    ] {
        assert!(f.contains(s), "missing {s}");
    }

    // Export: the ZIP download, its data.json complete.
    let zip = client.post(
        "/admin/privacy/export",
        &admin,
        &[
            ("csrf", &csrf),
            ("email", ANNA),
            ("phone", ""),
            ("national_id", ""),
        ],
    );
    assert_eq!(zip.status, 200, "{}", zip.text());
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).unwrap();
    let mut json = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("data.json").unwrap(), &mut json).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let len = |k: &str| v[k].as_array().map(Vec::len);
    assert_eq!(
        (
            len("tickets"),
            len("attachments"),
            len("contacts"),
            len("consents")
        ),
        (Some(3), Some(3), Some(1), Some(1)),
        "{json}"
    );
    assert_eq!(v["contacts"][0]["name"], "Anna RÄTTAD-NAMN");
    assert!(archive.by_name("summary.txt").is_ok());

    // Erasure: the preview first.
    let erase = |fields: &[(&str, &str)]| {
        let mut f = vec![
            ("csrf", csrf.as_str()),
            ("email", ANNA),
            ("phone", ""),
            ("national_id", ""),
        ];
        f.extend_from_slice(fields);
        client.post("/admin/privacy/erase", &admin, &f)
    };
    let preview = erase(&[]);
    assert_eq!(preview.status, 200);
    let p = preview.text();
    assert!(
        p.contains(&format!("plan-delete\">2 [#{anna_t}], [#")),
        "{p}"
    );
    assert!(p.contains(&format!("plan-redact\">1 [#{bo_t}]<")), "{p}");
    assert!(
        p.contains(&format!("{bo_t}")),
        "Bo's ticket is redacted: {p}"
    );
    assert!(
        p.contains("name=\"confirm\" value=\"yes\">"),
        "unticked: {p}"
    );
    // Without the tick, or with the wrong identity typed: nothing happens.
    for fields in [
        vec![("step", "confirm"), ("repeat", ANNA)],
        vec![
            ("step", "confirm"),
            ("confirm", "yes"),
            ("repeat", "bo@kund.example.se"),
        ],
        vec![("step", "confirm"), ("confirm", "yes"), ("repeat", "")],
    ] {
        let a = erase(&fields);
        assert_eq!(a.status, 400);
        assert!(a.text().contains("Nothing erased"));
    }
    assert_eq!(ticket_list(&data).as_array().unwrap().len(), 3);
    // Confirmed (the identity typed in another case counts as the same).
    let done = erase(&[
        ("step", "confirm"),
        ("confirm", "yes"),
        ("repeat", " ANNA@kund.example.se "),
    ]);
    // Redirected to the result (counts only), so a reload does not erase again.
    assert_eq!(done.status, 303, "{}", done.text());
    let to = done.header("location").expect("location").to_string();
    assert!(to.starts_with("/admin/privacy/erased?"), "{to}");
    assert!(!to.contains("anna"), "no personal data in the URL: {to}");
    let t = client.get(&to, &admin).text();
    assert!(
        t.contains("erased-deleted\">2<") && t.contains("erased-redacted\">1<"),
        "{t}"
    );
    assert!(
        t.contains("erased-articles-redacted\">") && !t.contains(" + "),
        "{t}"
    );
    let left = ticket_list(&data);
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["number"], bo_t);
    // The contact is gone: its page answers like any missing page.
    assert_eq!(client.get(ANNA_URL, &admin).status, 404);
    let recs = audit(&data);
    for a in [
        "gdpr.find",
        "gdpr.export",
        "gdpr.erase.preview",
        "gdpr.erase",
    ] {
        assert!(
            recs.iter()
                .any(|r| r["action"] == a && r["actor"] == ADMIN && r["role"] == "admin"),
            "{a}"
        );
    }
}

/// The contact page and the privacy search mask national IDs per number (a number detected
/// in a ticket's text is masked in its subject too, after a look-alike label); a consent
/// whose evidence lies in a ticket above the viewer's clearance shows neither its number
/// nor a link, and the exports leave the reference out for that viewer; consent input is
/// counted in characters, control characters and impossible dates are refused.
#[test]
fn contact_masking_evidence_clearance_and_consent_validation() {
    const CARL: &str = "carl@kunde.example.dk";
    const CARL_URL: &str = "/contacts/carl%40kunde.example.dk";
    const CPR: &str = "010203-1234";
    const PW: &str = "Granit-Hav-Moln-456";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &[MAILBOX], &[]);
    let server = Server::start(&data);
    for (id, subject, body) in [
        (
            "c1@kunde",
            "CARL-CONF Ordernummer 010203-1234",
            "Mit CPR er 010203-1234.",
        ),
        ("c2@kunde", "CARL-OPEN hej", "Ja tak til nyhedsbrevet."),
    ] {
        let raw = mail(
            "Carl Kunde <carl@kunde.example.dk>",
            None,
            id,
            subject,
            body,
        );
        assert_eq!(smtp_deliver(server.smtp, CARL, MAILBOX, &raw), 250);
    }
    let list = ticket_list(&data);
    let ticket = |marker: &str| {
        let t = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["subject"].as_str().unwrap_or("").contains(marker))
            .unwrap_or_else(|| panic!("no {marker} in {list}"));
        (
            t["number"].as_u64().unwrap(),
            t["classification"].as_str().unwrap().to_string(),
        )
    };
    let (conf, class) = ticket("CARL-CONF");
    assert_eq!(class, "confidential");
    let (open, class) = ticket("CARL-OPEN");
    assert_eq!(class, "internal");
    let conf_a = ticket_show(&data, conf)["articles"][0]["id"]
        .as_u64()
        .unwrap();
    let open_a = ticket_show(&data, open)["articles"][0]["id"]
        .as_u64()
        .unwrap();

    let client = Client::new(&data, server.http);
    let admin = client.login(ADMIN, ADMIN_PW).expect("admin login");
    let csrf = hidden(&client.get("/tickets", &admin).text(), "csrf").expect("csrf");
    let see_other = |a: common::https::Answer| assert_eq!(a.status, 303, "{}", a.text());
    // A role cleared only for internal tickets of the general queue.
    see_other(client.post(
        "/admin/roles",
        &admin,
        &[
            ("csrf", &csrf),
            ("name", "low"),
            ("description", "internal only"),
            ("q:general", "read"),
            ("q:general", "reply"),
            ("q:general", "change"),
            ("clearance", "internal"),
        ],
    ));
    see_other(client.post(
        "/admin/users",
        &admin,
        &[
            ("csrf", &csrf),
            ("email", "low@helpdesk.example.com"),
            ("name", "Low"),
            ("password", PW),
            ("role", "low"),
        ],
    ));

    // ---- Consent input validation (the form comes back with the message). ----
    let consent = |purpose: &str, wording: &str, given: &str, article: &str| {
        client.post(
            &format!("{CARL_URL}/consents"),
            &admin,
            &[
                ("csrf", csrf.as_str()),
                ("purpose", purpose),
                ("wording", wording),
                ("given", given),
                ("channel", "email"),
                ("article", article),
                ("note", ""),
                ("affirmed", "yes"),
            ],
        )
    };
    let conf_ref = format!("{conf}-{conf_a}");
    let open_ref = format!("{open}-{open_a}");
    for (purpose, wording, given, needle) in [
        ("News\u{7}letter", "Ok?", "2026-03-01", "control characters"),
        (
            "Newsletter",
            "Ok?\u{1b}[2J",
            "2026-03-01",
            "control characters",
        ),
        ("Newsletter", "Ok?", "1800-01-01", "before 1990-01-01"),
        ("Newsletter", "Ok?", "2999-01-01", "in the future"),
        (&"å".repeat(201), "Ok?", "2026-03-01", "200 characters"),
    ] {
        let a = consent(purpose, wording, given, &conf_ref);
        assert_eq!(a.status, 400, "{purpose:?} {given}: {}", a.text());
        assert!(a.text().contains(needle), "{needle}: {}", a.text());
        assert!(
            a.text().contains("id=\"k-purpose\""),
            "the form is shown again"
        );
    }
    // 150 × å is 300 bytes but 150 characters: accepted; line breaks in the wording too.
    let purpose_aa = format!("{}-CONF", "å".repeat(150));
    see_other(consent(
        &purpose_aa,
        "Line one\r\nLine two",
        "2026-03-01",
        &conf_ref,
    ));
    see_other(consent("OPEN-PURPOSE", "Ok?", "2026-03-02", &open_ref));

    // ---- Masked per number on the contact page and in the privacy search. ----
    let masked = "CARL-CONF Ordernummer XXXXXX-XXXX";
    let page = client.get(CARL_URL, &admin).text();
    assert!(!page.contains(CPR), "{page}");
    assert_eq!(
        page.matches(masked).count(),
        2,
        "ticket list and evidence select: {page}"
    );
    let found = client.post(
        "/admin/privacy",
        &admin,
        &[("csrf", csrf.as_str()), ("email", CARL)],
    );
    assert_eq!(found.status, 200);
    let f = found.text();
    assert!(f.contains(masked) && !f.contains(CPR), "{f}");
    // The export is the person's own data: unmasked.
    let zip = client.post(
        "/admin/privacy/export",
        &admin,
        &[
            ("csrf", &csrf),
            ("email", CARL),
            ("phone", ""),
            ("national_id", ""),
        ],
    );
    assert_eq!(zip.status, 200, "{}", zip.text());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).unwrap();
    let mut json = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("data.json").unwrap(), &mut json).unwrap();
    assert!(json.contains(CPR));

    // ---- The privacy admin sees every evidence reference. ----
    assert!(page.contains(&format!("href=\"/tickets/{conf}#article-{conf_a}\"")));
    let j = client
        .get(&format!("{CARL_URL}/consents.json"), &admin)
        .text();
    assert!(j.contains(&format!("\"{conf_ref}\"")), "{j}");

    // ---- A viewer below the evidence ticket's classification sees neither number nor
    // link, and the exports leave the reference out. ----
    let low = client
        .login("low@helpdesk.example.com", PW)
        .expect("low login");
    let lp = client.get(CARL_URL, &low);
    assert_eq!(lp.status, 200, "{}", lp.text());
    let lp = lp.text();
    assert!(
        lp.contains(&purpose_aa) && lp.contains("OPEN-PURPOSE"),
        "{lp}"
    );
    assert!(lp.contains("a message in a ticket you cannot open"), "{lp}");
    assert!(!lp.contains(&format!("[#{conf}]")), "{lp}");
    assert!(!lp.contains(&format!("/tickets/{conf}")), "{lp}");
    assert!(!lp.contains("CARL-CONF") && !lp.contains(&conf_ref));
    assert!(lp.contains(&format!("href=\"/tickets/{open}#article-{open_a}\"")));
    let sv = client.get(&format!("{CARL_URL}?lang=sv"), &low).text();
    assert!(sv.contains("ett meddelande i ett ärende du inte kan öppna"));
    let lj: serde_json::Value = serde_json::from_str(
        &client
            .get(&format!("{CARL_URL}/consents.json"), &low)
            .text(),
    )
    .unwrap();
    let evidence: Vec<&str> = lj["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["evidence_article"].as_str().unwrap())
        .collect();
    assert_eq!(evidence, ["", open_ref.as_str()]);
    let lc = client.get(&format!("{CARL_URL}/consents.csv"), &low).text();
    assert!(!lc.contains(&conf_ref) && lc.contains(&open_ref), "{lc}");
    drop(server);
}
