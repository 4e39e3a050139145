//! The shared application handle given to every service, plus the injected clock and the
//! node-aware ID generator (DESIGN invariant 5, decision 4).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::error::Result;
use crate::store::Store;

/// Source of the current time. Production uses [`SystemClock`]; tests inject [`FixedClock`].
pub trait Clock: Send + Sync {
    /// Now, as Unix milliseconds.
    fn now_ms(&self) -> i64;
}

/// The operating system's wall clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        jiff::Timestamp::now().as_millisecond()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug, Default)]
pub struct FixedClock(pub AtomicI64);

impl FixedClock {
    /// A clock standing at `ms` (Unix milliseconds).
    pub fn at(ms: i64) -> Self {
        FixedClock(AtomicI64::new(ms))
    }
    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

// login-security
/// The system clock shifted by a fixed offset, so tests of the real binary can move time
/// (password age, lockouts). Only debug builds honour [`TEST_CLOCK_OFFSET_ENV`].
#[derive(Debug, Default)]
pub struct OffsetClock(pub i64);

/// Environment variable with a clock offset in milliseconds (debug builds only).
pub const TEST_CLOCK_OFFSET_ENV: &str = "TRYGG_TEST_CLOCK_OFFSET_MS";

impl Clock for OffsetClock {
    fn now_ms(&self) -> i64 {
        jiff::Timestamp::now().as_millisecond() + self.0
    }
}

/// The clock for `trygg serve`: the system clock, or in a debug build with
/// `TRYGG_TEST_CLOCK_OFFSET_MS` set, the system clock shifted by that many milliseconds.
pub fn serve_clock() -> Arc<dyn Clock> {
    if cfg!(debug_assertions)
        && let Some(off) = std::env::var(TEST_CLOCK_OFFSET_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return Arc::new(OffsetClock(off));
    }
    Arc::new(SystemClock)
}

/// Mints 64-bit IDs that are unique across sites: 41 bits of milliseconds since
/// 2025-01-01, 10 bits of node id, 12 bits of sequence. Two nodes with different node ids
/// never mint the same id; one node never repeats an id even if its clock steps back.
pub struct IdGen {
    node: u64,
    last: Mutex<(i64, u64)>,
}

const EPOCH_MS: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z

impl IdGen {
    /// A generator for node `node` (only the low 10 bits are used).
    pub fn new(node: u16) -> Self {
        IdGen {
            node: u64::from(node) & 0x3ff,
            last: Mutex::new((0, 0)),
        }
    }

    /// The next id, given the current time in Unix milliseconds.
    pub fn next(&self, now_ms: i64) -> u64 {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let mut ms = (now_ms - EPOCH_MS).max(0);
        if ms < last.0 {
            ms = last.0; // clock stepped back: keep counting in the last millisecond
        }
        let seq = if ms == last.0 { last.1 + 1 } else { 0 };
        let (ms, seq) = if seq > 0xfff { (ms + 1, 0) } else { (ms, seq) };
        *last = (ms, seq);
        ((ms as u64) << 22) | (self.node << 12) | seq
    }
}

/// Everything a service needs: the store, the clock, id minting and where data lives.
pub struct App {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub ids: IdGen,
    pub data_dir: PathBuf,
    /// Woken after a commit that added outbound mail, so delivery starts at once.
    pub outbound_wakeup: tokio::sync::Notify,
    /// Signed-in browsers (ephemeral, not in the store).
    pub sessions: crate::auth::session::Sessions,
    /// The one-time setup token printed on the console while setup is not done.
    pub setup_token: Mutex<Option<String>>,
    /// login-security: throttling counters and half-finished logins (ephemeral).
    pub login: crate::auth::signin::LoginState,
}

/// File name of the store inside the data directory.
pub const STORE_FILE: &str = "trygg.redb";

impl App {
    /// Opens the store in `data_dir` (creating the directory, mode 0700) with `clock`.
    pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Arc<App>> {
        create_private_dir(data_dir)?;
        let store = Store::open(&data_dir.join(STORE_FILE))?;
        Ok(Arc::new(App {
            store,
            clock,
            ids: IdGen::new(1),
            data_dir: data_dir.to_path_buf(),
            outbound_wakeup: tokio::sync::Notify::new(),
            sessions: Default::default(),
            setup_token: Mutex::new(None),
            login: Default::default(), // login-security
        }))
    }

    /// Now, Unix milliseconds, from the injected clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A fresh node-aware id.
    pub fn next_id(&self) -> u64 {
        self.ids.next(self.now_ms())
    }
}

/// Creates `dir` (and parents) readable only by its owner.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                crate::error::Error::invalid(format!(
                    "cannot create data directory {}: {e}",
                    dir.display()
                ))
            })?;
    } else if dir.is_dir() {
        let mut perm = std::fs::metadata(dir)?.permissions();
        if perm.mode() & 0o077 != 0 {
            perm.set_mode(0o700);
            let _ = std::fs::set_permissions(dir, perm);
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename,
/// fsync of the directory (DESIGN decision 8). `mode` is the file's permission bits.
/// Errors name the file: `Invalid` when its directory is missing or not writable (a path
/// the user gave), `Internal` otherwise.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let r = write_atomic_io(path, bytes, mode);
    r.map_err(|e| {
        let msg = format!("cannot write {}: {e}", path.display());
        match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                crate::error::Error::invalid(msg)
            }
            _ => crate::error::Error::internal(msg),
        }
    })
}

fn write_atomic_io(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_monotonic_and_node_aware() {
        let a = IdGen::new(1);
        let b = IdGen::new(2);
        let mut seen = std::collections::HashSet::new();
        let mut prev = 0;
        for i in 0..10_000 {
            let t = EPOCH_MS + 1000 + (i / 3000);
            let x = a.next(t);
            assert!(x > prev);
            prev = x;
            assert!(seen.insert(x));
            assert!(seen.insert(b.next(t)));
        }
        // Clock stepping back does not repeat ids.
        let y = a.next(EPOCH_MS);
        assert!(y > prev);
    }
}
