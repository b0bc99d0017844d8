//! triage's duplicate detector: normalisation (Chinese numerals, case,
//! punctuation), address parts, roads, named places, gates, plates, the
//! lexicon of concepts and the bigram cosine,
//! through `compare` and `is_duplicate` of two arbitrary matters. Fields
//! are separated by 0xFF: facts, request, respondent, region and category
//! of each matter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_triage::duplicates::{compare, is_duplicate, DuplicateSettings, Matter};

fn matter([facts, request, respondent, region, category]: [String; 5]) -> Matter {
    Matter {
        facts,
        request,
        respondent,
        region,
        category,
    }
}

fuzz_target!(|data: &[u8]| {
    let [a0, a1, a2, a3, a4, b0, b1, b2, b3, b4] = mesh_fuzz::fields::<10>(data);
    let a = matter([a0, a1, a2, a3, a4]);
    let b = matter([b0, b1, b2, b3, b4]);
    let c = compare(&a, &b);
    let _ = c.conflict();
    let settings = DuplicateSettings::default();
    let _ = c.score(&settings);
    let _ = is_duplicate(&a, &b, &settings);
    let _ = is_duplicate(&b, &a, &settings);
    let _ = compare(&a, &a);
});
