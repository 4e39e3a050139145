//! contacts and privacy: handlers of the contact page (view, rectification, consent record,
//! withdrawal, history export) and of the admin's data-subject request pages. Each calls
//! one domain function in `gdpr` that checks permission and audits; a refusal comes back
//! as `NotFound` and is shown as the ordinary 404 page.

use std::sync::Arc;

use hyper::header::{self, HeaderValue};
use hyper::{StatusCode, Uri};

use super::{parse_number, post_allowed, require_area, require_area_post, session_of, to_login};
use crate::app::App;
use crate::auth::roles::Area;
use crate::error::{ErrorKind, Result};
use crate::gdpr::contacts::{self, ConsentForm, ContactView, ExportFormat, Rectification};
use crate::web::blocking;
use crate::web::http::{self, Req, Resp};
use crate::web::pages::{
    self,
    contact::{self, ConsentValues, Messages, RectifyValues},
    privacy::{self, SubjectForm},
    privacy_text::{self as x, tr},
};

/// The address in a `/contacts/{address}` segment (percent-decoded), or `None`.
fn address_of(seg: &str) -> Option<String> {
    let s = percent_encoding::percent_decode_str(seg)
        .decode_utf8()
        .ok()?;
    contacts::address(&s).ok()
}

fn rect_values(v: &ContactView) -> RectifyValues {
    let c = v.contact.as_ref();
    RectifyValues {
        name: c.and_then(|c| c.name.clone()).unwrap_or_default(),
        phone: c.and_then(|c| c.phone.clone()).unwrap_or_default(),
        organisation: c.and_then(|c| c.organisation.clone()).unwrap_or_default(),
    }
}

/// Loads the contact page (audited `contact.view`) and renders it with `rect`/`cons` (or
/// the stored values / an empty consent form) and the messages.
async fn render_contact(
    app: &Arc<App>,
    req: &Req,
    address: &str,
    status: StatusCode,
    rect: Option<RectifyValues>,
    cons: ConsentValues,
    msg: Messages<'_>,
) -> Resp {
    let (Some(actor), Some(session)) = (req.actor(), session_of(req)) else {
        return to_login(req);
    };
    let addr = address.to_string();
    match blocking(app, move |a| contacts::view(a, &actor, &addr)).await {
        Ok(v) => {
            let rect = rect.unwrap_or_else(|| rect_values(&v));
            http::html(
                status,
                contact::render(req, &session.csrf, &v, &rect, &cons, &msg),
            )
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /contacts/{address}` (`?saved=` shows a notice; `?article=T-A` pre-selects the
/// evidence of a new consent).
pub(super) async fn contact_get(app: &Arc<App>, req: &Req, seg: &str) -> Resp {
    if req.session.is_none() {
        return to_login(req);
    }
    let Some(addr) = address_of(seg) else {
        return pages::not_found(req);
    };
    let l = req.lang;
    let notice = match req.q("saved") {
        Some("rectified") => Some(tr(l, x::RECTIFIED)),
        Some("consent") => Some(tr(l, x::CONSENT_RECORDED)),
        Some("withdrawn") => Some(tr(l, x::CONSENT_WITHDRAWN)),
        _ => None,
    };
    let cons = ConsentValues {
        article: req.q("article").unwrap_or("").chars().take(60).collect(),
        channel: if req.q("article").is_some() {
            "email".into()
        } else {
            String::new()
        },
        ..ConsentValues::default()
    };
    let msg = Messages {
        notice,
        ..Messages::default()
    };
    render_contact(app, req, &addr, StatusCode::OK, None, cons, msg).await
}

/// The session check for the contact POSTs: signed in and a valid CSRF token.
#[allow(clippy::result_large_err)] // the same shape as the handlers' other early answers
fn check_post(req: &Req, uri: &Uri) -> std::result::Result<(), Resp> {
    let Some(session) = session_of(req) else {
        return Err(to_login(req));
    };
    if !post_allowed(req, uri, &session.csrf) {
        return Err(pages::csrf_failed(req));
    }
    Ok(())
}

/// `POST /contacts/{address}/rectify` with `name`, `phone`, `organisation` (Art. 16).
pub(super) async fn contact_rectify(app: &Arc<App>, req: &Req, uri: &Uri, seg: &str) -> Resp {
    if let Err(r) = check_post(req, uri) {
        return r;
    }
    let (Some(addr), Some(actor)) = (address_of(seg), req.actor()) else {
        return pages::not_found(req);
    };
    let typed = RectifyValues {
        name: req.fs("name"),
        phone: req.fs("phone"),
        organisation: req.fs("organisation"),
    };
    let input = Rectification {
        name: Some(typed.name.clone()),
        phone: Some(typed.phone.clone()),
        organisation: Some(typed.organisation.clone()),
    };
    let a2 = addr.clone();
    match blocking(app, move |a| contacts::rectify(a, &actor, &a2, &input)).await {
        Ok(_) => http::redirect(&format!(
            "{}?saved=rectified#rectify",
            contact::contact_url(&addr)
        )),
        Err(e) if e.kind == ErrorKind::Invalid => {
            let msg = Messages {
                rectify: Some(&e.message),
                ..Messages::default()
            };
            render_contact(
                app,
                req,
                &addr,
                StatusCode::BAD_REQUEST,
                Some(typed),
                ConsentValues::default(),
                msg,
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /contacts/{address}/consents`: record a consent (Art. 7); refused without the
/// "actively said yes" tick.
pub(super) async fn consent_record(app: &Arc<App>, req: &Req, uri: &Uri, seg: &str) -> Resp {
    if let Err(r) = check_post(req, uri) {
        return r;
    }
    let (Some(addr), Some(actor)) = (address_of(seg), req.actor()) else {
        return pages::not_found(req);
    };
    let typed = ConsentValues {
        purpose: req.fs("purpose"),
        wording: req.fs("wording"),
        given: req.fs("given"),
        channel: req.fs("channel"),
        article: req.fs("article"),
        note: req.fs("note"),
    };
    let form = ConsentForm {
        purpose: typed.purpose.clone(),
        wording: typed.wording.clone(),
        given: typed.given.clone(),
        channel: typed.channel.clone(),
        article: typed.article.clone(),
        note: typed.note.clone(),
        affirmed: req.f("affirmed") == Some("yes"),
    };
    let a2 = addr.clone();
    match blocking(app, move |a| {
        contacts::record_consent(a, &actor, &a2, &form)
    })
    .await
    {
        Ok(_) => http::redirect(&format!(
            "{}?saved=consent#consents",
            contact::contact_url(&addr)
        )),
        Err(e) if e.kind == ErrorKind::Invalid => {
            let msg = Messages {
                consent: Some(&e.message),
                ..Messages::default()
            };
            render_contact(app, req, &addr, StatusCode::BAD_REQUEST, None, typed, msg).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /contacts/{address}/consents/{id}/withdraw` with `at`, `channel`, `note`
/// (Art. 7(3)).
pub(super) async fn consent_withdraw(
    app: &Arc<App>,
    req: &Req,
    uri: &Uri,
    seg: &str,
    id: &str,
) -> Resp {
    if let Err(r) = check_post(req, uri) {
        return r;
    }
    let (Some(addr), Some(actor), Some(id)) = (address_of(seg), req.actor(), parse_number(id))
    else {
        return pages::not_found(req);
    };
    let (at, channel, note) = (req.fs("at"), req.fs("channel"), req.fs("note"));
    let a2 = addr.clone();
    match blocking(app, move |a| {
        contacts::withdraw_consent(a, &actor, &a2, id, &at, &channel, &note)
    })
    .await
    {
        Ok(_) => http::redirect(&format!(
            "{}?saved=withdrawn#consents",
            contact::contact_url(&addr)
        )),
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Conflict) => {
            let msg = Messages {
                withdraw: Some(&e.message),
                ..Messages::default()
            };
            render_contact(
                app,
                req,
                &addr,
                StatusCode::BAD_REQUEST,
                None,
                ConsentValues::default(),
                msg,
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// A download answer: `body` as `content_type`, saved as `name`, not cached.
fn download(content_type: &str, name: &str, body: impl Into<hyper::body::Bytes>) -> Resp {
    let mut r = http::response(StatusCode::OK, content_type, body);
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

/// `GET /contacts/{address}/consents.json|.csv`: the consent history (audited
/// `consent.export`).
pub(super) async fn consent_export(app: &Arc<App>, req: &Req, seg: &str, ext: &str) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let Some(addr) = address_of(seg) else {
        return pages::not_found(req);
    };
    let format = if ext == "csv" {
        ExportFormat::Csv
    } else {
        ExportFormat::Json
    };
    match blocking(app, move |a| {
        contacts::consent_export(a, &actor, &addr, format)
    })
    .await
    {
        Ok(text) => match format {
            ExportFormat::Csv => download("text/csv; charset=utf-8", "consents.csv", text),
            ExportFormat::Json => download("application/json", "consents.json", text),
        },
        Err(e) => pages::error_page(req, &e),
    }
}

// ---- data-subject requests (admin) -----------------------------------------------------

/// `GET /admin/privacy`: the search form.
pub(super) async fn privacy_get(app: &Arc<App>, req: &Req) -> Resp {
    let session = match require_area(app, req, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    http::html(
        StatusCode::OK,
        privacy::render_search(req, &session.csrf, &SubjectForm::default(), None, None),
    )
}

/// `GET /admin/privacy/erased?td=…`: the result of the erasure just made (counts only).
pub(super) async fn privacy_erased(app: &Arc<App>, req: &Req) -> Resp {
    if let Err(r) = require_area(app, req, Area::Privacy) {
        return r;
    }
    let counts = privacy::ErasedCounts::from_query(|k| req.q(k));
    http::html(StatusCode::OK, privacy::render_erased(req, &counts))
}

/// `POST /admin/privacy` with one of `email`, `phone`, `national_id`: what trygg holds
/// (audited `gdpr.find`).
pub(super) async fn privacy_find(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let form = SubjectForm::from_req(req);
    let spec = form.spec();
    match blocking(app, move |a| crate::gdpr::find_subject(a, &actor, &spec)).await {
        Ok(data) => http::html(
            StatusCode::OK,
            privacy::render_search(req, &session.csrf, &form, None, Some(&data)),
        ),
        Err(e) if e.kind == ErrorKind::Invalid => http::html(
            StatusCode::BAD_REQUEST,
            privacy::render_search(
                req,
                &session.csrf,
                &form,
                Some(&form.error_text(req.lang, &e.message)),
                None,
            ),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /admin/privacy/export`: the subject's ZIP archive (Art. 15, 20; audited
/// `gdpr.export`).
pub(super) async fn privacy_export(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let form = SubjectForm::from_req(req);
    let spec = form.spec();
    match blocking(app, move |a| {
        crate::gdpr::export_subject_bytes(a, &actor, &spec)
    })
    .await
    {
        Ok((_, zip)) => download("application/zip", "subject-export.zip", zip),
        Err(e) if e.kind == ErrorKind::Invalid => http::html(
            StatusCode::BAD_REQUEST,
            privacy::render_search(
                req,
                &session.csrf,
                &form,
                Some(&form.error_text(req.lang, &e.message)),
                None,
            ),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

/// Whether the typed confirmation names the same person as the form (compared as
/// identities, so `+46 70…` and `070…` or upper/lower case count as the same).
fn same_identity(app: &App, form: &SubjectForm, typed: &str) -> bool {
    let now = app.now_ms();
    let Ok(id) = form.spec().identity(now) else {
        return false;
    };
    let again = SubjectForm {
        email: if form.email.is_empty() { "" } else { typed }.to_string(),
        phone: if form.phone.is_empty() { "" } else { typed }.to_string(),
        national_id: if form.national_id.is_empty() {
            ""
        } else {
            typed
        }
        .to_string(),
    };
    !typed.trim().is_empty() && again.spec().identity(now).is_ok_and(|t| t == id)
}

async fn preview(
    app: &Arc<App>,
    req: &Req,
    csrf: &str,
    form: &SubjectForm,
    status: StatusCode,
    error: Option<&str>,
) -> Resp {
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let spec = form.spec();
    match blocking(app, move |a| crate::gdpr::erasure_preview(a, &actor, &spec)).await {
        Ok(plan) => http::html(
            status,
            privacy::render_preview(req, csrf, form, &plan, error),
        ),
        Err(e) if e.kind == ErrorKind::Invalid => http::html(
            StatusCode::BAD_REQUEST,
            privacy::render_search(
                req,
                csrf,
                form,
                Some(&form.error_text(req.lang, &e.message)),
                None,
            ),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /admin/privacy/erase`: without `step=confirm` the preview (audited
/// `gdpr.erase.preview`); with it, the erasure (Art. 17; audited `gdpr.erase`) when
/// `confirm` is ticked and `repeat` names the person again. Refusals show the preview
/// again with the reason (a legal hold: 409).
pub(super) async fn privacy_erase(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = SubjectForm::from_req(req);
    let csrf = session.csrf.clone();
    if req.f("step") != Some("confirm") {
        return preview(app, req, &csrf, &form, StatusCode::OK, None).await;
    }
    let confirmed = req.f("confirm") == Some("yes") && same_identity(app, &form, &req.fs("repeat"));
    if !confirmed {
        let msg = tr(req.lang, x::NEED_CONFIRM);
        return preview(app, req, &csrf, &form, StatusCode::BAD_REQUEST, Some(msg)).await;
    }
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let spec = form.spec();
    let done: Result<_> =
        blocking(app, move |a| crate::gdpr::erase_subject(a, &actor, &spec)).await;
    match done {
        // Redirect (counts only in the URL): reloading the result must not erase again.
        Ok(report) => http::redirect(&format!(
            "/admin/privacy/erased?{}",
            privacy::ErasedCounts::of(&report).query()
        )),
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Conflict) => {
            let status = pages::status_of(e.kind);
            preview(app, req, &csrf, &form, status, Some(&e.message)).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}
