//! Request and response plumbing shared by pages and the API: the parsed request, response
//! builders, cookies, security headers, CSRF checks and download headers.

use hyper::body::Bytes;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::i18n::Lang;
use crate::auth::session::{Session, tokens_equal};

/// Response body: always complete in memory (pages, JSON, attachments from the store).
pub type Body = http_body_util::Full<Bytes>;
/// A response.
pub type Resp = Response<Body>;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "trygg_session";
/// Name of the pre-session CSRF cookie (login form, double-submit).
pub const CSRF_COOKIE: &str = "trygg_csrf";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "lang";

/// The policy on every response (no inline scripts or styles anywhere).
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

/// A request as handlers see it: body already read (size-limited) and decoded.
pub struct Req {
    pub method: Method,
    pub path: String,
    /// Raw query string (without `?`).
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    /// `application/x-www-form-urlencoded` fields of a POST body.
    pub form: Vec<(String, String)>,
    pub lang: Lang,
    /// The signed-in session: (id, session).
    pub session: Option<(String, Session)>,
    /// access: the client's IP address (the TCP peer), recorded in audit events.
    pub peer: std::net::IpAddr,
    /// access: what the signed-in user may do now (for navigation only; every access is
    /// checked again by the domain function).
    pub grants: Option<crate::auth::roles::Grants>,
    /// login-security: the client address (socket peer, or forwarded by a trusted proxy).
    pub client: std::net::IpAddr,
}

impl Req {
    /// First query parameter `k`.
    pub fn q(&self, k: &str) -> Option<&str> {
        first(&self.query, k)
    }
    /// First form field `k`.
    pub fn f(&self, k: &str) -> Option<&str> {
        first(&self.form, k)
    }
    /// Form field `k`, or empty.
    pub fn fs(&self, k: &str) -> String {
        self.f(k).unwrap_or("").to_string()
    }
    /// Cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        cookie(&self.headers, name)
    }
    /// A header as text.
    pub fn header(&self, name: HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// access: the acting user for domain calls, if signed in.
    pub fn actor(&self) -> Option<crate::audit::access::Actor> {
        self.session
            .as_ref()
            .map(|(_, s)| crate::audit::access::Actor::user(&s.user, self.client.to_string()))
    }
    /// access: whether the signed-in user holds admin area `a` (navigation only).
    pub fn has_area(&self, a: crate::auth::roles::Area) -> bool {
        self.grants.as_ref().is_some_and(|g| g.has_area(a))
    }
    /// access: whether the signed-in user may open the queue admin page (`mail` area, or
    /// `manage` on some queue; navigation only).
    pub fn may_manage_queues(&self) -> bool {
        self.grants.as_ref().is_some_and(|g| {
            g.has_area(crate::auth::roles::Area::Mail)
                || g.any_queue(crate::auth::roles::QueuePerm::Manage)
        })
    }
    /// The path and query, with `lang` set to `l` (for the language switcher).
    pub fn url_with_lang(&self, l: Lang) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.query {
            if k != "lang" {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("lang", l.code());
        format!("{}?{}", self.path, ser.finish())
    }
}

fn first<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}

/// Decodes `a=b&c=d` (also used for form bodies); at most 200 pairs.
pub fn parse_urlencoded(s: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(s)
        .take(200)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// A `Set-Cookie` value for a secure, HTTP-only, same-site cookie; `max_age` in seconds,
/// `Some(0)` deletes it, `None` makes it a browser-session cookie.
pub fn set_cookie(name: &str, value: &str, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    c
}

/// A response with `status`, `content_type` and `body`.
pub fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Body::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

/// An HTML page (never cached: pages show personal data).
pub fn html(status: StatusCode, markup: maud::Markup) -> Resp {
    let mut r = response(status, "text/html; charset=utf-8", markup.into_string());
    no_store(&mut r);
    r
}

/// A JSON document (never cached).
pub fn json(status: StatusCode, value: &serde_json::Value) -> Resp {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = response(status, "application/json", body);
    no_store(&mut r);
    r
}

/// Plain text.
pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Resp {
    response(status, "text/plain; charset=utf-8", body)
}

/// `303 See Other` to a local path.
pub fn redirect(location: &str) -> Resp {
    let mut r = response(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", "");
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    no_store(&mut r);
    r
}

/// Adds a `Set-Cookie` header.
pub fn add_cookie(r: &mut Resp, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `Cache-Control: no-store`.
pub fn no_store(r: &mut Resp) {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Adds the headers every response carries (without replacing a more specific CSP or
/// Cache-Control a handler set).
pub fn security_headers(h: &mut HeaderMap) {
    let fixed: [(HeaderName, &'static str); 4] = [
        (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (k, v) in fixed {
        h.insert(k, HeaderValue::from_static(v));
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Whether a submitted CSRF token matches the expected one (constant time; empty never
/// matches).
pub fn csrf_ok(expected: &str, submitted: Option<&str>) -> bool {
    match submitted {
        Some(s) => !expected.is_empty() && tokens_equal(expected, s),
        None => false,
    }
}

/// Whether a state-changing request may come from where the browser says it came from:
/// `Sec-Fetch-Site` (if sent) must be `same-origin` or `none`, and `Origin` (if sent) must be
/// this host over https. Requests without either header (curl, old browsers) pass; the CSRF
/// token is the real check.
///
/// `Origin: null` passes only together with `Sec-Fetch-Site: same-origin`: our pages set
/// `Referrer-Policy: no-referrer`, and for that policy the Fetch standard (§ "append a
/// request `Origin` header") makes browsers send `Origin: null` on every POST, also on our
/// own forms (found with headless Chromium). `Sec-Fetch-Site` is a forbidden header name
/// that pages cannot set, and a cross-site or sandboxed sender gets `cross-site` there.
pub fn same_origin(headers: &HeaderMap, host: Option<&str>) -> bool {
    let mut fetch_same_origin = false;
    if let Some(site) = headers.get("sec-fetch-site") {
        match site.to_str() {
            Ok("same-origin") => fetch_same_origin = true,
            Ok("none") => {}
            _ => return false,
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if origin == "null" && fetch_same_origin {
            return true;
        }
        let Some(host) = host else { return false };
        let Some(authority) = origin.strip_prefix("https://") else {
            return false;
        };
        if !authority.eq_ignore_ascii_case(host) {
            return false;
        }
    }
    true
}

/// The request's authority: `Host`, or the URI authority (HTTP/2).
pub fn host_of(headers: &HeaderMap, uri: &hyper::Uri) -> Option<String> {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.as_str().to_string()))
}

/// Characters left alone in an RFC 5987 `ext-value` (attr-char).
const ATTR_CHAR_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition` for downloading `filename` (RFC 6266 with an RFC 5987
/// `filename*`): an ASCII fallback without quotes, backslashes or control characters, plus
/// the exact UTF-8 name percent-encoded.
pub fn content_disposition(filename: &str) -> String {
    let name: String = filename
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string();
    let name = if name.is_empty() {
        "attachment".to_string()
    } else {
        name
    };
    let fallback: String = name
        .chars()
        .map(|c| match c {
            '"' | '\\' | '/' | ';' | '%' => '_',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => ascii_fold(c),
        })
        .collect();
    let encoded = utf8_percent_encode(&name, ATTR_CHAR_ESCAPE);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A readable ASCII stand-in for common Nordic and Latin letters, `_` otherwise.
fn ascii_fold(c: char) -> char {
    match c {
        'å' | 'ä' | 'á' | 'à' | 'â' | 'ã' => 'a',
        'Å' | 'Ä' | 'Á' | 'À' | 'Â' | 'Ã' => 'A',
        'ö' | 'ø' | 'ó' | 'ò' | 'ô' | 'õ' => 'o',
        'Ö' | 'Ø' | 'Ó' | 'Ò' | 'Ô' | 'Õ' => 'O',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'ü' | 'ú' | 'ù' | 'û' => 'u',
        'Ü' | 'Ú' | 'Ù' | 'Û' => 'U',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ç' => 'c',
        'ñ' => 'n',
        'ß' => 's',
        'æ' => 'a',
        'Æ' => 'A',
        '–' | '—' => '-',
        _ => '_',
    }
}

/// The `Content-Type` to serve a stored attachment with: its own type only when browsers
/// handle it safely, else `application/octet-stream`.
pub fn safe_content_type(stored: &str) -> &'static str {
    let essence = stored
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "image/png" => "image/png",
        "image/jpeg" | "image/jpg" => "image/jpeg",
        "image/gif" => "image/gif",
        "image/webp" => "image/webp",
        "application/pdf" => "application/pdf",
        "text/plain" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_encodes_utf8_names() {
        let cd = content_disposition("Mødereferat – bestyrelsesmøde.pdf");
        assert_eq!(
            cd,
            "attachment; filename=\"Modereferat - bestyrelsesmode.pdf\"; \
             filename*=UTF-8''M%C3%B8dereferat%20%E2%80%93%20bestyrelsesm%C3%B8de.pdf"
        );
        assert!(HeaderValue::from_str(&cd).is_ok());
    }

    #[test]
    fn content_disposition_defuses_quotes_and_line_breaks() {
        let cd = content_disposition("evil\"name\r\nSet-Cookie: x=1;\\.txt");
        assert!(!cd.contains('\r') && !cd.contains('\n'));
        assert!(HeaderValue::from_str(&cd).is_ok());
        let fallback = cd
            .split("filename=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        assert_eq!(fallback, "evil_nameSet-Cookie: x=1__.txt");
        assert!(cd.ends_with("filename*=UTF-8''evil%22nameSet-Cookie%3A%20x%3D1%3B%5C.txt"));
        assert_eq!(
            content_disposition("\r\n"),
            "attachment; filename=\"attachment\"; filename*=UTF-8''attachment"
        );
    }

    #[test]
    fn only_safe_types_are_served_as_such() {
        assert_eq!(safe_content_type("image/PNG"), "image/png");
        assert_eq!(
            safe_content_type("application/pdf; name=x"),
            "application/pdf"
        );
        assert_eq!(safe_content_type("text/html"), "application/octet-stream");
        assert_eq!(
            safe_content_type("image/svg+xml"),
            "application/octet-stream"
        );
        assert_eq!(safe_content_type(""), "application/octet-stream");
    }

    #[test]
    fn csrf_and_origin_checks() {
        assert!(csrf_ok("abc123", Some("abc123")));
        assert!(!csrf_ok("abc123", Some("abc124")));
        assert!(!csrf_ok("abc123", Some("abc12")));
        assert!(!csrf_ok("abc123", None));
        assert!(!csrf_ok("", Some("")));

        let mut h = HeaderMap::new();
        assert!(same_origin(&h, Some("desk.example:8443")));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://desk.example:8443"),
        );
        assert!(same_origin(&h, Some("desk.example:8443")));
        assert!(!same_origin(&h, Some("other.example")));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://desk.example:8443"),
        );
        assert!(!same_origin(&h, Some("desk.example:8443")));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        // Origin null (Referrer-Policy no-referrer) with Sec-Fetch-Site same-origin: our form.
        assert!(same_origin(&h, Some("desk.example:8443")));
        h.remove("sec-fetch-site");
        assert!(!same_origin(&h, Some("desk.example:8443")));
        h.insert("sec-fetch-site", HeaderValue::from_static("none"));
        assert!(!same_origin(&h, Some("desk.example:8443")));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        h.remove(header::ORIGIN);
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h, Some("desk.example:8443")));
    }

    #[test]
    fn cookies_are_found() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; trygg_session=xyz; lang=sv"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "lang"), Some("sv"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
