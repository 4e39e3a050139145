//! login-security: the UI strings of the sign-in steps, account, security and directory
//! pages in English, Swedish and Danish (kept apart from `web/i18n.rs` to ease merging).

use crate::web::i18n::Lang;

/// One string in English, Swedish and Danish.
pub type Tr = (&'static str, &'static str, &'static str);

/// The text of `s` in `l`.
pub fn tr(l: Lang, s: Tr) -> &'static str {
    match l {
        Lang::En => s.0,
        Lang::Sv => s.1,
        Lang::Da => s.2,
    }
}

pub const LOCKED: Tr = (
    "Too many failed sign-ins. Try again later.",
    "För många misslyckade inloggningar. Försök igen senare.",
    "For mange mislykkede login. Prøv igen senere.",
);
pub const IP_REFUSED: Tr = (
    "Sign-in is not allowed from your network.",
    "Inloggning är inte tillåten från ditt nätverk.",
    "Login er ikke tilladt fra dit netværk.",
);
pub const DIRECTORY_DOWN: Tr = (
    "The directory cannot be reached right now. Try again shortly.",
    "Katalogen kan inte nås just nu. Försök igen om en stund.",
    "Kataloget kan ikke nås lige nu. Prøv igen om lidt.",
);
pub const TOTP_TITLE: Tr = ("Two-step sign-in", "Tvåstegsinloggning", "Totrinslogin");
pub const TOTP_PROMPT: Tr = (
    "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
    "Ange den sexsiffriga koden från din autentiseringsapp, eller en av dina återställningskoder.",
    "Indtast den 6-cifrede kode fra din godkendelsesapp eller en af dine gendannelseskoder.",
);
pub const CODE: Tr = ("Code", "Kod", "Kode");
pub const WRONG_CODE: Tr = (
    "That code is not right.",
    "Koden stämmer inte.",
    "Koden er forkert.",
);
pub const CONTINUE: Tr = ("Continue", "Fortsätt", "Fortsæt");
pub const ENROL_TITLE: Tr = (
    "Set up two-step sign-in",
    "Aktivera tvåstegsinloggning",
    "Opsæt totrinslogin",
);
pub const ENROL_REQUIRED: Tr = (
    "Your role requires two-step sign-in. Set it up to continue.",
    "Din roll kräver tvåstegsinloggning. Aktivera den för att fortsätta.",
    "Din rolle kræver totrinslogin. Opsæt det for at fortsætte.",
);
pub const ENROL_SCAN: Tr = (
    "Scan the code with an authenticator app, or type the key, then enter the code it shows.",
    "Skanna koden med en autentiseringsapp, eller skriv in nyckeln, och ange sedan koden som visas.",
    "Scan koden med en godkendelsesapp, eller indtast nøglen, og indtast derefter koden, den viser.",
);
pub const KEY: Tr = ("Key", "Nyckel", "Nøgle");
pub const RECOVERY_TITLE: Tr = ("Recovery codes", "Återställningskoder", "Gendannelseskoder");
pub const RECOVERY_TEXT: Tr = (
    "Keep these codes somewhere safe. Each works once if you lose your phone. They are shown only now.",
    "Förvara koderna säkert. Var och en fungerar en gång om du tappar bort telefonen. De visas bara nu.",
    "Opbevar koderne sikkert. Hver virker én gang, hvis du mister din telefon. De vises kun nu.",
);
pub const EXPIRED_TITLE: Tr = (
    "Choose a new password",
    "Välj ett nytt lösenord",
    "Vælg en ny adgangskode",
);
pub const EXPIRED_TEXT: Tr = (
    "Your password is older than the organisation allows. Choose a new one to continue.",
    "Ditt lösenord är äldre än organisationen tillåter. Välj ett nytt för att fortsätta.",
    "Din adgangskode er ældre, end organisationen tillader. Vælg en ny for at fortsætte.",
);
pub const NEW_PASSWORD: Tr = ("New password", "Nytt lösenord", "Ny adgangskode");
pub const REPEAT_PASSWORD: Tr = (
    "New password again",
    "Nytt lösenord igen",
    "Ny adgangskode igen",
);
pub const CURRENT_PASSWORD: Tr = (
    "Current password",
    "Nuvarande lösenord",
    "Nuværende adgangskode",
);
pub const PASSWORDS_DIFFER: Tr = (
    "The two new passwords differ.",
    "De två nya lösenorden skiljer sig åt.",
    "De to nye adgangskoder er forskellige.",
);
pub const PASSWORD_CHANGED: Tr = (
    "Your password was changed.",
    "Ditt lösenord har ändrats.",
    "Din adgangskode er ændret.",
);
pub const ACCOUNT_TITLE: Tr = ("Your account", "Ditt konto", "Din konto");
pub const CHANGE_PASSWORD: Tr = ("Change password", "Byt lösenord", "Skift adgangskode");
pub const TOTP_ON: Tr = (
    "Two-step sign-in is on.",
    "Tvåstegsinloggning är på.",
    "Totrinslogin er slået til.",
);
pub const TOTP_OFF: Tr = (
    "Two-step sign-in is off.",
    "Tvåstegsinloggning är av.",
    "Totrinslogin er slået fra.",
);
pub const RECOVERY_LEFT: Tr = (
    "Unused recovery codes:",
    "Oanvända återställningskoder:",
    "Ubrugte gendannelseskoder:",
);
pub const TOTP_START: Tr = (
    "Set up two-step sign-in",
    "Aktivera tvåstegsinloggning",
    "Opsæt totrinslogin",
);
pub const TOTP_DISABLE: Tr = (
    "Turn off two-step sign-in",
    "Stäng av tvåstegsinloggning",
    "Slå totrinslogin fra",
);
pub const PASSWORD_OR_CODE: Tr = (
    "Password (directory accounts: a current code)",
    "Lösenord (katalogkonton: en aktuell kod)",
    "Adgangskode (katalogkonti: en aktuel kode)",
);
pub const SESSIONS: Tr = ("Your sessions", "Dina sessioner", "Dine sessioner");
pub const STARTED: Tr = ("Signed in", "Inloggad", "Logget ind");
pub const LAST_SEEN: Tr = ("Last seen", "Senast aktiv", "Sidst aktiv");
pub const ADDRESS: Tr = ("Address", "Adress", "Adresse");
pub const BROWSER: Tr = ("Browser", "Webbläsare", "Browser");
pub const THIS_SESSION: Tr = ("this session", "denna session", "denne session");
pub const END_SESSION: Tr = ("Sign out", "Logga ut", "Log ud");
pub const SIGN_OUT_ELSEWHERE: Tr = (
    "Sign out everywhere else",
    "Logga ut överallt annars",
    "Log ud alle andre steder",
);
pub const SIGNED_OUT_ELSEWHERE: Tr = (
    "Your other sessions were signed out.",
    "Dina andra sessioner har loggats ut.",
    "Dine andre sessioner er logget ud.",
);
pub const DIRECTORY_ACCOUNT: Tr = (
    "This account signs in with the organisation's directory; change its password there.",
    "Kontot loggar in via organisationens katalog; byt lösenordet där.",
    "Kontoen logger ind via organisationens katalog; skift adgangskoden der.",
);
pub const SECURITY_TITLE: Tr = ("Sign-in security", "Inloggningssäkerhet", "Loginsikkerhed");
pub const SAVED: Tr = ("Saved.", "Sparat.", "Gemt.");
pub const SAVE: Tr = ("Save", "Spara", "Gem");
pub const PW_POLICY: Tr = ("Password policy", "Lösenordsregler", "Adgangskoderegler");
pub const MIN_LENGTH: Tr = ("Minimum length", "Minsta längd", "Mindste længde");
pub const REQUIRE: Tr = ("Require", "Kräv", "Kræv");
pub const LOWER: Tr = ("lower-case letter", "gemen", "lille bogstav");
pub const UPPER: Tr = ("upper-case letter", "versal", "stort bogstav");
pub const DIGIT: Tr = ("digit", "siffra", "ciffer");
pub const SYMBOL: Tr = ("symbol", "specialtecken", "specialtegn");
pub const MIN_STRENGTH: Tr = (
    "Minimum strength (zxcvbn score 0–4)",
    "Minsta styrka (zxcvbn-poäng 0–4)",
    "Mindste styrke (zxcvbn-score 0–4)",
);
pub const HISTORY: Tr = (
    "Previous passwords that may not be reused",
    "Tidigare lösenord som inte får återanvändas",
    "Tidligere adgangskoder, der ikke må genbruges",
);
pub const MAX_AGE: Tr = (
    "Maximum age in days (0: never expires)",
    "Högsta ålder i dagar (0: upphör aldrig)",
    "Maksimal alder i dage (0: udløber aldrig)",
);
pub const TOTP_ROLES: Tr = (
    "Roles that must use two-step sign-in (comma-separated, e.g. admin, agent)",
    "Roller som måste använda tvåstegsinloggning (kommaseparerade, t.ex. admin, agent)",
    "Roller, der skal bruge totrinslogin (kommasepareret, f.eks. admin, agent)",
);
pub const NETWORKS: Tr = ("Networks", "Nätverk", "Netværk");
pub const ALLOW_GLOBAL: Tr = (
    "Sign-in allowed from (CIDR, one per line; empty: anywhere)",
    "Inloggning tillåten från (CIDR, en per rad; tomt: överallt)",
    "Login tilladt fra (CIDR, én pr. linje; tom: overalt)",
);
pub const ALLOW_ROLES: Tr = (
    "Per role (one per line: role: CIDR, CIDR)",
    "Per roll (en per rad: roll: CIDR, CIDR)",
    "Pr. rolle (én pr. linje: rolle: CIDR, CIDR)",
);
pub const TRUSTED_PROXIES: Tr = (
    "Trusted reverse proxies (CIDR, one per line)",
    "Betrodda omvända proxyservrar (CIDR, en per rad)",
    "Betroede omvendte proxyer (CIDR, én pr. linje)",
);
pub const THROTTLING: Tr = (
    "Failed sign-ins",
    "Misslyckade inloggningar",
    "Mislykkede login",
);
pub const ACCT_FAILURES: Tr = (
    "Failures per account before lockout",
    "Misslyckanden per konto före spärr",
    "Fejl pr. konto før spærring",
);
pub const ACCT_LOCK: Tr = (
    "Account lockout, minutes",
    "Kontospärr, minuter",
    "Kontospærring, minutter",
);
pub const ADDR_FAILURES: Tr = (
    "Failures per address before lockout",
    "Misslyckanden per adress före spärr",
    "Fejl pr. adresse før spærring",
);
pub const ADDR_WINDOW: Tr = (
    "Address window and lockout, minutes",
    "Adressfönster och spärr, minuter",
    "Adressevindue og spærring, minutter",
);
pub const DIRECTORY: Tr = (
    "Directory (Active Directory / LDAP)",
    "Katalog (Active Directory / LDAP)",
    "Katalog (Active Directory / LDAP)",
);
pub const ENABLED: Tr = ("Enabled", "Aktiverad", "Aktiveret");
pub const TEST_CONNECTION: Tr = (
    "Test the connection",
    "Testa anslutningen",
    "Test forbindelsen",
);
pub const TEST_LOGIN: Tr = (
    "User to look up (login name)",
    "Användare att slå upp (inloggningsnamn)",
    "Bruger at slå op (loginnavn)",
);
pub const TEST_PASSWORD: Tr = (
    "Their password (optional: also try the bind)",
    "Användarens lösenord (valfritt: prova även bindning)",
    "Brugerens adgangskode (valgfri: prøv også binding)",
);
pub const TEST_RESULT: Tr = ("Test result", "Testresultat", "Testresultat");
pub const KEEP_SECRET: Tr = (
    "leave empty to keep",
    "lämna tomt för att behålla",
    "lad stå tom for at beholde",
);
pub const MY_ACCOUNT: Tr = ("Account", "Konto", "Konto");
pub const L_URL: Tr = (
    "URL (ldaps://host:636, or ldap://host:389 with StartTLS)",
    "URL (ldaps://värd:636, eller ldap://värd:389 med StartTLS)",
    "URL (ldaps://vært:636, eller ldap://vært:389 med StartTLS)",
);
pub const L_CA: Tr = (
    "CA certificate file (PEM, optional)",
    "CA-certifikatfil (PEM, valfri)",
    "CA-certifikatfil (PEM, valgfri)",
);
pub const L_BIND: Tr = ("Sign-in method", "Inloggningsmetod", "Loginmetode");
pub const L_SEARCH_BIND: Tr = (
    "search, then bind (service account)",
    "sök, bind sedan (tjänstekonto)",
    "søg, bind derefter (tjenestekonto)",
);
pub const L_UPN_BIND: Tr = (
    "bind by UPN (user@domain, Active Directory)",
    "bind med UPN (användare@domän, Active Directory)",
    "bind med UPN (bruger@domæne, Active Directory)",
);
pub const L_UPN_DOMAIN: Tr = ("UPN domain", "UPN-domän", "UPN-domæne");
pub const L_SVC_DN: Tr = (
    "Service account DN",
    "Tjänstekontots DN",
    "Tjenestekontoens DN",
);
pub const L_SVC_PW: Tr = (
    "Service account password",
    "Tjänstekontots lösenord",
    "Tjenestekontoens adgangskode",
);
pub const L_BASE_DN: Tr = ("Search base DN", "Sökbas (DN)", "Søgebase (DN)");
pub const L_USER_FILTER: Tr = (
    "User filter ({login} is replaced)",
    "Användarfilter ({login} ersätts)",
    "Brugerfilter ({login} erstattes)",
);
pub const L_MAIL_ATTR: Tr = ("E-mail attribute", "E-postattribut", "E-mailattribut");
pub const L_NAME_ATTR: Tr = ("Name attribute", "Namnattribut", "Navneattribut");
pub const L_DISABLED_FILTER: Tr = (
    "Filter for disabled accounts (optional)",
    "Filter för inaktiverade konton (valfritt)",
    "Filter for deaktiverede konti (valgfrit)",
);
pub const L_GROUP_ROLES: Tr = (
    "Groups to roles (one per line: group DN => role)",
    "Grupper till roller (en per rad: grupp-DN => roll)",
    "Grupper til roller (én pr. linje: gruppe-DN => rolle)",
);
pub const L_DEPTH: Tr = (
    "Nested group depth",
    "Djup för nästlade grupper",
    "Dybde for indlejrede grupper",
);
