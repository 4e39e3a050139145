//! Two trygg instances that acknowledge new tickets automatically and relay to each other
//! (A's smarthost is B's SMTP listener and the other way round) do not answer each other's
//! automatic mail: after the first exchange the system falls quiet with a bounded number of
//! messages (RFC 3834: `Auto-Submitted`, our `X-Loop`, null envelope sender).

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

const A: &str = "support@a-desk.example.org";
const B: &str = "support@b-desk.example.org";

/// Every article of every ticket of the instance at `data`.
fn articles(data: &std::path::Path) -> Vec<Value> {
    let mut out = Vec::new();
    for t in ticket_list(data).as_array().unwrap() {
        let show = ticket_show(data, t["number"].as_u64().unwrap());
        out.extend(show["articles"].as_array().unwrap().iter().cloned());
    }
    out
}

fn mail(from: &str, to: &str, id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Help <{from}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 3 Mar 2025 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej, kan ni hjälpa oss?\r\n"
    )
    .into_bytes()
}

#[test]
fn two_instances_with_auto_ack_do_not_loop() {
    let dir = tempfile::tempdir().unwrap();
    let (da, db) = (dir.path().join("a"), dir.path().join("b"));
    let (a_http, a_smtp, b_http, b_smtp) = (free_port(), free_port(), free_port(), free_port());
    setup(
        &da,
        &[A],
        &[
            "--relay",
            &format!("127.0.0.1:{b_smtp}"),
            "--relay-tls",
            "none",
        ],
    );
    setup(
        &db,
        &[B],
        &[
            "--relay",
            &format!("127.0.0.1:{a_smtp}"),
            "--relay-tls",
            "none",
        ],
    );
    for d in [&da, &db] {
        let r = mail_rules_set(d, &["--autoack", "on"]);
        assert_eq!(r["autoack"], true);
    }
    let sa = Server::start_on(&da, a_http, a_smtp, &[]);
    let sb = Server::start_on(&db, b_http, b_smtp, &[]);

    // Each desk gets a human-looking mail from the other desk's address: both acknowledge,
    // each acknowledgement reaches the other desk, which must not answer it.
    let (code, _) = smtplib_send(
        sa.smtp,
        B,
        &[A],
        &mail(B, A, "start-1@b-desk.example.org", "Fråga 1"),
    );
    assert_eq!(code, 250);
    let (code, _) = smtplib_send(
        sb.smtp,
        A,
        &[B],
        &mail(A, B, "start-2@a-desk.example.org", "Fråga 2"),
    );
    assert_eq!(code, 250);

    // Wait until both acknowledgements were delivered and stored by the other desk.
    let arrived = wait_for(60, || {
        let (a, b) = (articles(&da), articles(&db));
        let delivered = |arts: &[Value]| {
            arts.iter()
                .filter(|x| x["flags"]["automatic"] == true && x["delivery"] == "sent")
                .count()
        };
        let received_auto = |arts: &[Value]| {
            arts.iter()
                .filter(|x| x["direction"] == "in" && x["flags"]["auto_reply"] == true)
                .count()
        };
        (delivered(&a) == 1
            && delivered(&b) == 1
            && received_auto(&a) == 1
            && received_auto(&b) == 1)
            .then_some(())
    });
    assert!(
        arrived.is_some(),
        "acknowledgements did not arrive\nA: {}\nB: {}\nA log: {}\nB log: {}",
        serde_json::to_string_pretty(&articles(&da)).unwrap(),
        serde_json::to_string_pretty(&articles(&db)).unwrap(),
        sa.log_text(),
        sb.log_text()
    );

    // A quiet period, then the counts must be exactly the first exchange: per desk the
    // incoming mail, our acknowledgement, and the other desk's acknowledgement (stored,
    // flagged, not answered).
    let mut last = (0, 0);
    for _ in 0..3 {
        std::thread::sleep(Duration::from_secs(2));
        let (a, b) = (articles(&da), articles(&db));
        assert_eq!(
            a.len(),
            3,
            "A: {}",
            serde_json::to_string_pretty(&a).unwrap()
        );
        assert_eq!(
            b.len(),
            3,
            "B: {}",
            serde_json::to_string_pretty(&b).unwrap()
        );
        for arts in [&a, &b] {
            assert_eq!(
                arts.iter()
                    .filter(|x| x["flags"]["automatic"] == true)
                    .count(),
                1,
                "exactly one automatic mail per desk"
            );
        }
        last = (a.len(), b.len());
    }
    assert_eq!(last, (3, 3));
    // The other desk's acknowledgement carries *its* tag `[#1001]`, which names our ticket
    // 1001 too, opened by that same sender: it may thread there (1 ticket) or open its own
    // (2). Either way it is stored, flagged and never answered.
    for d in [&da, &db] {
        let n = ticket_list(d).as_array().unwrap().len();
        assert!(
            n == 1 || n == 2,
            "tickets: {}\narticles: {}",
            serde_json::to_string_pretty(&ticket_list(d)).unwrap(),
            serde_json::to_string_pretty(&articles(d)).unwrap()
        );
    }
}
