//! records: handlers of the record of processing (GDPR Art. 30) and sub-processor
//! (Art. 28) pages and their exports. All need the privacy area; refusals answer as a
//! missing page and are audited by `require_area`. Changes are audited as
//! `admin.records*` / `admin.subprocessors.*`, every export as `records.export`.

use std::sync::Arc;

use hyper::header::{self, HeaderValue};
use hyper::{StatusCode, Uri};

use super::{audit_admin, parse_number, require_area, require_area_post};
use crate::app::App;
use crate::audit::Outcome;
use crate::auth::roles::Area;
use crate::error::ErrorKind;
use crate::gdpr::records::{self, RecordForm, SubProcessorForm};
use crate::web::blocking;
use crate::web::http::{self, Req, Resp};
use crate::web::pages::{self, records as page};

/// Renders `/admin/records` with `form` (the stored values, or what was sent when it was
/// refused with `error`).
async fn records_render(
    app: &Arc<App>,
    req: &Req,
    csrf: &str,
    status: StatusCode,
    form: Option<RecordForm>,
    error: Option<&str>,
    purpose_sent: Option<(&str, &str)>,
) -> Resp {
    let loaded = blocking(app, |a| {
        let record = records::build(a)?;
        let (stored, queues) = a.store.read(|r| {
            Ok((
                records::load_settings(r)?,
                crate::helpdesk::queues::list(r)?,
            ))
        })?;
        Ok((record, stored, queues))
    })
    .await;
    match loaded {
        Ok((record, stored, queues)) => {
            let form = form.unwrap_or_else(|| RecordForm::from_settings(&stored));
            http::html(
                status,
                page::render_records(
                    req,
                    &page::RecordsPage {
                        record: &record,
                        form: &form,
                        queues: &queues,
                        csrf,
                        saved: error.is_none() && req.q("saved") == Some("1"),
                        error,
                        purpose_sent,
                    },
                ),
            )
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /admin/records`.
pub(super) async fn records_get(app: &Arc<App>, req: &Req) -> Resp {
    let session = match require_area(app, req, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    records_render(app, req, &session.csrf, StatusCode::OK, None, None, None).await
}

/// `POST /admin/records`: the admin-entered parts of the record.
pub(super) async fn records_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = RecordForm {
        acting_as: req.fs("acting_as"),
        controller_name: req.fs("controller_name"),
        controller_contact: req.fs("controller_contact"),
        processor_name: req.fs("processor_name"),
        processor_contact: req.fs("processor_contact"),
        dpo_name: req.fs("dpo_name"),
        dpo_contact: req.fs("dpo_contact"),
        extra_purposes: req.fs("extra_purposes"),
        transfers: req.fs("transfers"),
        notes: req.fs("notes"),
    };
    let sent = form.clone();
    match blocking(app, move |a| records::save_settings(a, &sent)).await {
        Ok(changed) => {
            audit_admin(
                app,
                req,
                "admin.records",
                "processing record",
                Outcome::Ok,
                if changed.is_empty() {
                    "no change".to_string()
                } else {
                    format!("changed: {}", changed.join(", "))
                },
            );
            http::redirect("/admin/records?saved=1")
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            records_render(
                app,
                req,
                &session.csrf,
                StatusCode::BAD_REQUEST,
                Some(form),
                Some(&e.message),
                None,
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /admin/records/purpose`: a queue's purpose of processing.
pub(super) async fn records_purpose(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (queue, purpose) = (req.fs("queue"), req.fs("purpose"));
    let (q, p) = (queue.clone(), purpose.clone());
    match blocking(app, move |a| records::set_queue_purpose(a, &q, &p)).await {
        Ok(()) => {
            audit_admin(
                app,
                req,
                "admin.records.purpose",
                &format!("queue:{queue}"),
                Outcome::Ok,
                String::new(),
            );
            http::redirect("/admin/records?saved=1")
        }
        Err(e) if e.kind == ErrorKind::Invalid => {
            records_render(
                app,
                req,
                &session.csrf,
                StatusCode::BAD_REQUEST,
                None,
                Some(&e.message),
                Some((&queue, &purpose)),
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// A download: `body` as `content_type`, saved as `filename`, never cached.
fn download(content_type: &str, filename: &str, body: String) -> Resp {
    let mut r = http::response(StatusCode::OK, content_type, body);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&http::content_disposition(filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    r
}

/// The export formats.
#[derive(Debug, Clone, Copy)]
pub(super) enum Export {
    RecordJson,
    RecordMarkdown,
    SubprocessorsJson,
    SubprocessorsCsv,
}

/// `GET /admin/records.json|.md`, `/admin/subprocessors.json|.csv`; audited as
/// `records.export` with the file name as object.
pub(super) async fn export(app: &Arc<App>, req: &Req, what: Export) -> Resp {
    if let Err(r) = require_area(app, req, Area::Privacy) {
        return r;
    }
    let made = blocking(
        app,
        move |a| -> crate::error::Result<(&str, &str, String)> {
            Ok(match what {
                Export::RecordJson => (
                    "application/json",
                    "processing-record.json",
                    serde_json::to_string_pretty(&records::build(a)?)?,
                ),
                Export::RecordMarkdown => (
                    "text/markdown; charset=utf-8",
                    "processing-record.md",
                    records::to_markdown(&records::build(a)?),
                ),
                Export::SubprocessorsJson => (
                    "application/json",
                    "subprocessors.json",
                    serde_json::to_string_pretty(
                        &a.store.read(records::load_subprocessors)?.entries,
                    )?,
                ),
                Export::SubprocessorsCsv => (
                    "text/csv; charset=utf-8",
                    "subprocessors.csv",
                    records::subprocessors_csv(
                        &a.store.read(records::load_subprocessors)?.entries,
                    )?,
                ),
            })
        },
    )
    .await;
    match made {
        Ok((ct, name, body)) => {
            audit_admin(app, req, "records.export", name, Outcome::Ok, String::new());
            download(ct, name, body)
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// Renders `/admin/subprocessors` with `form` (empty, the entry of `?edit=ID`, or what was
/// sent when it was refused with `error`).
async fn subprocessors_render(
    app: &Arc<App>,
    req: &Req,
    csrf: &str,
    status: StatusCode,
    form: Option<SubProcessorForm>,
    error: Option<&str>,
) -> Resp {
    let loaded = blocking(app, |a| {
        a.store
            .read(|r| Ok((records::load_subprocessors(r)?, records::suggestions(r)?)))
    })
    .await;
    match loaded {
        Ok((list, suggestions)) => {
            let form = form.unwrap_or_else(|| {
                req.q("edit")
                    .and_then(parse_number)
                    .and_then(|id| list.entries.iter().find(|e| e.id == id))
                    .map(SubProcessorForm::from_entry)
                    .unwrap_or_default()
            });
            http::html(
                status,
                page::render_subprocessors(
                    req,
                    &page::SubProcessorsPage {
                        list: &list,
                        suggestions: &suggestions,
                        form: &form,
                        csrf,
                        saved: error.is_none() && req.q("saved") == Some("1"),
                        error,
                    },
                ),
            )
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /admin/subprocessors`.
pub(super) async fn subprocessors_get(app: &Arc<App>, req: &Req) -> Resp {
    let session = match require_area(app, req, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    subprocessors_render(app, req, &session.csrf, StatusCode::OK, None, None).await
}

/// `POST /admin/subprocessors`: add (no `id`) or update one.
pub(super) async fn subprocessors_post(app: &Arc<App>, req: &Req, uri: &Uri) -> Resp {
    let session = match require_area_post(app, req, uri, Area::Privacy) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = SubProcessorForm {
        id: req.fs("id"),
        name: req.fs("name"),
        service: req.fs("service"),
        location: req.fs("location"),
        data_categories: req.fs("data_categories"),
        transfer_mechanism: req.fs("transfer_mechanism"),
        added: req.fs("added"),
        origin: req.fs("origin"),
    };
    let sent = form.clone();
    let is_new = form.id.trim().is_empty();
    match blocking(app, move |a| records::save_subprocessor(a, &sent)).await {
        Ok(id) => {
            audit_admin(
                app,
                req,
                if is_new {
                    "admin.subprocessors.add"
                } else {
                    "admin.subprocessors.update"
                },
                &format!("subprocessor:{id}"),
                Outcome::Ok,
                form.name.trim().to_string(),
            );
            http::redirect("/admin/subprocessors?saved=1")
        }
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Conflict) => {
            subprocessors_render(
                app,
                req,
                &session.csrf,
                StatusCode::BAD_REQUEST,
                Some(form),
                Some(&e.message),
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /admin/subprocessors/ID/delete`.
pub(super) async fn subprocessors_delete(app: &Arc<App>, req: &Req, uri: &Uri, id: &str) -> Resp {
    if let Err(r) = require_area_post(app, req, uri, Area::Privacy) {
        return r;
    }
    let Some(id) = parse_number(id) else {
        return pages::not_found(req);
    };
    match blocking(app, move |a| records::remove_subprocessor(a, id)).await {
        Ok(e) => {
            audit_admin(
                app,
                req,
                "admin.subprocessors.remove",
                &format!("subprocessor:{id}"),
                Outcome::Ok,
                e.name,
            );
            http::redirect("/admin/subprocessors?saved=1")
        }
        Err(e) => pages::error_page(req, &e),
    }
}
