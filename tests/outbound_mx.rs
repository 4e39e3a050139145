//! Direct delivery by MX lookup, end to end: the real `trygg serve` resolves recipient
//! domains with hickory-resolver against a small DNS server on loopback (Python with
//! dnspython, which the venv has as a dependency of dkimpy), and delivers to an aiosmtpd
//! sink (`../shared/testing/smtp-sink.py`) — SMTP server and DNS server nobody here wrote.
//!
//! Overrides used, both for tests only: `TRYGG_DNS_SERVER=127.0.0.1:PORT` (the resolver's
//! name server) and `TRYGG_MX_PORT=PORT` (the SMTP port at every mail host, normally 25).
//! Mail hosts are told apart by address: 127.0.0.1 is the sink, 127.0.0.2 has nothing
//! listening (connection refused), so falling back from a dead MX is observable.
//!
//! Needs: `TRYGG_TEST_PYTHON` with aiosmtpd and dnspython; openssl.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use common::*;
use serde_json::{Value, json};
use trygg::app::{App, SystemClock};
use trygg::helpdesk::ingest::{Envelope, ingest};

const MAILBOX: &str = "support@helpdesk.example.com";

/// A tiny authoritative DNS server over UDP: answers from a JSON zone
/// `{"name.": {"MX": ["10 host."], "A": ["127.0.0.1"]}}`, NXDOMAIN for names not in it,
/// and logs every question ("name TYPE") to a file.
const DNS_SERVER: &str = r#"
import json, signal, socket, sys
import dns.flags, dns.message, dns.rcode, dns.rdatatype, dns.rrset
port, zone, log = int(sys.argv[1]), json.loads(sys.argv[2]), open(sys.argv[3], 'a')
signal.alarm(300)                                   # never runs unbounded
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', port))
print('READY', flush=True)
while True:
    data, addr = s.recvfrom(65535)
    try:
        q = dns.message.from_wire(data)
    except Exception:
        continue
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    qn = q.question[0]
    name, rtype = qn.name.to_text().lower(), dns.rdatatype.to_text(qn.rdtype)
    log.write(f"{name} {rtype}\n"); log.flush()
    if name not in zone:
        r.set_rcode(dns.rcode.NXDOMAIN)
    elif zone[name].get(rtype):
        r.answer.append(dns.rrset.from_text_list(qn.name, 60, 'IN', rtype, zone[name][rtype]))
    s.sendto(r.to_wire(), addr)
"#;

/// A child process killed (and reaped) when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` and waits (at most 15 s) until it prints a line starting with READY.
fn start_ready(mut cmd: Command, what: &str) -> Proc {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("READY") {
                let _ = tx.send(());
            }
        }
    });
    let p = Proc(child);
    rx.recv_timeout(std::time::Duration::from_secs(15))
        .unwrap_or_else(|_| panic!("{what} did not become ready"));
    p
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free UDP port")
}

fn start_dns(dir: &Path, zone: &Value) -> (Proc, u16, PathBuf) {
    let port = free_udp_port();
    let log = dir.join("dns-queries.log");
    let mut cmd = Command::new(python());
    cmd.arg("-c")
        .arg(DNS_SERVER)
        .arg(port.to_string())
        .arg(zone.to_string())
        .arg(&log)
        .stderr(Stdio::inherit());
    (start_ready(cmd, "DNS server"), port, log)
}

fn mkcerts(dir: &Path, san_extra: &str) {
    let st = Command::new("bash")
        .arg(shared().join("testing/mkcerts.sh"))
        .arg(dir)
        .env("SAN_EXTRA", san_extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("mkcerts.sh");
    assert!(st.success());
}

fn start_sink(port: u16, out: &Path, tls: &Path) -> Proc {
    std::fs::create_dir_all(out).unwrap();
    let mut cmd = Command::new(python());
    cmd.arg(shared().join("testing/smtp-sink.py"))
        .args(["--port", &port.to_string(), "--tls", "starttls"])
        .arg("--out")
        .arg(out)
        .arg("--cert")
        .arg(tls.join("server.crt"))
        .arg("--key")
        .arg(tls.join("server.key"))
        .args(["--max-seconds", "300"])
        .stderr(Stdio::null());
    start_ready(cmd, "smtp sink")
}

/// Ingests one customer mail per address and queues an answer to each, through the
/// library before the server starts. Returns `(address, ticket)`.
fn queue_replies(data: &Path, customers: &[&str]) -> Vec<(String, u64)> {
    let app = App::open(data, Arc::new(SystemClock)).expect("open store");
    let mut out = Vec::new();
    for (i, c) in customers.iter().enumerate() {
        let raw = format!(
            "From: <{c}>\r\nTo: {MAILBOX}\r\nSubject: Question {i}\r\n\
             Message-ID: <q{i}@customer.test>\r\nDate: Mon, 30 Nov 2026 08:00:00 +0000\r\n\r\n\
             Hello?\r\n"
        );
        let env = Envelope {
            mail_from: c.to_string(),
            rcpt_to: vec![MAILBOX.into()],
            peer: "127.0.0.1".into(),
            ..Default::default()
        };
        let got = ingest(&app, raw.as_bytes(), &env).expect("ingest");
        trygg::helpdesk::reply::reply(&app, got.ticket, ADMIN, "Answer.").expect("reply");
        out.push((c.to_string(), got.ticket));
    }
    out
}

/// `(delivery, delivery_detail)` of the ticket's outgoing article.
fn out_delivery(data: &Path, ticket: u64) -> (String, String) {
    let v = ticket_show(data, ticket);
    let a = v["articles"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["direction"] == "out"))
        .cloned()
        .unwrap_or_else(|| panic!("no outgoing article in {v}"));
    (
        a["delivery"].as_str().unwrap_or_default().to_string(),
        a["delivery_detail"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

fn received(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("messages.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Waits until the ticket's reply is `state`; returns the detail.
fn wait_state(server: &Server, data: &Path, ticket: u64, state: &str) -> String {
    wait_for(25, || {
        let (s, d) = out_delivery(data, ticket);
        (s == state).then_some(d)
    })
    .unwrap_or_else(|| {
        panic!(
            "ticket {ticket} never reached {state}: {:?}\nserver:\n{}",
            out_delivery(data, ticket),
            server.log_text()
        )
    })
}

#[test]
#[ignore = "interop: needs aiosmtpd and dnspython; run by .ci/run"]
fn direct_delivery_follows_mx_preference_implicit_mx_null_mx_and_nxdomain() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tls = root.join("tls");
    mkcerts(&tls, "");
    let smtp_port = free_port();
    let out = root.join("sink");
    let _sink = start_sink(smtp_port, &out, &tls);
    let zone = json!({
        // Preferred MX is dead (nothing listens on 127.0.0.2); the second one is the sink.
        "example.test.": { "MX": ["20 mx2.example.test.", "10 mx1.example.test."] },
        "mx1.example.test.": { "A": ["127.0.0.2"] },
        "mx2.example.test.": { "A": ["127.0.0.1"] },
        // No MX: the domain itself is the mail host (RFC 5321 §5.1).
        "nomx.test.": { "A": ["127.0.0.1"] },
        // Null MX (RFC 7505): accepts no mail.
        "nullmx.test.": { "MX": ["0 ."] },
    });
    let (_dns, dns_port, dns_log) = start_dns(root, &zone);

    let data = root.join("data");
    setup(
        &data,
        &[MAILBOX],
        &[
            "--delivery",
            "direct",
            "--direct-tls",
            "opportunistic",
            "--public-host",
            "out.helpdesk.example.com",
        ],
    );
    let tickets = queue_replies(
        &data,
        &[
            "kari@example.test",
            "ola@nomx.test",
            "per@nullmx.test",
            "nils@nx.test",
        ],
    );
    let dns_env = format!("127.0.0.1:{dns_port}");
    let port_env = smtp_port.to_string();
    let server = Server::start_with_env(
        &data,
        &[
            ("TRYGG_DNS_SERVER", dns_env.as_str()),
            ("TRYGG_MX_PORT", port_env.as_str()),
            ("TRYGG_OUTBOUND_RETRY_BASE_MS", "500"),
        ],
    );

    let kari = wait_state(&server, &data, tickets[0].1, "sent");
    assert!(kari.starts_with("250"), "{kari}");
    assert!(kari.contains("(MX mx2.example.test)"), "{kari}");
    let ola = wait_state(&server, &data, tickets[1].1, "sent");
    assert!(ola.contains("(MX nomx.test)"), "{ola}");
    let per = wait_state(&server, &data, tickets[2].1, "failed");
    assert!(per.contains("null MX"), "{per}");
    let nils = wait_state(&server, &data, tickets[3].1, "failed");
    assert!(nils.contains("NXDOMAIN"), "{nils}");

    // Exactly the two deliverable replies arrived, each once, over STARTTLS, with our
    // EHLO name, DKIM-signed.
    let recs = received(&out);
    let mut rcpts: Vec<String> = recs
        .iter()
        .map(|r| r["rcpt_tos"][0].as_str().unwrap_or("").to_string())
        .collect();
    rcpts.sort();
    assert_eq!(rcpts, ["kari@example.test", "ola@nomx.test"], "{recs:?}");
    for r in &recs {
        assert!(r["tls"].is_string(), "opportunistic TLS not used: {r}");
        assert_eq!(r["helo"], "out.helpdesk.example.com", "{r}");
        assert_eq!(r["mail_from"], MAILBOX, "{r}");
        let msg = std::fs::read_to_string(out.join(r["file"].as_str().unwrap())).unwrap();
        assert!(msg.starts_with("DKIM-Signature:"), "{msg}");
    }

    // The resolver asked for the preferred MX's address before the second one's.
    let log = std::fs::read_to_string(&dns_log).unwrap();
    let pos = |q: &str| {
        log.lines()
            .position(|l| l == q)
            .unwrap_or_else(|| panic!("no query {q:?} in:\n{log}"))
    };
    assert!(
        pos("example.test. MX") < pos("mx1.example.test. A"),
        "{log}"
    );
    assert!(
        pos("mx1.example.test. A") < pos("mx2.example.test. A"),
        "{log}"
    );
    assert!(log.lines().any(|l| l == "nomx.test. A"), "{log}");
}

#[test]
#[ignore = "interop: needs aiosmtpd and dnspython; run by .ci/run"]
fn forced_tls_direct_delivery_needs_a_certificate_for_the_mx_name() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tls = root.join("tls");
    // The sink's certificate names mx.good.test, not mx.bad.test.
    mkcerts(&tls, "DNS:mx.good.test");
    let smtp_port = free_port();
    let out = root.join("sink");
    let _sink = start_sink(smtp_port, &out, &tls);
    let zone = json!({
        "good.test.": { "MX": ["10 mx.good.test."] },
        "mx.good.test.": { "A": ["127.0.0.1"] },
        "bad.test.": { "MX": ["10 mx.bad.test."] },
        "mx.bad.test.": { "A": ["127.0.0.1"] },
    });
    let (_dns, dns_port, _log) = start_dns(root, &zone);
    let data = root.join("data");
    setup(
        &data,
        &[MAILBOX],
        &["--delivery", "direct", "--direct-tls", "required"],
    );
    let tickets = queue_replies(&data, &["anna@good.test", "bo@bad.test"]);
    let dns_env = format!("127.0.0.1:{dns_port}");
    let port_env = smtp_port.to_string();
    let ca = tls.join("ca.crt");
    let server = Server::start_with_env(
        &data,
        &[
            ("TRYGG_DNS_SERVER", dns_env.as_str()),
            ("TRYGG_MX_PORT", port_env.as_str()),
            ("TRYGG_OUTBOUND_RETRY_BASE_MS", "500"),
            ("TRYGG_RELAY_CA_FILE", ca.to_str().unwrap()),
        ],
    );
    let good = wait_state(&server, &data, tickets[0].1, "sent");
    assert!(good.contains("(MX mx.good.test)"), "{good}");
    let bad = wait_state(&server, &data, tickets[1].1, "deferred");
    assert!(bad.contains("certificate"), "{bad}");
    let recs = received(&out);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["rcpt_tos"], json!(["anna@good.test"]));
    assert!(recs[0]["tls"].is_string());
}

#[test]
#[ignore = "interop: needs aiosmtpd and dnspython; run by .ci/run"]
fn a_relay_named_by_host_name_is_resolved_with_hickory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let tls = root.join("tls");
    mkcerts(&tls, "DNS:smtp.relay.test");
    let smtp_port = free_port();
    let out = root.join("sink");
    let _sink = start_sink(smtp_port, &out, &tls);
    let zone = json!({ "smtp.relay.test.": { "A": ["127.0.0.1"] } });
    let (_dns, dns_port, dns_log) = start_dns(root, &zone);
    let data = root.join("data");
    setup(
        &data,
        &[MAILBOX],
        &[
            "--relay",
            &format!("smtp.relay.test:{smtp_port}"),
            "--relay-tls",
            "required",
        ],
    );
    let tickets = queue_replies(&data, &["kari@kund.test"]);
    let dns_env = format!("127.0.0.1:{dns_port}");
    let ca = tls.join("ca.crt");
    let server = Server::start_with_env(
        &data,
        &[
            ("TRYGG_DNS_SERVER", dns_env.as_str()),
            ("TRYGG_RELAY_CA_FILE", ca.to_str().unwrap()),
        ],
    );
    let sent = wait_state(&server, &data, tickets[0].1, "sent");
    assert!(sent.starts_with("250"), "{sent}");
    let recs = received(&out);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert!(
        recs[0]["tls"].is_string(),
        "verified STARTTLS to the named relay"
    );
    let log = std::fs::read_to_string(&dns_log).unwrap();
    assert!(log.lines().any(|l| l == "smtp.relay.test. A"), "{log}");
}
