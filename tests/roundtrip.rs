//! The main job end to end: customer mail in over SMTP → an agent signs in over HTTPS and
//! answers through the form → a real SMTP sink (aiosmtpd) receives the answer → the
//! customer's reply to it lands in the same ticket. HTTPS is driven with curl.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;

struct Sink {
    child: Child,
    out: std::path::PathBuf,
}
impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sink(dir: &Path, port: u16, tls: &str) -> Sink {
    let certs = dir.join("tls");
    let st = Command::new("bash")
        .arg(shared().join("testing/mkcerts.sh"))
        .arg(&certs)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("mkcerts.sh");
    assert!(st.success());
    let out = dir.join("sink");
    std::fs::create_dir_all(&out).unwrap();
    let child = Command::new(python())
        .arg(shared().join("testing/smtp-sink.py"))
        .args(["--port", &port.to_string(), "--out"])
        .arg(&out)
        .args(["--tls", tls, "--cert"])
        .arg(certs.join("server.crt"))
        .arg("--key")
        .arg(certs.join("server.key"))
        .args(["--max-seconds", "300"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("smtp-sink.py");
    let up = wait_for(20, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    assert!(up.is_some(), "sink did not start");
    Sink { child, out }
}

#[test]
#[ignore = "interop: needs aiosmtpd and curl; run by .ci/run"]
fn customer_mail_agent_reply_and_customer_answer_share_one_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let sink_port = free_port();
    let sink = start_sink(dir.path(), sink_port, "starttls");
    let data = dir.path().join("data");
    setup(
        &data,
        &["support@helpdesk.example.com"],
        &[
            "--relay",
            &format!("127.0.0.1:{sink_port}"),
            "--relay-tls",
            "required",
        ],
    );
    let ca = dir.path().join("tls/ca.crt");
    let server = Server::start_with_env(&data, &[("TRYGG_RELAY_CA_FILE", ca.to_str().unwrap())]);

    // 1. The customer writes.
    let customer_mail = "From: =?utf-8?q?Linn=C3=A9a_=C3=85gren?= <linnea@kund.example.se>\r\n\
        To: support@helpdesk.example.com\r\nSubject: =?utf-8?q?Skrivaren_p=C3=A5_plan_3?=\r\n\
        Message-ID: <first-question@kund.example.se>\r\nDate: Mon, 3 Mar 2025 09:00:00 +0100\r\n\
        Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
        Hej! Skrivaren skriver inte ut.\r\n";
    let (code, _) = smtplib_send(
        server.smtp,
        "linnea@kund.example.se",
        &["support@helpdesk.example.com"],
        customer_mail.as_bytes(),
    );
    assert_eq!(code, 250);
    let list = ticket_list(&data);
    let number = list[0]["number"].as_u64().unwrap();
    let tag = list[0]["tag"].as_str().unwrap().to_string();

    // 2. The agent signs in over HTTPS and answers through the form.
    let jar = dir.path().join("cookies");
    let base = server.base_url();
    let (st, page) = curl(&jar, &[&format!("{base}/login")]);
    assert_eq!(st, 200);
    let csrf = hidden(&page, "csrf");
    let (st, _) = curl(
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
    assert_eq!(st, 303, "login should redirect");
    let cookies = std::fs::read_to_string(&jar).unwrap();
    assert!(
        cookies.contains("#HttpOnly_"),
        "session cookie must be HttpOnly: {cookies}"
    );
    let (st, page) = curl(&jar, &[&format!("{base}/tickets/{number}")]);
    assert_eq!(st, 200);
    assert!(page.contains("Skrivaren skriver inte ut."), "{page}");
    let csrf = hidden(&page, "csrf");

    // A POST without the CSRF token changes nothing.
    let (st, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            "text=forged",
            &format!("{base}/tickets/{number}/reply"),
        ],
    );
    assert_eq!(st, 403);
    assert_eq!(
        ticket_show(&data, number)["articles"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let (st, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            "text=Hej Linnéa,\n\nvi har startat om skrivaren. Fungerar det nu?\n\nMvh\nSupport",
            "--data-urlencode",
            &format!("csrf={csrf}"),
            &format!("{base}/tickets/{number}/reply"),
        ],
    );
    assert_eq!(st, 303, "reply should redirect back to the ticket");

    // 3. The sink receives the answer, over TLS, threaded to the customer's mail.
    let jsonl = sink.out.join("messages.jsonl");
    let line = wait_for(20, || {
        std::fs::read_to_string(&jsonl)
            .ok()
            .and_then(|s| s.lines().next().map(str::to_string))
    })
    .unwrap_or_else(|| panic!("no mail reached the sink: {}", server.log_text()));
    let meta: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(meta["mail_from"], "support@helpdesk.example.com");
    assert_eq!(meta["rcpt_tos"][0], "linnea@kund.example.se");
    assert!(meta["tls"].as_str().is_some(), "relay TLS required: {meta}");
    let sent = std::fs::read(sink.out.join(meta["file"].as_str().unwrap())).unwrap();
    // Parse it with Python's email package (an independent parser).
    let script = r#"
import email, email.policy, json, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
print(json.dumps({k: str(m[k]) for k in ['From', 'To', 'Subject', 'Message-ID', 'In-Reply-To', 'References']} |
                 {'body': m.get_body(('plain',)).get_content()}))
"#;
    let f = dir.path().join("sent.eml");
    std::fs::write(&f, &sent).unwrap();
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        h["From"]
            .as_str()
            .unwrap()
            .contains("<support@helpdesk.example.com>"),
        "{h}"
    );
    assert!(
        h["To"].as_str().unwrap().contains("linnea@kund.example.se"),
        "{h}"
    );
    assert!(h["Subject"].as_str().unwrap().contains(&tag), "{h}");
    assert_eq!(h["In-Reply-To"], "<first-question@kund.example.se>");
    assert!(
        h["References"]
            .as_str()
            .unwrap()
            .contains("<first-question@kund.example.se>")
    );
    assert!(
        h["body"]
            .as_str()
            .unwrap()
            .contains("vi har startat om skrivaren")
    );
    let our_id = h["Message-ID"].as_str().unwrap().to_string();
    let show = ticket_show(&data, number);
    let out_article = &show["articles"][1];
    assert_eq!(out_article["direction"], "out");
    let delivered = wait_for(10, || {
        (ticket_show(&data, number)["articles"][1]["delivery"] == "sent").then_some(())
    });
    assert!(delivered.is_some(), "article not marked sent");

    // The agent closes the ticket.
    let (_, page) = curl(&jar, &[&format!("{base}/tickets/{number}")]);
    let csrf = hidden(&page, "csrf");
    let (st, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            "status=closed",
            "--data-urlencode",
            &format!("csrf={csrf}"),
            &format!("{base}/tickets/{number}/status"),
        ],
    );
    assert_eq!(st, 303);
    assert_eq!(ticket_show(&data, number)["status"], "closed");

    // 4. The customer answers (no tag in the subject: threading by header alone).
    let answer = format!(
        "From: Linnea Agren <linnea@kund.example.se>\r\nTo: support@helpdesk.example.com\r\n\
         Subject: SV: Skrivaren fungerar\r\nMessage-ID: <second@kund.example.se>\r\n\
         In-Reply-To: {our_id}\r\nReferences: <first-question@kund.example.se> {our_id}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nTack, nu fungerar det!\r\n"
    );
    let (code, _) = smtplib_send(
        server.smtp,
        "linnea@kund.example.se",
        &["support@helpdesk.example.com"],
        answer.as_bytes(),
    );
    assert_eq!(code, 250);
    let list = ticket_list(&data);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the answer must not open a new ticket"
    );
    let show = ticket_show(&data, number);
    let arts = show["articles"].as_array().unwrap();
    assert_eq!(arts.len(), 3);
    assert_eq!(arts[2]["direction"], "in");
    assert!(
        arts[2]["text"]
            .as_str()
            .unwrap()
            .contains("Tack, nu fungerar det!")
    );
    assert_eq!(
        show["status"], "open",
        "a customer's answer reopens a closed ticket"
    );
}
