//! Users, roles, login and sessions.
//!
//! Sessions are ephemeral (DESIGN decision 3): kept in memory, never in the change log, so a
//! restart signs everyone out.

pub mod password;
pub mod session;
// login-security
pub mod ipnet;
pub mod ldap;
pub mod policy;
pub mod signin;
pub mod throttle;
pub mod totp;

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::{Error, Result};
use crate::store::{Reader, Table, WriteTx};

/// What a user may do. (Per-queue permissions come with queues.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Manages settings and users, and works tickets.
    Admin,
    /// Works tickets.
    Agent,
}

/// An agent or admin account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Lower-case e-mail address; the login name.
    pub email: String,
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_ms: i64,
}

/// Creates a user. Errors: `Conflict` if the address is taken.
pub fn create_user(
    tx: &mut WriteTx,
    email: &str,
    name: &str,
    password_hash: &str,
    role: Role,
    now_ms: i64,
) -> Result<()> {
    if tx.get(Table::Users, email.as_bytes())?.is_some() {
        return Err(Error::conflict(format!("a user {email} already exists")));
    }
    let user = User {
        email: email.to_string(),
        name: name.to_string(),
        password_hash: password_hash.to_string(),
        role,
        disabled: false,
        created_ms: now_ms,
    };
    tx.put_rec(Table::Users, email.as_bytes(), &user)
}

/// The user with login `email`, if any.
pub fn find_user(r: &impl Reader, email: &str) -> Result<Option<User>> {
    r.get_rec(Table::Users, email.trim().to_lowercase().as_bytes())
}

/// A hash of a random password, verified against when the user does not exist, so an
/// unknown user costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| password::hash("dummy password for timing").unwrap_or_default())
}

/// Checks a login. Unknown users, disabled users and wrong passwords all give the same
/// `Forbidden` "wrong e-mail or password" answer (no user enumeration).
pub fn authenticate(app: &App, email: &str, pw: &str) -> Result<User> {
    let user = app.store.read(|r| find_user(r, email))?;
    match user {
        Some(u) if password::verify(pw, &u.password_hash) && !u.disabled => Ok(u),
        Some(_) => Err(Error::forbidden("wrong e-mail or password")),
        None => {
            let _ = password::verify(pw, dummy_hash());
            Err(Error::forbidden("wrong e-mail or password"))
        }
    }
}
