//! Handlers of the access-related routes: admin pages (users, roles, queues), the audit
//! page, moving a ticket between queues, raw message downloads, and the sign-in audit.
//! Every handler calls a domain function that checks permission and audits; a refusal
//! comes back as `NotFound` and is shown as the ordinary 404 page.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use hyper::header::{self, HeaderValue};
use hyper::{StatusCode, Uri};

use super::{parse_number, post_allowed, to_login};
use crate::app::App;
use crate::audit::access::{Actor, grants};
use crate::audit::{self, Event, Filter, Outcome};
use crate::auth::admin::{self, RoleInput};
use crate::auth::roles::{Area, QueuePerm};
use crate::error::{Error, ErrorKind, Result};
use crate::helpdesk::queues::{self, Queue};
use crate::helpdesk::{Ticket, tickets};
use crate::web::blocking;
use crate::web::http::{self, Req, Resp};
use crate::web::pages;

/// Records the first-run setup (`setup.complete` on `settings`) by `actor` under `role`.
pub(super) fn record_setup(app: &App, actor: &str, role: &str, client: &str) -> Result<()> {
    audit::access::record(
        app,
        Event {
            actor: actor.to_string(),
            role: role.to_string(),
            client: client.to_string(),
            action: "setup.complete".into(),
            object: "settings".into(),
            outcome: Outcome::Ok,
            detail: String::new(),
        },
    )
}

/// `(id, name)` of the queues `ticket` may be moved to by `actor` (needs `change` on the
/// ticket's queue and on the target); empty when it may not be moved.
pub(super) fn move_targets(
    app: &App,
    actor: &Actor,
    ticket: &Ticket,
) -> Result<Vec<(String, String)>> {
    app.store.read(|r| {
        let g = grants(r, actor)?;
        if !g.can(queues::of_ticket(ticket), QueuePerm::Change) {
            return Ok(Vec::new());
        }
        Ok(queues::list(r)?
            .into_iter()
            .filter(|q| g.can(&q.id, QueuePerm::Change))
            .map(|q| (q.id, q.name))
            .collect())
    })
}

/// The values of every form field `k` (checkbox groups).
fn all<'a>(req: &'a Req, k: &str) -> Vec<&'a str> {
    req.form
        .iter()
        .filter(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The actor and its CSRF token for a POST, or the answer to give instead.
fn post_actor(req: &Req, uri: &Uri) -> std::result::Result<Actor, Box<Resp>> {
    let Some((_, s)) = &req.session else {
        return Err(Box::new(to_login(req)));
    };
    if !post_allowed(req, uri, &s.csrf) {
        return Err(Box::new(pages::csrf_failed(req)));
    }
    req.actor().ok_or_else(|| Box::new(to_login(req)))
}

fn csrf(req: &Req) -> String {
    req.session
        .as_ref()
        .map(|(_, s)| s.csrf.clone())
        .unwrap_or_default()
}

/// After a POST: back to `to` on success, the error page (or form with the message for
/// `Invalid`/`Conflict`) otherwise.
async fn after_post<F>(req: &Req, r: Result<()>, to: &str, rerender: F) -> Resp
where
    F: AsyncFnOnce(&str) -> Resp,
{
    match r {
        Ok(()) => http::redirect(to),
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Conflict) => {
            rerender(&e.message).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- users -----------------------------------------------------------------------------

async fn users_page(app: &Arc<App>, req: &Req, status: StatusCode, error: Option<&str>) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let loaded = blocking(app, move |a| {
        let users = admin::users(a, &actor)?;
        let roles = a.store.read(crate::auth::roles::list)?;
        let totp = admin::totp_status(a, &users)?;
        Ok((users, roles, totp))
    })
    .await;
    match loaded {
        Ok((users, roles, totp)) => http::html(
            status,
            pages::admin_users::render(req, &csrf(req), &users, &roles, &totp, error),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /admin/users`.
pub(super) async fn users_get(app: &Arc<App>, req: &Req) -> Resp {
    users_page(app, req, StatusCode::OK, None).await
}

/// `POST /admin/users`: create a user.
pub(super) async fn users_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let actor = match post_actor(req, uri) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let (email, name, pw) = (req.fs("email"), req.fs("name"), req.fs("password"));
    let roles: Vec<String> = all(req, "role").into_iter().map(String::from).collect();
    let r = blocking(app, move |a| {
        admin::create_user(a, &actor, &email, &name, &pw, &roles)
    })
    .await;
    after_post(req, r, "/admin/users", async |m| {
        users_page(app, req, StatusCode::BAD_REQUEST, Some(m)).await
    })
    .await
}

/// `POST /admin/users/{roles|disable|enable}` with field `email`.
pub(super) async fn user_action(app: &Arc<App>, req: &Req, uri: &Uri, action: &str) -> Resp {
    if !matches!(
        action,
        "roles" | "disable" | "enable" | "password" | "totp-reset"
    ) {
        return pages::not_found(req);
    }
    let actor = match post_actor(req, uri) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let email = req.fs("email");
    let roles: Vec<String> = all(req, "role").into_iter().map(String::from).collect();
    let password = req.fs("password");
    let action = action.to_string();
    let r = blocking(app, move |a| match action.as_str() {
        "roles" => admin::set_roles(a, &actor, &email, &roles),
        "password" => admin::reset_password(a, &actor, &email, &password),
        "totp-reset" => admin::reset_totp(a, &actor, &email),
        "disable" => admin::set_disabled(a, &actor, &email, true),
        _ => admin::set_disabled(a, &actor, &email, false),
    })
    .await;
    after_post(req, r, "/admin/users", async |m| {
        users_page(app, req, StatusCode::BAD_REQUEST, Some(m)).await
    })
    .await
}

// ---- roles -----------------------------------------------------------------------------

async fn roles_page(app: &Arc<App>, req: &Req, status: StatusCode, error: Option<&str>) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    match blocking(app, move |a| admin::roles_and_queues(a, &actor)).await {
        Ok((roles, queues)) => http::html(
            status,
            pages::admin_roles::render(req, &csrf(req), &roles, &queues, error),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /admin/roles`.
pub(super) async fn roles_get(app: &Arc<App>, req: &Req) -> Resp {
    roles_page(app, req, StatusCode::OK, None).await
}

/// `POST /admin/roles`: create or replace a role from the form (`name`, `description`,
/// `all` = queue permissions on every queue, `q:<queue>` = permissions on that queue,
/// `area` = admin areas).
pub(super) async fn roles_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let actor = match post_actor(req, uri) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let parsed: Result<RoleInput> = (|| {
        let perm = |v: &str| {
            QueuePerm::parse(v).ok_or_else(|| Error::invalid(format!("unknown permission {v:?}")))
        };
        let mut input = RoleInput {
            name: req.fs("name"),
            description: req.fs("description"),
            ..Default::default()
        };
        for v in all(req, "all") {
            input.all_queues.insert(perm(v)?);
        }
        for v in all(req, "area") {
            input.areas.insert(
                Area::parse(v).ok_or_else(|| Error::invalid(format!("unknown area {v:?}")))?,
            );
        }
        let mut per: BTreeMap<String, BTreeSet<QueuePerm>> = BTreeMap::new();
        for (k, v) in &req.form {
            if let Some(q) = k.strip_prefix("q:") {
                per.entry(q.to_string()).or_default().insert(perm(v)?);
            }
        }
        input.queues = per;
        // gdpr
        input.clearance = req
            .f("clearance")
            .map(crate::gdpr::classification::Classification::parse)
            .transpose()?;
        Ok(input)
    })();
    let r = match parsed {
        Ok(input) => blocking(app, move |a| admin::save_role(a, &actor, input)).await,
        Err(e) => Err(e),
    };
    after_post(req, r, "/admin/roles", async |m| {
        roles_page(app, req, StatusCode::BAD_REQUEST, Some(m)).await
    })
    .await
}

/// `POST /admin/roles/delete` with field `name`.
pub(super) async fn role_delete(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let actor = match post_actor(req, uri) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let name = req.fs("name");
    let r = blocking(app, move |a| admin::delete_role(a, &actor, &name)).await;
    after_post(req, r, "/admin/roles", async |m| {
        roles_page(app, req, StatusCode::BAD_REQUEST, Some(m)).await
    })
    .await
}

// ---- queues ----------------------------------------------------------------------------

async fn queues_page(app: &Arc<App>, req: &Req, status: StatusCode, error: Option<&str>) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    match blocking(app, move |a| admin::queue_list(a, &actor)).await {
        Ok(queues) => http::html(
            status,
            pages::admin_queues::render(req, &csrf(req), &queues, error),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /admin/queues`.
pub(super) async fn queues_get(app: &Arc<App>, req: &Req) -> Resp {
    queues_page(app, req, StatusCode::OK, None).await
}

/// `POST /admin/queues`: create or update (`id`, `name`, `mailboxes` comma-separated).
pub(super) async fn queues_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let actor = match post_actor(req, uri) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    // gdpr: default classification and purpose; a form without them keeps the stored ones.
    let class = match req
        .f("default_classification")
        .map(crate::gdpr::classification::Classification::parse)
        .transpose()
    {
        Ok(c) => c,
        Err(e) => return queues_page(app, req, StatusCode::BAD_REQUEST, Some(&e.message)).await,
    };
    let purpose = req.f("purpose").map(String::from);
    let q = Queue {
        id: req.fs("id"),
        name: req.fs("name"),
        mailboxes: req
            .fs("mailboxes")
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(String::from)
            .collect(),
        default_classification: Default::default(),
        purpose: String::new(),
    };
    let r = blocking(app, move |a| {
        let mut q = q;
        let old = a
            .store
            .read(|r| queues::get(r, &q.id.trim().to_lowercase()))?;
        q.default_classification = class
            .or(old.as_ref().map(|o| o.default_classification))
            .unwrap_or_default();
        q.purpose = purpose.or(old.map(|o| o.purpose)).unwrap_or_default();
        admin::save_queue(a, &actor, q)
    })
    .await;
    after_post(req, r, "/admin/queues", async |m| {
        queues_page(app, req, StatusCode::BAD_REQUEST, Some(m)).await
    })
    .await
}

// ---- audit -----------------------------------------------------------------------------

/// Parses a `YYYY-MM-DD` form date to Unix ms (midnight UTC); empty is `None`.
fn date_ms(field: &str, v: Option<&str>) -> Result<Option<i64>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => audit::parse_since(s)
            .map(Some)
            .map_err(|_| Error::invalid(format!("{field}: give a date like 2026-01-31"))),
    }
}

/// `GET /audit?actor=&action=&object=&from=&to=&offset=`.
pub(super) async fn audit_get(app: &Arc<App>, req: &Req) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let limit = |s: Option<&str>, max: usize| s.unwrap_or("").chars().take(max).collect();
    let dates = date_ms("from", req.q("from")).and_then(|f| Ok((f, date_ms("to", req.q("to"))?)));
    let (from_ms, to_ms, error) = match dates {
        Ok((f, t)) => (f, t, None),
        Err(e) => (None, None, Some(e.message)),
    };
    let filter = Filter {
        actor: limit(req.q("actor"), 254),
        action: limit(req.q("action"), 100),
        object: limit(req.q("object"), 300),
        from_ms,
        to_ms,
    };
    let offset = req
        .q("offset")
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0)
        .min(10_000_000);
    let page = pages::audit::PAGE;
    match blocking(app, move |a| {
        audit::search_as(a, &actor, &filter, offset, page)
    })
    .await
    {
        Ok((recs, more)) => http::html(
            if error.is_some() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
            pages::audit::render(req, &recs, offset, more, error.as_deref()),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /audit/export?since=YYYY-MM-DD&format=csv|json`: the audit export as a download
/// (the export is itself recorded).
pub(super) async fn audit_export(app: &Arc<App>, req: &Req) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let params = audit::parse_since(req.q("since").unwrap_or("1970-01-01"))
        .and_then(|s| Ok((s, audit::Format::parse(req.q("format").unwrap_or("csv"))?)));
    let (since, format) = match params {
        Ok(p) => p,
        Err(e) => return pages::error_page(req, &e),
    };
    match blocking(app, move |a| audit::export_as(a, &actor, since, format)).await {
        Ok(text) => {
            let (ct, name) = match format {
                audit::Format::Csv => ("text/csv; charset=utf-8", "trygg-audit.csv"),
                audit::Format::Json => ("application/json", "trygg-audit.json"),
            };
            let mut r = http::response(StatusCode::OK, ct, text);
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&http::content_disposition(name)) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            r
        }
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- tickets ---------------------------------------------------------------------------

/// `POST /tickets/{n}/queue` with field `queue`: move the ticket (needs `change` on both
/// queues).
pub(super) async fn ticket_move(app: &Arc<App>, req: &Req, uri: &Uri, n: &str) -> Resp {
    let actor = match post_actor(req, uri) {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let Some(n) = parse_number(n) else {
        return pages::not_found(req);
    };
    let to = req.fs("queue");
    match blocking(app, move |a| tickets::move_to_queue(a, &actor, n, &to)).await {
        Ok(()) => http::redirect(&format!("/tickets/{n}")),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /tickets/{n}/articles/{id}/raw`: the raw message as `message/rfc822` download.
pub(super) async fn raw_message(app: &Arc<App>, req: &Req, n: &str, id: &str) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let (Some(n), Some(id)) = (parse_number(n), parse_number(id)) else {
        return pages::not_found(req);
    };
    match blocking(app, move |a| tickets::raw_message(a, &actor, n, id)).await {
        Ok(raw) => {
            let mut r = http::response(StatusCode::OK, "application/octet-stream", raw);
            let h = r.headers_mut();
            if let Ok(v) =
                HeaderValue::from_str(&http::content_disposition(&format!("ticket-{n}-{id}.eml")))
            {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox"),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            r
        }
        Err(e) => pages::error_page(req, &e),
    }
}
