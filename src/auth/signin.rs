//! The login flow: address checks, throttling, local or directory password check, the
//! TOTP second step, forced TOTP enrolment and forced password change. Every attempt ends
//! in one [`LoginOutcome`], so the audit trail can record it in one place.
//!
//! Precedence between local and directory accounts: an existing local account (no
//! directory link) only ever checks its local password; an account provisioned from the
//! directory only ever binds to the directory (its local hash is unusable); an unknown
//! name goes to the directory when one is configured. A directory login whose e-mail is
//! that of a local account is refused, so the directory cannot take over local accounts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::policy::{self, SecurityPolicy, UserSecurity};
use super::throttle::{Throttle, account_key, address_key};
use super::{User, find_user, ipnet, password, totp};
use crate::app::App;
use crate::error::{Error, Result};

/// How long a half-finished login (waiting for TOTP, enrolment or a new password) lives.
pub const PENDING_MS: i64 = 10 * 60 * 1000;
/// Most half-finished logins kept at once.
const MAX_PENDING: usize = 10_000;

/// The result of one login step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Fully signed in.
    Success(User),
    /// Unknown user, wrong password, wrong code, disabled account: one answer for all.
    BadCredentials,
    /// Too many failures for this account or address; nothing was checked.
    LockedOut,
    /// The client address is not on an allow-list.
    IpRefused,
    /// Password right; a TOTP or recovery code is needed next.
    TotpRequired(User),
    /// Password right; the user's role requires TOTP and none is set up yet.
    EnrolmentRequired(User),
    /// Password right but older than the policy's maximum age: a new one is needed.
    PasswordExpired(User),
    /// The directory could not be asked (connection, TLS, service bind).
    DirectoryUnavailable,
}

impl LoginOutcome {
    /// A stable name for logs and the audit trail.
    pub fn name(&self) -> &'static str {
        match self {
            LoginOutcome::Success(_) => "success",
            LoginOutcome::BadCredentials => "bad_credentials",
            LoginOutcome::LockedOut => "locked_out",
            LoginOutcome::IpRefused => "ip_refused",
            LoginOutcome::TotpRequired(_) => "totp_required",
            LoginOutcome::EnrolmentRequired(_) => "totp_enrolment_required",
            LoginOutcome::PasswordExpired(_) => "password_expired",
            LoginOutcome::DirectoryUnavailable => "directory_unavailable",
        }
    }
}

/// What a half-finished login still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A TOTP or recovery code (`/login/totp`).
    Totp,
    /// Setting up TOTP, required by a role (`/login/enrol`).
    Enrol,
    /// A new password after the maximum age (`/login/password`).
    ChangePassword,
}

/// A login between its steps, found by the random token in the `trygg_pending` cookie.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The account (lower-case e-mail address) whose password was right.
    pub email: String,
    pub stage: Stage,
    /// Unix ms; the pending login ends [`PENDING_MS`] later.
    pub created_ms: i64,
    /// The client address; the next step must come from the same one.
    pub addr: IpAddr,
    /// Where to go when done (already checked to be local).
    pub next: String,
}

/// Ephemeral login state held by [`App`]: throttling counters and pending logins.
#[derive(Default)]
pub struct LoginState {
    pub throttle: Throttle,
    pending: Mutex<HashMap<String, Pending>>,
}

impl LoginState {
    /// Stores `p` under a new random token; returns the token.
    pub fn start_pending(&self, p: Pending) -> String {
        let token = super::session::random_token();
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let now = p.created_ms;
        map.retain(|_, x| now - x.created_ms < PENDING_MS);
        if map.len() >= MAX_PENDING
            && let Some(k) = map
                .iter()
                .min_by_key(|(_, x)| x.created_ms)
                .map(|(k, _)| k.clone())
        {
            map.remove(&k);
        }
        map.insert(token.clone(), p);
        token
    }

    /// The live pending login `token`.
    pub fn pending(&self, token: &str, now_ms: i64) -> Option<Pending> {
        let map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token)
            .filter(|p| now_ms - p.created_ms < PENDING_MS)
            .cloned()
    }

    /// Ends pending login `token`.
    pub fn end_pending(&self, token: &str) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }
}

/// The policy from the store. Read on every request (trusted proxies, allow-lists): one
/// small read transaction, and never stale after a restore or a replicated change.
pub fn policy(app: &App) -> Result<SecurityPolicy> {
    app.store.read(policy::load)
}

/// Validates and stores a new policy.
pub fn save_policy(app: &App, p: SecurityPolicy) -> Result<()> {
    app.store.write(app.now_ms(), |tx| policy::save(tx, p))
}

/// Saves `p` for the admin `saver` whose request came from socket `peer` with `headers`,
/// refusing what would lock them out or open the door: allow-lists that exclude the
/// saver's client address as the *new* policy sees it (its trusted proxies), role names
/// that do not exist, and a trusted proxy list that trusts every address. Errors:
/// `Invalid` saying what to fix.
pub fn save_policy_checked(
    app: &App,
    p: SecurityPolicy,
    saver: &str,
    peer: IpAddr,
    headers: &hyper::HeaderMap,
) -> Result<()> {
    let ip = ipnet::client_addr(&p, peer, headers);
    app.store.write(app.now_ms(), |tx| {
        for name in p
            .allow_roles
            .iter()
            .map(|(r, _)| r.trim())
            .chain(p.totp_roles.iter().map(|r| r.trim()))
        {
            if crate::auth::roles::get(tx, &name.to_lowercase())?.is_none() {
                return Err(Error::invalid(format!("there is no role named \"{name}\"")));
            }
        }
        for net in &p.trusted_proxies {
            let n = net.trim();
            if n.ends_with("/0") {
                return Err(Error::invalid(format!(
                    "trusted proxies: {n} would trust every address, so any client could claim any address"
                )));
            }
        }
        if let Some(u) = find_user(tx, saver)?
            && !ipnet::allowed(&p, Some(&u), ip)
        {
            return Err(Error::invalid(format!(
                "this would lock you out: your address {ip} is not allowed by these lists; add it (or its network) first"
            )));
        }
        policy::save(tx, p)
    })
}

/// The client address of a request (socket peer, or forwarded by a trusted proxy).
pub fn client_addr(app: &App, peer: IpAddr, headers: &hyper::HeaderMap) -> IpAddr {
    match policy(app) {
        Ok(p) => ipnet::client_addr(&p, peer, headers),
        Err(_) => peer,
    }
}

/// Whether a signed-in `user` may go on using a session from `ip` (allow-lists, account
/// still enabled). Called on every authenticated request.
pub fn request_allowed(app: &App, user: &str, ip: IpAddr) -> bool {
    let Ok(p) = policy(app) else { return false };
    if p.allow_global.is_empty() && p.allow_roles.is_empty() {
        return true;
    }
    match app.store.read(|r| find_user(r, user)) {
        Ok(Some(u)) => !u.disabled && ipnet::allowed(&p, Some(&u), ip),
        _ => false,
    }
}

fn record_failure(app: &App, p: &SecurityPolicy, email: &str, ip: IpAddr) -> LoginOutcome {
    let now = app.now_ms();
    let acct_lock = i64::from(p.account_lockout_minutes) * 60_000;
    let addr_win = i64::from(p.address_window_minutes) * 60_000;
    let a = app.login.throttle.fail(
        &account_key(email),
        now,
        p.account_max_failures,
        acct_lock,
        acct_lock,
    );
    let b = app.login.throttle.fail(
        &address_key(ip),
        now,
        p.address_max_failures,
        addr_win,
        addr_win,
    );
    if a || b {
        tracing::warn!(user = %email, %ip, "login locked out after repeated failures");
        LoginOutcome::LockedOut
    } else {
        LoginOutcome::BadCredentials
    }
}

fn locked(app: &App, email: &str, ip: IpAddr) -> bool {
    let now = app.now_ms();
    app.login
        .throttle
        .locked(&account_key(email), now)
        .is_some()
        || app.login.throttle.locked(&address_key(ip), now).is_some()
}

/// What follows a correct password (or a directory bind) for `u`.
fn after_password(app: &App, p: &SecurityPolicy, u: User, ip: IpAddr) -> Result<LoginOutcome> {
    if !ipnet::allowed(p, Some(&u), ip) {
        return Ok(LoginOutcome::IpRefused);
    }
    app.login.throttle.reset(&account_key(&u.email));
    let sec = app.store.read(|r| policy::load_user(r, &u.email))?;
    if sec.totp_secret.is_some() {
        return Ok(LoginOutcome::TotpRequired(u));
    }
    if policy::totp_required(p, &u) {
        return Ok(LoginOutcome::EnrolmentRequired(u));
    }
    Ok(after_second_factor(app, p, u, &sec))
}

fn after_second_factor(app: &App, p: &SecurityPolicy, u: User, sec: &UserSecurity) -> LoginOutcome {
    if policy::password_expired(p, &u, sec, app.now_ms()) {
        LoginOutcome::PasswordExpired(u)
    } else {
        LoginOutcome::Success(u)
    }
}

/// The first login step: `email` and `pw` from client `ip`.
pub async fn attempt_password(app: &Arc<App>, email: &str, pw: &str, ip: IpAddr) -> LoginOutcome {
    let email = email.trim().to_lowercase();
    let outcome = attempt_password_inner(app, &email, pw, ip).await;
    let outcome = outcome.unwrap_or_else(|e| {
        tracing::error!(user = %email, "login failed: {e}");
        LoginOutcome::DirectoryUnavailable
    });
    if matches!(
        outcome,
        LoginOutcome::Success(_)
            | LoginOutcome::TotpRequired(_)
            | LoginOutcome::EnrolmentRequired(_)
            | LoginOutcome::PasswordExpired(_)
    ) {
        // The typed name may differ from the account's address (directory logins).
        app.login.throttle.reset(&account_key(&email));
    }
    tracing::info!(user = %email, %ip, outcome = outcome.name(), "login attempt");
    outcome
}

async fn attempt_password_inner(
    app: &Arc<App>,
    email: &str,
    pw: &str,
    ip: IpAddr,
) -> Result<LoginOutcome> {
    let p = policy(app)?;
    if !ipnet::allowed(&p, None, ip) {
        return Ok(LoginOutcome::IpRefused);
    }
    if locked(app, email, ip) {
        return Ok(LoginOutcome::LockedOut);
    }
    let who = email.to_string();
    let (user, sec, dir) = crate::web::blocking(app, move |a| {
        a.store.read(|r| {
            Ok((
                find_user(r, &who)?,
                policy::load_user(r, &who)?,
                super::ldap::load(r)?,
            ))
        })
    })
    .await?;
    let dir = dir.filter(|c| c.enabled);
    let directory_login = match (&user, &sec.directory_dn) {
        (Some(_), Some(_)) => true,
        (Some(_), None) => false,
        (None, _) => dir.is_some(),
    };
    if !directory_login {
        let pw = pw.to_string();
        let ok = crate::web::blocking(app, move |a| {
            let u = match user {
                Some(u) => u,
                None => {
                    // Unknown user: spend the same time as a real check (no enumeration).
                    let _ = super::authenticate(a, "", &pw);
                    return Ok(None);
                }
            };
            Ok((password::verify(&pw, &u.password_hash) && !u.disabled).then_some(u))
        })
        .await?;
        return match ok {
            Some(u) => after_password(app, &p, u, ip),
            None => Ok(record_failure(app, &p, email, ip)),
        };
    }
    let Some(cfg) = dir else {
        return Ok(record_failure(app, &p, email, ip));
    };
    match super::ldap::authenticate(&cfg, email, pw).await {
        Ok(du) => {
            let existing_local = crate::web::blocking(app, {
                let e = du.email.clone();
                move |a| {
                    a.store.read(|r| {
                        Ok(find_user(r, &e)?.is_some()
                            && policy::load_user(r, &e)?.directory_dn.is_none())
                    })
                }
            })
            .await?;
            if existing_local {
                tracing::warn!(user = %du.email, "directory login for a local account refused");
                return Ok(record_failure(app, &p, email, ip));
            }
            let du2 = du.clone();
            let u = crate::web::blocking(app, move |a| {
                let now = a.now_ms();
                a.store.write(now, |tx| {
                    let u = super::ldap::apply_directory_roles(
                        tx, &du2.email, &du2.name, &du2.roles, now,
                    )?;
                    let mut s = policy::load_user(tx, &du2.email)?;
                    s.directory_dn = Some(du2.dn.clone());
                    policy::save_user(tx, &du2.email, &s)?;
                    Ok(u)
                })
            })
            .await?;
            if u.disabled {
                return Ok(record_failure(app, &p, email, ip));
            }
            after_password(app, &p, u, ip)
        }
        Err(super::ldap::DirError::Unavailable(m)) => {
            tracing::error!(user = %email, "directory unavailable: {m}");
            Ok(LoginOutcome::DirectoryUnavailable)
        }
        Err(e) => {
            tracing::info!(user = %email, "directory login refused: {e:?}");
            // A provisioned account the directory now disables (or gives no role): disable
            // it here too and end its sessions.
            if matches!(
                e,
                super::ldap::DirError::Disabled | super::ldap::DirError::NoRole
            ) && let Some(u) = user.filter(|u| !u.disabled)
            {
                let who = u.email.clone();
                crate::web::blocking(app, move |a| {
                    a.store.write(a.now_ms(), |tx| {
                        super::ldap::apply_directory_roles(tx, &u.email, &u.name, &[], a.now_ms())
                            .map(|_| ())
                    })
                })
                .await?;
                app.sessions.remove_user(&who);
                tracing::warn!(user = %who, "directory account disabled: {e}");
            }
            Ok(record_failure(app, &p, email, ip))
        }
    }
}

/// The second step: a TOTP `code` or a recovery code for pending login of `email`.
pub fn attempt_second_factor(app: &App, email: &str, code: &str, ip: IpAddr) -> LoginOutcome {
    let r = (|| -> Result<LoginOutcome> {
        let p = policy(app)?;
        if !ipnet::allowed(&p, None, ip) {
            return Ok(LoginOutcome::IpRefused);
        }
        if locked(app, email, ip) {
            return Ok(LoginOutcome::LockedOut);
        }
        let now = app.now_ms();
        let checked = app.store.write(now, |tx| {
            let Some(u) = find_user(tx, email)? else {
                return Ok(None);
            };
            let mut s = policy::load_user(tx, email)?;
            let Some(secret) = s.totp_secret.clone() else {
                return Ok(None);
            };
            if let Some(step) = totp::check(&secret, code, now, s.totp_last_step) {
                s.totp_last_step = step;
                policy::save_user(tx, email, &s)?;
                return Ok(Some((u, s)));
            }
            let rc = totp::normalise_recovery(code);
            if rc.len() == 11
                && let Some(i) = s.recovery.iter().position(|h| password::verify(&rc, h))
            {
                s.recovery.remove(i);
                policy::save_user(tx, email, &s)?;
                tracing::warn!(user = %email, left = s.recovery.len(), "recovery code used");
                return Ok(Some((u, s)));
            }
            Ok(None)
        })?;
        match checked {
            Some((u, s)) if !u.disabled => {
                app.login.throttle.reset(&account_key(email));
                Ok(after_second_factor(app, &p, u, &s))
            }
            _ => Ok(record_failure(app, &p, email, ip)),
        }
    })();
    let outcome = r.unwrap_or_else(|e| {
        tracing::error!(user = %email, "second factor check failed: {e}");
        LoginOutcome::BadCredentials
    });
    tracing::info!(user = %email, %ip, outcome = outcome.name(), "second factor attempt");
    outcome
}

/// After forced enrolment or a forced password change: what is still missing.
pub fn continue_after(app: &App, email: &str) -> Result<LoginOutcome> {
    let p = policy(app)?;
    let (u, s) = app.store.read(|r| {
        Ok((
            find_user(r, email)?.ok_or_else(|| Error::not_found("no such user"))?,
            policy::load_user(r, email)?,
        ))
    })?;
    Ok(after_second_factor(app, &p, u, &s))
}

// ---- TOTP enrolment and removal (account page and forced enrolment) --------------------

/// Starts (or restarts) enrolment: a new pending secret; returns it.
pub fn totp_begin(app: &App, email: &str) -> Result<Vec<u8>> {
    let secret = totp::new_secret();
    app.store.write(app.now_ms(), |tx| {
        let mut s = policy::load_user(tx, email)?;
        s.totp_pending = Some(secret.clone());
        policy::save_user(tx, email, &s)
    })?;
    Ok(secret)
}

/// The pending enrolment secret, if any.
pub fn totp_pending(app: &App, email: &str) -> Result<Option<Vec<u8>>> {
    Ok(app
        .store
        .read(|r| policy::load_user(r, email))?
        .totp_pending)
}

/// Confirms enrolment with a `code` from the app; returns the ten recovery codes (shown
/// once; only their argon2id hashes are stored). Errors: `Invalid` for a wrong code.
pub fn totp_confirm(app: &App, email: &str, code: &str) -> Result<Vec<String>> {
    let codes = totp::new_recovery_codes();
    let hashes = codes
        .iter()
        .map(|c| password::hash(c))
        .collect::<Result<Vec<_>>>()?;
    let now = app.now_ms();
    app.store.write(now, |tx| {
        let mut s = policy::load_user(tx, email)?;
        let secret = s
            .totp_pending
            .clone()
            .ok_or_else(|| Error::invalid("start the set-up again"))?;
        let step = totp::check(&secret, code, now, 0).ok_or_else(|| {
            Error::invalid("that code is not right; check the time on your phone")
        })?;
        s.totp_secret = Some(secret);
        s.totp_pending = None;
        s.totp_last_step = step;
        s.recovery = hashes;
        policy::save_user(tx, email, &s)
    })?;
    tracing::info!(user = %email, "two-factor sign-in set up");
    Ok(codes)
}

/// Turns TOTP off after checking the account `password` (local accounts) or a current
/// `code` (directory accounts). Errors: `Forbidden` on a wrong password or code, `Invalid`
/// when the policy requires TOTP for the user's role.
pub fn totp_disable(app: &App, email: &str, password_or_code: &str) -> Result<()> {
    let p = policy(app)?;
    let now = app.now_ms();
    app.store.write(now, |tx| {
        let u = find_user(tx, email)?.ok_or_else(|| Error::not_found("no such user"))?;
        if policy::totp_required(&p, &u) {
            return Err(Error::invalid(
                "two-factor sign-in is required for your role and cannot be turned off",
            ));
        }
        let mut s = policy::load_user(tx, email)?;
        let ok = if s.directory_dn.is_some() {
            s.totp_secret
                .as_deref()
                .and_then(|k| totp::check(k, password_or_code, now, s.totp_last_step))
                .is_some()
        } else {
            password::verify(password_or_code, &u.password_hash)
        };
        if !ok {
            return Err(Error::forbidden("the password is wrong"));
        }
        s.totp_secret = None;
        s.totp_pending = None;
        s.recovery.clear();
        policy::save_user(tx, email, &s)
    })?;
    tracing::info!(user = %email, "two-factor sign-in turned off");
    Ok(())
}

/// Whether `email` has TOTP on, and how many recovery codes are left.
pub fn totp_status(app: &App, email: &str) -> Result<(bool, usize, bool)> {
    let s = app.store.read(|r| policy::load_user(r, email))?;
    Ok((
        s.totp_secret.is_some(),
        s.recovery.len(),
        s.directory_dn.is_some(),
    ))
}

/// Records a sign-in step's outcome in the audit trail (issue 4: every login, success,
/// failure and lockout, is an audit event). `typed` is the name as typed (control
/// characters removed, at most 254 characters), `client` the client address.
pub fn audit_outcome(app: &App, typed: &str, client: IpAddr, o: &LoginOutcome) -> Result<()> {
    use crate::audit::{Event, Outcome};
    let typed: String = typed
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_control())
        .take(254)
        .collect();
    let (actor, role, outcome) = match o {
        LoginOutcome::Success(u)
        | LoginOutcome::TotpRequired(u)
        | LoginOutcome::EnrolmentRequired(u)
        | LoginOutcome::PasswordExpired(u) => (u.email.clone(), u.roles.join("+"), Outcome::Ok),
        _ => (typed, "-".to_string(), Outcome::Denied),
    };
    let action = match o {
        LoginOutcome::Success(_) => "login.success".to_string(),
        LoginOutcome::BadCredentials => "login.failure".to_string(),
        LoginOutcome::LockedOut => "login.lockout".to_string(),
        other => format!("login.{}", other.name()),
    };
    crate::audit::access::record(
        app,
        Event {
            actor,
            role,
            client: client.to_string(),
            action,
            object: "session".into(),
            outcome,
            detail: String::new(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FixedClock;

    const PW: &str = "orbit velvet cactus lantern";
    const T0: i64 = 1_800_000_000_000;

    fn app(dir: &std::path::Path) -> (Arc<App>, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::at(T0));
        let app = App::open(dir, clock.clone()).unwrap();
        let h = password::hash(PW).unwrap();
        app.store
            .write(T0, |tx| {
                super::super::create_user(
                    tx,
                    "alice@x.example",
                    "Alice",
                    &h,
                    super::super::Role::Agent,
                    T0,
                )
            })
            .unwrap();
        (app, clock)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lockout_expires_with_the_clock_and_password_ages() {
        let dir = tempfile::tempdir().unwrap();
        let (app, clock) = app(dir.path());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..5 {
            let o = attempt_password(&app, "alice@x.example", "wrong password!", ip).await;
            let want = if i < 4 {
                LoginOutcome::BadCredentials
            } else {
                LoginOutcome::LockedOut
            };
            assert_eq!(o, want, "attempt {i}");
        }
        let o = attempt_password(&app, "alice@x.example", PW, ip).await;
        assert_eq!(
            o,
            LoginOutcome::LockedOut,
            "locked even with the right password"
        );
        clock.advance(15 * 60_000);
        let o = attempt_password(&app, "Alice@X.example", PW, ip).await;
        assert!(matches!(o, LoginOutcome::Success(_)), "{o:?}");
        // Maximum age.
        save_policy(
            &app,
            SecurityPolicy {
                max_age_days: 30,
                ..SecurityPolicy::default()
            },
        )
        .unwrap();
        clock.advance(31 * 86_400_000);
        let o = attempt_password(&app, "alice@x.example", PW, ip).await;
        assert!(matches!(o, LoginOutcome::PasswordExpired(_)), "{o:?}");
        policy::change_password(&app, "alice@x.example", None, "quartz meadow falcon ribbon")
            .unwrap();
        let o = attempt_password(&app, "alice@x.example", "quartz meadow falcon ribbon", ip).await;
        assert!(matches!(o, LoginOutcome::Success(_)), "{o:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn totp_second_step_accepts_each_step_once() {
        let dir = tempfile::tempdir().unwrap();
        let (app, clock) = app(dir.path());
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        let secret = totp_begin(&app, "alice@x.example").unwrap();
        let right = totp::code_at(&secret, T0).unwrap();
        let wrong = if right == "000000" {
            "111111"
        } else {
            "000000"
        };
        assert!(totp_confirm(&app, "alice@x.example", wrong).is_err());
        let codes = totp_confirm(
            &app,
            "alice@x.example",
            &totp::code_at(&secret, T0).unwrap(),
        )
        .unwrap();
        assert_eq!(codes.len(), 10);
        let o = attempt_password(&app, "alice@x.example", PW, ip).await;
        assert!(matches!(o, LoginOutcome::TotpRequired(_)), "{o:?}");
        // The enrolment's step is used up.
        let same = totp::code_at(&secret, T0).unwrap();
        assert_eq!(
            attempt_second_factor(&app, "alice@x.example", &same, ip),
            LoginOutcome::BadCredentials
        );
        clock.advance(30_000);
        let next = totp::code_at(&secret, T0 + 30_000).unwrap();
        assert!(matches!(
            attempt_second_factor(&app, "alice@x.example", &next, ip),
            LoginOutcome::Success(_)
        ));
        assert_eq!(
            attempt_second_factor(&app, "alice@x.example", &next, ip),
            LoginOutcome::BadCredentials
        );
        assert!(matches!(
            attempt_second_factor(&app, "alice@x.example", &codes[0], ip),
            LoginOutcome::Success(_)
        ));
        assert_eq!(
            attempt_second_factor(&app, "alice@x.example", &codes[0], ip),
            LoginOutcome::BadCredentials
        );
        // Turning it off needs the password.
        assert!(totp_disable(&app, "alice@x.example", "wrong").is_err());
        totp_disable(&app, "alice@x.example", PW).unwrap();
        let o = attempt_password(&app, "alice@x.example", PW, ip).await;
        assert!(matches!(o, LoginOutcome::Success(_)), "{o:?}");
    }
}
