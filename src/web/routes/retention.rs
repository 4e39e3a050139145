//! Handlers of the retention page (`/admin/retention`, Area::Policies) and of the legal-hold
//! forms (`/tickets/N/hold[/lift]`, `/contacts/hold[/lift]`).

use std::sync::Arc;

use hyper::{StatusCode, Uri};

use super::{parse_number, post_allowed, require_area, require_area_post, safe_next, to_login};
use crate::app::App;
use crate::auth::roles::Area;
use crate::error::{Error, ErrorKind, Result};
use crate::gdpr::classification::Classification;
use crate::gdpr::retention::{self, Action, RulesChange, RunReport};
use crate::web::blocking;
use crate::web::http::{self, Req, Resp};
use crate::web::pages::{self, retention::RetentionView, retention::RuleForm};

async fn render(
    app: &Arc<App>,
    req: &Req,
    status: StatusCode,
    form: &RuleForm,
    error: Option<&str>,
    report: Option<&RunReport>,
) -> Resp {
    let session = match require_area(app, req, Area::Policies) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let privacy = req.has_area(Area::Privacy);
    let actor = req.actor();
    let loaded = blocking(app, move |a| {
        let now = a.now_ms();
        let view = a.store.read(|r| {
            let (held_tickets, held_contacts) = crate::gdpr::hold::list(r)?;
            Ok(RetentionView {
                settings: retention::load(r)?,
                queues: crate::helpdesk::queues::list(r)?
                    .into_iter()
                    .map(|q| (q.id, q.name))
                    .collect(),
                plan: retention::preview(r, now)?,
                log: retention::runs(r)?,
                held_tickets,
                held_contacts,
            })
        })?;
        // Held contacts are listed by address to the privacy area: a look at personal
        // data, so it is audited (DESIGN invariant 3); others see only their number.
        if privacy
            && !view.held_contacts.is_empty()
            && let Some(actor) = &actor
        {
            crate::audit::access::record_for(
                a,
                actor,
                "hold.list",
                "retention",
                crate::audit::Outcome::Ok,
                format!("{} held contacts shown", view.held_contacts.len()),
            )?;
        }
        Ok(view)
    })
    .await;
    match loaded {
        Ok(v) => http::html(
            status,
            pages::retention::render(req, &session.csrf, &v, form, error, report),
        ),
        Err(e) => pages::error_page(req, &e),
    }
}

/// `GET /admin/retention`.
pub(super) async fn page_get(app: &Arc<App>, req: &Req) -> Resp {
    let form = RuleForm {
        after_days: "365".into(),
        ..RuleForm::default()
    };
    render(app, req, StatusCode::OK, &form, None, None).await
}

fn parse_rule(req: &Req) -> Result<RulesChange> {
    let opt = |k: &str| Some(req.fs(k).trim().to_string()).filter(|s| !s.is_empty());
    let days = req.fs("after_days");
    let after_days = days
        .trim()
        .parse::<u32>()
        .map_err(|_| Error::invalid("the retention period must be a whole number of days"))?;
    Ok(RulesChange::Add {
        queue: opt("queue"),
        classification: opt("classification")
            .map(|c| Classification::parse(&c))
            .transpose()?,
        action: Action::parse(&req.fs("action"))?,
        after_days,
    })
}

/// `POST /admin/retention/{rules,remove,schedule,run}`.
pub(super) async fn page_post(app: &Arc<App>, req: &Req, uri: &Uri, action: &str) -> Resp {
    if let Err(r) = require_area_post(app, req, uri, Area::Policies) {
        return r;
    }
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let form = RuleForm {
        queue: req.fs("queue"),
        classification: req.fs("classification"),
        action: req.fs("action"),
        after_days: req.fs("after_days"),
    };
    let change = match action {
        "rules" => parse_rule(req),
        "remove" => req
            .f("id")
            .and_then(parse_number)
            .map(RulesChange::Remove)
            .ok_or_else(|| Error::not_found("no such retention rule")),
        "schedule" => req
            .fs("hour")
            .trim()
            .parse::<u8>()
            .map(RulesChange::RunHour)
            .map_err(|_| Error::invalid("the hour must be 0 to 23 (UTC)")),
        "run" => {
            let r = blocking(app, move |a| retention::run(a, &actor, a.now_ms())).await;
            // Redirect, so reloading the result does not start another run; the page
            // shows the run just made (the newest of the last runs).
            return match r {
                Ok(_) => http::redirect("/admin/retention?ran=1#last-runs"),
                Err(e) => pages::error_page(req, &e),
            };
        }
        _ => return pages::not_found(req),
    };
    let r = match change {
        Ok(c) => {
            blocking(app, move |a| {
                retention::change_rules(a, &actor, c).map(|_| ())
            })
            .await
        }
        Err(e) => Err(e),
    };
    match r {
        Ok(()) => http::redirect("/admin/retention"),
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::NotFound) => {
            render(
                app,
                req,
                StatusCode::BAD_REQUEST,
                &form,
                Some(&e.message),
                None,
            )
            .await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /tickets/N/hold` (`reason`) and `POST /tickets/N/hold/lift`.
pub(super) async fn ticket_hold(app: &Arc<App>, req: &Req, uri: &Uri, n: &str, lift: bool) -> Resp {
    let Some((_, session)) = &req.session else {
        return to_login(req);
    };
    if !post_allowed(req, uri, &session.csrf) {
        return pages::csrf_failed(req);
    }
    let (Some(n), Some(actor)) = (parse_number(n), req.actor()) else {
        return pages::not_found(req);
    };
    let reason = (!lift).then(|| req.fs("reason"));
    let r = blocking(app, move |a| {
        crate::gdpr::hold::set_ticket(a, &actor, n, reason.as_deref())
    })
    .await;
    match r {
        // Back where the form was: the ticket, or the retention page's list of holds.
        Ok(_) => http::redirect(
            req.f("next")
                .filter(|x| *x == "/admin/retention")
                .unwrap_or(&format!("/tickets/{n}")),
        ),
        // A bad reason or a hold already in place: the ticket page with the message.
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Conflict) => {
            let status = if e.kind == ErrorKind::Conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            };
            super::render_ticket(app, req, session, n, status, "", Some(&e.message)).await
        }
        Err(e) => pages::error_page(req, &e),
    }
}

/// `POST /contacts/hold` (`address`, `reason`, optional local `next`) and
/// `POST /contacts/hold/lift` (`address`, `next`). Needs Area::Privacy.
pub(super) async fn contact_hold(app: &Arc<App>, req: &Req, uri: &Uri, lift: bool) -> Resp {
    if let Err(r) = require_area_post(app, req, uri, Area::Privacy) {
        return r;
    }
    let Some(actor) = req.actor() else {
        return to_login(req);
    };
    let address = req.fs("address");
    let reason = (!lift).then(|| req.fs("reason"));
    let next = safe_next(
        req.f("next")
            .filter(|n| !n.is_empty())
            .or(Some("/admin/retention")),
    )
    .to_string();
    let r = blocking(app, move |a| {
        crate::gdpr::hold::set_contact(a, &actor, &address, reason.as_deref())
    })
    .await;
    match r {
        Ok(_) => http::redirect(&next),
        // The form was on the contact page or the retention page: say why, and lead back.
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Conflict) => {
            pages::refused_with_back(req, &e, &next)
        }
        Err(e) => pages::error_page(req, &e),
    }
}
