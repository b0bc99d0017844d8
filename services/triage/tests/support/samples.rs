//! The labelled samples of the duplicate detector (`tests/data/duplicates*.toml`)
//! and the settings they are measured with, shared by the sample test
//! (`tests/duplicate_sample.rs`) and the dev example
//! (`examples/duplicates.rs`), which include this file by path.

use mesh_kit::network::Network;
use mesh_triage::duplicates::{DuplicateSettings, Matter};
use mesh_triage::rules::Rules;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A labelled sample: pairs of an earlier (`a`) and a later (`b`)
/// complaint of one complainant.
#[derive(Deserialize)]
pub struct Sample {
    pub pairs: Vec<Pair>,
}

#[derive(Deserialize)]
pub struct Pair {
    pub id: u32,
    /// duplicate, near_miss or distinct.
    pub label: String,
    /// Why the label, in the writer's words.
    pub note: String,
    pub a: Matter,
    pub b: Matter,
}

impl Pair {
    /// Whether the pair is labelled the same matter.
    pub fn is_duplicate(&self) -> bool {
        self.label == "duplicate"
    }
}

/// Reads a sample file.
pub fn load(path: &Path) -> anyhow::Result<Sample> {
    let text = std::fs::read_to_string(path)?;
    Ok(toml::from_str(&text)?)
}

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The detector's settings as shipped with the sample network.
pub fn shipped_settings() -> anyhow::Result<DuplicateSettings> {
    let network_file = repo("deploy/network/sample-city.toml");
    let network = Network::load(&network_file)?;
    Ok(Rules::load(&network_file, &network)?.duplicates)
}
