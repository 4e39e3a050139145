//! The admin page for backups (`/admin/backup`): target, keys, schedule and retention;
//! the newest chains; the latest disaster-recovery drill reports.

use maud::{Markup, html};

use super::{human_size, layout, time_ms, time_rfc3339};
use crate::backup::BackupSettings;
use crate::backup::drill::Report;
use crate::backup::manifest::Manifest;
use crate::web::http::Req;
use crate::web::i18n::{Key, t};

/// Everything the page shows.
pub struct BackupView {
    pub settings: BackupSettings,
    pub head_seq: u64,
    pub watermark: Option<u64>,
    pub chains: Vec<Manifest>,
    /// An error reading the target (shown instead of the chains).
    pub chains_error: Option<String>,
    pub status: crate::backup::Status,
    pub drills: Vec<Report>,
}

/// The page. `notice` after a successful save, `error` for a rejected form.
pub fn render(
    req: &Req,
    csrf: &str,
    v: &BackupView,
    notice: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let l = req.lang;
    let s = &v.settings;
    let body = html! {
        div.page-head { h1 { (t(l, Key::BackupTitle)) } (super::admin_roles::admin_nav(req)) }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        section.card {
            h2 { (t(l, Key::BackupStatus)) }
            p {
                (t(l, Key::BackupLogHead)) ": " strong { (v.head_seq) } " · "
                (t(l, Key::BackupSafeUpTo)) ": " strong { (v.watermark.map_or("-".to_string(), |w| w.to_string())) }
            }
            @if let Some(ms) = v.status.last_ok_ms { p { (t(l, Key::BackupLastOk)) ": " (time_ms(ms)) } }
            @if let Some(e) = &v.status.last_error {
                p.error { (t(l, Key::BackupLastError)) ": " (e) }
            }
            @if let Some(e) = &v.chains_error { p.error { (e) } }
            @if v.chains.is_empty() {
                p.hint { (t(l, Key::BackupNoChains)) }
            } @else {
                div.table-wrap { table.tickets {
                    thead { tr {
                        th { (t(l, Key::BackupChain)) }
                        th { (t(l, Key::BackupFiles)) }
                        th { (t(l, Key::BackupLastSeq)) }
                        th { (t(l, Key::BackupNewest)) }
                        th { (t(l, Key::BackupSize)) }
                    } }
                    tbody {
                        @for m in v.chains.iter().rev() {
                            tr {
                                td { code { (m.chain) } }
                                td { (m.entries.len()) }
                                td { (m.last().map_or(0, |e| e.seq_to)) }
                                td { @if let Some(e) = m.last() { (time_ms(e.created_ms)) } }
                                td { (human_size(m.entries.iter().map(|e| e.size).sum())) }
                            }
                        }
                    }
                } }
            }
        }
        section.card {
            h2 { (t(l, Key::DrillReports)) }
            p.hint { (t(l, Key::DrillHint)) }
            @if v.drills.is_empty() {
                p.hint { (t(l, Key::DrillNone)) }
            } @else {
                div.table-wrap { table.tickets {
                    thead { tr {
                        th { (t(l, Key::Created)) }
                        th { (t(l, Key::Status)) }
                        th { (t(l, Key::DrillDuration)) }
                        th { (t(l, Key::DrillRpo)) }
                        th { (t(l, Key::Tickets)) }
                        th { (t(l, Key::BackupLastSeq)) }
                    } }
                    tbody {
                        @for d in &v.drills {
                            tr {
                                td { (time_rfc3339(&d.started)) }
                                td {
                                    @if d.ok { span.badge.status-open { (t(l, Key::DrillPassed)) } }
                                    @else { span.badge.status-closed { (t(l, Key::DrillFailed)) } }
                                }
                                td { (format!("{:.1} s", d.duration_ms as f64 / 1000.0)) }
                                td { (format!("{:.1} s", d.rpo_ms as f64 / 1000.0)) }
                                td { (d.tickets) }
                                td { (d.recovered_seq) }
                            }
                        }
                    }
                } }
            }
        }
        section.card {
            h2 { (t(l, Key::BackupSettingsTitle)) }
            form method="post" action="/admin/backup" {
                input type="hidden" name="csrf" value=(csrf);
                div.field {
                    label.block {
                        input type="checkbox" name="enabled" value="1" checked[s.enabled];
                        " " (t(l, Key::BackupEnabled))
                    }
                }
                div.field {
                    label for="target" { (t(l, Key::BackupTarget)) }
                    input #target type="text" name="target" value=(s.target) placeholder="/mnt/nas/trygg-backup";
                    p.hint { (t(l, Key::BackupTargetHint)) }
                }
                div.field {
                    label for="recipients" { (t(l, Key::BackupRecipients)) }
                    textarea #recipients name="recipients" rows="3" { (s.recipients.join("\n")) }
                    p.hint { (t(l, Key::BackupRecipientsHint)) }
                }
                div.field {
                    label for="passphrase" { (t(l, Key::BackupPassphrase)) " " span.optional { "(" (t(l, Key::Optional)) ")" } }
                    input #passphrase type="password" name="passphrase" autocomplete="new-password";
                    p.hint {
                        (t(l, Key::BackupPassphraseHint))
                        @if s.passphrase.is_some() { " " strong { (t(l, Key::BackupPassphraseSet)) } }
                    }
                }
                div.row {
                    div.field {
                        label for="full_every_days" { (t(l, Key::BackupFullEvery)) }
                        input #full_every_days type="number" min="0" max="3650" name="full_every_days" value=(s.full_every_days);
                    }
                    div.field {
                        label for="incremental_every_hours" { (t(l, Key::BackupIncrementalEvery)) }
                        input #incremental_every_hours type="number" min="0" max="8760" name="incremental_every_hours" value=(s.incremental_every_hours);
                    }
                }
                div.row {
                    div.field {
                        label for="ship_every_secs" { (t(l, Key::BackupShipEvery)) }
                        input #ship_every_secs type="number" min="0" max="86400" name="ship_every_secs" value=(s.ship_every_secs);
                    }
                    div.field {
                        label for="keep_chains" { (t(l, Key::BackupKeepChains)) }
                        input #keep_chains type="number" min="1" max="1000" name="keep_chains" value=(s.keep_chains);
                    }
                }
                div.actions { button type="submit" { (t(l, Key::BackupSave)) } }
            }
        }
    };
    layout::page(req, t(l, Key::BackupTitle), body)
}
