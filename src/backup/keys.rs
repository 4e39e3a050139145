//! age keys: X25519 recipients (public, held by the server) and identities (secret, held
//! offline by the admin), plus the passphrase (scrypt) mode for small setups.

use std::str::FromStr;

use age::secrecy::SecretString;

use crate::error::{Error, ErrorKind, Result};

/// scrypt work factor (log2 N) for passphrase mode: about 0.1 s per file on a small
/// server, since the server encrypts a file every shipping interval.
pub const SCRYPT_LOG_N: u8 = 15;

/// How backup files are encrypted.
#[derive(Clone)]
pub enum EncryptTo {
    /// One or more X25519 public keys (`age1…`).
    Recipients(Vec<age::x25519::Recipient>),
    /// A passphrase (age scrypt recipient).
    Passphrase(SecretString),
}

impl EncryptTo {
    /// Parses recipient strings. Errors: `Invalid` naming the bad key, or when empty.
    pub fn recipients(list: &[String]) -> Result<EncryptTo> {
        if list.is_empty() {
            return Err(Error::invalid(
                "no backup recipient (public key) configured",
            ));
        }
        let mut out = Vec::new();
        for r in list {
            out.push(parse_recipient(r)?);
        }
        Ok(EncryptTo::Recipients(out))
    }

    /// An age encryptor for one file.
    pub fn encryptor(&self) -> Result<age::Encryptor> {
        match self {
            EncryptTo::Recipients(rs) => {
                age::Encryptor::with_recipients(rs.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|e| Error::internal(format!("age: {e}")))
            }
            EncryptTo::Passphrase(p) => {
                let mut r = age::scrypt::Recipient::new(p.clone());
                r.set_work_factor(SCRYPT_LOG_N);
                age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
                    .map_err(|e| Error::internal(format!("age: {e}")))
            }
        }
    }
}

/// Parses one `age1…` public key. Errors: `Invalid`.
pub fn parse_recipient(s: &str) -> Result<age::x25519::Recipient> {
    age::x25519::Recipient::from_str(s.trim()).map_err(|_| {
        Error::invalid(format!(
            "{:?} is not an age X25519 public key (age1…); make one with trygg backup keygen",
            s.trim()
        ))
    })
}

/// Secrets that decrypt backups (restore, verify, drill). Never given to the server.
pub struct DecryptWith {
    identities: Vec<Box<dyn age::Identity>>,
    /// Where the secret came from, for messages.
    pub source: String,
    /// A passphrase (scrypt) rather than identities.
    pub passphrase: bool,
}

impl DecryptWith {
    /// Reads an identity file: `AGE-SECRET-KEY-1…` lines (comments and blank lines
    /// ignored), as written by `trygg backup keygen` or `age-keygen`.
    ///
    /// Errors: `NotFound` when the file is missing, `Invalid` when it holds no valid key.
    pub fn identity_file(path: &std::path::Path) -> Result<DecryptWith> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::NotFound {
                ErrorKind::NotFound
            } else {
                ErrorKind::Invalid
            };
            Error::new(
                kind,
                format!("cannot read identity file {}: {e}", path.display()),
            )
        })?;
        let mut identities: Vec<Box<dyn age::Identity>> = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let id = age::x25519::Identity::from_str(line).map_err(|_| {
                Error::invalid(format!(
                    "identity file {} holds a line that is not an age secret key",
                    path.display()
                ))
            })?;
            identities.push(Box::new(id));
        }
        if identities.is_empty() {
            return Err(Error::invalid(format!(
                "identity file {} holds no age secret key",
                path.display()
            )));
        }
        Ok(DecryptWith {
            identities,
            source: path.display().to_string(),
            passphrase: false,
        })
    }

    /// A passphrase (first line of `path`, `-` for standard input).
    pub fn passphrase_file(path: &std::path::Path) -> Result<DecryptWith> {
        let p = crate::cli::read_secret_file("backup passphrase", path)?;
        let mut id = age::scrypt::Identity::new(SecretString::from(p));
        id.set_max_work_factor(22);
        Ok(DecryptWith {
            identities: vec![Box::new(id)],
            source: "the passphrase".into(),
            passphrase: true,
        })
    }

    /// The identities, for [`age::Decryptor::decrypt`].
    pub fn iter(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.identities
            .iter()
            .map(|b| b.as_ref() as &dyn age::Identity)
    }
}

/// A new key pair: `(identity file text, public key)`.
pub fn keygen(now_rfc3339: &str) -> (String, String) {
    use age::secrecy::ExposeSecret;
    let id = age::x25519::Identity::generate();
    let public = id.to_public().to_string();
    let text = format!(
        "# trygg backup identity, created {now_rfc3339}\n\
         # public key: {public}\n\
         # Keep this file OFFLINE (printed, on a USB stick in a safe). Whoever holds it can\n\
         # read every backup; without it no backup can be restored.\n{}\n",
        id.to_string().expose_secret()
    );
    (text, public)
}
