//! SMTP conversation rules of the listener: unknown recipients, bad commands, ordering,
//! pipelining and the size limit, over a real socket.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut c = Client {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        };
        assert!(c.reply().starts_with("220 "));
        c
    }
    /// Reads one (possibly multi-line) reply.
    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.r.read_line(&mut line).unwrap();
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }
    fn cmd(&mut self, line: &str) -> String {
        self.w.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        self.reply()
    }
}

#[test]
fn smtp_session_rules() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(
        &data,
        &["support@helpdesk.example.com", "hr@helpdesk.example.com"],
        &[],
    );
    let server = Server::start(&data);
    let mut c = Client::connect(server.smtp);

    assert!(
        c.cmd("MAIL FROM:<a@example.org>").starts_with("503"),
        "MAIL before EHLO"
    );
    let ehlo = c.cmd("EHLO client.example.org");
    for ext in [
        "PIPELINING",
        "SIZE",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
    ] {
        assert!(ehlo.contains(ext), "EHLO lacks {ext}: {ehlo}");
    }
    assert!(c.cmd("FOO bar").starts_with("500"), "unknown command");
    assert!(
        c.cmd("RCPT TO:<support@helpdesk.example.com>")
            .starts_with("503"),
        "RCPT before MAIL"
    );
    assert!(
        c.cmd("MAIL FROM:<a@example.org> SIZE=999999999999")
            .starts_with("552")
    );
    assert!(
        c.cmd("MAIL FROM:<<<bad").starts_with("501"),
        "malformed MAIL"
    );
    assert!(
        c.cmd("MAIL FROM:<a@example.org>").starts_with("250"),
        "session goes on after errors"
    );
    assert!(
        c.cmd("RCPT TO:<nobody@helpdesk.example.com>")
            .starts_with("550")
    );
    assert!(
        c.cmd("RCPT TO:<Support@Helpdesk.Example.com>")
            .starts_with("250"),
        "case-insensitive"
    );
    assert!(
        c.cmd("RCPT TO:<hr@helpdesk.example.com>")
            .starts_with("250")
    );
    assert!(c.cmd("DATA").starts_with("354"));
    let r = c.cmd("Subject: Till två brevlådor\r\nMessage-ID: <two@example.org>\r\nFrom: a@example.org\r\n\r\n..leading dot kept\r\n.");
    assert!(r.starts_with("250"), "{r}");
    assert!(c.cmd("RSET").starts_with("250"));
    assert!(c.cmd("DATA").starts_with("503"), "DATA without MAIL");

    // Pipelined transaction: all replies arrive, in order.
    c.w.write_all(
        b"MAIL FROM:<p@example.org>\r\nRCPT TO:<support@helpdesk.example.com>\r\nDATA\r\n",
    )
    .unwrap();
    assert!(c.reply().starts_with("250"));
    assert!(c.reply().starts_with("250"));
    assert!(c.reply().starts_with("354"));
    let r = c.cmd("Subject: pipelined\r\nMessage-ID: <pipe@example.org>\r\n\r\nhej\r\n.");
    assert!(r.starts_with("250"), "{r}");
    // An empty message: "." straight after DATA ends it (it is stored raw and flagged).
    assert!(c.cmd("MAIL FROM:<e@example.org>").starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<support@helpdesk.example.com>")
            .starts_with("250")
    );
    assert!(c.cmd("DATA").starts_with("354"));
    let r = c.cmd(".");
    assert!(r.starts_with("250"), "{r}");
    assert!(c.cmd("QUIT").starts_with("221"));

    let list = ticket_list(&data);
    assert_eq!(
        list.as_array().unwrap().len(),
        3,
        "one ticket per message, not per recipient"
    );
    let t = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "Till två brevlådor")
        .unwrap();
    let show = ticket_show(&data, t["number"].as_u64().unwrap());
    assert!(
        show["articles"][0]["text"]
            .as_str()
            .unwrap()
            .contains(".leading dot kept")
    );
    assert!(
        !show["articles"][0]["text"]
            .as_str()
            .unwrap()
            .contains("..leading")
    );
}

#[test]
fn oversized_message_is_refused_and_the_session_continues() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let server = Server::start_with_env(&data, &[("TRYGG_SMTP_MAX_SIZE", "200000")]);
    let mut c = Client::connect(server.smtp);
    let limit: usize = c
        .cmd("EHLO client.example.org")
        .lines()
        .find_map(|l| l.strip_prefix("250-SIZE "))
        .and_then(|s| s.trim().parse().ok())
        .unwrap();
    assert_eq!(limit, 200_000);
    assert!(c.cmd("MAIL FROM:<big@example.org>").starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<support@helpdesk.example.com>")
            .starts_with("250")
    );
    assert!(c.cmd("DATA").starts_with("354"));
    c.w.write_all(b"Subject: big\r\n\r\n").unwrap();
    let line = vec![b'x'; 998];
    let mut sent = 0;
    while sent <= limit {
        c.w.write_all(&line).unwrap();
        c.w.write_all(b"\r\n").unwrap();
        sent += 1000;
    }
    let r = c.cmd(".");
    assert!(r.starts_with("552"), "{r}");
    // The next message in the same session is accepted.
    assert!(c.cmd("MAIL FROM:<small@example.org>").starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<support@helpdesk.example.com>")
            .starts_with("250")
    );
    assert!(c.cmd("DATA").starts_with("354"));
    assert!(c.cmd("Subject: small\r\n\r\nok\r\n.").starts_with("250"));
    assert_eq!(ticket_list(&data).as_array().unwrap().len(), 1);
}

#[test]
fn limits_recipients_line_length_long_data_lines_and_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let server = Server::start_with_env(
        &data,
        &[
            ("TRYGG_SMTP_COMMAND_TIMEOUT", "2"),
            ("TRYGG_SMTP_MAX_CONN_PER_IP", "3"),
        ],
    );
    let mut c = Client::connect(server.smtp);
    assert!(c.cmd("EHLO client.example.org").starts_with("250"));

    // A command line over the limit: 500 5.5.2, the rest of the line is dropped, the
    // session goes on.
    let long = format!("NOOP {}", "a".repeat(10_000));
    let r = c.cmd(&long);
    assert!(r.starts_with("500 5.5.2"), "{r}");
    assert!(c.cmd("NOOP").starts_with("250"), "session goes on");
    assert!(c.cmd("MAIL FROM:<a@example.org> BODY=FOO").starts_with('5'));
    assert!(c.cmd("RCPT").starts_with("50"), "RCPT without argument");

    // The same recipient given many times is one recipient (no 452).
    assert!(c.cmd("MAIL FROM:<many@example.org>").starts_with("250"));
    let mut batch = String::new();
    for _ in 0..150 {
        batch.push_str("RCPT TO:<support@helpdesk.example.com>\r\n");
    }
    c.w.write_all(batch.as_bytes()).unwrap();
    for _ in 0..150 {
        assert!(c.reply().starts_with("250"));
    }
    assert!(c.cmd("RSET").starts_with("250"));

    // A message with a 5000-octet line (over RFC 5322's 998) is accepted unchanged.
    assert!(c.cmd("MAIL FROM:<long@example.org>").starts_with("250"));
    assert!(
        c.cmd("RCPT TO:<support@helpdesk.example.com>")
            .starts_with("250")
    );
    assert!(c.cmd("DATA").starts_with("354"));
    let body_line = "ø".repeat(2500);
    let r = c.cmd(&format!(
        "Subject: long line\r\nMessage-ID: <long@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body_line}\r\n."
    ));
    assert!(r.starts_with("250"), "{r}");
    let list = ticket_list(&data);
    let t = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "long line")
        .expect("stored");
    let show = ticket_show(&data, t["number"].as_u64().unwrap());
    assert!(
        show["articles"][0]["text"]
            .as_str()
            .unwrap()
            .contains(&body_line),
        "the long line is kept whole"
    );

    // Connections per client address: 3 allowed (this one included), the 4th gets 421.
    let _b = Client::connect(server.smtp);
    let _c = Client::connect(server.smtp);
    let s = TcpStream::connect(("127.0.0.1", server.smtp)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("421 4.7.0"), "{line}");
    line.clear();
    assert_eq!(r.read_line(&mut line).unwrap(), 0, "closed after 421");

    // Command time-out: 421 4.4.2, then the server closes.
    let r = c.reply();
    assert!(r.starts_with("421 4.4.2"), "{r}");
    let mut rest = String::new();
    assert_eq!(c.r.read_line(&mut rest).unwrap_or(0), 0, "closed");
}

#[test]
fn too_many_recipients_get_452_and_the_accepted_ones_still_deliver() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let boxes: Vec<String> = (0..101)
        .map(|i| format!("box{i}@helpdesk.example.com"))
        .collect();
    let refs: Vec<&str> = boxes.iter().map(String::as_str).collect();
    setup(&data, &refs, &[]);
    let server = Server::start(&data);
    let mut c = Client::connect(server.smtp);
    assert!(c.cmd("EHLO client.example.org").starts_with("250"));
    assert!(c.cmd("MAIL FROM:<a@example.org>").starts_with("250"));
    for b in &boxes[..100] {
        let r = c.cmd(&format!("RCPT TO:<{b}>"));
        assert!(r.starts_with("250"), "{r}");
    }
    // RFC 5321 §4.5.3.1.10: 452 (temporary) so the client sends the rest in another
    // transaction.
    let r = c.cmd(&format!("RCPT TO:<{}>", boxes[100]));
    assert!(r.starts_with("452 4.5.3"), "{r}");
    assert!(c.cmd("DATA").starts_with("354"));
    let r = c.cmd("Subject: to a hundred\r\nMessage-ID: <hundred@example.org>\r\n\r\nhi\r\n.");
    assert!(r.starts_with("250"), "{r}");
    assert_eq!(ticket_list(&data).as_array().unwrap().len(), 1);
}
