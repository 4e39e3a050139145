//! The first-run setup wizard.

use maud::{Markup, html};

use super::layout;
use crate::web::http::Req;
use crate::web::i18n::{Key, t};

/// What the user typed (passwords are never sent back).
#[derive(Debug, Clone, Default)]
pub struct SetupForm {
    pub org_name: String,
    pub admin_email: String,
    pub mailboxes: String,
    pub relay: String,
    pub relay_tls: String,
    pub relay_user: String,
    /// `relay` or `direct` (empty: relay).
    pub delivery_mode: String,
    /// `opportunistic` or `required` (empty: opportunistic).
    pub direct_tls: String,
    /// DKIM selector base (empty: the default).
    pub dkim_selector: String,
    /// This server's public host name (optional).
    pub public_host: String,
    /// backup: target directory and age public key (both optional).
    pub backup_target: String,
    pub backup_recipient: String,
}

/// The setup form carrying the one-time `token`, with `form`'s values and an `error`.
pub fn render(req: &Req, token: &str, form: &SetupForm, error: Option<&str>) -> Markup {
    let l = req.lang;
    let tls = if form.relay_tls.is_empty() {
        "required"
    } else {
        form.relay_tls.as_str()
    };
    let opt = t(l, Key::Optional);
    let mode = if form.delivery_mode.is_empty() {
        "relay"
    } else {
        form.delivery_mode.as_str()
    };
    let direct_tls = if form.direct_tls.is_empty() {
        "opportunistic"
    } else {
        form.direct_tls.as_str()
    };
    let selector = if form.dkim_selector.is_empty() {
        crate::mail::outbound::dkim::DEFAULT_SELECTOR
    } else {
        form.dkim_selector.as_str()
    };
    let body = html! {
        section.card.setup {
            h1 { (t(l, Key::SetupTitle)) }
            p.lead { (t(l, Key::SetupIntro)) }
            @if let Some(e) = error {
                p.error role="alert" { (e) }
            }
            form method="post" action="/setup" {
                input type="hidden" name="token" value=(token);
                fieldset {
                    legend { (t(l, Key::SetupOrganisation)) }
                    div.field {
                        label for="org_name" { (t(l, Key::OrgName)) }
                        input #org_name type="text" name="org_name" value=(form.org_name)
                            required maxlength="200" autocomplete="organization";
                    }
                    div.field {
                        label for="mailboxes" { (t(l, Key::Mailboxes)) }
                        textarea #mailboxes name="mailboxes" rows="3" required
                            aria-describedby="mailboxes-hint"
                            placeholder="support@example.org" { (form.mailboxes) }
                        p.hint #mailboxes-hint { (t(l, Key::MailboxesHint)) }
                    }
                }
                fieldset {
                    legend { (t(l, Key::SetupAccount)) }
                    div.field {
                        label for="admin_email" { (t(l, Key::AdminEmail)) }
                        input #admin_email type="email" name="admin_email" value=(form.admin_email)
                            required maxlength="254" autocomplete="username";
                    }
                    div.row {
                        div.field {
                            label for="admin_password" { (t(l, Key::Password)) }
                            input #admin_password type="password" name="admin_password" required
                                minlength="10" maxlength="1024" autocomplete="new-password"
                                aria-describedby="password-hint";
                        }
                        div.field {
                            label for="admin_password2" { (t(l, Key::PasswordRepeat)) }
                            input #admin_password2 type="password" name="admin_password2" required
                                minlength="10" maxlength="1024" autocomplete="new-password";
                        }
                    }
                    p.hint #password-hint { (t(l, Key::PasswordHint)) }
                }
                fieldset {
                    legend { (t(l, Key::SetupOutgoing)) }
                    div.field {
                        label for="delivery_mode" { (t(l, Key::DeliveryModeLabel)) }
                        select #delivery_mode name="delivery_mode" {
                            option value="relay" selected[mode == "relay"] { (t(l, Key::ModeRelay)) }
                            option value="direct" selected[mode == "direct"] { (t(l, Key::ModeDirect)) }
                        }
                    }
                    div.row {
                        div.field {
                            label for="relay" { (t(l, Key::Smarthost)) " " span.optional { "(" (opt) ")" } }
                            input #relay type="text" name="relay" value=(form.relay)
                                maxlength="260" placeholder="smtp.example.org:587"
                                aria-describedby="relay-hint" autocomplete="off";
                        }
                        div.field {
                            label for="relay_tls" { (t(l, Key::TlsMode)) }
                            select #relay_tls name="relay_tls" {
                                option value="required" selected[tls == "required"] { (t(l, Key::TlsRequired)) }
                                option value="opportunistic" selected[tls == "opportunistic"] { (t(l, Key::TlsOpportunistic)) }
                                option value="none" selected[tls == "none"] { (t(l, Key::TlsNone)) }
                            }
                        }
                    }
                    p.hint #relay-hint { (t(l, Key::SmarthostHint)) }
                    div.row {
                        div.field {
                            label for="relay_user" { (t(l, Key::RelayUser)) " " span.optional { "(" (opt) ")" } }
                            input #relay_user type="text" name="relay_user" value=(form.relay_user)
                                maxlength="254" autocomplete="off";
                        }
                        div.field {
                            label for="relay_password" { (t(l, Key::RelayPassword)) " " span.optional { "(" (opt) ")" } }
                            input #relay_password type="password" name="relay_password"
                                maxlength="1024" autocomplete="new-password";
                        }
                    }
                    div.row {
                        div.field {
                            label for="direct_tls" { (t(l, Key::DirectTlsLabel)) }
                            select #direct_tls name="direct_tls" {
                                option value="opportunistic" selected[direct_tls == "opportunistic"] { (t(l, Key::DirectTlsOpportunistic)) }
                                option value="required" selected[direct_tls == "required"] { (t(l, Key::DirectTlsRequired)) }
                            }
                        }
                        div.field {
                            label for="public_host" { (t(l, Key::PublicHost)) " " span.optional { "(" (opt) ")" } }
                            input #public_host type="text" name="public_host" value=(form.public_host)
                                maxlength="253" placeholder="helpdesk.example.org"
                                aria-describedby="public-host-hint" autocomplete="off";
                        }
                    }
                    p.hint #public-host-hint { (t(l, Key::PublicHostHint)) }
                    div.field {
                        label for="dkim_selector" { (t(l, Key::DkimSelector)) }
                        input #dkim_selector type="text" name="dkim_selector" value=(selector)
                            maxlength="50" required pattern="[A-Za-z0-9.-]+"
                            aria-describedby="dkim-hint" autocomplete="off";
                        p.hint #dkim-hint { (t(l, Key::DkimSelectorHint)) }
                    }
                }
                // backup: optional first configuration (the admin page has the rest)
                fieldset {
                    legend { (t(l, Key::BackupTitle)) " " span.opt { (opt) } }
                    p.hint #backup-hint { (t(l, Key::SetupBackupHint)) }
                    div.field {
                        label for="backup_target" { (t(l, Key::SetupBackupTarget)) }
                        input #backup_target type="text" name="backup_target" value=(form.backup_target)
                            maxlength="1000" autocomplete="off" aria-describedby="backup-hint"
                            placeholder="/mnt/backup/trygg";
                    }
                    div.field {
                        label for="backup_recipient" { (t(l, Key::SetupBackupRecipient)) }
                        input #backup_recipient type="text" name="backup_recipient" value=(form.backup_recipient)
                            maxlength="200" autocomplete="off" spellcheck="false" placeholder="age1…";
                    }
                }
                div.actions {
                    button.primary type="submit" { (t(l, Key::FinishSetup)) }
                }
            }
        }
    };
    layout::page(req, t(l, Key::SetupTitle), body)
}
