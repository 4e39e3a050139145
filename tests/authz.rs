//! Authorisation: every route × every role, against a literal table of expected answers,
//! over real HTTPS to the real binary. Roles: an admin, an agent holding queue "hr"
//! (read/reply/change), an agent holding no queue, an auditor, and an anonymous visitor.
//! Things a role may not use answer exactly like things that do not exist (the same 404
//! page, byte for byte). Then: every POST without (or with a wrong) CSRF token is refused,
//! disabling a user ends their session at once, and the audit log holds who saw what.

mod common;

use common::https::{Answer, Client, hidden};
use common::*;

const HR_MAIL: &str = "From: Karin Kund <karin@kund.example.se>\r\n\
To: hr@helpdesk.example.com\r\n\
Subject: HRMARK-7781 question about my salary\r\n\
Message-ID: <hr-1@kund.example.se>\r\n\
Date: Mon, 2 Mar 2026 10:00:00 +0100\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hello, my salary is wrong.\r\n\
--b1\r\n\
Content-Type: text/plain; name=\"lon.txt\"\r\n\
Content-Disposition: attachment; filename=\"lon.txt\"\r\n\
\r\n\
ATTACHMENT-CONTENT-4242\r\n\
--b1--\r\n";

const GEN_MAIL: &str = "From: Per Kund <per@kund.example.se>\r\n\
To: support@helpdesk.example.com\r\n\
Subject: GENMARK-5512 the printer\r\n\
Message-ID: <gen-1@kund.example.se>\r\n\
Date: Mon, 2 Mar 2026 10:05:00 +0100\r\n\
\r\n\
The printer on floor 3 does not print.\r\n";

const PW: &str = "Granit-Hav-Moln-456";

/// What a cell of the table expects.
#[derive(Debug, Clone, Copy)]
enum E {
    /// 200 HTML containing every `must` and none of `not`.
    P(&'static [&'static str], &'static [&'static str]),
    /// 200 download whose body contains the marker.
    B(&'static str),
    /// 200 JSON containing every `must` and none of `not`.
    J(&'static [&'static str], &'static [&'static str]),
    /// 303 to a location starting with this (placeholders expanded).
    R(&'static str),
    /// 303 to the sign-in page.
    L,
    /// 404, byte for byte the role's page for a path that does not exist.
    NF,
    /// 404 JSON `{"error":"no ticket N","kind":"not_found"}` for ticket placeholder N.
    Jnf(&'static str),
    /// 401 JSON (API without a session).
    U,
    /// Just this status.
    S(u16),
}
use E::*;

/// Roles, in the column order of the table.
const ROLES: [&str; 5] = ["admin", "agent-hr", "agent-none", "auditor", "anonymous"];

/// (method, path, form, [admin, agent-hr, agent-none, auditor, anonymous]).
/// Placeholders: {hr} {gen} hr/general ticket numbers, {hra} {gena} their first article,
/// {who} the column's role name.
type Row = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    [E; 5],
);

const NONE: &[&str] = &[];
const BOTH: &[&str] = &["HRMARK-7781", "GENMARK-5512"];
const HR_ONLY: &[&str] = &["HRMARK-7781"];
const GEN_ONLY: &[&str] = &["GENMARK-5512"];

#[rustfmt::skip]
const TABLE: &[Row] = &[
    // ---- GET ----
    ("GET", "/", &[], [R("/tickets"), R("/tickets"), R("/tickets"), R("/audit"), R("/login")]),
    ("GET", "/static/favicon.svg", &[], [S(200), S(200), S(200), S(200), S(200)]),
    ("GET", "/admin/roles?edit=hr-agent", &[], [P(&["value=\"hr-agent\""], NONE), NF, NF, NF, L]),
    ("GET", "/admin/queues?edit=hr", &[], [P(&["value=\"HR\""], NONE), NF, NF, NF, L]),
    ("GET", "/healthz", &[], [S(200), S(200), S(200), S(200), S(200)]),
    ("GET", "/metrics", &[], [S(200), S(200), S(200), S(200), S(200)]),
    ("GET", "/favicon.ico", &[], [S(200), S(200), S(200), S(200), S(200)]),
    ("GET", "/setup", &[], [R("/login"), R("/login"), R("/login"), R("/login"), R("/login")]),
    ("GET", "/login", &[], [R("/tickets"), R("/tickets"), R("/tickets"), R("/tickets"), P(&["name=\"password\""], NONE)]),
    ("GET", "/tickets", &[], [P(BOTH, NONE), P(HR_ONLY, GEN_ONLY), P(NONE, BOTH), P(NONE, BOTH), L]),
    ("GET", "/tickets?status=open", &[], [P(BOTH, NONE), P(HR_ONLY, GEN_ONLY), P(NONE, BOTH), P(NONE, BOTH), L]),
    ("GET", "/tickets/{hr}", &[], [P(HR_ONLY, NONE), P(HR_ONLY, NONE), NF, NF, L]),
    ("GET", "/tickets/{gen}", &[], [P(GEN_ONLY, NONE), NF, NF, NF, L]),
    ("GET", "/tickets/999999", &[], [NF, NF, NF, NF, L]),
    ("GET", "/tickets/{hr}/articles/{hra}/attachments/0", &[], [B("ATTACHMENT-CONTENT-4242"), B("ATTACHMENT-CONTENT-4242"), NF, NF, L]),
    ("GET", "/tickets/{hr}/articles/{hra}/attachments/9", &[], [NF, NF, NF, NF, L]),
    ("GET", "/tickets/{hr}/articles/{hra}/raw", &[], [B("hr-1@kund.example.se"), B("hr-1@kund.example.se"), NF, NF, L]),
    ("GET", "/tickets/{gen}/articles/{gena}/raw", &[], [B("gen-1@kund.example.se"), NF, NF, NF, L]),
    ("GET", "/admin/users", &[], [P(&["agent-hr@helpdesk.example.com"], NONE), NF, NF, NF, L]),
    ("GET", "/admin/roles", &[], [P(&["hr-agent"], NONE), NF, NF, NF, L]),
    ("GET", "/admin/queues", &[], [P(&["hr@helpdesk.example.com"], NONE), NF, NF, NF, L]),
    ("GET", "/audit", &[], [P(&["ticket.view"], NONE), NF, NF, P(&["ticket.view"], BOTH), L]),
    ("GET", "/audit?action=login.&offset=0", &[], [P(&["login.success"], NONE), NF, NF, P(&["login.success"], NONE), L]),
    ("GET", "/audit/export?since=2000-01-01&format=csv", &[], [B("seq,time,actor"), NF, NF, B("ticket.view"), L]),
    ("GET", "/audit/export?since=2000-01-01&format=json", &[], [B("\"prev_hash\""), NF, NF, B("login.success"), L]),
    // Admin pages of the other areas: mail, backups, policies, directory; one's own account.
    ("GET", "/admin/mail", &[], [P(&["DKIM"], NONE), NF, NF, NF, L]),
    ("GET", "/admin/mail-rules", &[], [P(&["autoack"], NONE), NF, NF, NF, L]),
    ("GET", "/admin/imap", &[], [P(&["IMAP"], NONE), NF, NF, NF, L]),
    ("GET", "/admin/backup", &[], [P(&["name=\"target\""], NONE), NF, NF, NF, L]),
    ("GET", "/admin/security", &[], [P(&["name=\"min_length\""], NONE), NF, NF, NF, L]),
    ("GET", "/admin/ldap", &[], [P(&["ldaps://"], NONE), NF, NF, NF, L]),
    ("GET", "/account", &[], [P(&["/account/password"], NONE), P(&["/account/password"], NONE), P(&["/account/password"], NONE), P(&["/account/password"], NONE), L]),
    ("GET", "/no-such-page", &[], [NF, NF, NF, NF, S(404)]),
    ("GET", "/api/v1/tickets", &[], [J(BOTH, NONE), J(HR_ONLY, GEN_ONLY), J(NONE, BOTH), J(NONE, BOTH), U]),
    ("GET", "/api/v1/tickets/{hr}", &[], [J(&["HRMARK-7781", "Hello, my salary"], NONE), J(&["HRMARK-7781", "Hello, my salary"], NONE), Jnf("{hr}"), Jnf("{hr}"), U]),
    ("GET", "/api/v1/tickets/{gen}", &[], [J(GEN_ONLY, NONE), Jnf("{gen}"), Jnf("{gen}"), Jnf("{gen}"), U]),
    ("GET", "/api/v1/tickets/999999", &[], [Jnf("999999"), Jnf("999999"), Jnf("999999"), Jnf("999999"), U]),
    ("GET", "/api/v1/nothing", &[], [S(404), S(404), S(404), S(404), U]),
    // ---- POST (with the role's CSRF token) ----
    ("POST", "/setup", &[], [R("/login"), R("/login"), R("/login"), R("/login"), R("/login")]),
    ("POST", "/tickets/{hr}/reply", &[("text", "Answer from {who}")], [R("/tickets/{hr}#article-"), R("/tickets/{hr}#article-"), NF, NF, L]),
    ("POST", "/tickets/{gen}/reply", &[("text", "Answer from {who}")], [R("/tickets/{gen}#article-"), NF, NF, NF, L]),
    ("POST", "/tickets/999999/reply", &[("text", "Answer")], [NF, NF, NF, NF, L]),
    ("POST", "/tickets/{hr}/status", &[("status", "open")], [R("/tickets/{hr}"), R("/tickets/{hr}"), NF, NF, L]),
    ("POST", "/tickets/{gen}/status", &[("status", "open")], [R("/tickets/{gen}"), NF, NF, NF, L]),
    ("POST", "/tickets/{hr}/queue", &[("queue", "hr")], [R("/tickets/{hr}"), R("/tickets/{hr}"), NF, NF, L]),
    // The admin moves it to general (the agent then may not), then back (the agent may).
    ("POST", "/tickets/{hr}/queue", &[("queue", "general")], [R("/tickets/{hr}"), NF, NF, NF, L]),
    ("POST", "/tickets/{hr}/queue", &[("queue", "hr")], [R("/tickets/{hr}"), R("/tickets/{hr}"), NF, NF, L]),
    // Moved into hr by the admin, the general ticket is the hr agent's to work; moved back, not.
    ("POST", "/tickets/{gen}/queue", &[("queue", "hr")], [R("/tickets/{gen}"), R("/tickets/{gen}"), NF, NF, L]),
    ("POST", "/tickets/{gen}/queue", &[("queue", "general")], [R("/tickets/{gen}"), NF, NF, NF, L]),
    ("POST", "/admin/users", &[("email", "new-{who}@helpdesk.example.com"), ("name", "New"), ("password", "New-Passw0rd-789"), ("role", "agent")], [R("/admin/users"), NF, NF, NF, L]),
    ("POST", "/admin/users/roles", &[("email", "agent-none@helpdesk.example.com")], [R("/admin/users"), NF, NF, NF, L]),
    ("POST", "/admin/users/enable", &[("email", "agent-hr@helpdesk.example.com")], [R("/admin/users"), NF, NF, NF, L]),
    // account help
    ("POST", "/admin/users/totp-reset", &[("email", "new-{who}@helpdesk.example.com")], [R("/admin/users"), NF, NF, NF, L]),
    ("POST", "/admin/users/password", &[("email", "new-{who}@helpdesk.example.com"), ("password", "Lykta-Fjord-Sten-731")], [R("/admin/users"), NF, NF, NF, L]),
    ("POST", "/admin/users/nonsense", &[("email", "agent-hr@helpdesk.example.com")], [NF, NF, NF, NF, S(404)]),
    ("POST", "/admin/roles", &[("name", "temp-{who}"), ("area", "audit")], [R("/admin/roles"), NF, NF, NF, L]),
    ("POST", "/admin/roles/delete", &[("name", "temp-{who}")], [R("/admin/roles"), NF, NF, NF, L]),
    ("POST", "/admin/queues", &[("id", "hr"), ("name", "HR"), ("mailboxes", "hr@helpdesk.example.com")], [R("/admin/queues"), NF, NF, NF, L]),
    // Merging into a ticket that does not exist looks like any missing ticket, for everyone.
    ("POST", "/tickets/{hr}/merge", &[("into", "999999")], [NF, NF, NF, NF, L]),
    ("POST", "/audit", &[], [S(405), NF, NF, S(405), S(404)]),
    ("POST", "/admin/no-such-page", &[], [NF, NF, NF, NF, S(404)]),
    ("POST", "/api/v1/tickets", &[], [S(405), S(405), S(405), S(405), U]),
    ("POST", "/no-such-page", &[], [NF, NF, NF, NF, S(404)]),
    // classification (issue 6): the reveal and the classification form. Kept before the
    // sign-out row, which must stay last (it ends every session).
    ("GET", "/tickets/{hr}/reveal", &[], [S(405), S(405), S(405), S(405), S(405)]),
    ("POST", "/tickets/{hr}/reveal", &[], [P(HR_ONLY, NONE), P(HR_ONLY, NONE), NF, NF, L]),
    ("POST", "/tickets/{gen}/reveal", &[], [P(GEN_ONLY, NONE), NF, NF, NF, L]),
    ("POST", "/tickets/999999/reveal", &[], [NF, NF, NF, NF, L]),
    ("POST", "/tickets/{hr}/classification", &[("classification", "confidential")], [R("/tickets/{hr}"), R("/tickets/{hr}"), NF, NF, L]),
    ("POST", "/tickets/{gen}/classification", &[("classification", "internal")], [R("/tickets/{gen}"), NF, NF, NF, L]),
    // Raised to sensitive by the admin, the hr ticket is above the hr agent's clearance
    // (confidential, the default of a role saved without one): it looks missing to them.
    ("POST", "/tickets/{hr}/classification", &[("classification", "sensitive")], [R("/tickets/{hr}"), NF, NF, NF, L]),
    ("GET", "/tickets/{hr}", &[], [P(HR_ONLY, NONE), NF, NF, NF, L]),
    ("GET", "/tickets", &[], [P(BOTH, NONE), P(NONE, BOTH), P(NONE, BOTH), P(NONE, BOTH), L]),
    ("GET", "/api/v1/tickets/{hr}", &[], [J(HR_ONLY, NONE), Jnf("{hr}"), Jnf("{hr}"), Jnf("{hr}"), U]),
    ("POST", "/tickets/{hr}/classification", &[("classification", "internal")], [R("/tickets/{hr}"), R("/tickets/{hr}"), NF, NF, L]),
    ("POST", "/tickets/{hr}/classification", &[("classification", "bogus")], [S(400), S(400), S(400), S(400), L]),
    // contacts and privacy (before the sign-out row, which must stay last): the contact
    // page needs the privacy area or read on one of the contact's tickets; rectifying needs
    // change, recording consent reply; data-subject requests need the privacy area.
    ("GET", "/contacts/karin%40kund.example.se", &[], [P(&["karin@kund.example.se", "HRMARK-7781", "name=\"affirmed\" value=\"yes\">"], GEN_ONLY), P(&["karin@kund.example.se", "HRMARK-7781"], GEN_ONLY), NF, NF, L]),
    ("GET", "/contacts/per%40kund.example.se", &[], [P(&["GENMARK-5512"], HR_ONLY), NF, NF, NF, L]),
    ("GET", "/contacts/nobody%40kund.example.se", &[], [NF, NF, NF, NF, L]),
    ("GET", "/contacts/karin%40kund.example.se/consents.json", &[], [B("\"contact\": \"karin@kund.example.se\""), B("\"contact\": \"karin@kund.example.se\""), NF, NF, L]),
    ("GET", "/contacts/per%40kund.example.se/consents.csv", &[], [B("id,purpose,wording"), NF, NF, NF, L]),
    ("POST", "/contacts/karin%40kund.example.se/rectify", &[("name", "Karin Kund"), ("phone", "+46 70 111 22 33"), ("organisation", "")], [R("/contacts/karin%40kund.example.se?saved=rectified"), R("/contacts/karin%40kund.example.se?saved=rectified"), NF, NF, L]),
    ("POST", "/contacts/per%40kund.example.se/rectify", &[("name", "Per Kund")], [R("/contacts/per%40kund.example.se?saved=rectified"), NF, NF, NF, L]),
    ("POST", "/contacts/karin%40kund.example.se/consents", &[("purpose", "Newsletter"), ("wording", "May we?"), ("channel", "phone")], [S(400), S(400), NF, NF, L]),
    ("POST", "/contacts/karin%40kund.example.se/consents", &[("purpose", "Newsletter {who}"), ("wording", "May we?"), ("channel", "phone"), ("affirmed", "yes")], [R("/contacts/karin%40kund.example.se?saved=consent"), R("/contacts/karin%40kund.example.se?saved=consent"), NF, NF, L]),
    ("POST", "/contacts/karin%40kund.example.se/consents/999/withdraw", &[("channel", "phone")], [NF, NF, NF, NF, L]),
    ("GET", "/admin/privacy", &[], [P(&["name=\"national_id\""], NONE), NF, NF, NF, L]),
    ("POST", "/admin/privacy", &[("email", "karin@kund.example.se")], [P(&["HRMARK-7781"], GEN_ONLY), NF, NF, NF, L]),
    ("POST", "/admin/privacy/export", &[("email", "karin@kund.example.se")], [B("data.json"), NF, NF, NF, L]),
    ("POST", "/admin/privacy/erase", &[("email", "karin@kund.example.se")], [P(&["name=\"repeat\""], NONE), NF, NF, NF, L]),
    // records (before the sign-out row, which must stay last: it ends every session)
    ("GET", "/admin/records", &[], [P(&["Record of processing", "name=\"controller_name\""], NONE), NF, NF, NF, L]),
    ("GET", "/admin/records.json", &[], [B("\"measures\""), NF, NF, NF, L]),
    ("GET", "/admin/records.md", &[], [B("# Record of processing activities"), NF, NF, NF, L]),
    ("GET", "/admin/subprocessors", &[], [P(&["name=\"transfer_mechanism\""], NONE), NF, NF, NF, L]),
    ("GET", "/admin/subprocessors.json", &[], [B("["), NF, NF, NF, L]),
    ("GET", "/admin/subprocessors.csv", &[], [B("id,name,service"), NF, NF, NF, L]),
    ("POST", "/admin/records", &[("acting_as", "controller"), ("controller_name", "Controller of {who}")], [R("/admin/records?saved=1"), NF, NF, NF, L]),
    ("POST", "/admin/records/purpose", &[("queue", "hr"), ("purpose", "HR questions ({who})")], [R("/admin/records?saved=1"), NF, NF, NF, L]),
    ("POST", "/admin/subprocessors", &[("name", "Host of {who}"), ("service", "Hosting"), ("location", "Sweden")], [R("/admin/subprocessors?saved=1"), NF, NF, NF, L]),
    ("POST", "/admin/subprocessors/1/delete", &[], [R("/admin/subprocessors?saved=1"), NF, NF, NF, L]),
    // retention and legal holds: the page needs the policies area; a ticket hold needs the
    // privacy area or `manage` on the ticket's queue (agent-hr only works it); a contact
    // hold needs the privacy area.
    ("GET", "/admin/retention", &[], [P(&["name=\"after_days\""], NONE), NF, NF, NF, L]),
    ("POST", "/admin/retention/rules", &[("queue", "hr"), ("action", "anonymise"), ("after_days", "400")], [R("/admin/retention"), NF, NF, NF, L]),
    ("POST", "/admin/retention/rules", &[("queue", "hr"), ("action", "anonymise"), ("after_days", "zero")], [S(400), NF, NF, NF, L]),
    ("POST", "/admin/retention/nonsense", &[], [NF, NF, NF, NF, L]),
    ("POST", "/tickets/{hr}/hold", &[("reason", "dispute {who}")], [R("/tickets/{hr}"), NF, NF, NF, L]),
    ("POST", "/tickets/{hr}/hold/lift", &[], [R("/tickets/{hr}"), NF, NF, NF, L]),
    ("POST", "/contacts/hold", &[("address", "karin@kund.example.se"), ("reason", "claim")], [R("/admin/retention"), NF, NF, NF, L]),
    ("POST", "/contacts/hold/lift", &[("address", "karin@kund.example.se")], [R("/admin/retention"), NF, NF, NF, L]),
    ("POST", "/logout", &[], [R("/login"), R("/login"), R("/login"), R("/login"), R("/login")]),
];

struct Ctx {
    client: Client,
    hr: u64,
    gen_: u64,
    hra: u64,
    gena: u64,
}

impl Ctx {
    fn expand(&self, s: &str, who: &str) -> String {
        s.replace("{hr}", &self.hr.to_string())
            .replace("{gen}", &self.gen_.to_string())
            .replace("{hra}", &self.hra.to_string())
            .replace("{gena}", &self.gena.to_string())
            .replace("{who}", who)
    }
}

fn ticket_by_marker(list: &serde_json::Value, marker: &str) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"].as_str().unwrap_or("").contains(marker))
        .and_then(|t| t["number"].as_u64())
        .unwrap_or_else(|| panic!("no ticket {marker} in {list}"))
}

fn check(
    ctx: &Ctx,
    who: &str,
    method: &str,
    path: &str,
    e: E,
    a: &Answer,
    nf: Option<(&Answer, &str)>,
) {
    let at = format!("{who} {method} {path}");
    let text = a.text();
    match e {
        P(must, not) => {
            assert_eq!(a.status, 200, "{at}: {text}");
            assert!(
                a.header("content-type")
                    .unwrap_or("")
                    .starts_with("text/html"),
                "{at}"
            );
            for m in must {
                assert!(text.contains(m), "{at}: missing {m}");
            }
            for m in not {
                assert!(!text.contains(m), "{at}: must not show {m}");
            }
        }
        B(marker) => {
            assert_eq!(a.status, 200, "{at}: {text}");
            assert!(text.contains(marker), "{at}: {text}");
            assert!(
                a.header("content-disposition")
                    .unwrap_or("")
                    .starts_with("attachment"),
                "{at}"
            );
        }
        J(must, not) => {
            assert_eq!(a.status, 200, "{at}: {text}");
            assert_eq!(a.header("content-type"), Some("application/json"), "{at}");
            for m in must {
                assert!(text.contains(m), "{at}: missing {m}");
            }
            for m in not {
                assert!(!text.contains(m), "{at}: must not show {m}");
            }
        }
        R(to) => {
            assert_eq!(a.status, 303, "{at}: {text}");
            let loc = a.header("location").unwrap_or("");
            assert!(loc.starts_with(&ctx.expand(to, who)), "{at}: to {loc}");
        }
        L => {
            assert_eq!(a.status, 303, "{at}: {text}");
            assert!(
                a.header("location").unwrap_or("").starts_with("/login"),
                "{at}"
            );
        }
        NF => {
            let (nf, ref_path) = nf.expect("reference 404");
            assert_eq!(a.status, 404, "{at}: {text} {:?}", a.header("location"));
            assert_eq!(nf.status, 404, "{at}: reference {ref_path}");
            let path_only = path.split('?').next().unwrap_or(path);
            assert_eq!(
                text,
                nf.text().replace(ref_path, path_only),
                "{at}: 404 must be identical to the answer for something that does not exist"
            );
        }
        Jnf(n) => {
            assert_eq!(a.status, 404, "{at}: {text}");
            let want = format!(
                "{{\"error\":\"no ticket {}\",\"kind\":\"not_found\"}}",
                ctx.expand(n, who)
            );
            assert_eq!(text, want, "{at}");
        }
        U => {
            assert_eq!(a.status, 401, "{at}: {text}");
            assert_eq!(
                text, "{\"error\":\"sign in first\",\"kind\":\"unauthorized\"}",
                "{at}"
            );
        }
        S(code) => assert_eq!(a.status, code, "{at}: {text}"),
    }
}

/// A path like `path` that names nothing: the ticket number replaced by 999999, else an
/// unknown page in the same section.
fn reference_path(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        ["tickets", n, rest @ ..] if n.bytes().all(|b| b.is_ascii_digit()) => {
            let mut p = "/tickets/999999".to_string();
            for r in rest {
                p.push('/');
                p.push_str(r);
            }
            p
        }
        ["admin", ..] => "/admin/no-such-page".into(),
        _ => "/no-such-page".into(),
    }
}

/// The CSRF token of a signed-in session (from the sign-out form of any page).
fn csrf_of(c: &Client, cookie: &str) -> String {
    hidden(&c.get("/tickets", cookie).text(), "csrf").expect("csrf on page")
}

fn export(data: &std::path::Path) -> Vec<serde_json::Value> {
    let out = trygg(&[
        "audit",
        "export",
        "--data",
        &data.display().to_string(),
        "--since",
        "2000-01-01",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("export json")
}

#[test]
fn every_route_answers_every_role_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(
        &data,
        &["support@helpdesk.example.com", "hr@helpdesk.example.com"],
        &[],
    );
    let server = Server::start(&data);
    let client = Client::new(&data, server.http);

    // The admin builds the organisation through the admin pages.
    let admin = client.login(ADMIN, ADMIN_PW).expect("admin login");
    let csrf = csrf_of(&client, &admin);
    let ok = |a: Answer| assert_eq!(a.status, 303, "{}", a.text());
    ok(client.post(
        "/admin/queues",
        &admin,
        &[
            ("csrf", &csrf),
            ("id", "hr"),
            ("name", "HR"),
            ("mailboxes", "hr@helpdesk.example.com"),
        ],
    ));
    ok(client.post(
        "/admin/roles",
        &admin,
        &[
            ("csrf", &csrf),
            ("name", "hr-agent"),
            ("description", "HR staff"),
            ("q:hr", "read"),
            ("q:hr", "reply"),
            ("q:hr", "change"),
        ],
    ));
    for (email, role) in [
        ("agent-hr@helpdesk.example.com", Some("hr-agent")),
        ("agent-none@helpdesk.example.com", None),
        ("auditor@helpdesk.example.com", Some("auditor")),
    ] {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("email", email),
            ("name", "Staff"),
            ("password", PW),
        ];
        if let Some(r) = role {
            form.push(("role", r));
        }
        ok(client.post("/admin/users", &admin, &form));
    }

    // Two customers write: one to HR, one to general support.
    assert_eq!(
        smtp_deliver(
            server.smtp,
            "karin@kund.example.se",
            "hr@helpdesk.example.com",
            HR_MAIL
        ),
        250
    );
    assert_eq!(
        smtp_deliver(
            server.smtp,
            "per@kund.example.se",
            "support@helpdesk.example.com",
            GEN_MAIL
        ),
        250
    );
    let list = ticket_list(&data);
    let hr = ticket_by_marker(&list, "HRMARK-7781");
    let gen_ = ticket_by_marker(&list, "GENMARK-5512");
    let hra = ticket_show(&data, hr)["articles"][0]["id"]
        .as_u64()
        .unwrap();
    let gena = ticket_show(&data, gen_)["articles"][0]["id"]
        .as_u64()
        .unwrap();
    let ctx = Ctx {
        client: client.clone(),
        hr,
        gen_,
        hra,
        gena,
    };
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["number"] == hr)
            .unwrap()["queue"],
        "hr"
    );
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["number"] == gen_)
            .unwrap()["queue"],
        "general"
    );

    // One session per role (anonymous: none).
    let cookies: Vec<String> = vec![
        admin.clone(),
        client
            .login("agent-hr@helpdesk.example.com", PW)
            .expect("agent-hr login"),
        client
            .login("agent-none@helpdesk.example.com", PW)
            .expect("agent-none login"),
        client
            .login("auditor@helpdesk.example.com", PW)
            .expect("auditor login"),
        String::new(),
    ];
    let csrfs: Vec<String> = cookies
        .iter()
        .map(|c| {
            if c.is_empty() {
                String::new()
            } else {
                csrf_of(&client, c)
            }
        })
        .collect();

    for (method, path, form, expect) in TABLE {
        for (i, who) in ROLES.iter().enumerate() {
            let p = ctx.expand(path, who);
            let send = |path: &str| {
                if *method == "GET" {
                    ctx.client.get(path, &cookies[i])
                } else {
                    let mut f: Vec<(String, String)> = form
                        .iter()
                        .map(|(k, v)| (k.to_string(), ctx.expand(v, who)))
                        .collect();
                    if !csrfs[i].is_empty() {
                        f.push(("csrf".into(), csrfs[i].clone()));
                    }
                    let f: Vec<(&str, &str)> =
                        f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    ctx.client.post(path, &cookies[i], &f)
                }
            };
            let a = send(&p);
            // For a 404 the reference is the same request for something that does not
            // exist: ticket 999999, or an unknown page beside it.
            let ref_path = reference_path(&p);
            let query = p
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            let nf = matches!(expect[i], NF).then(|| send(&format!("{ref_path}{query}")));
            check(
                &ctx,
                who,
                method,
                &p,
                expect[i],
                &a,
                nf.as_ref().map(|n| (n, ref_path.as_str())),
            );
        }
    }

    // After the sign-out row every former session is anonymous again.
    for c in &cookies[..4] {
        let a = client.get("/tickets", c);
        assert_eq!(a.status, 303);
    }

    // The audit log says who saw what, from where, under which role.
    let recs = export(&data);
    let has = |actor: &str, action: &str, object: &str, outcome: &str, role: &str| {
        recs.iter().any(|r| {
            r["actor"] == actor
                && r["action"] == action
                && r["object"].as_str().unwrap_or("").starts_with(object)
                && r["outcome"] == outcome
                && (role.is_empty() || r["role"] == role)
                && r["client"] == "127.0.0.1"
        })
    };
    let hr_obj = format!("ticket:{hr}");
    assert!(has(
        "agent-hr@helpdesk.example.com",
        "ticket.view",
        &hr_obj,
        "ok",
        "hr-agent"
    ));
    assert!(has(
        "agent-none@helpdesk.example.com",
        "ticket.view",
        &hr_obj,
        "denied",
        "-"
    ));
    assert!(has(
        "auditor@helpdesk.example.com",
        "ticket.view",
        &hr_obj,
        "denied",
        "auditor"
    ));
    assert!(has(
        "agent-none@helpdesk.example.com",
        "ticket.reply",
        &hr_obj,
        "denied",
        "-"
    ));
    assert!(has(
        "auditor@helpdesk.example.com",
        "audit.export",
        "audit?since=2000-01-01",
        "ok",
        "auditor"
    ));
    assert!(has(
        "auditor@helpdesk.example.com",
        "audit.search",
        "audit",
        "ok",
        "auditor"
    ));
    assert!(has(
        "agent-hr@helpdesk.example.com",
        "attachment.download",
        &format!("attachment:{hr}/{hra}/0"),
        "ok",
        ""
    ));
    assert!(has(
        "agent-hr@helpdesk.example.com",
        "raw.download",
        &format!("raw:{hr}/{hra}"),
        "ok",
        ""
    ));
    assert!(has(
        "agent-hr@helpdesk.example.com",
        "ticket.reply",
        &hr_obj,
        "ok",
        ""
    ));
    assert!(has(
        "admin@helpdesk.example.com",
        "ticket.move",
        &format!("ticket:{gen_}"),
        "ok",
        "admin"
    ));
    assert!(has(
        "admin@helpdesk.example.com",
        "user.create",
        "user:agent-hr@",
        "ok",
        "admin"
    ));
    assert!(has(
        "admin@helpdesk.example.com",
        "queue.save",
        "queue:hr",
        "ok",
        "admin"
    ));
    assert!(has(
        "agent-hr@helpdesk.example.com",
        "login.success",
        "session",
        "ok",
        "hr-agent"
    ));
    assert!(has(
        "admin@helpdesk.example.com",
        "ticket.list",
        "tickets?status=all",
        "ok",
        "admin"
    ));
    // The CLI's reads are recorded too, as the local operator.
    assert!(recs.iter().any(|r| {
        r["actor"].as_str().unwrap_or("").starts_with("cli:")
            && r["role"] == "local-admin"
            && r["action"] == "ticket.view"
            && r["client"] == "local"
    }));
    // The auditor's requests never read ticket content.
    assert!(!recs.iter().any(|r| {
        r["actor"] == "auditor@helpdesk.example.com"
            && r["outcome"] == "ok"
            && ["ticket.view", "attachment.download", "raw.download"]
                .contains(&r["action"].as_str().unwrap_or(""))
    }));
    let v = trygg(&["audit", "verify", "--data", &data.display().to_string()]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    drop(server);
}

#[test]
fn posts_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let server = Server::start(&data);
    assert_eq!(
        smtp_deliver(
            server.smtp,
            "per@kund.example.se",
            "support@helpdesk.example.com",
            GEN_MAIL
        ),
        250
    );
    let n = ticket_list(&data)[0]["number"].as_u64().unwrap();
    let c = Client::new(&data, server.http);
    let admin = c.login(ADMIN, ADMIN_PW).expect("login");
    let n_s = n.to_string();
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/tickets/{n_s}/reply"), vec![("text", "hi")]),
        (format!("/tickets/{n_s}/status"), vec![("status", "closed")]),
        (format!("/tickets/{n_s}/queue"), vec![("queue", "general")]),
        (
            "/admin/users".into(),
            vec![
                ("email", "x@helpdesk.example.com"),
                ("name", "X"),
                ("password", "X-Passw0rd-123456"),
            ],
        ),
        ("/admin/users/roles".into(), vec![("email", ADMIN)]),
        ("/admin/users/disable".into(), vec![("email", ADMIN)]),
        ("/admin/users/enable".into(), vec![("email", ADMIN)]),
        ("/admin/users/totp-reset".into(), vec![("email", ADMIN)]),
        ("/admin/users/password".into(), vec![("email", ADMIN)]),
        (
            "/admin/roles".into(),
            vec![("name", "evil"), ("area", "users")],
        ),
        ("/admin/roles/delete".into(), vec![("name", "agent")]),
        (
            "/admin/queues".into(),
            vec![("id", "evil"), ("name", "Evil")],
        ),
        // classification
        (
            format!("/tickets/{n_s}/classification"),
            vec![("classification", "sensitive")],
        ),
        (format!("/tickets/{n_s}/reveal"), vec![]),
        ("/logout".into(), vec![]),
    ];
    let reference = c.post("/logout", &admin, &[]);
    assert_eq!(reference.status, 403);
    for (path, form) in &posts {
        // No token.
        let a = c.post(path, &admin, form);
        assert_eq!(a.status, 403, "{path} without token");
        assert!(a.text().contains("did not come from this site"), "{path}");
        // A wrong token.
        let mut f = form.clone();
        f.push(("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        let a = c.post(path, &admin, &f);
        assert_eq!(a.status, 403, "{path} with a wrong token");
        // A right token from a cross-site page (Origin of another site).
        let csrf = csrf_of(&c, &admin);
        let mut f = form.clone();
        f.push(("csrf", &csrf));
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &f {
            ser.append_pair(k, v);
        }
        let body = ser.finish();
        let a = c.request(
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &admin),
                ("Origin", "https://evil.example"),
            ],
            body.as_bytes(),
        );
        assert_eq!(a.status, 403, "{path} cross-site");
    }
    // The sign-in form needs its pre-session token too.
    let a = c.post("/login", "", &[("email", ADMIN), ("password", ADMIN_PW)]);
    assert_eq!(a.status, 403);
    // Nothing changed: the session is alive, no reply, no user, no role, no queue.
    assert_eq!(c.get("/tickets", &admin).status, 200);
    let t = ticket_show(&data, n);
    assert_eq!(t["articles"].as_array().unwrap().len(), 1);
    assert_eq!(t["status"], "open");
    assert_eq!(t["classification"], "internal"); // classification
    let users = c.get("/admin/users", &admin).text();
    assert!(!users.contains("x@helpdesk.example.com"));
    let roles = c.get("/admin/roles", &admin).text();
    assert!(!roles.contains("evil") && roles.contains(">agent<"));
    assert!(!c.get("/admin/queues", &admin).text().contains("Evil"));
    drop(server);
}

#[test]
fn disabling_a_user_ends_their_session_at_once_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let server = Server::start(&data);
    let c = Client::new(&data, server.http);
    let admin = c.login(ADMIN, ADMIN_PW).expect("login");
    let csrf = csrf_of(&c, &admin);
    let a = c.post(
        "/admin/users",
        &admin,
        &[
            ("csrf", &csrf),
            ("email", "agent@helpdesk.example.com"),
            ("name", "A"),
            ("password", PW),
            ("role", "agent"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    let agent = c
        .login("agent@helpdesk.example.com", PW)
        .expect("agent login");
    assert_eq!(c.get("/tickets", &agent).status, 200);
    // An admin cannot lock themselves out: not by dropping their roles, not by disabling.
    let a = c.post(
        "/admin/users/roles",
        &admin,
        &[("csrf", &csrf), ("email", ADMIN), ("role", "agent")],
    );
    assert_eq!(a.status, 400);
    assert!(a.text().contains("your own account"));
    let a = c.post(
        "/admin/users/disable",
        &admin,
        &[("csrf", &csrf), ("email", ADMIN)],
    );
    assert_eq!(a.status, 400);
    let a = c.post(
        "/admin/users/disable",
        &admin,
        &[("csrf", &csrf), ("email", "agent@helpdesk.example.com")],
    );
    assert_eq!(a.status, 303);
    // The agent's open session is gone, and signing in again fails like a wrong password.
    let a = c.get("/tickets", &agent);
    assert_eq!(a.status, 303);
    assert!(a.header("location").unwrap().starts_with("/login"));
    assert!(c.login("agent@helpdesk.example.com", PW).is_none());
    // Enabled again, the agent can sign in.
    let a = c.post(
        "/admin/users/enable",
        &admin,
        &[("csrf", &csrf), ("email", "agent@helpdesk.example.com")],
    );
    assert_eq!(a.status, 303);
    assert!(c.login("agent@helpdesk.example.com", PW).is_some());
    let recs = export(&data);
    let actions: Vec<(String, String, String)> = recs
        .iter()
        .filter(|r| {
            r["object"] == "user:agent@helpdesk.example.com"
                || r["actor"] == "agent@helpdesk.example.com"
        })
        .map(|r| {
            (
                r["actor"].as_str().unwrap().to_string(),
                r["action"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(_, a, _)| a != "ticket.list")
        .collect();
    let a = |x: &str, y: &str, z: &str| (x.to_string(), y.to_string(), z.to_string());
    assert_eq!(
        actions,
        vec![
            a(ADMIN, "user.create", "ok"),
            a("agent@helpdesk.example.com", "login.success", "ok"),
            a(ADMIN, "user.disable", "ok"),
            a("agent@helpdesk.example.com", "login.failure", "denied"),
            a(ADMIN, "user.enable", "ok"),
            a("agent@helpdesk.example.com", "login.success", "ok"),
        ]
    );
    drop(server);
}
