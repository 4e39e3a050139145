//! records: the admin pages for the record of processing activities (GDPR Art. 30,
//! `/admin/records`) and the sub-processor list (Art. 28, `/admin/subprocessors`). Their
//! UI strings (English, Swedish, Danish) are kept here, apart from `web/i18n.rs`, to ease
//! merging. The record's content is generated in English: it is the annex text.

use maud::{Markup, html};

use super::layout;
use crate::gdpr::records::{
    ActingAs, Record, RecordForm, SubProcessor, SubProcessorForm, SubProcessorList,
};
use crate::helpdesk::queues::Queue;
use crate::web::http::Req;
use crate::web::i18n::Lang;

/// One string in English, Swedish and Danish.
pub type Tr = (&'static str, &'static str, &'static str);

fn tr(l: Lang, s: Tr) -> &'static str {
    match l {
        Lang::En => s.0,
        Lang::Sv => s.1,
        Lang::Da => s.2,
    }
}

/// The text of a tab label in `l`.
pub fn tr_title(l: Lang, s: Tr) -> &'static str {
    tr(l, s)
}

/// Tab label of the record page.
pub const RECORDS_TITLE: Tr = (
    "Record of processing",
    "Register över behandling",
    "Fortegnelse over behandling",
);
/// Tab label of the sub-processor page.
pub const SUBPROCESSORS_TITLE: Tr = ("Sub-processors", "Underbiträden", "Underdatabehandlere");
const RECORDS_INTRO: Tr = (
    "The record of processing activities (GDPR Art. 30), generated from trygg's settings as they are now. Fill in what trygg cannot know below; export it as an annex to the data processing agreement.",
    "Registret över behandlingar (GDPR art. 30), skapat från trygg:s inställningar som de är nu. Fyll i det trygg inte kan veta nedan; exportera det som bilaga till personuppgiftsbiträdesavtalet.",
    "Fortegnelsen over behandlingsaktiviteter (GDPR art. 30), dannet ud fra trygs indstillinger, som de er nu. Udfyld nedenfor det, trygg ikke kan vide; eksportér den som bilag til databehandleraftalen.",
);
const GENERATED: Tr = ("Generated", "Skapat", "Dannet");
const EXPORT_MD: Tr = (
    "Download as Markdown",
    "Ladda ner som Markdown",
    "Hent som Markdown",
);
const EXPORT_JSON: Tr = ("Download as JSON", "Ladda ner som JSON", "Hent som JSON");
const EXPORT_CSV: Tr = ("Download as CSV", "Ladda ner som CSV", "Hent som CSV");
const SAVED: Tr = ("Saved.", "Sparat.", "Gemt.");
const PARTIES: Tr = (
    "Name and contact details",
    "Namn och kontaktuppgifter",
    "Navn og kontaktoplysninger",
);
const CONTROLLER: Tr = ("Controller", "Personuppgiftsansvarig", "Dataansvarlig");
const PROCESSOR: Tr = ("Processor", "Personuppgiftsbiträde", "Databehandler");
const DPO: Tr = (
    "Data protection officer",
    "Dataskyddsombud",
    "Databeskyttelsesrådgiver",
);
const NOT_ENTERED: Tr = ("(not entered)", "(inte ifyllt)", "(ikke udfyldt)");
const NONE_DESIGNATED: Tr = ("none designated", "inget utsett", "ingen udpeget");
const PURPOSES: Tr = (
    "Purposes of the processing",
    "Ändamål med behandlingen",
    "Formål med behandlingen",
);
const QUEUE: Tr = ("Queue", "Kö", "Kø");
const PURPOSE: Tr = ("Purpose", "Ändamål", "Formål");
const DEFAULT_CLASS: Tr = (
    "New tickets start as",
    "Nya ärenden börjar som",
    "Nye sager starter som",
);
const NO_PURPOSE: Tr = (
    "(no purpose written yet)",
    "(inget ändamål skrivet än)",
    "(intet formål skrevet endnu)",
);
const ADDED_BY_ADMIN: Tr = (
    "added by an admin",
    "tillagt av en administratör",
    "tilføjet af en administrator",
);
const SUBJECTS: Tr = (
    "Categories of data subjects",
    "Kategorier av registrerade",
    "Kategorier af registrerede",
);
const CATEGORIES: Tr = (
    "Categories of personal data",
    "Kategorier av personuppgifter",
    "Kategorier af personoplysninger",
);
const BY_CLASS: Tr = (
    "Tickets by classification",
    "Ärenden per klassning",
    "Sager efter klassifikation",
);
const RECIPIENTS: Tr = ("Recipients", "Mottagare", "Modtagere");
const TRANSFERS: Tr = (
    "Transfers to third countries",
    "Överföringar till tredjeland",
    "Overførsler til tredjelande",
);
const NONE: Tr = ("None stated.", "Inga angivna.", "Ingen angivet.");
const RETENTION: Tr = (
    "Time limits for erasure",
    "Tidsgränser för radering",
    "Tidsfrister for sletning",
);
const MEASURES: Tr = (
    "Technical and organisational security measures (Art. 32)",
    "Tekniska och organisatoriska säkerhetsåtgärder (art. 32)",
    "Tekniske og organisatoriske sikkerhedsforanstaltninger (art. 32)",
);
const NOTES: Tr = ("Notes", "Anteckningar", "Noter");
const EDIT_TITLE: Tr = (
    "What trygg cannot know",
    "Det trygg inte kan veta",
    "Det, trygg ikke kan vide",
);
const ACTING_AS: Tr = (
    "Our role in the processing",
    "Vår roll i behandlingen",
    "Vores rolle i behandlingen",
);
const AS_CONTROLLER: Tr = (
    "Controller: our own help desk (Art. 30(1))",
    "Personuppgiftsansvarig: vår egen kundtjänst (art. 30.1)",
    "Dataansvarlig: vores egen helpdesk (art. 30, stk. 1)",
);
const AS_PROCESSOR: Tr = (
    "Processor: on behalf of a controller (Art. 30(2))",
    "Personuppgiftsbiträde: för en personuppgiftsansvarigs räkning (art. 30.2)",
    "Databehandler: på vegne af en dataansvarlig (art. 30, stk. 2)",
);
const NAME_OF: Tr = ("name", "namn", "navn");
const CONTACT_OF: Tr = ("contact", "kontakt", "kontakt");
const ORG_DEFAULT: Tr = (
    "Empty: the organisation name from the settings.",
    "Tomt: organisationens namn från inställningarna.",
    "Tomt: organisationens navn fra indstillingerne.",
);
const EXTRA_PURPOSES: Tr = (
    "Further purposes (one per line)",
    "Fler ändamål (ett per rad)",
    "Yderligere formål (ét pr. linje)",
);
const TRANSFERS_FIELD: Tr = (
    "Transfers to third countries with their safeguards (one per line; empty: none)",
    "Överföringar till tredjeland med skyddsåtgärder (en per rad; tomt: inga)",
    "Overførsler til tredjelande med garantier (én pr. linje; tomt: ingen)",
);
const SAVE: Tr = ("Save", "Spara", "Gem");
const QUEUE_PURPOSES: Tr = (
    "Purpose of each queue",
    "Ändamål för varje kö",
    "Formål for hver kø",
);
const QUEUE_PURPOSES_HINT: Tr = (
    "Agents see a queue's purpose on its tickets (Art. 5(1)(b)).",
    "Handläggarna ser köns ändamål på dess ärenden (art. 5.1 b).",
    "Medarbejderne ser køens formål på dens sager (art. 5, stk. 1, litra b).",
);
const SP_INTRO: Tr = (
    "Other processors engaged for this processing (GDPR Art. 28(2), (4)). trygg suggests the services its settings send personal data to; confirm them with name and location.",
    "Andra biträden som anlitas för behandlingen (GDPR art. 28.2 och 28.4). trygg föreslår de tjänster som inställningarna skickar personuppgifter till; bekräfta dem med namn och plats.",
    "Andre databehandlere, der bruges til behandlingen (GDPR art. 28, stk. 2 og 4). trygg foreslår de tjenester, indstillingerne sender personoplysninger til; bekræft dem med navn og sted.",
);
const SP_NAME: Tr = ("Name", "Namn", "Navn");
const SP_SERVICE: Tr = ("Service", "Tjänst", "Tjeneste");
const SP_LOCATION: Tr = ("Location (country)", "Plats (land)", "Sted (land)");
const SP_CATEGORIES: Tr = ("Data categories", "Datakategorier", "Datakategorier");
const SP_TRANSFER: Tr = (
    "Transfer mechanism (empty: no transfer outside the EU/EEA)",
    "Överföringsmekanism (tomt: ingen överföring utanför EU/EES)",
    "Overførselsgrundlag (tomt: ingen overførsel uden for EU/EØS)",
);
const SP_TRANSFER_SHORT: Tr = (
    "Transfer mechanism",
    "Överföringsmekanism",
    "Overførselsgrundlag",
);
const SP_ADDED: Tr = (
    "Added (YYYY-MM-DD; empty: today)",
    "Tillagd (ÅÅÅÅ-MM-DD; tomt: i dag)",
    "Tilføjet (ÅÅÅÅ-MM-DD; tomt: i dag)",
);
const SP_ADDED_SHORT: Tr = ("Added", "Tillagd", "Tilføjet");
const SP_NONE: Tr = (
    "No sub-processors listed.",
    "Inga underbiträden listade.",
    "Ingen underdatabehandlere opført.",
);
const SP_NEW: Tr = (
    "Add a sub-processor",
    "Lägg till ett underbiträde",
    "Tilføj en underdatabehandler",
);
const SP_EDIT: Tr = (
    "Edit sub-processor",
    "Ändra underbiträde",
    "Redigér underdatabehandler",
);
const SP_SUGGESTED: Tr = (
    "Suggested from the settings",
    "Förslag från inställningarna",
    "Forslag fra indstillingerne",
);
const SP_CONFIRM: Tr = ("Confirm", "Bekräfta", "Bekræft");
const EDIT: Tr = ("Edit", "Ändra", "Redigér");
const REMOVE: Tr = ("Remove", "Ta bort", "Fjern");
const TRANSFER_NONE: Tr = ("none", "ingen", "ingen");

/// Everything the record page shows.
pub struct RecordsPage<'a> {
    pub record: &'a Record,
    pub form: &'a RecordForm,
    pub queues: &'a [Queue],
    pub csrf: &'a str,
    pub saved: bool,
    pub error: Option<&'a str>,
    /// `(queue id, text)` of a refused purpose, shown instead of the stored one.
    pub purpose_sent: Option<(&'a str, &'a str)>,
}

fn party(l: Lang, p: &crate::gdpr::records::Party) -> Markup {
    html! {
        @if p.name.is_empty() && p.contact.is_empty() { (tr(l, NOT_ENTERED)) }
        @else {
            (p.name)
            @if !p.name.is_empty() && !p.contact.is_empty() { ", " }
            (p.contact)
        }
    }
}

/// `/admin/records`.
pub fn render_records(req: &Req, v: &RecordsPage) -> Markup {
    let l = req.lang;
    let r = v.record;
    let f = v.form;
    let title = tr(l, RECORDS_TITLE);
    let body = html! {
        div.page-head { h1 { (title) } (super::admin_roles::admin_nav(req)) }
        @if v.saved { p.notice role="status" { (tr(l, SAVED)) } }
        @if let Some(e) = v.error { p.error role="alert" { (e) } }
        p.hint { (tr(l, RECORDS_INTRO)) }
        p.actions {
            a.button.secondary href="/admin/records.md" { (tr(l, EXPORT_MD)) } " "
            a.button.secondary href="/admin/records.json" { (tr(l, EXPORT_JSON)) }
        }
        section.card.record {
            p.hint { (tr(l, GENERATED)) " " (super::time_rfc3339(&r.generated)) }
            h2 { "1. " (tr(l, PARTIES)) }
            ul {
                @match &r.processor {
                    None => li { (tr(l, CONTROLLER)) ": " (party(l, &r.controller)) },
                    Some(p) => {
                        li { (tr(l, PROCESSOR)) ": " (party(l, p)) }
                        li { (tr(l, CONTROLLER)) ": " (party(l, &r.controller)) }
                    }
                }
                li { (tr(l, DPO)) ": "
                    @match &r.dpo { Some(d) => (party(l, d)), None => (tr(l, NONE_DESIGNATED)) } }
            }
            h2 { "2. " (tr(l, PURPOSES)) }
            div.table-wrap { table.admin.purposes {
                thead { tr { th scope="col" { (tr(l, QUEUE)) } th scope="col" { (tr(l, PURPOSE)) } th scope="col" { (tr(l, DEFAULT_CLASS)) } } }
                tbody {
                    @for p in &r.purposes {
                        tr {
                            td { (p.name) @if let Some(q) = &p.queue { " (" code { (q) } ")" } }
                            td { @if p.queue.is_none() { (tr(l, ADDED_BY_ADMIN)) }
                                 @else if p.description.is_empty() { (tr(l, NO_PURPOSE)) }
                                 @else { (p.description) } }
                            td { @if let Some(c) = p.default_classification { (c.as_str()) } }
                        }
                    }
                }
            } }
            h2 { "3. " (tr(l, SUBJECTS)) }
            ul { @for x in &r.data_subjects { li { (x) } } }
            h2 { "4. " (tr(l, CATEGORIES)) }
            ul {
                @for x in &r.data_categories { li { (x) } }
                li { (tr(l, BY_CLASS)) ": " (crate::gdpr::records::by_class_text(&r.tickets_by_classification)) }
            }
            h2 { "5. " (tr(l, RECIPIENTS)) }
            ul { @for x in &r.recipients { li { (x) } } }
            h2 { "6. " a href="/admin/subprocessors" { (tr(l, SUBPROCESSORS_TITLE)) } }
            @if r.subprocessors.is_empty() { p { (tr(l, SP_NONE)) } }
            @else { ul { @for e in &r.subprocessors { li { (e.name) " — " (e.service) " (" (e.location) ")" } } } }
            h2 { "7. " (tr(l, TRANSFERS)) }
            @if r.transfers.is_empty() { p { (tr(l, NONE)) } }
            @else { ul { @for x in &r.transfers { li { (x) } } } }
            h2 { "8. " (tr(l, RETENTION)) }
            ul { @for x in &r.retention { li { (x) } } }
            h2 { "9. " (tr(l, MEASURES)) }
            ul.measures { @for m in &r.measures { li { strong { (m.topic) } ": " (m.text) } } }
            @if !r.notes.is_empty() { h2 { (tr(l, NOTES)) } p.notes { (r.notes) } }
        }
        section.card {
            h2 { (tr(l, EDIT_TITLE)) }
            form method="post" action="/admin/records" {
                input type="hidden" name="csrf" value=(v.csrf);
                fieldset {
                    legend { (tr(l, ACTING_AS)) }
                    @for (val, label) in [(ActingAs::Controller, AS_CONTROLLER), (ActingAs::Processor, AS_PROCESSOR)] {
                        label.check {
                            input type="radio" name="acting_as" value=(val.as_str())
                                checked[f.acting_as == val.as_str()];
                            " " (tr(l, label))
                        }
                    }
                }
                p.hint { (tr(l, ORG_DEFAULT)) }
                @for (key, who, max) in [
                    ("controller_name", CONTROLLER, 200), ("controller_contact", CONTROLLER, 500),
                    ("processor_name", PROCESSOR, 200), ("processor_contact", PROCESSOR, 500),
                    ("dpo_name", DPO, 200), ("dpo_contact", DPO, 500),
                ] {
                    div.field {
                        label for={ "rec-" (key) } {
                            (tr(l, who)) ", " (tr(l, if key.ends_with("name") { NAME_OF } else { CONTACT_OF }))
                        }
                        input id={ "rec-" (key) } type="text" name=(key) maxlength=(max)
                            value=(field(f, key));
                    }
                }
                div.field { label for="rec-extra" { (tr(l, EXTRA_PURPOSES)) }
                    textarea #rec-extra name="extra_purposes" rows="3" { (f.extra_purposes) } }
                div.field { label for="rec-transfers" { (tr(l, TRANSFERS_FIELD)) }
                    textarea #rec-transfers name="transfers" rows="3" { (f.transfers) } }
                div.field { label for="rec-notes" { (tr(l, NOTES)) }
                    textarea #rec-notes name="notes" rows="4" maxlength="4000" { (f.notes) } }
                div.actions { button.primary type="submit" { (tr(l, SAVE)) } }
            }
        }
        section.card {
            h2 { (tr(l, QUEUE_PURPOSES)) }
            p.hint { (tr(l, QUEUE_PURPOSES_HINT)) }
            @for q in v.queues {
                form.inline method="post" action="/admin/records/purpose" {
                    input type="hidden" name="csrf" value=(v.csrf);
                    input type="hidden" name="queue" value=(q.id);
                    div.field {
                        label for={ "purpose-" (q.id) } { (tr(l, QUEUE)) " " (q.name) }
                        // records: the same limit as the queue form (helpdesk::queues::PURPOSE_MAX)
                        input id={ "purpose-" (q.id) } type="text" name="purpose"
                            maxlength=(crate::helpdesk::queues::PURPOSE_MAX)
                            value=(v.purpose_sent.filter(|(id, _)| *id == q.id).map_or(q.purpose.as_str(), |(_, t)| t));
                    }
                    button.secondary type="submit" { (tr(l, SAVE)) }
                }
            }
        }
    };
    layout::page(req, title, body)
}

fn field<'a>(f: &'a RecordForm, key: &str) -> &'a str {
    match key {
        "controller_name" => &f.controller_name,
        "controller_contact" => &f.controller_contact,
        "processor_name" => &f.processor_name,
        "processor_contact" => &f.processor_contact,
        "dpo_name" => &f.dpo_name,
        "dpo_contact" => &f.dpo_contact,
        _ => "",
    }
}

/// Everything the sub-processor page shows.
pub struct SubProcessorsPage<'a> {
    pub list: &'a SubProcessorList,
    pub suggestions: &'a [SubProcessor],
    /// The add/edit form (kept on a bad value).
    pub form: &'a SubProcessorForm,
    pub csrf: &'a str,
    pub saved: bool,
    pub error: Option<&'a str>,
}

fn sp_fields(l: Lang, prefix: &str, f: &SubProcessorForm) -> Markup {
    html! {
        @for (key, label, val, req, max) in [
            ("name", SP_NAME, &f.name, true, 200),
            ("service", SP_SERVICE, &f.service, true, 500),
            ("location", SP_LOCATION, &f.location, true, 200),
            ("data_categories", SP_CATEGORIES, &f.data_categories, false, 500),
            ("transfer_mechanism", SP_TRANSFER, &f.transfer_mechanism, false, 500),
            ("added", SP_ADDED, &f.added, false, 10),
        ] {
            div.field {
                label for={ (prefix) "-" (key) } { (tr(l, label)) }
                input id={ (prefix) "-" (key) } type="text" name=(key) maxlength=(max)
                    required[req] value=(val);
            }
        }
    }
}

/// `/admin/subprocessors`.
pub fn render_subprocessors(req: &Req, v: &SubProcessorsPage) -> Markup {
    let l = req.lang;
    let title = tr(l, SUBPROCESSORS_TITLE);
    let editing = !v.form.id.is_empty();
    let body = html! {
        div.page-head { h1 { (title) } (super::admin_roles::admin_nav(req)) }
        @if v.saved { p.notice role="status" { (tr(l, SAVED)) } }
        @if let Some(e) = v.error { p.error role="alert" { (e) } }
        p.hint { (tr(l, SP_INTRO)) }
        p.actions {
            a.button.secondary href="/admin/subprocessors.csv" { (tr(l, EXPORT_CSV)) } " "
            a.button.secondary href="/admin/subprocessors.json" { (tr(l, EXPORT_JSON)) }
        }
        @if v.list.entries.is_empty() {
            p { (tr(l, SP_NONE)) }
        } @else {
            div.table-wrap { table.admin.subprocessors {
                thead { tr {
                    th scope="col" { (tr(l, SP_NAME)) }
                    th scope="col" { (tr(l, SP_SERVICE)) }
                    th scope="col" { (tr(l, SP_LOCATION)) }
                    th scope="col" { (tr(l, SP_CATEGORIES)) }
                    th scope="col" { (tr(l, SP_TRANSFER_SHORT)) }
                    th scope="col" { (tr(l, SP_ADDED_SHORT)) }
                    th scope="col" { }
                } }
                tbody {
                    @for e in &v.list.entries {
                        tr {
                            td { (e.name) } td { (e.service) } td { (e.location) }
                            td { (e.data_categories) }
                            td { @if e.transfer_mechanism.is_empty() { (tr(l, TRANSFER_NONE)) } @else { (e.transfer_mechanism) } }
                            td { (e.added) }
                            td {
                                a.button.secondary href={ "/admin/subprocessors?edit=" (e.id) } { (tr(l, EDIT)) }
                                form.inline method="post" action={ "/admin/subprocessors/" (e.id) "/delete" } {
                                    input type="hidden" name="csrf" value=(v.csrf);
                                    button.danger type="submit" { (tr(l, REMOVE)) }
                                }
                            }
                        }
                    }
                }
            } }
        }
        section.card {
            h2 { (tr(l, if editing { SP_EDIT } else { SP_NEW })) }
            form method="post" action="/admin/subprocessors" {
                input type="hidden" name="csrf" value=(v.csrf);
                input type="hidden" name="id" value=(v.form.id);
                input type="hidden" name="origin" value=(v.form.origin);
                (sp_fields(l, "sp", v.form))
                div.actions { button.primary type="submit" { (tr(l, SAVE)) } }
            }
        }
        @if !v.suggestions.is_empty() {
            section.card {
                h2 { (tr(l, SP_SUGGESTED)) }
                @for (i, s) in v.suggestions.iter().enumerate() {
                    form.suggestion method="post" action="/admin/subprocessors" {
                        input type="hidden" name="csrf" value=(v.csrf);
                        input type="hidden" name="id" value="";
                        input type="hidden" name="origin" value=(s.origin);
                        (sp_fields(l, &format!("sug{i}"), &SubProcessorForm::from_entry(&SubProcessor { id: 0, ..s.clone() })))
                        div.actions { button.primary type="submit" { (tr(l, SP_CONFIRM)) } }
                    }
                }
            }
        }
    };
    layout::page(req, title, body)
}
