//! Test harness: drives the real `trygg` binary on ephemeral loopback ports.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_trygg")
}

/// `../shared` beside the checkout (corpus, testing scripts).
pub fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// The Python interpreter for interop peers: `TRYGG_TEST_PYTHON`, else the venv `.ci/run`
/// installs (`target/test-venv`), else `python3`.
pub fn python() -> String {
    std::env::var("TRYGG_TEST_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/target/test-venv/bin/python");
        if Path::new(venv).exists() {
            venv.into()
        } else {
            "python3".into()
        }
    })
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Polls `f` every 50 ms until it returns Some, for at most `secs` seconds.
pub fn wait_for<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `trygg ARGS` to completion.
pub fn trygg(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("TRYGG_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run trygg")
}

/// `trygg setup` on `data` with one admin and `mailboxes`; extra args appended.
pub fn setup(data: &Path, mailboxes: &[&str], extra: &[&str]) {
    let pw = data.with_extension("pw");
    std::fs::write(&pw, "Solros-Kaffe-Vinter-42\n").unwrap();
    let mut args = vec![
        "setup".to_string(),
        "--data".into(),
        data.display().to_string(),
        "--org".into(),
        "Hjälpdesken AB".into(),
        "--admin-email".into(),
        ADMIN.into(),
        "--admin-password-file".into(),
        pw.display().to_string(),
    ];
    for m in mailboxes {
        args.push("--mailbox".into());
        args.push(m.to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = trygg(&refs);
    assert!(
        out.status.success(),
        "setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub const ADMIN: &str = "admin@helpdesk.example.com";
pub const ADMIN_PW: &str = "Solros-Kaffe-Vinter-42";

/// A running `trygg serve`, killed (SIGKILL) on drop.
pub struct Server {
    pub child: Child,
    pub data: PathBuf,
    pub http: u16,
    pub smtp: u16,
    pub log: PathBuf,
}

impl Server {
    /// Starts `trygg serve` on fresh ports and waits until SMTP and HTTPS accept connections.
    pub fn start(data: &Path) -> Server {
        Self::start_with_env(data, &[])
    }

    pub fn start_with_env(data: &Path, env: &[(&str, &str)]) -> Server {
        Self::start_on(data, free_port(), free_port(), env)
    }

    // mail rules: two instances relaying to each other need each other's ports up front.
    /// Starts `trygg serve` on the given HTTPS and SMTP ports.
    pub fn start_on(data: &Path, http: u16, smtp: u16, env: &[(&str, &str)]) -> Server {
        let log = data.with_extension(format!("log{http}"));
        let logf = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(bin());
        cmd.args([
            "serve",
            "--data",
            &data.display().to_string(),
            "--http",
            &format!("127.0.0.1:{http}"),
            "--smtp",
            &format!("127.0.0.1:{smtp}"),
        ])
        .env("TRYGG_LOG", "info")
        .stdin(Stdio::null())
        .stdout(logf.try_clone().unwrap())
        .stderr(logf);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn trygg serve");
        let mut s = Server {
            child,
            data: data.to_path_buf(),
            http,
            smtp,
            log,
        };
        let up = wait_for(30, || {
            if let Ok(Some(st)) = s.child.try_wait() {
                panic!("trygg serve exited early ({st}): {}", s.log_text());
            }
            (std::net::TcpStream::connect(("127.0.0.1", smtp)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", http)).is_ok()
                && s.data.join("control.sock").exists())
            .then_some(())
        });
        assert!(up.is_some(), "server did not come up: {}", s.log_text());
        s
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, no clean shutdown.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.http)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Sends `raw` with Python's smtplib (an SMTP client nobody here wrote) and returns the
/// final DATA reply as `(code, text)`.
pub fn smtplib_send(port: u16, mail_from: &str, rcpts: &[&str], raw: &[u8]) -> (u16, String) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("msg.eml");
    std::fs::write(&f, raw).unwrap();
    let script = r#"
import json, smtplib, sys
port, mail_from, rcpts, path = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
data = open(path, 'rb').read()
s = smtplib.SMTP('127.0.0.1', port, timeout=60)
s.ehlo('client.example.org')
opts = ['SMTPUTF8'] if any(b > 127 for b in data) and 'smtputf8' in s.esmtp_features else []
opts += ['BODY=8BITMIME'] if any(b > 127 for b in data) else []
code, msg = s.mail(mail_from, opts)
if code != 250:
    print(json.dumps([code, msg.decode('utf-8', 'replace')])); sys.exit(0)
ok = 0
for r in rcpts:
    c, m = s.rcpt(r)
    ok += c == 250
if not ok:
    print(json.dumps([c, m.decode('utf-8', 'replace')])); sys.exit(0)
code, msg = s.data(data)
print(json.dumps([code, msg.decode('utf-8', 'replace')]))
s.quit()
"#;
    let out = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(port.to_string())
        .arg(mail_from)
        .arg(serde_json::to_string(rcpts).unwrap())
        .arg(&f)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "smtplib failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, text): (u16, String) = serde_json::from_slice(&out.stdout).expect("smtplib output");
    (code, text)
}

/// `trygg ticket list --json` (through the control socket when a server runs).
pub fn ticket_list(data: &Path) -> serde_json::Value {
    let out = trygg(&[
        "ticket",
        "list",
        "--data",
        &data.display().to_string(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ticket list json")
}

/// `trygg ticket show N --json`.
pub fn ticket_show(data: &Path, n: u64) -> serde_json::Value {
    let out = trygg(&[
        "ticket",
        "show",
        &n.to_string(),
        "--data",
        &data.display().to_string(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ticket show json")
}

/// Writes to a file and returns its path (helper for password files).
pub fn write_file(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    f.write_all(content).unwrap();
    p
}

// access: HTTPS client pinned to the server's certificate.
pub mod https;

/// access: delivers `raw` to `rcpt` over plain SMTP to trygg on `port` (a minimal
/// client: EHLO, MAIL, RCPT, DATA with dot-stuffing); returns the final reply code.
pub fn smtp_deliver(port: u16, from: &str, rcpt: &str, raw: &str) -> u16 {
    use std::io::{BufRead, BufReader};
    let s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("smtp connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut w = s;
    let mut reply = || -> u16 {
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            }
        }
    };
    assert_eq!(reply(), 220);
    let mut cmd = |c: String| {
        w.write_all(c.as_bytes()).unwrap();
    };
    cmd("EHLO client.example.org\r\n".into());
    assert_eq!(reply(), 250);
    cmd(format!("MAIL FROM:<{from}>\r\n"));
    assert_eq!(reply(), 250);
    cmd(format!("RCPT TO:<{rcpt}>\r\n"));
    assert_eq!(reply(), 250);
    cmd("DATA\r\n".into());
    assert_eq!(reply(), 354);
    let mut data = String::new();
    for line in raw.replace("\r\n", "\n").split('\n') {
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    cmd(data);
    let code = reply();
    cmd("QUIT\r\n".into());
    code
}

// mail rules
/// `trygg mail-rules set ARGS` on `data` (through the server when one runs); the JSON result.
pub fn mail_rules_set(data: &Path, args: &[&str]) -> serde_json::Value {
    let d = data.display().to_string();
    let mut all = vec!["mail-rules", "set", "--data", &d];
    all.extend_from_slice(args);
    let out = trygg(&all);
    assert!(
        out.status.success(),
        "mail-rules set: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("mail-rules json")
}

/// `trygg ticket mail-info N` (links, mailboxes reached per article).
pub fn ticket_mail_info(data: &Path, n: u64) -> serde_json::Value {
    let out = trygg(&[
        "ticket",
        "mail-info",
        &n.to_string(),
        "--data",
        &data.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("mail-info json")
}

/// curl (TLS not verified: the test servers' certificates are self-signed) with a cookie
/// jar; returns (status, body).
pub fn curl(jar: &Path, args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-sk", "-b"])
        .arg(jar)
        .arg("-c")
        .arg(jar)
        .args(["-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// The value of the hidden form field `name` in `body`; panics (failing the test) when the
/// page has none.
pub fn hidden(body: &str, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let i = body
        .find(&pat)
        .unwrap_or_else(|| panic!("no hidden {name} in page:\n{body}"));
    body[i + pat.len()..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}
