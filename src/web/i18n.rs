//! UI language: English, Swedish and Danish. The language comes from `?lang=`, then the
//! `lang` cookie, then `Accept-Language`; anything else is English.

/// A supported UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Sv,
    Da,
}

impl Lang {
    /// Every language, in the order the switcher shows them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Sv, Lang::Da];

    /// The BCP 47 tag (`en`, `sv`, `da`), used in `<html lang>`, cookies and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sv => "sv",
            Lang::Da => "da",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Sv => "Svenska",
            Lang::Da => "Dansk",
        }
    }

    /// Parses a language tag (`sv`, `sv-SE`, `da_DK`, `EN`); `None` if unsupported.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "sv" => Some(Lang::Sv),
            "da" => Some(Lang::Da),
            _ => None,
        }
    }

    /// The best supported language in an `Accept-Language` header (RFC 9110 §12.5.4),
    /// honouring q-values; `None` if nothing supported is acceptable.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let mut q: u16 = 1000;
            for p in parts {
                let p = p.trim();
                if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                    q = parse_q(v).unwrap_or(0);
                }
            }
            if q == 0 {
                continue;
            }
            if let Some(l) = Lang::parse(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        best.map(|(_, l)| l)
    }

    /// Chooses the language: `?lang=` wins, then the `lang` cookie, then `Accept-Language`,
    /// then English.
    pub fn negotiate(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
        query
            .and_then(Lang::parse)
            .or_else(|| cookie.and_then(Lang::parse))
            .or_else(|| accept.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }
}

/// A q-value (`0`, `0.5`, `1.000`) in thousandths.
fn parse_q(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u16 = match int {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let mut f = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        f += u16::from(b - b'0') * [100, 10, 1][i];
    }
    let q = int * 1000 + f;
    (q <= 1000).then_some(q)
}

/// Every string the UI shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    HelpDesk,
    Tickets,
    Ticket,
    Open,
    Closed,
    All,
    StatusOpen,
    StatusClosed,
    Status,
    Customer,
    Subject,
    Messages,
    Updated,
    Created,
    Mailbox,
    NoTickets,
    NoTicketsHint,
    SignIn,
    SignInTitle,
    SignOut,
    SignedInAs,
    Email,
    Password,
    WrongLogin,
    SetupTitle,
    SetupIntro,
    SetupOrganisation,
    OrgName,
    SetupAccount,
    AdminEmail,
    PasswordHint,
    PasswordRepeat,
    PasswordsDiffer,
    Mailboxes,
    MailboxesHint,
    SetupOutgoing,
    Smarthost,
    SmarthostHint,
    TlsMode,
    TlsRequired,
    TlsOpportunistic,
    TlsNone,
    RelayUser,
    RelayPassword,
    Optional,
    FinishSetup,
    SetupLinkTitle,
    SetupLinkText,
    SetupDone,
    Reply,
    ReplyHint,
    SendReply,
    CloseTicket,
    ReopenTicket,
    Incoming,
    Outgoing,
    From,
    To,
    Cc,
    ShowFormatted,
    ActiveContentBlocked,
    Attachments,
    Download,
    DeliveryQueued,
    DeliverySent,
    DeliveryFailed,
    Malformed,
    NoText,
    BackToTickets,
    NotFoundTitle,
    NotFoundText,
    ForbiddenTitle,
    ForbiddenText,
    CsrfText,
    BadRequestTitle,
    ConflictTitle,
    UnavailableTitle,
    UnavailableText,
    ErrorTitle,
    ErrorText,
    TooLarge,
    Language,
    GoHome,
    Filter,
    ShowingNewest,
    Thread,
    // mail in: IMAP admin page
    ImapTitle,
    ImapIntro,
    ImapAdd,
    ImapHost,
    ImapPort,
    ImapTls,
    ImapTlsImplicit,
    ImapTlsStarttls,
    ImapCaFile,
    ImapCaHint,
    ImapUser,
    ImapFolder,
    ImapMoveTo,
    ImapMoveHint,
    ImapMailbox,
    ImapMaxSize,
    ImapPoll,
    ImapSave,
    ImapNone,
    ImapFetched,
    ImapImported,
    ImapDuplicates,
    ImapQuarantined,
    ImapLastCheck,
    ImapLastError,
    ImapIdle,
    ImapPolling,
    ImapReconciled,
    ImapMismatch,
    ImapRefetch,
    ImapDelete,
    ImapCheckpoint,
    QuarantineTitle,
    QuarantineAlert,
    QuarantineNone,
    QuarantineTooLarge,
    QuarantineUnprocessable,
    QuarantineHeaderOnly,
    QuarantineUnfetchable,
    QuarantineDismiss,
    Size,
    Reason,
    Source,
}

/// The text of `key` in `lang`.
pub fn t(lang: Lang, key: Key) -> &'static str {
    let (en, sv, da) = table(key);
    match lang {
        Lang::En => en,
        Lang::Sv => sv,
        Lang::Da => da,
    }
}

fn table(key: Key) -> (&'static str, &'static str, &'static str) {
    use Key::*;
    match key {
        HelpDesk => ("Help desk", "Helpdesk", "Helpdesk"),
        Tickets => ("Tickets", "Ärenden", "Sager"),
        Ticket => ("Ticket", "Ärende", "Sag"),
        Open => ("Open", "Öppna", "Åbne"),
        Closed => ("Closed", "Stängda", "Lukkede"),
        All => ("All", "Alla", "Alle"),
        StatusOpen => ("Open", "Öppen", "Åben"),
        StatusClosed => ("Closed", "Stängd", "Lukket"),
        Status => ("Status", "Status", "Status"),
        Customer => ("Customer", "Kund", "Kunde"),
        Subject => ("Subject", "Ämne", "Emne"),
        Messages => ("Messages", "Meddelanden", "Beskeder"),
        Updated => ("Updated", "Uppdaterad", "Opdateret"),
        Created => ("Created", "Skapad", "Oprettet"),
        Mailbox => ("Mailbox", "Brevlåda", "Postkasse"),
        NoTickets => ("No tickets here.", "Inga ärenden här.", "Ingen sager her."),
        NoTicketsHint => (
            "Mail sent to your support address becomes a ticket and shows up in this list.",
            "E-post som skickas till er supportadress blir ett ärende och visas i den här listan.",
            "E-mails sendt til jeres supportadresse bliver til en sag og vises i denne liste.",
        ),
        SignIn => ("Sign in", "Logga in", "Log ind"),
        SignInTitle => (
            "Sign in to the help desk",
            "Logga in i helpdesken",
            "Log ind i helpdesken",
        ),
        SignOut => ("Sign out", "Logga ut", "Log ud"),
        SignedInAs => ("Signed in as", "Inloggad som", "Logget ind som"),
        Email => ("E-mail address", "E-postadress", "E-mailadresse"),
        Password => ("Password", "Lösenord", "Adgangskode"),
        WrongLogin => (
            "Wrong e-mail or password.",
            "Fel e-postadress eller lösenord.",
            "Forkert e-mailadresse eller adgangskode.",
        ),
        SetupTitle => ("Set up trygg", "Konfigurera trygg", "Opsæt trygg"),
        SetupIntro => (
            "Welcome! Name your organisation, create the administrator account and tell trygg \
             which addresses customers write to and how answers leave.",
            "Välkommen! Ange organisationens namn, skapa administratörskontot och berätta för \
             trygg vilka adresser kunderna skriver till och hur svaren skickas.",
            "Velkommen! Angiv organisationens navn, opret administratorkontoen, og fortæl trygg, \
             hvilke adresser kunderne skriver til, og hvordan svarene sendes.",
        ),
        SetupOrganisation => ("Organisation", "Organisation", "Organisation"),
        OrgName => (
            "Organisation name",
            "Organisationens namn",
            "Organisationens navn",
        ),
        SetupAccount => (
            "Administrator account",
            "Administratörskonto",
            "Administratorkonto",
        ),
        AdminEmail => (
            "Administrator e-mail address",
            "Administratörens e-postadress",
            "Administratorens e-mailadresse",
        ),
        PasswordHint => (
            "At least 10 characters. A long passphrase is best.",
            "Minst 10 tecken. En lång lösenfras är bäst.",
            "Mindst 10 tegn. En lang adgangssætning er bedst.",
        ),
        PasswordRepeat => (
            "Repeat password",
            "Upprepa lösenordet",
            "Gentag adgangskoden",
        ),
        PasswordsDiffer => (
            "The two passwords are not the same.",
            "De två lösenorden är inte likadana.",
            "De to adgangskoder er ikke ens.",
        ),
        Mailboxes => (
            "Support address(es)",
            "Supportadress(er)",
            "Supportadresse(r)",
        ),
        MailboxesHint => (
            "The addresses customers write to. One per line or separated by commas.",
            "Adresserna som kunderna skriver till. En per rad eller separerade med kommatecken.",
            "Adresserne, som kunderne skriver til. Én pr. linje eller adskilt med kommaer.",
        ),
        SetupOutgoing => ("Outgoing mail", "Utgående e-post", "Udgående e-mail"),
        Smarthost => (
            "Smarthost (host:port)",
            "Smarthost (värd:port)",
            "Smarthost (vært:port)",
        ),
        SmarthostHint => (
            "Your mail server or provider, e.g. smtp.example.org:587. Leave empty to deliver \
             directly to the recipients' mail servers.",
            "Er e-postserver eller leverantör, t.ex. smtp.exempel.se:587. Lämna tomt för att \
             leverera direkt till mottagarnas e-postservrar.",
            "Jeres mailserver eller udbyder, f.eks. smtp.eksempel.dk:587. Lad feltet stå tomt \
             for at levere direkte til modtagernes mailservere.",
        ),
        TlsMode => (
            "Encryption to the smarthost",
            "Kryptering till smarthosten",
            "Kryptering til smarthosten",
        ),
        TlsRequired => (
            "STARTTLS required (recommended)",
            "STARTTLS krävs (rekommenderas)",
            "STARTTLS påkrævet (anbefales)",
        ),
        TlsOpportunistic => (
            "STARTTLS if offered",
            "STARTTLS om det erbjuds",
            "STARTTLS, hvis det tilbydes",
        ),
        TlsNone => (
            "None (only on a trusted network)",
            "Ingen (endast i ett betrott nätverk)",
            "Ingen (kun på et betroet netværk)",
        ),
        RelayUser => (
            "Smarthost user name",
            "Användarnamn för smarthosten",
            "Brugernavn til smarthosten",
        ),
        RelayPassword => (
            "Smarthost password",
            "Lösenord för smarthosten",
            "Adgangskode til smarthosten",
        ),
        Optional => ("optional", "valfritt", "valgfrit"),
        FinishSetup => (
            "Finish setup",
            "Slutför konfigurationen",
            "Afslut opsætningen",
        ),
        SetupLinkTitle => (
            "Use the setup link",
            "Använd konfigurationslänken",
            "Brug opsætningslinket",
        ),
        SetupLinkText => (
            "trygg has not been set up yet. Open the one-time setup link that was printed on \
             the server console when trygg started.",
            "trygg är inte konfigurerat ännu. Öppna den engångslänk för konfiguration som \
             skrevs ut i serverkonsolen när trygg startade.",
            "trygg er ikke sat op endnu. Åbn det engangslink til opsætning, der blev skrevet i \
             serverkonsollen, da trygg startede.",
        ),
        SetupDone => (
            "Setup is complete. Sign in with the administrator account.",
            "Konfigurationen är klar. Logga in med administratörskontot.",
            "Opsætningen er færdig. Log ind med administratorkontoen.",
        ),
        Reply => ("Reply", "Svara", "Svar"),
        ReplyHint => (
            "Your answer is sent to the customer by e-mail, with the ticket number in the subject.",
            "Ditt svar skickas till kunden med e-post, med ärendenumret i ämnesraden.",
            "Dit svar sendes til kunden som e-mail med sagsnummeret i emnelinjen.",
        ),
        SendReply => ("Send reply", "Skicka svar", "Send svar"),
        CloseTicket => ("Close ticket", "Stäng ärendet", "Luk sagen"),
        ReopenTicket => ("Reopen ticket", "Öppna ärendet igen", "Genåbn sagen"),
        Incoming => ("Incoming", "Inkommande", "Indgående"),
        Outgoing => ("Outgoing", "Utgående", "Udgående"),
        From => ("From", "Från", "Fra"),
        To => ("To", "Till", "Til"),
        Cc => ("Cc", "Kopia", "Cc"),
        ShowFormatted => (
            "Show formatted version",
            "Visa formaterad version",
            "Vis formateret version",
        ),
        ActiveContentBlocked => (
            "Scripts, remote images and other active content have been removed.",
            "Skript, externa bilder och annat aktivt innehåll har tagits bort.",
            "Scripts, eksterne billeder og andet aktivt indhold er fjernet.",
        ),
        Attachments => ("Attachments", "Bilagor", "Vedhæftede filer"),
        Download => ("Download", "Ladda ned", "Download"),
        DeliveryQueued => (
            "Queued for delivery",
            "I kö för leverans",
            "I kø til levering",
        ),
        DeliverySent => ("Sent", "Skickat", "Sendt"),
        DeliveryFailed => (
            "Delivery failed",
            "Leveransen misslyckades",
            "Leveringen mislykkedes",
        ),
        Malformed => (
            "This message was malformed; the original is kept unchanged.",
            "Meddelandet var felformaterat; originalet sparas oförändrat.",
            "Beskeden var fejlformateret; originalen gemmes uændret.",
        ),
        NoText => ("(no text)", "(ingen text)", "(ingen tekst)"),
        BackToTickets => ("All tickets", "Alla ärenden", "Alle sager"),
        NotFoundTitle => ("Not found", "Hittades inte", "Ikke fundet"),
        NotFoundText => (
            "This page or ticket does not exist.",
            "Sidan eller ärendet finns inte.",
            "Siden eller sagen findes ikke.",
        ),
        ForbiddenTitle => ("Not allowed", "Inte tillåtet", "Ikke tilladt"),
        ForbiddenText => (
            "You may not do this.",
            "Du får inte göra detta.",
            "Du må ikke gøre dette.",
        ),
        CsrfText => (
            "The form has expired or did not come from this site. Go back, reload the page and \
             try again.",
            "Formuläret har gått ut eller kom inte från den här webbplatsen. Gå tillbaka, ladda \
             om sidan och försök igen.",
            "Formularen er udløbet eller kom ikke fra dette websted. Gå tilbage, genindlæs siden \
             og prøv igen.",
        ),
        BadRequestTitle => ("Invalid request", "Ogiltig begäran", "Ugyldig anmodning"),
        ConflictTitle => ("Conflict", "Konflikt", "Konflikt"),
        UnavailableTitle => (
            "Temporarily unavailable",
            "Tillfälligt otillgänglig",
            "Midlertidigt utilgængelig",
        ),
        UnavailableText => (
            "Please try again in a moment.",
            "Försök igen om en stund.",
            "Prøv igen om lidt.",
        ),
        ErrorTitle => ("Something went wrong", "Något gick fel", "Noget gik galt"),
        ErrorText => (
            "An internal error occurred and has been logged. Please try again.",
            "Ett internt fel inträffade och har loggats. Försök igen.",
            "Der opstod en intern fejl, som er blevet logget. Prøv igen.",
        ),
        TooLarge => (
            "The request is too large.",
            "Begäran är för stor.",
            "Anmodningen er for stor.",
        ),
        Language => ("Language", "Språk", "Sprog"),
        GoHome => ("Go to the start page", "Till startsidan", "Til forsiden"),
        Filter => ("Show", "Visa", "Vis"),
        ShowingNewest => (
            "Showing the newest tickets only.",
            "Visar endast de senaste ärendena.",
            "Viser kun de nyeste sager.",
        ),
        Thread => ("Conversation", "Konversation", "Samtale"),
        // mail in: IMAP admin page
        ImapTitle => (
            "Mailboxes fetched over IMAP",
            "Brevlådor som hämtas via IMAP",
            "Postkasser, der hentes via IMAP",
        ),
        ImapIntro => (
            "For support addresses whose mail stays at your mail provider: trygg fetches every message not yet imported, stores it, and only then marks it as read or moves it.",
            "För supportadresser vars e-post ligger kvar hos er e-postleverantör: trygg hämtar varje meddelande som inte redan importerats, sparar det och markerar det först därefter som läst eller flyttar det.",
            "Til supportadresser, hvis e-mail bliver hos jeres mailudbyder: trygg henter hver besked, der ikke allerede er importeret, gemmer den og markerer den først derefter som læst eller flytter den.",
        ),
        ImapAdd => (
            "Add a mailbox",
            "Lägg till en brevlåda",
            "Tilføj en postkasse",
        ),
        ImapHost => ("IMAP server", "IMAP-server", "IMAP-server"),
        ImapPort => ("Port", "Port", "Port"),
        ImapTls => ("Encryption", "Kryptering", "Kryptering"),
        ImapTlsImplicit => (
            "TLS from the start (port 993)",
            "TLS från början (port 993)",
            "TLS fra starten (port 993)",
        ),
        ImapTlsStarttls => (
            "STARTTLS (port 143)",
            "STARTTLS (port 143)",
            "STARTTLS (port 143)",
        ),
        ImapCaFile => (
            "CA certificate file (PEM) on this server",
            "CA-certifikatfil (PEM) på den här servern",
            "CA-certifikatfil (PEM) på denne server",
        ),
        ImapCaHint => (
            "Leave empty to verify the server's certificate against the public certificate authorities.",
            "Lämna tomt för att kontrollera serverns certifikat mot de publika certifikatutfärdarna.",
            "Lad feltet stå tomt for at kontrollere serverens certifikat mod de offentlige certifikatudstedere.",
        ),
        ImapUser => ("User name", "Användarnamn", "Brugernavn"),
        ImapFolder => ("Folder", "Mapp", "Mappe"),
        ImapMoveTo => (
            "After import, move to folder",
            "Flytta till mapp efter import",
            "Flyt til mappe efter import",
        ),
        ImapMoveHint => (
            "Leave empty to mark imported messages as read instead.",
            "Lämna tomt för att i stället markera importerade meddelanden som lästa.",
            "Lad feltet stå tomt for i stedet at markere importerede beskeder som læste.",
        ),
        ImapMailbox => (
            "Support address it receives for",
            "Supportadress den tar emot för",
            "Supportadresse, den modtager for",
        ),
        ImapMaxSize => (
            "Size limit (bytes)",
            "Storleksgräns (byte)",
            "Størrelsesgrænse (byte)",
        ),
        ImapPoll => (
            "Check every (seconds)",
            "Kontrollera var (sekund)",
            "Kontrollér hvert (sekund)",
        ),
        ImapSave => ("Add mailbox", "Lägg till brevlåda", "Tilføj postkasse"),
        ImapNone => (
            "No IMAP mailboxes are configured.",
            "Inga IMAP-brevlådor är konfigurerade.",
            "Ingen IMAP-postkasser er sat op.",
        ),
        ImapFetched => ("Fetched", "Hämtade", "Hentet"),
        ImapImported => ("Imported", "Importerade", "Importeret"),
        ImapDuplicates => ("Already known", "Redan kända", "Allerede kendt"),
        ImapQuarantined => ("Quarantined", "I karantän", "I karantæne"),
        ImapLastCheck => ("Last check", "Senaste kontroll", "Seneste kontrol"),
        ImapLastError => ("Last error", "Senaste fel", "Seneste fejl"),
        ImapIdle => ("Push (IDLE)", "Push (IDLE)", "Push (IDLE)"),
        ImapPolling => ("Polling", "Regelbunden kontroll", "Regelmæssig kontrol"),
        ImapReconciled => ("Counts reconcile", "Antalen stämmer", "Antallene stemmer"),
        ImapMismatch => (
            "Counts do not reconcile: some fetched messages are not accounted for.",
            "Antalen stämmer inte: några hämtade meddelanden saknas i redovisningen.",
            "Antallene stemmer ikke: nogle hentede beskeder mangler i opgørelsen.",
        ),
        ImapRefetch => ("Fetch everything again", "Hämta allt igen", "Hent alt igen"),
        ImapDelete => ("Remove", "Ta bort", "Fjern"),
        ImapCheckpoint => ("Checkpoint", "Kontrollpunkt", "Kontrolpunkt"),
        QuarantineTitle => ("Quarantine", "Karantän", "Karantæne"),
        QuarantineAlert => (
            "Mail has been held back in quarantine. Check it below.",
            "E-post har hållits kvar i karantän. Kontrollera den nedan.",
            "E-mail er holdt tilbage i karantæne. Kontrollér den nedenfor.",
        ),
        QuarantineNone => (
            "Nothing in quarantine.",
            "Ingenting i karantän.",
            "Intet i karantæne.",
        ),
        QuarantineTooLarge => (
            "Over the size limit",
            "Över storleksgränsen",
            "Over størrelsesgrænsen",
        ),
        QuarantineUnprocessable => (
            "Could not be processed",
            "Kunde inte behandlas",
            "Kunne ikke behandles",
        ),
        QuarantineUnfetchable => (
            "Could not be fetched; left unread on the mail server",
            "Kunde inte hämtas; ligger kvar oläst på e-postservern",
            "Kunne ikke hentes; ligger fortsat ulæst på mailserveren",
        ),
        QuarantineHeaderOnly => (
            "only the header was kept",
            "endast huvudet sparades",
            "kun headeren blev gemt",
        ),
        QuarantineDismiss => ("Dismiss", "Avfärda", "Afvis"),
        Size => ("Size", "Storlek", "Størrelse"),
        Reason => ("Reason", "Orsak", "Årsag"),
        Source => ("Source", "Källa", "Kilde"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_order_and_accept_language() {
        assert_eq!(
            Lang::negotiate(Some("da"), Some("sv"), Some("en")),
            Lang::Da
        );
        assert_eq!(
            Lang::negotiate(Some("xx"), Some("sv"), Some("da")),
            Lang::Sv
        );
        assert_eq!(
            Lang::negotiate(None, Some("klingon"), Some("da-DK,da;q=0.9")),
            Lang::Da
        );
        assert_eq!(Lang::negotiate(None, None, None), Lang::En);
        assert_eq!(
            Lang::negotiate(None, None, Some("fr-FR,fr;q=0.9")),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language("en;q=0.5, sv-SE;q=0.8, da;q=0.7"),
            Some(Lang::Sv)
        );
        assert_eq!(
            Lang::from_accept_language("de, sv;q=0.1, da;q=0"),
            Some(Lang::Sv)
        );
        assert_eq!(Lang::from_accept_language("sv;q=bogus, da"), Some(Lang::Da));
        assert_eq!(Lang::from_accept_language("*"), None);
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::parse("SV_se"), Some(Lang::Sv));
        assert_eq!(parse_q("0.755"), Some(755));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
    }

    #[test]
    fn every_key_has_three_non_empty_texts() {
        for k in [Key::HelpDesk, Key::Thread, Key::CsrfText, Key::SetupIntro] {
            for l in Lang::ALL {
                assert!(!t(l, k).is_empty());
            }
        }
        assert_eq!(t(Lang::Sv, Key::Tickets), "Ärenden");
        assert_eq!(t(Lang::Da, Key::Tickets), "Sager");
    }
}
