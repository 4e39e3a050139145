//! First-run setup can configure backups (issue 5: the schedule is set in the wizard and
//! the admin UI); the CLI form of the wizard is tested here, the web form shares its check.

mod common;

use common::*;

fn setup_args<'a>(data: &'a str, pw: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "setup",
        "--data",
        data,
        "--org",
        "Backup AB",
        "--admin-email",
        "boss@backup.example",
        "--admin-password-file",
        pw,
        "--mailbox",
        "support@backup.example",
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn setup_configures_backups_or_refuses_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let pw = write_file(dir.path(), "pw", b"Solros-Kaffe-Vinter-42\n");
    let pw = pw.to_str().unwrap();
    let id = dir.path().join("identity.txt");
    let out = trygg(&["backup", "keygen", "--out", id.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let public = v["public_key"].as_str().unwrap().to_string();
    let target = dir.path().join("nas");
    let target = target.to_str().unwrap();

    // Refused, nothing stored: a bad key, a relative path, one without the other.
    let bad = dir.path().join("bad");
    let bad = bad.to_str().unwrap();
    for extra in [
        vec![
            "--backup-target",
            target,
            "--backup-recipient",
            "age1notakey",
        ],
        vec![
            "--backup-target",
            "relative/dir",
            "--backup-recipient",
            &public,
        ],
        vec!["--backup-target", target],
    ] {
        let out = trygg(&setup_args(bad, pw, &extra));
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(!std::path::Path::new(bad).join("trygg.redb").exists());
    }

    // Accepted: the settings hold the target and key, backups are on, the target exists.
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let out = trygg(&setup_args(
        data,
        pw,
        &["--backup-target", target, "--backup-recipient", &public],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = trygg(&["backup", "status", "--data", data, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.contains(target) && status.contains(&public),
        "{status}"
    );
    assert!(std::path::Path::new(target).is_dir());
    // And a backup runs against it at once.
    let out = trygg(&["backup", "run", "--full", "--data", data, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
