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

/// A service's long-running tasks (gRPC server, relay, consumers). The first
/// task to fail triggers shutdown for the others; [`Tasks::join`] waits for
/// all of them.
#[derive(Default)]
pub struct Tasks {
    set: tokio::task::JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Tasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `task` under `name` (for logs).
    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.set.spawn(async move { (name, task.await) });
    }

    /// Waits for every task; returns the first error. A task that fails or
    /// panics triggers `shutdown` so the others stop too.
    pub async fn join(mut self, shutdown: &Shutdown) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(joined) = self.set.join_next().await {
            let failure = match joined {
                Ok((name, Ok(()))) => {
                    tracing::debug!(task = name, "task finished");
                    None
                }
                Ok((name, Err(err))) => Some(err.context(format!("task {name} failed"))),
                Err(err) => Some(anyhow::anyhow!("task panicked: {err}")),
            };
            if let Some(err) = failure {
                tracing::error!(error = %format!("{err:#}"), "stopping the service");
                shutdown.trigger();
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
