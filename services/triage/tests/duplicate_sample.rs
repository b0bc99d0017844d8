//! Precision and recall of the duplicate detector, with the shipped
//! settings, on two labelled samples (true duplicates, near-misses,
//! distinct cases):
//! - `tests/data/duplicates.toml`, which the weights were chosen on;
//! - `tests/data/duplicates-holdout.toml`, written blind: by someone who saw
//!   neither the detector nor the first sample;
//! - `tests/data/duplicates-blind2.toml`, a second blind sample, written
//!   later the same way, after the detector was last changed.
//!
//! Run with `--nocapture` to see the figures and every miss:
//! `cargo test -p mesh-triage --test duplicate_sample -- --nocapture`.
//!
//! The goal is 0.9 for both (issue 6). The tuning sample meets it; the
//! blind one does not yet (docs/triage.md), so its floors are what the
//! detector measures now, and a change can only make it better.

use mesh_kit::network::Network;
use mesh_triage::duplicates::{compare, is_duplicate, DuplicateSettings, Matter};
use mesh_triage::rules::Rules;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Sample {
    pairs: Vec<Pair>,
}

#[derive(Deserialize)]
struct Pair {
    id: u32,
    label: String,
    note: String,
    a: Matter,
    b: Matter,
}

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn shipped_settings() -> DuplicateSettings {
    let network_file = repo("deploy/network/sample-city.toml");
    let network = Network::load(&network_file).expect("network");
    Rules::load(&network_file, &network)
        .expect("rules")
        .duplicates
}

/// Precision and recall on one sample, printing the confusion and misses.
fn measure(file: &str, settings: &DuplicateSettings) -> (f64, f64, usize) {
    let text = std::fs::read_to_string(repo(file)).expect("the labelled sample");
    let sample: Sample = toml::from_str(&text).expect("the sample parses");
    let (mut tp, mut fp, mut fn_, mut tn) = (0u32, 0u32, 0u32, 0u32);
    let mut by_label = std::collections::BTreeMap::<String, (u32, u32)>::new();
    println!("{file}:");
    for p in &sample.pairs {
        let truth = p.label == "duplicate";
        let said = is_duplicate(&p.a, &p.b, settings);
        let e = by_label.entry(p.label.clone()).or_default();
        e.0 += 1;
        if said == truth {
            e.1 += 1;
        }
        match (truth, said) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => tn += 1,
        }
        if said != truth {
            let c = compare(&p.a, &p.b);
            println!(
                "  miss #{} ({}): score {:.2} (text {:.2}, follow-up {}), conflicts: address {} problem {} — {}",
                p.id,
                p.label,
                c.score(settings),
                c.text,
                c.follow_up,
                c.address_conflict,
                c.problem_conflict,
                p.note
            );
        }
    }
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fn_).max(1));
    println!(
        "  pairs {} (label: (pairs, right)): {by_label:?}",
        sample.pairs.len()
    );
    println!(
        "  true positives {tp}, false positives {fp}, false negatives {fn_}, true negatives {tn}"
    );
    println!("  precision {precision:.3}, recall {recall:.3}");
    (precision, recall, sample.pairs.len())
}

#[test]
fn the_tuning_sample_meets_the_goal() {
    let (precision, recall, pairs) = measure("tests/data/duplicates.toml", &shipped_settings());
    assert!(pairs >= 100, "a sample of a useful size");
    // Measured 2026-11-22: precision 0.983, recall 0.950.
    assert!(precision >= 0.9, "precision fell to {precision:.3}");
    assert!(recall >= 0.9, "recall fell to {recall:.3}");
}

#[test]
fn the_blind_sample_keeps_its_measured_level() {
    let (precision, recall, pairs) =
        measure("tests/data/duplicates-holdout.toml", &shipped_settings());
    assert!(pairs >= 100, "a sample of a useful size");
    // Measured 2026-11-22: precision 0.882, recall 0.300 — short of the goal.
    assert!(precision >= 0.88, "precision fell to {precision:.3}");
    assert!(recall >= 0.30, "recall fell to {recall:.3}");
}

#[test]
fn the_second_blind_sample_keeps_its_measured_level() {
    let (precision, recall, pairs) =
        measure("tests/data/duplicates-blind2.toml", &shipped_settings());
    assert!(pairs >= 100, "a sample of a useful size");
    // Measured 2026-11-22: precision 1.000, recall 0.300 — short of the goal.
    assert!(precision >= 1.0, "precision fell to {precision:.3}");
    assert!(recall >= 0.30, "recall fell to {recall:.3}");
}
