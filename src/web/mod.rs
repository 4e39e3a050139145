//! HTTPS web UI and JSON API: hyper (HTTP/1.1 and HTTP/2) over rustls, a small router,
//! cookie sessions with CSRF tokens, server-rendered maud pages, and `/api/v1` JSON.
//!
//! Limits: TLS handshakes time out after 10 s, request headers must arrive within 20 s,
//! bodies are at most 1 MiB (413 otherwise) and must arrive within 30 s, and at most 1024
//! connections are served at once. Every response carries the security headers of
//! [`http::security_headers`].

pub mod api;
pub mod assets;
pub mod http;
pub mod i18n;
mod login_routes; // login-security
pub mod pages;
mod routes;
pub mod sanitize;
pub mod tls;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio_rustls::TlsAcceptor;

use crate::app::App;
use crate::error::{Error, Result};
use http::{Req, Resp};
use i18n::Lang;

/// Largest accepted request body.
pub const MAX_BODY: usize = 1024 * 1024;
/// Time allowed for the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a request's header block.
const HEADER_TIMEOUT: Duration = Duration::from_secs(20);
/// Time allowed for a request body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 1024;

/// Serves HTTPS on `listener` until the task is dropped.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
) -> Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!("HTTPS accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "too many HTTPS connections; closing a new one");
            drop(tcp);
            continue;
        };
        let app = app.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tcp.set_nodelay(true);
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, "TLS handshake failed: {e}");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            serve_connection(app, peer, stream).await;
        });
    }
}

async fn serve_connection(
    app: Arc<App>,
    peer: SocketAddr,
    stream: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
) {
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        async move { Ok::<_, Infallible>(handle(app, peer, req).await) }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(64)
        .max_header_list_size(64 * 1024)
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20));
    if let Err(e) = builder.serve_connection(TokioIo::new(stream), svc).await {
        tracing::debug!(%peer, "HTTP connection ended: {e}");
    }
}

/// Reads and decodes one request, routes it, and adds the headers every response carries.
async fn handle(app: Arc<App>, peer: SocketAddr, request: Request<Incoming>) -> Resp {
    let (parts, body) = request.into_parts();
    let query = http::parse_urlencoded(parts.uri.query().unwrap_or("").as_bytes());
    let lang_param = query
        .iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(v));
    let lang = Lang::negotiate(
        lang_param.map(Lang::code),
        http::cookie(&parts.headers, http::LANG_COOKIE),
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let session = http::cookie(&parts.headers, http::SESSION_COOKIE)
        .filter(|id| !id.is_empty() && id.len() <= 128)
        .and_then(|id| {
            app.sessions
                .get(id, app.now_ms())
                .map(|s| (id.to_string(), s))
        });
    // login-security: client address behind trusted proxies; a session used from an
    // address its allow-lists no longer admit is ended.
    let client = crate::auth::signin::client_addr(&app, peer.ip(), &parts.headers);
    let session = session.filter(|(id, s)| {
        let ok = crate::auth::signin::request_allowed(&app, &s.user, client);
        if !ok {
            tracing::warn!(user = %s.user, %client, "session refused: address not allowed");
            app.sessions.remove(id);
        }
        ok
    });
    let mut req = Req {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or("").to_string(),
        query,
        headers: parts.headers,
        form: Vec::new(),
        lang,
        session,
        // access
        peer: peer.ip(),
        grants: None,
        client, // login-security
    };
    if let Some((_, s)) = &req.session {
        let who = crate::audit::access::Actor::user(&s.user, client.to_string());
        req.grants = blocking(&app, move |a| {
            a.store.read(|r| crate::audit::access::grants(r, &who))
        })
        .await
        .ok();
    }

    let mut resp = match read_form(&mut req, body).await {
        Ok(()) => routes::route(&app, &req, &parts.uri).await,
        Err(status) if status == StatusCode::PAYLOAD_TOO_LARGE => pages::too_large(&req),
        Err(status) => http::text(status, status.canonical_reason().unwrap_or("error")),
    };
    if let Some(l) = lang_param {
        http::add_cookie(
            &mut resp,
            &http::set_cookie(http::LANG_COOKIE, l.code(), Some(365 * 24 * 3600)),
        );
    }
    http::security_headers(resp.headers_mut());
    tracing::debug!(%peer, method = %req.method, path = %req.path, status = resp.status().as_u16(), "request");
    resp
}

/// Reads the body of a POST (bounded in size and time) and decodes it as a form.
async fn read_form(req: &mut Req, body: Incoming) -> std::result::Result<(), StatusCode> {
    if req.method != Method::POST {
        return Ok(());
    }
    let declared = req
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let bytes =
        match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY).collect()).await {
            Ok(Ok(c)) => c.to_bytes(),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                return Err(StatusCode::PAYLOAD_TOO_LARGE);
            }
            Ok(Err(_)) => return Err(StatusCode::BAD_REQUEST),
            Err(_) => return Err(StatusCode::REQUEST_TIMEOUT),
        };
    let is_form = req
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';').next().is_some_and(|e| {
                e.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    if is_form {
        req.form = http::parse_urlencoded(&bytes);
    }
    Ok(())
}

/// Runs a (blocking) domain call on the blocking pool.
pub(crate) async fn blocking<T, F>(app: &Arc<App>, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&App) -> Result<T> + Send + 'static,
{
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .map_err(|e| Error::internal(format!("blocking task failed: {e}")))?
}

/// `Allow` header value helper for 405 answers.
pub(crate) fn method_not_allowed(allow: &'static str) -> Resp {
    let mut r = http::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}
