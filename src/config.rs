//! Bootstrap configuration: only what is needed before the store opens (data directory,
//! listen addresses, TLS files). Command-line flags win over `TRYGG_*` environment variables,
//! which win over the defaults. Everything else lives in the store.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA: &str = "./trygg-data";
/// Default HTTPS listener.
pub const DEFAULT_HTTP: &str = "127.0.0.1:8443";
/// Default SMTP listener.
pub const DEFAULT_SMTP: &str = "127.0.0.1:2525";

/// Resolved boot configuration of `trygg serve`.
#[derive(Debug, Clone)]
pub struct BootConfig {
    pub data_dir: PathBuf,
    /// HTTPS listen address.
    pub http: SocketAddr,
    /// SMTP listen address.
    pub smtp: SocketAddr,
    /// PEM certificate chain for HTTPS; generated into `DATA/tls/` when not given.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Public base URL used in printed links (default `https://<http addr>`).
    pub public_url: Option<String>,
    // mail in (SMTP listener TLS)
    /// STARTTLS policy of the SMTP listener (RFC 3207): off, optional (default) or forced.
    pub smtp_tls: crate::mail::inbound::smtp::TlsPolicy,
    /// PEM certificate chain for SMTP STARTTLS; the HTTPS certificate when not given.
    pub smtp_tls_cert: Option<PathBuf>,
    /// PEM private key for `smtp_tls_cert`.
    pub smtp_tls_key: Option<PathBuf>,
}

impl BootConfig {
    /// The base URL people use to reach the web UI.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("https://{}", self.http),
        }
    }
}
