//! Admin page `/admin/mail-rules`: auto-acknowledgement (on/off, language, templates in
//! English, Swedish and Danish), the daily cap of automatic mails, when a reply to a closed
//! ticket opens a new one, and agent forwards. Only administrators may see or change it.

use hyper::StatusCode;
use maud::html;

use super::layout;
use crate::app::App;
use crate::error::{Error, Result};
use crate::helpdesk::autoreply::{self, LANGUAGES, MailRules, Template};
use crate::web::http::{self, Req, Resp};
use crate::web::i18n::{Key, t};

/// Whether `user` is an enabled administrator. Errors: `Forbidden` otherwise.
pub fn require_admin(app: &App, user: &str) -> Result<()> {
    let actor = crate::audit::access::Actor::user(user, "");
    let g = app
        .store
        .read(|r| crate::audit::access::grants(r, &actor))?;
    if g.has_area(crate::auth::roles::Area::Mail) {
        Ok(())
    } else {
        // As if the page did not exist (issue 4).
        Err(Error::not_found("no such page"))
    }
}

/// The rules, for an administrator. Errors: `Forbidden`.
pub fn load_for_admin(app: &App, user: &str) -> Result<MailRules> {
    require_admin(app, user)?;
    app.store.read(autoreply::load)
}

/// Saves the submitted form, for an administrator. Errors: `Forbidden`, `Invalid`.
pub fn save_from_admin(app: &App, user: &str, form: &Form) -> Result<MailRules> {
    require_admin(app, user)?;
    let rules = form.to_rules()?;
    autoreply::save(app, &rules)?;
    tracing::info!(user, "mail rules changed");
    Ok(rules)
}

/// The submitted form fields, as text.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub autoack: bool,
    pub lang: String,
    pub max_auto_per_day: String,
    pub new_ticket_after_days: String,
    pub agent_forward: bool,
    /// (lang, subject, body) for each of [`LANGUAGES`].
    pub templates: Vec<(String, String, String)>,
}

impl Form {
    /// Reads the form fields of `req`.
    pub fn from_req(req: &Req) -> Form {
        Form {
            autoack: req.f("autoack").is_some(),
            lang: req.fs("lang"),
            max_auto_per_day: req.fs("max_auto_per_day"),
            new_ticket_after_days: req.fs("new_ticket_after_days"),
            agent_forward: req.f("agent_forward").is_some(),
            templates: LANGUAGES
                .iter()
                .map(|l| {
                    (
                        l.to_string(),
                        req.fs(&format!("subject_{l}")),
                        req.fs(&format!("body_{l}")).replace("\r\n", "\n"),
                    )
                })
                .collect(),
        }
    }

    /// The rules the form describes. Errors: `Invalid` naming the field.
    pub fn to_rules(&self) -> Result<MailRules> {
        let num = |s: &str, what: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| Error::invalid(format!("{what}: give a whole number")))
        };
        let rules = MailRules {
            autoack: self.autoack,
            autoack_lang: self.lang.trim().to_string(),
            templates: self
                .templates
                .iter()
                .map(|(lang, subject, body)| Template {
                    lang: lang.clone(),
                    subject: subject.trim().to_string(),
                    body: body.clone(),
                })
                .collect(),
            max_auto_per_day: num(&self.max_auto_per_day, "automatic mails per day")?,
            new_ticket_after_days: num(&self.new_ticket_after_days, "days")?,
            agent_forward: self.agent_forward,
        };
        rules.validate()?;
        Ok(rules)
    }

    /// The rules to show again after an error (unparsable numbers become 0).
    pub fn to_rules_lossy(&self) -> MailRules {
        MailRules {
            autoack: self.autoack,
            autoack_lang: self.lang.clone(),
            templates: self
                .templates
                .iter()
                .map(|(lang, subject, body)| Template {
                    lang: lang.clone(),
                    subject: subject.clone(),
                    body: body.clone(),
                })
                .collect(),
            max_auto_per_day: self.max_auto_per_day.trim().parse().unwrap_or(0),
            new_ticket_after_days: self.new_ticket_after_days.trim().parse().unwrap_or(0),
            agent_forward: self.agent_forward,
        }
    }
}

/// Renders the page.
pub fn page(
    req: &Req,
    status: StatusCode,
    r: &MailRules,
    csrf: &str,
    error: Option<&str>,
    saved: bool,
) -> Resp {
    let l = req.lang;
    let title = t(l, Key::MailRules);
    let body = html! {
        section.card.mail-rules {
            div.page-head { h1 { (title) } (super::admin_roles::admin_nav(req)) }
            p.hint { (t(l, Key::MailRulesIntro)) }
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            @if saved {
                p.notice role="status" { (t(l, Key::Saved)) }
            }
            form method="post" action="/admin/mail-rules" {
                input type="hidden" name="csrf" value=(csrf);
                p {
                    label {
                        input type="checkbox" name="autoack" value="on" checked[r.autoack];
                        " " (t(l, Key::AutoAck))
                    }
                }
                p {
                    label for="lang" { (t(l, Key::AutoAckLang)) }
                    select #lang name="lang" {
                        @for code in LANGUAGES {
                            option value=(code) selected[r.autoack_lang == code] { (code) }
                        }
                    }
                }
                p {
                    label for="max" { (t(l, Key::MaxAutoPerDay)) }
                    input #max type="number" name="max_auto_per_day" min="0" max="10000"
                        value=(r.max_auto_per_day);
                }
                p {
                    label for="days" { (t(l, Key::NewTicketAfterDays)) }
                    input #days type="number" name="new_ticket_after_days" min="0" max="3650"
                        value=(r.new_ticket_after_days);
                }
                p {
                    label {
                        input type="checkbox" name="agent_forward" value="on" checked[r.agent_forward];
                        " " (t(l, Key::AgentForward))
                    }
                }
                @for code in LANGUAGES {
                    @let tpl = r.template(code);
                    fieldset {
                        legend { (t(l, Key::TemplateFor)) " (" (code) ")" }
                        p.hint { (t(l, Key::TemplateHint)) }
                        label for={ "subject_" (code) } { (t(l, Key::Subject)) }
                        input id={ "subject_" (code) } type="text" name={ "subject_" (code) }
                            maxlength="500" required value=(tpl.subject);
                        label for={ "body_" (code) } { (t(l, Key::Body)) }
                        textarea id={ "body_" (code) } name={ "body_" (code) } rows="8" required {
                            (tpl.body)
                        }
                    }
                }
                div.actions {
                    button.primary type="submit" { (t(l, Key::Save)) }
                }
            }
        }
    };
    http::html(status, layout::page(req, title, body))
}
