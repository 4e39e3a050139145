//! Every message of `../shared/corpus/` through the real SMTP listener with Python's smtplib,
//! checked against `manifest.json`: decoded subject, sender, text, attachments, threading,
//! de-duplication.

mod common;

use std::collections::HashMap;

use common::*;
use serde_json::Value;

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Message-ID header of a raw message (unfolded), without `<>`.
fn header_message_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        if name.eq_ignore_ascii_case("message-id") {
            let v = value.trim().trim_start_matches('<').trim_end_matches('>');
            (!v.is_empty()).then(|| v.to_string())
        } else {
            None
        }
    })
}

/// `(filename, content_type, size)` of each attachment in a JSON array.
fn attachment_triples(list: &Value) -> Vec<(String, String, u64)> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            (
                x["filename"].as_str().unwrap_or_default().to_string(),
                x["content_type"].as_str().unwrap_or_default().to_string(),
                x["size"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect()
}

#[test]
fn corpus_messages_become_the_tickets_the_manifest_expects() {
    let corpus = shared().join("corpus");
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(corpus.join("manifest.json")).expect("manifest"))
            .expect("manifest json");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    // Auto-acknowledgements on: none may go to automatic, list, bounce or duplicate mail.
    mail_rules_set(&data, &["--autoack", "on"]);
    let server = Server::start(&data);

    // Placeholder tags of the corpus (README "Ticket tags") → the file that creates the ticket.
    let placeholders: HashMap<&str, &str> = [
        ("[#1001]", "01-new-utf8-plain-thunderbird.eml"),
        ("[#1002]", "03-new-outlook-alternative-latin1-qp.eml"),
        ("[#1004]", "07-new-gmail-alternative-folded-subject.eml"),
        ("[#1006]", "13-new-applemail-qp.eml"),
        ("[#1015]", "25-new-ios-base64-image.eml"),
    ]
    .into();
    let mut tag_of_file: HashMap<String, String> = HashMap::new();
    let rewrite = |s: &str, tag_of_file: &HashMap<String, String>| -> String {
        let mut s = s.to_string();
        for (ph, root) in &placeholders {
            if let Some(real) = tag_of_file.get(*root) {
                s = s.replace(ph, real);
            }
        }
        s
    };

    let mut failures = Vec::new();
    for m in &manifest {
        let file = m["file"].as_str().unwrap();
        let mut raw = std::fs::read(corpus.join(file)).unwrap();
        // Rewrite placeholder tags to trygg's own tags (plain-byte occurrences).
        for (ph, root) in &placeholders {
            if let Some(real) = tag_of_file.get(*root)
                && real != ph
            {
                let text = String::from_utf8_lossy(&raw).into_owned();
                if text.contains(ph) && std::str::from_utf8(&raw).is_ok() {
                    raw = text.replace(ph, real).into_bytes();
                }
            }
        }
        let mail_from = if m["kind"] == "bounce" {
            String::new()
        } else {
            m["from_address"].as_str().unwrap_or("").to_string()
        };
        let (code, text) = smtplib_send(
            server.smtp,
            &mail_from,
            &["support@helpdesk.example.com"],
            &raw,
        );
        if code != 250 {
            failures.push(format!("{file}: SMTP answered {code} {text}"));
            continue;
        }
        if let Some(i) = text.find("[#") {
            let tag: String = text[i..].chars().take_while(|c| *c != ' ').collect();
            if m["thread_with"].is_null() {
                tag_of_file.insert(file.to_string(), tag);
            }
        }
    }

    // Everything trygg stored, through the CLI (control socket of the running server).
    let list = ticket_list(&data);
    let tickets = list.as_array().unwrap();
    let mut article_of_msgid: HashMap<String, (u64, Value)> = HashMap::new();
    let mut all_articles: Vec<(u64, Value)> = Vec::new();
    for t in tickets {
        let n = t["number"].as_u64().unwrap();
        assert_eq!(t["tag"].as_str().unwrap(), format!("[#{n}]"));
        let show = ticket_show(&data, n);
        for a in show["articles"].as_array().unwrap() {
            if a["flags"]["automatic"] == true {
                // trygg's own acknowledgements are checked below, not against the corpus.
                all_articles.push((n, a.clone()));
                continue;
            }
            article_of_msgid.insert(
                a["message_id"].as_str().unwrap().to_string(),
                (n, a.clone()),
            );
            all_articles.push((n, a.clone()));
        }
    }

    let mut ticket_of_file: HashMap<String, u64> = HashMap::new();
    for m in &manifest {
        let file = m["file"].as_str().unwrap();
        let raw = std::fs::read(corpus.join(file)).unwrap();
        let expected_subject = rewrite(m["subject"].as_str().unwrap(), &tag_of_file);
        let found = match header_message_id(&raw) {
            Some(id) => article_of_msgid.get(&id).cloned(),
            None => all_articles
                .iter()
                .find(|(_, a)| a["subject"] == expected_subject.as_str())
                .cloned(),
        };
        let Some((ticket, a)) = found else {
            failures.push(format!("{file}: no article stored"));
            continue;
        };
        ticket_of_file.insert(file.to_string(), ticket);
        let mut check = |field: &str, got: &Value, want: &Value| {
            if got != want {
                failures.push(format!("{file}: {field}: expected {want}, got {got}"));
            }
        };
        check(
            "subject",
            &a["subject"],
            &Value::from(expected_subject.clone()),
        );
        check("from_address", &a["from_address"], &m["from_address"]);
        check("from_name", &a["from_name"], &m["from_name"]);
        let text = collapse(a["text"].as_str().unwrap_or(""));
        for s in m["body_contains"].as_array().unwrap() {
            let s = collapse(s.as_str().unwrap());
            if !text.contains(&s) {
                failures.push(format!("{file}: text lacks {s:?}"));
            }
        }
        for s in m["body_must_not_contain"].as_array().unwrap() {
            let s = s.as_str().unwrap();
            if text.contains(s) {
                failures.push(format!("{file}: text contains forbidden {s:?}"));
            }
        }
        let got = attachment_triples(&a["attachments"]);
        let want = attachment_triples(&m["attachments"]);
        if got != want {
            failures.push(format!(
                "{file}: attachments: expected {want:?}, got {got:?}"
            ));
        }
    }

    // Threading: each message is on the ticket of its thread root; roots have their own.
    for m in &manifest {
        let file = m["file"].as_str().unwrap();
        let Some(t) = ticket_of_file.get(file) else {
            continue;
        };
        match m["thread_with"].as_str() {
            Some(root) => {
                if ticket_of_file.get(root) != Some(t) {
                    failures.push(format!(
                        "{file}: on ticket {t}, expected the ticket of {root} ({:?})",
                        ticket_of_file.get(root)
                    ));
                }
            }
            None => {
                let sharing: Vec<&String> = ticket_of_file
                    .iter()
                    .filter(|(f, n)| *n == t && f.as_str() != file)
                    .map(|(f, _)| f)
                    .filter(|f| {
                        manifest
                            .iter()
                            .find(|x| x["file"] == f.as_str())
                            .is_some_and(|x| x["thread_with"].as_str() != Some(file))
                    })
                    .collect();
                if !sharing.is_empty() {
                    failures.push(format!(
                        "{file}: should open its own ticket, shares {t} with {sharing:?}"
                    ));
                }
            }
        }
        if m["kind"] == "duplicate" {
            let id = header_message_id(&std::fs::read(corpus.join(file)).unwrap()).unwrap();
            let copies = all_articles
                .iter()
                .filter(|(_, a)| a["message_id"] == id.as_str())
                .count();
            if copies != 1 {
                failures.push(format!(
                    "{file}: {copies} articles with its Message-ID, expected 1"
                ));
            }
        }
    }
    // Mail rules: flags and side effects per kind.
    let received: Vec<&(u64, Value)> = all_articles
        .iter()
        .filter(|(_, a)| a["flags"]["automatic"] != true)
        .collect();
    let acks: Vec<&(u64, Value)> = all_articles
        .iter()
        .filter(|(_, a)| a["flags"]["automatic"] == true)
        .collect();
    for m in &manifest {
        let file = m["file"].as_str().unwrap();
        let raw = std::fs::read(corpus.join(file)).unwrap();
        let Some(id) = header_message_id(&raw) else {
            continue;
        };
        let Some((_, a)) = article_of_msgid.get(&id) else {
            continue;
        };
        let flags = &a["flags"];
        let mut expect = |what: &str, ok: bool| {
            if !ok {
                failures.push(format!("{file}: {what}; flags {flags}"));
            }
        };
        match m["kind"].as_str().unwrap() {
            "auto" if file != "32-auto-x-loop.eml" => {
                expect("auto-reply flag", flags["auto_reply"] == true)
            }
            "list" => expect("list/bulk flag", flags["bulk"] == true),
            "bounce" => expect(
                "verified bounce flag",
                flags["bounce"] == true && flags["bounce_unverified"] == false,
            ),
            "new" | "reply" => expect(
                "no automatic/bounce/bulk flag",
                flags["auto_reply"] == false && flags["bounce"] == false && flags["bulk"] == false,
            ),
            _ => {}
        }
    }
    // 33 has no Date: dated from its top Received line (flagged).
    let thirty_three = all_articles
        .iter()
        .find(|(_, a)| a["from_address"] == "ups-serverrum@drift.example.dk");
    if !thirty_three.is_some_and(|(_, a)| a["flags"]["date_from_received"] == true) {
        failures.push("33-odd-missing-date.eml: not dated from its Received line".into());
    }
    // 11 marks the outbound article of 10 failed for the dead Cc address.
    let ten =
        header_message_id(&std::fs::read(corpus.join("10-reply-helpdesk-thread-b.eml")).unwrap())
            .unwrap();
    match article_of_msgid.get(&ten) {
        Some((_, a)) => {
            let detail = a["delivery_detail"].as_str().unwrap_or("");
            if a["delivery"] != "failed" || !detail.contains("kirsten.vind@tomrer.example.dk") {
                failures.push(format!(
                    "11-bounce-dsn-postfix.eml: article of 10 not marked failed for kirsten.vind: {} {detail}",
                    a["delivery"]
                ));
            }
        }
        None => failures.push("10-reply-helpdesk-thread-b.eml: not stored".into()),
    }
    // Auto-acknowledgements: exactly one per ticket opened by a person's new mail; none for
    // tickets opened by list, bulk or automatic mail (09, 31, 32), none for the calendar
    // invitation (37) or the no-reply sender (40), and none caused by 02, 05, 11, 30.
    let no_ack_roots = [
        "09-list-mailman.eml",
        "31-list-newsletter-list-unsubscribe.eml",
        "32-auto-x-loop.eml",
        "37-odd-calendar-invite.eml",
        "40-odd-us-ascii-declared-utf8-body.eml",
    ];
    let mut expected_acks = 0;
    for m in &manifest {
        let file = m["file"].as_str().unwrap();
        if !m["thread_with"].is_null() {
            continue;
        }
        let Some(t) = ticket_of_file.get(file) else {
            continue;
        };
        let n = acks.iter().filter(|(tn, _)| tn == t).count();
        let want = usize::from(!no_ack_roots.contains(&file));
        expected_acks += want;
        if n != want {
            failures.push(format!(
                "{file}: {n} auto-acknowledgements on its ticket, expected {want}"
            ));
        }
    }
    if acks.len() != expected_acks {
        failures.push(format!(
            "{} auto-acknowledgements in all, expected {expected_acks}",
            acks.len()
        ));
    }
    for (_, ack) in &acks {
        let to = ack["to"].to_string();
        for m in &manifest {
            let kind = m["kind"].as_str().unwrap();
            let addr = m["from_address"].as_str().unwrap();
            if ["list", "bounce"].contains(&kind) && to.contains(addr) {
                failures.push(format!("an auto-acknowledgement went to {addr} ({kind})"));
            }
        }
        // No smarthost is configured here: the worker defers it (a temporary failure).
        if ack["direction"] != "out"
            || !["queued", "deferred"].contains(&ack["delivery"].as_str().unwrap_or(""))
        {
            failures.push(format!("auto-acknowledgement not queued outbound: {ack}"));
        }
    }

    // Corpus README totals: 30 tickets, 44 messages minus 1 duplicate (plus our acks).
    if tickets.len() != 30 {
        failures.push(format!("expected 30 tickets, got {}", tickets.len()));
    }
    if received.len() != 43 {
        failures.push(format!("expected 43 articles, got {}", received.len()));
    }
    let passed = manifest.len()
        - manifest
            .iter()
            .filter(|m| {
                failures
                    .iter()
                    .any(|f| f.starts_with(m["file"].as_str().unwrap()))
            })
            .count();
    eprintln!(
        "corpus: {passed} of {} messages pass every check",
        manifest.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
