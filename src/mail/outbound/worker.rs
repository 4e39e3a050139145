//! Outbound delivery worker (to be completed).

use std::sync::Arc;

use crate::app::App;
use crate::error::Result;

/// Delivers queued mail until the task is dropped.
pub async fn run(_app: Arc<App>) -> Result<()> {
    std::future::pending::<()>().await;
    Ok(())
}
