//! Brute-force protection: failure counters per account and per client address, with
//! temporary lockout. In memory only (ephemeral, DESIGN decision 3): a restart forgets
//! them, which at worst gives an attacker one more round of attempts.

use std::collections::HashMap;
use std::sync::Mutex;

/// At most this many counters are kept; beyond it, expired ones are dropped first, then
/// the oldest, so memory stays bounded under a spray of invented names.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Default)]
struct Entry {
    /// Failure times (Unix ms) inside the current window.
    failures: Vec<i64>,
    /// Locked until this time (Unix ms); 0: not locked.
    locked_until: i64,
}

/// Failure counters keyed by `"acct:<e-mail>"` or `"addr:<ip>"`.
#[derive(Default)]
pub struct Throttle {
    map: Mutex<HashMap<String, Entry>>,
}

/// Key of the per-account counter (the submitted name, known or not, so lockout says
/// nothing about whether an account exists).
pub fn account_key(email: &str) -> String {
    format!("acct:{}", email.trim().to_lowercase())
}

/// Key of the per-address counter.
pub fn address_key(ip: std::net::IpAddr) -> String {
    format!("addr:{ip}")
}

impl Throttle {
    /// When `key` is locked at `now_ms`, the time (Unix ms) the lock ends.
    pub fn locked(&self, key: &str, now_ms: i64) -> Option<i64> {
        let map = self.lock();
        map.get(key)
            .map(|e| e.locked_until)
            .filter(|&until| until > now_ms)
    }

    /// Records a failure for `key`. After `max` failures within `window_ms`, the key is
    /// locked for `lock_ms`. Returns whether it is now locked.
    pub fn fail(&self, key: &str, now_ms: i64, max: u32, window_ms: i64, lock_ms: i64) -> bool {
        let mut map = self.lock();
        if map.len() >= MAX_ENTRIES && !map.contains_key(key) {
            map.retain(|_, e| e.locked_until > now_ms || !e.failures.is_empty());
            if map.len() >= MAX_ENTRIES {
                let oldest = map
                    .iter()
                    .min_by_key(|(_, e)| e.failures.last().copied().unwrap_or(0))
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    map.remove(&k);
                }
            }
        }
        let e = map.entry(key.to_string()).or_default();
        e.failures.retain(|&t| now_ms - t < window_ms);
        e.failures.push(now_ms);
        if e.failures.len() >= max.max(1) as usize {
            e.locked_until = now_ms + lock_ms;
            e.failures.clear();
        }
        e.locked_until > now_ms
    }

    /// Forgets the failures of `key` (after a successful login).
    pub fn reset(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_unlocks_later() {
        let t = Throttle::default();
        let k = account_key("A@x.se");
        for i in 0..4 {
            assert!(!t.fail(&k, 1000 + i, 5, 900_000, 900_000));
        }
        assert!(t.locked(&k, 1010).is_none());
        assert!(t.fail(&k, 1010, 5, 900_000, 900_000));
        assert_eq!(t.locked(&k, 2000), Some(1010 + 900_000));
        assert!(t.locked(&k, 1010 + 900_000).is_none());
        // Failures outside the window do not add up.
        let k2 = account_key("b@x.se");
        for i in 0..10 {
            assert!(!t.fail(&k2, i * 1_000_000, 5, 900_000, 900_000));
        }
        t.reset(&k2);
        assert!(t.locked(&k2, 0).is_none());
    }
}
