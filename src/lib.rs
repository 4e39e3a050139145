//! trygg: a secure help desk in one binary. See DESIGN.md and docs/architecture.md.

pub mod app;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod bench;
pub mod cli;
pub mod config;
pub mod control;
pub mod error;
pub mod gdpr;
pub mod helpdesk;
pub mod mail;
pub mod store;
pub mod upgrade;
pub mod web;

/// Runs the server until SIGINT/SIGTERM: HTTPS, SMTP, control socket, outbound delivery.
/// Prints the one-time setup URL when setup has not been done.
pub async fn serve(cfg: config::BootConfig) -> error::Result<()> {
    let app = app::App::open(&cfg.data_dir, app::serve_clock())?; // login-security: test clock offset
    let tls = web::tls::load_or_generate(&cfg)?;
    // mail in: STARTTLS on the SMTP listener reuses the HTTPS certificate unless given its own
    let smtp_tls = mail::inbound::smtp::ListenerTls::new(
        cfg.smtp_tls,
        cfg.smtp_tls_cert.as_deref(),
        cfg.smtp_tls_key.as_deref(),
        &tls,
    )?;
    let http = tokio::net::TcpListener::bind(cfg.http).await.map_err(|e| {
        error::Error::unavailable(format!("cannot listen for HTTPS on {}: {e}", cfg.http))
    })?;
    let smtp = tokio::net::TcpListener::bind(cfg.smtp).await.map_err(|e| {
        error::Error::unavailable(format!("cannot listen for SMTP on {}: {e}", cfg.smtp))
    })?;
    let http_addr = http.local_addr()?;
    let smtp_addr = smtp.local_addr()?;
    if !helpdesk::settings::is_set_up(&app)? {
        let token = auth::session::random_token();
        if let Ok(mut t) = app.setup_token.lock() {
            *t = Some(token.clone());
        }
        let base = match &cfg.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("https://{http_addr}"),
        };
        println!("trygg is not set up yet. Open this one-time setup link in a browser:");
        println!("  {base}/setup?token={token}");
    }
    println!("trygg listening: https://{http_addr} (web), smtp://{smtp_addr} (mail)");
    tracing::info!(data = %cfg.data_dir.display(), "serving");

    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(web::serve(app.clone(), http, tls));
    tasks.spawn(mail::inbound::smtp::serve_with(app.clone(), smtp, smtp_tls));
    tasks.spawn(control::serve(app.clone()));
    tasks.spawn(mail::outbound::worker::run(app.clone()));
    // backup: the schedule (full, incremental, shipped segments)
    tasks.spawn(backup::shipping::run_schedule(app.clone()));
    tasks.spawn(mail::inbound::imap::run(app.clone())); // mail in: IMAP fetch
    tasks.spawn(gdpr::retention::run_schedule(app.clone())); // retention: the daily run

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let result = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = term.recv() => Ok(()),
        Some(r) = tasks.join_next() => match r {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Ok(()),
            Err(e) => Err(error::Error::internal(format!("task failed: {e}"))),
        },
    };
    tasks.abort_all();
    // backup: ship the last log segment before exiting
    {
        let a = app.clone();
        match tokio::task::spawn_blocking(move || backup::shipping::ship_at_shutdown(&a)).await {
            Ok(Err(e)) => tracing::error!("backup at shutdown failed: {e}"),
            Err(e) => tracing::error!("backup at shutdown failed: {e}"),
            Ok(Ok(())) => {}
        }
    }
    let _ = std::fs::remove_file(control::socket_path(&cfg.data_dir));
    tracing::info!("stopped");
    result
}
