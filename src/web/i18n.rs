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
    // access
    Queue,
    MoveToQueue,
    Move,
    AdminUsers,
    AdminRoles,
    AdminQueues,
    AuditLog,
    FullName,
    CreateUser,
    Disable,
    Enable,
    DisabledUser,
    ActiveUser,
    RolesLabel,
    SaveRoles,
    Description,
    AdminAreas,
    AllQueues,
    SaveRole,
    NewRole,
    DeleteRole,
    QueueId,
    SaveQueue,
    NewQueue,
    AuditActor,
    AuditAction,
    AuditObject,
    AuditClient,
    AuditRole,
    AuditOutcome,
    AuditDetail,
    AuditTime,
    DateFrom,
    DateTo,
    Search,
    Newer,
    Older,
    NoRecords,
    Permissions,
    PermRead,
    PermReply,
    PermChange,
    PermManage,
    Export,
    ExportFormat,
    Edit,
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
        // access
        Queue => ("Queue", "Kö", "Kø"),
        MoveToQueue => ("Move to queue", "Flytta till kö", "Flyt til kø"),
        Move => ("Move", "Flytta", "Flyt"),
        AdminUsers => ("Users", "Användare", "Brugere"),
        AdminRoles => ("Roles", "Roller", "Roller"),
        AdminQueues => ("Queues", "Köer", "Køer"),
        AuditLog => ("Audit log", "Granskningslogg", "Revisionslog"),
        FullName => ("Name", "Namn", "Navn"),
        CreateUser => ("Create user", "Skapa användare", "Opret bruger"),
        Disable => ("Disable", "Inaktivera", "Deaktiver"),
        Enable => ("Enable", "Aktivera", "Aktiver"),
        DisabledUser => ("Disabled", "Inaktiverad", "Deaktiveret"),
        ActiveUser => ("Active", "Aktiv", "Aktiv"),
        RolesLabel => ("Roles", "Roller", "Roller"),
        SaveRoles => ("Save roles", "Spara roller", "Gem roller"),
        Description => ("Description", "Beskrivning", "Beskrivelse"),
        AdminAreas => (
            "Admin areas",
            "Administrationsområden",
            "Administrationsområder",
        ),
        AllQueues => ("All queues", "Alla köer", "Alle køer"),
        SaveRole => ("Save role", "Spara roll", "Gem rolle"),
        NewRole => (
            "New or changed role",
            "Ny eller ändrad roll",
            "Ny eller ændret rolle",
        ),
        DeleteRole => ("Delete", "Ta bort", "Slet"),
        QueueId => ("Queue id", "Kö-id", "Kø-id"),
        SaveQueue => ("Save queue", "Spara kö", "Gem kø"),
        NewQueue => (
            "New or changed queue",
            "Ny eller ändrad kö",
            "Ny eller ændret kø",
        ),
        AuditActor => ("Who", "Vem", "Hvem"),
        AuditAction => ("Action", "Händelse", "Handling"),
        AuditObject => ("Object", "Objekt", "Objekt"),
        AuditClient => ("Client", "Klient", "Klient"),
        AuditRole => ("Role", "Roll", "Rolle"),
        AuditOutcome => ("Outcome", "Utfall", "Udfald"),
        AuditDetail => ("Detail", "Detalj", "Detalje"),
        AuditTime => ("Time", "Tid", "Tid"),
        DateFrom => ("From date", "Från datum", "Fra dato"),
        DateTo => (
            "To date (exclusive)",
            "Till datum (exklusive)",
            "Til dato (eksklusiv)",
        ),
        Search => ("Search", "Sök", "Søg"),
        Newer => ("Newer", "Nyare", "Nyere"),
        Older => ("Older", "Äldre", "Ældre"),
        NoRecords => (
            "No matching records.",
            "Inga matchande poster.",
            "Ingen matchende poster.",
        ),
        Permissions => ("Permissions", "Behörigheter", "Tilladelser"),
        PermRead => ("read", "läsa", "læse"),
        PermReply => ("reply", "svara", "svare"),
        PermChange => ("change", "ändra", "ændre"),
        Export => ("Export", "Exportera", "Eksporter"),
        Edit => ("Edit", "Ändra", "Rediger"),
        ExportFormat => ("Format", "Format", "Format"),
        PermManage => ("manage", "hantera", "administrere"),
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
