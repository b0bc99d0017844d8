//! Precision and recall of the duplicate detector, with the shipped
//! settings, on labelled samples (true duplicates, near-misses, distinct
//! cases):
//! - `tests/data/duplicates.toml`, which the weights were chosen on;
//! - `tests/data/duplicates-holdout.toml`, written blind: by someone who saw
//!   neither the detector nor the first sample;
//! - `tests/data/duplicates-blind2.toml`, a second blind sample, written
//!   later the same way; the lexicon detector was shaped on these three;
//! - `tests/data/duplicates-blind3.toml`, a third blind sample (200 pairs),
//!   written while the lexicon detector was being built and measured once,
//!   after it was frozen; its misses then shaped the second version;
//! - `tests/data/duplicates-blind4.toml`, a fourth (200 pairs), measured
//!   once after the second version was frozen, then read;
//! - `tests/data/duplicates-blind5.toml`, a fifth (200 pairs), measured
//!   once after the third version was frozen, then read;
//! - `tests/data/duplicates-blind6.toml`, a sixth (200 pairs), measured
//!   once after the fourth version was frozen, then read;
//! - `tests/data/duplicates-blind7.toml`, a seventh (200 pairs), measured
//!   once after the fifth version was frozen, then read;
//! - `tests/data/duplicates-blind8.toml`, an eighth (200 pairs), measured
//!   once after the sixth version was frozen, then read;
//! - `tests/data/duplicates-blind9.toml`, a ninth (200 pairs, written to
//!   favour county and village matters), measured once after the seventh
//!   version was frozen, then read.
//!
//! - `tests/data/duplicates-blind10.toml`, a tenth (200 pairs, city and
//!   county matters), measured once after the eighth version was frozen,
//!   then read;
//! - `tests/data/duplicates-blind11.toml`, an eleventh (200 pairs), measured
//!   once after the ninth version was frozen, then read;
//! - `tests/data/duplicates-blind12.toml`, a twelfth (200 pairs), measured
//!   once on the ninth version too (no version was shaped in between), and
//!   once on the tenth, then read; it shaped the eleventh;
//! - `tests/data/duplicates-blind13.toml`, a thirteenth (200 pairs, written
//!   to be hard), measured once on the tenth version (and the ninth), and
//!   once on the eleventh, then read; it shaped the twelfth;
//! - `tests/data/duplicates-blind14.toml`, a fourteenth (200 pairs, written
//!   blind to be hard), measured once on the eleventh version and once on
//!   the twelfth, figures only, then read; it shaped the thirteenth;
//! - `tests/data/duplicates-blind15.toml`, a fifteenth (200 pairs, written
//!   blind to be hard), measured once on the thirteenth version (and the
//!   twelfth), figures only, then read; it shaped the fourteenth;
//! - `tests/data/duplicates-blind16.toml`, a sixteenth (200 pairs, written
//!   blind to be hard), measured once on the fourteenth version, figures
//!   only, then read; it shaped the fifteenth;
//! - `tests/data/duplicates-blind17.toml`, a seventeenth (200 pairs,
//!   written blind), measured once on the fifteenth version, figures
//!   only, then read; it shaped the sixteenth;
//! - `tests/data/duplicates-blind18.toml`, an eighteenth (200 pairs,
//!   written blind), measured once on the sixteenth version, figures
//!   only, then read; it shaped the seventeenth;
//! - `tests/data/duplicates-blind19.toml`, a nineteenth (200 pairs,
//!   written blind), measured once on the seventeenth version, figures
//!   only, then read; it shaped the eighteenth;
//! - `tests/data/duplicates-blind20.toml`, a twentieth (200 pairs,
//!   written blind), measured once on the seventeenth version and once
//!   on the eighteenth, figures only each time; not read: held.
//!
//! Run with `--nocapture` to see the figures and every miss, leaving out
//! the held sample:
//! `cargo test -p mesh-triage --test duplicate_sample -- --skip twentieth --nocapture`.
//!
//! The goal is 0.9 for both (issue 6). The samples that shaped the
//! detector meet it; each sample measured before it was read fell short of
//! it (docs/triage.md). Each floor is what the detector (v18) measures
//! now, rounded down, so a change can only make it better.

#[path = "support/samples.rs"]
mod samples;

use mesh_triage::duplicates::{compare, is_duplicate, DuplicateSettings};
use samples::{load, repo, shipped_settings};

/// Precision and recall on one sample, printing the confusion and misses.
fn measure(file: &str, settings: &DuplicateSettings) -> (f64, f64, usize) {
    let sample = load(&repo(file)).expect("the labelled sample reads and parses");
    let (mut tp, mut fp, mut fn_, mut tn) = (0u32, 0u32, 0u32, 0u32);
    let mut by_label = std::collections::BTreeMap::<String, (u32, u32)>::new();
    println!("{file}:");
    for p in &sample.pairs {
        let truth = p.is_duplicate();
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
                "  miss #{} ({}): score {:.2} (text {:.2}, follow-up {}), conflicts: address {} place {} concepts {:?}; shared: place {} concepts {:?} — {}",
                p.id,
                p.label,
                c.score(settings),
                c.text,
                c.follow_up,
                c.address_conflict,
                c.place_conflict,
                c.concept_conflicts,
                c.shared_place,
                c.shared_concepts,
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

/// Measures `file` with the shipped settings and holds it to its floors.
fn holds(file: &str, min_pairs: usize, precision_floor: f64, recall_floor: f64) {
    let (precision, recall, pairs) =
        measure(file, &shipped_settings().expect("the shipped settings"));
    assert!(pairs >= min_pairs, "a sample of a useful size");
    assert!(
        precision >= precision_floor,
        "precision fell to {precision:.3}"
    );
    assert!(recall >= recall_floor, "recall fell to {recall:.3}");
}

#[test]
fn the_tuning_sample_meets_the_goal() {
    // Measured 2026-11-22 (second lexicon detector): precision 0.909, recall 1.000.
    // v12: 0.923 / 1.000; v13 the same.
    holds("tests/data/duplicates.toml", 100, 0.92, 1.0);
}

#[test]
fn the_first_blind_sample_meets_the_goal() {
    // Measured 2026-11-22: precision 0.923, recall 0.960 (it shaped the lexicon).
    // v12: 0.962 / 1.000; v13 the same.
    holds("tests/data/duplicates-holdout.toml", 100, 0.96, 1.0);
}

#[test]
fn the_second_blind_sample_meets_the_goal() {
    // Measured 2026-11-22: precision 0.939, recall 0.920 (it shaped the
    // lexicon; words that fitted only its pairs were taken out again).
    // v12: 0.980 / 0.980; v13 the same; v14: 0.980 / 1.000.
    holds("tests/data/duplicates-blind2.toml", 100, 0.98, 1.0);
}

#[test]
fn the_third_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-22, after the first lexicon detector was
    // frozen: precision 0.848, recall 0.700. Its misses then shaped the
    // second (respondent names, related troubles, another instance, more
    // words). v5 (b52f134): precision 0.973, recall 0.912 — no longer a
    // blind figure. v8: 0.974 / 0.938; v12 and v13: 0.974 / 0.950.
    holds("tests/data/duplicates-blind3.toml", 200, 0.97, 0.95);
}

#[test]
fn the_fourth_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-22, after the second lexicon detector
    // was frozen (57aaecf): precision 0.808, recall 0.738 (the first
    // lexicon detector: 0.818 / 0.675). Read afterwards; it shaped v3 to
    // v5. v5 (b52f134): precision 0.925, recall 0.925; v8: 0.926 / 0.938;
    // v11: 0.938 / 0.938 (a fire lane's parked cars no longer linked to
    // its dry hydrants); v12 and v13: 0.940 / 0.988; v14: 0.952 / 1.000.
    holds("tests/data/duplicates-blind4.toml", 200, 0.95, 1.0);
}

#[test]
fn the_fifth_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-22, after 2606d47 was frozen: precision
    // 0.733, recall 0.550 (6dd96aa, before this session's changes: 0.678 /
    // 0.500). Written with a third of its pairs hard on purpose. Read
    // afterwards; it shaped v4. v5 (b52f134): precision 0.935, recall 0.900.
    // v12: 0.937 / 0.925; v13: 0.961 / 0.925; v18: 0.962 / 0.938.
    holds("tests/data/duplicates-blind5.toml", 200, 0.96, 0.93);
}

#[test]
fn the_sixth_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-22, after 1d367cd (v4) was frozen:
    // precision 0.804, recall 0.562 (2606d47, v3: 0.808 / 0.525). Read
    // afterwards; it shaped v5 (b52f134): precision 0.884, recall 0.762,
    // and v6 (landed only within v7, c98911d): 0.915 / 0.812.
    // v8: 0.922 / 0.887; v9: 0.923 / 0.900; v12: 0.926 / 0.938;
    // v13: 0.938 / 0.938; v14: 0.937 / 0.925 (one duplicate, found by
    // its text score, lost when 五万块 came to read as 50000).
    holds("tests/data/duplicates-blind6.toml", 200, 0.93, 0.92);
}

#[test]
fn the_seventh_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-22, after b52f134 (v5) was frozen:
    // precision 0.827, recall 0.775. v3 (2606d47) scores 0.833 / 0.812 on
    // it and v4 (1d367cd) 0.827 / 0.775: see docs/triage.md. Read
    // afterwards; it shaped v6 (landed only within v7, c98911d):
    // precision 0.900, recall 0.900.
    // v8: 0.901 / 0.912; v13: 0.914 / 0.925.
    holds("tests/data/duplicates-blind7.toml", 200, 0.91, 0.92);
}

#[test]
fn the_eighth_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-23, after v6 was frozen:
    // precision 0.822, recall 0.750. v5 (b52f134) scores 0.812 / 0.700 on
    // it: see docs/triage.md. Read afterwards; it shaped v7 (c98911d):
    // precision 0.929, recall 0.812.
    // v8: 0.944 / 0.850; v9: 0.945 / 0.863; v12 and v13: 0.947 / 0.900;
    // v16: 0.948 / 0.912.
    holds("tests/data/duplicates-blind8.toml", 200, 0.94, 0.91);
}

#[test]
fn the_ninth_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-23, after v7 (c98911d) was frozen:
    // precision 0.770, recall 0.588. v6 scores 0.692 / 0.562 on it and
    // v5 (b52f134) 0.650 / 0.487: see docs/triage.md. Read afterwards; it
    // shaped v8: precision 0.961, recall 0.925 (v13 the same); v14:
    // 0.949 / 0.925 (one wrong link more: a junk venue read in 检查该店
    // had told the two food-street shops apart); v18: 0.949 / 0.938 (an
    // abandoned van found by its plate).
    holds("tests/data/duplicates-blind9.toml", 200, 0.94, 0.93);
}

#[test]
fn the_tenth_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-23, after v8 (9b924e3) was frozen:
    // precision 0.838, recall 0.713. v7 (c98911d) scores 0.831 / 0.613 on
    // it, measured at the same sitting: see docs/triage.md. Read
    // afterwards; it shaped v9: precision 0.843, recall 0.738, and v10:
    // 0.885 / 0.863; v12: 0.900 / 0.900; v13: 0.912 / 0.912.
    holds("tests/data/duplicates-blind10.toml", 200, 0.91, 0.91);
}

#[test]
fn the_eleventh_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-23, after v9 (89c8c9b) was frozen:
    // precision 0.825, recall 0.650. v8 (51a5c79) decides every pair
    // alike; v7 (c98911d) scores 0.810 / 0.588, measured at the same
    // sitting: see docs/triage.md. Read afterwards; it shaped v10:
    // precision 0.938, recall 0.938; v13: 0.974 / 0.938.
    holds("tests/data/duplicates-blind11.toml", 200, 0.97, 0.93);
}

#[test]
fn the_twelfth_sample_keeps_its_measured_level() {
    // Measured blind once, 2026-11-23, on v9 (its lexicon read in one
    // pass since 19bf38d, every decision unchanged): precision 0.836,
    // recall 0.637. Measured blind once more on v10 (f2d4df0): precision
    // 0.847, recall 0.625: one wrong link and one duplicate found fewer
    // than v9. v10 ships for the 41 pairs it wins on the read samples
    // (none lost), and the floor follows its figure. Not read before
    // that measurement: see docs/triage.md. Read afterwards; it shaped
    // v11: precision 0.938, recall 0.950 — no longer a blind figure.
    // v12: 0.939 / 0.963; v13: 0.940 / 0.988; v14: 0.941 / 1.000.
    holds("tests/data/duplicates-blind12.toml", 200, 0.94, 1.0);
}

#[test]
fn the_thirteenth_sample_keeps_its_measured_level() {
    // Written blind and measured blind once, 2026-11-23, on v10 (f2d4df0):
    // precision 0.705, recall 0.537 (v9, c8ab0d8, at the same sitting:
    // 0.684 / 0.487). Measured blind once more on v11 (5f28626):
    // precision 0.721, recall 0.550 (44 duplicates found, 17 wrong links;
    // v10 43 and 18). Not read before that measurement: see
    // docs/triage.md. Read afterwards; it shaped v12: precision 0.937,
    // recall 0.925 — no longer a blind figure. v13: 0.938 / 0.938; v14:
    // 0.949 / 0.938.
    holds("tests/data/duplicates-blind13.toml", 200, 0.94, 0.93);
}

#[test]
fn the_fourteenth_sample_keeps_its_measured_level() {
    // Written blind (afae3d3) and measured blind once, 2026-11-23, on v11
    // (5f28626), with the example's figures only: precision 0.727, recall
    // 0.600 (48 duplicates found, 18 wrong links). Measured blind once
    // more on v12 (a3d9a79), figures only: precision 0.742, recall 0.613
    // (49 duplicates found, 17 wrong links). Not read before that
    // measurement: see docs/triage.md. Read afterwards; it shaped v13:
    // precision 0.895, recall 0.963 — no longer a blind figure.
    holds("tests/data/duplicates-blind14.toml", 200, 0.89, 0.96);
}

#[test]
fn the_fifteenth_sample_keeps_its_measured_level() {
    // Written blind by a helper who saw neither the detector nor the
    // other samples, to be hard (30 % city, 25 % county and village, 25 %
    // consumers and businesses, 20 % labour, schools, hospitals,
    // insurance, licences and social security). Blind 14 was read and
    // shaped v13; blind 15 was not. Measured blind once, 2026-11-23, on
    // v13 (90f352d), with the example's figures only: precision 0.795,
    // recall 0.725 (58 duplicates found, 15 wrong links); v12 (a3d9a79)
    // at the same sitting: 0.792 / 0.713 (57 and 15). Read afterwards;
    // it shaped v14: precision 0.894, recall 0.950 — no longer a blind
    // figure.
    holds("tests/data/duplicates-blind15.toml", 200, 0.89, 0.95);
}

#[test]
fn the_sixteenth_sample_keeps_its_measured_level() {
    // Written blind by a helper (89c3a18), to be hard, like blind 15.
    // Measured blind once, 2026-11-23, on v14 (72bb86c), with the
    // example's figures only: precision 0.865, recall 0.800 (64
    // duplicates found, 10 wrong links); v13 (89c3a18) at the same
    // sitting: the same. Read afterwards; it shaped v15:
    // precision 0.938, recall 0.950 — no longer a blind figure. v18:
    // 0.939 / 0.963 (a lost parcel's chase found by its insured sum).
    holds("tests/data/duplicates-blind16.toml", 200, 0.93, 0.96);
}

#[test]
fn the_seventeenth_sample_keeps_its_measured_level() {
    // Written blind by a helper (e411583): a quarter each of city, county
    // and village, consumers and businesses, and labour, schools,
    // hospitals and benefits. Measured blind once, 2026-11-23, on v15
    // (ce52bec), with the example's figures only: precision 0.934,
    // recall 0.887 (71 duplicates found, 5 wrong links); v14 (72bb86c)
    // and v13 (89c3a18) at the same sitting: 0.922 / 0.887 each (71 and
    // 6). Read afterwards; it shaped v16: precision 0.950, recall 0.950 —
    // no longer a blind figure.
    holds("tests/data/duplicates-blind17.toml", 200, 0.95, 0.95);
}

#[test]
fn the_eighteenth_sample_keeps_its_measured_level() {
    // Written blind by a helper (01c76aa, e61e79c), unusual topics and
    // regional speech on purpose. Measured blind once, 2026-11-23, on
    // v16 (d79fcab), with the example's figures only: precision 0.790,
    // recall 0.800 (64 duplicates found, 17 wrong links); at the same
    // sitting v15 the same, v14 0.778 / 0.787, v13 0.775 / 0.775. Read
    // afterwards; it shaped v17: precision 0.830, recall 0.912 — no
    // longer a blind figure.
    holds("tests/data/duplicates-blind18.toml", 200, 0.82, 0.91);
}

#[test]
fn the_nineteenth_sample_keeps_its_measured_level() {
    // Written blind by a helper (54aa6c3): a quarter each of city living,
    // county and village, consumers and businesses, and labour and public
    // services; formal against colloquial or regional speech, 27 of 80
    // duplicates with another category on each side, 60 with the
    // respondent on one side only. Measured blind once, 2026-11-23, on
    // v17, with the example's figures only: precision 0.831, recall 0.738
    // (59 duplicates found, 12 wrong links); v16 (d79fcab) at the same
    // sitting: 0.829 / 0.725 (58 and 12). Read afterwards; it shaped
    // v18 (bbdb88f): precision 0.840, recall 0.787 (63 duplicates found,
    // 12 wrong links) — no longer a blind figure.
    holds("tests/data/duplicates-blind19.toml", 200, 0.84, 0.78);
}

#[test]
fn the_twentieth_sample_keeps_its_measured_level() {
    // Written blind by a helper (0b18af1): a quarter each of housing and
    // utilities, roads, transport and environment, health, schools and
    // benefits, and consumers, markets and villages; 42 of 80 duplicates
    // with another category on each side, 42 with the respondent on one
    // side only, 35 near misses with the respondent on one side only.
    // Measured blind once, 2026-11-23, on v17, with the
    // example's figures only: precision 0.847, recall 0.625 (50
    // duplicates found, 9 wrong links). Measured blind once more on v18
    // (bbdb88f), figures only: precision 0.850, recall 0.637 (51
    // duplicates found, 9 wrong links): one duplicate more than v17, far
    // short of the 0.9 goal; the floor is v18's blind figure, rounded
    // down. Not read: held; skip it (`--skip twentieth`) when reading
    // misses.
    holds("tests/data/duplicates-blind20.toml", 200, 0.85, 0.63);
}
