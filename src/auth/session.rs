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
    /// Client address at sign-in (after trusted-proxy resolution).
    pub addr: String,
    /// `User-Agent` at sign-in, at most 200 characters.
    pub user_agent: String,
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
        self.create_for(user, now_ms, "", "")
    }

    /// [`Sessions::create`], remembering the client address and user agent for the
    /// user's list of sessions.
    pub fn create_for(
        &self,
        user: &str,
        now_ms: i64,
        addr: &str,
        user_agent: &str,
    ) -> (String, Session) {
        let id = random_token();
        let s = Session {
            user: user.to_string(),
            csrf: random_token(),
            created_ms: now_ms,
            last_seen_ms: now_ms,
            addr: addr.to_string(),
            user_agent: user_agent.chars().take(200).collect(),
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

    /// The live sessions of `user` as (handle, session), newest first. The handle is a
    /// hash of the id, so pages never show a usable session id.
    pub fn list_user(&self, user: &str, now_ms: i64) -> Vec<(String, Session)> {
        let map = self.lock();
        let mut v: Vec<(String, Session)> = map
            .iter()
            .filter(|(_, s)| {
                s.user == user
                    && now_ms - s.last_seen_ms < IDLE_MS
                    && now_ms - s.created_ms < ABSOLUTE_MS
            })
            .map(|(id, s)| (handle(id), s.clone()))
            .collect();
        v.sort_by_key(|b| std::cmp::Reverse(b.1.created_ms));
        v
    }

    /// Ends every session of `user` except `keep_id` ("sign out elsewhere"); returns how
    /// many ended.
    pub fn remove_user_except(&self, user: &str, keep_id: &str) -> usize {
        let mut map = self.lock();
        let before = map.len();
        map.retain(|id, s| s.user != user || id == keep_id);
        before - map.len()
    }

    /// Ends the session of `user` whose [`handle`] is `h`; whether one ended.
    pub fn remove_by_handle(&self, user: &str, h: &str) -> bool {
        let mut map = self.lock();
        let id = map
            .iter()
            .find(|(id, s)| s.user == user && tokens_equal(&handle(id), h))
            .map(|(id, _)| id.clone());
        id.is_some_and(|id| map.remove(&id).is_some())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A public handle of session `id`: the first 16 bytes of SHA-256, hex.
pub fn handle(id: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(id.as_bytes())[..16])
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
        // Listing and signing out elsewhere.
        let (a, _) = s.create_for("u@x.se", 10, "192.0.2.1", "UA one");
        let (b, _) = s.create_for("u@x.se", 20, "192.0.2.2", "UA two");
        let (c, _) = s.create_for("u@x.se", 30, "192.0.2.3", "UA three");
        let list = s.list_user("u@x.se", 40);
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].1.user_agent, "UA three");
        assert!(s.remove_by_handle("u@x.se", &handle(&c)));
        assert!(!s.remove_by_handle("other@x.se", &handle(&b)));
        assert_eq!(s.remove_user_except("u@x.se", &a), 1);
        assert!(s.get(&a, 50).is_some() && s.get(&b, 50).is_none());
    }
}
