//! The HTTPS certificate: the admin's files when configured, else a self-signed certificate
//! generated once with rcgen into `DATA/tls/` (key file mode 0600).

use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::app::{create_private_dir, write_atomic};
use crate::config::BootConfig;
use crate::error::{Error, Result};

/// Loads the configured certificate, or the generated one (creating it on first start).
/// Errors: `Invalid` naming the file when a PEM file is unreadable or does not match.
pub fn load_or_generate(cfg: &BootConfig) -> Result<Arc<ServerConfig>> {
    let (cert_path, key_path) = match (&cfg.tls_cert, &cfg.tls_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        _ => {
            let dir = cfg.data_dir.join("tls");
            create_private_dir(&dir)?;
            let c = dir.join("cert.pem");
            let k = dir.join("key.pem");
            if !c.exists() || !k.exists() {
                let mut names = vec!["localhost".to_string()];
                let ip = cfg.http.ip();
                if !ip.is_unspecified() {
                    names.push(ip.to_string());
                } else {
                    names.push("127.0.0.1".into());
                }
                let ck = rcgen::generate_simple_self_signed(names)
                    .map_err(|e| Error::internal(format!("generating certificate: {e}")))?;
                write_atomic(&k, ck.signing_key.serialize_pem().as_bytes(), 0o600)?;
                write_atomic(&c, ck.cert.pem().as_bytes(), 0o644)?;
                tracing::info!(
                    "generated a self-signed HTTPS certificate in {}",
                    dir.display()
                );
            }
            (c, k)
        }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::invalid(format!("TLS certificate {}: {e}", cert_path.display())))?;
    if certs.is_empty() {
        return Err(Error::invalid(format!(
            "TLS certificate {}: no certificate in the file",
            cert_path.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .map_err(|e| Error::invalid(format!("TLS key {}: {e}", key_path.display())))?;
    let mut sc = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::invalid(format!("TLS certificate and key do not match: {e}")))?;
    sc.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(sc))
}
