//! The login-security policy (password rules, TOTP per role, IP allow-lists, throttling)
//! and each user's security record (password history and age, TOTP, recovery codes).
//!
//! The policy lives in the Settings table under [`POLICY_KEY`]; per-user records live in
//! [`Table::LoginSecurity`] keyed by the lower-case e-mail address, so [`User`] is unchanged.

use serde::{Deserialize, Serialize};

use super::{User, password};
use crate::app::App;
use crate::error::{Error, Result};
use crate::store::{Reader, Table, WriteTx};

/// Settings-table key of [`SecurityPolicy`].
pub const POLICY_KEY: &[u8] = b"security_policy";

/// Organisation-wide login-security settings, edited on `/admin/security`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    /// Minimum password length in characters (NIST SP 800-63B §5.1.1.2: at least 8).
    pub min_length: u32,
    /// Require a lower-case letter.
    pub require_lower: bool,
    /// Require an upper-case letter.
    pub require_upper: bool,
    /// Require an ASCII digit.
    pub require_digit: bool,
    /// Require a character that is neither letter nor digit.
    pub require_symbol: bool,
    /// Minimum zxcvbn score, 0 (anything) to 4 (very strong).
    pub min_strength: u8,
    /// How many previous passwords may not be reused (0: no check).
    pub history: u32,
    /// Days after which a password must be changed at the next login (0: never).
    pub max_age_days: u32,
    /// Role names whose users must use TOTP (see [`user_role_names`]).
    pub totp_roles: Vec<String>,
    /// CIDR networks any login must come from; empty allows every address.
    pub allow_global: Vec<String>,
    /// Per role name: CIDR networks its users must come from.
    pub allow_roles: Vec<(String, Vec<String>)>,
    /// Reverse proxies (CIDR) whose `X-Forwarded-For`/`Forwarded` headers are believed.
    pub trusted_proxies: Vec<String>,
    /// Failed logins for one account before it is locked out.
    pub account_max_failures: u32,
    /// Minutes an account stays locked out.
    pub account_lockout_minutes: u32,
    /// Failed logins from one address (within the window) before it is refused.
    pub address_max_failures: u32,
    /// Window and lockout for the per-address counter, minutes.
    pub address_window_minutes: u32,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            min_length: 10,
            require_lower: false,
            require_upper: false,
            require_digit: false,
            require_symbol: false,
            min_strength: 3,
            history: 5,
            max_age_days: 0,
            totp_roles: Vec::new(),
            allow_global: Vec::new(),
            allow_roles: Vec::new(),
            trusted_proxies: Vec::new(),
            account_max_failures: 5,
            account_lockout_minutes: 15,
            address_max_failures: 20,
            address_window_minutes: 10,
        }
    }
}

impl SecurityPolicy {
    /// Checks ranges and CIDR syntax. Errors: `Invalid` naming the field.
    pub fn validated(self) -> Result<SecurityPolicy> {
        if !(8..=256).contains(&self.min_length) {
            return Err(Error::invalid("minimum length: between 8 and 256"));
        }
        if self.min_strength > 4 {
            return Err(Error::invalid("minimum strength: 0 to 4"));
        }
        if self.history > 50 {
            return Err(Error::invalid("password history: at most 50"));
        }
        if self.account_max_failures == 0 || self.address_max_failures == 0 {
            return Err(Error::invalid("failures before lockout: at least 1"));
        }
        // A week at most: a longer lockout is a denial of service an attacker can cause.
        if !(1..=7 * 24 * 60).contains(&self.account_lockout_minutes) {
            return Err(Error::invalid("lockout minutes: 1 to 10080 (a week)"));
        }
        if !(1..=7 * 24 * 60).contains(&self.address_window_minutes) {
            return Err(Error::invalid(
                "address window minutes: 1 to 10080 (a week)",
            ));
        }
        super::ipnet::parse_list(&self.allow_global)?;
        super::ipnet::parse_list(&self.trusted_proxies)?;
        for (role, nets) in &self.allow_roles {
            if role.trim().is_empty() {
                return Err(Error::invalid("allow-list per role: role name missing"));
            }
            super::ipnet::parse_list(nets)?;
        }
        Ok(self)
    }
}

/// The stored policy, or the default when none was saved.
pub fn load(r: &impl Reader) -> Result<SecurityPolicy> {
    Ok(r.get_rec(Table::Settings, POLICY_KEY)?.unwrap_or_default())
}

/// Stores `p` after [`SecurityPolicy::validated`].
pub fn save(tx: &mut WriteTx, p: SecurityPolicy) -> Result<()> {
    let p = p.validated()?;
    tx.put_rec(Table::Settings, POLICY_KEY, &p)
}

/// The role names of `u`, as the policy names them.
pub fn user_role_names(u: &User) -> Vec<String> {
    u.roles.clone()
}

/// Whether a role of `u` requires TOTP under `p`.
pub fn totp_required(p: &SecurityPolicy, u: &User) -> bool {
    let roles = user_role_names(u);
    p.totp_roles
        .iter()
        .any(|r| roles.iter().any(|x| x.eq_ignore_ascii_case(r.trim())))
}

// ---- per-user security record ---------------------------------------------------------

/// Security data of one account (table [`Table::LoginSecurity`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSecurity {
    /// When the password was last set (Unix ms); 0: unknown, the account's creation time.
    pub password_changed_ms: i64,
    /// argon2id hashes of previous passwords, newest first.
    pub history: Vec<String>,
    /// Confirmed TOTP secret (RFC 6238 key bytes); `None`: no second factor.
    pub totp_secret: Option<Vec<u8>>,
    /// Secret shown during enrolment, until confirmed by a code.
    pub totp_pending: Option<Vec<u8>>,
    /// Last accepted TOTP time step; a code for this step or earlier is refused (RFC 6238 §5.2).
    pub totp_last_step: u64,
    /// argon2id hashes of unused recovery codes.
    pub recovery: Vec<String>,
    /// Distinguished name when the account comes from the directory (LDAP login only).
    pub directory_dn: Option<String>,
    /// Set when an admin gave the account a temporary password: it must be changed at the
    /// next sign-in (NIST SP 800-63B §6.1.2.3: a new authenticator after a lost one).
    #[serde(default)]
    pub must_change: bool,
}

/// The record of `email` (default when none).
pub fn load_user(r: &impl Reader, email: &str) -> Result<UserSecurity> {
    Ok(r.get_rec(Table::LoginSecurity, email.as_bytes())?
        .unwrap_or_default())
}

/// Stores the record of `email`.
pub fn save_user(tx: &mut WriteTx, email: &str, s: &UserSecurity) -> Result<()> {
    tx.put_rec(Table::LoginSecurity, email.as_bytes(), s)
}

/// Whether the local password of `u` is older than the policy's maximum age at `now_ms`.
/// Directory accounts never expire here (the directory has its own policy).
pub fn password_expired(p: &SecurityPolicy, u: &User, s: &UserSecurity, now_ms: i64) -> bool {
    if s.must_change && s.directory_dn.is_none() {
        return true;
    }
    if p.max_age_days == 0 || s.directory_dn.is_some() {
        return false;
    }
    let changed = if s.password_changed_ms > 0 {
        s.password_changed_ms
    } else {
        u.created_ms
    };
    now_ms - changed > i64::from(p.max_age_days) * 86_400_000
}

// ---- password rules -------------------------------------------------------------------

/// Organisation-specific words a password must not be built on: "trygg", the organisation
/// name and its words, mailbox domains and their labels, and the user's name and address.
pub fn org_words(r: &impl Reader, email: &str, name: &str) -> Result<Vec<String>> {
    Ok(match crate::helpdesk::settings::load(r)? {
        Some(s) => org_words_from(&s.org_name, &s.mailboxes, email, name),
        None => org_words_from("", &[], email, name),
    })
}

/// [`org_words`] from explicit values (first-run setup, before any settings exist).
pub fn org_words_from(
    org_name: &str,
    mailboxes: &[String],
    email: &str,
    name: &str,
) -> Vec<String> {
    let mut words = vec!["trygg".to_string(), "helpdesk".to_string()];
    let mut add = |w: &str| {
        let w = w.trim().to_lowercase();
        if w.chars().count() >= 3 && !words.contains(&w) {
            words.push(w);
        }
    };
    add(org_name);
    for w in org_name.split(|c: char| !c.is_alphanumeric()) {
        add(w);
    }
    for m in mailboxes {
        if let Some((local, domain)) = m.rsplit_once('@') {
            add(local);
            add(domain);
            for label in domain.split('.') {
                add(label);
            }
        }
    }
    add(email);
    if let Some((local, domain)) = email.rsplit_once('@') {
        add(domain);
        for w in local.split(|c: char| !c.is_alphanumeric()) {
            add(w);
        }
        for label in domain.split('.') {
            add(label);
        }
    }
    add(name);
    for w in name.split_whitespace() {
        add(w);
    }
    words
}

/// Checks `pw` against the policy's length, classes and zxcvbn strength, with `words`
/// (from [`org_words`]) as user inputs; a password containing one of them is refused
/// outright. Errors: `Invalid` saying what to fix.
pub fn check_password(p: &SecurityPolicy, pw: &str, words: &[String]) -> Result<()> {
    let n = pw.chars().count();
    if n < p.min_length as usize {
        return Err(Error::invalid(format!(
            "password: use at least {} characters",
            p.min_length
        )));
    }
    if pw.len() > password::MAX_LEN {
        return Err(Error::invalid(format!(
            "password: use at most {} bytes",
            password::MAX_LEN
        )));
    }
    let classes = [
        (
            p.require_lower,
            pw.chars().any(char::is_lowercase),
            "a lower-case letter",
        ),
        (
            p.require_upper,
            pw.chars().any(char::is_uppercase),
            "an upper-case letter",
        ),
        (
            p.require_digit,
            pw.chars().any(|c| c.is_ascii_digit()),
            "a digit",
        ),
        (
            p.require_symbol,
            pw.chars().any(|c| !c.is_alphanumeric()),
            "a symbol",
        ),
    ];
    for (required, present, what) in classes {
        if required && !present {
            return Err(Error::invalid(format!("password: include {what}")));
        }
    }
    let lower = pw.to_lowercase();
    if let Some(w) = words
        .iter()
        .find(|w| w.len() >= 4 && lower.contains(w.as_str()))
    {
        return Err(Error::invalid(format!(
            "password: do not build it on \u{201c}{w}\u{201d} (a name of this organisation or account)"
        )));
    }
    let inputs: Vec<&str> = words.iter().map(String::as_str).collect();
    let score = u8::from(zxcvbn::zxcvbn(pw, &inputs).score());
    if score < p.min_strength {
        return Err(Error::invalid(format!(
            "password: too easy to guess (strength {score} of 4, {} needed); use a longer passphrase of unrelated words",
            p.min_strength
        )));
    }
    Ok(())
}

/// Sets a new password for `email` after checking the policy and the history (the current
/// and the last N passwords may not be reused). `current`: when `Some`, it must match.
/// Errors: `Forbidden` for a wrong current password, `Invalid` for a refused new one,
/// `NotFound` for an unknown or directory account.
pub fn change_password(app: &App, email: &str, current: Option<&str>, new: &str) -> Result<()> {
    let email = email.trim().to_lowercase();
    let (user, sec, pol, words) = app.store.read(|r| {
        let u = super::find_user(r, &email)?.ok_or_else(|| Error::not_found("no such user"))?;
        let words = org_words(r, &u.email, &u.name)?;
        Ok((u, load_user(r, &email)?, load(r)?, words))
    })?;
    if sec.directory_dn.is_some() {
        return Err(Error::invalid(
            "password: this account signs in with the directory; change it there",
        ));
    }
    if let Some(cur) = current
        && !password::verify(cur, &user.password_hash)
    {
        return Err(Error::forbidden("the current password is wrong"));
    }
    let keep = pol.history as usize;
    if keep > 0 {
        let reused = std::iter::once(&user.password_hash)
            .chain(sec.history.iter().take(keep))
            .any(|h| password::verify(new, h));
        if reused {
            return Err(Error::invalid(format!(
                "password: do not reuse one of your last {keep} passwords"
            )));
        }
    }
    check_password(&pol, new, &words)?;
    let hash = password::hash(new)?;
    let now = app.now_ms();
    app.store.write(now, |tx| {
        let mut u: User = tx
            .get_rec(Table::Users, email.as_bytes())?
            .ok_or_else(|| Error::not_found("no such user"))?;
        let mut s = load_user(tx, &email)?;
        s.history.insert(0, u.password_hash.clone());
        s.history.truncate(keep.max(1));
        s.password_changed_ms = now;
        s.must_change = false;
        u.password_hash = hash;
        tx.put_rec(Table::Users, email.as_bytes(), &u)?;
        save_user(tx, &email, &s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Vec<String> {
        vec![
            "trygg".into(),
            "hjälpdesken".into(),
            "example".into(),
            "alice".into(),
        ]
    }

    #[test]
    fn weak_and_org_passwords_are_refused() {
        let p = SecurityPolicy::default();
        assert!(check_password(&p, "short", &words()).is_err());
        assert!(check_password(&p, "password123", &words()).is_err());
        assert!(check_password(&p, "Trygg-2026-Trygg!", &words()).is_err());
        assert!(check_password(&p, "alice alice alice", &words()).is_err());
        assert!(check_password(&p, "orbit velvet cactus lantern", &words()).is_ok());
        let strict = SecurityPolicy {
            require_digit: true,
            require_upper: true,
            ..SecurityPolicy::default()
        };
        let e = check_password(&strict, "orbit velvet cactus lantern", &words()).unwrap_err();
        assert!(e.message.contains("upper-case"), "{}", e.message);
        assert!(check_password(&strict, "Orbit velvet cactus lantern 7", &words()).is_ok());
    }

    #[test]
    fn policy_validation_checks_cidrs() {
        let bad = SecurityPolicy {
            allow_global: vec!["10.0.0.0/33".into()],
            ..SecurityPolicy::default()
        };
        assert!(bad.validated().is_err());
        let ok = SecurityPolicy {
            allow_global: vec!["10.0.0.0/8".into(), "2001:db8::/32".into()],
            ..SecurityPolicy::default()
        };
        assert!(ok.validated().is_ok());
    }
}
