//! One error type for the whole program (DESIGN decision 6).
//!
//! An [`Error`] carries a [`ErrorKind`], a message that is safe to show to a user, and an
//! optional detail for the log. Only adapters (web, SMTP, CLI) map kinds to HTTP status
//! codes, SMTP replies or exit codes.

use std::fmt;

/// What went wrong, in terms an adapter can map to a protocol answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ErrorKind {
    /// The thing does not exist (or the caller may not know that it does). HTTP 404.
    NotFound,
    /// The caller may not do this. HTTP 403.
    Forbidden,
    /// The input is wrong; the message says what to fix. HTTP 400/422, SMTP 5xx, exit 2.
    Invalid,
    /// The state does not allow it (already set up, duplicate, lock held). HTTP 409.
    Conflict,
    /// A dependency is down or busy; retrying later may work. HTTP 503, SMTP 451.
    Unavailable,
    /// A bug or an I/O failure. HTTP 500, SMTP 451.
    Internal,
}

/// The program's error: a kind, a user-safe message and a detail for logs only.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    /// Safe to show to the person or program that made the request.
    pub message: String,
    /// Internal detail (paths, library errors); logged, never shown to remote users.
    pub detail: Option<String>,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a user-safe `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            detail: None,
        }
    }
    /// [`ErrorKind::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    /// [`ErrorKind::Forbidden`].
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }
    /// [`ErrorKind::Invalid`]: `message` tells the user what to fix.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }
    /// [`ErrorKind::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }
    /// [`ErrorKind::Unavailable`].
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }
    /// [`ErrorKind::Internal`] with a generic user message and `detail` for the log.
    pub fn internal(detail: impl fmt::Display) -> Self {
        Error {
            kind: ErrorKind::Internal,
            message: "internal error".into(),
            detail: Some(detail.to_string()),
        }
    }
    /// Adds log-only context to the detail.
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.detail = Some(match self.detail.take() {
            Some(d) => format!("{ctx}: {d}"),
            None => ctx.to_string(),
        });
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) if self.kind == ErrorKind::Internal => write!(f, "{}: {d}", self.message),
            Some(d) => write!(f, "{} ({d})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::internal(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::internal(e)
    }
}
