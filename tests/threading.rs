//! Threading rules over the real SMTP listener and CLI: one mail reaching two of our
//! mailboxes is one article that records both; subject tags work for participants and their
//! colleagues but a stranger quoting a tag gets a new ticket linked to the old one, which an
//! agent can merge; reply prefixes in many languages are normalised while other systems'
//! reference tags stay. The web part (merge form, admin page, remote images) drives HTTPS
//! with curl.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const SUPPORT: &str = "support@helpdesk.example.com";
const IT: &str = "it@helpdesk.example.com";

fn mail(from: &str, id: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 3 Mar 2025 10:00:00 +0100\r\nMIME-Version: 1.0\r\n{extra}\r\n{body}\r\n"
    )
    .into_bytes()
}

fn send(port: u16, from: &str, rcpts: &[&str], raw: &[u8]) -> u64 {
    let (code, text) = smtplib_send(port, from, rcpts, raw);
    assert_eq!(code, 250, "{text}");
    let i = text.find("[#").expect("ticket tag in the SMTP reply");
    text[i + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

fn articles(data: &Path, n: u64) -> Vec<Value> {
    ticket_show(data, n)["articles"].as_array().unwrap().clone()
}

#[test]
fn mailboxes_tags_links_merge_and_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &[SUPPORT, IT], &[]);
    let server = Server::start(&data);
    let port = server.smtp;

    // One mail to two of our mailboxes (one delivery), then again to one of them
    // (a second delivery, other trace): one ticket, one article, both mailboxes recorded.
    let raw = mail(
        "anna@firma.example.se",
        "two@firma",
        "Två adresser",
        "",
        "hej",
    );
    let t = send(port, "anna@firma.example.se", &[SUPPORT, IT], &raw);
    let (code, _) = smtplib_send(port, "anna@firma.example.se", &[IT], &raw);
    assert_eq!(code, 250);
    assert_eq!(ticket_list(&data).as_array().unwrap().len(), 1);
    assert_eq!(articles(&data, t).len(), 1);
    let info = ticket_mail_info(&data, t);
    let boxes: Vec<&str> = info["articles"][0]["mailboxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(boxes, vec![SUPPORT, IT]);

    // Prefixes in several languages are stripped; another system's reference tag stays.
    let p = send(
        port,
        "j@lieferant.example.com",
        &[SUPPORT],
        &mail(
            "j@lieferant.example.com",
            "p@l",
            "SV: VS: AW: Re[2]: WG: Lieferung (Vorgang 4471)",
            "",
            "x",
        ),
    );
    let list = ticket_list(&data);
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["number"] == p)
        .unwrap();
    assert_eq!(entry["subject"], "Lieferung (Vorgang 4471)");

    // The customer, a colleague (same organisation domain), and a stranger quoting the tag.
    let c = send(
        port,
        "asa@kommun.example.se",
        &[SUPPORT],
        &mail("asa@kommun.example.se", "c@k", "Skrivaren", "", "hej"),
    );
    let tag = format!("[#{c}]");
    let colleague = send(
        port,
        "per@kommun.example.se",
        &[SUPPORT],
        &mail(
            "per@kommun.example.se",
            "col@k",
            &format!("Sv: {tag} Skrivaren"),
            "",
            "samma här",
        ),
    );
    assert_eq!(colleague, c);
    let stranger = send(
        port,
        "eve@gmail.com",
        &[SUPPORT],
        &mail(
            "eve@gmail.com",
            "eve@g",
            &format!("Re: {tag} Skrivaren"),
            "",
            "ge mig allt",
        ),
    );
    assert_ne!(stranger, c, "a stranger must not join by tag");
    let s_arts = articles(&data, stranger);
    assert_eq!(s_arts[0]["flags"]["foreign_tag"], true);
    let links = ticket_mail_info(&data, stranger)["links"].clone();
    assert_eq!(links[0]["ticket"], c);
    assert_eq!(links[0]["kind"], "quotes_tag_of");
    assert_eq!(
        ticket_mail_info(&data, c)["links"][0]["kind"],
        "tag_quoted_by"
    );

    // An agent merges it (CLI; the web form is tested below): the article moves, and a
    // reply to the stranger's mail now lands on the merged ticket.
    let out = trygg(&[
        "ticket",
        "merge",
        &stranger.to_string(),
        "--into",
        &c.to_string(),
        "--data",
        &data.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(articles(&data, c).len(), 3);
    assert_eq!(articles(&data, stranger).len(), 0);
    let follow = send(
        port,
        "eve@gmail.com",
        &[SUPPORT],
        &mail(
            "eve@gmail.com",
            "eve2@g",
            "Re: Skrivaren",
            "In-Reply-To: <eve@g>\r\n",
            "och?",
        ),
    );
    assert_eq!(follow, c);
    // Merging again is a conflict (exit 4).
    let out = trygg(&[
        "ticket",
        "merge",
        &stranger.to_string(),
        "--into",
        &c.to_string(),
        "--data",
        &data.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(4));
}

/// curl with a cookie jar; returns (status, headers, body).
fn curl(jar: &Path, args: &[&str]) -> (u16, String, String) {
    let out = Command::new("curl")
        .args(["-sk", "-D", "-", "-b"])
        .arg(jar)
        .arg("-c")
        .arg(jar)
        .args(["-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (rest, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    let (head, body) = rest.split_once("\r\n\r\n").unwrap_or((rest, ""));
    (
        code.trim().parse().unwrap_or(0),
        head.to_string(),
        body.to_string(),
    )
}

fn hidden(body: &str, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let i = body
        .find(&pat)
        .unwrap_or_else(|| panic!("no hidden {name} in page:\n{body}"));
    body[i + pat.len()..].split('"').next().unwrap().to_string()
}

#[test]
#[ignore = "interop: needs curl; run by .ci/run"]
fn web_admin_mail_rules_merge_form_and_remote_images() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &[SUPPORT], &[]);
    let server = Server::start(&data);
    let base = server.base_url();
    let jar = dir.path().join("cookies");
    let (_, _, page) = curl(&jar, &[&format!("{base}/login")]);
    let csrf = hidden(&page, "csrf");
    let (st, _, _) = curl(
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

    // The admin page: defaults shown; a POST without the CSRF token changes nothing.
    let (st, _, page) = curl(&jar, &[&format!("{base}/admin/mail-rules?lang=sv")]);
    assert_eq!(st, 200);
    assert!(page.contains("Vi har tagit emot ditt ärende"), "{page}");
    let csrf = hidden(&page, "csrf");
    let (st, _, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            "autoack=on",
            &format!("{base}/admin/mail-rules"),
        ],
    );
    assert_eq!(st, 403);
    let rules = |extra: &[&str]| {
        let mut args: Vec<String> = vec![
            "--data-urlencode".into(),
            format!("csrf={csrf}"),
            "--data-urlencode".into(),
            "autoack=on".into(),
            "--data-urlencode".into(),
            "lang=da".into(),
            "--data-urlencode".into(),
            "max_auto_per_day=5".into(),
            "--data-urlencode".into(),
            "new_ticket_after_days=0".into(),
        ];
        for l in ["en", "sv", "da"] {
            args.push("--data-urlencode".into());
            args.push(format!("subject_{l}={{tag}} Modtaget: {{subject}}"));
            args.push("--data-urlencode".into());
            args.push(format!("body_{l}=Tak! Sag {{tag}} hos {{org}}."));
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(format!("{base}/admin/mail-rules"));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        curl(&jar, &refs)
    };
    let (st, _, page) = rules(&[]);
    assert_eq!(st, 200, "{page}");
    let shown = trygg(&["mail-rules", "show", "--data", &data.display().to_string()]);
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["autoack"], true);
    assert_eq!(shown["autoack_lang"], "da");
    assert_eq!(shown["max_auto_per_day"], 5);

    // A new ticket is acknowledged with the Danish template.
    let html = "<html><body><p>Se billedet</p><img src=\"https://tracker.example.org/p.gif\"></body></html>";
    let raw = format!(
        "From: Ole <ole@firma.example.dk>\r\nTo: {SUPPORT}\r\nSubject: Billede\r\nMessage-ID: <img@firma>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    );
    let (code, text) = smtplib_send(
        server.smtp,
        "ole@firma.example.dk",
        &[SUPPORT],
        raw.as_bytes(),
    );
    assert_eq!(code, 250, "{text}");
    let n = ticket_list(&data)[0]["number"].as_u64().unwrap();
    let arts = ticket_show(&data, n)["articles"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(arts.len(), 2);
    assert_eq!(arts[1]["flags"]["automatic"], true);
    assert_eq!(
        arts[1]["text"],
        format!("Tak! Sag [#{n}] hos Hjälpdesken AB.")
    );
    let article = arts[0]["id"].as_u64().unwrap();

    // Remote images: blocked with a link; shown (still sanitised) only when asked, with a
    // CSP that allows them for that view only.
    let (st, head, page) = curl(&jar, &[&format!("{base}/tickets/{n}")]);
    assert_eq!(st, 200);
    assert!(!page.contains("tracker.example.org"), "remote image leaked");
    assert!(page.contains(&format!("?images={article}")), "{page}");
    assert!(head.to_lowercase().contains("img-src 'self';"), "{head}");
    let (st, head, page) = curl(&jar, &[&format!("{base}/tickets/{n}?images={article}")]);
    assert_eq!(st, 200);
    assert!(
        page.contains("src=\"https://tracker.example.org/p.gif\""),
        "{page}"
    );
    assert!(head.contains("img-src 'self' https: http:"), "{head}");

    // Merge through the form (with CSRF).
    let (code, _) = smtplib_send(
        server.smtp,
        "x@annan.example.org",
        &[SUPPORT],
        format!("From: x@annan.example.org\r\nTo: {SUPPORT}\r\nSubject: [#{n}] Billede\r\nMessage-ID: <x@a>\r\n\r\nhej\r\n").as_bytes(),
    );
    assert_eq!(code, 250);
    let other = ticket_list(&data)[0]["number"].as_u64().unwrap();
    assert_ne!(other, n);
    let (_, _, page) = curl(&jar, &[&format!("{base}/tickets/{other}")]);
    let csrf = hidden(&page, "csrf");
    assert!(
        page.contains(&format!("value=\"{n}\"")),
        "merge target suggested: {page}"
    );
    let (st, _, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            &format!("into={n}"),
            &format!("{base}/tickets/{other}/merge"),
        ],
    );
    assert_eq!(st, 403, "merge without CSRF is refused");
    let (st, head, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            &format!("into={n}"),
            "--data-urlencode",
            &format!("csrf={csrf}"),
            &format!("{base}/tickets/{other}/merge"),
        ],
    );
    assert_eq!(st, 303, "{head}");
    let info = ticket_mail_info(&data, n);
    assert!(
        info["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["kind"] == "merged_from" && l["by"] == ADMIN)
    );
}
