//! Is a new complaint the same matter as an earlier one (重复投诉)?
//!
//! The candidates are the same complainant's earlier cases, so the
//! question is only whether the matter is the same: the same place and the
//! same problem, however it is told. After normalising (Chinese numerals
//! become digits, punctuation and spaces go), two complaints are another
//! matter, whatever else they share, when:
//! - their regions differ;
//! - both name a numbered part of an address (building, unit, room, route,
//!   village group, phase, house number) and the numbers differ (3号楼 ≠
//!   5号楼, 3栋 = 3号楼, 1组 ≠ 3组);
//! - both name problems of the [`PROBLEMS`] table and share none (暖气 ≠
//!   电梯).
//!
//! Otherwise the evidence is weighed ([`Comparison::score`]): the texts'
//! character-pair (bigram) cosine similarity, whether the new complaint
//! refers back to an earlier report ([`FOLLOW_UP`]: "之前反映过", "还是没修",
//! "处理结果"), whether the respondents agree and whether the categories do.
//! The weights and the threshold are settings (`[duplicates]` in the rules).
//! Two labelled samples measure it (docs/triage.md):
//! `tests/data/duplicates.toml`, which the weights were chosen on, and
//! `tests/data/duplicates-holdout.toml`, written without seeing the detector.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What is compared of a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Matter {
    pub facts: String,
    #[serde(default)]
    pub request: String,
    #[serde(default)]
    pub respondent: String,
    pub region: String,
    pub category: String,
}

/// The weights and threshold of the decision (`[duplicates]` in the rules).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DuplicateSettings {
    /// A score at or above this is the same matter, when nothing marks the
    /// two apart.
    pub threshold: f64,
    /// Weight of the texts' bigram cosine similarity (0 to 1).
    pub text_weight: f64,
    /// Added when the new complaint refers back to an earlier report
    /// ("之前反映过", "还是没修", "催一下", "处理结果"): callers chasing a
    /// case say so.
    pub follow_up_weight: f64,
    /// Added when both name the same respondent, or one names none.
    pub respondent_weight: f64,
    /// Added when the operator chose the same category.
    pub category_weight: f64,
    /// How far back a complainant's earlier cases are looked at.
    pub lookback_days: u32,
}

impl Default for DuplicateSettings {
    fn default() -> Self {
        // As shipped in deploy/network/sample-city.toml.
        Self {
            threshold: 0.7,
            text_weight: 1.0,
            follow_up_weight: 0.6,
            respondent_weight: 0.05,
            category_weight: 0.05,
            lookback_days: 365,
        }
    }
}

/// How two matters compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Bigram cosine similarity of the texts, 0 to 1.
    pub text: f64,
    /// Both name a building, route… and the numbers differ.
    pub address_conflict: bool,
    /// Both name problems and share none.
    pub problem_conflict: bool,
    pub same_region: bool,
    /// The new complaint refers back to an earlier report.
    pub follow_up: bool,
    /// Both name the same respondent, or one names none.
    pub same_respondent: bool,
    pub same_category: bool,
    /// Both name a place in common: a place name, or the same numbered part
    /// of an address (5号楼). Complaints that name no place ("暖气不热")
    /// share none.
    pub shared_place: bool,
}

impl Comparison {
    /// Something marks the two apart, whatever the score.
    pub fn conflict(&self) -> bool {
        !self.same_region || self.address_conflict || self.problem_conflict
    }

    /// The weighed evidence that they are the same matter.
    pub fn score(&self, s: &DuplicateSettings) -> f64 {
        let flag = |on: bool, weight: f64| if on { weight } else { 0.0 };
        s.text_weight * self.text
            + flag(self.follow_up, s.follow_up_weight)
            + flag(self.same_respondent, s.respondent_weight)
            + flag(self.same_category, s.category_weight)
    }
}

/// Kinds of problem and words that name them. Two complaints that both name
/// problems, but none in common, are about different matters.
const PROBLEMS: [(&str, &[&str]); 20] = [
    (
        "heating",
        &[
            "暖气", "暖器", "供暖", "不热", "室温", "凉", "冰", "取暖", "暖",
        ],
    ),
    (
        "water",
        &[
            "停水",
            "没水",
            "水质",
            "水黄",
            "黄水",
            "锈",
            "水压",
            "自来水",
            "水费",
            "水表",
        ],
    ),
    ("leak", &["漏水", "渗水", "滴水", "下水", "排水", "堵"]),
    (
        "power",
        &["停电", "断电", "没电", "跳闸", "电压", "电费", "电表"],
    ),
    ("gas", &["燃气", "煤气", "气味", "味道", "天然气"]),
    ("lift", &["电梯", "困人"]),
    ("gate", &["门禁", "保安", "门岗"]),
    (
        "noise",
        &[
            "噪音",
            "噪声",
            "吵",
            "扰民",
            "广场舞",
            "音响",
            "装修",
            "施工",
            "电钻",
            "轰鸣",
            "嗡嗡",
        ],
    ),
    ("garbage", &["垃圾", "清运", "臭", "脏"]),
    ("light", &["路灯", "不亮", "灯"]),
    ("road", &["坑", "井盖", "积水", "路面", "破损", "塌"]),
    (
        "bus",
        &["公交", "到站", "发车", "班次", "司机", "线路", "末班"],
    ),
    (
        "refund",
        &["退款", "退费", "预付", "充值", "会员卡", "年卡"],
    ),
    (
        "price",
        &["价格", "多收", "乱收费", "涨价", "收费", "物业费"],
    ),
    ("goods", &["过期", "假冒", "虚假", "质量"]),
    ("attitude", &["态度", "骂", "不耐烦"]),
    ("delay", &["拖延", "没人管", "没人处理", "不办", "推诿"]),
    ("parking", &["车位", "停车", "占用"]),
    ("facade", &["瓷砖", "外墙", "脱落"]),
    ("green", &["树", "绿化"]),
];

/// Words by which a caller refers back to an earlier report of the same
/// matter (催办): "之前反映过", "上次打过电话", "还是没修", "再次反映",
/// "要求回复处理结果". New matters rarely say them.
const FOLLOW_UP: [&str; 28] = [
    "之前",
    "上次",
    "上回",
    "上周",
    "还是",
    "仍然",
    "仍未",
    "依然",
    "再次",
    "催",
    "反映过",
    "反映了",
    "再反映",
    "反映好几次",
    "反映几次",
    "已经反映",
    "多次反映",
    "报过",
    "打过",
    "投诉过",
    "说过",
    "补充",
    "处理结果",
    "回复",
    "第2次",
    "第3次",
    "没人管",
    "没人处理",
];

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
fn normalise(text: &str) -> String {
    arabic(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Numbered address parts: kind → numbers. 3号楼 / 3栋 / 3幢 are buildings,
/// 2单元 a unit, 301室 a room, 12路 a route, 8号 a house number.
fn address_parts(normalised: &str) -> BTreeMap<&'static str, BTreeSet<u32>> {
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
        } else if next.starts_with('组') {
            // 村民小组: 朝阳村1组 ≠ 3组.
            Some("group")
        } else if next.starts_with('期') {
            // A phase of a development: 2期 ≠ 3期.
            Some("phase")
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

/// Endings of the names of places where many people live or go: the two
/// or three characters before one, with it, name a place (阳光小区,
/// 幸福里小区, 滨河公园).
const PLACE_ENDINGS: [&str; 12] = [
    "小区", "花园", "家园", "公寓", "大厦", "广场", "公园", "市场", "医院", "学校", "新村", "村",
];

/// Place names and numbered address parts in normalised text.
fn places(normalised: &str) -> BTreeSet<String> {
    let chars: Vec<char> = normalised.chars().collect();
    let mut out = BTreeSet::new();
    for ending in PLACE_ENDINGS {
        let e: Vec<char> = ending.chars().collect();
        for i in 0..chars.len() {
            if chars[i..].starts_with(&e) {
                for k in [2, 3] {
                    if i >= k && !chars[i - k..i].iter().any(char::is_ascii_digit) {
                        out.insert(chars[i - k..i + e.len()].iter().collect());
                    }
                }
            }
        }
    }
    out
}

/// The kinds of problem a text names.
fn problems(normalised: &str) -> BTreeSet<&'static str> {
    PROBLEMS
        .iter()
        .filter(|(_, words)| words.iter().any(|w| normalised.contains(w)))
        .map(|(kind, _)| *kind)
        .collect()
}

fn bigram_counts(text: &str) -> HashMap<(char, char), f64> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = HashMap::new();
    for w in chars.windows(2) {
        *out.entry((w[0], w[1])).or_insert(0.0) += 1.0;
    }
    out
}

fn cosine(a: &HashMap<(char, char), f64>, b: &HashMap<(char, char), f64>) -> f64 {
    let dot: f64 = a
        .iter()
        .map(|(k, v)| v * b.get(k).copied().unwrap_or(0.0))
        .sum();
    let norm = |m: &HashMap<(char, char), f64>| m.values().map(|v| v * v).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

fn conflict<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> bool {
    !a.is_empty() && !b.is_empty() && a.is_disjoint(b)
}

/// What [`compare`] reads of a matter, worked out once: a new complaint is
/// compared with many earlier ones, and its text need not be read again
/// for each.
#[derive(Debug, Clone)]
pub struct Features {
    region: String,
    category: String,
    bigrams: HashMap<(char, char), f64>,
    address: BTreeMap<&'static str, BTreeSet<u32>>,
    places: BTreeSet<String>,
    problems: BTreeSet<&'static str>,
    follow_up: bool,
    /// Bigrams of the respondent; `None` when none is named.
    respondent: Option<HashMap<(char, char), f64>>,
}

impl Features {
    pub fn of(m: &Matter) -> Self {
        let text = normalise(&format!("{}{}", m.facts, m.request));
        Features {
            region: m.region.clone(),
            category: m.category.clone(),
            bigrams: bigram_counts(&text),
            address: address_parts(&text),
            places: places(&text),
            problems: problems(&text),
            follow_up: FOLLOW_UP.iter().any(|w| text.contains(w)),
            respondent: (!m.respondent.trim().is_empty())
                .then(|| bigram_counts(&normalise(&m.respondent))),
        }
    }

    /// Whether the text names a place or a numbered address part: without
    /// one, two complaints can never share a place.
    pub fn names_a_place(&self) -> bool {
        !self.places.is_empty() || !self.address.is_empty()
    }
}

/// Compares two matters.
pub fn compare(a: &Matter, b: &Matter) -> Comparison {
    compare_features(&Features::of(a), &Features::of(b))
}

/// Compares two matters' features (`b` is the later complaint).
pub fn compare_features(a: &Features, b: &Features) -> Comparison {
    let (pa, pb) = (&a.address, &b.address);
    Comparison {
        text: cosine(&a.bigrams, &b.bigrams),
        address_conflict: pa
            .iter()
            .any(|(kind, numbers)| pb.get(kind).is_some_and(|other| other.is_disjoint(numbers))),
        problem_conflict: conflict(&a.problems, &b.problems),
        same_region: a.region == b.region,
        follow_up: b.follow_up,
        same_respondent: match (&a.respondent, &b.respondent) {
            (Some(ra), Some(rb)) => cosine(ra, rb) >= 0.5,
            _ => true,
        },
        same_category: a.category == b.category,
        shared_place: !a.places.is_disjoint(&b.places)
            || pa.iter().any(|(kind, numbers)| {
                pb.get(kind)
                    .is_some_and(|other| !other.is_disjoint(numbers))
            }),
    }
}

/// Whether `b` is the same matter as `a`.
pub fn is_duplicate(a: &Matter, b: &Matter, settings: &DuplicateSettings) -> bool {
    same_matter(&Features::of(a), &Features::of(b), settings)
}

/// [`is_duplicate`] on features worked out before.
pub fn same_matter(a: &Features, b: &Features, settings: &DuplicateSettings) -> bool {
    let c = compare_features(a, b);
    !c.conflict() && c.score(settings) >= settings.threshold
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
    fn addresses_and_problems_are_read() {
        let t = normalise("阳光小区3栋2单元301室暖气不热，12路车站");
        let p = address_parts(&t);
        assert_eq!(p["building"], BTreeSet::from([3]));
        assert_eq!(p["unit"], BTreeSet::from([2]));
        assert_eq!(p["room"], BTreeSet::from([301]));
        assert_eq!(p["route"], BTreeSet::from([12]));
        assert_eq!(problems(&t), BTreeSet::from(["heating"]));
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
        assert!(is_duplicate(&a, &b, &s), "{:?}", compare(&a, &b));
    }

    #[test]
    fn another_building_group_or_problem_is_another_matter() {
        let s = DuplicateSettings::default();
        let a = m("阳光小区3号楼暖气不热", "东城区供热分公司", "heating");
        let b = m("阳光小区5号楼暖气不热", "东城区供热分公司", "heating");
        assert!(compare(&a, &b).address_conflict && !is_duplicate(&a, &b, &s));
        let a = m("锦绣小区12号楼暖气不热", "", "heating");
        let b = m("锦绣小区12号楼电梯坏了", "", "property");
        assert!(compare(&a, &b).problem_conflict && !is_duplicate(&a, &b, &s));
        let a = m("朝阳村一组晚上电压低", "北区供电所", "power");
        let b = m("朝阳村三组晚上电压低", "北区供电所", "power");
        assert!(compare(&a, &b).address_conflict && !is_duplicate(&a, &b, &s));
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
