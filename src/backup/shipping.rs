//! The schedule: full backups every N days (a new chain), incrementals every N hours and
//! log segments every N seconds, plus a last segment at shutdown. Runs inside `serve`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::format::Kind;
use super::incremental::newest_chain;
use super::{BackupSettings, RunOutcome, RunRequest, load_settings, record_status, run};
use crate::app::App;
use crate::error::{ErrorKind, Result};

/// What the schedule should do now, given the settings, the newest chain and the time.
pub fn due(s: &BackupSettings, dir: &Path, now_ms: i64, head: u64) -> Result<Option<Kind>> {
    if !s.enabled || s.target.is_empty() {
        return Ok(None);
    }
    if !dir.exists() {
        return Ok(Some(Kind::Full)); // the run creates the directory
    }
    let Some(m) = newest_chain(dir)? else {
        return Ok(Some(Kind::Full));
    };
    let (Some(first), Some(last)) = (m.entries.first(), m.last()) else {
        return Ok(Some(Kind::Full));
    };
    let day = 24 * 3600 * 1000;
    if s.full_every_days > 0 && now_ms - first.created_ms >= i64::from(s.full_every_days) * day {
        return Ok(Some(Kind::Full));
    }
    if head <= last.seq_to {
        return Ok(None);
    }
    if s.incremental_every_hours > 0 {
        let last_inc = m
            .entries
            .iter()
            .rev()
            .find(|e| e.kind != Kind::Segment)
            .map_or(first.created_ms, |e| e.created_ms);
        if now_ms - last_inc >= i64::from(s.incremental_every_hours) * 3600 * 1000 {
            return Ok(Some(Kind::Incremental));
        }
    }
    if s.ship_every_secs > 0 && now_ms - last.created_ms >= i64::from(s.ship_every_secs) * 1000 {
        return Ok(Some(Kind::Segment));
    }
    Ok(None)
}

/// One scheduler step: runs what is due. A log that no longer reaches the chain (or a
/// damaged newest chain) starts a new chain with a full backup.
pub fn tick(app: &App) -> Result<Option<RunOutcome>> {
    let s = app.store.read(load_settings)?;
    let dir = Path::new(&s.target);
    let head = app.store.head_seq()?;
    let kind = match due(&s, dir, app.now_ms(), head) {
        Ok(k) => k,
        Err(e) if e.kind == ErrorKind::Invalid => {
            tracing::warn!(
                "newest backup chain unusable ({}); starting a new chain",
                e.message
            );
            Some(Kind::Full)
        }
        Err(e) => return Err(e),
    };
    let Some(kind) = kind else {
        return Ok(None);
    };
    let r = run(app, &RunRequest { kind, to: None });
    let r = match r {
        Err(e) if e.kind == ErrorKind::Conflict && kind != Kind::Full => {
            tracing::warn!("{}; starting a new chain", e.message);
            run(
                app,
                &RunRequest {
                    kind: Kind::Full,
                    to: None,
                },
            )
        }
        other => other,
    };
    record_status(app.now_ms(), &r);
    r.map(Some)
}

/// Ships the last segment at shutdown (when shipping is on and a chain exists).
pub fn ship_at_shutdown(app: &App) -> Result<()> {
    let s = app.store.read(load_settings)?;
    if !s.enabled || s.ship_every_secs == 0 || s.target.is_empty() {
        return Ok(());
    }
    let dir = Path::new(&s.target);
    if !dir.exists() || newest_chain(dir)?.is_none() {
        return Ok(());
    }
    let r = run(
        app,
        &RunRequest {
            kind: Kind::Segment,
            to: None,
        },
    );
    record_status(app.now_ms(), &r);
    r.map(|_| ())
}

/// The scheduler task: checks every second what is due.
pub async fn run_schedule(app: Arc<App>) -> Result<()> {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    // The same failure every second is logged once (the admin page shows the latest).
    let mut last_error = String::new();
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let a = app.clone();
        match tokio::task::spawn_blocking(move || tick(&a)).await {
            Ok(Ok(Some(o))) if !o.skipped => {
                last_error.clear();
                if let Some(f) = &o.file {
                    tracing::debug!(file = %f.file, "scheduled backup written");
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                let msg = e.to_string();
                if msg != last_error {
                    tracing::error!("scheduled backup failed: {msg}");
                    last_error = msg;
                }
            }
            Err(e) => tracing::error!("backup task failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_due_when_disabled_and_full_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = BackupSettings::default();
        assert_eq!(due(&s, dir.path(), 0, 5).unwrap(), None);
        s.enabled = true;
        s.target = dir.path().display().to_string();
        assert_eq!(due(&s, dir.path(), 0, 5).unwrap(), Some(Kind::Full));
    }
}
