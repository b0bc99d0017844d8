//! The duplicate detector, pair by pair, for whoever shapes it
//! (docs/triage.md):
//!
//! ```text
//! cargo run -q -p mesh-triage --example duplicates -- [-v] [-d] FILE...
//! cargo run -q -p mesh-triage --example duplicates -- -w "某小区3号楼电梯坏了"
//! ```
//!
//! - `FILE...`: labelled samples (`tests/data/duplicates*.toml`); prints
//!   each one's precision and recall, and the pooled figure. Name the
//!   files one by one: a sample held back for a blind measurement must not
//!   be read by accident.
//! - `-v`: every wrong decision, with both texts and the comparison;
//! - `-d`: every decision as `file id label said`, one a line, to diff two
//!   versions of the detector;
//! - `-w TEXT`: what the detector reads in one text (normalised text,
//!   concepts, topic, places, marks).
//! - `-t FILE...`: how long reading one complaint takes (`Features::of`,
//!   which triage runs for every case), over the samples' texts, in a
//!   release build (`cargo run --release ...`): the lexicon's cost.

#[path = "../tests/support/samples.rs"]
mod samples;

use mesh_triage::duplicates::{
    compare, is_duplicate, lexicon, marks, places, text, Features, Matter,
};
use samples::{load, shipped_settings};
use std::path::Path;

fn words(raw: &str) {
    let t = text::normalise(raw);
    println!("normalised: {t}");
    println!("concepts:   {:?}", lexicon::concepts(&t));
    for (class, name, words) in lexicon::CONCEPTS {
        let hits: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| t.contains(text::normalise(w).as_str()))
            .collect();
        if !hits.is_empty() {
            println!("  {class:?} {name}: {hits:?}");
        }
    }
    println!("topic:      {:?}", lexicon::matter_topic(raw));
    println!("follow-up:  {}", lexicon::follows_up(&t));
    println!(
        "another:    {}",
        lexicon::tells_of_another(&text::normalise(&lexicon::unreported(raw)))
    );
    println!("address:    {:?}", places::address_parts(&t));
    println!("amounts:    {:?}", text::amounts(&t));
    println!("roads:      {:?}", places::roads(&t));
    println!(
        "estates:    {:?}",
        places::named_places(&t, &places::ESTATE_ENDINGS)
    );
    println!(
        "venues:     {:?}",
        places::named_places(&t, &places::VENUE_ENDINGS)
    );
    println!(
        "others:     {:?}",
        places::named_places(&t, &places::OTHER_ENDINGS)
    );
    println!("marks:      {:?}", marks::Marks::of(&t));
}

/// Times `Features::of` over every text of the samples, several rounds.
fn time_reading(files: &[&String]) -> anyhow::Result<()> {
    let mut matters: Vec<Matter> = Vec::new();
    for file in files {
        let sample = load(Path::new(file.as_str()))?;
        matters.extend(sample.pairs.into_iter().flat_map(|p| [p.a, p.b]));
    }
    const ROUNDS: u32 = 20;
    let started = std::time::Instant::now();
    for _ in 0..ROUNDS {
        for m in &matters {
            std::hint::black_box(Features::of(m));
        }
    }
    let each = started.elapsed() / (ROUNDS * u32::try_from(matters.len().max(1))?);
    println!(
        "Features::of over {} texts, {ROUNDS} rounds: {:.1} µs a text",
        matters.len(),
        each.as_secs_f64() * 1e6
    );
    Ok(())
}

#[derive(Default)]
struct Tally {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Tally {
    fn add(&mut self, truth: bool, said: bool) {
        match (truth, said) {
            (true, true) => self.tp += 1,
            (false, true) => self.fp += 1,
            (true, false) => self.fn_ += 1,
            (false, false) => {}
        }
    }

    fn figures(&self) -> (f64, f64) {
        (
            f64::from(self.tp) / f64::from((self.tp + self.fp).max(1)),
            f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1)),
        )
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "-w") {
        words(args.get(i + 1).map_or("", String::as_str));
        return Ok(());
    }
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if args.iter().any(|a| a == "-t") {
        return time_reading(&files);
    }
    let verbose = args.iter().any(|a| a == "-v");
    let decisions = args.iter().any(|a| a == "-d");
    let settings = shipped_settings()?;
    let mut pooled = Tally::default();
    for file in files {
        let sample = load(Path::new(file.as_str()))?;
        let mut tally = Tally::default();
        for p in &sample.pairs {
            let truth = p.is_duplicate();
            let said = is_duplicate(&p.a, &p.b, &settings);
            tally.add(truth, said);
            pooled.add(truth, said);
            if decisions {
                println!("{file} {} {} {said}", p.id, p.label);
            }
            if verbose && said != truth {
                println!("#{} {} said {said}: {}", p.id, p.label, p.note);
                println!("  a: {} | {} | {}", p.a.facts, p.a.request, p.a.respondent);
                println!("  b: {} | {} | {}", p.b.facts, p.b.request, p.b.respondent);
                for m in [&p.a, &p.b] {
                    let t = text::normalise(&format!("{}{}", m.facts, m.request));
                    println!("  concepts {:?}", lexicon::concepts(&t));
                }
                println!("  {:?}", compare(&p.a, &p.b));
            }
        }
        let (p, r) = tally.figures();
        println!(
            "{file}: precision {p:.3}, recall {r:.3} (tp {}, fp {}, fn {})",
            tally.tp, tally.fp, tally.fn_
        );
    }
    let (p, r) = pooled.figures();
    println!(
        "pooled: precision {p:.3}, recall {r:.3} (tp {}, fp {}, fn {})",
        pooled.tp, pooled.fp, pooled.fn_
    );
    Ok(())
}
