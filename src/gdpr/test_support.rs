//! Shared fixtures for the GDPR unit tests: an app with setup done, and mails to ingest.

use std::sync::Arc;

use crate::app::{App, FixedClock};
use crate::helpdesk::ingest::Envelope;

pub fn mail(name: &str, from: &str, subject: &str, body: &str, attachment: &str) -> Vec<u8> {
    mail_with("", name, from, subject, body, attachment)
}

/// Like [`mail`], with `extra` header lines (each ending in CRLF) after `To:`.
pub fn mail_with(
    extra: &str,
    name: &str,
    from: &str,
    subject: &str,
    body: &str,
    attachment: &str,
) -> Vec<u8> {
    format!(
        "From: {name} <{from}>\r\nTo: support@example.org\r\n{extra}Subject: {subject}\r\n\
         Message-ID: <{subject}@mail.example.net>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
         {body}\r\n--b\r\nContent-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=\"cv.txt\"\r\n\r\n{attachment}\r\n--b--\r\n"
    )
    .into_bytes()
}

pub fn app() -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::open(dir.path(), Arc::new(FixedClock::at(1_700_000_000_000))).expect("app");
    crate::helpdesk::settings::run_setup(
        &app,
        crate::helpdesk::settings::SetupInput {
            org_name: "Example".into(),
            admin_email: "admin@example.org".into(),
            admin_password: "correct horse battery".into(),
            mailboxes: vec!["support@example.org".into()],
            relay: None,
        },
    )
    .expect("setup");
    (dir, app)
}

pub fn env() -> Envelope {
    Envelope {
        mail_from: "anna@example.net".into(),
        rcpt_to: vec!["support@example.org".into()],
        peer: "127.0.0.1".into(),
        trace: None,
    }
}
