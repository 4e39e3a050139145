//! `/api/v1`: JSON for programs. Authenticated by the session cookie for now (read-only, so
//! no CSRF token is needed); errors are `{"error": message, "kind": kind}`. Every answer
//! comes from the same audited domain functions as the pages: a ticket the caller may not
//! read answers exactly like one that does not exist.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::json;

use super::blocking;
use super::http::{self, Req, Resp};
use super::pages::{log_error, status_of};
use crate::app::App;
use crate::audit::access::Actor;
use crate::error::{Error, ErrorKind};
use crate::helpdesk::tickets::{self, StatusFilter};

/// Default and largest number of tickets in a list answer.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

fn kind_name(k: ErrorKind) -> &'static str {
    match k {
        ErrorKind::NotFound => "not_found",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::Invalid => "invalid",
        ErrorKind::Conflict => "conflict",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::Internal => "internal",
    }
}

/// The JSON answer for a domain error (internal details are logged, never sent).
fn error(req: &Req, e: &Error) -> Resp {
    log_error(req, e);
    http::json(
        status_of(e.kind),
        &json!({ "error": e.message, "kind": kind_name(e.kind) }),
    )
}

fn simple(status: StatusCode, kind: &str, message: &str) -> Resp {
    http::json(status, &json!({ "error": message, "kind": kind }))
}

/// Dispatches `/api/v1/{rest}`.
pub async fn route(app: &Arc<App>, req: &Req, rest: &[&str]) -> Resp {
    let Some(actor) = req.actor() else {
        return simple(StatusCode::UNAUTHORIZED, "unauthorized", "sign in first");
    };
    if req.method != Method::GET && req.method != Method::HEAD {
        let mut r = simple(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "only GET is supported",
        );
        r.headers_mut().insert(
            hyper::header::ALLOW,
            hyper::header::HeaderValue::from_static("GET, HEAD"),
        );
        return r;
    }
    match rest {
        ["tickets"] => list(app, req, actor).await,
        ["tickets", n] if n.bytes().all(|b| b.is_ascii_digit()) => match n.parse::<u64>() {
            Ok(number) => show(app, req, actor, number).await,
            Err(_) => simple(StatusCode::NOT_FOUND, "not_found", "no such ticket"),
        },
        _ => simple(StatusCode::NOT_FOUND, "not_found", "no such endpoint"),
    }
}

async fn list(app: &Arc<App>, req: &Req, actor: Actor) -> Resp {
    let filter = match req.q("status") {
        None | Some("all") => StatusFilter::All,
        Some("open") => StatusFilter::Open,
        Some("closed") => StatusFilter::Closed,
        Some(_) => {
            return simple(
                StatusCode::BAD_REQUEST,
                "invalid",
                "status must be open, closed or all",
            );
        }
    };
    let limit = match req.q("limit").map(str::parse::<usize>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return simple(
                StatusCode::BAD_REQUEST,
                "invalid",
                "limit must be a number from 1 to 1000",
            );
        }
    };
    match blocking(app, move |a| tickets::list(a, &actor, filter, limit)).await {
        Ok(list) => http::json(StatusCode::OK, &json!(list)),
        Err(e) => error(req, &e),
    }
}

async fn show(app: &Arc<App>, req: &Req, actor: Actor, n: u64) -> Resp {
    match blocking(app, move |a| tickets::show(a, &actor, n)).await {
        Ok(v) => match serde_json::to_value(&v) {
            Ok(v) => http::json(StatusCode::OK, &v),
            Err(e) => error(req, &Error::internal(e)),
        },
        Err(e) => error(req, &e),
    }
}
