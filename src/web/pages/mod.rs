//! Server-rendered pages (maud: every interpolation is HTML-escaped).

// backup
pub mod backup;
pub mod layout;
pub mod login;
pub mod mail_delivery; // outbound
// mail rules
pub mod mail_rules;
pub mod setup;
pub mod ticket;
pub mod tickets;
// mail in: IMAP admin page
pub mod imap;
// access
pub mod admin_queues;
pub mod admin_roles;
pub mod admin_users;
pub mod audit;
// login-security
pub mod account;
pub mod ldap;
pub mod login_text;
pub mod security;
// contacts and privacy
pub mod contact;
pub mod privacy;
pub mod privacy_text;
// records: record of processing (Art. 30) and sub-processors (Art. 28)
pub mod records;
// retention
pub mod retention;

use hyper::StatusCode;
use maud::{Markup, html};

use super::http::{self, Req, Resp};
use super::i18n::{Key, t};
use crate::error::{Error, ErrorKind};

/// A simple page with a title and a message (errors, notices).
pub fn message_page(req: &Req, status: StatusCode, title: &str, message: &str) -> Resp {
    message_page_with(req, status, title, message, true)
}

/// [`message_page`], with or without the link to the start page.
pub fn message_page_with(
    req: &Req,
    status: StatusCode,
    title: &str,
    message: &str,
    home_link: bool,
) -> Resp {
    let home = t(req.lang, Key::GoHome);
    let body = html! {
        section.card.narrow.message {
            h1 { (title) }
            p { (message) }
            @if home_link {
                p { a.button.secondary href="/" { (home) } }
            }
        }
    };
    http::html(status, layout::page(req, title, body))
}

/// A refused form's message with a link back to the (local) page the form was on, for
/// forms posted from several pages (e.g. a contact's legal hold).
pub fn refused_with_back(req: &Req, e: &Error, back: &str) -> Resp {
    log_error(req, e);
    let l = req.lang;
    let title = match e.kind {
        ErrorKind::Conflict => t(l, Key::ConflictTitle),
        _ => t(l, Key::BadRequestTitle),
    };
    let body = html! {
        section.card.narrow.message {
            h1 { (title) }
            p role="alert" { (e.message) }
            p { a.button.secondary href=(back) { (t(l, Key::GoBack)) } }
        }
    };
    http::html(status_of(e.kind), layout::page(req, title, body))
}

/// 404 page.
pub fn not_found(req: &Req) -> Resp {
    message_page(
        req,
        StatusCode::NOT_FOUND,
        t(req.lang, Key::NotFoundTitle),
        t(req.lang, Key::NotFoundText),
    )
}

/// 403 page for a missing or wrong CSRF token.
pub fn csrf_failed(req: &Req) -> Resp {
    message_page(
        req,
        StatusCode::FORBIDDEN,
        t(req.lang, Key::ForbiddenTitle),
        t(req.lang, Key::CsrfText),
    )
}

/// 413 page.
pub fn too_large(req: &Req) -> Resp {
    message_page(
        req,
        StatusCode::PAYLOAD_TOO_LARGE,
        t(req.lang, Key::BadRequestTitle),
        t(req.lang, Key::TooLarge),
    )
}

/// The HTTP status for a domain error kind.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Logs `e` (with its detail) at a level fitting its kind.
pub fn log_error(req: &Req, e: &Error) {
    match e.kind {
        ErrorKind::Internal | ErrorKind::Unavailable => tracing::error!(
            method = %req.method, path = %req.path, kind = ?e.kind,
            detail = e.detail.as_deref().unwrap_or(""), "{}", e.message
        ),
        _ => tracing::debug!(
            method = %req.method, path = %req.path, kind = ?e.kind,
            detail = e.detail.as_deref().unwrap_or(""), "{}", e.message
        ),
    }
}

/// The error page for a domain error: its user-safe message, except for internal errors,
/// which get a generic page (the detail goes to the log only).
pub fn error_page(req: &Req, e: &Error) -> Resp {
    log_error(req, e);
    let l = req.lang;
    let status = status_of(e.kind);
    match e.kind {
        ErrorKind::NotFound => not_found(req),
        ErrorKind::Forbidden => message_page(req, status, t(l, Key::ForbiddenTitle), &e.message),
        ErrorKind::Invalid => message_page(req, status, t(l, Key::BadRequestTitle), &e.message),
        ErrorKind::Conflict => message_page(req, status, t(l, Key::ConflictTitle), &e.message),
        ErrorKind::Unavailable => message_page(
            req,
            status,
            t(l, Key::UnavailableTitle),
            &format!("{} {}", e.message, t(l, Key::UnavailableText)),
        ),
        ErrorKind::Internal => {
            message_page(req, status, t(l, Key::ErrorTitle), t(l, Key::ErrorText))
        }
    }
}

/// A `<time>` element for Unix milliseconds, shown in the server's time zone.
pub fn time_ms(ms: i64) -> Markup {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => time_ts(ts),
        Err(_) => html! {},
    }
}

/// A `<time>` element for an RFC 3339 string.
pub fn time_rfc3339(s: &str) -> Markup {
    match s.parse::<jiff::Timestamp>() {
        Ok(ts) => time_ts(ts),
        Err(_) => html! { (s) },
    }
}

fn time_ts(ts: jiff::Timestamp) -> Markup {
    let z = ts.to_zoned_datetime(local_tz());
    let short = z.strftime("%Y-%m-%d %H:%M").to_string();
    let long = z.strftime("%Y-%m-%d %H:%M:%S %Z").to_string();
    html! { time datetime=(ts.to_string()) title=(long) { (short) } }
}

fn local_tz() -> jiff::tz::TimeZone {
    static TZ: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    TZ.get_or_init(|| jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC))
        .clone()
}

/// A human-readable size: `512 B`, `14.2 kB`, `3.1 MB`.
pub fn human_size(n: u64) -> String {
    const K: f64 = 1000.0;
    let f = n as f64;
    if f < K {
        format!("{n} B")
    } else if f < K * K {
        format!("{:.1} kB", f / K)
    } else if f < K * K * K {
        format!("{:.1} MB", f / (K * K))
    } else {
        format!("{:.1} GB", f / (K * K * K))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_readable() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(14_200), "14.2 kB");
        assert_eq!(human_size(3_100_000), "3.1 MB");
    }
}
