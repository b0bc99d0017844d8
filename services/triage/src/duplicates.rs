//! Is a new complaint the same matter as an earlier one (重复投诉)?
//!
//! The candidates are the same complainant's earlier cases, so the
//! question is only whether the matter is the same. It is judged on:
//! - the text (facts and request): how many character pairs (bigrams) the
//!   two share, after normalising (Chinese numerals become digits,
//!   punctuation and spaces go);
//! - the place: numbered parts of an address (building, unit, room, bus
//!   route, house number) that both name but differ make it another matter;
//! - the respondent and the category, which raise the score when they agree.
//!
//! Different regions are never the same matter. The weights and the
//! threshold are settings (`[duplicates]` in the rules); the labelled sample
//! in `tests/data/duplicates.toml` measures them (docs/triage.md).

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// What is compared of a complaint.
#[derive(Debug, Clone, Deserialize)]
pub struct Matter {
    pub facts: String,
    #[serde(default)]
    pub request: String,
    #[serde(default)]
    pub respondent: String,
    pub region: String,
    pub category: String,
}

/// Weights and threshold of the decision.
#[derive(Debug, Clone, Deserialize)]
pub struct DuplicateSettings {
    /// A score at or above this is the same matter.
    pub threshold: f64,
    pub text_weight: f64,
    pub respondent_weight: f64,
    pub category_weight: f64,
}

impl Default for DuplicateSettings {
    fn default() -> Self {
        Self {
            threshold: 0.45,
            text_weight: 0.7,
            respondent_weight: 0.15,
            category_weight: 0.15,
        }
    }
}

/// How two matters compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub score: f64,
    pub text: f64,
    /// Both name a building, route… and the numbers differ.
    pub address_conflict: bool,
    pub same_region: bool,
}

fn digit(c: char) -> Option<u32> {
    "零一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u32)
        .or_else(|| (c == '两').then_some(2))
}

/// Chinese numerals (up to 九百九十九) become Arabic digits: 三号楼 → 3号楼,
/// 十二路 → 12路.
fn arabic(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && (digit(chars[i]).is_some() || matches!(chars[i], '十' | '百')) {
            i += 1;
        }
        if i == start {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = &chars[start..i];
        // A lone 一 inside a word (一直, 一整天) is not a number to rewrite
        // unless a counter follows; rewriting it everywhere is harmless for
        // comparison, since both sides are rewritten alike.
        let (mut total, mut current) = (0u32, 0u32);
        for c in run {
            match c {
                '百' => {
                    total += current.max(1) * 100;
                    current = 0;
                }
                '十' => {
                    total += current.max(1) * 10;
                    current = 0;
                }
                d => current = digit(*d).unwrap_or(0),
            }
        }
        out.push_str(&(total + current).to_string());
    }
    out
}

/// Lower-case, Arabic digits, no punctuation or spaces.
pub fn normalise(text: &str) -> String {
    arabic(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Numbered address parts: kind → numbers. 3号楼 / 3栋 / 3幢 are buildings,
/// 2单元 a unit, 301室 a room, 12路 a route, 8号 a house number.
pub fn address_parts(normalised: &str) -> BTreeMap<&'static str, BTreeSet<u32>> {
    let chars: Vec<char> = normalised.chars().collect();
    let mut parts: BTreeMap<&'static str, BTreeSet<u32>> = BTreeMap::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let Ok(n) = chars[start..i].iter().collect::<String>().parse::<u32>() else {
            continue;
        };
        let next: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let kind = if next.starts_with("号楼")
            || next.starts_with('栋')
            || next.starts_with('幢')
            || next.starts_with("号院")
        {
            Some("building")
        } else if next.starts_with("单元") {
            Some("unit")
        } else if next.starts_with('室') {
            Some("room")
        } else if next.starts_with('路') || next.starts_with("号线") {
            Some("route")
        } else if next.starts_with('号') {
            Some("number")
        } else {
            None
        };
        if let Some(kind) = kind {
            parts.entry(kind).or_default().insert(n);
        }
    }
    parts
}

fn respondent_agreement(a: &str, b: &str) -> f64 {
    let (a, b) = (normalise(a), normalise(b));
    match (a.is_empty(), b.is_empty()) {
        (true, true) => 0.5,
        (true, false) | (false, true) => 0.5,
        _ if a == b || a.contains(&b) || b.contains(&a) => 1.0,
        _ => 0.0,
    }
}

/// Compares two matters.
pub fn compare(a: &Matter, b: &Matter, settings: &DuplicateSettings) -> Comparison {
    let (ta, tb) = (
        normalise(&format!("{}{}", a.facts, a.request)),
        normalise(&format!("{}{}", b.facts, b.request)),
    );
    let (ga, gb) = (bigrams(&ta), bigrams(&tb));
    let shared = ga.intersection(&gb).count() as f64;
    let text = if ga.is_empty() || gb.is_empty() {
        0.0
    } else {
        // The mean of overlap (Dice) and containment: a shorter retelling
        // of the same matter is contained in the longer one.
        let dice = 2.0 * shared / (ga.len() + gb.len()) as f64;
        let containment = shared / ga.len().min(gb.len()) as f64;
        (dice + containment) / 2.0
    };
    let (pa, pb) = (address_parts(&ta), address_parts(&tb));
    let address_conflict = pa
        .iter()
        .any(|(kind, numbers)| pb.get(kind).is_some_and(|other| other.is_disjoint(numbers)));
    let category = if a.category == b.category { 1.0 } else { 0.0 };
    let score = settings.text_weight * text
        + settings.respondent_weight * respondent_agreement(&a.respondent, &b.respondent)
        + settings.category_weight * category;
    Comparison {
        score,
        text,
        address_conflict,
        same_region: a.region == b.region,
    }
}

/// Whether `b` is the same matter as `a`.
pub fn is_duplicate(a: &Matter, b: &Matter, settings: &DuplicateSettings) -> bool {
    let c = compare(a, b, settings);
    c.same_region && !c.address_conflict && c.score >= settings.threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(facts: &str, respondent: &str, category: &str) -> Matter {
        Matter {
            facts: facts.into(),
            request: String::new(),
            respondent: respondent.into(),
            region: "east".into(),
            category: category.into(),
        }
    }

    #[test]
    fn chinese_numerals_become_digits() {
        assert_eq!(normalise("阳光小区三号楼，二单元！"), "阳光小区3号楼2单元");
        assert_eq!(normalise("十二路公交"), "12路公交");
        assert_eq!(normalise("第一百零五号"), "第105号");
    }

    #[test]
    fn addresses_are_read() {
        let p = address_parts(&normalise("阳光小区3栋2单元301室，12路车站"));
        assert_eq!(p["building"], BTreeSet::from([3]));
        assert_eq!(p["unit"], BTreeSet::from([2]));
        assert_eq!(p["room"], BTreeSet::from([301]));
        assert_eq!(p["route"], BTreeSet::from([12]));
    }

    #[test]
    fn a_retelling_is_the_same_matter() {
        let s = DuplicateSettings::default();
        let a = m(
            "阳光小区3号楼暖气不热，室温只有14度",
            "东城区供热分公司",
            "heating",
        );
        let b = m(
            "我上周反映的阳光小区三号楼暖气还是不热，到现在都没人管",
            "",
            "heating",
        );
        assert!(is_duplicate(&a, &b, &s), "{:?}", compare(&a, &b, &s));
    }

    #[test]
    fn another_building_is_another_matter() {
        let s = DuplicateSettings::default();
        let a = m("阳光小区3号楼暖气不热", "东城区供热分公司", "heating");
        let b = m("阳光小区5号楼暖气不热", "东城区供热分公司", "heating");
        assert!(compare(&a, &b, &s).address_conflict);
        assert!(!is_duplicate(&a, &b, &s));
    }

    #[test]
    fn another_region_is_another_matter() {
        let s = DuplicateSettings::default();
        let a = m("暖气不热", "", "heating");
        let b = Matter {
            region: "west".into(),
            ..a.clone()
        };
        assert!(!is_duplicate(&a, &b, &s));
    }
}
