//! Classification, purpose, masking and roles limited by classification (issue 6), over
//! SMTP and HTTPS to the real binary: national IDs raise tickets to confidential and are
//! masked in the list, the ticket page, the JSON API and the auto-acknowledgement; an
//! explicit reveal shows them and is audited; look-alikes stay internal and unmasked; a
//! queue's default classification and purpose apply; a role cleared only for *internal*
//! cannot open or list a confidential ticket (the same 404 as a missing one); changing the
//! classification is audited and refused above one's clearance.

mod common;

use common::https::{Answer, Client, hidden};
use common::*;

const SUPPORT: &str = "support@helpdesk.example.com";
const HR: &str = "hr@helpdesk.example.com";
const PW: &str = "Granit-Hav-Moln-456";
const CPR: &str = "010203-1234";
const PNR: &str = "811218-9876";
const MASKED: &str = "XXXXXX-XXXX";

/// A Danish customer: CPR in the subject, the text, the HTML and an attachment's name.
fn cpr_mail() -> String {
    format!(
        "From: Mette Kunde <mette@kunde.example.dk>\r\nTo: {SUPPORT}\r\n\
         Subject: CPRMARK my CPR {CPR} and my pension\r\nMessage-ID: <cpr-1@kunde.example.dk>\r\n\
         Date: Mon, 2 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMit CPR-nummer er {CPR}.\r\n\
         --b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Mit CPR-nummer er <i>{CPR}</i>.</p>\r\n\
         --b1\r\nContent-Type: application/pdf; name=\"payslip_{CPR}.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"payslip_{CPR}.pdf\"\r\n\r\nPDF-DATA-1\r\n\
         --b1--\r\n"
    )
}

/// A Swedish customer: personnummer in the text; in the HTML its digits are split by markup,
/// which masking cannot cover, so the formatted version must be withheld.
fn pnr_mail() -> String {
    format!(
        "From: Sven Kund <sven@kund.example.se>\r\nTo: {SUPPORT}\r\n\
         Subject: SEMARK lönefråga\r\nMessage-ID: <pnr-1@kund.example.se>\r\n\
         Date: Mon, 2 Mar 2026 10:01:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n\
         --b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMitt personnummer är {PNR}.\r\n\
         --b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
         <p>Mitt personnummer är <b>811218</b>-9876.</p>\r\n--b2--\r\n"
    )
}

/// Numbers that look like IDs but are not (an order number after its label, a phone).
const LOOKALIKE_MAIL: &str = "From: Ole Kunde <ole@kunde.example.dk>\r\n\
To: support@helpdesk.example.com\r\n\
Subject: ORDMARK Ordre nr. 150310-4321\r\n\
Message-ID: <ord-1@kunde.example.dk>\r\n\
Date: Mon, 2 Mar 2026 10:02:00 +0100\r\n\
\r\n\
Hej, min ordre nr. 150310-4321 er ikke kommet. Ring 12345678.\r\n";

const HR_MAIL: &str = "From: Karin Kund <karin@kund.example.se>\r\n\
To: hr@helpdesk.example.com\r\n\
Subject: HRMARK sick leave\r\n\
Message-ID: <hr-1@kund.example.se>\r\n\
Date: Mon, 2 Mar 2026 10:03:00 +0100\r\n\
\r\n\
About my sick leave.\r\n";

fn csrf_of(c: &Client, cookie: &str) -> String {
    hidden(&c.get("/tickets", cookie).text(), "csrf").expect("csrf on page")
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
    serde_json::from_slice(&out.stdout).expect("export json")
}

fn find<'a>(
    recs: &'a [serde_json::Value],
    actor: &str,
    action: &str,
    object: &str,
) -> Vec<&'a serde_json::Value> {
    recs.iter()
        .filter(|r| r["actor"] == actor && r["action"] == action && r["object"] == object)
        .collect()
}

/// Asserts `a` is a 404 identical to the one for ticket 999999 at the same sub-path.
fn assert_like_missing(c: &Client, cookie: &str, a: &Answer, path: &str, n: u64) {
    assert_eq!(a.status, 404, "{path}: {}", a.text());
    let ref_path = path.replacen(&n.to_string(), "999999", 1);
    let reference = c.get(&ref_path, cookie);
    assert_eq!(reference.status, 404);
    assert_eq!(
        a.text(),
        reference.text().replace(&ref_path, path),
        "{path}: must look exactly like a missing ticket"
    );
}

#[test]
fn national_ids_classify_mask_reveal_and_limit_roles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &[SUPPORT, HR], &[]);
    mail_rules_set(&data, &["--autoack", "on"]);
    let server = Server::start(&data);
    let c = Client::new(&data, server.http);
    let admin = c.login(ADMIN, ADMIN_PW).expect("admin login");
    let csrf = csrf_of(&c, &admin);
    let see_other = |a: Answer| assert_eq!(a.status, 303, "{}", a.text());

    // ---- Queues: default classification and purpose, validated. ----
    see_other(c.post(
        "/admin/queues",
        &admin,
        &[
            ("csrf", &csrf),
            ("id", "general"),
            ("name", "General"),
            ("mailboxes", ""),
            ("default_classification", "internal"),
            (
                "purpose",
                "GENERAL-PURPOSE-55: answering customers' questions",
            ),
        ],
    ));
    see_other(c.post(
        "/admin/queues",
        &admin,
        &[
            ("csrf", &csrf),
            ("id", "hr"),
            ("name", "HR"),
            ("mailboxes", HR),
            ("default_classification", "sensitive"),
            ("purpose", "HR-PURPOSE-77: employees' absence"),
        ],
    ));
    let long = "p".repeat(1001);
    let a = c.post(
        "/admin/queues",
        &admin,
        &[
            ("csrf", &csrf),
            ("id", "hr"),
            ("name", "HR-RENAMED"),
            ("mailboxes", HR),
            ("default_classification", "sensitive"),
            ("purpose", &long),
        ],
    );
    assert_eq!(a.status, 400);
    assert!(a.text().contains("at most 1000 characters"), "{}", a.text());
    assert!(
        a.text().contains("value=\"HR-RENAMED\""),
        "form keeps the input"
    );
    let a = c.post(
        "/admin/queues",
        &admin,
        &[
            ("csrf", &csrf),
            ("id", "hr"),
            ("name", "HR"),
            ("default_classification", "secret"),
        ],
    );
    assert_eq!(a.status, 400);
    assert!(a.text().contains("classification must be"), "{}", a.text());
    let queues = c.get("/admin/queues", &admin).text();
    assert!(queues.contains("HR-PURPOSE-77") && !queues.contains("HR-RENAMED"));
    let recs = audit(&data);
    let saved = find(&recs, ADMIN, "queue.save", "queue:hr");
    assert!(
        saved
            .iter()
            .any(|r| r["detail"].as_str().unwrap().contains("default sensitive")),
        "{saved:?}"
    );

    // ---- Roles: one cleared only for internal on general; the built-in agent. ----
    see_other(c.post(
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
    assert!(
        c.get("/admin/roles?edit=low", &admin)
            .text()
            .contains("<option value=\"internal\" selected>")
    );
    for (email, role) in [
        ("low@helpdesk.example.com", "low"),
        ("agent@helpdesk.example.com", "agent"),
    ] {
        see_other(c.post(
            "/admin/users",
            &admin,
            &[
                ("csrf", &csrf),
                ("email", email),
                ("name", "Staff"),
                ("password", PW),
                ("role", role),
            ],
        ));
    }

    // ---- Mail in. ----
    for (from, to, raw) in [
        ("mette@kunde.example.dk", SUPPORT, cpr_mail()),
        ("sven@kund.example.se", SUPPORT, pnr_mail()),
        ("ole@kunde.example.dk", SUPPORT, LOOKALIKE_MAIL.to_string()),
        ("karin@kund.example.se", HR, HR_MAIL.to_string()),
    ] {
        assert_eq!(smtp_deliver(server.smtp, from, to, &raw), 250);
    }
    let api: serde_json::Value =
        serde_json::from_str(&c.get("/api/v1/tickets", &admin).text()).expect("api list");
    let by = |marker: &str| -> (u64, String) {
        let t = api
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["subject"].as_str().unwrap_or("").contains(marker))
            .unwrap_or_else(|| panic!("no {marker} in {api}"));
        (
            t["number"].as_u64().unwrap(),
            t["classification"].as_str().unwrap().to_string(),
        )
    };
    let (cpr, class) = by("CPRMARK");
    assert_eq!(class, "confidential");
    let (pnr, class) = by("SEMARK");
    assert_eq!(class, "confidential");
    let (ord, class) = by("ORDMARK");
    assert_eq!(class, "internal", "look-alikes are not IDs");
    let (hr, class) = by("HRMARK");
    assert_eq!(class, "sensitive", "the queue's default");
    let api_text = api.to_string();
    assert!(
        api_text.contains(&format!("my CPR {MASKED} and")),
        "{api_text}"
    );
    assert!(!api_text.contains(CPR) && !api_text.contains(PNR));

    // ---- Masked in the list, the page and the JSON view. ----
    let list = c.get("/tickets", &admin).text();
    assert!(list.contains(&format!("CPRMARK my CPR {MASKED}")), "{list}");
    assert!(list.contains("class-confidential") && list.contains("class-sensitive"));
    assert!(!list.contains(CPR) && !list.contains(PNR));
    assert!(list.contains("150310-4321"), "look-alikes are not masked");

    let page = c.get(&format!("/tickets/{cpr}"), &admin).text();
    assert!(!page.contains(CPR), "{page}");
    assert!(!page.contains("0102031234"));
    assert!(page.contains(&format!("payslip_{MASKED}.pdf")), "{page}");
    assert!(page.contains(&format!("Mit CPR-nummer er {MASKED}.")));
    assert!(
        page.contains(&format!("<i>{MASKED}</i>")),
        "masked HTML shown"
    );
    assert!(page.contains("GENERAL-PURPOSE-55"), "purpose shown");
    assert!(page.contains("class-confidential"));
    assert!(page.contains(&format!("action=\"/tickets/{cpr}/reveal\"")));
    let json = c.get(&format!("/api/v1/tickets/{cpr}"), &admin).text();
    assert!(!json.contains(CPR) && json.contains(&format!("payslip_{MASKED}.pdf")));
    let pnr_page = c.get(&format!("/tickets/{pnr}"), &admin).text();
    assert!(!pnr_page.contains("811218") && pnr_page.contains(MASKED));
    assert!(
        pnr_page.contains("class=\"hint html-hidden\""),
        "{pnr_page}"
    );
    let ord_page = c.get(&format!("/tickets/{ord}"), &admin).text();
    assert!(ord_page.contains("150310-4321") && ord_page.contains("12345678"));
    assert!(!ord_page.contains(MASKED) && !ord_page.contains("/reveal\""));
    let hr_page = c.get(&format!("/tickets/{hr}"), &admin).text();
    assert!(hr_page.contains("HR-PURPOSE-77") && hr_page.contains("class-sensitive"));

    // ---- The auto-acknowledgement quotes the subject masked (its raw mail as sent). ----
    let view: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ack = view["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["direction"] == "out")
        .unwrap_or_else(|| panic!("no acknowledgement in {view}"));
    let raw = c
        .get(
            &format!("/tickets/{cpr}/articles/{}/raw", ack["id"]),
            &admin,
        )
        .text();
    assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
    assert!(raw.contains(MASKED) && !raw.contains(CPR), "{raw}");

    // ---- Masking per number: a number detected once (after "Personnummer") is masked
    // everywhere in the ticket, also after look-alike labels and in other spellings. ----
    let per_mail = format!(
        "From: Nils Kund <nils@kund.example.se>\r\nTo: {SUPPORT}\r\n\
         Subject: PERMARK Ordernummer {PNR}?\r\nMessage-ID: <per-1@kund.example.se>\r\n\
         Date: Mon, 2 Mar 2026 10:04:00 +0100\r\n\r\n\
         order number {PNR} hmm. Personnummer {PNR}\r\n"
    );
    assert_eq!(
        smtp_deliver(server.smtp, "nils@kund.example.se", SUPPORT, &per_mail),
        250
    );
    let api: serde_json::Value =
        serde_json::from_str(&c.get("/api/v1/tickets", &admin).text()).expect("api list");
    let per = api
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"].as_str().unwrap_or("").contains("PERMARK"))
        .unwrap_or_else(|| panic!("no PERMARK in {api}"));
    assert_eq!(per["subject"], format!("PERMARK Ordernummer {MASKED}?"));
    assert_eq!(per["classification"], "confidential");
    let per = per["number"].as_u64().unwrap();
    let follow = format!(
        "From: Nils Kund <nils@kund.example.se>\r\nTo: {SUPPORT}\r\n\
         Subject: Re: [#{per}] PERMARK\r\nMessage-ID: <per-2@kund.example.se>\r\n\
         In-Reply-To: <per-1@kund.example.se>\r\n\
         Date: Mon, 2 Mar 2026 10:05:00 +0100\r\n\r\n\
         Ring {PNR} eller tel. 811218 9876. Kundnr 19811218-9876, Fax: 8112189876, \
         Mobil 811218+9876.\r\n"
    );
    assert_eq!(
        smtp_deliver(server.smtp, "nils@kund.example.se", SUPPORT, &follow),
        250
    );
    let no_digits = |what: &str, text: &str| {
        for clear in ["811218", "8112189876"] {
            assert!(!text.contains(clear), "{what} shows {clear}: {text}");
        }
    };
    let list = c.get("/tickets", &admin).text();
    no_digits("list", &list);
    assert!(list.contains(&format!("PERMARK Ordernummer {MASKED}?")));
    let page = c.get(&format!("/tickets/{per}"), &admin).text();
    no_digits("page", &page);
    for shown in [
        format!("order number {MASKED} hmm. Personnummer {MASKED}"),
        format!("Ring {MASKED} eller tel. XXXXXX XXXX. Kundnr XXXXXXXX-XXXX"),
        "Fax: XXXXXXXXXX, Mobil XXXXXX+XXXX.".to_string(),
    ] {
        assert!(page.contains(&shown), "{shown} not in {page}");
    }
    let per_json = c.get(&format!("/api/v1/tickets/{per}"), &admin).text();
    no_digits("api", &per_json);
    let per_view: serde_json::Value = serde_json::from_str(&per_json).unwrap();
    assert_eq!(
        per_view["articles"].as_array().unwrap().len(),
        3,
        "{per_json}"
    );
    let cli = trygg(&[
        "ticket",
        "show",
        &per.to_string(),
        "--json",
        "--data",
        &data.display().to_string(),
    ]);
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    no_digits("trygg ticket show", &String::from_utf8_lossy(&cli.stdout));
    // The auto-acknowledgement and an agent's answer, as sent (headers unfolded).
    let raw_of = |article: &serde_json::Value| {
        c.get(
            &format!("/tickets/{per}/articles/{}/raw", article["id"]),
            &admin,
        )
        .text()
        .replace("\r\n ", " ")
        .replace("\r\n\t", " ")
    };
    let per_ack = per_view["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["direction"] == "out")
        .unwrap_or_else(|| panic!("no acknowledgement in {per_view}"));
    let raw = raw_of(per_ack);
    assert!(
        raw.contains(&format!(
            "We have received your request: PERMARK Ordernummer {MASKED}?"
        )),
        "{raw}"
    );
    no_digits("auto-acknowledgement", &raw);
    let a = c.post(
        &format!("/tickets/{per}/reply"),
        &admin,
        &[("csrf", &csrf), ("text", "Thank you, we are on it.")],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    let per_view: serde_json::Value =
        serde_json::from_str(&c.get(&format!("/api/v1/tickets/{per}"), &admin).text()).unwrap();
    let answer = per_view["articles"].as_array().unwrap().last().unwrap();
    assert_eq!(answer["direction"], "out");
    let raw = raw_of(answer);
    assert!(
        raw.contains(&format!("PERMARK Ordernummer {MASKED}?")),
        "{raw}"
    );
    no_digits("agent's answer", &raw);

    // ---- Reveal: POST with CSRF, shows the digits once, audited. ----
    let reveal_path = format!("/tickets/{cpr}/reveal");
    assert_eq!(c.post(&reveal_path, &admin, &[]).status, 403, "CSRF needed");
    assert_eq!(c.get(&reveal_path, &admin).status, 405);
    let shown = c.post(&reveal_path, &admin, &[("csrf", &csrf)]);
    assert_eq!(shown.status, 200);
    let shown = shown.text();
    assert!(shown.contains(&format!("my CPR {CPR} and")));
    assert!(shown.contains(&format!("payslip_{CPR}.pdf")));
    assert!(shown.contains(&format!("<i>{CPR}</i>")));
    assert!(
        !c.get(&format!("/tickets/{cpr}"), &admin)
            .text()
            .contains(CPR)
    );
    let pnr_shown = c
        .post(
            &format!("/tickets/{pnr}/reveal"),
            &admin,
            &[("csrf", &csrf)],
        )
        .text();
    assert!(pnr_shown.contains("<b>811218</b>-9876"), "formatted shown");
    let recs = audit(&data);
    let article = view["articles"][0]["id"].as_u64().unwrap();
    let reveals = find(&recs, ADMIN, "ticket.reveal", &format!("ticket:{cpr}"));
    assert_eq!(reveals.len(), 1, "{reveals:?}");
    assert_eq!(reveals[0]["outcome"], "ok");
    assert_eq!(
        reveals[0]["detail"],
        format!("articles [{article}], subject")
    );

    // ---- Roles limited by classification. ----
    let low = c.login("low@helpdesk.example.com", PW).expect("low login");
    let low_list = c.get("/tickets", &low).text();
    assert!(low_list.contains("ORDMARK"), "internal ticket listed");
    assert!(!low_list.contains("CPRMARK") && !low_list.contains("SEMARK"));
    let low_api = c.get("/api/v1/tickets", &low).text();
    assert!(low_api.contains("ORDMARK") && !low_api.contains("CPRMARK"));
    for path in [format!("/tickets/{cpr}"), format!("/tickets/{pnr}")] {
        let a = c.get(&path, &low);
        let n = path.rsplit('/').next().unwrap().parse().unwrap();
        assert_like_missing(&c, &low, &a, &path, n);
    }
    let a = c.get(&format!("/api/v1/tickets/{cpr}"), &low);
    assert_eq!(a.status, 404);
    assert_eq!(
        a.text(),
        format!("{{\"error\":\"no ticket {cpr}\",\"kind\":\"not_found\"}}")
    );
    let low_csrf = csrf_of(&c, &low);
    let a = c.post(&reveal_path, &low, &[("csrf", &low_csrf)]);
    assert_eq!(a.status, 404);
    // Merging into a ticket above one's clearance looks like merging into a missing one.
    let a = c.post(
        &format!("/tickets/{ord}/merge"),
        &low,
        &[("csrf", &low_csrf), ("into", &cpr.to_string())],
    );
    let b = c.post(
        &format!("/tickets/{ord}/merge"),
        &low,
        &[("csrf", &low_csrf), ("into", "999999")],
    );
    assert_eq!((a.status, a.text()), (b.status, b.text()));
    assert_eq!(a.status, 404);
    let recs = audit(&data);
    let denied = find(
        &recs,
        "low@helpdesk.example.com",
        "ticket.view",
        &format!("ticket:{cpr}"),
    );
    assert!(
        denied
            .iter()
            .any(|r| r["outcome"] == "denied" && r["detail"] == "classification"),
        "{denied:?}"
    );
    // The admin (cleared for everything) opens every ticket.
    assert_eq!(c.get(&format!("/tickets/{hr}"), &admin).status, 200);

    // ---- Changing the classification: audited, never above one's clearance. ----
    let agent = c
        .login("agent@helpdesk.example.com", PW)
        .expect("agent login");
    let agent_csrf = csrf_of(&c, &agent);
    let page = c.get(&format!("/tickets/{ord}"), &agent).text();
    assert!(page.contains("name=\"classification\""));
    assert!(
        !page.contains("<option value=\"sensitive\""),
        "only classifications within the clearance are offered"
    );
    let classify = format!("/tickets/{ord}/classification");
    let a = c.post(
        &classify,
        &agent,
        &[("csrf", &agent_csrf), ("classification", "sensitive")],
    );
    assert_eq!(a.status, 403, "{}", a.text());
    assert!(a.text().contains("clearance"));
    assert_eq!(
        c.post(&classify, &agent, &[("classification", "confidential")])
            .status,
        403,
        "CSRF needed"
    );
    see_other(c.post(
        &classify,
        &agent,
        &[("csrf", &agent_csrf), ("classification", "confidential")],
    ));
    // Now above the low role's clearance: gone from its list.
    assert!(!c.get("/tickets", &low).text().contains("ORDMARK"));
    // The admin raises it to sensitive: the built-in agent may no longer open it.
    see_other(c.post(
        &classify,
        &admin,
        &[("csrf", &csrf), ("classification", "sensitive")],
    ));
    let path = format!("/tickets/{ord}");
    let a = c.get(&path, &agent);
    assert_like_missing(&c, &agent, &a, &path, ord);
    assert!(!c.get("/tickets", &agent).text().contains("ORDMARK"));
    let a = c.post(
        &classify,
        &agent,
        &[("csrf", &agent_csrf), ("classification", "internal")],
    );
    assert_eq!(a.status, 404, "a ticket one may not open cannot be changed");
    let recs = audit(&data);
    let object = format!("ticket:{ord}");
    let got: Vec<(String, String, String)> = recs
        .iter()
        .filter(|r| r["action"] == "ticket.classify" && r["object"] == object.as_str())
        .map(|r| {
            (
                r["actor"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
                r["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let e = |a: &str, o: &str, d: &str| (a.to_string(), o.to_string(), d.to_string());
    assert_eq!(
        got,
        [
            e(
                "agent@helpdesk.example.com",
                "denied",
                "above clearance: sensitive"
            ),
            e(
                "agent@helpdesk.example.com",
                "ok",
                "internal -> confidential"
            ),
            e(ADMIN, "ok", "confidential -> sensitive"),
            e("agent@helpdesk.example.com", "denied", "classification"),
        ]
    );
    let v = trygg(&["audit", "verify", "--data", &data.display().to_string()]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    drop(server);
}
