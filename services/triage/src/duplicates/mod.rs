//! Is a new complaint the same matter as an earlier one (重复投诉)?
//!
//! The candidates are the same complainant's earlier cases, so the
//! question is only whether the matter is the same: the same place and the
//! same problem, however it is told. Texts are normalised first (Chinese
//! numerals become digits, punctuation and spaces go; [`text`]).
//!
//! Two complaints are another matter, whatever else they share, when
//! ([`Comparison::conflict`]):
//! - their regions differ;
//! - both name a numbered part of an address and the numbers differ
//!   (3号楼 ≠ 5号楼, 3栋 = 3号楼, 1组 ≠ 3组), other roads, other plates,
//!   other gates (南门 ≠ 北门), or other estates or venues (实验中学 ≠
//!   实验小学; [`places`]), or other stretches of a road told by their
//!   ends (邮局到二中那段 ≠ 菜市场到河边那段; [`stretches`]);
//! - both give a day, a school year or a class, or say whose matter it is,
//!   and none agree (4月12日 ≠ 5月2日, 初一 ≠ 高二, 我爸的 ≠ 我自己的;
//!   [`marks`]);
//! - both tell, in their facts, of concepts of one class of the [`lexicon`]
//!   and share none: another thing (电梯 ≠ 水箱), another trouble (暖气不热
//!   ≠ 暖气费), another source of a nuisance (广场舞 ≠ KTV), another fee
//!   (物业费 ≠ 停车费), other goods (海鲜 ≠ 蔬菜), another course (数学 ≠
//!   编程), another crew's trade (木工 ≠ 钢筋), another building site
//!   (地铁工地 ≠ 写字楼工地). Troubles of one family are
//!   told of one another and do not conflict (a broken radiator, a leaking
//!   pipe; [`lexicon::RELATED_TROUBLES`]). What a caller asks for (退款,
//!   清运) may change from call to call, so requests never mark two apart,
//!   though a request in common counts as shared;
//! - the new one tells of another instance of a like matter: another
//!   person, another purchase, another workshop (我老公也在那家厂, 另一个车间,
//!   又买了一台, 又在联华超市买了; [`lexicon::ANOTHER_INSTANCE`]), in the
//!   caller's own words: what follows 说 is the other side's account
//!   (店员说卡是另一个老板的; [`lexicon::unreported`]).
//!
//! What identifies the matter outweighs the words its trouble is told in
//! ([`Comparison::identified`]): the same plate, or the same amount or
//! date when either call refers back to a report, is the same matter
//! though the concepts conflict, unless region, place, day or instance
//! tell the two apart.
//!
//! A caller who names the earlier matter as the topic of the call
//! ("保安公司辞退不给补偿那件事，…", "羽绒服那个投诉，…"; [`lexicon::matter_topic`])
//! is heard first: it is the same matter when nothing but concepts marks
//! the two apart, the topic tells of nothing the earlier one marks apart,
//! and they share a place or the topic shares a concept with it. What
//! follows the topic tells how the matter stands now (只退200元, 停了工资)
//! and may name other troubles.
//!
//! Otherwise it is the same matter when any of these holds
//! ([`same_matter`]):
//! - the weighed evidence of the first detector reaches the threshold:
//!   bigram cosine similarity of the texts, a follow-up cue ("之前反映过",
//!   "还是没修"), the respondents and the categories;
//! - they share a place (a named estate, venue, firm or road, a numbered
//!   address part, a plate, a numbered hospital as people shorten it
//!   (第三人民医院 = 三院), a like-named respondent, or a respondent whose
//!   name the other complaint uses: 安家易房产经纪公司 and "安家易中介") and a
//!   trouble or a fee;
//! - they share a thing, the source of a nuisance or a fee item, and a
//!   trouble, and the new one follows up, or the category is the same, or
//!   the texts are alike enough (shipped: any likeness). A first clause
//!   that points back ("佳禾那个过期牛奶，…"; [`lexicon::points_back`]) is a
//!   follow-up.
//!
//! The weights and thresholds are settings (`[duplicates]` in the rules).
//! Labelled samples measure it (docs/triage.md). This is lexicon v18,
//! shaped on blind sample 19: what identifies a matter outweighs a
//! conflict of concepts, and regional words are read as the common ones
//! ([`text::normalise`]).

pub mod lexicon;
pub mod marks;
pub mod places;
pub mod stretches;
pub mod text;

use lexicon::{Class, Concepts};
use places::Place;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use text::{bigram_counts, cosine, normalise, Bigrams};

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
    /// Two complaints that name the same thing (or source of a nuisance)
    /// and the same trouble, but no place in common, are the same matter
    /// when the new one follows up, or the category is the same, or their
    /// texts' similarity is at least this.
    pub shared_problem_text: f64,
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
            shared_problem_text: 0.0,
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
    /// Both name roads, plates, gates, estates, venues or stretches, and
    /// none agree.
    pub place_conflict: bool,
    /// Both give a day, or a school year or class, and none agree
    /// ([`marks`]): another trip, another teacher.
    pub mark_conflict: bool,
    /// The classes of concepts both name without one in common.
    pub concept_conflicts: BTreeSet<Class>,
    /// The classes of concepts in which both name one in common.
    pub shared_concepts: BTreeSet<Class>,
    pub same_region: bool,
    /// The new complaint tells of another instance of a like matter
    /// (我老公也在那家厂, 另一个车间).
    pub another_instance: bool,
    /// The new complaint refers back to an earlier report.
    pub follow_up: bool,
    /// The new complaint names a known matter as its topic ("…那件事",
    /// "…的投诉", "…有消息了吗"), and the topic tells of nothing the
    /// earlier one marks apart; what follows the topic tells how the
    /// matter stands now, and may name other troubles.
    pub names_this_matter: bool,
    /// The topic shares a concept with the earlier complaint.
    pub topic_shared: bool,
    /// Both name the same respondent, or one names none.
    pub same_respondent: bool,
    pub same_category: bool,
    /// Both name a place in common: a named estate, venue, firm or road,
    /// the same numbered part of an address (5号楼) or the same plate.
    /// Complaints that name no place ("暖气不热") share none.
    pub shared_place: bool,
    /// Both name a respondent, and the names are alike.
    pub named_respondents_alike: bool,
    /// Both name an amount of 100 or more in common (6400元 = 六千四百元,
    /// 3万 = 三万公里).
    pub shared_amount: bool,
    /// Both give the same date, month and day (5月6日 = 五月六号).
    pub same_date: bool,
    /// Both name the same plate (临A·3K7Q2 = 临A3K7Q2).
    pub shared_plate: bool,
    /// The earlier complaint refers back to a report before it: it was
    /// itself a chase of the matter.
    pub earlier_follow_up: bool,
}

impl Comparison {
    /// Something marks the two apart, whatever the score.
    pub fn conflict(&self) -> bool {
        self.elsewhere() || !self.concept_conflicts.is_empty()
    }

    /// Another region, place, day or instance: what marks two apart even
    /// when the caller names the earlier matter.
    fn elsewhere(&self) -> bool {
        !self.same_region
            || self.another_instance
            || self.address_conflict
            || self.place_conflict
            || self.mark_conflict
    }

    /// The weighed evidence of the first detector: text, follow-up cue,
    /// respondent and category.
    pub fn score(&self, s: &DuplicateSettings) -> f64 {
        let flag = |on: bool, weight: f64| if on { weight } else { 0.0 };
        s.text_weight * self.text
            + flag(self.follow_up, s.follow_up_weight)
            + flag(self.same_respondent, s.respondent_weight)
            + flag(self.same_category, s.category_weight)
    }

    /// The two name what identifies one matter, whatever words tell its
    /// trouble: the same plate, or the same amount or date in a chase
    /// (either call refers back to a report). A chase tells how the
    /// matter stands now, so its troubles are told in other words than
    /// the first report's; the plate, the sum or the day stays the same.
    pub fn identified(&self) -> bool {
        self.shared_plate
            || ((self.shared_amount || self.same_date)
                && (self.follow_up || self.earlier_follow_up))
    }

    fn shares(&self, class: Class) -> bool {
        self.shared_concepts.contains(&class)
    }
}

/// What [`compare`] reads of a matter, worked out once: a new complaint is
/// compared with many earlier ones, and its text need not be read again
/// for each.
#[derive(Debug, Clone)]
pub struct Features {
    region: String,
    category: String,
    text: String,
    bigrams: Bigrams,
    address: BTreeMap<&'static str, BTreeSet<u32>>,
    roads: BTreeSet<String>,
    estates: BTreeSet<Place>,
    venues: BTreeSet<Place>,
    /// The names of every named place, the respondent's included.
    names: BTreeSet<String>,
    gates: BTreeSet<char>,
    plates: BTreeSet<String>,
    /// Stretches of a road told by their ends ([`stretches`]).
    stretches: Vec<stretches::Stretch>,
    /// The concepts of the facts and the request.
    concepts: Concepts,
    /// The concepts of the facts alone: a request (退款, 清运, 取消…) says
    /// what the caller wants, which may change from one call to the next.
    told_concepts: Concepts,
    marks: marks::Marks,
    /// The amounts named, 100 and up ([`text::amounts`]).
    amounts: BTreeSet<u64>,
    /// The concepts of the topic, when the caller names the earlier matter
    /// as the topic of the call ([`lexicon::matter_topic`]).
    topic: Option<Concepts>,
    follow_up: bool,
    another: bool,
    /// Bigrams of the respondent; `None` when none is named.
    respondent: Option<Bigrams>,
    /// The name the respondent goes by ([`places::respondent_name`]).
    respondent_name: Option<String>,
    /// The normalised respondent.
    respondent_text: String,
}

impl Features {
    pub fn of(m: &Matter) -> Self {
        let written = format!("{}{}", m.facts, m.request);
        let text = normalise(&written);
        let respondent = normalise(&m.respondent);
        let estates = places::named_places(&text, &places::ESTATE_ENDINGS);
        let venues = places::named_places(&text, &places::VENUE_ENDINGS);
        let all_endings: Vec<&'static str> = places::ESTATE_ENDINGS
            .iter()
            .chain(&places::VENUE_ENDINGS)
            .chain(&places::OTHER_ENDINGS)
            .copied()
            .collect();
        let names = estates
            .iter()
            .chain(&venues)
            .chain(&places::named_places(&text, &places::OTHER_ENDINGS))
            .chain(&places::named_places(&respondent, &all_endings))
            .map(|(name, _)| name.clone())
            .chain(places::numbered_institutions(&text))
            .chain(places::numbered_institutions(&respondent))
            .collect();
        Features {
            region: m.region.clone(),
            category: m.category.clone(),
            bigrams: bigram_counts(&text),
            address: places::address_parts(&text),
            roads: places::roads(&text),
            gates: places::gates(&text),
            plates: places::plates(&text),
            stretches: stretches::stretches(&text),
            concepts: lexicon::concepts(&text),
            told_concepts: lexicon::concepts(&normalise(&m.facts)),
            marks: marks::Marks::of(&text),
            amounts: text::amounts(&text),
            topic: lexicon::matter_topic(&m.facts).map(|t| lexicon::concepts(&t)),
            follow_up: lexicon::follows_up(&text) || lexicon::points_back(&m.facts),
            another: lexicon::tells_of_another(&normalise(&lexicon::unreported(&written))),
            respondent: (!respondent.is_empty()).then(|| bigram_counts(&respondent)),
            respondent_name: places::respondent_name(&respondent),
            respondent_text: respondent,
            estates,
            venues,
            names,
            text,
        }
    }

    /// Whether the text names a place: a named estate, venue or road, or a
    /// numbered address part. Without one, two complaints can never share
    /// a place.
    pub fn names_a_place(&self) -> bool {
        !self.names.is_empty() || !self.address.is_empty() || !self.roads.is_empty()
    }
}

fn disjoint_nonempty<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> bool {
    !a.is_empty() && !b.is_empty() && a.is_disjoint(b)
}

/// The classes in which two sets of concepts conflict (both name some,
/// none in common, and none of one family: troubles, things or sources
/// told of one another), and those in which
/// they share one.
fn weigh_concepts(a: &Concepts, b: &Concepts) -> (BTreeSet<Class>, BTreeSet<Class>) {
    let mut concept_conflicts = BTreeSet::new();
    let mut shared_concepts = BTreeSet::new();
    for (class, mine) in a {
        if let Some(theirs) = b.get(class) {
            let family: fn(&str, &str) -> bool = match class {
                Class::Trouble => lexicon::related_troubles,
                Class::Thing => lexicon::related_things,
                Class::Source => lexicon::related_sources,
                _ => |_, _| false,
            };
            let related = mine.iter().any(|x| theirs.iter().any(|y| family(x, y)));
            if !mine.is_disjoint(theirs) {
                shared_concepts.insert(*class);
            } else if !related {
                concept_conflicts.insert(*class);
            }
        }
    }
    (concept_conflicts, shared_concepts)
}

/// Compares two matters.
pub fn compare(a: &Matter, b: &Matter) -> Comparison {
    compare_features(&Features::of(a), &Features::of(b))
}

/// Compares two matters' features (`b` is the later complaint).
pub fn compare_features(a: &Features, b: &Features) -> Comparison {
    let (pa, pb) = (&a.address, &b.address);
    let address_conflict = pa
        .iter()
        .any(|(kind, numbers)| pb.get(kind).is_some_and(|other| other.is_disjoint(numbers)));
    let shared_address = pa.iter().any(|(kind, numbers)| {
        *kind != "number"
            && pb
                .get(kind)
                .is_some_and(|other| !other.is_disjoint(numbers))
    });
    let place_conflict =
        (!a.roads.is_empty() && !b.roads.is_empty() && !places::same_roads(&a.roads, &b.roads))
            || (!a.plates.is_empty()
                && !b.plates.is_empty()
                && !places::same_plate(&a.plates, &b.plates))
            || disjoint_nonempty(&a.gates, &b.gates)
            || places::places_conflict(&a.estates, &a.text, &b.estates, &b.text)
            || places::places_conflict(&a.venues, &a.text, &b.venues, &b.text)
            || stretches::stretches_conflict(&a.stretches, &b.stretches);
    let named_by = |x: &Features, y: &Features| {
        x.respondent_name
            .as_ref()
            .is_some_and(|n| y.text.contains(n.as_str()) || y.respondent_text.contains(n.as_str()))
    };
    let shared_names = named_by(a, b)
        || named_by(b, a)
        || a.names.intersection(&b.names).any(|n| {
            // Read from both texts, the name must name the same place
            // (北坡村 ≠ 北坡新村); from a respondent, it is the same.
            !(a.text.contains(n.as_str()) && b.text.contains(n.as_str()))
                || places::name_named_in(n, &a.text, &b.text)
        })
        || a.names
            .iter()
            .any(|n| places::name_named_in(n, &a.text, &b.text))
        || b.names
            .iter()
            .any(|n| places::name_named_in(n, &b.text, &a.text))
        || places::road_named_in(&a.roads, &b.text)
        || places::road_named_in(&b.roads, &a.text);
    // What the callers ask for may confirm a match, but only what they
    // tell of marks two complaints apart.
    let (concept_conflicts, _) = weigh_concepts(&a.told_concepts, &b.told_concepts);
    let (_, shared_concepts) = weigh_concepts(&a.concepts, &b.concepts);
    let (names_this_matter, topic_shared) = match &b.topic {
        Some(topic) => {
            let (conflicts, _) = weigh_concepts(&a.told_concepts, topic);
            let (_, shared) = weigh_concepts(&a.concepts, topic);
            (conflicts.is_empty(), !shared.is_empty())
        }
        None => (false, false),
    };
    let respondents = match (&a.respondent, &b.respondent) {
        (Some(ra), Some(rb)) => Some(cosine(ra, rb)),
        _ => None,
    };
    Comparison {
        text: cosine(&a.bigrams, &b.bigrams),
        address_conflict,
        place_conflict,
        mark_conflict: a.marks.conflict(&b.marks),
        concept_conflicts,
        shared_concepts,
        same_region: a.region == b.region,
        another_instance: b.another && !a.another,
        follow_up: b.follow_up,
        names_this_matter,
        topic_shared,
        same_respondent: respondents.is_none_or(|similarity| similarity >= 0.5),
        named_respondents_alike: respondents.is_some_and(|similarity| similarity >= 0.3),
        same_category: a.category == b.category,
        shared_amount: !a.amounts.is_disjoint(&b.amounts),
        same_date: a.marks.same_date(&b.marks),
        shared_plate: places::same_plate(&a.plates, &b.plates),
        earlier_follow_up: a.follow_up,
        shared_place: shared_names
            || shared_address
            || !a.roads.is_disjoint(&b.roads)
            || places::same_plate(&a.plates, &b.plates),
    }
}

/// Whether `b` is the same matter as `a`.
pub fn is_duplicate(a: &Matter, b: &Matter, settings: &DuplicateSettings) -> bool {
    same_matter(&Features::of(a), &Features::of(b), settings)
}

/// [`is_duplicate`] on features worked out before.
pub fn same_matter(a: &Features, b: &Features, settings: &DuplicateSettings) -> bool {
    decide(&compare_features(a, b), settings)
}

/// The decision on a comparison (see the module's documentation).
pub fn decide(c: &Comparison, s: &DuplicateSettings) -> bool {
    let place = c.shared_place || c.named_respondents_alike;
    if c.names_this_matter && !c.elsewhere() && (place || c.topic_shared) {
        return true;
    }
    // What identifies the matter outweighs the words its trouble is told
    // in (a conflict of concepts), though not another region, place, day
    // or instance.
    if c.identified() && !c.elsewhere() {
        return true;
    }
    if c.conflict() {
        return false;
    }
    let same_problem = c.shares(Class::Trouble) || c.shares(Class::FeeItem);
    c.score(s) >= s.threshold
        || ((c.shared_amount || c.same_date) && (place || !c.shared_concepts.is_empty()))
        || (place && same_problem)
        || ((c.shares(Class::Thing) || c.shares(Class::Source) || c.shares(Class::FeeItem))
            && c.shares(Class::Trouble)
            && (c.follow_up || c.same_category || c.text >= s.shared_problem_text))
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
    fn a_caller_naming_the_matter_is_heard_though_the_news_tells_of_other_troubles() {
        let s = DuplicateSettings::default();
        let a = m(
            "在乐途旅行社报了云南六日游，导游强迫购物，不买就甩脸色",
            "乐途旅行社",
            "consumer",
        );
        let b = m(
            "乐途旅行社那个云南团的投诉，旅行社说只能退200元，我们都不认可",
            "乐途",
            "consumer",
        );
        assert!(is_duplicate(&a, &b, &s), "{:?}", compare(&a, &b));
        // A topic that tells of another matter at the same office is not it.
        let a = m(
            "红星街道低保申请材料交了两个月，没人给回话",
            "红星街道办",
            "efficiency",
        );
        let b = m(
            "红星街道办残疾证的事一直拖着，鉴定都做完了",
            "红星街道办",
            "efficiency",
        );
        assert!(!is_duplicate(&a, &b, &s), "{:?}", compare(&a, &b));
    }

    #[test]
    fn a_retelling_in_other_words_is_the_same_matter() {
        // No follow-up cue and few characters in common: the place and
        // the trouble decide.
        let s = DuplicateSettings::default();
        let a = m(
            "滨湖苑小区12号楼从昨天开始停水，没有任何通知",
            "东区自来水公司",
            "water",
        );
        let b = m("滨湖苑十二号楼一直没水，饭都做不了", "", "property");
        let c = compare(&a, &b);
        assert!(c.score(&s) < s.threshold, "{c:?}");
        assert!(is_duplicate(&a, &b, &s), "{c:?}");
    }

    #[test]
    fn the_same_firm_on_another_trouble_is_another_matter() {
        let s = DuplicateSettings::default();
        let a = m(
            "顺达汽修修车报价500元，最后收了1800元",
            "顺达汽修",
            "consumer",
        );
        let b = m(
            "顺达汽修给我换的刹车片是翻新件，说是原厂的",
            "顺达汽修",
            "consumer",
        );
        let c = compare(&a, &b);
        assert!(c.concept_conflicts.contains(&Class::Trouble), "{c:?}");
        assert!(!is_duplicate(&a, &b, &s));
    }

    #[test]
    fn another_building_group_or_problem_is_another_matter() {
        let s = DuplicateSettings::default();
        let a = m("阳光小区3号楼暖气不热", "东城区供热分公司", "heating");
        let b = m("阳光小区5号楼暖气不热", "东城区供热分公司", "heating");
        assert!(compare(&a, &b).address_conflict && !is_duplicate(&a, &b, &s));
        let a = m("锦绣小区12号楼暖气不热", "", "heating");
        let b = m("锦绣小区12号楼电梯坏了", "", "property");
        assert!(
            compare(&a, &b).concept_conflicts.contains(&Class::Thing) && !is_duplicate(&a, &b, &s)
        );
        let a = m("朝阳村一组晚上电压低", "北区供电所", "power");
        let b = m("朝阳村三组晚上电压低", "北区供电所", "power");
        assert!(compare(&a, &b).address_conflict && !is_duplicate(&a, &b, &s));
    }

    #[test]
    fn another_fixture_article_or_fee_at_the_same_place_is_another_matter() {
        // The same building, estate or shop, and something else of it.
        let s = DuplicateSettings::default();
        for (a, b, class) in [
            (
                "翠竹苑小区12号楼2单元楼道声控灯全部不亮",
                "翠竹苑小区12号楼2单元单元门门禁损坏，门关不上",
                Class::Thing,
            ),
            (
                "阳光新城小区中心花园的健身器材多处损坏",
                "阳光新城小区儿童游乐区的塑料滑梯开裂，划伤了孩子",
                Class::Thing,
            ),
            (
                "在极速手机维修更换手机屏幕，原装屏被换成了副厂屏",
                "上月在极速手机维修店更换手机电池后，充电时严重发烫",
                Class::Thing,
            ),
            (
                "翠湖苑小区物业将物业费由每平方米1.2元上调至1.8元",
                "翠湖苑小区物业对停放电动车收取每月20元停车管理费",
                Class::FeeItem,
            ),
        ] {
            let (a, b) = (m(a, "", "property"), m(b, "", "property"));
            let c = compare(&a, &b);
            assert!(c.concept_conflicts.contains(&class), "{c:?}");
            assert!(!is_duplicate(&a, &b, &s), "{c:?}");
        }
    }

    #[test]
    fn a_firm_named_in_the_other_complaint_is_a_shared_place() {
        let s = DuplicateSettings::default();
        let a = m(
            "我通过安家易房产租的房子到期退租，房东不退三千块押金",
            "安家易房产经纪公司",
            "housing",
        );
        let b = m("安家易中介跟房东扣着我押金不退", "", "consumer");
        let c = compare(&a, &b);
        assert!(c.shared_place, "{c:?}");
        assert!(is_duplicate(&a, &b, &s), "{c:?}");
    }

    #[test]
    fn a_bus_and_its_driver_do_not_conflict() {
        // A skipped stop is told of the bus, then of its driver.
        let a = m(
            "12路公交车早高峰经常不停靠纺织厂站，直接开过",
            "",
            "transit",
        );
        let b = m("十二路还是甩站，在纺织厂站招手司机看都不看", "", "transit");
        let c = compare(&a, &b);
        assert!(!c.concept_conflicts.contains(&Class::Thing), "{c:?}");
        assert!(is_duplicate(&a, &b, &DuplicateSettings::default()), "{c:?}");
    }

    #[test]
    fn a_neighbour_and_their_renovation_do_not_conflict() {
        let a = m(
            "滨江花园11栋顶楼住户在楼顶加建阳光房，已搭起钢架",
            "",
            "urban",
        );
        let b = m(
            "滨江花园11号楼楼顶违建至今未拆，现已封顶并开始装修",
            "",
            "urban",
        );
        let c = compare(&a, &b);
        assert!(!c.concept_conflicts.contains(&Class::Source), "{c:?}");
        assert!(is_duplicate(&a, &b, &DuplicateSettings::default()), "{c:?}");
    }

    #[test]
    fn related_troubles_do_not_conflict() {
        // The cold radiators were a burst pipe: broken and leaking are
        // told of one another.
        let s = DuplicateSettings::default();
        let a = m(
            "东湖花园9号楼地下室暖气管道爆了，暖气都不热了",
            "",
            "heating",
        );
        let b = m("东湖花园9栋地下室暖气管破了还在漏", "", "heating");
        let c = compare(&a, &b);
        assert!(!c.concept_conflicts.contains(&Class::Trouble), "{c:?}");
        assert!(is_duplicate(&a, &b, &s), "{c:?}");
        // Standing water left there comes to smell.
        let a = m(
            "和谐家园6号楼地下室长期积水，疑似消防管道漏水",
            "",
            "property",
        );
        let b = m("和谐家园地下室那水还没抽，现在都有臭味了", "", "property");
        let c = compare(&a, &b);
        assert!(!c.concept_conflicts.contains(&Class::Trouble), "{c:?}");
        assert!(is_duplicate(&a, &b, &s), "{c:?}");
    }

    #[test]
    fn another_instance_is_another_matter() {
        let s = DuplicateSettings::default();
        let a = m(
            "我在宏远电子厂上班，厂里欠了我三个月工资",
            "宏远电子厂",
            "labour",
        );
        let b = m(
            "我老公也在宏远电子厂，另一个车间的，两个月没发工资了",
            "宏远电子厂",
            "labour",
        );
        let c = compare(&a, &b);
        assert!(c.another_instance && !is_duplicate(&a, &b, &s), "{c:?}");
    }

    #[test]
    fn another_day_or_school_year_is_another_matter() {
        let s = DuplicateSettings::default();
        let trip = |facts: &str| m(facts, "速达出行", "transit");
        let (a, b) = (
            trip("4月12日晚上用速达出行从机场回家被绕路。"),
            trip("5月2日下午用速达出行从机场回家被绕路。"),
        );
        assert!(compare(&a, &b).mark_conflict && !is_duplicate(&a, &b, &s));
        let again = trip("十二号晚上机场打的速达网约车，被绕了一大圈，平台只退了五块钱。");
        assert!(is_duplicate(&a, &again, &s), "{:?}", compare(&a, &again));
        let (c, d) = (
            m(
                "第五中学初一的英语老师周末在家有偿补课。",
                "第五中学",
                "education",
            ),
            m(
                "第五中学高二的物理老师周末在外面有偿补课。",
                "第五中学",
                "education",
            ),
        );
        assert!(!is_duplicate(&c, &d, &s));
    }

    #[test]
    fn a_request_never_marks_two_complaints_apart() {
        let s = DuplicateSettings::default();
        // What is asked differs (取消 is a trouble word); what is told agrees.
        let a = Matter {
            request: "取消家长执勤".into(),
            ..m(
                "育才实验小学要求家长每天轮流到校门口站岗执勤，强制的。",
                "育才实验小学",
                "education",
            )
        };
        let b = m(
            "育才实小强制家长护学岗，不去的话班主任在群里点名。",
            "育才实小",
            "education",
        );
        let c = compare(&a, &b);
        assert!(
            c.concept_conflicts.is_empty() && is_duplicate(&a, &b, &s),
            "{c:?}"
        );
    }

    #[test]
    fn the_same_amount_or_date_links_two_tellings() {
        let s = DuplicateSettings::default();
        // No trouble word in common, few characters alike: the amount,
        // told in words on one side and digits on the other, decides.
        let a = m(
            "其在渝味坊火锅店担任服务员，2024年1月至2月工资共计六千四百元被拖欠",
            "渝味坊火锅店",
            "labour",
        );
        let b = m("我在渝味坊端盘子，俩月工钱6400块老板不给", "", "labour");
        let c = compare(&a, &b);
        assert!(c.shared_amount, "{c:?}");
        assert!(is_duplicate(&a, &b, &s), "{c:?}");
        // Another amount at the same place decides nothing.
        let other = m("我在渝味坊端盘子，俩月工钱5200块老板不给", "", "labour");
        assert!(!compare(&a, &other).shared_amount);
        // The same night at the same hospital is the same visit.
        let a = m(
            "其孩子于5月6日夜间高烧，到西区儿童医院急诊就诊，候诊四个小时无医生接诊",
            "西区儿童医院",
            "health",
        );
        let b = m(
            "五月六号半夜孩子发烧，在儿童医院急诊等了四个钟头没人看",
            "",
            "health",
        );
        let c = compare(&a, &b);
        assert!(c.same_date && is_duplicate(&a, &b, &s), "{c:?}");
    }

    #[test]
    fn what_identifies_the_matter_outweighs_the_words_of_its_trouble() {
        let s = DuplicateSettings::default();
        // The same plate: an abandoned car told as a parking space taken
        // on one call and as a dusty car with flat tyres on the other.
        let car = m(
            "幸福里南门那台白车还在那儿，车牌临A3K7Q2，占了个车位好几个月了",
            "",
            "traffic",
        );
        let b = m(
            "幸福里小区南门外一辆白色轿车（车牌号临A·3K7Q2）停放近半年，车身积满灰尘，轮胎已瘪",
            "",
            "urban",
        );
        let c = compare(&car, &b);
        assert!(c.shared_plate && c.identified(), "{c:?}");
        assert!(is_duplicate(&car, &b, &s), "{c:?}");
        // The same sum in a chase, its troubles told otherwise.
        let a = m(
            "市儿童医院专家号网上抢不到，门口有人以每个号300元倒卖",
            "市儿童医院",
            "health",
        );
        let b = m(
            "上次反映过，儿童医院门口倒号的还在，网上一个都约不到，门口三百块随便买",
            "",
            "public_security",
        );
        assert!(compare(&a, &b).identified());
        assert!(is_duplicate(&a, &b, &s), "{:?}", compare(&a, &b));
        // Another plate is still another matter.
        let other = m(
            "幸福里南门外一辆白色轿车（车牌号临A·5M2P7）停放近半年，轮胎已瘪",
            "",
            "urban",
        );
        assert!(!is_duplicate(&car, &other, &s));
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
