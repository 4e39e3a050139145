//! The command tree. Subcommands and flags are relied on by scripts: keep them stable.
//!
//! Exit codes: 0 success; 1 internal error or unavailable (e.g. store busy); 2 invalid input
//! or usage; 3 not found; 4 conflict (e.g. already set up); 5 forbidden.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config;
use crate::error::{Error, ErrorKind};

/// trygg: a secure help desk in one binary.
#[derive(Debug, Parser)]
#[command(name = "trygg", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the help desk: HTTPS web UI, SMTP listener, outbound delivery.
    Serve(ServeArgs),
    /// Finish first-run setup without a browser (for install scripts).
    Setup(SetupArgs),
    /// Tickets.
    #[command(subcommand)]
    Ticket(TicketCommand),
    // mail rules
    /// Mail rules: auto-acknowledgement, reopening, agent forwards.
    #[command(subcommand)]
    MailRules(MailRulesCommand),
    // backup
    /// Encrypted backups: keygen, configure, run, verify, drill.
    #[command(subcommand)]
    Backup(crate::backup::cli::BackupCommand),
    /// Rebuild a data directory from backups (see docs/backup-and-restore.md).
    Restore(crate::backup::cli::RestoreArgs),
    /// Benchmarks (release builds).
    #[command(subcommand, hide = true)]
    Bench(crate::bench::BenchCommand),
    // access
    /// The audit trail: verify its hash chain, export it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Sign-in security recovery (for the local operator).
    #[command(subcommand)]
    Security(SecurityCommand),
    /// Data-subject requests (GDPR Art. 15, 17, 20).
    #[command(subcommand)]
    Gdpr(GdprCommand),
}

/// Who a data-subject request concerns: exactly one of the three.
#[derive(Debug, Args, Clone)]
pub struct SubjectArgs {
    /// The person's e-mail address.
    #[arg(long)]
    pub email: Option<String>,
    /// The person's phone number (matched on its last eight digits).
    #[arg(long)]
    pub phone: Option<String>,
    /// The person's Danish CPR number or Swedish personnummer/samordningsnummer.
    #[arg(long)]
    pub national_id: Option<String>,
}

/// `trygg gdpr …`
#[derive(Debug, Subcommand)]
pub enum GdprCommand {
    /// Everything about a person as a ZIP: data.json (Art. 20), summary.txt (Art. 15), the
    /// attachments and original mails. Audited.
    Export {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        subject: SubjectArgs,
        /// The archive to write (not overwritten).
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Erase a person (Art. 17): without --yes, print what would be deleted and redacted
    /// and change nothing; with --yes, erase. Audited.
    Erase {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        subject: SubjectArgs,
        /// Erase now (after reviewing the preview).
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    // contacts
    /// Correct a contact's name, phone or organisation (Art. 16); an empty value clears
    /// it. Audited with the names of the changed fields, not their values.
    Rectify {
        #[command(flatten)]
        data: DataArg,
        /// The contact's e-mail address.
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        organisation: Option<String>,
        #[arg(long)]
        json: bool,
    },
    // records
    /// Print the record of processing activities (Art. 30) generated from the settings:
    /// Markdown by default (a DPA annex), or JSON. Audited as `records.export`.
    Records {
        #[command(flatten)]
        data: DataArg,
        /// JSON output.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Markdown output (the default).
        #[arg(long)]
        markdown: bool,
    },
    // retention
    /// Legal holds (Art. 17(3)(e)): suspend retention for a ticket or a contact. Audited.
    #[command(subcommand)]
    Hold(HoldCommand),
    /// Retention rules (Art. 5(1)(e)): preview or run the next retention run.
    #[command(subcommand)]
    Retention(RetentionCommand),
}

// retention
/// `trygg gdpr hold …`
#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Place (--reason) or lift (--lift) the legal hold on ticket N.
    Ticket {
        number: u64,
        #[command(flatten)]
        hold: HoldArgs,
        #[command(flatten)]
        data: DataArg,
    },
    /// Place (--reason) or lift (--lift) the legal hold on the contact with this address.
    Contact {
        address: String,
        #[command(flatten)]
        hold: HoldArgs,
        #[command(flatten)]
        data: DataArg,
    },
}

/// `--reason R` or `--lift`, exactly one.
#[derive(Debug, Args, Clone)]
pub struct HoldArgs {
    /// Why the data must be kept (at most 500 characters).
    #[arg(long, required_unless_present = "lift", conflicts_with = "lift")]
    pub reason: Option<String>,
    /// Lift the hold.
    #[arg(long)]
    pub lift: bool,
    #[arg(long)]
    pub json: bool,
}

/// `trygg gdpr retention …`
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// What the next run would anonymise or delete (counts and tickets); changes nothing.
    Preview {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        json: bool,
    },
    /// Apply the retention rules now (audited as gdpr.retention.run).
    Run {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        json: bool,
    },
}

/// `trygg security …`
#[derive(Debug, Subcommand)]
pub enum SecurityCommand {
    /// Empties the network allow-lists and the trusted proxies, for when a policy change
    /// locked every administrator out (audited as the local operator).
    ResetNetwork {
        #[command(flatten)]
        data: DataArg,
    },
}

// mail rules
/// `trygg mail-rules …`
#[derive(Debug, Subcommand)]
pub enum MailRulesCommand {
    /// Print the mail rules as JSON.
    Show {
        #[command(flatten)]
        data: DataArg,
    },
    /// Change mail rules; prints the result as JSON.
    Set {
        #[command(flatten)]
        data: DataArg,
        /// Acknowledge new tickets automatically: on or off.
        #[arg(long, value_parser = parse_on_off)]
        autoack: Option<bool>,
        /// Template language of the acknowledgement: en, sv or da.
        #[arg(long)]
        lang: Option<String>,
        /// Most automatic mails to one address per day.
        #[arg(long)]
        max_auto_per_day: Option<u32>,
        /// Replies to tickets closed longer than this many days open a new ticket (0: reopen).
        #[arg(long)]
        new_ticket_after_days: Option<u32>,
        /// Agents' forwards open tickets for the original sender: on or off.
        #[arg(long, value_parser = parse_on_off)]
        agent_forward: Option<bool>,
    },
}

/// `on`/`off` (also true/false, yes/no).
pub fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(format!("expected on or off, not {s:?}")),
    }
}

/// `--data DIR` shared by every command.
#[derive(Debug, Args, Clone)]
pub struct DataArg {
    /// Data directory.
    #[arg(long = "data", env = "TRYGG_DATA", default_value = config::DEFAULT_DATA)]
    pub data: PathBuf,
}

/// Flags of `trygg serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// HTTPS listen address.
    #[arg(long, env = "TRYGG_HTTP", default_value = config::DEFAULT_HTTP)]
    pub http: SocketAddr,
    /// SMTP listen address.
    #[arg(long, env = "TRYGG_SMTP", default_value = config::DEFAULT_SMTP)]
    pub smtp: SocketAddr,
    /// PEM certificate chain for HTTPS (default: generated into DATA/tls/).
    #[arg(long, env = "TRYGG_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "TRYGG_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Base URL people use to reach the web UI (for printed links).
    #[arg(long, env = "TRYGG_PUBLIC_URL")]
    pub public_url: Option<String>,
    // mail in (SMTP listener TLS)
    /// STARTTLS on the SMTP listener: off, optional (offered) or forced (no MAIL before it).
    #[arg(long, env = "TRYGG_SMTP_TLS", default_value = "optional")]
    pub smtp_tls: crate::mail::inbound::smtp::TlsPolicy,
    /// PEM certificate chain for SMTP STARTTLS (default: the HTTPS certificate).
    #[arg(long, env = "TRYGG_SMTP_TLS_CERT", requires = "smtp_tls_key")]
    pub smtp_tls_cert: Option<PathBuf>,
    /// PEM private key for --smtp-tls-cert.
    #[arg(long, env = "TRYGG_SMTP_TLS_KEY", requires = "smtp_tls_cert")]
    pub smtp_tls_key: Option<PathBuf>,
}

/// Flags of `trygg setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Organisation name.
    #[arg(long)]
    pub org: String,
    /// First administrator's e-mail address (the login name).
    #[arg(long)]
    pub admin_email: String,
    /// File holding the administrator's password (first line). Use - for standard input.
    #[arg(long)]
    pub admin_password_file: PathBuf,
    /// Support mailbox address; repeat for several.
    #[arg(long = "mailbox", required = true)]
    pub mailboxes: Vec<String>,
    /// Outbound smarthost, HOST:PORT.
    #[arg(long)]
    pub relay: Option<String>,
    /// TLS towards the smarthost: none, opportunistic (STARTTLS if offered) or required.
    #[arg(long, default_value = "required")]
    pub relay_tls: String,
    /// User name for SMTP AUTH at the smarthost.
    #[arg(long, requires = "relay_password_file")]
    pub relay_user: Option<String>,
    /// File holding the smarthost password (first line).
    #[arg(long, requires = "relay_user")]
    pub relay_password_file: Option<PathBuf>,
    // outbound
    /// How mail goes out: relay (through --relay) or direct (MX lookup of each recipient
    /// domain).
    #[arg(long, default_value = "relay")]
    pub delivery: String,
    /// TLS in direct delivery: opportunistic (STARTTLS when offered) or required
    /// (STARTTLS with a verified certificate, else the mail waits).
    #[arg(long, default_value = "opportunistic")]
    pub direct_tls: String,
    /// This server's public host name (EHLO in direct delivery, SPF advice).
    #[arg(long)]
    pub public_host: Option<String>,
    /// DKIM selector base: keys are published as SELECTOR-rsa and SELECTOR-ed25519.
    #[arg(long, default_value = "trygg")]
    pub dkim_selector: String,
    /// How long temporary delivery failures are retried: a number with s, m, h or d
    /// (e.g. 5d, 36h).
    #[arg(long, default_value = "5d")]
    pub retry_period: String,
    // backup: optional first configuration (both or neither)
    /// Backup directory (absolute; created 0700 when missing), e.g. a mounted NAS.
    #[arg(long, requires = "backup_recipient")]
    pub backup_target: Option<String>,
    /// age public key (`age1…`, from `trygg backup keygen` on another machine) the backups
    /// are encrypted to.
    #[arg(long, requires = "backup_target")]
    pub backup_recipient: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `trygg ticket …`
#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// List tickets, newest first.
    List {
        #[command(flatten)]
        data: DataArg,
        /// open, closed or all.
        #[arg(long)]
        status: Option<String>,
        /// At most this many tickets.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// JSON output: an array of tickets.
        #[arg(long)]
        json: bool,
    },
    /// Show one ticket with its articles.
    Show {
        /// Ticket number.
        number: u64,
        #[command(flatten)]
        data: DataArg,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    // mail rules
    /// Links and mail facts (mailboxes reached) of a ticket, as JSON.
    MailInfo {
        /// Ticket number.
        number: u64,
        #[command(flatten)]
        data: DataArg,
    },
    /// Move every article of a ticket into another one (recorded on both).
    Merge {
        /// The ticket to merge away.
        number: u64,
        /// The ticket that receives the articles.
        #[arg(long)]
        into: u64,
        #[command(flatten)]
        data: DataArg,
    },
}

// access
/// `trygg audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; names the first broken record and exits 4 if the
    /// chain is broken.
    Verify {
        #[command(flatten)]
        data: DataArg,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Print audit records from a date on (the yearly audit), oldest first. The export is
    /// itself recorded (action `audit.export`, actor `cli:<unix user>`).
    Export {
        #[command(flatten)]
        data: DataArg,
        /// First day (YYYY-MM-DD, UTC) or an RFC 3339 time.
        #[arg(long)]
        since: String,
        /// json or csv.
        #[arg(long, default_value = "json")]
        format: String,
    },
}

/// The process exit code for an error of `kind` (see the module doc).
pub fn exit_code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::Internal | ErrorKind::Unavailable => 1,
        ErrorKind::Invalid => 2,
        ErrorKind::NotFound => 3,
        ErrorKind::Conflict => 4,
        ErrorKind::Forbidden => 5,
    }
}

/// Reads the first line of `path` (or of standard input for `-`) as a secret.
pub fn read_secret_file(what: &str, path: &std::path::Path) -> Result<String, Error> {
    let text = if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_line(&mut s)
            .map_err(|e| Error::invalid(format!("{what}: cannot read standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Error::invalid(format!("{what}: cannot read {}: {e}", path.display())))?
    };
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(Error::invalid(format!("{what}: the file is empty")));
    }
    Ok(line)
}
