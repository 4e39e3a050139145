//! Password hashing with argon2id (RFC 9106) and the minimal built-in policy.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::{Error, Result};

/// Minimum password length in characters (NIST SP 800-63B §5.1.1.2 recommends ≥ 8; we ask 10).
pub const MIN_LEN: usize = 10;
/// Maximum accepted length in bytes, so hashing cost stays bounded.
pub const MAX_LEN: usize = 1024;

/// Rejects passwords that are too short or too long; the message says what to fix.
pub fn check_policy(pw: &str) -> Result<()> {
    if pw.chars().count() < MIN_LEN {
        return Err(Error::invalid(format!(
            "password: use at least {MIN_LEN} characters"
        )));
    }
    if pw.len() > MAX_LEN {
        return Err(Error::invalid(format!(
            "password: use at most {MAX_LEN} bytes"
        )));
    }
    Ok(())
}

/// Hashes `pw` with argon2id (default parameters: m=19456 KiB, t=2, p=1) and a random salt;
/// returns the PHC string.
pub fn hash(pw: &str) -> Result<String> {
    Argon2::default()
        .hash_password(pw.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("argon2: {e}")))
}

/// Whether `pw` matches the PHC string `phc`. A malformed hash verifies as false.
pub fn verify(pw: &str, phc: &str) -> bool {
    if pw.len() > MAX_LEN {
        return false;
    }
    match argon2::password_hash::phc::PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(pw.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_policy_applies() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough pw").is_ok());
    }
}
