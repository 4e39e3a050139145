//! `trygg`: parse the command line, run, map errors to exit codes.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use trygg::app::{App, SystemClock};
use trygg::cli::{self, AuditCommand, Cli, Command, MailRulesCommand, TicketCommand};
use trygg::config::BootConfig;
use trygg::control::{self, Request};
use trygg::error::{Error, ErrorKind, Result};
use trygg::helpdesk::settings::{self, Relay, RelayTls, SetupInput};

fn main() -> ExitCode {
    // One crypto provider for every TLS user (rustls, mail-send); see README "Static build".
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TRYGG_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    if !matches!(cli.command, Command::Serve(_)) {
        // A command whose output goes into `head` ends quietly when the pipe closes, as
        // Unix tools do, instead of panicking on the write. (The server keeps Rust's
        // default of ignoring SIGPIPE: a closed socket is an error, not a reason to die.)
        // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(d) = &e.detail {
                tracing::debug!("{d}");
            }
            eprintln!("trygg: {}", one_line(&e));
            ExitCode::from(cli::exit_code(e.kind) as u8)
        }
    }
}

/// A command-line usage error as one line and exit code 2 (help and version print as
/// clap renders them, exit 0).
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind as K;
    if matches!(
        e.kind(),
        K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    // clap's message is a block: the error, indented details (e.g. the missing arguments),
    // a tip, then usage. Keep the error and its details, on one line.
    let text = e.to_string();
    let mut parts: Vec<&str> = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("Usage:") || l.starts_with("For more information") || l.starts_with("tip:")
        {
            break;
        }
        if !l.is_empty() {
            parts.push(l.trim_start_matches("error: "));
        }
    }
    let msg = if parts.is_empty() {
        "invalid command line".to_string()
    } else {
        parts.join(" ")
    };
    eprintln!("trygg: {msg} (see trygg --help)");
    ExitCode::from(2)
}

fn one_line(e: &Error) -> String {
    match (&e.kind, &e.detail) {
        (ErrorKind::Internal, Some(d)) => format!("{}: {d}", e.message),
        _ => e.message.clone(),
    }
    .replace('\n', " ")
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(a) => {
            let cfg = BootConfig {
                data_dir: a.data.data,
                http: a.http,
                smtp: a.smtp,
                tls_cert: a.tls_cert,
                tls_key: a.tls_key,
                public_url: a.public_url,
                // mail in
                smtp_tls: a.smtp_tls,
                smtp_tls_cert: a.smtp_tls_cert,
                smtp_tls_key: a.smtp_tls_key,
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(trygg::serve(cfg))
        }
        Command::Setup(a) => {
            let password = cli::read_secret_file("admin password", &a.admin_password_file)?;
            let relay = match &a.relay {
                None => None,
                Some(r) => {
                    let (host, port) = Relay::parse_addr(r)?;
                    let password = match &a.relay_password_file {
                        Some(p) => Some(cli::read_secret_file("relay password", p)?),
                        None => None,
                    };
                    Some(Relay {
                        host,
                        port,
                        tls: RelayTls::parse(&a.relay_tls)?,
                        username: a.relay_user.clone(),
                        password,
                    })
                }
            };
            // outbound: delivery mode, TLS, retry period, DKIM selector
            let outbound = settings::OutboundSettings {
                mode: settings::DeliveryMode::parse(&a.delivery)?,
                direct_tls: settings::DirectTls::parse(&a.direct_tls)?,
                retry_period_ms: settings::parse_period_ms(&a.retry_period)?,
                public_host: a.public_host.clone(),
            }
            .validated()?;
            let out_setup = settings::OutboundSetup {
                outbound: Some(outbound),
                dkim_selector: Some(a.dkim_selector.clone()),
            };
            let backup = trygg::backup::settings_from_setup(
                a.backup_target.as_deref().unwrap_or(""),
                a.backup_recipient.as_deref().unwrap_or(""),
            )?;
            let app = App::open(&a.data.data, Arc::new(SystemClock))?;
            settings::run_setup_with(
                &app,
                SetupInput {
                    org_name: a.org,
                    admin_email: a.admin_email,
                    admin_password: password,
                    mailboxes: a.mailboxes,
                    relay,
                },
                out_setup,
            )?;
            if let Some(b) = &backup {
                trygg::backup::save_settings(&app, b)?;
            }
            // access: the setup is recorded under the local operator.
            let op = control::local_actor(control::current_uid());
            trygg::audit::access::record(
                &app,
                trygg::audit::Event {
                    actor: op.id,
                    role: trygg::auth::roles::LOCAL_ADMIN.into(),
                    client: op.client,
                    action: "setup.complete".into(),
                    object: "settings".into(),
                    outcome: trygg::audit::Outcome::Ok,
                    detail: String::new(),
                },
            )?;
            if a.json {
                println!("{}", serde_json::json!({"ok": true, "data": a.data.data}));
            } else {
                println!("setup complete for {}", a.data.data.display());
            }
            Ok(())
        }
        // access
        Command::Audit(cmd) => run_audit(cmd),
        Command::Gdpr(cmd) => run_gdpr(cmd),
        Command::Security(cli::SecurityCommand::ResetNetwork { data }) => {
            let v = query(&data.data, Request::SecurityResetNetwork)?;
            println!("{}", v.as_str().unwrap_or_default());
            Ok(())
        }
        Command::Ticket(TicketCommand::List {
            data,
            status,
            limit,
            json,
        }) => {
            control::parse_status(status.as_deref())?;
            let v = query(&data.data, Request::TicketList { status, limit })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for t in v.as_array().into_iter().flatten() {
                    println!(
                        "{:<8} {:<7} {:<36} {}",
                        clean(&t["tag"]),
                        clean(&t["status"]),
                        clean(&t["customer"]),
                        clean(&t["subject"])
                    );
                }
            }
            Ok(())
        }
        // mail rules
        Command::MailRules(cmd) => run_mail_rules(cmd),
        Command::Ticket(TicketCommand::MailInfo { number, data }) => {
            let v = query(&data.data, Request::TicketMailInfo { number })?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        Command::Ticket(TicketCommand::Merge { number, into, data }) => {
            let v = query(&data.data, Request::TicketMerge { from: number, into })?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(())
        }
        // backup
        Command::Backup(cmd) => trygg::backup::cli::run_backup(cmd),
        Command::Restore(a) => trygg::backup::cli::run_restore(a),
        Command::Bench(cmd) => trygg::bench::run(cmd),
        Command::Ticket(TicketCommand::Show { number, data, json }) => {
            let v = query(&data.data, Request::TicketShow { number })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "{} {} ({}, {})",
                    clean(&v["tag"]),
                    clean(&v["subject"]),
                    clean(&v["status"]),
                    clean(&v["customer"])
                );
                for a in v["articles"].as_array().into_iter().flatten() {
                    println!(
                        "\n--- {} {} {}\n{}",
                        clean(&a["direction"]),
                        clean(&a["created"]),
                        clean(&a["from"]),
                        clean(&a["text"])
                    );
                    for f in a["attachments"].as_array().into_iter().flatten() {
                        println!(
                            "[attachment] {} ({}, {} bytes)",
                            clean(&f["filename"]),
                            clean(&f["content_type"]),
                            f["size"]
                        );
                    }
                }
            }
            Ok(())
        }
    }
}

// mail rules
fn run_mail_rules(cmd: MailRulesCommand) -> Result<()> {
    let v = match cmd {
        MailRulesCommand::Show { data } => query(&data.data, Request::MailRulesShow)?,
        MailRulesCommand::Set {
            data,
            autoack,
            lang,
            max_auto_per_day,
            new_ticket_after_days,
            agent_forward,
        } => query(
            &data.data,
            Request::MailRulesSet {
                patch: trygg::helpdesk::autoreply::MailRulesPatch {
                    autoack,
                    autoack_lang: lang,
                    max_auto_per_day,
                    new_ticket_after_days,
                    agent_forward,
                },
            },
        )?,
    };
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

// access
fn run_audit(cmd: AuditCommand) -> Result<()> {
    match cmd {
        AuditCommand::Verify { data, json } => {
            let v = query(&data.data, Request::AuditVerify)?;
            let report: trygg::audit::VerifyReport = serde_json::from_value(v)
                .map_err(|e| Error::internal(format!("bad verify answer: {e}")))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            match &report.first_broken {
                None => {
                    if !json {
                        println!(
                            "audit chain ok: {} records, head {}",
                            report.records,
                            report.head_hash.as_deref().unwrap_or("-")
                        );
                    }
                    Ok(())
                }
                Some(b) => Err(Error::conflict(format!(
                    "audit chain broken at record {}: {}",
                    b.seq, b.reason
                ))),
            }
        }
        AuditCommand::Export {
            data,
            since,
            format,
        } => {
            let since_ms = trygg::audit::parse_since(&since)?;
            let format = trygg::audit::Format::parse(&format)?;
            let v = query(&data.data, Request::AuditExport { since_ms, format })?;
            let text = v.as_str().unwrap_or("");
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            Ok(())
        }
    }
}

/// `trygg gdpr …`: data-subject requests through the server (or the store).
fn run_gdpr(cmd: cli::GdprCommand) -> Result<()> {
    let spec = |a: cli::SubjectArgs| trygg::gdpr::SubjectSpec {
        email: a.email,
        phone: a.phone,
        national_id: a.national_id,
    };
    match cmd {
        cli::GdprCommand::Export {
            data,
            subject,
            out,
            json,
        } => {
            // The server writes the file: give it an absolute path.
            let out = if out.is_absolute() {
                out
            } else {
                std::env::current_dir()?.join(out)
            };
            let v = query(
                &data.data,
                Request::GdprExport {
                    subject: spec(subject),
                    out: out.display().to_string(),
                },
            )?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let n = |k: &str, one: &str, many: &str| {
                    trygg::gdpr::count(v[k].as_u64().unwrap_or(0) as usize, one, many)
                };
                println!(
                    "{}: {}, {}, {}, {}, {} ({} bytes)",
                    out.display(),
                    n("tickets", "ticket", "tickets"),
                    n("articles", "article", "articles"),
                    n("attachments", "attachment", "attachments"),
                    n("contacts", "contact record", "contact records"),
                    n("consents", "consent", "consents"),
                    v["bytes"]
                );
            }
            Ok(())
        }
        cli::GdprCommand::Erase {
            data,
            subject,
            yes,
            json,
        } => {
            let subject = spec(subject);
            if !yes {
                let plan = query(&data.data, Request::GdprErasePreview { subject })?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&plan)?);
                } else {
                    println!(
                        "would delete tickets {}, redact tickets {} ({} articles), remove {} contact records and {} consents",
                        plan["delete_tickets"],
                        plan["redact_tickets"],
                        plan["articles_redacted"],
                        plan["contacts"],
                        plan["consents"]
                    );
                }
                // contacts: a legal hold blocks the erasure (Art. 17(3)(e)).
                let holds: Vec<String> = plan["holds"]
                    .as_array()
                    .map(|a| a.iter().map(clean).collect())
                    .unwrap_or_default();
                if !holds.is_empty() {
                    if !json {
                        for h in &holds {
                            println!("legal hold: {h}");
                        }
                    }
                    return Err(Error::conflict(
                        "nothing can be erased while a legal hold applies (GDPR Art. 17(3)(e))",
                    ));
                }
                return Err(Error::invalid(
                    "nothing erased: review the preview above, then run again with --yes",
                ));
            }
            let v = query(&data.data, Request::GdprErase { subject })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "erased: tickets {} deleted, tickets {} redacted",
                    v["plan"]["delete_tickets"], v["plan"]["redact_tickets"]
                );
            }
            Ok(())
        }
        // contacts
        cli::GdprCommand::Rectify {
            data,
            email,
            name,
            phone,
            organisation,
            json,
        } => {
            let fields = trygg::gdpr::contacts::Rectification {
                name,
                phone,
                organisation,
            };
            let v = query(&data.data, Request::GdprRectify { email, fields })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let changed: Vec<String> = v["changed"]
                    .as_array()
                    .map(|a| a.iter().map(clean).collect())
                    .unwrap_or_default();
                if changed.is_empty() {
                    println!("nothing changed");
                } else {
                    println!("rectified: {}", changed.join(", "));
                }
            }
            Ok(())
        }
        // records
        cli::GdprCommand::Records {
            data,
            json,
            markdown: _,
        } => {
            let v = query(&data.data, Request::GdprRecords { markdown: !json })?;
            match v.as_str() {
                Some(text) => print!("{text}"),
                None => println!("{}", serde_json::to_string_pretty(&v)?),
            }
            Ok(())
        }
        // retention
        cli::GdprCommand::Hold(h) => run_hold(h),
        cli::GdprCommand::Retention(r) => run_retention(r),
    }
}

// retention
/// `trygg gdpr hold ticket|contact …`.
fn run_hold(cmd: cli::HoldCommand) -> Result<()> {
    let (data, req, what, hold) = match cmd {
        cli::HoldCommand::Ticket { number, hold, data } => (
            data,
            Request::GdprHoldTicket {
                number,
                reason: hold.reason.clone(),
            },
            format!("ticket {number}"),
            hold,
        ),
        cli::HoldCommand::Contact {
            address,
            hold,
            data,
        } => (
            data,
            Request::GdprHoldContact {
                address: address.clone(),
                reason: hold.reason.clone(),
            },
            format!("contact {address}"),
            hold,
        ),
    };
    let v = query(&data.data, req)?;
    if hold.json {
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if hold.lift {
        println!("legal hold lifted: {what}");
    } else {
        println!("legal hold placed: {what}");
    }
    Ok(())
}

// retention
/// `trygg gdpr retention preview|run`.
fn run_retention(cmd: cli::RetentionCommand) -> Result<()> {
    match cmd {
        cli::RetentionCommand::Preview { data, json } => {
            let v = query(&data.data, Request::GdprRetentionPreview)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            println!(
                "would anonymise {}, delete {}; {} held",
                v["anonymise"], v["delete"], v["held"]
            );
            for i in v["items"].as_array().into_iter().flatten() {
                println!(
                    "{:<8} {:<10} {:<14} {:<13} {}",
                    i["number"],
                    clean(&i["action"]),
                    clean(&i["queue"]),
                    clean(&i["classification"]).to_lowercase(),
                    trygg::helpdesk::tickets::rfc3339(i["closed_ms"].as_i64().unwrap_or(0))
                );
            }
            Ok(())
        }
        cli::RetentionCommand::Run { data, json } => {
            // A run over a large store may take longer than the usual answer time.
            let req = Request::GdprRetentionRun;
            let v = match control::call_with_timeout(
                &data.data,
                &req,
                std::time::Duration::from_secs(3600),
            )? {
                Some(v) => v,
                None => query(&data.data, req)?,
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!(
                    "retention run: {} anonymised, {} deleted, {} held, {} failed, {} contacts removed ({} ms)",
                    v["anonymised"],
                    v["deleted"],
                    v["held"],
                    v["failed"],
                    v["contacts_removed"],
                    v["duration_ms"]
                );
            }
            Ok(())
        }
    }
}

/// Asks the running server over the control socket, or opens the store when none runs.
fn query(data: &std::path::Path, req: Request) -> Result<serde_json::Value> {
    if let Some(v) = control::call(data, &req)? {
        return Ok(v);
    }
    if !data.join(trygg::app::STORE_FILE).exists() {
        return Err(Error::not_found(format!(
            "no trygg data in {} (run trygg setup or trygg serve first)",
            data.display()
        )));
    }
    let app = App::open(data, Arc::new(SystemClock))?;
    control::execute(&app, &control::local_actor(control::current_uid()), &req)
}

/// A JSON string value for a terminal: control characters (C0 and C1, except newline and
/// tab) from mail content are replaced, so a customer cannot send terminal escapes.
fn clean(v: &serde_json::Value) -> String {
    v.as_str()
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}
