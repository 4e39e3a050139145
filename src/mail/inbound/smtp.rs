//! SMTP listener (being written).

use std::sync::Arc;

use crate::app::App;
use crate::error::Result;

/// Accepts SMTP sessions on `listener` until the task is dropped.
pub async fn serve(_app: Arc<App>, _listener: tokio::net::TcpListener) -> Result<()> {
    std::future::pending::<()>().await;
    Ok(())
}
