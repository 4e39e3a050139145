//! The router and the page handlers. Handlers call domain functions (on the blocking pool)
//! and render pages; they hold no business rules.

use std::sync::Arc;

use hyper::header::{self, HeaderValue};
use hyper::{Method, StatusCode, Uri};

use super::http::{self, CSRF_COOKIE, Req, Resp, SESSION_COOKIE};
use super::i18n::{Key, t};
use super::pages::{self, setup::SetupForm, ticket::TicketPage};
use super::{api, assets, blocking, method_not_allowed};
use crate::app::App;
use crate::auth::roles::Area;
use crate::auth::session::{Session, random_token, tokens_equal};
use crate::error::{Error, ErrorKind};
use crate::helpdesk::TicketStatus;
use crate::helpdesk::settings::{self, Relay, RelayTls, SetupInput};
use crate::helpdesk::tickets::{self, StatusFilter};

// access: handlers of the admin, audit, queue-move and raw-download routes.
mod access;
use access as admin;
// gdpr: ticket classification and the audited reveal of national IDs.
mod classification;
// contacts and privacy: contact page, consent register, data-subject requests
mod privacy;
// records: record of processing (Art. 30) and sub-processors (Art. 28)
mod records;
// retention: the retention page and legal-hold forms
mod retention;

/// Most tickets shown in the list.
const LIST_LIMIT: usize = 500;

/// Dispatches `req` to its handler.
pub async fn route(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let segs: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    let get = req.method == Method::GET || req.method == Method::HEAD;
    let post = req.method == Method::POST;
    // login-security: sign-in steps (incl. POST /login), /account, /admin/security, /admin/ldap
    if let Some(r) = super::login_routes::route(app, req, uri, &segs).await {
        return r;
    }
    match segs.as_slice() {
        [""] if get => root(app, req).await,
        ["healthz"] if get => http::text(StatusCode::OK, "ok\n"),
        ["metrics"] if get => metrics(app, req).await,
        ["static", rest @ ..] if get => {
            let inm = req.header(header::IF_NONE_MATCH);
            assets::serve(&rest.join("/"), inm).unwrap_or_else(|| pages::not_found(req))
        }
        ["favicon.ico"] if get => {
            assets::serve("favicon.svg", None).unwrap_or_else(|| pages::not_found(req))
        }
        ["setup"] if get => setup_get(app, req).await,
        ["setup"] if post => setup_post(app, req, uri).await,
        ["login"] if get => login_get(req),
        ["login"] if post => login_post(app, req, uri).await,
        ["logout"] if post => logout(app, req, uri),
        ["tickets"] if get => tickets_list(app, req).await,
        ["tickets", n] if get => ticket_page(app, req, n).await,
        ["tickets", n, "reply"] if post => ticket_reply(app, req, uri, n).await,
        ["tickets", n, "status"] if post => ticket_status(app, req, uri, n).await,
        ["tickets", n, "articles", id, "attachments", i] if get => {
            attachment(app, req, n, id, i).await
        }
        // outbound: the admin's mail delivery page
        ["admin", "mail"] if get => mail_delivery_page(app, req, None, None).await,
        ["admin", "mail", "settings"] if post => mail_delivery_settings(app, req, uri).await,
        ["admin", "mail", "dkim"] if post => mail_delivery_dkim(app, req, uri).await,
        ["admin", "mail", "queue", id, action] if post => {
            mail_delivery_queue(app, req, uri, id, action).await
        }
        // mail rules
        ["tickets", n, "merge"] if post => ticket_merge(app, req, uri, n).await,
        ["admin", "mail-rules"] if get => mail_rules_get(app, req).await,
        ["admin", "mail-rules"] if post => mail_rules_post(app, req, uri).await,
        // mail in: IMAP fetch admin
        ["admin", "imap"] if get => imap_page(app, req).await,
        ["admin", "imap"] if post => imap_add(app, req, uri).await,
        ["admin", "imap", id, action @ ("delete" | "refetch")] if post => {
            imap_action(app, req, uri, id, action).await
        }
        ["admin", "quarantine", id, "raw"] if get => quarantine_raw(app, req, id).await,
        ["admin", "quarantine", id, "dismiss"] if post => {
            quarantine_dismiss(app, req, uri, id).await
        }
        ["admin", "imap"] => method_not_allowed("GET, HEAD, POST"),
        // access
        ["tickets", n, "queue"] if post => admin::ticket_move(app, req, uri, n).await,
        ["tickets", n, "articles", id, "raw"] if get => admin::raw_message(app, req, n, id).await,
        ["admin", "users"] if get => admin::users_get(app, req).await,
        ["admin", "users"] if post => admin::users_post(app, req, uri).await,
        ["admin", "users", action] if post => admin::user_action(app, req, uri, action).await,
        ["admin", "roles"] if get => admin::roles_get(app, req).await,
        ["admin", "roles"] if post => admin::roles_post(app, req, uri).await,
        ["admin", "roles", "delete"] if post => admin::role_delete(app, req, uri).await,
        ["admin", "queues"] if get => admin::queues_get(app, req).await,
        ["admin", "queues"] if post => admin::queues_post(app, req, uri).await,
        ["audit"] if get => admin::audit_get(app, req).await,
        ["audit", "export"] if get => admin::audit_export(app, req).await,
        ["api", "v1", rest @ ..] => api::route(app, req, rest).await,
        // backup
        ["admin", "backup"] if get => backup_page(app, req).await,
        ["admin", "backup"] if post => backup_save(app, req, uri).await,
        ["admin", "backup"] => method_not_allowed("GET, HEAD, POST"),
        // contacts and privacy
        ["contacts", a] if get => privacy::contact_get(app, req, a).await,
        ["contacts", a, "rectify"] if post => privacy::contact_rectify(app, req, uri, a).await,
        ["contacts", a, "consents"] if post => privacy::consent_record(app, req, uri, a).await,
        ["contacts", a, "consents", id, "withdraw"] if post => {
            privacy::consent_withdraw(app, req, uri, a, id).await
        }
        ["contacts", a, "consents.json"] if get => {
            privacy::consent_export(app, req, a, "json").await
        }
        ["contacts", a, "consents.csv"] if get => privacy::consent_export(app, req, a, "csv").await,
        ["admin", "privacy"] if get => privacy::privacy_get(app, req).await,
        ["admin", "privacy"] if post => privacy::privacy_find(app, req, uri).await,
        ["admin", "privacy", "export"] if post => privacy::privacy_export(app, req, uri).await,
        ["admin", "privacy", "erase"] if post => privacy::privacy_erase(app, req, uri).await,
        ["admin", "privacy", "erased"] if get => privacy::privacy_erased(app, req).await,
        // records
        ["admin", "records"] if get => records::records_get(app, req).await,
        ["admin", "records"] if post => records::records_post(app, req, uri).await,
        ["admin", "records", "purpose"] if post => records::records_purpose(app, req, uri).await,
        ["admin", "records.json"] if get => {
            records::export(app, req, records::Export::RecordJson).await
        }
        ["admin", "records.md"] if get => {
            records::export(app, req, records::Export::RecordMarkdown).await
        }
        ["admin", "subprocessors"] if get => records::subprocessors_get(app, req).await,
        ["admin", "subprocessors"] if post => records::subprocessors_post(app, req, uri).await,
        ["admin", "subprocessors", id, "delete"] if post => {
            records::subprocessors_delete(app, req, uri, id).await
        }
        ["admin", "subprocessors.json"] if get => {
            records::export(app, req, records::Export::SubprocessorsJson).await
        }
        ["admin", "subprocessors.csv"] if get => {
            records::export(app, req, records::Export::SubprocessorsCsv).await
        }
        // retention
        ["admin", "retention"] if get => retention::page_get(app, req).await,
        ["admin", "retention", action] if post => retention::page_post(app, req, uri, action).await,
        ["tickets", n, "hold"] if post => retention::ticket_hold(app, req, uri, n, false).await,
        ["tickets", n, "hold", "lift"] if post => {
            retention::ticket_hold(app, req, uri, n, true).await
        }
        ["contacts", "hold"] if post => retention::contact_hold(app, req, uri, false).await,
        ["contacts", "hold", "lift"] if post => retention::contact_hold(app, req, uri, true).await,
        ["admin", "retention"] if req.has_area(Area::Policies) => method_not_allowed("GET, HEAD"),
        [""] | ["healthz"] | ["metrics"] | ["tickets"] | ["tickets", _] => {
            method_not_allowed("GET, HEAD")
        }
        ["setup"] | ["login"] => method_not_allowed("GET, HEAD, POST"),
        ["logout"] | ["tickets", _, "reply"] | ["tickets", _, "status"] => {
            method_not_allowed("POST")
        }
        // access: wrong methods on existing routes answer 405 only to those who may see
        // them; everyone else gets the same 404 as for anything that does not exist.
        ["admin", "users"] | ["admin", "roles"] if req.has_area(Area::Users) => {
            method_not_allowed("GET, HEAD, POST")
        }
        ["admin", "queues"] if req.may_manage_queues() => method_not_allowed("GET, HEAD, POST"),
        ["audit"] if req.has_area(Area::Audit) => method_not_allowed("GET, HEAD"),
        // gdpr
        ["tickets", n, "classification"] if post => classification::set(app, req, uri, n).await,
        ["tickets", n, "reveal"] if post => classification::reveal(app, req, uri, n).await,
        ["tickets", _, "classification"] | ["tickets", _, "reveal"] => method_not_allowed("POST"),
        // records
        ["admin", "records" | "subprocessors"] if req.has_area(Area::Privacy) => {
            method_not_allowed("GET, HEAD, POST")
        }
        _ => pages::not_found(req),
    }
}

// ---- helpers -------------------------------------------------------------------------

/// The signed-in session, if any.
fn session_of(req: &Req) -> Option<&Session> {
    req.session.as_ref().map(|(_, s)| s)
}

/// The answer for a visitor who is not signed in: to the sign-in page, coming back here.
pub(super) fn to_login(req: &Req) -> Resp {
    if req.method != Method::GET || req.path == "/" {
        return http::redirect("/login");
    }
    let mut target = req.path.clone();
    if !req.raw_query.is_empty() {
        target.push('?');
        target.push_str(&req.raw_query);
    }
    let next: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
    http::redirect(&format!("/login?next={next}"))
}

/// Whether a POST may change state: same-origin by the browser's headers and carrying the
/// `expected` CSRF token in the `csrf` field.
pub(super) fn post_allowed(req: &Req, uri: &Uri, expected: &str) -> bool {
    let host = http::host_of(&req.headers, uri);
    http::same_origin(&req.headers, host.as_deref()) && http::csrf_ok(expected, req.f("csrf"))
}

/// A local path to go to after sign-in (never another site).
pub(super) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() < 1000
                && !n.starts_with("/login")
                && !n.starts_with("/logout") =>
        {
            n
        }
        _ => "/tickets",
    }
}

fn parse_number(s: &str) -> Option<u64> {
    (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

// ---- root, health, metrics -------------------------------------------------------------

async fn root(app: &Arc<App>, req: &Req) -> Resp {
    if req.session.is_some() {
        // access: an auditor (no queue to read, but the audit log) starts at the log.
        let auditor_only = req.grants.as_ref().is_some_and(|g| {
            !g.any_queue(crate::auth::roles::QueuePerm::Read) && g.has_area(Area::Audit)
        });
        return http::redirect(if auditor_only { "/audit" } else { "/tickets" });
    }
    match blocking(app, settings::is_set_up).await {
        Ok(true) => http::redirect("/login"),
        Ok(false) => http::redirect("/setup"),
        Err(e) => pages::error_page(req, &e),
    }
}

async fn metrics(app: &Arc<App>, req: &Req) -> Resp {
    let counts = blocking(app, tickets::counts).await;
    // mail in: IMAP fetch and quarantine gauges
    let mail_in = blocking(app, crate::mail::inbound::imap::metrics_text)
        .await
        .unwrap_or_default();
    match counts {
        Ok((total, open)) => {
            let mut body = format!(
                "# HELP trygg_up Whether trygg is running.\n\
                 # TYPE trygg_up gauge\n\
                 trygg_up 1\n\
                 # HELP trygg_tickets_total Number of tickets.\n\
                 # TYPE trygg_tickets_total gauge\n\
                 trygg_tickets_total {total}\n\
                 # HELP trygg_tickets Number of tickets by status.\n\
                 # TYPE trygg_tickets gauge\n\
                 trygg_tickets{{status=\"open\"}} {open}\n\
                 trygg_tickets{{status=\"closed\"}} {}\n",
                total - open
            );
            body.push_str(&mail_in);
            http::response(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                body,
            )
        }
        Err(e) => {
            pages::log_error(req, &e);
            http::text(StatusCode::SERVICE_UNAVAILABLE, "trygg_up 0\n")
        }
    }
}

// ---- setup ----------------------------------------------------------------------------

/// Whether `given` is the current one-time setup token (constant time).
fn setup_token_ok(app: &App, given: Option<&str>) -> bool {
    let current = app
        .setup_token
        .lock()
        .map(|t| t.clone())
        .unwrap_or_else(|p| p.into_inner().clone());
    match (current, given) {
        (Some(cur), Some(g)) => !cur.is_empty() && tokens_equal(&cur, g),
        _ => false,
    }
}

fn setup_link_page(req: &Req) -> Resp {
    pages::message_page_with(
        req,
        StatusCode::FORBIDDEN,
        t(req.lang, Key::SetupLinkTitle),
        t(req.lang, Key::SetupLinkText),
        false,
    )
}

async fn setup_get(app: &Arc<App>, req: &Req) -> Resp {
    match blocking(app, settings::is_set_up).await {
        Ok(true) => return http::redirect("/login"),
        Ok(false) => {}
        Err(e) => return pages::error_page(req, &e),
    }
    let token = req.q("token");
    if !setup_token_ok(app, token) {
        return setup_link_page(req);
    }
    let page = pages::setup::render(req, token.unwrap_or(""), &SetupForm::default(), None);
    http::html(StatusCode::OK, page)
}

async fn setup_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let host = http::host_of(&req.headers, uri);
    if !http::same_origin(&req.headers, host.as_deref()) {
        return pages::csrf_failed(req);
    }
    match blocking(app, settings::is_set_up).await {
        Ok(true) => return http::redirect("/login"),
        Ok(false) => {}
        Err(e) => return pages::error_page(req, &e),
    }
    let token = req.fs("token");
    if !setup_token_ok(app, Some(&token)) {
        return setup_link_page(req);
    }
    let form = SetupForm {
        org_name: req.fs("org_name"),
        admin_email: req.fs("admin_email"),
        mailboxes: req.fs("mailboxes"),
        relay: req.fs("relay").trim().to_string(),
        relay_tls: req.fs("relay_tls"),
        relay_user: req.fs("relay_user"),
        // outbound
        delivery_mode: req.fs("delivery_mode"),
        direct_tls: req.fs("direct_tls"),
        dkim_selector: req.fs("dkim_selector").trim().to_string(),
        public_host: req.fs("public_host").trim().to_string(),
        backup_target: req.fs("backup_target").trim().to_string(),
        backup_recipient: req.fs("backup_recipient").trim().to_string(),
    };
    let rerender = |msg: &str| {
        http::html(
            StatusCode::BAD_REQUEST,
            pages::setup::render(req, &token, &form, Some(msg)),
        )
    };
    let password = req.fs("admin_password");
    if password != req.fs("admin_password2") {
        return rerender(t(req.lang, Key::PasswordsDiffer));
    }
    let relay = if form.relay.is_empty() {
        None
    } else {
        let parsed = Relay::parse_addr(&form.relay).and_then(|(host, port)| {
            let tls = RelayTls::parse(if form.relay_tls.is_empty() {
                "required"
            } else {
                &form.relay_tls
            })?;
            Ok((host, port, tls))
        });
        match parsed {
            Ok((host, port, tls)) => {
                let user = form.relay_user.trim().to_string();
                let pass = req.fs("relay_password");
                Some(Relay {
                    host,
                    port,
                    tls,
                    username: (!user.is_empty()).then_some(user),
                    password: (!pass.is_empty()).then_some(pass),
                })
            }
            Err(e) => return rerender(&e.message),
        }
    };
    let input = SetupInput {
        org_name: form.org_name.clone(),
        admin_email: form.admin_email.clone(),
        admin_password: password,
        mailboxes: vec![form.mailboxes.clone()],
        relay,
    };
    // outbound: delivery mode, direct TLS, public host, DKIM selector
    let outbound = (|| {
        let mut o = settings::OutboundSettings::default();
        if !form.delivery_mode.is_empty() {
            o.mode = settings::DeliveryMode::parse(&form.delivery_mode)?;
        }
        if !form.direct_tls.is_empty() {
            o.direct_tls = settings::DirectTls::parse(&form.direct_tls)?;
        }
        o.public_host = Some(form.public_host.clone()).filter(|h| !h.is_empty());
        o.validated()
    })();
    let out_setup = match outbound {
        Ok(o) => settings::OutboundSetup {
            outbound: Some(o),
            dkim_selector: Some(form.dkim_selector.clone()).filter(|s| !s.is_empty()),
        },
        Err(e) => return rerender(&e.message),
    };
    // backup: optional, checked before anything is stored
    let backup =
        match crate::backup::settings_from_setup(&form.backup_target, &form.backup_recipient) {
            Ok(b) => b,
            Err(e) => return rerender(&e.message),
        };
    let admin_email = form.admin_email.trim().to_lowercase();
    let peer = req.peer.to_string();
    let setup = blocking(app, move |a| {
        settings::run_setup_with(a, input, out_setup)?;
        if let Some(b) = &backup {
            crate::backup::save_settings(a, b)?;
        }
        // access: the setup is recorded (its own transaction, right after the setup's).
        admin::record_setup(a, &admin_email, "admin", &peer)
    });
    match setup.await {
        Ok(()) => {
            if let Ok(mut t) = app.setup_token.lock() {
                *t = None;
            }
            tracing::info!("first-run setup completed from the web");
            http::redirect("/login?setup=done")
        }
        Err(e) if e.kind == ErrorKind::Invalid => rerender(&e.message),
        Err(e) if e.kind == ErrorKind::Conflict => http::redirect("/login"),
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- sign in / out ----------------------------------------------------------------------

/// The pre-session CSRF token from the cookie, if it looks like one of ours.
pub(super) fn login_csrf_cookie(req: &Req) -> Option<&str> {
    req.cookie(CSRF_COOKIE).filter(|c| {
        (32..=128).contains(&c.len())
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn login_page(req: &Req, status: StatusCode, email: &str, error: Option<&str>) -> Resp {
    let (csrf, fresh) = match login_csrf_cookie(req) {
        Some(c) => (c.to_string(), false),
        None => (random_token(), true),
    };
    let notice = (req.q("setup") == Some("done")).then(|| t(req.lang, Key::SetupDone));
    let mut r = http::html(
        status,
        pages::login::render(req, &csrf, email, error, notice),
    );
    if fresh {
        http::add_cookie(&mut r, &http::set_cookie(CSRF_COOKIE, &csrf, None));
    }
    r
}

fn login_get(req: &Req) -> Resp {
    if req.session.is_some() {
        return http::redirect(safe_next(req.q("next")));
    }
    login_page(req, StatusCode::OK, "", None)
}

// login-security: the whole sign-in flow (throttling, allow-lists, directory, TOTP, forced
// changes) lives in `login_routes`, which also writes the audit events of every attempt.
async fn login_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    super::login_routes::login_post(app, req, uri).await
}

fn logout(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let Some((id, s)) = &req.session else {
        return http::redirect("/login");
    };
    if !post_allowed(req, uri, &s.csrf) {
        return pages::csrf_failed(req);
    }
    app.sessions.remove(id);
    let mut r = http::redirect("/login");
    http::add_cookie(&mut r, &http::set_cookie(SESSION_COOKIE, "", Some(0)));
    r
}

// ---- tickets ----------------------------------------------------------------------------

async fn tickets_list(app: &Arc<App>, req: &Req) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let (filter, name) = match req.q("status") {
        Some("open") => (StatusFilter::Open, "open"),
        Some("closed") => (StatusFilter::Closed, "closed"),
        _ => (StatusFilter::All, "all"),
    };
    match blocking(app, move |a| {
        let list = tickets::list(a, &actor, filter, LIST_LIMIT + 1)?;
        // Queue names for the list's queue column (ids are for URLs and roles).
        let names: std::collections::BTreeMap<String, String> = a
            .store
            .read(crate::helpdesk::queues::list)?
            .into_iter()
            .map(|q| (q.id, q.name))
            .collect();
        Ok((list, names))
    })
    .await
    {
        Ok((mut list, names)) => {
            let truncated = list.len() > LIST_LIMIT;
            list.truncate(LIST_LIMIT);
            http::html(
                StatusCode::OK,
                pages::tickets::render(req, name, &list, &names, truncated),
            )
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// Renders ticket `n` with an optional reply error and the text to keep.
pub(super) async fn render_ticket(
    app: &Arc<App>,
    req: &Req,
    session: &Session,
    n: u64,
    status: StatusCode,
    reply_text: &str,
    error: Option<&str>,
) -> Resp {
    // gdpr: the ordinary view masks national IDs; `classification::reveal` shows them.
    render_ticket_as(app, req, session, n, status, reply_text, error, false).await
}

/// [`render_ticket`], unmasked when `reveal` (an audited `ticket.reveal` instead of
/// `ticket.view`).
#[allow(clippy::too_many_arguments)]
async fn render_ticket_as(
    app: &Arc<App>,
    req: &Req,
    session: &Session,
    n: u64,
    status: StatusCode,
    reply_text: &str,
    error: Option<&str>,
    reveal: bool,
) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    // mail rules: `?images=ARTICLE` shows that article's remote images
    let images_for = req.q("images").and_then(parse_number);
    let loaded = blocking(app, move |a| {
        let (mut ticket, mut articles) = if reveal {
            tickets::reveal(a, &actor, n)?
        } else {
            tickets::load_full(a, &actor, n)?
        };
        let (mut bodies, mut extras) =
            pages::ticket::bodies_and_extras(a, n, &articles, images_for)?;
        let movable = admin::move_targets(a, &actor, &ticket)?;
        // gdpr: purpose, classification form, masking; links only to tickets one may read.
        let mut privacy = classification::privacy(a, &actor, &ticket, reveal)?;
        let today = crate::gdpr::classification::today(a.now_ms());
        pages::ticket::mask_for_display(
            today,
            &mut ticket,
            &mut articles,
            &mut bodies,
            &mut privacy,
        );
        classification::visible_links(a, &actor, &mut extras)?;
        Ok((ticket, articles, bodies, extras, movable, privacy))
    })
    .await;
    match loaded {
        Ok((ticket, articles, bodies, extras, movable, privacy)) => {
            let page = pages::ticket::render(
                req,
                &TicketPage {
                    ticket: &ticket,
                    articles: &articles,
                    bodies: &bodies,
                    csrf: &session.csrf,
                    reply_text,
                    error,
                    extras: &extras,
                    move_queues: &movable,
                    privacy: &privacy,
                },
            );
            let mut resp = http::html(status, page);
            if images_for.is_some() {
                resp.headers_mut().insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(pages::ticket::CSP_WITH_REMOTE_IMAGES),
                );
            }
            resp
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn ticket_page(app: &Arc<App>, req: &Req, n: &str) -> Resp {
    let Some(session) = session_of(req) else {
        return to_login(req);
    };
    let Some(n) = parse_number(n) else {
        return pages::not_found(req);
    };
    render_ticket(app, req, session, n, StatusCode::OK, "", None).await
}

async fn ticket_reply(app: &Arc<App>, req: &Req, uri: &Uri, n: &str) -> Resp {
    let Some(session) = session_of(req) else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &session.csrf) {
        return pages::csrf_failed(req);
    }
    let Some(n) = parse_number(n) else {
        return pages::not_found(req);
    };
    let text = req.fs("text");
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let body = text.clone();
    match blocking(app, move |a| tickets::reply(a, &actor, n, &body)).await {
        Ok(id) => http::redirect(&format!("/tickets/{n}#article-{id}")),
        Err(e) if e.kind == ErrorKind::Invalid => {
            render_ticket(
                app,
                req,
                session,
                n,
                StatusCode::BAD_REQUEST,
                &text,
                Some(&e.message),
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn ticket_status(app: &Arc<App>, req: &Req, uri: &Uri, n: &str) -> Resp {
    let Some(session) = session_of(req) else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &session.csrf) {
        return pages::csrf_failed(req);
    }
    let Some(n) = parse_number(n) else {
        return pages::not_found(req);
    };
    let status = match req.f("status") {
        Some("open") => TicketStatus::Open,
        Some("closed") => TicketStatus::Closed,
        _ => {
            return pages::error_page(req, &Error::invalid("status must be open or closed"));
        }
    };
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    match blocking(app, move |a| tickets::set_status(a, &actor, n, status)).await {
        Ok(()) => {
            tracing::info!(user = %session.user, ticket = n, status = status.as_str(), "ticket status changed");
            http::redirect(&format!("/tickets/{n}"))
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn attachment(app: &Arc<App>, req: &Req, n: &str, id: &str, i: &str) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let (Some(n), Some(id), Some(i)) = (parse_number(n), parse_number(id), parse_number(i)) else {
        return pages::not_found(req);
    };
    let Ok(index) = usize::try_from(i) else {
        return pages::not_found(req);
    };
    match blocking(app, move |a| tickets::attachment(a, &actor, n, id, index)).await {
        Ok((att, data)) => {
            let mut r = http::response(
                StatusCode::OK,
                http::safe_content_type(&att.content_type),
                data,
            );
            let h = r.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&http::content_disposition(&att.filename)) {
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

// ---- outbound: the admin's mail delivery page ---------------------------------------------

/// The signed-in session if its user's roles grant admin area `area` (resolved from the
/// store on this request, so a role change applies at once); else the answer to give: the
/// sign-in redirect, or exactly the not-found page (issue 4: routes one may not use answer
/// as if they did not exist). A refusal is an audit event.
#[allow(clippy::result_large_err)] // the same shape as the handlers' other early answers
pub(super) fn require_area<'r>(
    app: &App,
    req: &'r Req,
    area: crate::auth::roles::Area,
) -> Result<&'r Session, Resp> {
    let Some(session) = session_of(req) else {
        return Err(to_login(req));
    };
    if req.has_area(area) {
        Ok(session)
    } else {
        audit_admin(
            app,
            req,
            "admin.view",
            &req.path,
            crate::audit::Outcome::Denied,
            format!("no permission for the {} area", area.as_str()),
        );
        Err(pages::not_found(req))
    }
}

/// [`require_area`] for a POST: also checks the CSRF token and same origin (after the area,
/// so a refusal is audited the same way for every method).
#[allow(clippy::result_large_err)] // the same shape as the handlers' other early answers
pub(super) fn require_area_post<'r>(
    app: &App,
    req: &'r Req,
    uri: &Uri,
    area: crate::auth::roles::Area,
) -> Result<&'r Session, Resp> {
    let session = require_area(app, req, area)?;
    if !post_allowed(req, uri, &session.csrf) {
        return Err(pages::csrf_failed(req));
    }
    Ok(session)
}

/// Records an admin page's change (or refusal) in the audit trail under the signed-in
/// actor. The change itself was committed by its domain function just before, so this is
/// its own transaction right after it; a failure to record is logged, not hidden.
pub(super) fn audit_admin(
    app: &App,
    req: &Req,
    action: &str,
    object: &str,
    outcome: crate::audit::Outcome,
    detail: String,
) {
    let Some(actor) = req.actor() else {
        return;
    };
    let ev = crate::audit::Event {
        actor: actor.id,
        role: req
            .grants
            .as_ref()
            .map(|g| g.role_label())
            .unwrap_or_default(),
        client: actor.client,
        action: action.to_string(),
        object: object.to_string(),
        outcome,
        detail,
    };
    if let Err(e) = tokio::task::block_in_place(|| crate::audit::access::record(app, ev)) {
        tracing::error!(
            action,
            "could not record an admin change in the audit trail: {e}"
        );
    }
}

async fn mail_delivery_page(
    app: &Arc<App>,
    req: &Req,
    status: Option<StatusCode>,
    error: Option<&str>,
) -> Resp {
    let session = match require_area(app, req, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let loaded = blocking(app, |a| {
        let (s, out, keys, queue) = a.store.read(|r| {
            Ok((
                settings::load(r)?,
                settings::load_outbound(r)?,
                crate::mail::outbound::dkim::load(r)?,
                crate::mail::outbound::queue::all(r)?,
            ))
        })?;
        let s = s.ok_or_else(|| Error::unavailable("trygg is not set up yet"))?;
        let advice = crate::mail::outbound::dkim::dns_advice(
            &s.mailboxes,
            keys.as_ref(),
            out.mode == settings::DeliveryMode::Direct,
            out.public_host.as_deref(),
        )?;
        Ok((s, out, keys, queue, advice))
    })
    .await;
    match loaded {
        Ok((s, out, keys, queue, advice)) => {
            let notice = (req.q("saved") == Some("1")).then(|| t(req.lang, Key::Saved));
            let page = pages::mail_delivery::render(
                req,
                &pages::mail_delivery::MailDeliveryPage {
                    relay: s.relay.as_ref(),
                    outbound: &out,
                    dkim: keys.as_ref(),
                    advice: &advice,
                    queue: &queue,
                    csrf: &session.csrf,
                    notice,
                    error,
                },
            );
            http::html(status.unwrap_or(StatusCode::OK), page)
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn mail_delivery_settings(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = settings::DeliveryForm {
        mode: req.fs("mode"),
        relay: req.fs("relay"),
        relay_tls: req.fs("relay_tls"),
        relay_user: req.fs("relay_user"),
        relay_password: req.fs("relay_password"),
        direct_tls: req.fs("direct_tls"),
        public_host: req.fs("public_host"),
        retry_hours: req.fs("retry_hours"),
    };
    let who = session.user.clone();
    match blocking(app, move |a| settings::update_delivery(a, &form)).await {
        Ok(()) => {
            tracing::info!(user = %who, "mail delivery settings changed");
            app.outbound_wakeup.notify_one();
            audit_admin(
                app,
                req,
                "admin.mail.delivery",
                "settings",
                crate::audit::Outcome::Ok,
                String::new(),
            );
            http::redirect("/admin/mail?saved=1")
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            mail_delivery_page(app, req, Some(StatusCode::BAD_REQUEST), Some(&e.message)).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn mail_delivery_dkim(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let selector = req.fs("selector");
    let who = session.user.clone();
    match blocking(app, move |a| {
        crate::mail::outbound::dkim::regenerate(a, &selector)
    })
    .await
    {
        Ok(k) => {
            tracing::info!(user = %who, selector = %k.selector, "new DKIM keys generated");
            audit_admin(
                app,
                req,
                "admin.mail.dkim",
                "dkim keys",
                crate::audit::Outcome::Ok,
                format!("selector {}", k.selector),
            );
            http::redirect("/admin/mail?saved=1#dns-records")
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            mail_delivery_page(app, req, Some(StatusCode::BAD_REQUEST), Some(&e.message)).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn mail_delivery_queue(app: &Arc<App>, req: &Req, uri: &Uri, id: &str, action: &str) -> Resp {
    let session = match require_area_post(app, req, uri, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(id) = parse_number(id) else {
        return pages::not_found(req);
    };
    let who = session.user.clone();
    let result = match action {
        "retry" => {
            blocking(app, move |a| {
                crate::mail::outbound::queue::admin_retry(a, id)
            })
            .await
        }
        "cancel" => {
            blocking(app, move |a| {
                crate::mail::outbound::queue::admin_cancel(a, id, &who)
            })
            .await
        }
        _ => return pages::not_found(req),
    };
    match result {
        Ok(()) => {
            tracing::info!(user = %session.user, item = id, action, "outbound queue action");
            audit_admin(
                app,
                req,
                &format!("admin.mail.queue.{action}"),
                &format!("outbound {id}"),
                crate::audit::Outcome::Ok,
                String::new(),
            );
            http::redirect("/admin/mail?saved=1#outbound-queue")
        }
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- mail rules ---------------------------------------------------------------------------

async fn ticket_merge(app: &Arc<App>, req: &Req, uri: &Uri, n: &str) -> Resp {
    let Some(session) = session_of(req) else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &session.csrf) {
        return pages::csrf_failed(req);
    }
    let (Some(n), Some(into)) = (parse_number(n), req.f("into").and_then(parse_number)) else {
        return pages::error_page(
            req,
            &Error::invalid("give the number of the ticket to merge into"),
        );
    };
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    match blocking(app, move |a| {
        crate::helpdesk::links::merge(a, &actor, n, into)
    })
    .await
    {
        Ok(_) => http::redirect(&format!("/tickets/{into}")),
        Err(e) if e.kind == ErrorKind::NotFound => pages::not_found(req),
        Err(e) => pages::error_page(req, &e),
    }
}

async fn mail_rules_get(app: &Arc<App>, req: &Req) -> Resp {
    let session = match require_area(app, req, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let user = session.user.clone();
    let csrf = session.csrf.clone();
    match blocking(app, move |a| pages::mail_rules::load_for_admin(a, &user)).await {
        Ok(rules) => pages::mail_rules::page(req, StatusCode::OK, &rules, &csrf, None, false),
        Err(e) => pages::error_page(req, &e),
    }
}

async fn mail_rules_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let user = session.user.clone();
    let csrf = session.csrf.clone();
    let form = pages::mail_rules::Form::from_req(req);
    let f2 = form.clone();
    match blocking(app, move |a| {
        pages::mail_rules::save_from_admin(a, &user, &f2)
    })
    .await
    {
        Ok(rules) => {
            audit_admin(
                app,
                req,
                "admin.mail.rules",
                "mail rules",
                crate::audit::Outcome::Ok,
                String::new(),
            );
            pages::mail_rules::page(req, StatusCode::OK, &rules, &csrf, None, true)
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            let shown = form.to_rules_lossy();
            pages::mail_rules::page(
                req,
                StatusCode::BAD_REQUEST,
                &shown,
                &csrf,
                Some(&e.message),
                false,
            )
        }
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- backup (admin) ---------------------------------------------------------------------

/// Whether the signed-in user's roles grant the backups area (resolved on this request).
async fn backup_is_admin(app: &Arc<App>, req: &Req) -> Result<bool, Error> {
    // `require_area` also records a refusal in the audit trail.
    Ok(require_area(app, req, crate::auth::roles::Area::Backups).is_ok())
}

async fn backup_view(app: &Arc<App>) -> Result<pages::backup::BackupView, Error> {
    blocking(app, |a| {
        let settings = a.store.read(crate::backup::load_settings)?;
        let dir = std::path::Path::new(&settings.target);
        let (chains, chains_error) = if settings.target.is_empty() {
            (Vec::new(), None)
        } else {
            match crate::backup::manifest::list_chains(dir) {
                Ok(c) => (c, None),
                Err(e) => (Vec::new(), Some(e.message)),
            }
        };
        Ok(pages::backup::BackupView {
            head_seq: a.store.head_seq()?,
            watermark: a.store.watermarks()?.get(crate::backup::WATERMARK).copied(),
            drills: crate::backup::drill_reports(dir, 10),
            chains,
            chains_error,
            status: crate::backup::status(),
            settings,
        })
    })
    .await
}

async fn backup_render(
    app: &Arc<App>,
    req: &Req,
    session: &Session,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Resp {
    match backup_view(app).await {
        Ok(v) => http::html(
            status,
            pages::backup::render(req, &session.csrf, &v, notice, error),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

async fn backup_page(app: &Arc<App>, req: &Req) -> Resp {
    let Some(session) = session_of(req) else {
        return to_login(req);
    };
    match backup_is_admin(app, req).await {
        Ok(true) => backup_render(app, req, session, StatusCode::OK, None, None).await,
        Ok(false) => pages::not_found(req),
        Err(e) => pages::error_page(req, &e),
    }
}

async fn backup_save(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let Some(session) = session_of(req) else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &session.csrf) {
        return pages::csrf_failed(req);
    }
    match backup_is_admin(app, req).await {
        Ok(true) => {}
        Ok(false) => return pages::not_found(req),
        Err(e) => return pages::error_page(req, &e),
    }
    let num = |k: &str| -> Result<u32, Error> {
        req.fs(k)
            .trim()
            .parse::<u32>()
            .map_err(|_| Error::invalid(format!("{k} must be a whole number")))
    };
    let recipients: Vec<String> = req
        .fs("recipients")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let passphrase = req.fs("passphrase");
    let enabled = req.f("enabled").is_some();
    let target = req.fs("target").trim().to_string();
    let parsed = (|| {
        Ok::<_, Error>((
            num("full_every_days")?,
            num("incremental_every_hours")?,
            num("ship_every_secs")?,
            num("keep_chains")?,
        ))
    })();
    let (full, inc, ship, keep) = match parsed {
        Ok(v) => v,
        Err(e) => {
            return backup_render(
                app,
                req,
                session,
                StatusCode::BAD_REQUEST,
                None,
                Some(&e.message),
            )
            .await;
        }
    };
    let user = session.user.clone();
    let r = blocking(app, move |a| {
        let mut s = a.store.read(crate::backup::load_settings)?;
        s.enabled = enabled;
        s.target = target;
        s.full_every_days = full;
        s.incremental_every_hours = inc;
        s.ship_every_secs = ship;
        s.keep_chains = keep;
        if !passphrase.is_empty() {
            s.passphrase = Some(passphrase);
        } else if !recipients.is_empty() {
            s.passphrase = None;
        }
        s.recipients = recipients;
        crate::backup::save_settings(a, &s)
    })
    .await;
    match r {
        Ok(()) => {
            tracing::info!(user = %user, "backup settings changed");
            audit_admin(
                app,
                req,
                "admin.backup",
                "backup settings",
                crate::audit::Outcome::Ok,
                String::new(),
            );
            let saved = t(req.lang, Key::BackupSaved);
            backup_render(app, req, session, StatusCode::OK, Some(saved), None).await
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            backup_render(
                app,
                req,
                session,
                StatusCode::BAD_REQUEST,
                None,
                Some(&e.message),
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- mail in: IMAP fetch admin ----------------------------------------------------------

// (uses `require_admin` of the outbound section)

async fn render_imap(
    app: &Arc<App>,
    req: &Req,
    session: &Session,
    status: StatusCode,
    form: &crate::mail::inbound::imap::AccountInput,
    error: Option<&str>,
) -> Resp {
    use crate::mail::inbound::imap;
    let loaded = blocking(app, |a| {
        let accounts = imap::overview(a)?;
        let quarantine = imap::quarantine_list(a, true)?;
        let mailboxes = a
            .store
            .read(settings::load)?
            .map(|s| s.mailboxes)
            .unwrap_or_default();
        Ok((accounts, quarantine, mailboxes))
    })
    .await;
    match loaded {
        Ok((accounts, quarantine, mailboxes)) => http::html(
            status,
            pages::imap::render(
                req,
                &pages::imap::ImapPage {
                    accounts: &accounts,
                    quarantine: &quarantine,
                    mailboxes: &mailboxes,
                    csrf: &session.csrf,
                    form,
                    error,
                },
            ),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

async fn imap_page(app: &Arc<App>, req: &Req) -> Resp {
    let session = match require_area(app, req, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_imap(app, req, session, StatusCode::OK, &Default::default(), None).await
}

async fn imap_add(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = crate::mail::inbound::imap::AccountInput {
        host: req.fs("host"),
        port: req.fs("port"),
        tls: req.fs("tls"),
        ca_file: req.fs("ca_file"),
        username: req.fs("username"),
        password: req.fs("password"),
        folder: req.fs("folder"),
        move_to: req.fs("move_to"),
        mailbox: req.fs("mailbox"),
        max_size: req.fs("max_size"),
        poll_secs: req.fs("poll_secs"),
    };
    let input = form.clone();
    match blocking(app, move |a| {
        crate::mail::inbound::imap::add_account(a, &input)
    })
    .await
    {
        Ok(id) => {
            tracing::info!(user = %session.user, account = id, "IMAP account added");
            audit_admin(
                app,
                req,
                "admin.imap",
                "imap accounts",
                crate::audit::Outcome::Ok,
                String::new(),
            );
            http::redirect("/admin/imap")
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            let mut shown = form;
            shown.password.clear();
            render_imap(
                app,
                req,
                session,
                StatusCode::BAD_REQUEST,
                &shown,
                Some(&e.message),
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn imap_action(app: &Arc<App>, req: &Req, uri: &Uri, id: &str, action: &str) -> Resp {
    let session = match require_area_post(app, req, uri, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(id) = parse_number(id) else {
        return pages::not_found(req);
    };
    let delete = action == "delete";
    let done = blocking(app, move |a| {
        if delete {
            crate::mail::inbound::imap::delete_account(a, id)
        } else {
            crate::mail::inbound::imap::refetch_all(a, id)
        }
    })
    .await;
    match done {
        Ok(()) => {
            tracing::info!(user = %session.user, account = id, action, "IMAP account changed");
            audit_admin(
                app,
                req,
                "admin.imap",
                "imap accounts",
                crate::audit::Outcome::Ok,
                String::new(),
            );
            http::redirect("/admin/imap")
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn quarantine_raw(app: &Arc<App>, req: &Req, id: &str) -> Resp {
    let session = match require_area(app, req, crate::auth::roles::Area::Mail) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(id) = parse_number(id) else {
        return pages::not_found(req);
    };
    match blocking(app, move |a| {
        crate::mail::inbound::imap::quarantine_raw(a, id)
    })
    .await
    {
        Ok((_, raw)) => {
            tracing::info!(user = %session.user, item = id, "quarantined mail downloaded");
            let mut r = http::response(StatusCode::OK, "application/octet-stream", raw);
            let h = r.headers_mut();
            if let Ok(v) =
                HeaderValue::from_str(&http::content_disposition(&format!("quarantine-{id}.eml")))
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

async fn quarantine_dismiss(app: &Arc<App>, req: &Req, uri: &Uri, id: &str) -> Resp {
    if let Err(r) = require_area_post(app, req, uri, crate::auth::roles::Area::Mail) {
        return r;
    }
    let Some(id) = parse_number(id) else {
        return pages::not_found(req);
    };
    match blocking(app, move |a| {
        crate::mail::inbound::imap::quarantine_dismiss(a, id)
    })
    .await
    {
        Ok(()) => {
            audit_admin(
                app,
                req,
                "admin.quarantine.dismiss",
                &format!("quarantine {id}"),
                crate::audit::Outcome::Ok,
                String::new(),
            );
            http::redirect("/admin/imap#quarantine")
        }
        Err(e) => pages::error_page(req, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_targets_stay_local() {
        assert_eq!(safe_next(Some("/tickets/1001")), "/tickets/1001");
        assert_eq!(safe_next(Some("//evil.example/")), "/tickets");
        assert_eq!(safe_next(Some("https://evil.example/")), "/tickets");
        assert_eq!(safe_next(Some("/\\evil.example")), "/tickets");
        assert_eq!(safe_next(Some("/login")), "/tickets");
        assert_eq!(safe_next(None), "/tickets");
    }

    #[test]
    fn numbers_parse_strictly() {
        assert_eq!(parse_number("1001"), Some(1001));
        assert_eq!(parse_number("+1"), None);
        assert_eq!(parse_number(""), None);
        assert_eq!(parse_number("99999999999999999999"), None);
    }
}
