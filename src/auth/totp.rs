//! TOTP second factor (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, ±1 step of clock
//! drift) with one-time recovery codes, via `totp-rs`. A step is accepted once only
//! (RFC 6238 §5.2): the last used step is stored and older or equal steps are refused.

use rand::RngCore;
use totp_rs::{Algorithm, Secret, Totp};

use crate::error::{Error, Result};

/// Issuer shown in authenticator apps.
pub const ISSUER: &str = "trygg";
/// Number of recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// A fresh 160-bit secret (RFC 4226 §4 recommends 160 bits).
pub fn new_secret() -> Vec<u8> {
    let mut b = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

fn totp(secret: &[u8], account: &str) -> Result<Totp> {
    totp_rs::Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(Secret::from(secret.to_vec()))
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| Error::internal(format!("totp: {e}")))
}

/// The secret in base32 (RFC 4648), for manual entry.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::from(secret.to_vec()).to_base32()
}

/// The `otpauth://totp/trygg:ACCOUNT?secret=…&issuer=trygg` URI authenticator apps read.
pub fn otpauth_uri(secret: &[u8], account: &str) -> Result<String> {
    totp(secret, account)?
        .to_url()
        .map_err(|e| Error::internal(format!("totp uri: {e}")))
}

/// The URI as a QR code in SVG (no script, no styles: allowed under the page CSP).
pub fn qr_svg(uri: &str) -> Result<String> {
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M)
        .map_err(|e| Error::internal(format!("qr: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

/// The time step a 6-digit `code` is valid for at `now_ms` (±1 step), if it is valid and
/// newer than `last_step`. Input with spaces is accepted ("123 456").
pub fn check(secret: &[u8], code: &str, now_ms: i64, last_step: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "x").ok()?;
    let now = u64::try_from(now_ms / 1000).ok()?;
    t.check(&code, now).filter(|&step| step > last_step)
}

/// The code for `now_ms` (used by tests and the enrolment self-check).
pub fn code_at(secret: &[u8], now_ms: i64) -> Result<String> {
    let now = u64::try_from(now_ms / 1000).map_err(|_| Error::invalid("time before 1970"))?;
    Ok(totp(secret, "x")?.generate(now).to_string())
}

/// Ten recovery codes `xxxxx-xxxxx` (base32 alphabet without confusing characters,
/// 50 bits each), shown once.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHA: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut b = [0u8; 10];
            rand::rngs::OsRng.fill_bytes(&mut b);
            let s: String = b
                .iter()
                .map(|x| ALPHA[usize::from(*x) % ALPHA.len()] as char)
                .collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect()
}

/// Normalises a typed recovery code (case, spaces, missing dash).
pub fn normalise_recovery(code: &str) -> String {
    let s: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if s.len() == 10 {
        format!("{}-{}", &s[..5], &s[5..])
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector_and_step_reuse() {
        // RFC 6238 Appendix B, SHA1 key "12345678901234567890", T=59 → 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let key = b"12345678901234567890";
        assert_eq!(code_at(key, 59_000).unwrap(), "287082");
        let step = check(key, "287 082", 59_000, 0).unwrap();
        assert_eq!(step, 1);
        assert!(check(key, "287082", 59_000, step).is_none());
        assert!(check(key, "287082", 59_000 + 90_000, 0).is_none());
        assert!(check(key, "28708", 59_000, 0).is_none());
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(
            normalise_recovery(&codes[0].to_uppercase().replace('-', " ")),
            codes[0]
        );
        let uri = otpauth_uri(&new_secret(), "alice@trygg.test").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/trygg:alice%40trygg.test?"),
            "{uri}"
        );
        assert!(qr_svg(&uri).unwrap().contains("<svg"));
    }
}
