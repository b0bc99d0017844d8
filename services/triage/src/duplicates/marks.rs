//! Marks that tell one instance of a like matter from another: the day it
//! happened (4月12日 ≠ 5月2日), the school year and class of a pupil (初一
//! ≠ 高二, 3班 ≠ 5班), and whose matter it is when the caller says so
//! (我爸的手机号 ≠ 我自己的套餐). Two complaints that both give a mark of one kind,
//! and no mark of that kind in common, are about other instances: another
//! trip, another teacher. Read from normalised text (Arabic digits).

use super::text::digit_runs;
use aho_corasick::AhoCorasick;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// A day a complaint names: its month when given, and its day of the month.
pub type Day = (Option<u32>, u32);

/// Words after a bare day (12号晚上) that make it a date, not a house
/// number (12号楼, 8号).
const TIMES_OF_DAY: [&str; 11] = [
    "晚上", "早上", "上午", "下午", "中午", "凌晨", "傍晚", "夜里", "半夜", "那天", "当天",
];

/// The people a caller tells of as "mine", by the relation each word names
/// (爱人 = 老公): whose matter it is. A relation is read only after 我, or
/// after the operator's 其 or 称 (来电人称其儿子…, 来电人称女儿…), or after
/// 为 or 给, whom the caller acted for (为孩子报名, 发放给本人), or after
/// 咱 (咱爸; the dialect's 俺 and 娃 are read as 我 and 孩子: 俺娃 → 我孩子,
/// [`super::text::normalise`]), or after the operator's 称他 or 称她
/// (来电人称，他父亲…; a 他 elsewhere, as in 会计他丈母娘, is someone
/// else's): bare 孩子
/// or 老人 are named in passing (家里孩子睡不着), and so are they after
/// 因为 (because).
const PERSONS: [(&str, &[&str]); 15] = [
    ("self", &["自己的", "本人的", "自己上", "自己在", "本人"]),
    ("father", &["爸", "父亲", "老父亲", "爹"]),
    ("mother", &["妈", "母亲", "老母亲", "娘"]),
    ("parents", &["父母", "爸妈"]),
    ("spouse", &["老公", "丈夫", "爱人", "老婆", "妻子", "媳妇"]),
    ("son", &["儿子"]),
    ("daughter", &["女儿", "闺女"]),
    ("child", &["孩子", "小孩"]),
    ("sibling", &["哥", "姐", "弟", "妹"]),
    (
        "grandparent",
        &["爷爷", "奶奶", "外公", "外婆", "姥姥", "姥爷"],
    ),
    (
        "in_law",
        &["公公", "婆婆", "岳父", "岳母", "老丈人", "丈母娘"],
    ),
    ("nephew_niece", &["外甥", "侄子", "侄女"]),
    ("grandchild", &["孙子", "孙女", "外孙"]),
    ("colleague", &["同事"]),
    ("neighbour", &["邻居"]),
];

/// The words that make a relation the caller's own.
const OWNERS: [&str; 8] = ["我", "咱", "其", "称", "为", "给", "称他", "称她"];

/// Each relation's words with an owner before them (我爸, 其爸, 称爸…),
/// spelt out once, with one automaton that finds them all in one pass:
/// they are looked for in every complaint read.
struct OwnedWords {
    relations: Vec<&'static str>,
    words: AhoCorasick,
}

fn owned_words() -> &'static OwnedWords {
    static WORDS: OnceLock<OwnedWords> = OnceLock::new();
    WORDS.get_or_init(|| {
        let (relations, words): (Vec<&'static str>, Vec<String>) = PERSONS
            .iter()
            .flat_map(|(relation, words)| {
                words.iter().flat_map(move |w| {
                    OWNERS
                        .iter()
                        .map(move |owner| (*relation, format!("{owner}{w}")))
                })
            })
            .unzip();
        OwnedWords {
            relations,
            words: super::lexicon::automaton(&words),
        }
    })
}

/// Where a relation of [`PERSONS`] is named as the caller's own: the
/// relation and the byte offset after its word, for every occurrence.
fn own_people(normalised: &str) -> impl Iterator<Item = (&'static str, usize)> + '_ {
    let owned = owned_words();
    owned
        .words
        .find_overlapping_iter(normalised)
        .filter(move |found| !normalised[..found.start()].ends_with('因'))
        .map(move |found| (owned.relations[found.pattern().as_usize()], found.end()))
}

/// The people a normalised text tells of as the caller's own (the
/// relations of `PERSONS`, this module's table).
pub fn persons(normalised: &str) -> BTreeSet<&'static str> {
    own_people(normalised)
        .map(|(relation, _)| relation)
        .collect()
}

/// Whether the caller tells of someone of theirs who has a like matter
/// too: "我老公在力美健身也买了私教课" — one of `PERSONS` and 也 within
/// the next few characters. A 也 right after 了 is "even so", not "too":
/// "我妈在省外住院备案了也没给直接报" (registered, and still not paid).
pub fn another_persons_too(normalised: &str) -> bool {
    own_people(normalised).any(|(_, after)| {
        let next: Vec<char> = normalised[after..].chars().take(10).collect();
        next.iter().enumerate().any(|(i, c)| {
            // 评也评了 (assessed, as asked): 也 between one word
            // said twice tells of no one else.
            let repeated = i > 0 && next.get(i + 1) == Some(&next[i - 1]);
            *c == '也' && (i == 0 || next[i - 1] != '了') && !repeated
        })
    })
}

/// The marks of a complaint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// Days named: 4月12日 → (4, 12); 12号晚上 → (None, 12).
    pub days: BTreeSet<Day>,
    /// School years: 初2 → "初2", 高1 → "高1", 3年级 → "3年级".
    pub school_years: BTreeSet<String>,
    /// Classes of a school year: 3班 → 3.
    pub classes: BTreeSet<u32>,
    /// Whose matter it is ([`persons`]).
    pub persons: BTreeSet<&'static str>,
    /// Numbers that name one parcel, order or card: 尾号4471, 单号…,
    /// 订单号…, 卡号… (the digits that follow).
    pub serials: BTreeSet<String>,
}

/// Words after which digits name one parcel, order or card.
pub const SERIAL_WORDS: [&str; 6] = ["尾号", "单号", "订单号", "运单号", "快递单", "卡号"];

impl Marks {
    /// Reads the marks of a normalised text.
    pub fn of(normalised: &str) -> Self {
        let chars: Vec<char> = normalised.chars().collect();
        let mut marks = Marks {
            persons: persons(normalised),
            ..Marks::default()
        };
        let number = |run: &std::ops::Range<usize>| {
            chars[run.clone()]
                .iter()
                .collect::<String>()
                .parse::<u32>()
                .ok()
        };
        let runs = digit_runs(&chars);
        for (k, run) in runs.iter().enumerate() {
            let Some(n) = number(run) else { continue };
            let next = chars.get(run.end).copied();
            let before = run.start.checked_sub(1).map(|p| chars[p]);
            let rest: String = chars[run.end..chars.len().min(run.end + 4)]
                .iter()
                .collect();
            let lead: String = chars[run.start.saturating_sub(3)..run.start]
                .iter()
                .collect();
            if run.len() >= 3 && SERIAL_WORDS.iter().any(|w| lead.ends_with(w)) {
                marks.serials.insert(chars[run.clone()].iter().collect());
            }
            match next {
                Some('月') if (1..=12).contains(&n) => {
                    // 4月12日, 5月3号: the day's run starts right after 月.
                    if let Some(day) = runs.get(k + 1).filter(|d| d.start == run.end + 1) {
                        let after = chars.get(day.end).copied();
                        if let (Some(d), Some('日' | '号')) = (number(day), after) {
                            if (1..=31).contains(&d) {
                                marks.days.insert((Some(n), d));
                            }
                        }
                    }
                }
                Some('日' | '号') if before != Some('月') && (1..=31).contains(&n) => {
                    let after: String = rest.chars().skip(1).collect();
                    if TIMES_OF_DAY.iter().any(|t| after.starts_with(t)) {
                        marks.days.insert((None, n));
                    }
                }
                Some('年') if rest.starts_with("年级") && (1..=9).contains(&n) => {
                    marks.school_years.insert(format!("{n}年级"));
                }
                Some('班') if (1..=30).contains(&n) => {
                    marks.classes.insert(n);
                }
                _ => {}
            }
            if matches!(before, Some('初' | '高'))
                && (1..=3).contains(&n)
                && run.len() == 1
                && !next
                    .is_some_and(|c| "米度楼层分岁个份块元次天斤点倍件台张只位名万千百".contains(c))
            {
                let year: String = [chars[run.start - 1], chars[run.start]].iter().collect();
                marks.school_years.insert(year);
            }
        }
        marks
    }

    /// Both give marks of one kind and none agree.
    /// Both give a day of a month, and the same one (5月6日 = 五月六号):
    /// the same incident told twice.
    pub fn same_date(&self, other: &Marks) -> bool {
        self.days
            .iter()
            .any(|a| a.0.is_some() && other.days.iter().any(|b| b.0.is_some() && same_day(*a, *b)))
    }

    pub fn conflict(&self, other: &Marks) -> bool {
        let days_apart = !self.days.is_empty()
            && !other.days.is_empty()
            && !self
                .days
                .iter()
                .any(|a| other.days.iter().any(|b| same_day(*a, *b)));
        days_apart
            || apart(&self.school_years, &other.school_years)
            || apart(&self.classes, &other.classes)
            || persons_apart(&self.persons, &other.persons)
            || apart(&self.serials, &other.serials)
    }
}

/// Relations that name several people at once, and the relations of each
/// of them: 其孩子 and 我儿子 may be one person, and 他父母 takes in 其母亲.
const GROUPS: [(&str, [&str; 2]); 2] = [
    ("child", ["son", "daughter"]),
    ("parents", ["father", "mother"]),
];

/// Both say whose matter it is and name nobody in common, a group
/// ([`GROUPS`]) counting as each of its members.
fn persons_apart(a: &BTreeSet<&'static str>, b: &BTreeSet<&'static str>) -> bool {
    let takes_in = |x: &BTreeSet<&'static str>, y: &BTreeSet<&'static str>| {
        GROUPS.iter().any(|(group, members)| {
            x.contains(group) && members.iter().any(|member| y.contains(member))
        })
    };
    apart(a, b) && !takes_in(a, b) && !takes_in(b, a)
}

/// Both sets hold something and nothing in common.
fn apart<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> bool {
    !a.is_empty() && !b.is_empty() && a.is_disjoint(b)
}

/// The same day of the month, in the same month when both give one.
fn same_day(a: Day, b: Day) -> bool {
    a.1 == b.1 && (a.0.is_none() || b.0.is_none() || a.0 == b.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duplicates::text::normalise;

    #[test]
    fn every_owned_word_is_found() {
        // The automaton against a search word by word: each owned word
        // (我爸, 其女儿, 称自己的…) is found, with its relation and the
        // offset after it.
        for (relation, words) in PERSONS {
            for w in words.iter() {
                for owner in OWNERS {
                    let text = format!("来电{owner}{w}说");
                    let after = "来电".len() + owner.len() + w.len();
                    assert!(
                        own_people(&text).any(|found| found == (relation, after)),
                        "{text}"
                    );
                }
            }
        }
        assert_eq!(own_people("家里孩子睡不着").count(), 0);
    }

    fn marks(text: &str) -> Marks {
        Marks::of(&normalise(text))
    }

    #[test]
    fn even_so_is_no_other_person_too_and_dialect_owns_a_relation() {
        assert!(!another_persons_too(&normalise(
            "我妈在省外住院备案了也没给直接报"
        )));
        assert!(another_persons_too(&normalise(
            "我老公在力美健身也买了私教课"
        )));
        // 评也评了 (assessed, as asked): a word said twice round 也.
        assert!(!another_persons_too(&normalise(
            "俺娃的残疾证下来没？评也评了，等了仨月了"
        )));
        assert!(persons(&normalise("俺爹在县医院住院")).contains("father"));
        assert!(persons(&normalise("俺娃上学的校车")).contains("child"));
    }

    #[test]
    fn the_operators_he_or_she_owns_a_relation_and_parents_are_father_and_mother() {
        let parents = persons(&normalise("来电人称，他父母在社区卫生服务中心做了体检"));
        assert!(parents.contains("parents"), "{parents:?}");
        let father = persons(&normalise("来电人称，他父亲九月份也申请了评估"));
        let mother = persons(&normalise("来电人表示，其母亲82岁"));
        let child = persons(&normalise("来电人反映，其孩子需接种疫苗"));
        assert!(persons_apart(&mother, &father));
        assert!(persons_apart(&child, &parents));
        assert!(!persons_apart(&mother, &parents));
        assert!(!persons_apart(&parents, &father));
        // 他 elsewhere is someone else's: the accountant's mother-in-law.
        assert!(persons(&normalise("会计他丈母娘家里也吃低保")).is_empty());
    }

    #[test]
    fn days_are_read_with_and_without_their_month() {
        assert_eq!(
            marks("4月12日晚上从机场打车").days,
            BTreeSet::from([(Some(4), 12)])
        );
        assert_eq!(
            marks("五月三日出发的云南团").days,
            BTreeSet::from([(Some(5), 3)])
        );
        assert_eq!(
            marks("十二号晚上机场打的车").days,
            BTreeSet::from([(None, 12)])
        );
        assert!(marks("住在12号楼，8号商铺").days.is_empty());
    }

    #[test]
    fn a_count_after_high_is_no_school_year() {
        assert!(marks("价格高，一份菜15元").school_years.is_empty());
        assert_eq!(
            marks("育才中学初二学生家长").school_years,
            BTreeSet::from(["初2".to_string()])
        );
    }

    #[test]
    fn whose_matter_it_is_marks_two_apart_when_both_say() {
        let father = marks("我爸的手机号被营业员办了两张副卡");
        assert!(father.conflict(&marks("我自己的手机套餐被改成了199元的")));
        assert!(!father.conflict(&marks("我父亲那两张副卡的事还没退费")));
        // One that names nobody says nothing of whose matter it is.
        assert!(!father.conflict(&marks("副卡的事营业厅还是不给取消")));
        // The operator's 其 and 称 make a relation the caller's own too.
        assert!(marks("来电人称其儿子暑假在湘味坊当服务员")
            .conflict(&marks("来电人在湘味坊做厨师，我本人的工资没发")));
        assert!(marks("来电人称其父亲住院期间多收了检查费")
            .conflict(&marks("来电人称自己上周做胸部CT被收了两次")));
        // So is the operator's 来电人在…: the caller's own matter.
        assert!(marks("来电人在瑞驰4S店做常规保养，多收800元")
            .conflict(&marks("来电人称妻子去年在瑞驰4S店买的新车变速箱顿挫")));
        assert!(another_persons_too(&normalise(
            "我老公在力美健身也买了私教课"
        )));
        assert!(!another_persons_too(&normalise(
            "我老公说力美健身的教练走了"
        )));
        // Whom the caller acted for: the child's course is not the
        // caller's own, the father's plot not the one paid to the caller.
        assert!(marks("来电人反映其去年9月为孩子在启航英语报名少儿英语年课")
            .conflict(&marks("来电人反映其本人去年12月在启航英语报名成人口语课程")));
        assert!(marks("流转费村里也未发放给本人")
            .conflict(&marks("修村道时占用了其父亲名下的1.8亩承包地")));
        // A child is a son or a daughter told without saying which.
        assert!(!marks("其孩子放学途经时被追咬").conflict(&marks("我儿子放学被野狗咬了")));
        assert!(marks("我儿子的学费").conflict(&marks("我女儿的学费")));
        // 因为 is because, not for.
        assert!(marks("因为孩子要上学，每天走这条路").persons.is_empty());
    }

    #[test]
    fn other_days_conflict_and_a_day_without_its_month_agrees() {
        assert!(marks("4月12日晚上被绕路").conflict(&marks("5月2日下午被绕路")));
        assert!(!marks("4月12日晚上被绕路").conflict(&marks("十二号晚上被绕了一圈")));
        assert!(!marks("4月12日晚上被绕路").conflict(&marks("上周被绕路")));
    }

    #[test]
    fn other_parcels_conflict_and_the_same_date_agrees() {
        assert!(marks("快递单号尾号4471丢失").conflict(&marks("又一个件尾号8203显示签收")));
        assert!(!marks("快递尾号4471丢失").conflict(&marks("尾号4471那个件")));
        assert!(marks("5月6日夜间急诊").same_date(&marks("五月六号半夜在急诊")));
        assert!(!marks("5月6日夜间急诊").same_date(&marks("五月七号半夜在急诊")));
        assert!(
            !marks("6号晚上").same_date(&marks("6号晚上")),
            "no month, no date"
        );
    }

    #[test]
    fn school_years_and_classes_conflict() {
        assert_eq!(
            marks("初一的英语老师，三年级二班").school_years,
            BTreeSet::from(["初1".to_string(), "3年级".to_string()])
        );
        assert!(marks("初一的英语老师").conflict(&marks("高二的物理老师")));
        assert!(!marks("初二的数学老师").conflict(&marks("孩子初二，数学老师")));
        assert!(marks("三年级二班").conflict(&marks("三年级五班")));
        assert!(marks("高1米的围墙").school_years.is_empty());
    }
}
