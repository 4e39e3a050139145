//! access: a small blocking HTTPS/1.1 client for tests (rustls, ring). It trusts exactly
//! the server's own certificate (pinned by its DER bytes from `DATA/tls/cert.pem`) and
//! sends one request per connection (`Connection: close`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject};
use rustls::{DigitallySignedStruct, SignatureScheme};

#[derive(Debug)]
struct Pinned {
    cert: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the pinned certificate".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            m,
            c,
            d,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            m,
            c,
            d,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Lower-case header names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// First header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The value of `name=value` in the `Set-Cookie` headers.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next())
            .filter_map(|c| c.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// A client for the server on `127.0.0.1:port` whose certificate is in `data/tls/cert.pem`.
#[derive(Clone)]
pub struct Client {
    port: u16,
    config: Arc<rustls::ClientConfig>,
}

impl Client {
    pub fn new(data: &Path, port: u16) -> Client {
        let cert = CertificateDer::from_pem_file(data.join("tls/cert.pem")).expect("server cert");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned {
                cert: cert.as_ref().to_vec(),
                provider,
            }))
            .with_no_client_auth();
        Client {
            port,
            config: Arc::new(config),
        }
    }

    /// Sends `method path` with extra `headers` and `body`; returns the answer.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Answer {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let conn = rustls::ClientConnection::new(
            self.config.clone(),
            ServerName::try_from("localhost").unwrap(),
        )
        .expect("tls");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.port,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        tls.write_all(req.as_bytes()).unwrap();
        tls.write_all(body).unwrap();
        tls.flush().unwrap();
        let mut raw = Vec::new();
        match tls.read_to_end(&mut raw) {
            Ok(_) => {}
            // Servers may close without close_notify after Connection: close.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => panic!("read: {e}"),
        }
        parse(&raw)
    }

    /// GET with a cookie header (may be empty).
    pub fn get(&self, path: &str, cookie: &str) -> Answer {
        let h: Vec<(&str, &str)> = if cookie.is_empty() {
            vec![]
        } else {
            vec![("Cookie", cookie)]
        };
        self.request("GET", path, &h, b"")
    }

    /// POST of a form with a cookie header (may be empty).
    pub fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form {
            ser.append_pair(k, v);
        }
        let body = ser.finish();
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if !cookie.is_empty() {
            h.push(("Cookie", cookie));
        }
        self.request("POST", path, &h, body.as_bytes())
    }

    /// Signs in; returns the `Cookie` header value for the session.
    pub fn login(&self, email: &str, password: &str) -> Option<String> {
        let page = self.get("/login", "");
        let csrf_cookie = page.cookie("trygg_csrf")?;
        let csrf = hidden(&page.text(), "csrf")?;
        let a = self.post(
            "/login",
            &format!("trygg_csrf={csrf_cookie}"),
            &[("email", email), ("password", password), ("csrf", &csrf)],
        );
        (a.status == 303)
            .then(|| a.cookie("trygg_session"))
            .flatten()
            .map(|s| format!("trygg_session={s}"))
    }
}

/// The value of the first `<input … name="{name}" value="…">` in `page`.
pub fn hidden(page: &str, name: &str) -> Option<String> {
    let pat = format!("name=\"{name}\" value=\"");
    let i = page.find(&pat)?;
    page[i + pat.len()..].split('"').next().map(String::from)
}

fn parse(raw: &[u8]) -> Answer {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(p) = rest.windows(2).position(|w| w == b"\r\n") {
            let n =
                usize::from_str_radix(String::from_utf8_lossy(&rest[..p]).trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[p + 2..p + 2 + n]);
            rest = &rest[p + 4 + n..];
        }
        body = out;
    }
    Answer {
        status,
        headers,
        body,
    }
}
