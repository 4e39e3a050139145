//! In-memory login sessions with CSRF tokens, idle and absolute time-outs.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::RngCore;

/// Idle time-out: 30 minutes without a request ends the session.
pub const IDLE_MS: i64 = 30 * 60 * 1000;
/// Absolute time-out: 12 hours after login.
pub const ABSOLUTE_MS: i64 = 12 * 60 * 60 * 1000;

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    /// Per-session CSRF token, compared in constant time on every POST.
    pub csrf: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
}

/// All live sessions, keyed by the random session id in the cookie.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes, URL-safe base64 (no padding).
pub fn random_token() -> String {
    use base64::Engine;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

impl Sessions {
    /// Starts a session for `user`; returns its id (a fresh random token: ids are rotated at
    /// every login).
    pub fn create(&self, user: &str, now_ms: i64) -> (String, Session) {
        let id = random_token();
        let s = Session {
            user: user.to_string(),
            csrf: random_token(),
            created_ms: now_ms,
            last_seen_ms: now_ms,
        };
        self.lock().insert(id.clone(), s.clone());
        (id, s)
    }

    /// The live session `id`, touching its idle timer; expired sessions are removed.
    pub fn get(&self, id: &str, now_ms: i64) -> Option<Session> {
        let mut map = self.lock();
        let alive = map.get(id).is_some_and(|s| {
            now_ms - s.last_seen_ms < IDLE_MS && now_ms - s.created_ms < ABSOLUTE_MS
        });
        if !alive {
            map.remove(id);
            return None;
        }
        let s = map.get_mut(id)?;
        s.last_seen_ms = now_ms;
        Some(s.clone())
    }

    /// Ends session `id`.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Ends every session of `user` (account disabled, password changed).
    pub fn remove_user(&self, user: &str) {
        self.lock().retain(|_, s| s.user != user);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Constant-time comparison of two tokens.
pub fn tokens_equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let s = Sessions::default();
        let (id, _) = s.create("a@x.se", 0);
        assert!(s.get(&id, IDLE_MS - 1).is_some());
        assert!(s.get(&id, 2 * IDLE_MS - 2).is_some());
        assert!(s.get(&id, 4 * IDLE_MS).is_none());
        let (id2, _) = s.create("a@x.se", 0);
        let mut t = 0;
        while t < ABSOLUTE_MS - IDLE_MS {
            t += IDLE_MS / 2;
            assert!(s.get(&id2, t).is_some() || t >= ABSOLUTE_MS);
        }
        assert!(s.get(&id2, ABSOLUTE_MS + 1).is_none());
        assert!(tokens_equal("abc", "abc") && !tokens_equal("abc", "abd"));
    }
}
