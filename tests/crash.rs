//! Nothing acknowledged is lost: mail is sent continuously while the server is killed with
//! SIGKILL; every message that got `250` must be in the store afterwards.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

#[test]
fn acknowledged_mail_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    setup(&data, &["support@helpdesk.example.com"], &[]);
    let mut server = Server::start(&data);

    // An independent client sends up to 2000 messages, printing each Message-ID after 250.
    let script = r#"
import smtplib, sys
port = int(sys.argv[1])
s = smtplib.SMTP('127.0.0.1', port, timeout=30)
s.ehlo('crash.example.org')
for i in range(2000):
    mid = 'crash-%d@client.example.org' % i
    msg = ('From: Kund %d <kund%d@example.org>\r\nTo: support@helpdesk.example.com\r\n'
           'Subject: Fr\xe5ga nummer %d\r\nMessage-ID: <%s>\r\n'
           'Content-Type: text/plain; charset=utf-8\r\n\r\nHej, detta \xe4r fr\xe5ga %d.\r\n'
           % (i, i % 7, i, mid, i)).encode('utf-8')
    try:
        code, _ = s.mail('kund@example.org')[0], None
        s.rcpt('support@helpdesk.example.com')
        code, _ = s.data(msg)
    except Exception:
        break
    if code == 250:
        print(mid, flush=True)
"#;
    let mut client = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(server.smtp.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let stdout = client.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<String>>()
    });
    // Let some mail in, then pull the plug mid-stream.
    let started = wait_for(30, || {
        (ticket_list(&data).as_array().map_or(0, |a| a.len()) >= 20).then_some(())
    });
    assert!(started.is_some(), "no mail arrived: {}", server.log_text());
    std::thread::sleep(Duration::from_millis(150));
    server.kill9();
    let _ = client.wait();
    let acked: Vec<String> = reader.join().unwrap();
    assert!(acked.len() >= 20, "only {} acknowledged", acked.len());
    assert!(
        acked.len() < 2000,
        "the kill came too late to test anything"
    );

    // No server runs now: the CLI opens the store itself (redb recovers after the crash).
    let mut stored = HashSet::new();
    for t in ticket_list(&data).as_array().unwrap() {
        let show = ticket_show(&data, t["number"].as_u64().unwrap());
        for a in show["articles"].as_array().unwrap() {
            stored.insert(a["message_id"].as_str().unwrap().to_string());
        }
    }
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    eprintln!(
        "crash: {} acknowledged, {} stored, {} lost",
        acked.len(),
        stored.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // And the server starts again on the recovered store.
    let again = Server::start(&data);
    assert!(ticket_list(&again.data).as_array().unwrap().len() >= acked.len() / 7);
}
