//! A hostile mail's HTML, shown in the ticket page of a real browser (Debian's headless
//! Chromium driven by Playwright), runs no script. Every payload would change the page's
//! title; the positive control loads the same HTML into a blank page (no sanitiser, no
//! CSP) in the same browser and the title does change there, so "not run" is meaningful.
//! The browser signs in through the real login form.

mod common;

use std::process::Command;

use common::*;

const HOSTILE: &str = r#"<p>Hello</p>
<script>document.title='PWNED-script'</script>
<img src="x" onerror="document.title='PWNED-onerror'">
<svg onload="document.title='PWNED-svg'"><circle r="1"/></svg>
<iframe srcdoc="<script>parent.document.title='PWNED-iframe'</script>"></iframe>
<a id="jslink" href="javascript:document.title='PWNED-href'">click</a>
<details open ontoggle="document.title='PWNED-toggle'"><summary>x</summary></details>
<body onload="document.title='PWNED-body'">
<object data="data:text/html,<script>parent.document.title='PWNED-object'</script>"></object>
<form><button formaction="javascript:document.title='PWNED-form'">go</button></form>
<style>@import url(https://evil.example/x.css);</style>
<div style="background:url(javascript:document.title='PWNED-css')">styled</div>
<script>setTimeout(function(){document.title='PWNED-late'},2000)</script>"#;

const SCRIPT: &str = r#"
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const { chromium } = createRequire(join(process.cwd(), 'noop.js'))('playwright-core');
const [base, email, pw, ticketPath, hostileFile] = process.argv.slice(2);
const hostile = readFileSync(hostileFile, 'utf8');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true, timeout: 30000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--disable-dev-shm-usage'],
});
const out = {};
try {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  // Positive control: the same HTML in a blank page runs its scripts.
  await page.setContent(`<!doctype html><title>Safe</title><body>${hostile}</body>`);
  await page.waitForTimeout(3000);
  out.control = await page.title();
  // Sign in through the form, open the ticket, open the formatted view, click the link.
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', pw);
  await Promise.all([page.waitForURL(/\/tickets/), page.click('button[type=submit]')])
    .catch(async e => { console.error(page.url(), await page.content()); throw e; });
  await page.goto(`${base}${ticketPath}`);
  out.before = await page.title();
  await page.evaluate(() => document.querySelectorAll('details').forEach(d => d.open = true));
  const link = await page.$('.mail-html a');
  if (link) { await link.click().catch(() => {}); }
  await page.waitForTimeout(3000);
  out.after = await page.title();
  out.htmlShown = await page.$$eval('.mail-html', els => els.map(e => e.textContent).join(' '));
  out.dangerous = await page.$$eval('.mail-html *', els => els.filter(e =>
      ['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'FORM', 'STYLE'].includes(e.tagName) ||
      [...e.attributes].some(a => a.name.startsWith('on') ||
        /javascript:/i.test(a.value))).map(e => e.outerHTML));
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
"#;

#[test]
#[ignore = "interop: needs chromium and playwright-core (npm); run by .ci/run"]
fn hostile_mail_html_runs_no_script_in_chromium() {
    let node_dir = std::env::var("TRYGG_TEST_NODE_DIR")
        .unwrap_or_else(|_| format!("{}/target/test-node", env!("CARGO_MANIFEST_DIR")));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let server = Server::start(&data);
    let mail = format!(
        "From: Mallory <mallory@evil.example>\r\nTo: support@helpdesk.example.com\r\n\
         Subject: Invoice\r\nMessage-ID: <xss-1@evil.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n\
         --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{HOSTILE}\r\n--b--\r\n"
    );
    assert_eq!(
        smtp_deliver(
            server.smtp,
            "mallory@evil.example",
            "support@helpdesk.example.com",
            &mail
        ),
        250
    );
    let n = ticket_list(&data)[0]["number"].as_u64().unwrap();
    let script = dir.path().join("xss.mjs");
    std::fs::write(&script, SCRIPT).unwrap();
    let hostile = dir.path().join("hostile.html");
    std::fs::write(&hostile, HOSTILE).unwrap();
    let out = Command::new("node")
        .current_dir(&node_dir)
        .arg(&script)
        .arg(server.base_url())
        .arg(ADMIN)
        .arg(ADMIN_PW)
        .arg(format!("/tickets/{n}"))
        .arg(&hostile)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "playwright failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    eprintln!("browser: {v}");
    // The control: the payload does run in this browser when nothing stops it.
    assert!(
        v["control"].as_str().unwrap().starts_with("PWNED"),
        "positive control did not run: {v}"
    );
    // In trygg: the title is the ticket's, before and after waiting, and the mail's text
    // is there (the sanitised body was shown, not dropped).
    let want = format!("[#{n}] Invoice · trygg");
    assert_eq!(v["before"], want.as_str(), "{v}");
    assert_eq!(v["after"], want.as_str(), "{v}");
    assert!(v["htmlShown"].as_str().unwrap().contains("Hello"), "{v}");
    assert_eq!(v["dangerous"], serde_json::json!([]), "{v}");
    drop(server);
}
