//! Property-based fuzzing of the inbound path (proptest): raw messages through
//! parse + ingest, and SMTP command streams through the SMTP session (socket-free, over
//! `tokio::io::duplex`). Properties: nothing panics; every message is stored (the same bytes
//! twice are one article); every SMTP reply is a well-formed reply line and the session
//! survives garbage.
//!
//! Cases per property: `TRYGG_FUZZ_CASES` (default 64, kept small so CI stays quick; see
//! docs/mail-server.md for the long run and its figures).

use std::net::SocketAddr;
use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use trygg::app::{App, SystemClock};
use trygg::helpdesk::ingest::{Envelope, ingest};
use trygg::helpdesk::settings::{SetupInput, run_setup};
use trygg::mail::inbound::parse::parse_message;
use trygg::mail::inbound::smtp::{Limits, ListenerTls, Session, TlsPolicy};

fn cases() -> u32 {
    std::env::var("TRYGG_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn app() -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&dir.path().join("data"), Arc::new(SystemClock)).unwrap();
    run_setup(
        &app,
        SetupInput {
            org_name: "Fuzz AB".into(),
            admin_email: "admin@fuzz.example".into(),
            admin_password: "Solros-Kaffe-Vinter-42".into(),
            mailboxes: vec!["support@fuzz.example".into()],
            relay: None,
        },
    )
    .unwrap();
    (dir, app)
}

// ---- raw messages ----------------------------------------------------------------------

/// Header names real mail (and hostile mail) uses, in any case.
const HEADERS: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Date",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "X-Loop",
    "Received",
    "message-id",
    "CONTENT-TYPE",
];

/// Header values with the tricky parts: encoded words, charsets, parameters, angle brackets.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ -~]{0,80}".prop_map(String::into_bytes),
        Just(b"=?utf-8?q?Skrivaren_p=C3=A5?= plan 3".to_vec()),
        Just(b"=?iso-8859-1?b?5eT2?=glued=?utf-8?q?x?=".to_vec()),
        Just(b"=?x-unknown?q?=FF=FE?=".to_vec()),
        Just(b"multipart/mixed; boundary=\"b1\"".to_vec()),
        Just(b"multipart/alternative; boundary=b2".to_vec()),
        Just(b"text/plain; charset=\"windows-1252\"".to_vec()),
        Just(b"text/html; charset=bogus".to_vec()),
        Just(b"message/rfc822".to_vec()),
        Just(b"application/ms-tnef; name=winmail.dat".to_vec()),
        Just(b"attachment; filename*=utf-8''r%C3%A4kning.pdf".to_vec()),
        Just(b"base64".to_vec()),
        Just(b"quoted-printable".to_vec()),
        Just(b"<a@b> <c@d> <<>> <".to_vec()),
        Just(b"".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..60),
    ]
}

fn body_part() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ -~\r\n]{0,300}".prop_map(String::into_bytes),
        Just(b"--b1\r\nContent-Type: text/plain\r\n\r\nhej\r\n--b1--\r\n".to_vec()),
        Just(b"--b2\r\n\r\n--b2\r\nContent-Type: text/html\r\n\r\n<p>x".to_vec()),
        Just(b"=C3=A5=\r\n=\r\n==ZZ".to_vec()),
        Just(b"5eT2\r\n!!!not base64===\r\n".to_vec()),
        Just("ø".repeat(1500).into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..400),
    ]
}

/// A message: headers from the lists above (folded sometimes), a separator, body parts.
fn message() -> impl Strategy<Value = Vec<u8>> {
    let header = (
        proptest::sample::select(HEADERS),
        header_value(),
        any::<bool>(),
    );
    (
        proptest::collection::vec(header, 0..12),
        prop_oneof![Just(&b"\r\n"[..]), Just(&b"\n"[..]), Just(&b""[..])],
        proptest::collection::vec(body_part(), 0..4),
    )
        .prop_map(|(headers, sep, parts)| {
            let mut m = Vec::new();
            for (name, value, fold) in headers {
                m.extend_from_slice(name.as_bytes());
                m.extend_from_slice(b": ");
                if fold && value.len() > 10 {
                    m.extend_from_slice(&value[..5]);
                    m.extend_from_slice(b"\r\n\t");
                    m.extend_from_slice(&value[5..]);
                } else {
                    m.extend_from_slice(&value);
                }
                m.extend_from_slice(b"\r\n");
            }
            m.extend_from_slice(sep);
            for p in parts {
                m.extend_from_slice(&p);
            }
            m
        })
}

#[test]
fn raw_messages_never_panic_and_are_stored_once() {
    let (_dir, app) = app();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let env = Envelope {
        mail_from: "fuzz@example.org".into(),
        rcpt_to: vec!["support@fuzz.example".into()],
        peer: "127.0.0.1:1".into(),
        trace: None,
    };
    let strategy = prop_oneof![message(), proptest::collection::vec(any::<u8>(), 0..2000),];
    runner
        .run(&strategy, |raw| {
            let _ = parse_message(&raw);
            let first = ingest(&app, &raw, &env)
                .map_err(|e| TestCaseError::fail(format!("ingest failed: {e:?} for {raw:?}")))?;
            // The same bytes again are the same message (Message-ID or synthetic id).
            let again = ingest(&app, &raw, &env)
                .map_err(|e| TestCaseError::fail(format!("second ingest failed: {e:?}")))?;
            prop_assert!(again.duplicate, "stored twice: {raw:?}");
            prop_assert_eq!(again.article, first.article);
            Ok(())
        })
        .unwrap();
}

// ---- SMTP command streams ------------------------------------------------------------------

fn command_line() -> impl Strategy<Value = Vec<u8>> {
    let verbs = proptest::sample::select(vec![
        "EHLO",
        "HELO",
        "LHLO",
        "MAIL FROM:",
        "RCPT TO:",
        "DATA",
        "RSET",
        "NOOP",
        "VRFY",
        "EXPN",
        "HELP",
        "QUIT",
        "STARTTLS",
        "AUTH",
        "BDAT",
        "ETRN",
        "mail from:",
        "rcpt to:",
        "ehlo",
    ]);
    let arg = prop_oneof![
        Just(String::new()),
        Just(" client.example.org".to_string()),
        Just("<a@example.org>".to_string()),
        Just("<support@fuzz.example>".to_string()),
        Just("<Support@FUZZ.example> NOTIFY=NEVER".to_string()),
        Just("<> SIZE=99999999999999999999".to_string()),
        Just("<a@example.org> BODY=8BITMIME SMTPUTF8".to_string()),
        Just("<\"quoted local\"@example.org>".to_string()),
        Just("<åsa@exempel.se> SMTPUTF8".to_string()),
        Just(" PLAIN AGFkbWluAHB3".to_string()),
        Just(" 10 LAST".to_string()),
        "[ -~]{0,100}",
    ];
    let eol = prop_oneof![Just("\r\n"), Just("\n"), Just("\r")];
    prop_oneof![
        8 => (verbs, arg, eol).prop_map(|(v, a, e)| format!("{v}{a}{e}").into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
        1 => (1usize..6000).prop_map(|n| {
            let mut l = b"NOOP ".to_vec();
            l.resize(n, b'a');
            l.extend_from_slice(b"\r\n");
            l
        }),
        1 => Just(b"Subject: x\r\n\r\n..dot\r\n.\r\n".to_vec()),
    ]
}

/// A self-signed rustls server configuration (what STARTTLS would use).
fn tls_config() -> Arc<rustls::ServerConfig> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    Arc::new(cfg)
}

/// Whether every line of `out` is an SMTP reply line: three digits, then space, dash or end.
fn well_formed(out: &[u8]) -> bool {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .all(|l| {
            l.ends_with(b"\r")
                && l.len() >= 4
                && l[..3].iter().all(u8::is_ascii_digit)
                && matches!(l[3], b' ' | b'-' | b'\r')
        })
}

#[test]
fn smtp_command_streams_never_panic_and_get_well_formed_replies() {
    let (_dir, app) = app();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        proptest::collection::vec(command_line(), 0..40),
        any::<bool>(),
        proptest::sample::select(vec![TlsPolicy::Off, TlsPolicy::Optional, TlsPolicy::Forced]),
    );
    let web = tls_config();
    runner
        .run(&strategy, |(lines, pipelined, policy)| {
            let tls = ListenerTls::new(policy, None, None, &web).unwrap();
            let out = rt.block_on(async {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let (mut client, server) = tokio::io::duplex(1 << 16);
                let peer: SocketAddr = "192.0.2.7:4242".parse().unwrap();
                let mut session = Session::new(
                    app.clone(),
                    peer,
                    "mx.fuzz.example".into(),
                    Limits::default(),
                )
                .with_tls(tls);
                let task = tokio::spawn(async move { session.run(server).await });
                let writer = async {
                    if pipelined {
                        let all: Vec<u8> = lines.concat();
                        let _ = client.write_all(&all).await;
                    } else {
                        for l in &lines {
                            if client.write_all(l).await.is_err() {
                                break;
                            }
                            tokio::task::yield_now().await;
                        }
                    }
                    let _ = client.write_all(b"\r\n.\r\nQUIT\r\n").await;
                    let _ = client.flush().await;
                    let _ = client.shutdown().await;
                    let mut out = Vec::new();
                    let _ = client.read_to_end(&mut out).await;
                    out
                };
                let out = writer.await;
                let joined = task.await;
                (out, joined.is_ok())
            });
            let (out, joined) = out;
            prop_assert!(joined, "the session task panicked");
            prop_assert!(out.starts_with(b"220 "), "no greeting: {out:?}");
            // After "220 Ready to start TLS" the bytes are TLS records (here: the alert
            // for a client that never starts the handshake), not SMTP lines.
            const TLS_GO: &[u8] = b"Ready to start TLS\r\n";
            let plain = match out.windows(TLS_GO.len()).position(|w| w == TLS_GO) {
                Some(p) => &out[..p + TLS_GO.len()],
                None => &out[..],
            };
            prop_assert!(
                well_formed(plain),
                "malformed reply: {}",
                String::from_utf8_lossy(&out)
            );
            Ok(())
        })
        .unwrap();
}
