//! Detection and masking of national identity numbers in free text.
//!
//! GDPR Art. 87 lets member states set conditions for processing national identification
//! numbers; Denmark (CPR-loven) and Sweden (lag 2018:218 §3-10) restrict their display, and
//! Art. 25 (data protection by design) asks that they are not shown where not needed. trygg
//! finds them in incoming text so a ticket can be raised to *confidential* and the numbers
//! masked in lists, previews and notification mails.
//!
//! Recognised forms (sources: CPR-kontoret, "Personnummeret i CPR-systemet", 2008;
//! Skatteverket SKV 704 "Personnummer" and SKV 707 "Samordningsnummer"):
//! - Danish CPR `DDMMYY-SSSS`: the date must exist, with the century taken from the first
//!   serial digit (0–3: 1900s; 4 and 9: 2000s up to year 36 else 1900s; 5–8: 2000s up to
//!   year 57 else 1800s). There is no checksum: numbers without the modulus-11 property have
//!   been issued since 2007.
//! - Swedish personnummer `YYMMDD-NNNC` (`+` for people aged 100 or more) and
//!   `YYYYMMDD-NNNC`; samordningsnummer the same with 60 added to the day. `C` is the Luhn
//!   check digit over the ten digits `YYMMDDNNN`.
//!
//! False positives matter as much as misses: a help desk sees order numbers, invoices and
//! phone numbers all day. Hence:
//! - Only the separated forms are recognised on their own. A bare run of 10 or 12 digits is
//!   recognised only right after a label such as "CPR", "personnummer" or "pnr".
//! - A number right after an order, invoice, phone or similar label is not an ID.
//! - The run must stand alone: no letters or digits glued to either end, nor `-`/`/`/`:`
//!   joining it to more, nor `.`/`,` + digit after it; so `INV-100234-5678`,
//!   `100234-5678-12` and `2024-03-15` are not matched, while file names such as
//!   `CV_811218-9876.pdf` are (an underscore separates, as in file names).
//! - The birth date may not lie in the future of `today`.

use jiff::civil::Date;

/// Which kind of national identity number was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum IdKind {
    /// Danish CPR number (Det Centrale Personregister).
    DanishCpr,
    /// Swedish personnummer.
    SwedishPersonnummer,
    /// Swedish samordningsnummer (day of birth + 60).
    SwedishSamordningsnummer,
}

impl IdKind {
    /// Stable machine name, used in JSON and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            IdKind::DanishCpr => "dk-cpr",
            IdKind::SwedishPersonnummer => "se-personnummer",
            IdKind::SwedishSamordningsnummer => "se-samordningsnummer",
        }
    }
}

/// One national identity number found in a text: its kind, its byte range in the text and
/// the birth date it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: IdKind,
    /// Byte offset of the first digit.
    pub start: usize,
    /// Byte offset one past the last digit.
    pub end: usize,
    pub birth_date: Date,
}

/// Labels that announce an identity number; after one of them the unseparated forms count.
const ID_LABELS: &[&str] = &[
    "cpr",
    "cprnr",
    "cprnummer",
    "personnummer",
    "personnr",
    "pnr",
    "pnummer",
    "samordningsnummer",
    "samordningsnr",
    "personalnumber",
    "personnumber",
    "civicnumber",
    "personid",
];

/// Labels after which a number is something else, never an identity number.
const OTHER_LABELS: &[&str] = &[
    "order",
    "ordre",
    "ordrenr",
    "ordernr",
    "ordernummer",
    "ordrenummer",
    "orderno",
    "bestilling",
    "bestillingsnr",
    "beställning",
    "beställningsnummer",
    "invoice",
    "faktura",
    "fakturanr",
    "fakturanummer",
    "kundnr",
    "kundenr",
    "kundnummer",
    "kundenummer",
    "customer",
    "account",
    "konto",
    "kontonr",
    "tel",
    "telefon",
    "telefonnr",
    "phone",
    "mobil",
    "mobile",
    "fax",
    "ref",
    "reference",
    "referens",
    "sag",
    "sagsnr",
    "ärende",
    "ärendenr",
    "case",
    "ticket",
    "tracking",
    "serial",
    "serienummer",
    "iban",
    "reg",
    "regnr",
    "orgnr",
    "organisationsnummer",
    "cvr",
    "cvrnr",
];

/// Finds every national identity number in `text`. `today` bounds birth dates (inject the
/// clock's date; DESIGN invariant 5). Results are in text order and do not overlap.
pub fn find(text: &str, today: Date) -> Vec<Found> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && glued_before(bytes, i)) {
            i += 1;
            continue;
        }
        // Extent of this token: digits with at most one `-`/`+` separator.
        let (end, digits, sep) = token(bytes, i);
        if let Some(found) = classify(text, i, end, &digits, sep, today) {
            out.push(found);
        }
        i = end.max(i + 1);
    }
    out
}

/// Whether `text` holds at least one national identity number.
pub fn contains(text: &str, today: Date) -> bool {
    !find(text, today).is_empty()
}

/// `text` with every digit of every found number replaced by `X`, separators kept
/// (`010203-1234` → `XXXXXX-XXXX`). Returns the text unchanged (borrowed) if none is found.
pub fn mask(text: &str, today: Date) -> std::borrow::Cow<'_, str> {
    let found = find(text, today);
    if found.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut s = String::with_capacity(text.len());
    let mut last = 0;
    for f in &found {
        s.push_str(&text[last..f.start]);
        s.extend(
            text[f.start..f.end]
                .chars()
                .map(|c| if c.is_ascii_digit() { 'X' } else { c }),
        );
        last = f.end;
    }
    s.push_str(&text[last..]);
    std::borrow::Cow::Owned(s)
}

/// The canonical key of a found number, so that every spelling of it compares equal: its
/// last ten digits (`811218-9876`, `19811218-9876`, `811218+9876` and `8112189876` all give
/// `8112189876`). A CPR number and a Swedish number with the same digits share a key; for
/// masking that errs on the safe side.
pub fn key(text: &str, f: &Found) -> String {
    let digits: Vec<u8> = text.as_bytes()[f.start..f.end]
        .iter()
        .copied()
        .filter(u8::is_ascii_digit)
        .collect();
    let tail = &digits[digits.len().saturating_sub(10)..];
    String::from_utf8_lossy(tail).into_owned()
}

/// Adds the [`key`]s of the numbers found in `text` (as of `today`) to `ids`.
pub fn collect(text: &str, today: Date, ids: &mut std::collections::BTreeSet<String>) {
    for f in find(text, today) {
        ids.insert(key(text, &f));
    }
}

/// `text` with every number found in it masked ([`mask`]) and, beyond that, every occurrence
/// of a number in `ids` ([`key`]s detected elsewhere, e.g. in the same ticket), however it
/// is written: with `-`, `+` or spaces between digits, in the 10- or 12-digit form, and
/// whatever label stands before it. Once a number is known to be someone's identity number
/// it is masked wherever it appears next to it (GDPR Art. 25, 87): "Ordernummer
/// 811218-9876" is not an order number when the same text calls it a personnummer.
/// An occurrence must not be glued to further digits. Lengths are kept.
pub fn mask_known<'a>(
    text: &'a str,
    ids: &std::collections::BTreeSet<String>,
    today: Date,
) -> std::borrow::Cow<'a, str> {
    let first = mask(text, today);
    if ids.is_empty() {
        return first;
    }
    let b = first.as_bytes();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        match known_at(b, i, ids) {
            Some(end) => {
                spans.push((i, end));
                i = end;
            }
            None => i += 1,
        }
    }
    if spans.is_empty() {
        return first;
    }
    let mut out = first.into_owned().into_bytes();
    for (s, e) in spans {
        for c in &mut out[s..e] {
            if c.is_ascii_digit() {
                *c = b'X';
            }
        }
    }
    // Only ASCII digits were replaced by ASCII `X`: still UTF-8.
    std::borrow::Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Whether a known number starts at `start` (a digit not preceded by a digit): the end of
/// its span. Digits may be separated by single `-`, `+` or spaces; 12 digits (whose first
/// two are a century 18, 19 or 20) are tried before 10. The span must not be followed by
/// a digit.
fn known_at(b: &[u8], start: usize, ids: &std::collections::BTreeSet<String>) -> Option<usize> {
    let mut digits = Vec::with_capacity(12);
    let mut ends = Vec::with_capacity(12);
    let mut j = start;
    while j < b.len() && digits.len() < 12 {
        let c = b[j];
        if c.is_ascii_digit() {
            digits.push(c);
            j += 1;
            ends.push(j);
        } else if matches!(c, b'-' | b'+' | b' ') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
            j += 1;
        } else {
            break;
        }
    }
    let fits = |n: usize| -> Option<usize> {
        let end = *ends.get(n - 1)?;
        if b.get(end).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        if n == 12 && !matches!(&digits[..2], b"18" | b"19" | b"20") {
            return None;
        }
        let tail = std::str::from_utf8(&digits[n - 10..n]).ok()?;
        ids.contains(tail).then_some(end)
    };
    (digits.len() >= 12)
        .then(|| fits(12))
        .flatten()
        .or_else(|| (digits.len() >= 10).then(|| fits(10)).flatten())
}

/// The byte before `i` makes the run part of a longer token (letters, digits, or a
/// separator that itself follows something).
fn glued_before(b: &[u8], i: usize) -> bool {
    let p = b[i - 1];
    if p.is_ascii_alphanumeric() || p == b'@' || p >= 0x80 {
        return true;
    }
    matches!(p, b'-' | b'/' | b'.' | b'+' | b',' | b':')
        && i >= 2
        && b[i - 2].is_ascii_alphanumeric()
}

/// Scans digits from `start`, allowing one `-` or `+` between digits. Returns the end offset,
/// the digits, and the separator with its digit position.
fn token(b: &[u8], start: usize) -> (usize, Vec<u8>, Option<(u8, usize)>) {
    let mut digits = Vec::new();
    let mut sep = None;
    let mut j = start;
    while j < b.len() {
        let c = b[j];
        if c.is_ascii_digit() {
            digits.push(c - b'0');
            j += 1;
        } else if (c == b'-' || c == b'+')
            && sep.is_none()
            && j + 1 < b.len()
            && b[j + 1].is_ascii_digit()
        {
            sep = Some((c, digits.len()));
            j += 1;
        } else {
            break;
        }
        if digits.len() > 12 {
            break;
        }
    }
    (j, digits, sep)
}

/// The byte after the token makes it part of something longer.
fn glued_after(b: &[u8], end: usize) -> bool {
    match b.get(end) {
        None => false,
        Some(c) if c.is_ascii_alphanumeric() || *c == b'@' || *c >= 0x80 => true,
        // `.pdf` and a sentence's full stop end a number; `.5` and `,5` continue it.
        Some(b'.' | b',') => b.get(end + 1).is_some_and(|n| n.is_ascii_digit()),
        Some(b'-' | b'+' | b'/' | b':') => {
            b.get(end + 1).is_some_and(|n| n.is_ascii_alphanumeric())
        }
        _ => false,
    }
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Label {
    /// An ID label; `danish` when it names the CPR, which settles numbers valid in both
    /// countries (a Luhn-valid CPR number is also a well-formed personnummer).
    Id {
        danish: bool,
    },
    Other,
    None,
}

/// The nearest word before `start` (within 32 bytes, skipping spaces, `:`, `#`, `.`, `-`),
/// folded to lower case without separators, classified.
fn label_before(text: &str, start: usize) -> Label {
    let from = start.saturating_sub(48);
    let from = (from..=start)
        .find(|&k| text.is_char_boundary(k))
        .unwrap_or(start);
    let window = &text[from..start];
    let trimmed = window.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ':' | '#' | '.' | '-' | '=' | '(' | '[' | '\'' | '"')
    });
    if window.len() - trimmed.len() > 8 {
        return Label::None;
    }
    // The label may be two words ("CPR nr", "order no"): take up to two trailing words.
    let words: Vec<&str> = trimmed
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.'))
        .take(2)
        .collect();
    let fold = |w: &str| -> String {
        w.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let last = words.first().map(|w| fold(w)).unwrap_or_default();
    let pair = words
        .get(1)
        .map(|w| format!("{}{}", fold(w), last))
        .unwrap_or_default();
    let is = |list: &[&str], w: &str| !w.is_empty() && list.contains(&w);
    // "nr"/"no"/"number" qualify the word before them.
    let generic = matches!(last.as_str(), "nr" | "no" | "number" | "nummer" | "num");
    if is(ID_LABELS, &last) || (generic && is(ID_LABELS, &pair)) {
        return Label::Id {
            danish: last.starts_with("cpr") || pair.starts_with("cpr"),
        };
    }
    let prev = words.get(1).map(|w| fold(w)).unwrap_or_default();
    if is(OTHER_LABELS, &last) || (generic && (is(OTHER_LABELS, &pair) || is(OTHER_LABELS, &prev)))
    {
        return Label::Other;
    }
    Label::None
}

fn classify(
    text: &str,
    start: usize,
    end: usize,
    digits: &[u8],
    sep: Option<(u8, usize)>,
    today: Date,
) -> Option<Found> {
    if glued_after(text.as_bytes(), end) {
        return None;
    }
    let label = label_before(text, start);
    if label == Label::Other {
        return None;
    }
    let found = |kind, birth_date| Found {
        kind,
        start,
        end,
        birth_date,
    };
    let labelled = matches!(label, Label::Id { .. });
    let prefer_danish = label == Label::Id { danish: true };
    let ten = |plus: bool| {
        let dk = || {
            (!plus)
                .then(|| danish(digits, today))
                .flatten()
                .map(|d| found(IdKind::DanishCpr, d))
        };
        let se = || swedish10(digits, plus, today).map(|(k, d)| found(k, d));
        if prefer_danish {
            dk().or_else(se)
        } else {
            se().or_else(dk)
        }
    };
    match (digits.len(), sep) {
        (10, Some((s, 6))) => ten(s == b'+'),
        (12, Some((b'-', 8))) => swedish12(digits, today).map(|(k, d)| found(k, d)),
        (10, None) if labelled => ten(false),
        (12, None) if labelled => swedish12(digits, today).map(|(k, d)| found(k, d)),
        _ => None,
    }
}

fn num(d: &[u8]) -> i16 {
    d.iter().fold(0i16, |acc, &x| acc * 10 + i16::from(x))
}

/// Danish CPR: date with the century rule of the CPR office; no checksum (see module doc).
fn danish(d: &[u8], today: Date) -> Option<Date> {
    let (dd, mm, yy) = (num(&d[0..2]), num(&d[2..4]), num(&d[4..6]));
    let century = match d[6] {
        0..=3 => 1900,
        4 | 9 => {
            if yy <= 36 {
                2000
            } else {
                1900
            }
        }
        _ => {
            if yy <= 57 {
                2000
            } else {
                1800
            }
        }
    };
    let date = Date::new(century + yy, i8::try_from(mm).ok()?, i8::try_from(dd).ok()?).ok()?;
    (date <= today).then_some(date)
}

/// Luhn (ISO/IEC 7812-1 annex B) over ten digits, as Skatteverket uses it.
fn luhn10(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let v = u32::from(x) * if i % 2 == 0 { 2 } else { 1 };
            v / 10 + v % 10
        })
        .sum();
    sum.is_multiple_of(10)
}

fn swedish_date(year: i16, mm: i16, dd: i16, today: Date) -> Option<(IdKind, Date)> {
    let (kind, day) = if dd > 60 {
        (IdKind::SwedishSamordningsnummer, dd - 60)
    } else {
        (IdKind::SwedishPersonnummer, dd)
    };
    let date = Date::new(year, i8::try_from(mm).ok()?, i8::try_from(day).ok()?).ok()?;
    (date <= today && year >= 1850).then_some((kind, date))
}

/// `YYMMDD-NNNC` / `YYMMDD+NNNC`: the century is the latest one that puts the birth date
/// in the past (`+` adds a hundred years of age).
fn swedish10(d: &[u8], plus: bool, today: Date) -> Option<(IdKind, Date)> {
    if !luhn10(d) {
        return None;
    }
    let (yy, mm, dd) = (num(&d[0..2]), num(&d[2..4]), num(&d[4..6]));
    let this_century = today.year() - today.year() % 100;
    let mut year = this_century + yy;
    if year > today.year() {
        year -= 100;
    }
    if plus {
        year -= 100;
    }
    let r = swedish_date(year, mm, dd, today);
    // Born earlier this year but later in the calendar than today: previous century.
    r.or_else(|| {
        (!plus)
            .then(|| swedish_date(year - 100, mm, dd, today))
            .flatten()
    })
    .filter(|(_, date)| !plus || date.year() <= today.year() - 100)
}

/// `YYYYMMDD-NNNC`: the Luhn digit covers the last ten digits.
fn swedish12(d: &[u8], today: Date) -> Option<(IdKind, Date)> {
    if !luhn10(&d[2..]) {
        return None;
    }
    swedish_date(num(&d[0..4]), num(&d[4..6]), num(&d[6..8]), today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 30).expect("valid date")
    }

    fn kinds(text: &str) -> Vec<IdKind> {
        find(text, today()).into_iter().map(|f| f.kind).collect()
    }

    /// Builds a valid Swedish number by computing the Luhn digit for nine digits.
    fn with_luhn(nine: &str) -> String {
        let digits: Vec<u8> = nine.bytes().map(|b| b - b'0').collect();
        (0..10u8)
            .map(|c| {
                let mut d = digits.clone();
                d.push(c);
                (c, d)
            })
            .find(|(_, d)| luhn10(d))
            .map(|(c, _)| format!("{nine}{c}"))
            .expect("one check digit fits")
    }

    #[test]
    fn luhn_matches_skatteverket_example() {
        // SKV 704's worked example: 811218-9876.
        assert!(luhn10(&[8, 1, 1, 2, 1, 8, 9, 8, 7, 6]));
        assert!(!luhn10(&[8, 1, 1, 2, 1, 8, 9, 8, 7, 5]));
    }

    #[test]
    fn swedish_valid_forms() {
        assert_eq!(
            kinds("Mitt personnummer är 811218-9876."),
            [IdKind::SwedishPersonnummer]
        );
        assert_eq!(kinds("pnr 19811218-9876"), [IdKind::SwedishPersonnummer]);
        assert_eq!(
            kinds("Personnummer: 198112189876"),
            [IdKind::SwedishPersonnummer]
        );
        assert_eq!(
            kinds("personnummer 8112189876"),
            [IdKind::SwedishPersonnummer]
        );
        let f = find("född 811218-9876", today());
        assert_eq!(f[0].birth_date, Date::new(1981, 12, 18).expect("date"));
        // `+`: a centenarian.
        let old = with_luhn("201224123");
        let plus = format!("{}+{}", &old[..6], &old[6..]);
        let f = find(&plus, today());
        assert_eq!(f.len(), 1, "{plus}");
        assert_eq!(f[0].birth_date.year(), 1920);
        // Samordningsnummer: day + 60.
        let samo = with_luhn("811278987");
        let text = format!("samordningsnummer {}-{}", &samo[..6], &samo[6..]);
        assert_eq!(kinds(&text), [IdKind::SwedishSamordningsnummer]);
    }

    #[test]
    fn danish_valid_forms() {
        // 1st serial digit 0-3 → 1900s.
        let f = find("CPR: 010203-1234", today());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, IdKind::DanishCpr);
        assert_eq!(f[0].birth_date, Date::new(1903, 2, 1).expect("date"));
        // 4 → 2000s for years ≤ 36.
        assert_eq!(find("150310-4321", today())[0].birth_date.year(), 2010);
        // 5–8 with year 58-99 → 1800s.
        assert_eq!(find("150390-5321", today())[0].birth_date.year(), 1890);
        // Leap day.
        assert_eq!(kinds("290200-4111"), [IdKind::DanishCpr]);
        // Unseparated after a label.
        assert_eq!(kinds("cpr-nr. 0102031234"), [IdKind::DanishCpr]);
        assert_eq!(kinds("CPR nr: 0102031234"), [IdKind::DanishCpr]);
    }

    #[test]
    fn invalid_checksum_and_dates_are_ignored() {
        // Swedish with the wrong check digit (and day 81, so not Danish either).
        assert!(kinds("pnr 811218-9875").is_empty());
        assert!(kinds("pnr 19811218-9875").is_empty());
        // Day 32, month 13, 30 February, 29 February in a non-leap year.
        assert!(kinds("320190-1234").is_empty());
        assert!(kinds("011390-1234").is_empty());
        assert!(kinds("300290-1234").is_empty());
        assert!(kinds("290201-1235").is_empty());
        // Future birth date (2030 via serial digit 4).
        assert!(kinds("010130-4123").is_empty());
    }

    #[test]
    fn look_alikes_are_not_ids() {
        for text in [
            // Phone numbers, Danish and Swedish, in the shapes people write.
            "+45 12 34 56 78",
            "Ring 12345678",
            "tel. 070-123 45 67",
            "08-123 456 78",
            "+46 70 123 45 67",
            "+46701234567",
            "0046 8 1234 5678",
            // Order, invoice, customer numbers and references.
            "Ordre nr. 150310-4321",
            "Order #150310-4321",
            "Faktura 010203-1234",
            "Invoice no. 0102031234",
            "kundnummer 811218-9876",
            "INV-100234-5678",
            "100234-5678-12",
            "SE-811218-9876",
            "ORD2024-000123",
            "202311150001",
            "1234567890",
            "8112189876",
            // Dates, times, versions, IBAN, IP.
            "2024-03-15",
            "15.03.2024 kl. 10:30",
            "v1.2.3-4567",
            "DK50 0040 0440 1162 43",
            "10.0.0.1",
            // Org numbers (Swedish organisationsnummer pass Luhn too).
            "orgnr 556036-0793",
            "CVR 12345678",
        ] {
            assert!(
                kinds(text).is_empty(),
                "false positive in {text:?}: {:?}",
                kinds(text)
            );
        }
    }

    #[test]
    fn masking_keeps_the_text_around() {
        let t = "Hej, mit CPR er 010203-1234 og ordre 150310-4321.";
        assert_eq!(
            mask(t, today()),
            "Hej, mit CPR er XXXXXX-XXXX og ordre 150310-4321."
        );
        assert!(matches!(
            mask("nothing here", today()),
            std::borrow::Cow::Borrowed(_)
        ));
        // Non-ASCII text before and after the number stays intact.
        assert_eq!(
            mask("Födelse: 811218-9876 – ok", today()),
            "Födelse: XXXXXX-XXXX – ok"
        );
    }

    #[test]
    fn a_known_number_is_masked_in_every_spelling_and_after_any_label() {
        let mut ids = std::collections::BTreeSet::new();
        collect("Personnummer 811218-9876", today(), &mut ids);
        assert_eq!(ids.iter().collect::<Vec<_>>(), ["8112189876"]);
        // Alone, the look-alike labels keep these numbers in clear ...
        let t = "Ordernummer 811218-9876? order number 811218-9876, tel. 811218-9876 \
                 kundnummer 811218-9876 Fax: 8112189876 Mobil 811218 9876 \
                 Kundnr 19811218-9876 Ring 811218 - / 198112189876.";
        assert_eq!(mask(t, today()), t);
        // ... but not once the same number is known as an identity number.
        let m = mask_known(t, &ids, today());
        assert!(!m.contains("9876"), "{m}");
        assert_eq!(m.len(), t.len());
        assert!(m.starts_with("Ordernummer XXXXXX-XXXX? order number XXXXXX-XXXX,"));
        assert!(m.contains("Mobil XXXXXX XXXX"), "{m}");
        assert!(m.contains("Kundnr XXXXXXXX-XXXX"), "{m}");
        assert!(m.ends_with("/ XXXXXXXXXXXX."), "{m}");
        assert_eq!(
            mask_known("Ring 811218+9876", &ids, today()),
            "Ring XXXXXX+XXXX"
        );
        // Other numbers and longer digit runs that merely contain it stay.
        let other = "order 150310-4321, ref 18112189876, 8112189876123, 12 811218-98761";
        assert_eq!(mask_known(other, &ids, today()), other);
        // A leading number separated by a space does not swallow the ID.
        assert_eq!(
            mask_known("box 12 811218 9876", &ids, today()),
            "box 12 XXXXXX XXXX"
        );
        // Empty set: plain detection.
        let none = std::collections::BTreeSet::new();
        assert_eq!(
            mask_known("CPR 010203-1234, ordre 811218-9876", &none, today()),
            "CPR XXXXXX-XXXX, ordre 811218-9876"
        );
        // Danish key: the same ten digits in every spelling.
        let mut dk = std::collections::BTreeSet::new();
        collect("CPR: 010203-1234", today(), &mut dk);
        assert_eq!(
            mask_known("Faktura 0102031234 og tel. 010203 1234", &dk, today()),
            "Faktura XXXXXXXXXX og tel. XXXXXX XXXX"
        );
    }

    #[test]
    fn arbitrary_text_never_panics_and_masking_keeps_length() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let alphabet: Vec<char> = "0123456789-+ .:/#abcXYZåäöæø€\n".chars().collect();
        for _ in 0..20_000 {
            let len = rng.gen_range(0..40);
            let text: String = (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            let masked = mask(&text, today());
            assert_eq!(masked.chars().count(), text.chars().count(), "{text:?}");
            let mut ids = std::collections::BTreeSet::new();
            ids.insert("8112189876".to_string());
            let known = mask_known(&text, &ids, today());
            assert_eq!(known.chars().count(), text.chars().count(), "{text:?}");
            assert!(find(&masked, today()).is_empty(), "{text:?} → {masked:?}");
        }
    }
}
