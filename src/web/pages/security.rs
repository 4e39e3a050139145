//! login-security: the admin's sign-in security page (password policy, two-step sign-in
//! per role, network allow-lists and trusted proxies, lockout thresholds).

use maud::{Markup, html};

use super::layout;
use super::login_text::{self as lt, tr};
use crate::auth::policy::SecurityPolicy;
use crate::web::http::Req;

/// The policy as the form's text fields show it.
pub struct PolicyForm {
    pub min_length: String,
    pub require_lower: bool,
    pub require_upper: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    pub min_strength: String,
    pub history: String,
    pub max_age_days: String,
    pub totp_roles: String,
    pub allow_global: String,
    pub allow_roles: String,
    pub trusted_proxies: String,
    pub account_max_failures: String,
    pub account_lockout_minutes: String,
    pub address_max_failures: String,
    pub address_window_minutes: String,
}

impl PolicyForm {
    /// The form filled from `p`.
    pub fn from_policy(p: &SecurityPolicy) -> PolicyForm {
        PolicyForm {
            min_length: p.min_length.to_string(),
            require_lower: p.require_lower,
            require_upper: p.require_upper,
            require_digit: p.require_digit,
            require_symbol: p.require_symbol,
            min_strength: p.min_strength.to_string(),
            history: p.history.to_string(),
            max_age_days: p.max_age_days.to_string(),
            totp_roles: p.totp_roles.join(", "),
            allow_global: p.allow_global.join("\n"),
            allow_roles: p
                .allow_roles
                .iter()
                .map(|(r, n)| format!("{r}: {}", n.join(", ")))
                .collect::<Vec<_>>()
                .join("\n"),
            trusted_proxies: p.trusted_proxies.join("\n"),
            account_max_failures: p.account_max_failures.to_string(),
            account_lockout_minutes: p.account_lockout_minutes.to_string(),
            address_max_failures: p.address_max_failures.to_string(),
            address_window_minutes: p.address_window_minutes.to_string(),
        }
    }

    /// Parses the form. Errors: a message naming the field.
    pub fn to_policy(&self) -> Result<SecurityPolicy, String> {
        fn num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
            s.trim()
                .parse()
                .map_err(|_| format!("{what}: not a number: {}", s.trim()))
        }
        let lines = |s: &str| -> Vec<String> {
            s.lines()
                .flat_map(|l| l.split(','))
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        };
        let mut allow_roles = Vec::new();
        for line in self.allow_roles.lines().filter(|l| !l.trim().is_empty()) {
            let (role, nets) = line
                .split_once(':')
                .filter(|(r, _)| !r.trim().is_empty() && !r.contains('.'))
                .ok_or_else(|| format!("per-role networks: write “role: CIDR, …”: {line}"))?;
            allow_roles.push((role.trim().to_lowercase(), lines(nets)));
        }
        Ok(SecurityPolicy {
            min_length: num(&self.min_length, "minimum length")?,
            require_lower: self.require_lower,
            require_upper: self.require_upper,
            require_digit: self.require_digit,
            require_symbol: self.require_symbol,
            min_strength: num(&self.min_strength, "minimum strength")?,
            history: num(&self.history, "password history")?,
            max_age_days: num(&self.max_age_days, "maximum age")?,
            totp_roles: lines(&self.totp_roles)
                .into_iter()
                .map(|r| r.to_lowercase())
                .collect(),
            allow_global: lines(&self.allow_global),
            allow_roles,
            trusted_proxies: lines(&self.trusted_proxies),
            account_max_failures: num(&self.account_max_failures, "failures per account")?,
            account_lockout_minutes: num(&self.account_lockout_minutes, "account lockout")?,
            address_max_failures: num(&self.address_max_failures, "failures per address")?,
            address_window_minutes: num(&self.address_window_minutes, "address window")?,
        })
    }
}

/// The page. `client` is the address trygg sees for this request (helps with proxies).
pub fn render(
    req: &Req,
    f: &PolicyForm,
    csrf: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let l = req.lang;
    let num = |id: &'static str, label: lt::Tr, value: &str| {
        html! {
            div.field {
                label for=(id) { (tr(l, label)) }
                input id=(id) type="text" inputmode="numeric" name=(id) value=(value) required maxlength="6";
            }
        }
    };
    let check = |id: &'static str, label: lt::Tr, on: bool| {
        html! {
            label.check { input type="checkbox" name=(id) value="1" checked[on]; " " (tr(l, label)) }
        }
    };
    let body = html! {
        div.page-head { h1 { (tr(l, lt::SECURITY_TITLE)) } (super::admin_roles::admin_nav(req)) }
        @if let Some(n) = notice {
            p.notice role="status" { (n) }
        }
        @if let Some(e) = error {
            p.error role="alert" { (e) }
        }
        form method="post" action="/admin/security" {
            input type="hidden" name="csrf" value=(csrf);
            section.card #password-policy {
                h2 { (tr(l, lt::PW_POLICY)) }
                div.row {
                    (num("min_length", lt::MIN_LENGTH, &f.min_length))
                    (num("min_strength", lt::MIN_STRENGTH, &f.min_strength))
                }
                fieldset {
                    legend { (tr(l, lt::REQUIRE)) }
                    (check("require_lower", lt::LOWER, f.require_lower))
                    (check("require_upper", lt::UPPER, f.require_upper))
                    (check("require_digit", lt::DIGIT, f.require_digit))
                    (check("require_symbol", lt::SYMBOL, f.require_symbol))
                }
                div.row {
                    (num("history", lt::HISTORY, &f.history))
                    (num("max_age_days", lt::MAX_AGE, &f.max_age_days))
                }
                div.field {
                    label for="totp_roles" { (tr(l, lt::TOTP_ROLES)) }
                    input #totp_roles type="text" name="totp_roles" value=(f.totp_roles) maxlength="1000";
                }
            }
            section.card #networks {
                h2 { (tr(l, lt::NETWORKS)) }
                p.hint { (tr(l, lt::ADDRESS)) ": " code #client-address { (req.client) } }
                div.field {
                    label for="allow_global" { (tr(l, lt::ALLOW_GLOBAL)) }
                    textarea #allow_global name="allow_global" rows="3" { (f.allow_global) }
                }
                div.field {
                    label for="allow_roles" { (tr(l, lt::ALLOW_ROLES)) }
                    textarea #allow_roles name="allow_roles" rows="3" { (f.allow_roles) }
                }
                div.field {
                    label for="trusted_proxies" { (tr(l, lt::TRUSTED_PROXIES)) }
                    textarea #trusted_proxies name="trusted_proxies" rows="2" { (f.trusted_proxies) }
                }
            }
            section.card #throttling {
                h2 { (tr(l, lt::THROTTLING)) }
                div.row {
                    (num("account_max_failures", lt::ACCT_FAILURES, &f.account_max_failures))
                    (num("account_lockout_minutes", lt::ACCT_LOCK, &f.account_lockout_minutes))
                }
                div.row {
                    (num("address_max_failures", lt::ADDR_FAILURES, &f.address_max_failures))
                    (num("address_window_minutes", lt::ADDR_WINDOW, &f.address_window_minutes))
                }
            }
            div.actions {
                button.primary type="submit" { (tr(l, lt::SAVE)) }
            }
        }
        p { a href="/admin/ldap" { (tr(l, lt::DIRECTORY)) } }
    };
    layout::page(req, tr(l, lt::SECURITY_TITLE), body)
}
