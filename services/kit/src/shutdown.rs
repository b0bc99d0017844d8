//! One shutdown signal fanned out to every task: SIGINT or SIGTERM cancels
//! the token; every loop `select!`s on [`Shutdown::cancelled`] and finishes
//! its in-flight work before returning.

use tokio_util::sync::CancellationToken;

/// A cloneable handle on the process-wide shutdown signal.
#[derive(Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every task to stop.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Resolves once shutdown has been asked for.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }

    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Triggers shutdown on SIGINT or SIGTERM. Spawn once in `main`.
    pub async fn on_signal(self) {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(term) => term,
                    Err(err) => {
                        tracing::error!(error = %err, "cannot listen for sigterm");
                        let _ = ctrl_c.await;
                        self.trigger();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
                _ = self.cancelled() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("shutdown requested");
        self.trigger();
    }
}
