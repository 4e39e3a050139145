//! contacts and privacy: the UI strings of the contact page, the consent register and the
//! data-subject request pages in English, Swedish and Danish (kept apart from
//! `web/i18n.rs` to ease merging, like `login_text`).

pub use super::login_text::{Tr, tr};

pub const CONTACT: Tr = ("Contact", "Kontakt", "Kontakt");
pub const NAME: Tr = ("Name", "Namn", "Navn");
pub const EMAIL: Tr = ("E-mail address", "E-postadress", "E-mailadresse");
pub const PHONE: Tr = ("Phone", "Telefon", "Telefon");
pub const ORGANISATION: Tr = ("Organisation", "Organisation", "Organisation");
pub const FIRST_SEEN: Tr = ("First seen", "Först sedd", "Først set");
pub const LAST_SEEN: Tr = ("Last seen", "Senast sedd", "Sidst set");
pub const LEGAL_HOLD: Tr = ("Legal hold", "Rättslig spärr", "Retlig tilbageholdelse");
pub const NONE: Tr = ("None", "Ingen", "Ingen");
pub const PLACED_BY: Tr = ("placed by", "lagd av", "placeret af");
pub const NO_RECORD: Tr = (
    "No contact record yet: this person is known from tickets or consents only.",
    "Ingen kontaktpost ännu: personen är känd bara från ärenden eller samtycken.",
    "Ingen kontaktpost endnu: personen kendes kun fra sager eller samtykker.",
);
pub const NO_VISIBLE_TICKETS: Tr = (
    "No tickets of this contact that you may read.",
    "Inga ärenden för kontakten som du får läsa.",
    "Ingen sager for kontakten, som du må læse.",
);
pub const AUDIT_REF: Tr = (
    "Name in the audit trail",
    "Namn i granskningsloggen",
    "Navn i revisionsloggen",
);
pub const RECTIFY_TITLE: Tr = (
    "Correct contact data (GDPR Art. 16)",
    "Rätta kontaktuppgifter (GDPR art. 16)",
    "Berigtig kontaktoplysninger (GDPR art. 16)",
);
pub const RECTIFY_HINT: Tr = (
    "Empty a field to remove it. The audit trail records which fields changed, not their values.",
    "Töm ett fält för att ta bort uppgiften. Granskningsloggen sparar vilka fält som ändrades, inte värdena.",
    "Tøm et felt for at fjerne oplysningen. Revisionsloggen gemmer hvilke felter der blev ændret, ikke værdierne.",
);
pub const SAVE_CORRECTIONS: Tr = ("Save corrections", "Spara rättelser", "Gem rettelser");
pub const RECTIFIED: Tr = (
    "Contact data corrected.",
    "Kontaktuppgifterna är rättade.",
    "Kontaktoplysningerne er rettet.",
);
pub const CONSENTS_TITLE: Tr = (
    "Consents (GDPR Art. 7)",
    "Samtycken (GDPR art. 7)",
    "Samtykker (GDPR art. 7)",
);
pub const NO_CONSENTS: Tr = (
    "No consent recorded.",
    "Inget samtycke registrerat.",
    "Intet samtykke registreret.",
);
pub const PURPOSE: Tr = ("Purpose", "Ändamål", "Formål");
pub const WORDING: Tr = (
    "Wording shown to the person",
    "Text som visades för personen",
    "Tekst vist for personen",
);
pub const WORDING_HINT: Tr = (
    "The exact text the person was shown or told.",
    "Exakt den text som personen fick se eller höra.",
    "Præcis den tekst, personen så eller fik læst op.",
);
pub const GIVEN: Tr = ("Given", "Givet", "Givet");
pub const GIVEN_HINT: Tr = (
    "Date, or date and time (e.g. 2026-11-30 or 2026-11-30T14:30); empty means now.",
    "Datum, eller datum och tid (t.ex. 2026-11-30 eller 2026-11-30T14:30); tomt betyder nu.",
    "Dato, eller dato og tid (f.eks. 2026-11-30 eller 2026-11-30T14:30); tomt betyder nu.",
);
pub const CHANNEL: Tr = ("Channel", "Kanal", "Kanal");
pub const EVIDENCE: Tr = ("Evidence", "Bevis", "Dokumentation");
pub const EVIDENCE_ARTICLE: Tr = (
    "Message in which the person said yes",
    "Meddelande där personen sade ja",
    "Besked hvor personen sagde ja",
);
pub const NO_ARTICLE: Tr = ("(none)", "(inget)", "(intet)");
pub const NOTE: Tr = ("Note", "Anteckning", "Note");
pub const RECORDED_BY: Tr = ("Recorded by", "Registrerat av", "Registreret af");
pub const STATE: Tr = ("State", "Läge", "Tilstand");
pub const IN_FORCE: Tr = ("In force", "Gäller", "Gælder");
pub const WITHDRAWN: Tr = ("Withdrawn", "Återkallat", "Tilbagekaldt");
pub const WITHDRAW: Tr = ("Withdraw", "Återkalla", "Tilbagekald");
pub const WITHDRAWN_ON: Tr = ("Withdrawn on", "Återkallat den", "Tilbagekaldt den");
pub const RECORD_CONSENT: Tr = (
    "Record consent",
    "Registrera samtycke",
    "Registrer samtykke",
);
pub const AFFIRMED: Tr = (
    "The data subject actively said yes (silence, inactivity or a pre-ticked box is not consent)",
    "Den registrerade sade aktivt ja (tystnad, passivitet eller en förkryssad ruta är inte samtycke)",
    "Den registrerede sagde aktivt ja (tavshed, passivitet eller et afkrydset felt er ikke samtykke)",
);
pub const CONSENT_RECORDED: Tr = (
    "Consent recorded.",
    "Samtycket är registrerat.",
    "Samtykket er registreret.",
);
pub const CONSENT_WITHDRAWN: Tr = (
    "Withdrawal recorded.",
    "Återkallelsen är registrerad.",
    "Tilbagekaldelsen er registreret.",
);
pub const EXPORT_JSON: Tr = (
    "Export history (JSON)",
    "Exportera historik (JSON)",
    "Eksporter historik (JSON)",
);
pub const EXPORT_CSV: Tr = (
    "Export history (CSV)",
    "Exportera historik (CSV)",
    "Eksporter historik (CSV)",
);
pub const CH_EMAIL: Tr = ("E-mail", "E-post", "E-mail");
pub const CH_WEB_FORM: Tr = ("Web form", "Webbformulär", "Webformular");
pub const CH_PHONE: Tr = ("Phone", "Telefon", "Telefon");
pub const CH_PAPER: Tr = ("Paper", "Papper", "Papir");
pub const CH_IN_PERSON: Tr = ("In person", "Personligen", "Personligt");
pub const CONTACT_PAGE: Tr = ("Contact page", "Kontaktsida", "Kontaktside");
pub const CONTACT_PAGE_RECTIFY: Tr = (
    "Contact page: correct the data (Art. 16)",
    "Kontaktsida: rätta uppgifterna (art. 16)",
    "Kontaktside: berigtig oplysningerne (art. 16)",
);

pub const PRIVACY_TITLE: Tr = (
    "Data-subject requests",
    "Registrerades begäranden",
    "Registreredes anmodninger",
);
pub const PRIVACY_INTRO: Tr = (
    "Find everything trygg holds about one person, then export it (GDPR Art. 15, 20), correct it (Art. 16) or erase it (Art. 17). Every step is recorded in the audit trail.",
    "Hitta allt trygg har om en person och exportera det (GDPR art. 15, 20), rätta det (art. 16) eller radera det (art. 17). Varje steg sparas i granskningsloggen.",
    "Find alt, hvad trygg har om en person, og eksporter det (GDPR art. 15, 20), berigtig det (art. 16) eller slet det (art. 17). Hvert trin gemmes i revisionsloggen.",
);
pub const IDENTIFY: Tr = (
    "Identify the person (fill in exactly one field)",
    "Identifiera personen (fyll i exakt ett fält)",
    "Identificer personen (udfyld præcis ét felt)",
);
pub const NATIONAL_ID: Tr = (
    "National ID number (CPR / personnummer)",
    "Personnummer / samordningsnummer (eller danskt CPR)",
    "CPR-nummer (eller svensk personnummer)",
);
pub const FIND: Tr = ("Find", "Sök", "Søg");
pub const FOUND: Tr = ("What trygg holds", "Vad trygg har", "Hvad trygg har");
pub const ATTACHMENTS: Tr = ("Attachments", "Bilagor", "Vedhæftede filer");
pub const CONTACT_RECORDS: Tr = ("Contact records", "Kontaktposter", "Kontaktposter");
pub const CONSENTS: Tr = ("Consents", "Samtycken", "Samtykker");
pub const WHY: Tr = (
    "Why it matched",
    "Varför den träffade",
    "Hvorfor den matchede",
);
pub const R_CUSTOMER: Tr = (
    "customer or participant",
    "kund eller deltagare",
    "kunde eller deltager",
);
pub const R_ADDRESS: Tr = (
    "sender or recipient",
    "avsändare eller mottagare",
    "afsender eller modtager",
);
pub const R_MENTIONED: Tr = ("named in the text", "nämnd i texten", "nævnt i teksten");
pub const R_MENTIONED_BY_NAME: Tr = ("mentioned by name", "nämnd med namn", "nævnt ved navn");
pub const R_MENTIONED_BY_PHONE: Tr = (
    "mentioned by phone number",
    "nämnd med telefonnummer",
    "nævnt ved telefonnummer",
);
pub const NOTHING_FOUND: Tr = (
    "trygg holds nothing about this person.",
    "trygg har inget om den här personen.",
    "trygg har intet om denne person.",
);
pub const EXPORT_ZIP: Tr = (
    "Download export (ZIP: data.json, summary, files; Art. 15, 20)",
    "Ladda ner export (ZIP: data.json, sammanfattning, filer; art. 15, 20)",
    "Hent eksport (ZIP: data.json, resumé, filer; art. 15, 20)",
);
pub const ERASE_PREVIEW: Tr = (
    "Erase… (shows what would be erased first)",
    "Radera… (visar först vad som skulle raderas)",
    "Slet… (viser først, hvad der ville blive slettet)",
);
pub const ERASE_TITLE: Tr = (
    "Erase this person (GDPR Art. 17)",
    "Radera personen (GDPR art. 17)",
    "Slet personen (GDPR art. 17)",
);
pub const PLAN_DELETE: Tr = (
    "Tickets deleted with all messages and files",
    "Ärenden som raderas med alla meddelanden och filer",
    "Sager der slettes med alle beskeder og filer",
);
pub const PLAN_REDACT: Tr = (
    "Other tickets where the person is replaced by a placeholder",
    "Andra ärenden där personen ersätts med en platshållare",
    "Andre sager hvor personen erstattes af en pladsholder",
);
pub const PLAN_ARTICLES: Tr = (
    "Messages redacted",
    "Meddelanden som maskeras",
    "Beskeder der maskeres",
);
pub const HELD: Tr = (
    "Erasure is blocked: data under legal hold is needed for legal claims (GDPR Art. 17(3)(e)). Lift the hold first.",
    "Radering är spärrad: uppgifter under rättslig spärr behövs för rättsliga anspråk (GDPR art. 17.3 e). Häv spärren först.",
    "Sletning er spærret: oplysninger under retlig tilbageholdelse er nødvendige for retskrav (GDPR art. 17, stk. 3, litra e). Ophæv tilbageholdelsen først.",
);
pub const CONFIRM_TICK: Tr = (
    "I have reviewed the above; erase this person's data now. This cannot be undone.",
    "Jag har granskat ovanstående; radera personens uppgifter nu. Det går inte att ångra.",
    "Jeg har gennemgået ovenstående; slet personens oplysninger nu. Det kan ikke fortrydes.",
);
pub const CONFIRM_TYPE: Tr = (
    "Type the e-mail address, phone number or ID number again",
    "Skriv e-postadressen, telefonnumret eller personnumret igen",
    "Skriv e-mailadressen, telefonnummeret eller CPR-nummeret igen",
);
pub const ERASE_NOW: Tr = ("Erase now", "Radera nu", "Slet nu");
pub const NEED_CONFIRM: Tr = (
    "Nothing erased: tick the confirmation and type the identity again exactly as above.",
    "Inget raderat: kryssa i bekräftelsen och skriv identiteten igen exakt som ovan.",
    "Intet slettet: sæt kryds i bekræftelsen og skriv identiteten igen præcis som ovenfor.",
);
pub const ERASED_TITLE: Tr = ("Erased", "Raderat", "Slettet");
pub const ERASED_TEXT: Tr = (
    "The person's data was erased; the audit trail records this under a keyed hash of the identity.",
    "Personens uppgifter är raderade; granskningsloggen sparar detta under en nyckelhashad identitet.",
    "Personens oplysninger er slettet; revisionsloggen gemmer dette under en nøglehashet identitet.",
);
pub const TICKETS_DELETED: Tr = ("Tickets deleted", "Raderade ärenden", "Slettede sager");
pub const TICKETS_REDACTED: Tr = ("Tickets redacted", "Maskerade ärenden", "Maskerede sager");
pub const FILES_REMOVED: Tr = (
    "Stored files removed",
    "Borttagna lagrade filer",
    "Fjernede lagrede filer",
);
pub const NEW_SEARCH: Tr = ("New search", "Ny sökning", "Ny søgning");

// masking/clearance: consent evidence above the viewer's clearance (issue 6 follow-up)
/// A consent's evidence article lies in a ticket the viewer may not open.
pub const EVIDENCE_HIDDEN: Tr = (
    "a message in a ticket you cannot open",
    "ett meddelande i ett ärende du inte kan öppna",
    "en besked i en sag du ikke kan åbne",
);
// era: erasure result and form errors (issue 6 fixes)
pub const MESSAGES_DELETED: Tr = (
    "Messages deleted",
    "Raderade meddelanden",
    "Slettede beskeder",
);
pub const MESSAGES_REDACTED: Tr = (
    "Messages redacted",
    "Maskerade meddelanden",
    "Maskerede beskeder",
);
pub const OUTBOUND_CANCELLED: Tr = (
    "Queued mails to the person cancelled",
    "Köade mejl till personen avbrutna",
    "Mails i kø til personen annulleret",
);
pub const ONE_FIELD: Tr = (
    "Fill in exactly one of the fields E-mail address, Phone and National ID number.",
    "Fyll i exakt ett av fälten E-postadress, Telefon och Personnummer.",
    "Udfyld præcis ét af felterne E-mailadresse, Telefon og CPR-nummer.",
);
