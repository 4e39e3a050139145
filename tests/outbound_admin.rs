//! The admin side of outbound mail over real HTTPS (curl): the setup wizard's delivery
//! choices (direct MX, forced TLS, public host name, DKIM selector), the mail delivery
//! page's DNS records (DKIM, SPF for direct delivery, DMARC), changing the delivery
//! settings, generating new DKIM keys, and the outbound queue view with "retry now" and
//! "cancel" (CSRF-checked).
//!
//! Needs: curl and python3 (smtplib) — no interop peer beyond them.

mod common;

use std::path::Path;

use common::*;

const MAILBOX: &str = "support@helpdesk.example.com";

/// `(name, value)` of every DNS record shown on the mail delivery page.
fn records(page: &str) -> Vec<(String, String)> {
    let grab = |marker: &str| -> Vec<String> {
        page.split(marker)
            .skip(1)
            .map(|rest| rest.split("</code>").next().unwrap_or("").to_string())
            .collect()
    };
    grab("<code class=\"record-name\">")
        .into_iter()
        .zip(grab("<code class=\"record-value\">"))
        .collect()
}

/// Form POST with `fields` (URL-encoded by curl).
fn post(jar: &Path, url: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let mut args: Vec<String> = vec!["--data".into(), String::new()]; // POST even without fields
    for (k, v) in fields {
        args.push("--data-urlencode".into());
        args.push(format!("{k}={v}"));
    }
    args.push(url.to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(jar, &refs)
}

fn login(jar: &Path, base: &str) {
    let (st, page) = curl(jar, &[&format!("{base}/login")]);
    assert_eq!(st, 200);
    let csrf = hidden(&page, "csrf");
    let (st, _) = post(
        jar,
        &format!("{base}/login"),
        &[("email", ADMIN), ("password", ADMIN_PW), ("csrf", &csrf)],
    );
    assert_eq!(st, 303, "login should redirect");
}

/// The queue row of the page for item `id` (`<tr id="queue-ID">…</tr>`), if shown.
fn queue_row(page: &str) -> Option<(String, String)> {
    let start = page.find("<tr id=\"queue-")?;
    let rest = &page[start + "<tr id=\"queue-".len()..];
    let id = rest.split('"').next()?.to_string();
    let row = rest.split("</tr>").next()?.to_string();
    Some((id, row))
}

#[test]
#[ignore = "interop: needs curl and python3; run by .ci/run"]
fn wizard_delivery_choices_dns_records_and_queue_actions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dead_port = free_port(); // nobody listens: every attempt fails with a connect error
    // A long first back-off: only "retry now" can cause a second attempt within the test.
    let server = Server::start_with_env(&data, &[("TRYGG_OUTBOUND_RETRY_BASE_MS", "600000")]);
    let base = server.base_url();
    let jar = dir.path().join("cookies");

    // 1. The wizard: direct delivery, forced TLS, public host, DKIM selector.
    let log = server.log_text();
    let token = log
        .split("/setup?token=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no setup link printed: {log}"))
        .to_string();
    let (st, page) = curl(&jar, &[&format!("{base}/setup?token={token}")]);
    assert_eq!(st, 200);
    for field in [
        "name=\"delivery_mode\"",
        "name=\"direct_tls\"",
        "name=\"dkim_selector\"",
        "name=\"public_host\"",
    ] {
        assert!(page.contains(field), "wizard lacks {field}");
    }
    let setup_fields = |selector: &'static str| {
        vec![
            ("token", token.clone()),
            ("org_name", "Hjälpdesken AB".to_string()),
            ("mailboxes", MAILBOX.to_string()),
            ("admin_email", ADMIN.to_string()),
            ("admin_password", ADMIN_PW.to_string()),
            ("admin_password2", ADMIN_PW.to_string()),
            ("relay", String::new()),
            ("relay_tls", "required".to_string()),
            ("delivery_mode", "direct".to_string()),
            ("direct_tls", "required".to_string()),
            ("public_host", "out.helpdesk.example.com".to_string()),
            ("dkim_selector", selector.to_string()),
        ]
    };
    // A bad selector is refused with the form shown again, nothing stored.
    let bad = setup_fields("bad selector!");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, page) = post(&jar, &format!("{base}/setup"), &bad);
    assert_eq!(st, 400, "{page}");
    assert!(page.contains("DKIM selector"), "{page}");
    let good = setup_fields("web1");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, page) = post(&jar, &format!("{base}/setup"), &good);
    assert_eq!(st, 303, "{page}");

    // 2. The mail delivery page shows what to publish for direct delivery.
    login(&jar, &base);
    let url = format!("{base}/admin/mail");
    let (st, page) = curl(&jar, &[&url]);
    assert_eq!(st, 200, "{page}");
    let recs = records(&page);
    let value = |name: &str| {
        recs.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no record {name}: {recs:?}"))
    };
    assert!(value("web1-rsa._domainkey.helpdesk.example.com").starts_with("v=DKIM1; k=rsa; p="));
    assert!(
        value("web1-ed25519._domainkey.helpdesk.example.com").starts_with("v=DKIM1; k=ed25519; p=")
    );
    assert_eq!(
        value("helpdesk.example.com"),
        "v=spf1 a:out.helpdesk.example.com ~all"
    );
    assert!(value("_dmarc.helpdesk.example.com").starts_with("v=DMARC1; p=none;"));
    assert!(page.contains("value=\"direct\" selected"), "{page}");
    assert!(page.contains("value=\"required\" selected"), "{page}");
    assert!(page.contains("No mail is waiting."), "{page}");
    let csrf = hidden(&page, "csrf");

    // 3. Switch to a relay (that is down); bad input is refused; CSRF is required.
    let relay = format!("127.0.0.1:{dead_port}");
    let settings_url = format!("{base}/admin/mail/settings");
    let relay_form = |hours: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("mode", "relay".to_string()),
            ("relay", relay.clone()),
            ("relay_tls", "none".to_string()),
            ("relay_user", String::new()),
            ("relay_password", String::new()),
            ("direct_tls", "opportunistic".to_string()),
            ("public_host", String::new()),
            ("retry_hours", hours.to_string()),
        ]
    };
    let f = relay_form("-3");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, page) = post(&jar, &settings_url, &f);
    assert_eq!(st, 400, "{page}");
    assert!(page.contains("retry period"), "{page}");
    let (st, _) = post(&jar, &settings_url, &f[1..]); // without the token
    assert_eq!(st, 403);
    let f = relay_form("48");
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (st, _) = post(&jar, &settings_url, &f);
    assert_eq!(st, 303);
    let (_, page) = curl(&jar, &[&url]);
    assert!(page.contains("value=\"48\""), "{page}");
    assert!(page.contains("keep the SPF record"), "{page}");
    assert!(
        !records(&page).iter().any(|(_, v)| v.starts_with("v=spf1")),
        "{page}"
    );

    // 4. A reply goes into the queue and fails to connect: deferred, shown with its error.
    let mail = "From: Kari <kari@kund.example.se>\r\nTo: support@helpdesk.example.com\r\n\
        Subject: Hjälp\r\nMessage-ID: <a1@kund.example.se>\r\n\r\nHej!\r\n";
    let (code, _) = smtplib_send(
        server.smtp,
        "kari@kund.example.se",
        &[MAILBOX],
        mail.as_bytes(),
    );
    assert_eq!(code, 250);
    let number = ticket_list(&data)[0]["number"].as_u64().unwrap();
    let (_, page) = curl(&jar, &[&format!("{base}/tickets/{number}")]);
    let (st, _) = post(
        &jar,
        &format!("{base}/tickets/{number}/reply"),
        &[
            ("text", "Vi tittar på det."),
            ("csrf", &hidden(&page, "csrf")),
        ],
    );
    assert_eq!(st, 303);
    let attempts = |d: &serde_json::Value| -> String {
        d["articles"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["direction"] == "out"))
            .map(|a| {
                format!(
                    "{} {}",
                    a["delivery"].as_str().unwrap_or(""),
                    a["delivery_detail"].as_str().unwrap_or("")
                )
            })
            .unwrap_or_default()
    };
    wait_for(20, || {
        attempts(&ticket_show(&data, number))
            .starts_with("deferred cannot connect")
            .then_some(())
    })
    .unwrap_or_else(|| panic!("not deferred: {}", ticket_show(&data, number)));
    let (_, page) = curl(&jar, &[&url]);
    let (id, row) = queue_row(&page).unwrap_or_else(|| panic!("queue empty: {page}"));
    assert!(row.contains("kari@kund.example.se"), "{row}");
    assert!(row.contains("cannot connect"), "{row}");
    assert!(row.contains("<td>1</td>"), "one attempt so far: {row}");
    // The ticket page shows the state too.
    let (_, tpage) = curl(&jar, &[&format!("{base}/tickets/{number}")]);
    assert!(tpage.contains("delivery deferred"), "{tpage}");

    // 5. Retry now: without the token refused; with it, a second attempt happens at once
    // (the back-off would otherwise wait 10 minutes).
    let retry_url = format!("{base}/admin/mail/queue/{id}/retry");
    let (st, _) = post(&jar, &retry_url, &[]);
    assert_eq!(st, 403);
    let (st, _) = post(&jar, &retry_url, &[("csrf", &csrf)]);
    assert_eq!(st, 303);
    wait_for(20, || {
        let (_, page) = curl(&jar, &[&url]);
        queue_row(&page)
            .filter(|(_, row)| row.contains("<td>2</td>"))
            .map(|_| ())
    })
    .unwrap_or_else(|| panic!("retry now did not retry: {}", server.log_text()));

    // 6. Cancel: the reply fails, naming who cancelled it; the queue is empty.
    let cancel_url = format!("{base}/admin/mail/queue/{id}/cancel");
    let (st, _) = post(&jar, &cancel_url, &[("csrf", &csrf)]);
    assert_eq!(st, 303);
    let state = attempts(&ticket_show(&data, number));
    assert!(
        state.starts_with(&format!("failed cancelled by {ADMIN}")),
        "{state}"
    );
    let (_, page) = curl(&jar, &[&url]);
    assert!(page.contains("No mail is waiting."), "{page}");
    let (st, _) = post(&jar, &cancel_url, &[("csrf", &csrf)]);
    assert_eq!(st, 404, "an item already gone");

    // 7. New DKIM keys under a new selector replace the old ones.
    let (st, page) = post(
        &jar,
        &format!("{base}/admin/mail/dkim"),
        &[("csrf", &csrf), ("selector", "web2")],
    );
    assert_eq!(st, 303, "{page}");
    let (_, page) = curl(&jar, &[&url]);
    let names: Vec<String> = records(&page).into_iter().map(|(n, _)| n).collect();
    assert!(
        names.contains(&"web2-rsa._domainkey.helpdesk.example.com".to_string()),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.starts_with("web1-")), "{names:?}");

    // 8. Signed out: the page sends you to sign in.
    let (st, _) = curl(&dir.path().join("other-jar"), &[&url]);
    assert_eq!(st, 303);
}
