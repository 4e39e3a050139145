//! login-security: handlers for the sign-in steps (password, TOTP, forced enrolment,
//! forced password change), the account page (password, TOTP, sessions) and the admin
//! pages for the security policy and the directory. Called from `routes::route` first.

use std::sync::Arc;

use hyper::{Method, StatusCode, Uri};

use super::http::{self, CSRF_COOKIE, Req, Resp, SESSION_COOKIE};
use super::i18n::{Key, t};
use super::pages::login_text::{self as lt, tr};
use super::pages::{self, login::Enrolment};
use super::routes::{
    audit_admin, login_csrf_cookie, post_allowed, require_area, require_area_post, safe_next,
    to_login,
};
use super::{blocking, method_not_allowed};
use crate::app::App;
use crate::auth::roles::Area;
use crate::auth::session::random_token;
use crate::auth::signin::{self, LoginOutcome, Pending, Stage};
use crate::auth::{ldap, policy, totp};
use crate::error::ErrorKind;

/// Cookie holding the token of a half-finished login.
pub const PENDING_COOKIE: &str = "trygg_pending";

/// Serves the login-security routes; `None` for every other path.
pub async fn route(app: &Arc<App>, req: &Req, uri: &Uri, segs: &[&str]) -> Option<Resp> {
    let get = req.method == Method::GET || req.method == Method::HEAD;
    let post = req.method == Method::POST;
    Some(match segs {
        ["login"] if post => login_post(app, req, uri).await,
        ["login", "totp"] if get => totp_get(app, req),
        ["login", "totp"] if post => totp_post(app, req, uri).await,
        ["login", "enrol"] if get => enrol_get(app, req).await,
        ["login", "enrol"] if post => enrol_post(app, req, uri).await,
        ["login", "password"] if get => expired_get(app, req),
        ["login", "password"] if post => expired_post(app, req, uri).await,
        ["login", "totp" | "enrol" | "password"] => method_not_allowed("GET, HEAD, POST"),
        ["account"] if get => account_page(app, req, None, None, StatusCode::OK).await,
        ["account", "password"] if post => account_password(app, req, uri).await,
        ["account", "totp"] if get => account_totp_get(app, req).await,
        ["account", "totp"] if post => account_totp_post(app, req, uri).await,
        ["account", "totp", "disable"] if post => account_totp_disable(app, req, uri).await,
        ["account", "sessions", "others"] if post => sessions_others(app, req, uri).await,
        ["account", "sessions", h, "end"] if post => session_end(app, req, uri, h).await,
        ["admin", "security"] if get => security_page(app, req, None, None).await,
        ["admin", "security"] if post => security_post(app, req, uri).await,
        ["admin", "ldap"] if get => ldap_page(app, req, None, None, None).await,
        ["admin", "ldap"] if post => ldap_post(app, req, uri).await,
        ["admin", "ldap", "test"] if post => ldap_test(app, req, uri).await,
        _ => return None,
    })
}

// ---- helpers ----------------------------------------------------------------------------

fn user_agent(req: &Req) -> String {
    req.header(hyper::header::USER_AGENT)
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

fn login_page(req: &Req, status: StatusCode, email: &str, error: Option<&str>) -> Resp {
    let (csrf, fresh) = match login_csrf_cookie(req) {
        Some(c) => (c.to_string(), false),
        None => (random_token(), true),
    };
    let mut r = http::html(status, pages::login::render(req, &csrf, email, error, None));
    if fresh {
        http::add_cookie(&mut r, &http::set_cookie(CSRF_COOKIE, &csrf, None));
    }
    r
}

/// Signs `email` in: a new session id (rotation), the pending login and any old session
/// ended, cookies set on `r`.
fn finish(app: &App, req: &Req, email: &str, mut r: Resp) -> Resp {
    if let Some((old, _)) = &req.session {
        app.sessions.remove(old);
    }
    if let Some(p) = req.cookie(PENDING_COOKIE) {
        app.login.end_pending(p);
    }
    let (id, _) = app.sessions.create_for(
        email,
        app.now_ms(),
        &req.client.to_string(),
        &user_agent(req),
    );
    tracing::info!(user = %email, client = %req.client, "signed in");
    http::add_cookie(&mut r, &http::set_cookie(SESSION_COOKIE, &id, None));
    http::add_cookie(&mut r, &http::set_cookie(CSRF_COOKIE, "", Some(0)));
    http::add_cookie(&mut r, &http::set_cookie(PENDING_COOKIE, "", Some(0)));
    r
}

/// Starts a half-finished login at `stage` and sends the browser to its page.
fn to_stage(app: &App, req: &Req, email: &str, stage: Stage, next: &str) -> Resp {
    if let Some(p) = req.cookie(PENDING_COOKIE) {
        app.login.end_pending(p);
    }
    let token = app.login.start_pending(Pending {
        email: email.to_string(),
        stage,
        created_ms: app.now_ms(),
        addr: req.client,
        next: next.to_string(),
    });
    let target = match stage {
        Stage::Totp => "/login/totp",
        Stage::Enrol => "/login/enrol",
        Stage::ChangePassword => "/login/password",
    };
    let mut r = http::redirect(target);
    http::add_cookie(&mut r, &http::set_cookie(PENDING_COOKIE, &token, None));
    r
}

/// The pending login of this browser at `stage`, from the same address.
fn pending_of(app: &App, req: &Req, stage: Stage) -> Option<(String, Pending)> {
    let token = req.cookie(PENDING_COOKIE)?;
    let p = app.login.pending(token, app.now_ms())?;
    (p.stage == stage && p.addr == req.client).then(|| (token.to_string(), p))
}

/// The answer to an outcome of any step.
fn answer(app: &App, req: &Req, email: &str, next: &str, o: LoginOutcome) -> Resp {
    let l = req.lang;
    // Every step's outcome is an audit event; a store that cannot record it refuses the login.
    let audited = tokio::task::block_in_place(|| signin::audit_outcome(app, email, req.client, &o));
    if let Err(e) = audited {
        return pages::error_page(req, &e);
    }
    match o {
        LoginOutcome::Success(u) => finish(app, req, &u.email, http::redirect(next)),
        LoginOutcome::TotpRequired(u) => to_stage(app, req, &u.email, Stage::Totp, next),
        LoginOutcome::EnrolmentRequired(u) => to_stage(app, req, &u.email, Stage::Enrol, next),
        LoginOutcome::PasswordExpired(u) => {
            to_stage(app, req, &u.email, Stage::ChangePassword, next)
        }
        LoginOutcome::BadCredentials => login_page(
            req,
            StatusCode::UNAUTHORIZED,
            email,
            Some(t(l, Key::WrongLogin)),
        ),
        LoginOutcome::LockedOut => login_page(
            req,
            StatusCode::TOO_MANY_REQUESTS,
            email,
            Some(tr(l, lt::LOCKED)),
        ),
        LoginOutcome::IpRefused => pages::message_page(
            req,
            StatusCode::FORBIDDEN,
            t(l, Key::ForbiddenTitle),
            tr(l, lt::IP_REFUSED),
        ),
        LoginOutcome::DirectoryUnavailable => login_page(
            req,
            StatusCode::SERVICE_UNAVAILABLE,
            email,
            Some(tr(l, lt::DIRECTORY_DOWN)),
        ),
    }
}

// ---- sign-in steps ------------------------------------------------------------------------

/// POST /login: the password step.
pub(super) async fn login_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let expected = login_csrf_cookie(req).unwrap_or("");
    if !post_allowed(req, uri, expected) {
        return pages::csrf_failed(req);
    }
    let email = req.fs("email").trim().to_string();
    let password = req.fs("password");
    if email.is_empty() || email.len() > 254 || password.is_empty() || password.len() > 1024 {
        let msg = t(req.lang, Key::WrongLogin);
        return login_page(req, StatusCode::UNAUTHORIZED, &email, Some(msg));
    }
    let next = safe_next(req.q("next")).to_string();
    let outcome = signin::attempt_password(app, &email, &password, req.client).await;
    answer(app, req, &email, &next, outcome)
}

fn totp_get(app: &Arc<App>, req: &Req) -> Resp {
    if pending_of(app, req, Stage::Totp).is_none() {
        return http::redirect("/login");
    }
    let csrf = login_csrf_cookie(req).unwrap_or("").to_string();
    http::html(StatusCode::OK, pages::login::render_totp(req, &csrf, None))
}

async fn totp_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let expected = login_csrf_cookie(req).unwrap_or("").to_string();
    if !post_allowed(req, uri, &expected) {
        return pages::csrf_failed(req);
    }
    let Some((token, p)) = pending_of(app, req, Stage::Totp) else {
        return http::redirect("/login");
    };
    let code = req.fs("code");
    let (email, ip) = (p.email.clone(), req.client);
    let outcome = match blocking(app, move |a| {
        Ok(signin::attempt_second_factor(a, &email, &code, ip))
    })
    .await
    {
        Ok(o) => o,
        Err(e) => return pages::error_page(req, &e),
    };
    match outcome {
        LoginOutcome::BadCredentials => http::html(
            StatusCode::UNAUTHORIZED,
            pages::login::render_totp(req, &expected, Some(tr(req.lang, lt::WRONG_CODE))),
        ),
        LoginOutcome::LockedOut => {
            app.login.end_pending(&token);
            answer(app, req, &p.email, &p.next, LoginOutcome::LockedOut)
        }
        o => answer(app, req, &p.email, &p.next, o),
    }
}

/// Where the enrolment form is shown: form target, CSRF token, forced or not.
struct EnrolAt<'a> {
    action: &'a str,
    csrf: &'a str,
    required: bool,
}

async fn enrol_form(
    app: &Arc<App>,
    req: &Req,
    email: &str,
    at: EnrolAt<'_>,
    error: Option<&str>,
    status: StatusCode,
) -> Resp {
    let EnrolAt {
        action,
        csrf,
        required,
    } = at;
    let who = email.to_string();
    let secret = blocking(app, move |a| match signin::totp_pending(a, &who)? {
        Some(s) => Ok(s),
        None => signin::totp_begin(a, &who),
    })
    .await;
    let secret = match secret {
        Ok(s) => s,
        Err(e) => return pages::error_page(req, &e),
    };
    let shown = (|| {
        let uri = totp::otpauth_uri(&secret, email)?;
        let svg = totp::qr_svg(&uri)?;
        Ok::<_, crate::error::Error>((uri, svg))
    })();
    match shown {
        Ok((uri, svg)) => http::html(
            status,
            pages::login::render_enrol(
                req,
                &Enrolment {
                    secret_base32: &totp::secret_base32(&secret),
                    uri: &uri,
                    qr_svg: &svg,
                    csrf,
                    action,
                    required,
                    error,
                },
            ),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

async fn enrol_get(app: &Arc<App>, req: &Req) -> Resp {
    let Some((_, p)) = pending_of(app, req, Stage::Enrol) else {
        return http::redirect("/login");
    };
    let csrf = login_csrf_cookie(req).unwrap_or("").to_string();
    enrol_form(
        app,
        req,
        &p.email,
        EnrolAt {
            action: "/login/enrol",
            csrf: &csrf,
            required: true,
        },
        None,
        StatusCode::OK,
    )
    .await
}

async fn enrol_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let expected = login_csrf_cookie(req).unwrap_or("").to_string();
    if !post_allowed(req, uri, &expected) {
        return pages::csrf_failed(req);
    }
    let Some((_, p)) = pending_of(app, req, Stage::Enrol) else {
        return http::redirect("/login");
    };
    let code = req.fs("code");
    let who = p.email.clone();
    let r = blocking(app, move |a| {
        let codes = signin::totp_confirm(a, &who, &code)?;
        Ok((codes, signin::continue_after(a, &who)?))
    })
    .await;
    match r {
        Ok((codes, LoginOutcome::Success(u))) => {
            let page = pages::login::render_recovery_codes(req, &codes, &p.next);
            finish(app, req, &u.email, http::html(StatusCode::OK, page))
        }
        Ok((codes, LoginOutcome::PasswordExpired(u))) => {
            let mut r = to_stage(app, req, &u.email, Stage::ChangePassword, &p.next);
            // Show the codes now (they are never shown again), then go on to the password.
            let page = pages::login::render_recovery_codes(req, &codes, "/login/password");
            let cookies: Vec<_> = r
                .headers()
                .get_all(hyper::header::SET_COOKIE)
                .iter()
                .cloned()
                .collect();
            r = http::html(StatusCode::OK, page);
            for c in cookies {
                r.headers_mut().append(hyper::header::SET_COOKIE, c);
            }
            r
        }
        Ok((_, o)) => answer(app, req, &p.email, &p.next, o),
        Err(e) if e.kind == ErrorKind::Invalid => {
            enrol_form(
                app,
                req,
                &p.email,
                EnrolAt {
                    action: "/login/enrol",
                    csrf: &expected,
                    required: true,
                },
                Some(&e.message),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

fn expired_get(app: &Arc<App>, req: &Req) -> Resp {
    if pending_of(app, req, Stage::ChangePassword).is_none() {
        return http::redirect("/login");
    }
    let csrf = login_csrf_cookie(req).unwrap_or("").to_string();
    http::html(
        StatusCode::OK,
        pages::login::render_expired(req, &csrf, None),
    )
}

async fn expired_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let expected = login_csrf_cookie(req).unwrap_or("").to_string();
    if !post_allowed(req, uri, &expected) {
        return pages::csrf_failed(req);
    }
    let Some((_, p)) = pending_of(app, req, Stage::ChangePassword) else {
        return http::redirect("/login");
    };
    let new = req.fs("new_password");
    if new != req.fs("new_password2") {
        let msg = tr(req.lang, lt::PASSWORDS_DIFFER);
        return http::html(
            StatusCode::BAD_REQUEST,
            pages::login::render_expired(req, &expected, Some(msg)),
        );
    }
    let who = p.email.clone();
    let r = blocking(app, move |a| {
        policy::change_password(a, &who, None, &new)?;
        signin::continue_after(a, &who)
    })
    .await;
    match r {
        Ok(o) => {
            tracing::info!(user = %p.email, "expired password replaced");
            answer(app, req, &p.email, &p.next, o)
        }
        Err(e) if e.kind == ErrorKind::Invalid => http::html(
            StatusCode::BAD_REQUEST,
            pages::login::render_expired(req, &expected, Some(&e.message)),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- account --------------------------------------------------------------------------

async fn account_page(
    app: &Arc<App>,
    req: &Req,
    notice: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Resp {
    let Some((id, s)) = &req.session else {
        return to_login(req);
    };
    let who = s.user.clone();
    let info = blocking(app, move |a| {
        let st = signin::totp_status(a, &who)?;
        let actor = crate::audit::access::Actor::user(&who, "");
        let admin = a
            .store
            .read(|r| crate::audit::access::grants(r, &actor))?
            .has_area(Area::Policies);
        Ok((st, admin))
    })
    .await;
    let ((totp_on, left, directory), is_admin) = match info {
        Ok(x) => x,
        Err(e) => return pages::error_page(req, &e),
    };
    let own = crate::auth::session::handle(id);
    let sessions: Vec<_> = app
        .sessions
        .list_user(&s.user, app.now_ms())
        .into_iter()
        .map(|(h, sess)| {
            let cur = h == own;
            (h, sess, cur)
        })
        .collect();
    let page = pages::account::render(
        req,
        &pages::account::AccountPage {
            csrf: &s.csrf,
            email: &s.user,
            directory,
            totp_on,
            recovery_left: left,
            sessions: &sessions,
            is_admin,
            notice,
            error,
        },
    );
    http::html(status, page)
}

async fn account_password(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let Some((id, s)) = &req.session else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &s.csrf) {
        return pages::csrf_failed(req);
    }
    let new = req.fs("new_password");
    if new != req.fs("new_password2") {
        let msg = tr(req.lang, lt::PASSWORDS_DIFFER);
        return account_page(app, req, None, Some(msg), StatusCode::BAD_REQUEST).await;
    }
    let current = req.fs("current_password");
    let who = s.user.clone();
    match blocking(app, move |a| {
        policy::change_password(a, &who, Some(&current), &new)
    })
    .await
    {
        Ok(()) => {
            // Other sessions end with the old password.
            app.sessions.remove_user_except(&s.user, id);
            tracing::info!(user = %s.user, "password changed");
            let msg = tr(req.lang, lt::PASSWORD_CHANGED);
            account_page(app, req, Some(msg), None, StatusCode::OK).await
        }
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Forbidden) => {
            account_page(app, req, None, Some(&e.message), StatusCode::BAD_REQUEST).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// Whether `email` already has TOTP on: then it must be turned off (with the password)
/// before a new one is set up, so a borrowed session cannot swap the second factor.
async fn totp_is_on(app: &Arc<App>, email: &str) -> crate::error::Result<bool> {
    let who = email.to_string();
    Ok(blocking(app, move |a| signin::totp_status(a, &who))
        .await?
        .0)
}

async fn account_totp_get(app: &Arc<App>, req: &Req) -> Resp {
    let Some((_, s)) = &req.session else {
        return to_login(req);
    };
    match totp_is_on(app, &s.user).await {
        Ok(true) => return http::redirect("/account#two-step"),
        Ok(false) => {}
        Err(e) => return pages::error_page(req, &e),
    }
    enrol_form(
        app,
        req,
        &s.user,
        EnrolAt {
            action: "/account/totp",
            csrf: &s.csrf,
            required: false,
        },
        None,
        StatusCode::OK,
    )
    .await
}

async fn account_totp_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let Some((_, s)) = &req.session else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &s.csrf) {
        return pages::csrf_failed(req);
    }
    match totp_is_on(app, &s.user).await {
        Ok(true) => return http::redirect("/account#two-step"),
        Ok(false) => {}
        Err(e) => return pages::error_page(req, &e),
    }
    let code = req.fs("code");
    let who = s.user.clone();
    match blocking(app, move |a| signin::totp_confirm(a, &who, &code)).await {
        Ok(codes) => http::html(
            StatusCode::OK,
            pages::login::render_recovery_codes(req, &codes, "/account"),
        ),
        Err(e) if e.kind == ErrorKind::Invalid => {
            enrol_form(
                app,
                req,
                &s.user,
                EnrolAt {
                    action: "/account/totp",
                    csrf: &s.csrf,
                    required: false,
                },
                Some(&e.message),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn account_totp_disable(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let Some((_, s)) = &req.session else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &s.csrf) {
        return pages::csrf_failed(req);
    }
    let pw = req.fs("password");
    let who = s.user.clone();
    match blocking(app, move |a| signin::totp_disable(a, &who, &pw)).await {
        Ok(()) => http::redirect("/account"),
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Forbidden) => {
            account_page(app, req, None, Some(&e.message), StatusCode::BAD_REQUEST).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn sessions_others(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let Some((id, s)) = &req.session else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &s.csrf) {
        return pages::csrf_failed(req);
    }
    let n = app.sessions.remove_user_except(&s.user, id);
    tracing::info!(user = %s.user, ended = n, "signed out elsewhere");
    let msg = tr(req.lang, lt::SIGNED_OUT_ELSEWHERE);
    account_page(app, req, Some(msg), None, StatusCode::OK).await
}

async fn session_end(app: &Arc<App>, req: &Req, uri: &Uri, h: &str) -> Resp {
    let Some((_, s)) = &req.session else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &s.csrf) {
        return pages::csrf_failed(req);
    }
    if !app.sessions.remove_by_handle(&s.user, h) {
        return pages::not_found(req);
    }
    http::redirect("/account#sessions")
}

// ---- admin: security policy --------------------------------------------------------------

async fn security_page(
    app: &Arc<App>,
    req: &Req,
    form: Option<(&pages::security::PolicyForm, &str)>,
    notice: Option<&str>,
) -> Resp {
    let session = match require_area(app, req, Area::Policies) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some((f, err)) = form {
        let page = pages::security::render(req, f, &session.csrf, None, Some(err));
        return http::html(StatusCode::BAD_REQUEST, page);
    }
    let p = match blocking(app, signin::policy).await {
        Ok(p) => p,
        Err(e) => return pages::error_page(req, &e),
    };
    let notice = notice.or((req.q("saved") == Some("1")).then(|| tr(req.lang, lt::SAVED)));
    let f = pages::security::PolicyForm::from_policy(&p);
    http::html(
        StatusCode::OK,
        pages::security::render(req, &f, &session.csrf, notice, None),
    )
}

async fn security_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Policies) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f = pages::security::PolicyForm {
        min_length: req.fs("min_length"),
        require_lower: req.f("require_lower").is_some(),
        require_upper: req.f("require_upper").is_some(),
        require_digit: req.f("require_digit").is_some(),
        require_symbol: req.f("require_symbol").is_some(),
        min_strength: req.fs("min_strength"),
        history: req.fs("history"),
        max_age_days: req.fs("max_age_days"),
        totp_roles: req.fs("totp_roles"),
        allow_global: req.fs("allow_global"),
        allow_roles: req.fs("allow_roles"),
        trusted_proxies: req.fs("trusted_proxies"),
        account_max_failures: req.fs("account_max_failures"),
        account_lockout_minutes: req.fs("account_lockout_minutes"),
        address_max_failures: req.fs("address_max_failures"),
        address_window_minutes: req.fs("address_window_minutes"),
    };
    let p = match f.to_policy() {
        Ok(p) => p,
        Err(m) => return security_page(app, req, Some((&f, &m)), None).await,
    };
    let who = session.user.clone();
    let (saver, peer, headers) = (session.user.clone(), req.peer, req.headers.clone());
    match blocking(app, move |a| {
        signin::save_policy_checked(a, p, &saver, peer, &headers)
    })
    .await
    {
        Ok(()) => {
            tracing::info!(user = %who, "sign-in security policy changed");
            audit_admin(
                app,
                req,
                "admin.security",
                "security policy",
                crate::audit::Outcome::Ok,
                String::new(),
            );
            http::redirect("/admin/security?saved=1")
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            security_page(app, req, Some((&f, &e.message)), None).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- admin: directory ----------------------------------------------------------------------

async fn ldap_page(
    app: &Arc<App>,
    req: &Req,
    shown: Option<&ldap::LdapConfig>,
    test: Option<(&[ldap::TestStep], &str)>,
    error: Option<&str>,
) -> Resp {
    let session = match require_area(app, req, Area::Users) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let stored = match blocking(app, |a| a.store.read(ldap::load)).await {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return pages::error_page(req, &e),
    };
    let c = shown.unwrap_or(&stored);
    let notice = (req.q("saved") == Some("1")).then(|| tr(req.lang, lt::SAVED));
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    http::html(
        status,
        pages::ldap::render(req, c, &session.csrf, test, notice, error),
    )
}

/// The directory form as a config; the stored service password is kept when left empty.
async fn ldap_form(app: &Arc<App>, req: &Req) -> Result<ldap::LdapConfig, String> {
    let stored = blocking(app, |a| a.store.read(ldap::load))
        .await
        .map_err(|e| e.message)?
        .unwrap_or_default();
    let pw = req.fs("bind_password");
    Ok(ldap::LdapConfig {
        enabled: req.f("enabled").is_some(),
        url: req.fs("url").trim().to_string(),
        starttls: req.f("starttls").is_some(),
        ca_file: req.fs("ca_file").trim().to_string(),
        bind_mode: if req.fs("bind_mode") == "upn" {
            ldap::BindMode::Upn
        } else {
            ldap::BindMode::SearchThenBind
        },
        upn_domain: req.fs("upn_domain").trim().to_string(),
        bind_dn: req.fs("bind_dn").trim().to_string(),
        bind_password: if pw.is_empty() {
            stored.bind_password
        } else {
            pw
        },
        base_dn: req.fs("base_dn").trim().to_string(),
        user_filter: req.fs("user_filter").trim().to_string(),
        mail_attr: req.fs("mail_attr").trim().to_string(),
        name_attr: req.fs("name_attr").trim().to_string(),
        disabled_filter: req.fs("disabled_filter").trim().to_string(),
        group_roles: pages::ldap::parse_group_roles(&req.fs("group_roles"))?,
        max_depth: req
            .fs("max_depth")
            .trim()
            .parse()
            .map_err(|_| "nested group depth: not a number".to_string())?,
    })
}

async fn ldap_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Users) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let c = match ldap_form(app, req).await {
        Ok(c) => c,
        Err(m) => return ldap_page(app, req, None, None, Some(&m)).await,
    };
    let c2 = c.clone();
    let who = session.user.clone();
    match blocking(app, move |a| {
        a.store.write(a.now_ms(), |tx| ldap::save(tx, c2))
    })
    .await
    {
        Ok(()) => {
            tracing::info!(user = %who, "directory settings changed");
            audit_admin(
                app,
                req,
                "admin.ldap",
                "directory settings",
                crate::audit::Outcome::Ok,
                String::new(),
            );
            http::redirect("/admin/ldap?saved=1")
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            ldap_page(app, req, Some(&c), None, Some(&e.message)).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

async fn ldap_test(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Users) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cfg = match blocking(app, |a| a.store.read(ldap::load)).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return ldap_page(
                app,
                req,
                None,
                None,
                Some("directory: save the settings first"),
            )
            .await;
        }
        Err(e) => return pages::error_page(req, &e),
    };
    let login = req.fs("test_login");
    let pw = req.fs("test_password");
    let (steps, summary) = ldap::test(&cfg, &login, Some(&pw)).await;
    tracing::info!(user = %session.user, login = %login, result = %summary, "directory test");
    ldap_page(app, req, None, Some((&steps, &summary)), None).await
}
