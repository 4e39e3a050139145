//! Socket-free SMTP session tests (the session is generic over its stream): STARTTLS
//! command injection (RFC 3207 §5, CVE-2011-0411 class) and the forced-TLS policy, with a
//! real rustls handshake over `tokio::io::duplex`.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use trygg::app::{App, SystemClock};
use trygg::helpdesk::settings::{SetupInput, run_setup};
use trygg::mail::inbound::smtp::{Limits, ListenerTls, Session, TlsPolicy};

fn app() -> (tempfile::TempDir, Arc<App>) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(&dir.path().join("data"), Arc::new(SystemClock)).unwrap();
    run_setup(
        &app,
        SetupInput {
            org_name: "Test AB".into(),
            admin_email: "admin@test.example".into(),
            admin_password: "Solros-Kaffe-Vinter-42".into(),
            mailboxes: vec!["support@test.example".into()],
            relay: None,
        },
    )
    .unwrap();
    (dir, app)
}

/// A self-signed certificate for `localhost`: (server config, the certificate).
fn certs() -> (
    Arc<rustls::ServerConfig>,
    rustls_pki_types::CertificateDer<'static>,
) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
    let cert = ck.cert.der().clone();
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    (Arc::new(cfg), cert)
}

async fn reply<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.unwrap() == 0 {
            return all;
        }
        all.push_str(&line);
        if line.len() < 4 || line.as_bytes()[3] != b'-' {
            return all;
        }
    }
}

async fn cmd<S: AsyncRead + AsyncWrite + Unpin>(s: &mut BufReader<S>, line: &str) -> String {
    s.get_mut()
        .write_all(format!("{line}\r\n").as_bytes())
        .await
        .unwrap();
    reply(s).await
}

#[tokio::test]
async fn starttls_injection_is_ignored_and_forced_policy_holds() {
    let (_dir, app) = app();
    let (cfg, cert) = certs();
    let tls = ListenerTls::new(TlsPolicy::Forced, None, None, &cfg).unwrap();
    let (client, server) = tokio::io::duplex(1 << 16);
    let peer: SocketAddr = "192.0.2.1:25".parse().unwrap();
    let mut session = Session::new(
        app.clone(),
        peer,
        "mx.test.example".into(),
        Limits::default(),
    )
    .with_tls(tls);
    let task = tokio::spawn(async move { session.run(server).await });

    let mut c = BufReader::new(client);
    assert!(reply(&mut c).await.starts_with("220 "));
    let ehlo = cmd(&mut c, "EHLO client.example.org").await;
    assert!(ehlo.contains("250-STARTTLS"), "{ehlo}");
    assert!(
        cmd(&mut c, "MAIL FROM:<a@example.org>")
            .await
            .starts_with("530 5.7.0"),
        "forced: no MAIL before STARTTLS"
    );
    // STARTTLS with a command injected behind it in the same packet: the injected MAIL
    // must never be answered (it was sent in clear).
    c.get_mut()
        .write_all(b"STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n")
        .await
        .unwrap();
    let r = reply(&mut c).await;
    assert!(r.starts_with("220 2.0.0"), "{r}");
    assert!(c.buffer().is_empty(), "nothing after 220 in clear");

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let ccfg = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(ccfg));
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, c.into_inner()).await.unwrap();
    let mut t = BufReader::new(tls);
    // The injected MAIL was dropped: the first reply under TLS is to our EHLO, which must
    // come again (RFC 3207 §4.2) and no longer offers STARTTLS.
    assert!(
        cmd(&mut t, "MAIL FROM:<a@example.org>")
            .await
            .starts_with("503"),
        "EHLO required again after STARTTLS"
    );
    let ehlo = cmd(&mut t, "EHLO client.example.org").await;
    assert!(ehlo.starts_with("250-"), "{ehlo}");
    assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
    assert!(
        cmd(&mut t, "STARTTLS").await.starts_with("503"),
        "no second STARTTLS"
    );
    assert!(
        cmd(&mut t, "MAIL FROM:<a@example.org>")
            .await
            .starts_with("250")
    );
    assert!(
        cmd(&mut t, "RCPT TO:<support@test.example>")
            .await
            .starts_with("250")
    );
    assert!(cmd(&mut t, "DATA").await.starts_with("354"));
    let r = cmd(
        &mut t,
        "Subject: under TLS\r\nMessage-ID: <tls@example.org>\r\n\r\nhej\r\n.",
    )
    .await;
    assert!(r.starts_with("250"), "{r}");
    assert!(cmd(&mut t, "QUIT").await.starts_with("221"));
    drop(t);
    task.await.unwrap().unwrap();

    // Stored once; the trace header records ESMTPS (RFC 3848).
    let list = trygg::helpdesk::tickets::list(
        &app,
        &trygg::audit::access::Actor::local("test"),
        trygg::helpdesk::tickets::StatusFilter::All,
        10,
    )
    .unwrap();
    assert_eq!(list.len(), 1);
    let (_, articles) = trygg::helpdesk::tickets::load_full(
        &app,
        &trygg::audit::access::Actor::local("test"),
        list[0].number,
    )
    .unwrap();
    let sha = articles[0].raw_sha256.clone().unwrap();
    let raw = app
        .store
        .read(|r| trygg::helpdesk::ingest::get_blob(r, &sha))
        .unwrap()
        .unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("with ESMTPS"), "{raw}");
}
