//! Precision and recall of the duplicate detector on the labelled sample
//! `tests/data/duplicates.toml` (true duplicates, near-misses, distinct
//! cases), with the shipped settings. Run with `--nocapture` to see the
//! figures and every miss:
//! `cargo test -p mesh-triage --test duplicate_sample -- --nocapture`.
//!
//! The goal is 0.9 for both (issue 6); the detector is not there yet
//! (docs/triage.md). The floors below are what it measures now, so that a
//! change can only make it better.

use mesh_kit::network::Network;
use mesh_triage::duplicates::{compare, is_duplicate, Matter};
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

#[test]
fn the_detector_keeps_its_measured_precision_and_recall() {
    let network_file = repo("deploy/network/sample-city.toml");
    let network = Network::load(&network_file).expect("network");
    let settings = Rules::load(&network_file, &network)
        .expect("rules")
        .duplicates;
    let text =
        std::fs::read_to_string(repo("tests/data/duplicates.toml")).expect("the labelled sample");
    let sample: Sample = toml::from_str(&text).expect("the sample parses");
    let (mut tp, mut fp, mut fn_, mut tn) = (0u32, 0u32, 0u32, 0u32);
    let mut by_label = std::collections::BTreeMap::<String, (u32, u32)>::new();
    for p in &sample.pairs {
        let truth = p.label == "duplicate";
        let said = is_duplicate(&p.a, &p.b, &settings);
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
                "miss #{} ({}): text {:.2}, conflicts: address {} place {} problem {} — {}",
                p.id,
                p.label,
                c.text,
                c.address_conflict,
                c.place_conflict,
                c.problem_conflict,
                p.note
            );
        }
    }
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fn_).max(1));
    println!("pairs {}: {by_label:?}", sample.pairs.len());
    println!(
        "true positives {tp}, false positives {fp}, false negatives {fn_}, true negatives {tn}"
    );
    println!("precision {precision:.3}, recall {recall:.3}");
    assert!(sample.pairs.len() >= 100, "a sample of a useful size");
    // Measured 2026-11-22: precision 0.604, recall 0.917.
    assert!(precision >= 0.60, "precision fell to {precision:.3}");
    assert!(recall >= 0.91, "recall fell to {recall:.3}");
}
