//! The rules in force, reloadable without a restart.
//!
//! The rules file is read again when it changes (checked every few
//! seconds) or when an operator asks (`Triage.ReloadRules`). New rules are
//! checked against the network first; if they are invalid (an unknown
//! department, region or category, two rules for one category and region,
//! bad TOML) the error is logged and returned, and the rules in force stay.
//! Each decision takes the rules in force when it starts.

use crate::rules::{Rules, RulesError};
use mesh_kit::network::Network;
use mesh_kit::Shutdown;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

#[derive(Clone)]
pub struct LiveRules {
    path: PathBuf,
    network: Arc<Network>,
    current: Arc<RwLock<Arc<Rules>>>,
    /// When the file was last read, to notice a change.
    read_at: Arc<Mutex<Option<SystemTime>>>,
}

fn modified(path: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl LiveRules {
    /// Loads the rules (start-up fails on invalid rules).
    pub fn load(path: PathBuf, network: Arc<Network>) -> Result<Self, RulesError> {
        let read_at = modified(&path);
        let rules = Rules::load(&path, &network)?;
        Ok(Self {
            path,
            network,
            current: Arc::new(RwLock::new(Arc::new(rules))),
            read_at: Arc::new(Mutex::new(read_at)),
        })
    }

    /// The rules in force.
    pub fn get(&self) -> Arc<Rules> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the file again; the new rules take over only if valid.
    pub fn reload(&self) -> Result<Arc<Rules>, RulesError> {
        let read_at = modified(&self.path);
        *self.read_at.lock().unwrap_or_else(PoisonError::into_inner) = read_at;
        let rules = Arc::new(Rules::load(&self.path, &self.network)?);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = rules.clone();
        tracing::info!(
            routes = rules.route_count(),
            categories = rules.categories.len(),
            "triage rules reloaded"
        );
        Ok(rules)
    }

    /// Reloads whenever the file changes, until shutdown.
    pub async fn watch(self, every: Duration, shutdown: Shutdown) {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(every) => {}
            }
            let seen = *self.read_at.lock().unwrap_or_else(PoisonError::into_inner);
            if modified(&self.path) != seen {
                if let Err(err) = self.reload() {
                    tracing::error!(error = %err, "new triage rules refused; the rules in force stay");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::{NETWORK, RULES};

    #[test]
    fn valid_rules_take_over_and_invalid_ones_do_not() {
        let dir = std::env::temp_dir().join(format!("live-rules-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("rules.toml");
        std::fs::write(&path, format!("{NETWORK}\n{RULES}")).expect("write");
        let network = Arc::new(Network::parse(NETWORK).expect("network"));
        let live = LiveRules::load(path.clone(), network).expect("loads");
        assert_eq!(
            live.get()
                .route("heating", "east")
                .map(|r| r.department.clone()),
            Some("east-heat".into())
        );

        let moved = RULES.replace("department = \"east-heat\"", "department = \"water\"");
        std::fs::write(&path, format!("{NETWORK}\n{moved}")).expect("write");
        live.reload().expect("valid rules reload");
        assert_eq!(
            live.get()
                .route("heating", "east")
                .map(|r| r.department.clone()),
            Some("water".into())
        );

        let broken = RULES.replace("department = \"east-heat\"", "department = \"ghost\"");
        std::fs::write(&path, format!("{NETWORK}\n{broken}")).expect("write");
        let err = live.reload().expect_err("an unknown department is refused");
        assert!(err.to_string().contains("ghost"), "{err}");
        assert_eq!(
            live.get()
                .route("heating", "east")
                .map(|r| r.department.clone()),
            Some("water".into()),
            "the rules in force stay"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
