//! DKIM proof: a reply sent through a real SMTP sink (aiosmtpd) carries an rsa-sha256 and
//! an ed25519-sha256 signature that Python's dkimpy (a verifier nobody here wrote)
//! accepts, given exactly the DNS TXT values the admin's mail delivery page tells the
//! administrator to publish (no DNS involved: the key is handed to dkimpy's `dnsfunc`).
//! Negative controls: a changed body and a swapped key must fail.
//!
//! Needs: `TRYGG_TEST_PYTHON` with aiosmtpd, dkimpy and PyNaCl; curl; openssl.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;

const MAILBOX: &str = "support@helpdesk.example.com";
const DOMAIN: &str = "helpdesk.example.com";

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

fn start_sink(dir: &Path, port: u16) -> Sink {
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
        .args(["--tls", "starttls", "--cert"])
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

/// Signs in as the admin; returns the base URL.
fn login(jar: &Path, server: &Server) -> String {
    let base = server.base_url();
    let (st, page) = curl(jar, &[&format!("{base}/login")]);
    assert_eq!(st, 200);
    let csrf = hidden(&page, "csrf");
    let (st, _) = curl(
        jar,
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
    base
}

/// `(name, value)` of every DNS record shown on the page (the `record-name` and
/// `record-value` code elements, in order). maud escapes only `&<>"`, none of which occur.
fn records(page: &str) -> Vec<(String, String)> {
    let grab = |marker: &str| -> Vec<String> {
        page.split(marker)
            .skip(1)
            .map(|rest| rest.split("</code>").next().unwrap_or("").to_string())
            .collect()
    };
    let names = grab("<code class=\"record-name\">");
    let values = grab("<code class=\"record-value\">");
    assert_eq!(names.len(), values.len(), "{page}");
    names.into_iter().zip(values).collect()
}

const VERIFY: &str = r#"
import dkim, json, sys
msg = open(sys.argv[1], 'rb').read()
rsa_txt, ed_txt = sys.argv[2].encode(), sys.argv[3].encode()
def check(data, idx, txt):
    asked = []
    def dnsfunc(name, timeout=5):
        asked.append(name.decode())
        return txt
    try:
        ok = dkim.DKIM(data).verify(idx=idx, dnsfunc=dnsfunc)
    except Exception as e:          # e.g. nacl errors on a key type mismatch
        ok = False
    return {"ok": bool(ok), "asked": asked}
tampered = msg.replace(b"Fungerar det nu?", b"Fungerar det inte?")
assert tampered != msg
print(json.dumps({
    "rsa": check(msg, 0, rsa_txt),
    "ed25519": check(msg, 1, ed_txt),
    "rsa_tampered": check(tampered, 0, rsa_txt),
    "ed25519_tampered": check(tampered, 1, ed_txt),
    "rsa_with_ed_key": check(msg, 0, ed_txt),
    "ed25519_with_rsa_key": check(msg, 1, rsa_txt),
}))
"#;

#[test]
#[ignore = "interop: needs aiosmtpd, dkimpy, PyNaCl and curl; run by .ci/run"]
fn both_dkim_signatures_verify_with_dkimpy_using_the_published_records() {
    let dir = tempfile::tempdir().unwrap();
    let sink_port = free_port();
    let sink = start_sink(dir.path(), sink_port);
    let data = dir.path().join("data");
    setup(
        &data,
        &[MAILBOX],
        &[
            "--relay",
            &format!("127.0.0.1:{sink_port}"),
            "--relay-tls",
            "required",
            "--dkim-selector",
            "s2026",
        ],
    );
    let ca = dir.path().join("tls/ca.crt");
    let server = Server::start_with_env(&data, &[("TRYGG_RELAY_CA_FILE", ca.to_str().unwrap())]);

    // The records the admin is told to publish.
    let jar = dir.path().join("cookies");
    let base = login(&jar, &server);
    let (st, page) = curl(&jar, &[&format!("{base}/admin/mail")]);
    assert_eq!(st, 200, "{page}");
    let recs = records(&page);
    let find = |name: &str| {
        recs.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no record {name} on the page: {recs:?}"))
    };
    let rsa_txt = find(&format!("s2026-rsa._domainkey.{DOMAIN}"));
    let ed_txt = find(&format!("s2026-ed25519._domainkey.{DOMAIN}"));
    assert!(rsa_txt.starts_with("v=DKIM1; k=rsa; p="), "{rsa_txt}");
    assert!(ed_txt.starts_with("v=DKIM1; k=ed25519; p="), "{ed_txt}");
    let dmarc = find(&format!("_dmarc.{DOMAIN}"));
    assert!(dmarc.starts_with("v=DMARC1; p=none;"), "{dmarc}");
    // Relay mode: no SPF record of ours, the advice is to keep the relay's.
    assert!(
        !recs.iter().any(|(_, v)| v.starts_with("v=spf1")),
        "{recs:?}"
    );
    assert!(page.contains("keep the SPF record"), "{page}");

    // A customer writes; the agent answers through the web form.
    let customer_mail = "From: Kari <kari@kund.example.se>\r\nTo: support@helpdesk.example.com\r\n\
        Subject: Skrivaren\r\nMessage-ID: <q1@kund.example.se>\r\n\
        Date: Mon, 3 Mar 2025 09:00:00 +0100\r\n\r\nDen skriver inte ut.\r\n";
    let (code, _) = smtplib_send(
        server.smtp,
        "kari@kund.example.se",
        &[MAILBOX],
        customer_mail.as_bytes(),
    );
    assert_eq!(code, 250);
    let number = ticket_list(&data)[0]["number"].as_u64().unwrap();
    let (st, page) = curl(&jar, &[&format!("{base}/tickets/{number}")]);
    assert_eq!(st, 200);
    let csrf = hidden(&page, "csrf");
    let (st, _) = curl(
        &jar,
        &[
            "--data-urlencode",
            "text=Hej Kari,\n\nvi har startat om skrivaren. Fungerar det nu?\n\n.punkt i början\n",
            "--data-urlencode",
            &format!("csrf={csrf}"),
            &format!("{base}/tickets/{number}/reply"),
        ],
    );
    assert_eq!(st, 303);

    let jsonl = sink.out.join("messages.jsonl");
    let line = wait_for(20, || {
        std::fs::read_to_string(&jsonl)
            .ok()
            .and_then(|s| s.lines().next().map(str::to_string))
    })
    .unwrap_or_else(|| panic!("no mail reached the sink: {}", server.log_text()));
    let meta: serde_json::Value = serde_json::from_str(&line).unwrap();
    let file = sink.out.join(meta["file"].as_str().unwrap());

    let out = Command::new(python())
        .arg("-c")
        .arg(VERIFY)
        .arg(&file)
        .arg(&rsa_txt)
        .arg(&ed_txt)
        .output()
        .expect("python dkim");
    assert!(
        out.status.success(),
        "dkimpy script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let sent = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
    assert_eq!(
        v["rsa"]["ok"], true,
        "rsa-sha256 does not verify: {v}\n{sent}"
    );
    assert_eq!(
        v["ed25519"]["ok"], true,
        "ed25519-sha256 does not verify: {v}\n{sent}"
    );
    // dkimpy asked for the selector and domain the page named.
    assert_eq!(
        v["rsa"]["asked"][0],
        format!("s2026-rsa._domainkey.{DOMAIN}.")
    );
    assert_eq!(
        v["ed25519"]["asked"][0],
        format!("s2026-ed25519._domainkey.{DOMAIN}.")
    );
    for control in [
        "rsa_tampered",
        "ed25519_tampered",
        "rsa_with_ed_key",
        "ed25519_with_rsa_key",
    ] {
        assert_eq!(v[control]["ok"], false, "{control} must not verify: {v}");
    }
    assert!(sent.contains("a=rsa-sha256"), "{sent}");
    assert!(sent.contains("a=ed25519-sha256"), "{sent}");
}
