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
    // outbound (mail delivery page, wizard)
    DeliveryDeferred,
    DeliveryModeLabel,
    ModeRelay,
    ModeDirect,
    DirectTlsLabel,
    DirectTlsOpportunistic,
    DirectTlsRequired,
    DkimSelector,
    DkimSelectorHint,
    PublicHost,
    PublicHostHint,
    MailDeliveryTitle,
    OutboundQueue,
    QueueEmpty,
    Recipients,
    Attempts,
    NextAttempt,
    GivesUp,
    LastError,
    RetryNow,
    CancelDelivery,
    SaveSettings,
    Saved,
    RetryPeriodHours,
    RetryPeriodHint,
    DnsRecords,
    DnsRecordsIntro,
    DkimRecord,
    SpfRecord,
    DmarcRecord,
    SpfKeepRelay,
    SpfNeedsHost,
    SpfMergeHint,
    DmarcHint,
    GenerateKeys,
    GenerateKeysHint,
    NoDkimKeys,
    DeliverySettings,
    RecordName,
    RecordValue,
    // mail rules
    FlagAutoReply,
    FlagBulk,
    FlagBounce,
    FlagBounceUnverified,
    FlagReusedId,
    FlagAutomatic,
    FlagLoop,
    FlagCharset,
    FlagTnef,
    FlagForwarded,
    FlagForeignTag,
    ShowImages,
    RemoteImagesBlocked,
    RemoteImagesShown,
    LinkedTickets,
    LinkQuotesTagOf,
    LinkTagQuotedBy,
    LinkFollowUpOf,
    LinkFollowedUpBy,
    LinkMergedInto,
    LinkMergedFrom,
    MergeInto,
    MergeButton,
    ReceivedBy,
    MailRules,
    MailRulesIntro,
    AutoAck,
    AutoAckLang,
    MaxAutoPerDay,
    NewTicketAfterDays,
    AgentForward,
    TemplateFor,
    TemplateHint,
    Save,
    Body,
    // backup
    BackupTitle,
    BackupStatus,
    BackupLogHead,
    BackupSafeUpTo,
    BackupLastOk,
    BackupLastError,
    BackupNoChains,
    BackupChain,
    BackupFiles,
    BackupLastSeq,
    BackupNewest,
    BackupSize,
    DrillReports,
    DrillHint,
    DrillNone,
    DrillPassed,
    DrillFailed,
    DrillDuration,
    DrillRpo,
    BackupSettingsTitle,
    BackupEnabled,
    BackupTarget,
    BackupTargetHint,
    BackupRecipients,
    BackupRecipientsHint,
    BackupPassphrase,
    BackupPassphraseHint,
    BackupPassphraseSet,
    BackupFullEvery,
    BackupIncrementalEvery,
    BackupShipEvery,
    BackupKeepChains,
    BackupSave,
    BackupSaved,
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
    // access
    Queue,
    MoveToQueue,
    Move,
    AdminUsers,
    AdminRoles,
    AdminQueues,
    AuditLog,
    Administration,
    SetupBackupHint,
    SetupBackupTarget,
    SetupBackupRecipient,
    FullName,
    CreateUser,
    Disable,
    Enable,
    DisabledUser,
    ActiveUser,
    RolesLabel,
    SaveRoles,
    // anonymised tickets
    AnonymisedNoReply,
    GoBack,
    // admin area names
    AreaUsers,
    AreaMail,
    AreaPolicies,
    AreaBackups,
    AreaAudit,
    AreaPrivacy,
    // built-in role descriptions
    RoleDescAdmin,
    RoleDescAgent,
    RoleDescAuditor,
    // account help (admin users page)
    AccountHelp,
    TwoFactorOn,
    ResetTwoFactor,
    TemporaryPassword,
    TemporaryPasswordHelp,
    SetTemporaryPassword,
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
    // gdpr: classification, purpose, masking and reveal
    Classification,
    ClassPublic,
    ClassInternal,
    ClassConfidential,
    ClassSensitive,
    SetClassification,
    PurposeOfProcessing,
    NoPurpose,
    RevealIds,
    RevealHint,
    Revealed,
    MaskedHtmlHidden,
    DefaultClassification,
    PurposeHint,
    Clearance,
    ClearanceHint,
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
        GoBack => (
            "Back to the form",
            "Tillbaka till formuläret",
            "Tilbage til formularen",
        ),
        Filter => ("Show", "Visa", "Vis"),
        ShowingNewest => (
            "Showing the newest tickets only.",
            "Visar endast de senaste ärendena.",
            "Viser kun de nyeste sager.",
        ),
        Thread => ("Conversation", "Konversation", "Samtale"),
        // outbound (mail delivery page, wizard)
        DeliveryDeferred => (
            "Delivery deferred, will retry",
            "Leveransen fördröjd, försöker igen",
            "Leveringen udskudt, prøver igen",
        ),
        DeliveryModeLabel => (
            "How mail goes out",
            "Hur e-post skickas",
            "Hvordan mail sendes",
        ),
        ModeRelay => (
            "Through our mail server (smarthost)",
            "Via vår e-postserver (smarthost)",
            "Via vores mailserver (smarthost)",
        ),
        ModeDirect => (
            "Directly to the recipients' mail servers (MX lookup)",
            "Direkt till mottagarnas e-postservrar (MX-uppslag)",
            "Direkte til modtagernes mailservere (MX-opslag)",
        ),
        DirectTlsLabel => (
            "TLS for direct delivery",
            "TLS vid direkt leverans",
            "TLS ved direkte levering",
        ),
        DirectTlsOpportunistic => (
            "Encrypt whenever the server offers it (opportunistic)",
            "Kryptera när servern erbjuder det (opportunistisk)",
            "Kryptér når serveren tilbyder det (opportunistisk)",
        ),
        DirectTlsRequired => (
            "Always encrypt, with a verified certificate (forced)",
            "Kryptera alltid, med verifierat certifikat (tvingande)",
            "Kryptér altid, med verificeret certifikat (tvunget)",
        ),
        DkimSelector => ("DKIM selector", "DKIM-selektor", "DKIM-selektor"),
        DkimSelectorHint => (
            "Two signing keys are generated (RSA and Ed25519), published as SELECTOR-rsa and SELECTOR-ed25519. The mail delivery page shows the DNS records to publish.",
            "Två signeringsnycklar skapas (RSA och Ed25519) och publiceras som SELEKTOR-rsa och SELEKTOR-ed25519. Sidan för e-postleverans visar DNS-posterna att publicera.",
            "To signeringsnøgler oprettes (RSA og Ed25519) og publiceres som SELEKTOR-rsa og SELEKTOR-ed25519. Siden for maillevering viser DNS-posterne, der skal publiceres.",
        ),
        PublicHost => (
            "This server's public host name",
            "Serverns publika värdnamn",
            "Serverens offentlige værtsnavn",
        ),
        PublicHostHint => (
            "Used in EHLO and in the SPF record for direct delivery, e.g. helpdesk.example.org.",
            "Används i EHLO och i SPF-posten vid direkt leverans, t.ex. helpdesk.example.org.",
            "Bruges i EHLO og i SPF-posten ved direkte levering, f.eks. helpdesk.example.org.",
        ),
        MailDeliveryTitle => ("Mail delivery", "E-postleverans", "Maillevering"),
        OutboundQueue => ("Outbound queue", "Utgående kö", "Udgående kø"),
        QueueEmpty => (
            "No mail is waiting.",
            "Ingen e-post väntar.",
            "Ingen mail venter.",
        ),
        Recipients => ("Recipients", "Mottagare", "Modtagere"),
        Attempts => ("Attempts", "Försök", "Forsøg"),
        NextAttempt => ("Next attempt", "Nästa försök", "Næste forsøg"),
        GivesUp => ("Gives up", "Ger upp", "Giver op"),
        LastError => ("Last error", "Senaste fel", "Seneste fejl"),
        RetryNow => ("Retry now", "Försök nu", "Prøv nu"),
        CancelDelivery => ("Cancel", "Avbryt", "Annullér"),
        SaveSettings => ("Save", "Spara", "Gem"),
        Saved => ("Saved.", "Sparat.", "Gemt."),
        RetryPeriodHours => (
            "Retry period (hours)",
            "Försöksperiod (timmar)",
            "Forsøgsperiode (timer)",
        ),
        RetryPeriodHint => (
            "Temporary failures are retried this long, then the reply is marked failed (default 120 hours = 5 days).",
            "Tillfälliga fel prövas om så här länge, sedan markeras svaret som misslyckat (standard 120 timmar = 5 dygn).",
            "Midlertidige fejl forsøges igen så længe, derefter markeres svaret som mislykket (standard 120 timer = 5 døgn).",
        ),
        DnsRecords => (
            "DNS records to publish",
            "DNS-poster att publicera",
            "DNS-poster, der skal publiceres",
        ),
        DnsRecordsIntro => (
            "Publish these TXT records at your DNS provider so receivers can check that mail from trygg is genuine.",
            "Publicera dessa TXT-poster hos din DNS-leverantör så att mottagare kan kontrollera att e-post från trygg är äkta.",
            "Publicér disse TXT-poster hos din DNS-udbyder, så modtagere kan kontrollere, at mail fra trygg er ægte.",
        ),
        DkimRecord => ("DKIM key", "DKIM-nyckel", "DKIM-nøgle"),
        SpfRecord => ("SPF", "SPF", "SPF"),
        DmarcRecord => ("DMARC (suggestion)", "DMARC (förslag)", "DMARC (forslag)"),
        SpfKeepRelay => (
            "Mail goes out through your relay: keep the SPF record that already authorises it; trygg needs no change.",
            "E-post skickas via ert relä: behåll SPF-posten som redan godkänner det; trygg behöver ingen ändring.",
            "Mail sendes via jeres relay: behold SPF-posten, der allerede godkender det; trygg kræver ingen ændring.",
        ),
        SpfNeedsHost => (
            "Set this server's public host name to get the SPF record.",
            "Ange serverns publika värdnamn för att få SPF-posten.",
            "Angiv serverens offentlige værtsnavn for at få SPF-posten.",
        ),
        SpfMergeHint => (
            "If the domain already has an SPF record, add the a: mechanism to it instead of publishing a second one.",
            "Om domänen redan har en SPF-post, lägg till a:-mekanismen i den i stället för att publicera en till.",
            "Hvis domænet allerede har en SPF-post, så tilføj a:-mekanismen i den i stedet for at publicere en mere.",
        ),
        DmarcHint => (
            "Start with p=none and read the reports; move to p=quarantine when all mail passes.",
            "Börja med p=none och läs rapporterna; gå över till p=quarantine när all e-post godkänns.",
            "Start med p=none og læs rapporterne; skift til p=quarantine, når al mail godkendes.",
        ),
        GenerateKeys => (
            "Generate new DKIM keys",
            "Skapa nya DKIM-nycklar",
            "Opret nye DKIM-nøgler",
        ),
        GenerateKeysHint => (
            "New keys sign all mail from now on. Choose a new selector, generate, then publish the new records; keep the old ones for a few days.",
            "Nya nycklar signerar all e-post från och med nu. Välj en ny selektor, skapa, publicera sedan de nya posterna; behåll de gamla några dagar.",
            "Nye nøgler signerer al mail fra nu af. Vælg en ny selektor, opret, og publicér de nye poster; behold de gamle nogle dage.",
        ),
        NoDkimKeys => (
            "No DKIM keys: outgoing mail is not signed.",
            "Inga DKIM-nycklar: utgående e-post signeras inte.",
            "Ingen DKIM-nøgler: udgående mail signeres ikke.",
        ),
        DeliverySettings => (
            "Delivery settings",
            "Leveransinställningar",
            "Leveringsindstillinger",
        ),
        RecordName => ("Name", "Namn", "Navn"),
        RecordValue => ("Value", "Värde", "Værdi"),
        // mail rules
        FlagAutoReply => (
            "Automatic reply (stored; does not reopen the ticket)",
            "Automatiskt svar (sparat; öppnar inte ärendet igen)",
            "Automatisk svar (gemt; genåbner ikke sagen)",
        ),
        FlagBulk => (
            "List or bulk mail",
            "Lista eller massutskick",
            "Liste- eller massepost",
        ),
        FlagBounce => (
            "Delivery failure report for one of our messages",
            "Rapport om misslyckad leverans av ett av våra meddelanden",
            "Rapport om mislykket levering af en af vores beskeder",
        ),
        FlagBounceUnverified => (
            "Delivery failure report that names none of our messages; nothing was changed",
            "Leveransrapport som inte nämner något av våra meddelanden; inget ändrades",
            "Leveringsrapport, der ikke nævner nogen af vores beskeder; intet blev ændret",
        ),
        FlagReusedId => (
            "Same Message-ID as an earlier message but different content",
            "Samma Message-ID som ett tidigare meddelande men annat innehåll",
            "Samme Message-ID som en tidligere besked, men andet indhold",
        ),
        FlagAutomatic => (
            "Sent automatically (acknowledgement)",
            "Skickat automatiskt (mottagningsbekräftelse)",
            "Sendt automatisk (kvittering)",
        ),
        FlagLoop => (
            "Our own mail came back (loop marker); not answered",
            "Vårt eget mejl kom tillbaka (loopmarkering); besvaras inte",
            "Vores egen mail kom tilbage (loop-markering); besvares ikke",
        ),
        FlagCharset => (
            "Character set was wrong or unknown; decoded as UTF-8 or Windows-1252",
            "Teckenkodningen var fel eller okänd; avkodad som UTF-8 eller Windows-1252",
            "Tegnsættet var forkert eller ukendt; afkodet som UTF-8 eller Windows-1252",
        ),
        FlagTnef => (
            "winmail.dat unpacked into its files (original kept)",
            "winmail.dat uppackad till sina filer (originalet sparat)",
            "winmail.dat pakket ud til sine filer (originalen gemt)",
        ),
        FlagForwarded => (
            "Forwarded by an agent; the ticket belongs to the original sender",
            "Vidarebefordrat av en handläggare; ärendet tillhör den ursprungliga avsändaren",
            "Videresendt af en medarbejder; sagen tilhører den oprindelige afsender",
        ),
        FlagForeignTag => (
            "Quoted the tag of a ticket the sender is not part of; opened as a new ticket",
            "Citerade taggen för ett ärende som avsändaren inte deltar i; öppnat som nytt ärende",
            "Citerede mærket for en sag, afsenderen ikke deltager i; åbnet som ny sag",
        ),
        ShowImages => (
            "Show remote images",
            "Visa externa bilder",
            "Vis eksterne billeder",
        ),
        RemoteImagesBlocked => (
            "Remote images are blocked so the sender cannot see that you opened this mail.",
            "Externa bilder är blockerade så att avsändaren inte ser att du öppnade mejlet.",
            "Eksterne billeder er blokeret, så afsenderen ikke kan se, at du har åbnet mailen.",
        ),
        RemoteImagesShown => (
            "Remote images are shown for this message.",
            "Externa bilder visas för detta meddelande.",
            "Eksterne billeder vises for denne besked.",
        ),
        LinkedTickets => ("Linked tickets", "Länkade ärenden", "Tilknyttede sager"),
        LinkQuotesTagOf => (
            "quotes the tag of",
            "citerar taggen för",
            "citerer mærket for",
        ),
        LinkTagQuotedBy => ("tag quoted by", "taggen citerad av", "mærket citeret af"),
        LinkFollowUpOf => ("follow-up of", "uppföljning av", "opfølgning på"),
        LinkFollowedUpBy => ("followed up by", "följs upp av", "følges op af"),
        LinkMergedInto => ("merged into", "sammanslaget med", "flettet ind i"),
        LinkMergedFrom => ("merged from", "sammanslaget från", "flettet fra"),
        MergeInto => (
            "Merge this ticket into",
            "Slå ihop detta ärende med",
            "Flet denne sag ind i",
        ),
        MergeButton => ("Merge", "Slå ihop", "Flet"),
        ReceivedBy => ("Received by", "Mottaget av", "Modtaget af"),
        MailRules => ("Mail rules", "E-postregler", "Mailregler"),
        MailRulesIntro => (
            "How trygg answers and threads incoming mail. Automatic mail, lists, bounces and mail from machines are never answered (RFC 3834).",
            "Hur trygg besvarar och trådar inkommande e-post. Automatiska mejl, listor, studsar och mejl från maskiner besvaras aldrig (RFC 3834).",
            "Hvordan trygg besvarer og samler indgående mail. Automatisk mail, lister, returmails og mail fra maskiner besvares aldrig (RFC 3834).",
        ),
        AutoAck => (
            "Acknowledge new tickets automatically",
            "Bekräfta nya ärenden automatiskt",
            "Kvittér automatisk for nye sager",
        ),
        AutoAckLang => (
            "Language of the acknowledgement",
            "Bekräftelsens språk",
            "Kvitteringens sprog",
        ),
        MaxAutoPerDay => (
            "Most automatic mails to one address per day",
            "Högst antal automatiska mejl till en adress per dag",
            "Højst antal automatiske mails til én adresse pr. dag",
        ),
        NewTicketAfterDays => (
            "Replies to a ticket closed longer than this many days open a new ticket (0: always reopen)",
            "Svar på ett ärende som varit stängt längre än så många dagar öppnar ett nytt ärende (0: öppna alltid igen)",
            "Svar på en sag, der har været lukket længere end så mange dage, åbner en ny sag (0: genåbn altid)",
        ),
        AgentForward => (
            "Mail forwarded by an agent belongs to the original sender",
            "Mejl som en handläggare vidarebefordrar tillhör den ursprungliga avsändaren",
            "Mail, som en medarbejder videresender, tilhører den oprindelige afsender",
        ),
        TemplateFor => (
            "Acknowledgement template",
            "Mall för bekräftelse",
            "Skabelon for kvittering",
        ),
        TemplateHint => (
            "Placeholders: {tag} {number} {subject} {org}",
            "Platshållare: {tag} {number} {subject} {org}",
            "Pladsholdere: {tag} {number} {subject} {org}",
        ),
        Save => ("Save", "Spara", "Gem"),
        Body => ("Text", "Text", "Tekst"),
        // backup
        BackupTitle => ("Backup", "Säkerhetskopiering", "Backup"),
        BackupStatus => ("State", "Läge", "Tilstand"),
        BackupLogHead => (
            "Newest transaction",
            "Senaste transaktion",
            "Nyeste transaktion",
        ),
        BackupSafeUpTo => (
            "Safely backed up to",
            "Säkert kopierad till",
            "Sikkert kopieret til",
        ),
        BackupLastOk => (
            "Last scheduled backup",
            "Senaste schemalagda kopia",
            "Seneste planlagte backup",
        ),
        BackupLastError => ("Last error", "Senaste fel", "Seneste fejl"),
        BackupNoChains => (
            "No backups in the target yet.",
            "Inga säkerhetskopior i målet ännu.",
            "Ingen backup i målet endnu.",
        ),
        BackupChain => ("Chain", "Kedja", "Kæde"),
        BackupFiles => ("Files", "Filer", "Filer"),
        BackupLastSeq => ("Up to transaction", "Till transaktion", "Til transaktion"),
        BackupNewest => ("Newest file", "Senaste fil", "Nyeste fil"),
        BackupSize => ("Size", "Storlek", "Størrelse"),
        DrillReports => (
            "Disaster-recovery drills",
            "Återställningsövningar",
            "Genopretningsøvelser",
        ),
        DrillHint => (
            "Run trygg backup drill --from DIR --identity FILE on a machine that holds the identity; its report shows up here.",
            "Kör trygg backup drill --from DIR --identity FIL på en dator som har identiteten; rapporten visas här.",
            "Kør trygg backup drill --from DIR --identity FIL på en maskine, der har identiteten; rapporten vises her.",
        ),
        DrillNone => (
            "No drill has been run yet.",
            "Ingen övning har körts ännu.",
            "Ingen øvelse er kørt endnu.",
        ),
        DrillPassed => ("passed", "godkänd", "bestået"),
        DrillFailed => ("failed", "misslyckad", "fejlet"),
        DrillDuration => ("Time taken", "Tidsåtgång", "Tidsforbrug"),
        DrillRpo => (
            "Data at risk (RPO)",
            "Data i riskzonen (RPO)",
            "Data i risiko (RPO)",
        ),
        BackupSettingsTitle => (
            "Target, keys and schedule",
            "Mål, nycklar och schema",
            "Mål, nøgler og tidsplan",
        ),
        BackupEnabled => (
            "Run backups on this schedule",
            "Kör säkerhetskopiering enligt schemat",
            "Kør backup efter tidsplanen",
        ),
        BackupTarget => ("Target directory", "Målkatalog", "Målmappe"),
        BackupTargetHint => (
            "An absolute path on a local disk or a mounted NAS.",
            "En absolut sökväg på en lokal disk eller en monterad NAS.",
            "En absolut sti på en lokal disk eller et monteret NAS.",
        ),
        BackupRecipients => (
            "Public keys (age1…), one per line",
            "Publika nycklar (age1…), en per rad",
            "Offentlige nøgler (age1…), én pr. linje",
        ),
        BackupRecipientsHint => (
            "Make a key pair with trygg backup keygen and keep the identity offline: the server never needs it.",
            "Skapa ett nyckelpar med trygg backup keygen och förvara identiteten offline: servern behöver den aldrig.",
            "Lav et nøglepar med trygg backup keygen og opbevar identiteten offline: serveren har aldrig brug for den.",
        ),
        BackupPassphrase => (
            "Passphrase instead of keys",
            "Lösenfras i stället för nycklar",
            "Adgangsfrase i stedet for nøgler",
        ),
        BackupPassphraseHint => (
            "For small setups. The server then holds the secret, so only a stolen backup disk is protected, not a stolen server. Leave empty to keep the current setting.",
            "För små installationer. Servern har då hemligheten, så bara en stulen backupdisk skyddas, inte en stulen server. Lämna tomt för att behålla nuvarande inställning.",
            "Til små installationer. Serveren har så hemmeligheden, så kun en stjålet backupdisk er beskyttet, ikke en stjålet server. Lad feltet være tomt for at beholde den nuværende indstilling.",
        ),
        BackupPassphraseSet => (
            "A passphrase is set.",
            "En lösenfras är satt.",
            "En adgangsfrase er sat.",
        ),
        BackupFullEvery => (
            "Full backup every (days)",
            "Full kopia var (dagar)",
            "Fuld backup hver (dage)",
        ),
        BackupIncrementalEvery => (
            "Incremental every (hours)",
            "Inkrementell var (timmar)",
            "Inkrementel hver (timer)",
        ),
        BackupShipEvery => (
            "Ship the log every (seconds)",
            "Skicka loggen var (sekunder)",
            "Send loggen hver (sekunder)",
        ),
        BackupKeepChains => ("Chains to keep", "Kedjor att behålla", "Kæder der beholdes"),
        BackupSave => ("Save", "Spara", "Gem"),
        BackupSaved => (
            "Backup settings saved.",
            "Inställningarna för säkerhetskopiering är sparade.",
            "Backupindstillingerne er gemt.",
        ),
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
        // access
        Queue => ("Queue", "Kö", "Kø"),
        MoveToQueue => ("Move to queue", "Flytta till kö", "Flyt til kø"),
        Move => ("Move", "Flytta", "Flyt"),
        AdminUsers => ("Users", "Användare", "Brugere"),
        AdminRoles => ("Roles", "Roller", "Roller"),
        AdminQueues => ("Queues", "Köer", "Køer"),
        AuditLog => ("Audit log", "Granskningslogg", "Revisionslog"),
        Administration => ("Administration", "Administration", "Administration"),
        SetupBackupHint => (
            "Encrypted backups to a directory (local disk or mounted NAS): full monthly, incremental daily, the change log every minute. Make the key pair with `trygg backup keygen` on another machine and keep the identity file offline; only the public key (age1…) goes here.",
            "Krypterade säkerhetskopior till en katalog (lokal disk eller monterad NAS): full varje månad, inkrementell varje dag, ändringsloggen varje minut. Skapa nyckelparet med `trygg backup keygen` på en annan dator och förvara identitetsfilen offline; bara den publika nyckeln (age1…) anges här.",
            "Krypterede backups til en mappe (lokal disk eller monteret NAS): fuld hver måned, inkrementel hver dag, ændringsloggen hvert minut. Lav nøgleparret med `trygg backup keygen` på en anden maskine og opbevar identitetsfilen offline; kun den offentlige nøgle (age1…) angives her.",
        ),
        SetupBackupTarget => (
            "Backup directory",
            "Katalog för säkerhetskopior",
            "Mappe til backup",
        ),
        SetupBackupRecipient => (
            "Public key (age1…)",
            "Publik nyckel (age1…)",
            "Offentlig nøgle (age1…)",
        ),
        FullName => ("Name", "Namn", "Navn"),
        CreateUser => ("Create user", "Skapa användare", "Opret bruger"),
        Disable => ("Disable", "Inaktivera", "Deaktiver"),
        Enable => ("Enable", "Aktivera", "Aktiver"),
        DisabledUser => ("Disabled", "Inaktiverad", "Deaktiveret"),
        ActiveUser => ("Active", "Aktiv", "Aktiv"),
        RolesLabel => ("Roles", "Roller", "Roller"),
        SaveRoles => ("Save roles", "Spara roller", "Gem roller"),
        AnonymisedNoReply => (
            "This ticket was anonymised under a retention rule: there is no one to answer.",
            "Ärendet har anonymiserats enligt en gallringsregel: det finns ingen att svara.",
            "Sagen er anonymiseret efter en sletteregel: der er ingen at svare.",
        ),
        AreaUsers => (
            "users and roles",
            "användare och roller",
            "brugere og roller",
        ),
        AreaMail => ("mail and queues", "e-post och köer", "e-mail og køer"),
        AreaPolicies => (
            "security and retention policies",
            "säkerhets- och gallringsregler",
            "sikkerheds- og sletteregler",
        ),
        AreaBackups => ("backups", "säkerhetskopior", "sikkerhedskopier"),
        AreaAudit => ("audit log", "granskningslogg", "revisionslog"),
        AreaPrivacy => ("data protection", "dataskydd", "databeskyttelse"),
        RoleDescAdmin => (
            "Everything: all queues and all admin areas",
            "Allt: alla köer och alla administrationsområden",
            "Alt: alle køer og alle administrationsområder",
        ),
        RoleDescAgent => (
            "Works tickets of the default queue",
            "Arbetar med ärenden i standardkön",
            "Arbejder med sager i standardkøen",
        ),
        RoleDescAuditor => (
            "Reads the audit log; never ticket contents",
            "Läser granskningsloggen, aldrig ärendenas innehåll",
            "Læser revisionsloggen, aldrig sagernes indhold",
        ),
        AccountHelp => ("Sign-in help", "Inloggningshjälp", "Login-hjælp"),
        TwoFactorOn => ("Two-factor on", "Tvåfaktor på", "Totrinsbekræftelse til"),
        ResetTwoFactor => (
            "Remove two-factor (lost phone)",
            "Ta bort tvåfaktor (borttappad telefon)",
            "Fjern totrinsbekræftelse (mistet telefon)",
        ),
        TemporaryPassword => (
            "Temporary password",
            "Tillfälligt lösenord",
            "Midlertidig adgangskode",
        ),
        TemporaryPasswordHelp => (
            "New password, to be changed at the next sign-in",
            "Nytt lösenord, som måste bytas vid nästa inloggning",
            "Ny adgangskode, der skal skiftes ved næste login",
        ),
        SetTemporaryPassword => ("Set password", "Sätt lösenord", "Sæt adgangskode"),
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
        // gdpr
        Classification => ("Classification", "Klassificering", "Klassifikation"),
        ClassPublic => ("public", "offentlig", "offentlig"),
        ClassInternal => ("internal", "intern", "intern"),
        ClassConfidential => ("confidential", "konfidentiell", "fortrolig"),
        ClassSensitive => ("sensitive", "känslig", "følsom"),
        SetClassification => (
            "Set classification",
            "Ändra klassificering",
            "Skift klassifikation",
        ),
        PurposeOfProcessing => (
            "Purpose of processing",
            "Ändamål med behandlingen",
            "Formål med behandlingen",
        ),
        NoPurpose => (
            "No purpose has been recorded for this queue.",
            "Inget ändamål har angetts för den här kön.",
            "Der er ikke angivet et formål for denne kø.",
        ),
        RevealIds => (
            "Show identity numbers",
            "Visa identitetsnummer",
            "Vis personnumre",
        ),
        RevealHint => (
            "Personal identity numbers are masked. Showing them is recorded in the audit log.",
            "Personnummer är maskerade. Att visa dem registreras i granskningsloggen.",
            "Personnumre er maskeret. Visning af dem registreres i revisionsloggen.",
        ),
        Revealed => (
            "Identity numbers are shown in this view only; this was recorded in the audit log.",
            "Identitetsnummer visas bara i den här vyn; det har registrerats i granskningsloggen.",
            "Personnumre vises kun i denne visning; det er registreret i revisionsloggen.",
        ),
        MaskedHtmlHidden => (
            "The formatted version is hidden because it holds an identity number; show identity numbers to see it.",
            "Den formaterade versionen är dold eftersom den innehåller ett identitetsnummer; visa identitetsnummer för att se den.",
            "Den formaterede version er skjult, fordi den indeholder et personnummer; vis personnumre for at se den.",
        ),
        DefaultClassification => (
            "Default classification",
            "Standardklassificering",
            "Standardklassifikation",
        ),
        PurposeHint => (
            "Shown to agents on every ticket of this queue (at most 1000 characters).",
            "Visas för handläggare på varje ärende i kön (högst 1000 tecken).",
            "Vises for medarbejdere på hver sag i køen (højst 1000 tegn).",
        ),
        Clearance => (
            "Highest classification",
            "Högsta klassificering",
            "Højeste klassifikation",
        ),
        ClearanceHint => (
            "Tickets classified above this are hidden from holders of this role on its queues.",
            "Ärenden med högre klassificering döljs för den som har rollen, i rollens köer.",
            "Sager med højere klassifikation skjules for indehavere af rollen i rollens køer.",
        ),
    }
}

// gdpr
/// The UI label of classification `c`.
pub fn classification_label(
    l: Lang,
    c: crate::gdpr::classification::Classification,
) -> &'static str {
    use crate::gdpr::classification::Classification as C;
    t(
        l,
        match c {
            C::Public => Key::ClassPublic,
            C::Internal => Key::ClassInternal,
            C::Confidential => Key::ClassConfidential,
            C::Sensitive => Key::ClassSensitive,
        },
    )
}

// retention: texts of the retention page and the legal-hold notices (own table, so the
// shared `Key` enum stays untouched).
/// A text of the retention admin page and the legal-hold notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetKey {
    Title,
    Intro,
    Rules,
    NoRules,
    Queue,
    Classification,
    Action,
    AfterDays,
    AllQueues,
    AllClassifications,
    Anonymise,
    Delete,
    AddRule,
    Remove,
    Schedule,
    ScheduleHint,
    Save,
    Preview,
    PreviewCounts,
    PreviewMore,
    NothingDue,
    Closed,
    RunNow,
    RunDone,
    LastRuns,
    NoRuns,
    When,
    By,
    Anonymised,
    Deleted,
    Held,
    Failed,
    ContactsRemoved,
    Duration,
    Holds,
    NoHolds,
    HeldTickets,
    HeldContacts,
    ContactsHidden,
    Reason,
    Lift,
    PlaceHold,
    HoldNotice,
    HoldContactHint,
    Address,
    Days,
    Day,
    Ticket,
}

/// The text for `key` in `lang`.
pub fn rt(lang: Lang, key: RetKey) -> &'static str {
    use RetKey::*;
    let (en, sv, da) = match key {
        Title => ("Retention", "Gallring", "Sletning"),
        Intro => (
            "Closed tickets are anonymised or deleted when the period of a rule has passed since they were closed (GDPR Art. 5(1)(e), 17). Delete wins over anonymise. Tickets under legal hold, or whose customer is, are left alone.",
            "Stängda ärenden anonymiseras eller raderas när en regels tid har gått sedan de stängdes (GDPR art. 5.1 e, 17). Radering går före anonymisering. Ärenden under rättslig spärr, eller vars kund är det, lämnas orörda.",
            "Lukkede sager anonymiseres eller slettes, når en regels periode er gået, siden de blev lukket (GDPR art. 5, stk. 1, litra e, og art. 17). Sletning går forud for anonymisering. Sager med retligt tilbageholdelse, eller hvis kunde har det, røres ikke.",
        ),
        Rules => ("Rules", "Regler", "Regler"),
        NoRules => (
            "No rules: nothing is anonymised or deleted.",
            "Inga regler: inget anonymiseras eller raderas.",
            "Ingen regler: intet anonymiseres eller slettes.",
        ),
        Queue => ("Queue", "Kö", "Kø"),
        Classification => ("Classification", "Klassning", "Klassifikation"),
        Action => ("Action", "Åtgärd", "Handling"),
        AfterDays => (
            "After (days closed)",
            "Efter (dagar stängt)",
            "Efter (dage lukket)",
        ),
        AllQueues => ("All queues", "Alla köer", "Alle køer"),
        AllClassifications => (
            "All classifications",
            "Alla klassningar",
            "Alle klassifikationer",
        ),
        Anonymise => ("Anonymise", "Anonymisera", "Anonymisér"),
        Delete => ("Delete", "Radera", "Slet"),
        AddRule => ("Add rule", "Lägg till regel", "Tilføj regel"),
        Remove => ("Remove", "Ta bort", "Fjern"),
        Schedule => ("Daily run", "Daglig körning", "Daglig kørsel"),
        ScheduleHint => (
            "The run starts once a day at this hour (UTC) when there is a rule. Saving rules does not run them; use Run now.",
            "Körningen startar en gång om dagen vid denna timme (UTC) när det finns en regel. Att spara regler kör dem inte; använd Kör nu.",
            "Kørslen starter én gang om dagen i denne time (UTC), når der er en regel. At gemme regler kører dem ikke; brug Kør nu.",
        ),
        Save => ("Save", "Spara", "Gem"),
        Preview => ("Next run", "Nästa körning", "Næste kørsel"),
        PreviewCounts => (
            "Tickets to anonymise / delete / held:",
            "Ärenden att anonymisera / radera / spärrade:",
            "Sager at anonymisere / slette / tilbageholdt:",
        ),
        PreviewMore => (
            "More tickets not listed:",
            "Fler ärenden som inte visas:",
            "Flere sager, der ikke vises:",
        ),
        NothingDue => (
            "Nothing is due.",
            "Inget är förfallet.",
            "Intet er forfaldent.",
        ),
        Closed => ("Closed", "Stängt", "Lukket"),
        RunNow => ("Run now", "Kör nu", "Kør nu"),
        RunDone => (
            "Retention run finished:",
            "Gallringen är klar:",
            "Sletningen er færdig:",
        ),
        LastRuns => ("Last runs", "Senaste körningar", "Seneste kørsler"),
        NoRuns => ("No runs yet.", "Inga körningar än.", "Ingen kørsler endnu."),
        When => ("When", "När", "Hvornår"),
        By => ("By", "Av", "Af"),
        Anonymised => ("Anonymised", "Anonymiserade", "Anonymiserede"),
        Deleted => ("Deleted", "Raderade", "Slettede"),
        Held => ("Held", "Spärrade", "Tilbageholdt"),
        Failed => ("Failed", "Misslyckade", "Mislykkede"),
        ContactsRemoved => (
            "Contacts removed",
            "Kontakter borttagna",
            "Kontakter fjernet",
        ),
        Duration => ("Duration (ms)", "Tid (ms)", "Varighed (ms)"),
        Holds => (
            "Legal holds",
            "Rättsliga spärrar",
            "Retlige tilbageholdelser",
        ),
        NoHolds => (
            "No legal holds.",
            "Inga rättsliga spärrar.",
            "Ingen retlige tilbageholdelser.",
        ),
        HeldTickets => ("Tickets", "Ärenden", "Sager"),
        HeldContacts => ("Contacts", "Kontakter", "Kontakter"),
        ContactsHidden => (
            "Contacts under legal hold (their addresses need the data-protection area):",
            "Kontakter under rättslig spärr (adresserna kräver dataskyddsområdet):",
            "Kontakter med retlig tilbageholdelse (adresserne kræver databeskyttelsesområdet):",
        ),
        Reason => ("Reason", "Skäl", "Begrundelse"),
        Lift => ("Lift hold", "Häv spärr", "Ophæv tilbageholdelse"),
        PlaceHold => (
            "Place legal hold",
            "Lägg rättslig spärr",
            "Indfør retlig tilbageholdelse",
        ),
        HoldNotice => (
            "Legal hold: retention and erasure do not touch this ticket.",
            "Rättslig spärr: gallring och radering rör inte detta ärende.",
            "Retlig tilbageholdelse: sletning rører ikke denne sag.",
        ),
        HoldContactHint => (
            "A hold on a contact keeps every ticket whose customer they are.",
            "En spärr på en kontakt behåller alla ärenden där den är kund.",
            "En tilbageholdelse af en kontakt bevarer alle sager, hvor vedkommende er kunde.",
        ),
        Address => ("E-mail address", "E-postadress", "E-mailadresse"),
        Days => ("days", "dagar", "dage"),
        Day => ("day", "dag", "dag"),
        Ticket => ("Ticket", "Ärende", "Sag"),
    };
    match lang {
        Lang::En => en,
        Lang::Sv => sv,
        Lang::Da => da,
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
