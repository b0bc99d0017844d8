//! Marks that tell one instance of a like matter from another: the day it
//! happened (4月12日 ≠ 5月2日), the school year and class of a pupil (初一
//! ≠ 高二, 3班 ≠ 5班). Two complaints that both give a mark of one kind,
//! and no mark of that kind in common, are about other instances: another
//! trip, another teacher. Read from normalised text (Arabic digits).

use super::text::digit_runs;
use std::collections::BTreeSet;

/// A day a complaint names: its month when given, and its day of the month.
pub type Day = (Option<u32>, u32);

/// Words after a bare day (12号晚上) that make it a date, not a house
/// number (12号楼, 8号).
const TIMES_OF_DAY: [&str; 11] = [
    "晚上", "早上", "上午", "下午", "中午", "凌晨", "傍晚", "夜里", "半夜", "那天", "当天",
];

/// The marks of a complaint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// Days named: 4月12日 → (4, 12); 12号晚上 → (None, 12).
    pub days: BTreeSet<Day>,
    /// School years: 初2 → "初2", 高1 → "高1", 3年级 → "3年级".
    pub school_years: BTreeSet<String>,
    /// Classes of a school year: 3班 → 3.
    pub classes: BTreeSet<u32>,
}

impl Marks {
    /// Reads the marks of a normalised text.
    pub fn of(normalised: &str) -> Self {
        let chars: Vec<char> = normalised.chars().collect();
        let mut marks = Marks::default();
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
                && !next.is_some_and(|c| "米度楼层分岁个".contains(c))
            {
                let year: String = [chars[run.start - 1], chars[run.start]].iter().collect();
                marks.school_years.insert(year);
            }
        }
        marks
    }

    /// Both give marks of one kind and none agree.
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
    }
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

    fn marks(text: &str) -> Marks {
        Marks::of(&normalise(text))
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
    fn other_days_conflict_and_a_day_without_its_month_agrees() {
        assert!(marks("4月12日晚上被绕路").conflict(&marks("5月2日下午被绕路")));
        assert!(!marks("4月12日晚上被绕路").conflict(&marks("十二号晚上被绕了一圈")));
        assert!(!marks("4月12日晚上被绕路").conflict(&marks("上周被绕路")));
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
