//! Static files from the top-level `web/` folder, embedded into the binary.

use hyper::StatusCode;
use hyper::header::{self, HeaderValue};

use super::http::{Resp, response};

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Assets;

/// A short content hash of asset `name`, for cache-busting URLs (`?v=`).
pub fn version(name: &str) -> String {
    Assets::get(name)
        .map(|f| hex::encode(&f.metadata.sha256_hash()[..6]))
        .unwrap_or_default()
}

/// The URL of asset `name`, with its version.
pub fn url(name: &str) -> String {
    format!("/static/{name}?v={}", version(name))
}

/// Serves `/static/{name}`; `None` when there is no such file.
pub fn serve(name: &str, if_none_match: Option<&str>) -> Option<Resp> {
    if name.is_empty() || name.contains("..") || name.starts_with('/') {
        return None;
    }
    let file = Assets::get(name)?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let mut r = if if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
        response(StatusCode::NOT_MODIFIED, content_type(name), Vec::new())
    } else {
        response(StatusCode::OK, content_type(name), file.data.into_owned())
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // URLs carry the content hash (`?v=`), so a day is safe; revalidation is cheap.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    Some(r)
}

/// The content type for a file name.
fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheet_is_embedded_with_its_type() {
        let r = serve("trygg.css", None).expect("trygg.css embedded");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/css; charset=utf-8");
        assert!(serve("../Cargo.toml", None).is_none());
        assert!(serve("nope.css", None).is_none());
        assert!(url("trygg.css").starts_with("/static/trygg.css?v="));
    }
}
