//! Users, roles, login and sessions. Roles and permissions: [`roles`].
//!
//! Sessions are ephemeral (DESIGN decision 3): kept in memory, never in the change log, so a
//! restart signs everyone out.

pub mod admin;
pub mod password;
pub mod roles;
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

/// The account kinds of schema 1, still accepted by [`create_user`] (setup creates the
/// first `Admin`). They map to the built-in roles `admin` and `agent`; what a user may do is
/// decided by [`User::roles`] only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// The built-in role `admin`.
    Admin,
    /// The built-in role `agent`.
    Agent,
}

impl Role {
    /// The built-in role name this maps to.
    pub fn role_name(self) -> &'static str {
        match self {
            Role::Admin => roles::ADMIN,
            Role::Agent => roles::AGENT,
        }
    }
}

/// An agent, admin or auditor account (schema 2: `roles` replaced schema 1's `role`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Lower-case e-mail address; the login name.
    pub email: String,
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Names of the roles held ([`roles::RoleDef`]).
    pub roles: Vec<String>,
    /// A disabled user cannot sign in; disabling ends their sessions.
    pub disabled: bool,
    pub created_ms: i64,
}

/// Creates a user holding the built-in role for `role`, creating the built-in roles and
/// the default queue first if they are missing (so setup gets them in its transaction).
/// Errors: `Conflict` if the address is taken.
pub fn create_user(
    tx: &mut WriteTx,
    email: &str,
    name: &str,
    password_hash: &str,
    role: Role,
    now_ms: i64,
) -> Result<()> {
    create_user_with_roles(
        tx,
        email,
        name,
        password_hash,
        &[role.role_name().to_string()],
        now_ms,
    )
}

/// Creates a user holding `role_names`. Errors: `Conflict` if the address is taken,
/// `Invalid` for an unknown role.
pub fn create_user_with_roles(
    tx: &mut WriteTx,
    email: &str,
    name: &str,
    password_hash: &str,
    role_names: &[String],
    now_ms: i64,
) -> Result<()> {
    ensure_builtins(tx)?;
    if tx.get(Table::Users, email.as_bytes())?.is_some() {
        return Err(Error::conflict(format!("a user {email} already exists")));
    }
    check_roles_exist(tx, role_names)?;
    let user = User {
        email: email.to_string(),
        name: name.to_string(),
        password_hash: password_hash.to_string(),
        roles: role_names.to_vec(),
        disabled: false,
        created_ms: now_ms,
    };
    tx.put_rec(Table::Users, email.as_bytes(), &user)
}

/// Creates the default queue and the built-in roles if missing (idempotent).
pub fn ensure_builtins(tx: &mut WriteTx) -> Result<()> {
    crate::helpdesk::queues::ensure_default(tx)?;
    roles::ensure_builtin(tx, crate::helpdesk::queues::DEFAULT_QUEUE)
}

fn check_roles_exist(r: &impl Reader, names: &[String]) -> Result<()> {
    for n in names {
        if roles::get(r, n)?.is_none() {
            return Err(Error::invalid(format!("no role {n:?}")));
        }
    }
    Ok(())
}

/// Every user, by address.
pub fn list_users(r: &impl Reader) -> Result<Vec<User>> {
    r.scan(Table::Users, &[], false, usize::MAX)?
        .into_iter()
        .map(|(_, v)| crate::store::codec::decode(&v))
        .collect()
}

/// Replaces the roles of `email`. Errors: `NotFound`, `Invalid` for an unknown role.
pub fn set_roles(tx: &mut WriteTx, email: &str, role_names: &[String]) -> Result<()> {
    let mut u = find_user(tx, email)?.ok_or_else(|| Error::not_found("no such user"))?;
    check_roles_exist(tx, role_names)?;
    u.roles = role_names.to_vec();
    tx.put_rec(Table::Users, u.email.as_bytes(), &u)
}

/// Disables or enables `email` (the caller ends the sessions of a disabled user at once:
/// `app.sessions.remove_user`). Errors: `NotFound`.
pub fn set_disabled(tx: &mut WriteTx, email: &str, disabled: bool) -> Result<()> {
    let mut u = find_user(tx, email)?.ok_or_else(|| Error::not_found("no such user"))?;
    u.disabled = disabled;
    tx.put_rec(Table::Users, u.email.as_bytes(), &u)
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
