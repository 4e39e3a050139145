//! Sanitising mail HTML for display (DESIGN invariant 4).
//!
//! An allow-list of formatting tags (ammonia's defaults: no script, style, iframe, object,
//! embed, form, input, link, meta, base), no event handlers, no `style` attributes (our CSP
//! would block them anyway), links only to `http`, `https` and `mailto` with
//! `rel="noopener noreferrer"`, and images only when they reference an attachment of the
//! same article by `cid:`, rewritten to that attachment's download URL. Every other image
//! source (remote, `data:`, relative) is removed, so opening a mail never contacts a sender's
//! server.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Cleans `html`. `cid_urls` maps a Content-ID (without `<>`, compared case-sensitively as
/// the mail gave it) to the URL that serves that attachment.
pub fn sanitise_mail_html(html: &str, cid_urls: &HashMap<String, String>) -> String {
    sanitise_mail_html_with(html, cid_urls, false).0
}

/// [`sanitise_mail_html`] with a choice for remote images: with `remote_images` an `img`
/// may also load an `https:`/`http:` URL (the agent asked for it; the page then needs a CSP
/// allowing those images). Returns the HTML and whether it had remote images (kept or
/// removed).
pub fn sanitise_mail_html_with(
    html: &str,
    cid_urls: &HashMap<String, String>,
    remote_images: bool,
) -> (String, bool) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let saw_remote = Arc::new(AtomicBool::new(false));
    let saw = saw_remote.clone();
    let cids = cid_urls.clone();
    let mut b = ammonia::Builder::default();
    // Tags whose content is dropped too (not just the tag).
    b.clean_content_tags(HashSet::from([
        "script", "style", "iframe", "object", "embed", "noscript", "template", "title", "head",
        "svg", "math", "form", "select", "textarea", "button",
    ]));
    b.add_tags(["font", "center"]);
    b.rm_tag_attributes("img", ["src", "alt", "title", "width", "height", "align"]);
    b.add_tag_attributes("img", ["src", "alt", "title", "width", "height"]);
    b.add_tag_attributes("font", ["color", "size"]);
    // Attributes that hold URLs but are not needed to read a mail.
    b.rm_tag_attributes("blockquote", ["cite"]);
    b.rm_tag_attributes("q", ["cite"]);
    b.rm_tag_attributes("del", ["cite"]);
    b.rm_tag_attributes("ins", ["cite"]);
    b.url_schemes(HashSet::from(["http", "https", "mailto", "cid"]));
    // The only relative URLs left after the attribute filter are the attachment URLs it
    // wrote itself; anything else relative is dropped.
    b.url_relative(ammonia::UrlRelative::Custom(Box::new(own_attachment_url)));
    b.link_rel(Some("noopener noreferrer"));
    b.strip_comments(true);
    b.attribute_filter(move |element, attribute, value| -> Option<Cow<'_, str>> {
        match (element, attribute) {
            ("img", "src") => {
                let v = value.trim();
                let remote = strip_prefix_ignore_case(v, "https:").is_some()
                    || strip_prefix_ignore_case(v, "http:").is_some();
                if remote {
                    saw.store(true, Ordering::Relaxed);
                    return remote_images.then_some(Cow::Borrowed(value));
                }
                let cid = strip_prefix_ignore_case(v, "cid:")?;
                let cid = percent_encoding::percent_decode_str(cid)
                    .decode_utf8()
                    .ok()?;
                let cid = cid.trim_start_matches('<').trim_end_matches('>');
                cids.get(cid).map(|u| Cow::Owned(u.clone()))
            }
            (_, "href") => {
                let v = value.trim_start();
                let ok = ["http:", "https:", "mailto:"]
                    .iter()
                    .any(|p| strip_prefix_ignore_case(v, p).is_some());
                ok.then_some(Cow::Borrowed(value))
            }
            (_, "style") => None,
            (_, a) if a.starts_with("on") => None,
            _ => Some(Cow::Borrowed(value)),
        }
    });
    let out = b.clean(html).to_string();
    (out, saw_remote.load(Ordering::Relaxed))
}

fn own_attachment_url(u: &str) -> Option<Cow<'_, str>> {
    (u.starts_with("/tickets/") && u.contains("/attachments/")).then_some(Cow::Borrowed(u))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = r#"<html><head><title>x</title><style>body{background:url(https://evil.example/t.png)}</style>
<script>alert(1)</script></head><body>
<p onclick="steal()">Hello <b>there</b></p>
<img src=x onerror="alert(2)">
<a href="javascript:alert(3)">click</a>
<a href=" JaVaScRiPt:alert(4)">click2</a>
<a href="https://example.org/page" target="_blank">ok link</a>
<iframe src="https://evil.example/frame"></iframe>
<object data="https://evil.example/x.swf"></object>
<form action="https://evil.example/"><input name=a></form>
<img src="https://tracker.example/pixel.gif" width=1 height=1>
<img src="http://tracker.example/p2.gif">
<img src="data:image/png;base64,iVBORw0KGgo=">
<img src="//tracker.example/p3.gif">
<img src="cid:logo@example.org" alt="Logo">
<img src="CID:unknown@example.org">
<div style="background-image:url(https://evil.example/bg.png)">styled</div>
<svg><image href="https://evil.example/s.png"/></svg>
<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example/">
<!-- a comment -->
</body></html>"#;

    #[test]
    fn hostile_html_is_defused_and_cid_images_rewritten() {
        let cids = HashMap::from([(
            "logo@example.org".to_string(),
            "/tickets/1001/articles/7/attachments/0".to_string(),
        )]);
        let out = sanitise_mail_html(HOSTILE, &cids);
        let lower = out.to_lowercase();
        for bad in [
            "<script",
            "alert(",
            "onerror",
            "onclick",
            "javascript:",
            "<iframe",
            "<object",
            "<style",
            "<form",
            "<input",
            "evil.example",
            "tracker.example",
            "data:",
            "style=",
            "url(",
            "<svg",
            "<base",
            "<meta",
            "<!--",
            "<title",
        ] {
            assert!(!lower.contains(bad), "{bad} survived in {out}");
        }
        assert!(
            out.contains(r#"src="/tickets/1001/articles/7/attachments/0""#),
            "{out}"
        );
        assert!(out.contains("alt=\"Logo\""), "{out}");
        assert!(out.contains("<b>there</b>"));
        assert!(out.contains(r#"href="https://example.org/page""#), "{out}");
        assert!(out.contains(r#"rel="noopener noreferrer""#), "{out}");
        assert!(!out.contains("target="), "{out}");
        assert!(out.contains("styled"));
        assert!(!out.contains("unknown@example.org"));
    }

    #[test]
    fn cid_lookup_accepts_angle_brackets_and_percent_encoding() {
        let url = "/tickets/1/articles/2/attachments/0";
        let cids = HashMap::from([("a b@x".to_string(), url.to_string())]);
        let out = sanitise_mail_html(
            r#"<img src="cid:a%20b@x"><img src="cid:%3Ca%20b@x%3E">"#,
            &cids,
        );
        assert_eq!(out.matches(&format!("src=\"{url}\"")).count(), 2, "{out}");
    }

    #[test]
    fn remote_images_only_when_asked_and_still_sanitised() {
        let html = r#"<p>Hej<img src="https://tracker.example/p.gif" onerror="x()"><script>alert(1)</script></p>"#;
        let (blocked, had) = sanitise_mail_html_with(html, &HashMap::new(), false);
        assert!(had);
        assert!(!blocked.contains("tracker.example"), "{blocked}");
        let (shown, had) = sanitise_mail_html_with(html, &HashMap::new(), true);
        assert!(had);
        assert!(
            shown.contains(r#"src="https://tracker.example/p.gif""#),
            "{shown}"
        );
        assert!(
            !shown.contains("onerror") && !shown.contains("script"),
            "{shown}"
        );
        let (_, had) = sanitise_mail_html_with("<p>x</p>", &HashMap::new(), false);
        assert!(!had);
    }
}
