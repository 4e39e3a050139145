//! Outbound delivery through a real smarthost: the aiosmtpd sink of
//! `../shared/testing/smtp-sink.py` (an SMTP server nobody here wrote), driven by the real
//! `trygg serve` binary.
//!
//! The reply is queued through the library (ingest a customer mail, answer it), so these
//! tests need neither the web UI nor the SMTP listener. Needs: Python with aiosmtpd
//! (`TRYGG_TEST_PYTHON`, default `python3`) and openssl (for `mkcerts.sh`).
//!
//! Run: `TRYGG_TEST_PYTHON=target/test-venv/bin/python cargo test --test outbound_relay -- --include-ignored`

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use trygg::app::{App, SystemClock};
use trygg::helpdesk::ingest::{Envelope, ingest};

const SINK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/testing/smtp-sink.py"
);
const MKCERTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/testing/mkcerts.sh");
const CUSTOMER: &str = "customer@example.test";
const MAILBOX: &str = "support@trygg.test";
const CUSTOMER_MSGID: &str = "printer-1@example.test";

/// A child process killed (and reaped) when dropped.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(4000);
        text.get(start..).unwrap_or(&text).to_string()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// As `common::python`: `TRYGG_TEST_PYTHON`, else `.ci/run`'s venv, else `python3`.
fn python() -> String {
    std::env::var("TRYGG_TEST_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/target/test-venv/bin/python");
        if std::path::Path::new(venv).exists() {
            venv.into()
        } else {
            "python3".into()
        }
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Polls `f` every 100 ms for at most `limit`.
fn wait_for<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Test PKI (test CA, server cert for 127.0.0.1/localhost) in `dir`.
fn mkcerts(dir: &Path) {
    let out = Command::new("bash")
        .arg(MKCERTS)
        .arg(dir)
        .output()
        .expect("run mkcerts.sh");
    assert!(
        out.status.success(),
        "mkcerts.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the sink on `port` in TLS `mode`, writing to `out`; returns once it printed READY.
fn start_sink(port: u16, out: &Path, mode: &str, tls: &Path) -> Proc {
    let log = out.with_extension("log");
    let mut cmd = Command::new(python());
    cmd.arg(SINK)
        .args([
            "--port",
            &port.to_string(),
            "--tls",
            mode,
            "--max-seconds",
            "120",
        ])
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("sink log"));
    if mode != "none" {
        cmd.arg("--cert").arg(tls.join("server.crt"));
        cmd.arg("--key").arg(tls.join("server.key"));
    }
    let mut child = cmd
        .spawn()
        .expect("start smtp-sink.py (is TRYGG_TEST_PYTHON set?)");
    let stdout = child.stdout.take().expect("sink stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.starts_with("READY") {
                let _ = tx.send(());
            }
        }
    });
    let p = Proc { child, log };
    if rx.recv_timeout(Duration::from_secs(15)).is_err() {
        panic!("smtp sink did not become ready:\n{}", p.log_tail());
    }
    p
}

/// `trygg setup` with the relay 127.0.0.1:`relay_port` in TLS mode `tls`.
fn setup(root: &Path, data: &Path, relay_port: u16, tls: &str) {
    setup_with(root, data, relay_port, tls, &[]);
}

/// [`setup`] with extra `trygg setup` flags.
fn setup_with(root: &Path, data: &Path, relay_port: u16, tls: &str, extra: &[&str]) {
    let pw = root.join("admin.pw");
    std::fs::write(&pw, "Correct-Horse-Battery-9\n").expect("write password file");
    let out = Command::new(env!("CARGO_BIN_EXE_trygg"))
        .arg("setup")
        .arg("--data")
        .arg(data)
        .args(["--org", "Trygg Test AS", "--admin-email", "a@x.test"])
        .arg("--admin-password-file")
        .arg(&pw)
        .args(["--mailbox", MAILBOX])
        .args([
            "--relay",
            &format!("127.0.0.1:{relay_port}"),
            "--relay-tls",
            tls,
        ])
        .args(extra)
        .env("TRYGG_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run trygg setup");
    assert!(
        out.status.success(),
        "trygg setup failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Ingests a customer's mail and queues an agent's answer, through the library (the store
/// is closed again on return). Returns the ticket number.
fn queue_reply(data: &Path) -> u64 {
    let app = App::open(data, Arc::new(SystemClock)).expect("open store");
    let raw = format!(
        "From: Kari Kunde <{CUSTOMER}>\r\n\
         To: {MAILBOX}\r\n\
         Subject: Printer on fire\r\n\
         Message-ID: <{CUSTOMER_MSGID}>\r\n\
         Date: Mon, 30 Nov 2026 08:00:00 +0000\r\n\
         \r\n\
         Help, the printer is on fire.\r\n"
    );
    let env = Envelope {
        mail_from: CUSTOMER.into(),
        rcpt_to: vec![MAILBOX.into()],
        peer: "127.0.0.1".into(),
        ..Default::default()
    };
    let got = ingest(&app, raw.as_bytes(), &env).expect("ingest");
    trygg::helpdesk::reply::reply(
        &app,
        got.ticket,
        "a@x.test",
        "Put it out first.\nThen call us.",
    )
    .expect("reply");
    drop(app);
    got.ticket
}

/// Starts `trygg serve` on ephemeral ports with a short retry back-off; returns once its
/// control socket answers.
fn start_server(root: &Path, data: &Path, ca: Option<&Path>, tag: &str) -> Proc {
    let log = root.join(format!("serve-{tag}.log"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trygg"));
    cmd.arg("serve")
        .arg("--data")
        .arg(data)
        .args(["--http", "127.0.0.1:0", "--smtp", "127.0.0.1:0"])
        .env("TRYGG_LOG", "info,trygg=debug")
        .env("TRYGG_OUTBOUND_RETRY_BASE_MS", "500")
        .env_remove("TRYGG_RELAY_CA_FILE")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).expect("server log"))
        .stderr(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&log)
                .expect("server log"),
        );
    if let Some(ca) = ca {
        cmd.env("TRYGG_RELAY_CA_FILE", ca);
    }
    let child = cmd.spawn().expect("start trygg serve");
    let mut p = Proc { child, log };
    let sock = data.join("control.sock");
    let up = wait_for(Duration::from_secs(20), || {
        if let Ok(Some(status)) = p.child.try_wait() {
            panic!("trygg serve exited with {status}:\n{}", p.log_tail());
        }
        std::os::unix::net::UnixStream::connect(&sock).ok()
    });
    if up.is_none() {
        panic!(
            "trygg serve did not open its control socket:\n{}",
            p.log_tail()
        );
    }
    p
}

/// `trygg ticket show N --json` (through the running server's control socket).
fn show(data: &Path, ticket: u64) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_trygg"))
        .args(["ticket", "show", &ticket.to_string(), "--json"])
        .arg("--data")
        .arg(data)
        .env("TRYGG_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run trygg ticket show");
    assert!(
        out.status.success(),
        "ticket show: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ticket show --json output is JSON")
}

/// `(delivery, delivery_detail)` of the ticket's outgoing article.
fn out_delivery(v: &Value) -> (String, String) {
    let a = v["articles"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["direction"] == "out"))
        .unwrap_or_else(|| panic!("no outgoing article in {v}"));
    (
        a["delivery"].as_str().unwrap_or_default().to_string(),
        a["delivery_detail"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// The sink's `messages.jsonl` records.
fn received(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out.join("messages.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn header_text(m: &mail_parser::Message<'_>, name: &str) -> String {
    m.header(name)
        .and_then(|h| h.as_text())
        .unwrap_or_default()
        .to_string()
}

#[test]
#[ignore = "interop: needs aiosmtpd; run by .ci/run"]
fn required_tls_delivers_over_starttls_with_verified_certificate() {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path();
    let (data, out, tls) = (root.join("data"), root.join("sink"), root.join("tls"));
    mkcerts(&tls);
    let port = free_port();
    let sink = start_sink(port, &out, "starttls", &tls);
    setup(root, &data, port, "required");
    let ticket = queue_reply(&data);
    let mut server = start_server(root, &data, Some(&tls.join("ca.crt")), "a");

    let rec = wait_for(Duration::from_secs(20), || {
        received(&out).into_iter().next()
    })
    .unwrap_or_else(|| {
        panic!(
            "nothing delivered within 20 s\nserver:\n{}\nsink:\n{}",
            server.log_tail(),
            sink.log_tail()
        )
    });
    assert!(rec["tls"].is_string(), "delivered without TLS: {rec}");
    assert_eq!(rec["mail_from"], MAILBOX, "{rec}");
    assert_eq!(rec["rcpt_tos"], serde_json::json!([CUSTOMER]), "{rec}");
    let file = rec["file"].as_str().expect("file in record");
    let bytes = std::fs::read(out.join(file)).expect("received message");
    let msg = mail_parser::MessageParser::default()
        .parse(&bytes)
        .expect("received message parses");
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default();
    assert_eq!(from, MAILBOX);
    let to = msg
        .to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_default();
    assert_eq!(to, CUSTOMER);
    let subject = msg.subject().unwrap_or_default();
    let tag = trygg::helpdesk::ticket_tag(ticket);
    assert!(subject.contains(&tag), "subject {subject:?} lacks {tag}");
    assert!(subject.contains("Printer on fire"), "{subject:?}");
    assert_eq!(header_text(&msg, "In-Reply-To"), CUSTOMER_MSGID);

    // The outcome is committed right after the relay's 250.
    let v = wait_for(Duration::from_secs(10), || {
        let v = show(&data, ticket);
        (out_delivery(&v).0 == "sent").then_some(v)
    })
    .unwrap_or_else(|| panic!("article not marked sent: {}", show(&data, ticket)));
    let (_, detail) = out_delivery(&v);
    assert!(
        detail.starts_with("250"),
        "final reply recorded: {detail:?}"
    );
    server.kill();

    // Sent byte for byte as stored, and the queue is empty.
    let app = App::open(&data, Arc::new(SystemClock)).expect("reopen store");
    let (_, articles) = trygg::helpdesk::tickets::load_full(
        &app,
        &trygg::audit::access::Actor::local("test"),
        ticket,
    )
    .expect("ticket");
    let out_article = articles
        .iter()
        .find(|a| a.direction == trygg::helpdesk::model::Direction::Out)
        .expect("outgoing article");
    let stored = trygg::helpdesk::tickets::raw_message(
        &app,
        &trygg::audit::access::Actor::local("test"),
        ticket,
        out_article.id,
    )
    .expect("raw");
    // Unchanged, except that SMTP ends the last line with CRLF (RFC 5321 §4.1.1.4) when
    // the stored message lacks one, and the DKIM-Signature headers added at delivery time
    // (one rsa-sha256, one ed25519-sha256) in front.
    let mut expected = stored.clone();
    if !expected.ends_with(b"\r\n") {
        expected.extend_from_slice(b"\r\n");
    }
    assert!(
        bytes.ends_with(&expected),
        "the relay did not receive the stored message unchanged:\n--- stored\n{}\n--- received\n{}",
        String::from_utf8_lossy(&stored),
        String::from_utf8_lossy(&bytes)
    );
    let prefix = String::from_utf8_lossy(&bytes[..bytes.len() - expected.len()]).into_owned();
    let fields: Vec<&str> = prefix
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with([' ', '\t']))
        .collect();
    assert_eq!(
        fields.len(),
        2,
        "two DKIM-Signature fields in front: {prefix}"
    );
    assert!(
        fields.iter().all(|f| f.starts_with("DKIM-Signature:")),
        "{prefix}"
    );
    assert!(
        prefix.contains("a=rsa-sha256") && prefix.contains("a=ed25519-sha256"),
        "{prefix}"
    );
    let queued = app
        .store
        .read(trygg::mail::outbound::queue::all)
        .expect("queue");
    assert!(
        queued.is_empty(),
        "queue not empty after delivery: {queued:?}"
    );
    assert_eq!(received(&out).len(), 1, "delivered once");
}

#[test]
#[ignore = "interop: needs aiosmtpd; run by .ci/run"]
fn required_tls_never_sends_in_clear_to_a_relay_without_starttls() {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path();
    let (data, out, tls) = (root.join("data"), root.join("sink"), root.join("tls"));
    let port = free_port();
    let sink = start_sink(port, &out, "none", &tls);
    setup(root, &data, port, "required");
    let ticket = queue_reply(&data);
    let server = start_server(root, &data, None, "b");

    // Several attempts (back-off base 500 ms in start_server) all refuse to go out in clear.
    let v = wait_for(Duration::from_secs(15), || {
        let v = show(&data, ticket);
        let (state, detail) = out_delivery(&v);
        (state == "deferred" && detail.contains("TLS")).then_some(v)
    })
    .unwrap_or_else(|| {
        panic!(
            "no TLS error recorded: {}\nserver:\n{}",
            show(&data, ticket),
            server.log_tail()
        )
    });
    let (_, detail) = out_delivery(&v);
    assert!(detail.contains("STARTTLS"), "{detail}");
    std::thread::sleep(Duration::from_secs(2));
    let (state, _) = out_delivery(&show(&data, ticket));
    assert_eq!(state, "deferred", "the mail must wait, not fail");
    assert!(
        received(&out).is_empty(),
        "mail went out in clear text:\n{}",
        sink.log_tail()
    );
}

#[test]
#[ignore = "interop: needs aiosmtpd; run by .ci/run"]
fn opportunistic_tls_does_not_fall_back_to_clear_text_when_starttls_fails() {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path();
    let (data, out, tls) = (root.join("data"), root.join("sink"), root.join("tls"));
    mkcerts(&tls);
    let port = free_port();
    let sink = start_sink(port, &out, "refuse", &tls);
    setup(root, &data, port, "opportunistic");
    let ticket = queue_reply(&data);
    let server = start_server(root, &data, Some(&tls.join("ca.crt")), "d");

    wait_for(Duration::from_secs(15), || {
        let (state, detail) = out_delivery(&show(&data, ticket));
        (state == "deferred" && detail.contains("454")).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "no STARTTLS refusal recorded: {}\nserver:\n{}",
            show(&data, ticket),
            server.log_tail()
        )
    });
    assert!(
        received(&out).is_empty(),
        "mail went out in clear text after a failed STARTTLS:\n{}",
        sink.log_tail()
    );
}

#[test]
#[ignore = "interop: needs aiosmtpd; run by .ci/run"]
fn queued_mail_survives_a_crash_and_goes_out_after_restart() {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path();
    let (data, out, tls) = (root.join("data"), root.join("sink"), root.join("tls"));
    mkcerts(&tls);
    let port = free_port(); // nobody listens here yet
    setup(root, &data, port, "required");
    let ticket = queue_reply(&data);

    let mut first = start_server(root, &data, Some(&tls.join("ca.crt")), "c1");
    wait_for(Duration::from_secs(15), || {
        let (state, detail) = out_delivery(&show(&data, ticket));
        (state == "deferred" && detail.contains("connect")).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "no connect failure recorded: {}\nserver:\n{}",
            show(&data, ticket),
            first.log_tail()
        )
    });
    first.kill(); // SIGKILL: no clean shutdown

    let sink = start_sink(port, &out, "starttls", &tls);
    let second = start_server(root, &data, Some(&tls.join("ca.crt")), "c2");
    let rec = wait_for(Duration::from_secs(20), || {
        received(&out).into_iter().next()
    })
    .unwrap_or_else(|| {
        panic!(
            "queued mail not delivered after restart\nserver:\n{}\nsink:\n{}",
            second.log_tail(),
            sink.log_tail()
        )
    });
    assert!(rec["tls"].is_string(), "{rec}");
    assert_eq!(rec["rcpt_tos"], serde_json::json!([CUSTOMER]), "{rec}");
    wait_for(Duration::from_secs(10), || {
        (out_delivery(&show(&data, ticket)).0 == "sent").then_some(())
    })
    .unwrap_or_else(|| panic!("article not marked sent: {}", show(&data, ticket)));
}

#[test]
#[ignore = "interop: needs aiosmtpd; run by .ci/run"]
fn untrusted_relay_certificate_keeps_the_mail_queued() {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path();
    let (data, out, tls) = (root.join("data"), root.join("sink"), root.join("tls"));
    mkcerts(&tls);
    let port = free_port();
    let sink = start_sink(port, &out, "starttls", &tls);
    setup(root, &data, port, "required");
    let ticket = queue_reply(&data);
    // No TRYGG_RELAY_CA_FILE: the test CA is not trusted, so verification must fail.
    let server = start_server(root, &data, None, "e");

    wait_for(Duration::from_secs(15), || {
        let (state, detail) = out_delivery(&show(&data, ticket));
        (state == "deferred" && detail.contains("certificate")).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "no certificate error recorded: {}\nserver:\n{}",
            show(&data, ticket),
            server.log_tail()
        )
    });
    assert!(
        received(&out).is_empty(),
        "mail went to a relay with an untrusted certificate:\n{}",
        sink.log_tail()
    );
}

#[test]
#[ignore = "interop: needs aiosmtpd; run by .ci/run"]
fn required_tls_to_a_relay_refusing_starttls_waits_then_fails_after_the_retry_period() {
    let t = tempfile::tempdir().expect("tempdir");
    let root = t.path();
    let (data, out, tls) = (root.join("data"), root.join("sink"), root.join("tls"));
    mkcerts(&tls);
    let port = free_port();
    // The sink advertises STARTTLS but answers it 454: trygg must neither fall back to
    // clear text nor give up before the retry period (3 s here, 5 days by default).
    let sink = start_sink(port, &out, "refuse", &tls);
    setup_with(root, &data, port, "required", &["--retry-period", "3s"]);
    let ticket = queue_reply(&data);
    let server = start_server(root, &data, Some(&tls.join("ca.crt")), "f");

    let deferred = wait_for(Duration::from_secs(15), || {
        let (state, detail) = out_delivery(&show(&data, ticket));
        (state == "deferred" && detail.contains("454")).then_some(detail)
    });
    let failed = wait_for(Duration::from_secs(20), || {
        let (state, detail) = out_delivery(&show(&data, ticket));
        (state == "failed").then_some(detail)
    })
    .unwrap_or_else(|| {
        panic!(
            "not failed after the retry period: {}\nserver:\n{}",
            show(&data, ticket),
            server.log_tail()
        )
    });
    // Either state may be missed by polling if attempts are fast; the final reason must
    // name the period and the TLS refusal.
    if let Some(d) = deferred {
        assert!(d.contains("not sending in clear text"), "{d}");
    }
    assert!(failed.contains("gave up after"), "{failed}");
    assert!(failed.contains("3 s"), "{failed}");
    assert!(failed.contains("454"), "{failed}");
    assert!(
        received(&out).is_empty(),
        "mail went out in clear text:\n{}",
        sink.log_tail()
    );
    let app_queue = {
        drop(server);
        let app = App::open(&data, Arc::new(SystemClock)).expect("reopen store");
        app.store
            .read(trygg::mail::outbound::queue::all)
            .expect("queue")
    };
    assert!(
        app_queue.is_empty(),
        "failed mail left in the queue: {app_queue:?}"
    );
}
