//! STARTTLS on the SMTP listener (RFC 3207), exercised by independent clients: swaks
//! (Perl, IO::Socket::SSL/OpenSSL) and Python's smtplib. Optional policy: offered, plain
//! delivery still works; forced policy: MAIL before STARTTLS is refused with 530.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// The test PKI from `testing/mkcerts.sh` in `dir` (ca.crt, server.crt, server.key).
fn make_certs(dir: &Path) {
    let st = Command::new("bash")
        .arg(shared().join("testing/mkcerts.sh"))
        .arg(dir)
        .status()
        .expect("mkcerts.sh");
    assert!(st.success());
}

/// Runs swaks against `port`; returns (exit code, transcript).
fn swaks(port: u16, extra: &[&str], subject: &str) -> (i32, String) {
    let out = Command::new("swaks")
        .args([
            "--server",
            &format!("127.0.0.1:{port}"),
            "--from",
            "kund@example.org",
            "--to",
            "support@helpdesk.example.com",
            "--header",
            &format!("Subject: {subject}"),
            "--body",
            "hej",
            "--timeout",
            "20",
        ])
        .args(extra)
        .output()
        .expect("swaks");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn subjects(data: &Path) -> Vec<String> {
    ticket_list(data)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["subject"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
#[ignore = "interop: needs swaks and openssl; run by .ci/run"]
fn optional_starttls_is_offered_and_verifies_with_the_configured_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    make_certs(&tls);
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let cert = tls.join("server.crt").display().to_string();
    let key = tls.join("server.key").display().to_string();
    let server = Server::start_with_env(
        &data,
        &[
            ("TRYGG_SMTP_TLS", "optional"),
            ("TRYGG_SMTP_TLS_CERT", &cert),
            ("TRYGG_SMTP_TLS_KEY", &key),
        ],
    );
    let ca = tls.join("ca.crt").display().to_string();
    let (code, out) = swaks(
        server.smtp,
        &["--tls", "--tls-verify", "--tls-ca-path", &ca],
        "over TLS",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("250-STARTTLS"), "{out}");
    assert!(out.contains("TLS started"), "{out}");
    let (code, out) = swaks(server.smtp, &[], "in clear");
    assert_eq!(code, 0, "optional policy accepts plain delivery: {out}");
    let subs = subjects(&data);
    assert!(subs.contains(&"over TLS".to_string()), "{subs:?}");
    assert!(subs.contains(&"in clear".to_string()), "{subs:?}");
}

#[test]
#[ignore = "interop: needs swaks and python3; run by .ci/run"]
fn forced_tls_refuses_plain_mail_and_accepts_after_starttls() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    // No certificate files: the listener reuses the generated HTTPS certificate.
    let server = Server::start_with_env(&data, &[("TRYGG_SMTP_TLS", "forced")]);

    let (code, out) = swaks(server.smtp, &[], "must not arrive");
    assert_eq!(code, 23, "MAIL refused: {out}");
    assert!(out.contains("530 5.7.0"), "{out}");

    let (code, out) = swaks(server.smtp, &["--tls"], "forced TLS");
    assert_eq!(code, 0, "{out}");

    // smtplib: the same with STARTTLS, and the ESMTP extensions after it.
    let script = r#"
import smtplib, ssl, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30)
s.ehlo('client.example.org')
code, msg = s.mail('a@example.org')
assert code == 530, (code, msg)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
s.ehlo('client.example.org')
assert 'starttls' not in s.esmtp_features, s.esmtp_features
assert 'size' in s.esmtp_features and 'pipelining' in s.esmtp_features
s.sendmail('a@example.org', ['support@helpdesk.example.com'],
           b'Subject: smtplib over TLS\r\nMessage-ID: <tls-smtplib@example.org>\r\n\r\nhej\r\n')
s.quit()
print('ok')
"#;
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(server.smtp.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let subs = subjects(&data);
    assert!(subs.contains(&"forced TLS".to_string()), "{subs:?}");
    assert!(subs.contains(&"smtplib over TLS".to_string()), "{subs:?}");
    assert!(!subs.contains(&"must not arrive".to_string()), "{subs:?}");
}
