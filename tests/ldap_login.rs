//! Directory login against a real OpenLDAP slapd (an independent LDAP server) shaped like
//! Active Directory, started by the test with the shared slapd-test.sh: LDAPS and StartTLS
//! with the test CA (and refused without it), search-then-bind by sAMAccountName or
//! userPrincipalName, nested groups (bob → admins → agents → all) mapped to roles,
//! disabled (userAccountControl 514 / pwdAccountLockedTime) and role-less users refused,
//! provisioning on first login and roles updated at each login, local accounts never
//! taken over by the directory, and the admin's connection test page.
//!
//! Needs: slapd, ldap-utils, openssl (install-test-deps.sh), curl.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const SUFFIX: &str = "dc=trygg,dc=test";
const PW: &str = "Test-Passw0rd";

struct Slapd {
    dir: PathBuf,
    ldap: u16,
    ldaps: u16,
}

impl Slapd {
    fn start(dir: &Path) -> Slapd {
        let (ldap, ldaps) = (free_port(), free_port());
        let script = shared().join("testing/slapd-test.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .arg(dir)
            .arg(ldap.to_string())
            .arg(ldaps.to_string())
            .output()
            .expect("slapd-test.sh");
        assert!(
            out.status.success(),
            "slapd did not start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Slapd {
            dir: dir.to_path_buf(),
            ldap,
            ldaps,
        }
    }

    fn ca(&self) -> String {
        self.dir.join("tls/ca.crt").display().to_string()
    }

    /// Applies an LDIF change as the rootdn (ldapmodify, another independent client).
    fn modify(&self, ldif: &str) {
        use std::io::Write;
        let mut child = Command::new("ldapmodify")
            .args(["-x", "-H", &format!("ldaps://127.0.0.1:{}", self.ldaps)])
            .args(["-D", &format!("cn=admin,{SUFFIX}"), "-w", PW])
            .env("LDAPTLS_CACERT", self.ca())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("ldapmodify");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ldif.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "ldapmodify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(shared().join("testing/slapd-test.sh"))
            .arg("stop")
            .arg(&self.dir)
            .output();
    }
}

fn curl(jar: &Path, args: &[&str]) -> (u16, String, String) {
    let hdr = jar.with_extension("headers");
    let out = Command::new("curl")
        .args(["-sk", "--max-time", "30", "-b"])
        .arg(jar)
        .arg("-c")
        .arg(jar)
        .arg("-D")
        .arg(&hdr)
        .args(["-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    let headers = std::fs::read_to_string(&hdr).unwrap_or_default();
    (code.trim().parse().unwrap_or(0), body.to_string(), headers)
}

fn post(jar: &Path, url: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut args: Vec<String> = vec!["--data".into(), String::new()];
    for (k, v) in fields {
        args.push("--data-urlencode".into());
        args.push(format!("{k}={v}"));
    }
    args.push(url.to_string());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    curl(jar, &refs)
}

fn hidden(body: &str, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let i = body
        .find(&pat)
        .unwrap_or_else(|| panic!("no hidden {name} in page:\n{body}"));
    body[i + pat.len()..].split('"').next().unwrap().to_string()
}

fn error_text(body: &str) -> String {
    body.split("<p class=\"error\" role=\"alert\">")
        .nth(1)
        .and_then(|r| r.split("</p>").next())
        .unwrap_or("")
        .to_string()
}

fn login(dir: &Path, base: &str, who: &str, pw: &str) -> (u16, String, PathBuf) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let jar = dir.join(format!("{}-{n}.jar", who.replace(['@', '.'], "_")));
    let (st, page, _) = curl(&jar, &[&format!("{base}/login")]);
    assert_eq!(st, 200);
    let csrf = hidden(&page, "csrf");
    let (st, page, _) = post(
        &jar,
        &format!("{base}/login"),
        &[("email", who), ("password", pw), ("csrf", &csrf)],
    );
    (st, page, jar)
}

fn admins_dn() -> String {
    format!("cn=helpdesk-admins,ou=Groups,{SUFFIX}")
}

fn save_directory(jar: &Path, base: &str, url: &str, starttls: bool, ca: &str) -> (u16, String) {
    let (_, page, _) = curl(jar, &[&format!("{base}/admin/ldap")]);
    let csrf = hidden(&page, "csrf");
    let roles = format!(
        "{} => admin\ncn=helpdesk-all,ou=Groups,{SUFFIX} => agent",
        admins_dn()
    );
    let mut fields = vec![
        ("enabled", "1"),
        ("url", url),
        ("ca_file", ca),
        ("bind_mode", "search"),
        ("upn_domain", "trygg.test"),
        (
            "bind_dn",
            "cn=svc-trygg,ou=Service Accounts,dc=trygg,dc=test",
        ),
        ("bind_password", PW),
        ("base_dn", SUFFIX),
        (
            "user_filter",
            "(&(objectClass=user)(|(sAMAccountName={login})(userPrincipalName={login})))",
        ),
        ("mail_attr", "mail"),
        ("name_attr", "displayName"),
        ("disabled_filter", "(pwdAccountLockedTime=*)"),
        ("group_roles", &roles),
        ("max_depth", "8"),
        ("csrf", &csrf),
    ];
    if starttls {
        fields.push(("starttls", "1"));
    }
    let (st, body, _) = post(jar, &format!("{base}/admin/ldap"), &fields);
    (st, body)
}

fn directory_test(jar: &Path, base: &str, login: &str, pw: &str) -> String {
    let (_, page, _) = curl(jar, &[&format!("{base}/admin/ldap")]);
    let csrf = hidden(&page, "csrf");
    let (st, body, _) = post(
        jar,
        &format!("{base}/admin/ldap/test"),
        &[
            ("test_login", login),
            ("test_password", pw),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(st, 200, "{body}");
    body
}

#[test]
#[ignore = "interop: needs slapd; run by .ci/run"]
fn directory_login_against_slapd() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let slapd = Slapd::start(&d.join("ldap"));
    let data = d.join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let server = Server::start(&data);
    let base = server.base_url();
    let (st, _, admin) = login(d, &base, ADMIN, ADMIN_PW);
    assert_eq!(st, 303);

    // Plain ldap:// without StartTLS is refused as a setting.
    let (st, body) = save_directory(
        &admin,
        &base,
        &format!("ldap://127.0.0.1:{}", slapd.ldap),
        false,
        &slapd.ca(),
    );
    assert_eq!(st, 400, "{body}");
    assert!(error_text(&body).contains("StartTLS"), "{body}");

    // LDAPS with the test CA.
    let ldaps = format!("ldaps://127.0.0.1:{}", slapd.ldaps);
    let (st, body) = save_directory(&admin, &base, &ldaps, false, &slapd.ca());
    assert_eq!(st, 303, "{body}");

    // The connection test: bind, user found, nested groups, roles, user bind.
    let page = directory_test(&admin, &base, "bob", PW);
    assert!(
        page.contains("cn=berg\\2c bo,ou=users,dc=trygg,dc=test")
            || page.contains("cn=Berg\\2C Bo"),
        "{page}"
    );
    assert!(
        page.contains("cn=helpdesk-all,ou=groups,dc=trygg,dc=test"),
        "nested group reached: {page}"
    );
    assert!(page.contains("roles [admin, agent]"), "{page}");
    assert!(page.contains("bo.berg@trygg.test"), "{page}");
    let page = directory_test(&admin, &base, "bob", "wrong");
    assert!(page.contains("wrong user name or password"), "{page}");
    let page = directory_test(&admin, &base, "carol", PW);
    assert!(page.contains("disabled"), "{page}");

    // alice (agents → all): provisioned on first login as an agent.
    let (st, _, alice) = login(d, &base, "alice@trygg.test", PW);
    assert_eq!(st, 303);
    assert_eq!(curl(&alice, &[&format!("{base}/tickets")]).0, 200);
    // Not an admin: the page answers as if it did not exist (issue 4).
    assert_eq!(curl(&alice, &[&format!("{base}/admin/security")]).0, 404);
    let (_, page, _) = curl(&alice, &[&format!("{base}/account")]);
    assert!(page.contains("directory"), "{page}");
    // bob by sAMAccountName (admins → agents → all): an admin.
    let (st, _, bob) = login(d, &base, "bob", PW);
    assert_eq!(st, 303);
    assert_eq!(curl(&bob, &[&format!("{base}/admin/security")]).0, 200);
    let (_, page, _) = curl(&bob, &[&format!("{base}/account")]);
    assert!(page.contains("bo.berg@trygg.test"), "{page}");

    // Refusals: all with the same answer as a wrong password.
    let (st_w, wrong, _) = login(d, &base, "alice@trygg.test", "Wrong-Passw0rd");
    assert_eq!(st_w, 401);
    let (st, carol, _) = login(d, &base, "carol", PW);
    assert_eq!((st, error_text(&carol)), (401, error_text(&wrong)));
    let (st, ase, _) = login(d, &base, "ase", PW);
    assert_eq!(
        (st, error_text(&ase)),
        (401, error_text(&wrong)),
        "no group maps to a role"
    );
    let (st, nobody, _) = login(d, &base, "nobody", PW);
    assert_eq!((st, error_text(&nobody)), (401, error_text(&wrong)));

    // Roles are updated at each login: alice joins the admins.
    slapd.modify(&format!(
        "dn: {}\nchangetype: modify\nadd: member\nmember: cn=Alice Andersen,ou=Users,{SUFFIX}\n",
        admins_dn()
    ));
    // Not an admin: the page answers as if it did not exist (issue 4).
    assert_eq!(curl(&alice, &[&format!("{base}/admin/security")]).0, 404);
    let (st, _, alice) = login(d, &base, "alice", PW);
    assert_eq!(st, 303);
    assert_eq!(curl(&alice, &[&format!("{base}/admin/security")]).0, 200);

    // The directory never takes over a local account: give ase the local admin's address
    // and a role; neither her directory login nor the directory password for the local
    // account works, while the local password still does.
    slapd.modify(&format!(
        "dn: cn=Åse Øvrebø,ou=Users,{SUFFIX}\nchangetype: modify\nreplace: mail\nmail: {ADMIN}\n\n\
         dn: cn=helpdesk-all,ou=Groups,{SUFFIX}\nchangetype: modify\nadd: member\nmember: cn=Åse Øvrebø,ou=Users,{SUFFIX}\n"
    ));
    assert_eq!(login(d, &base, "ase", PW).0, 401);
    assert_eq!(login(d, &base, ADMIN, PW).0, 401);
    assert_eq!(login(d, &base, ADMIN, ADMIN_PW).0, 303);

    // The directory disables alice (AD bit 2): her next login is refused, her trygg account
    // is disabled and her open session ends.
    slapd.modify(&format!(
        "dn: cn=Alice Andersen,ou=Users,{SUFFIX}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n"
    ));
    assert_eq!(curl(&alice, &[&format!("{base}/tickets")]).0, 200);
    assert_eq!(login(d, &base, "alice@trygg.test", PW).0, 401);
    assert_eq!(curl(&alice, &[&format!("{base}/tickets")]).0, 303);

    // StartTLS on the plain port by host name (resolved by trygg, checked against the
    // certificate's DNS name), certificate verified with the CA.
    let (st, body) = save_directory(
        &admin,
        &base,
        &format!("ldap://localhost:{}", slapd.ldap),
        true,
        &slapd.ca(),
    );
    assert_eq!(st, 303, "{body}");
    let (st, _, _) = login(d, &base, "bob", PW);
    assert_eq!(st, 303, "StartTLS login");

    // Without the CA the certificate is not trusted: the test says so, logins fail closed.
    let (st, body) = save_directory(&admin, &base, &ldaps, false, "");
    assert_eq!(st, 303, "{body}");
    let page = directory_test(&admin, &base, "bob", PW);
    assert!(page.to_lowercase().contains("certificate"), "{page}");
    let (st, _, _) = login(d, &base, "bob", PW);
    assert_eq!(
        st, 503,
        "directory unreachable without a trusted certificate"
    );
}
