//! A report for a period and a scope, built from summed rollups and the
//! latest case states, whatever holds them ([`Source`]: the database, or the
//! in-memory recompute).

use crate::fold::HANDLING_BUCKETS;
use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveTime, Utc};
use complaints_proto::v1::{
    CaseItem, CountRow, DepartmentRow, Figure, HotTopic, Rates, Report, ReportPeriod,
};
use mesh_kit::network::Network;
use std::collections::HashMap;
use std::future::Future;

/// Summed cube cells: (department, dimension, key) → value.
pub type Agg = HashMap<(String, String, String), i64>;

/// A case for the lists of a report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseRow {
    pub case_number: String,
    pub department: String,
    pub category: String,
    pub severity: String,
    pub summary: String,
    pub state: String,
    pub due_at: Option<DateTime<Utc>>,
    pub alert_stage: String,
    pub alert_level: i32,
    pub reopen_count: i32,
    pub received_at: DateTime<Utc>,
    /// Ever escalated (for typical cases), whatever happened after.
    pub was_escalated: bool,
}

/// Where a report's numbers come from. `scope` is the departments to count
/// (`None`: everything).
pub trait Source {
    fn sum(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        scope: Option<&[String]>,
    ) -> impl Future<Output = anyhow::Result<Agg>> + Send;
    /// Open cases now overdue, most overdue first.
    fn overdue(
        &self,
        scope: Option<&[String]>,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<CaseRow>>> + Send;
    /// Cases received in `[from, to)` that are major, escalated or reopened.
    fn typical(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<&[String]>,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<CaseRow>>> + Send;
}

/// A request that cannot be answered as asked.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Source(#[from] anyhow::Error),
}

/// The first and last day of the period holding `date`. A period that
/// runs past either end of chrono's calendar (a date a request may name)
/// ends there.
pub fn period_range(period: ReportPeriod, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_of = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(date);
    // The day before the next period starts: the last day chrono knows
    // when that period would start after it.
    let last_before = |y, m| {
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|next| next.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    };
    match period {
        ReportPeriod::Weekly | ReportPeriod::Unspecified => {
            let monday = Days::new(date.weekday().num_days_from_monday().into());
            let from = date.checked_sub_days(monday).unwrap_or(NaiveDate::MIN);
            let to = from
                .checked_add_days(Days::new(6))
                .unwrap_or(NaiveDate::MAX);
            (from, to)
        }
        ReportPeriod::Monthly => {
            let from = first_of(date.year(), date.month());
            let to = if date.month() == 12 {
                last_before(date.year() + 1, 1)
            } else {
                last_before(date.year(), date.month() + 1)
            };
            (from, to)
        }
        ReportPeriod::Quarterly => {
            let first = (date.month0() / 3) * 3 + 1;
            let from = first_of(date.year(), first);
            let to = if first == 10 {
                last_before(date.year() + 1, 1)
            } else {
                last_before(date.year(), first + 3)
            };
            (from, to)
        }
        ReportPeriod::Annual => (
            first_of(date.year(), 1),
            NaiveDate::from_ymd_opt(date.year(), 12, 31).unwrap_or(date),
        ),
    }
}

/// The period before the one starting at `from`. Nothing lies before
/// chrono's first day: the first period stands for the one before it.
pub fn previous(period: ReportPeriod, from: NaiveDate) -> (NaiveDate, NaiveDate) {
    period_range(period, from.pred_opt().unwrap_or(from))
}

/// The last period that has ended by `today`.
pub fn last_complete(period: ReportPeriod, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let (from, _) = period_range(period, today);
    previous(period, from)
}

/// The departments of `code`'s subtree, in tree order.
pub fn subtree(network: &Network, code: &str) -> Vec<String> {
    let mut out = vec![code.to_owned()];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i].clone();
        let mut children: Vec<String> = network
            .departments()
            .filter(|d| d.parent.as_deref() == Some(parent.as_str()))
            .map(|d| d.code.clone())
            .collect();
        children.sort();
        // Depth-first: children right after their parent.
        for (k, child) in children.into_iter().enumerate() {
            out.insert(i + 1 + k, child);
        }
        i += 1;
    }
    out
}

/// An aggregate summed over departments: (dimension, key) → count.
fn by_key(agg: &Agg) -> HashMap<(&str, &str), i64> {
    let mut sums = HashMap::new();
    for ((_, dimension, key), v) in agg {
        *sums.entry((dimension.as_str(), key.as_str())).or_default() += v;
    }
    sums
}

fn ratio(num: i64, den: i64) -> f64 {
    if den <= 0 {
        0.0
    } else {
        (num as f64 / den as f64 * 10_000.0).round() / 10_000.0
    }
}

fn local_midnight(day: NaiveDate, offset: FixedOffset) -> DateTime<Utc> {
    mesh_kit::time::from_local(day.and_time(NaiveTime::MIN), offset)
}

fn item(c: &CaseRow, note: String) -> CaseItem {
    CaseItem {
        case_number: c.case_number.clone(),
        department: c.department.clone(),
        category: c.category.clone(),
        severity: c.severity.clone(),
        note,
        due_at: c.due_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
        summary: c.summary.clone(),
    }
}

/// The figures of a report, in order.
pub const FIGURES: [&str; 18] = [
    "registered",
    "not_accepted",
    "routed",
    "concluded",
    "on_time",
    "overdue",
    "escalated",
    "callbacks",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "reopened",
    "returned",
    "withdrawn",
    "reviews",
    "second_complaints",
    "incident_members",
    "merged",
];

/// Builds the report of `period` holding `date` for `department`'s subtree
/// (`None`: the centre, everything).
pub async fn build<S: Source>(
    source: &S,
    network: &Network,
    period: ReportPeriod,
    date: NaiveDate,
    department: Option<&str>,
) -> Result<Report, ReportError> {
    let offset = network.offset;
    let root = match department {
        Some(code) => {
            if network.department(code).is_none() {
                return Err(ReportError::Invalid(format!(
                    "department: {code:?} is not in the network"
                )));
            }
            code.to_owned()
        }
        None => network.centre().code.clone(),
    };
    let in_scope = subtree(network, &root);
    // The centre sees everything, also what has no department yet.
    let scope: Option<&[String]> = department.map(|_| in_scope.as_slice());
    let (from, to) = period_range(period, date);
    let (prev_from, prev_to) = previous(period, from);
    let now = source.sum(from, to, scope).await?;
    let before = source.sum(prev_from, prev_to, scope).await?;

    // Summed over departments once: (dimension, key) → count.
    let (now_by_key, before_by_key) = (by_key(&now), by_key(&before));
    let total = |sums: &HashMap<(&str, &str), i64>, dimension: &str, key: &str| -> i64 {
        sums.get(&(dimension, key)).copied().unwrap_or(0)
    };
    let metric = |key: &str| total(&now_by_key, "metric", key);
    let registered = if department.is_some() {
        total(&now_by_key, "total", "routed")
    } else {
        total(&now_by_key, "total", "registered")
    };
    let figures: Vec<Figure> = FIGURES
        .iter()
        .map(|name| {
            let value = match *name {
                "registered" => registered,
                "routed" => total(&now_by_key, "total", "routed"),
                "not_accepted" => total(&now_by_key, "total", "not_accepted"),
                other => metric(other),
            };
            Figure {
                name: (*name).into(),
                value: value.max(0) as u64,
            }
        })
        .collect();
    let concluded = metric("concluded");
    let callbacks = metric("callbacks");
    // Handling time: the mean from the sum, the 90th percentile from the
    // histogram's bucket bounds.
    let mut buckets: Vec<(f64, i64)> = HANDLING_BUCKETS
        .iter()
        .map(|b| (*b, total(&now_by_key, "handling", &format!("le_{b}"))))
        .collect();
    buckets.push((f64::INFINITY, total(&now_by_key, "handling", "gt_720")));
    let counted: i64 = buckets.iter().map(|(_, n)| n).sum();
    let mut running = 0;
    let mut p90 = 0.0;
    for (bound, n) in &buckets {
        running += n;
        if counted > 0 && running as f64 >= 0.9 * counted as f64 {
            p90 = if bound.is_finite() { *bound } else { 721.0 };
            break;
        }
    }
    let rates = Rates {
        acceptance_rate: ratio(total(&now_by_key, "total", "routed"), registered),
        on_time_rate: ratio(metric("on_time"), concluded),
        callback_rate: ratio(callbacks, concluded),
        satisfaction_rate: ratio(
            metric("satisfied") + metric("basically_satisfied"),
            callbacks,
        ),
        repeat_rate: ratio(metric("reopened"), concluded),
        mean_handling_hours: if concluded > 0 {
            ((metric("handling_seconds") as f64 / concluded as f64 / 3600.0) * 100.0).round()
                / 100.0
        } else {
            0.0
        },
        p90_handling_hours: p90,
    };

    // Counts by dimension, largest first.
    let mut counts: Vec<CountRow> = now_by_key
        .iter()
        .filter(|((d, _), _)| matches!(*d, "channel" | "category" | "kind" | "region" | "severity"))
        .map(|((dimension, key), v)| CountRow {
            dimension: (*dimension).to_owned(),
            key: (*key).to_owned(),
            count: (*v).max(0) as u64,
            day: String::new(),
        })
        .collect();
    counts.sort_by(|a, b| {
        a.dimension
            .cmp(&b.dimension)
            .then(b.count.cmp(&a.count))
            .then(a.key.cmp(&b.key))
    });

    // Departments in tree order, with subtree totals.
    let own = |dept: &str, dimension: &str, key: &str| -> i64 {
        now.get(&(dept.to_owned(), dimension.to_owned(), key.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    // Subtree totals in one pass from the leaves up: in tree order every
    // department comes after its parent, so backwards its children come
    // first.
    let mut subtree_cases: HashMap<&str, i64> = HashMap::new();
    for code in in_scope.iter().rev() {
        let sum = own(code, "total", "routed") + subtree_cases.get(code.as_str()).unwrap_or(&0);
        subtree_cases.insert(code, sum);
        if *code != root {
            if let Some(parent) = network.department(code).and_then(|d| d.parent.as_deref()) {
                *subtree_cases.entry(parent).or_default() += sum;
            }
        }
    }
    let departments: Vec<DepartmentRow> = in_scope
        .iter()
        .filter_map(|code| network.department(code))
        .map(|d| {
            let subtree_cases = subtree_cases.get(d.code.as_str()).copied().unwrap_or(0);
            DepartmentRow {
                code: d.code.clone(),
                name: d.name.clone(),
                tier: d.tier,
                parent: d.parent.clone().unwrap_or_default(),
                cases: own(&d.code, "total", "routed").max(0) as u64,
                subtree_cases: subtree_cases.max(0) as u64,
                concluded: own(&d.code, "metric", "concluded").max(0) as u64,
                on_time: own(&d.code, "metric", "on_time").max(0) as u64,
                overdue: own(&d.code, "metric", "overdue").max(0) as u64,
                returned: own(&d.code, "metric", "returned").max(0) as u64,
                reopened: own(&d.code, "metric", "reopened").max(0) as u64,
            }
        })
        .collect();

    // Hot topics: categories and regions with more cases than the period
    // before, the biggest rise first (at most five of each).
    let mut hot_topics = Vec::new();
    for dimension in ["category", "region"] {
        let keys: std::collections::BTreeSet<&str> = now_by_key
            .keys()
            .chain(before_by_key.keys())
            .filter(|(d, _)| *d == dimension)
            .map(|(_, k)| *k)
            .collect();
        let mut rising: Vec<HotTopic> = keys
            .into_iter()
            .map(|key| HotTopic {
                dimension: dimension.into(),
                count: total(&now_by_key, dimension, key).max(0) as u64,
                previous: total(&before_by_key, dimension, key).max(0) as u64,
                key: key.to_owned(),
            })
            .filter(|t| t.count > t.previous)
            .collect();
        rising.sort_by(|a, b| {
            (b.count - b.previous)
                .cmp(&(a.count - a.previous))
                .then(a.key.cmp(&b.key))
        });
        hot_topics.extend(rising.into_iter().take(5));
    }

    let overdue_cases = source
        .overdue(scope, 50)
        .await?
        .iter()
        .map(|c| {
            let note = if c.alert_stage == "escalated" {
                format!("escalated (level {})", c.alert_level)
            } else {
                "overdue".into()
            };
            item(c, note)
        })
        .collect();
    let typical_cases = source
        .typical(
            local_midnight(from, offset),
            // The end of the last day: the end of time for chrono's last.
            to.succ_opt().map_or(DateTime::<Utc>::MAX_UTC, |next| {
                local_midnight(next, offset)
            }),
            scope,
            10,
        )
        .await?
        .iter()
        .map(|c| {
            let mut why = Vec::new();
            if c.severity == "major" {
                why.push("major".to_owned());
            }
            if c.was_escalated {
                why.push("escalated".to_owned());
            }
            if c.reopen_count > 0 {
                why.push("reopened".to_owned());
            }
            item(c, why.join(", "))
        })
        .collect();

    Ok(Report {
        period: period as i32,
        from_day: from.to_string(),
        to_day: to.to_string(),
        department: department.unwrap_or_default().to_owned(),
        department_name: network
            .department(&root)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        figures,
        rates: Some(rates),
        counts,
        departments,
        hot_topics,
        overdue_cases,
        typical_cases,
        previous_from_day: prev_from.to_string(),
        previous_to_day: prev_to.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn periods_at_the_ends_of_the_calendar_end_there() {
        // Found by running the report_dates target on the first and last
        // days chrono parses, "+262142-12-31" and "-262143-01-01" (as
        // GetReport's date accepted them; now its seeds): the week holding
        // the last day
        // and the period before the first day overflowed and panicked, and
        // the month and quarter holding the last day ended a day early.
        let (first, last) = (NaiveDate::MIN, NaiveDate::MAX);
        for period in [
            ReportPeriod::Weekly,
            ReportPeriod::Monthly,
            ReportPeriod::Quarterly,
            ReportPeriod::Annual,
        ] {
            let (from, to) = period_range(period, last);
            assert_eq!(to, last, "{period:?}");
            assert!(from <= to);
            let (from, to) = period_range(period, first);
            assert!(from == first && to > first, "{period:?}");
            assert_eq!(previous(period, from), (from, to), "{period:?}");
        }
    }

    #[test]
    fn periods() {
        assert_eq!(
            period_range(ReportPeriod::Weekly, d("2026-11-22")),
            (d("2026-11-16"), d("2026-11-22"))
        );
        assert_eq!(
            period_range(ReportPeriod::Monthly, d("2026-02-10")),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!(
            period_range(ReportPeriod::Monthly, d("2026-12-31")),
            (d("2026-12-01"), d("2026-12-31"))
        );
        assert_eq!(
            period_range(ReportPeriod::Quarterly, d("2026-11-22")),
            (d("2026-10-01"), d("2026-12-31"))
        );
        assert_eq!(
            period_range(ReportPeriod::Quarterly, d("2026-02-01")),
            (d("2026-01-01"), d("2026-03-31"))
        );
        assert_eq!(
            period_range(ReportPeriod::Annual, d("2026-11-22")),
            (d("2026-01-01"), d("2026-12-31"))
        );
        assert_eq!(
            previous(ReportPeriod::Monthly, d("2026-01-01")),
            (d("2025-12-01"), d("2025-12-31"))
        );
        assert_eq!(
            last_complete(ReportPeriod::Weekly, d("2026-11-22")),
            (d("2026-11-09"), d("2026-11-15"))
        );
        assert_eq!(
            last_complete(ReportPeriod::Monthly, d("2026-11-22")),
            (d("2026-10-01"), d("2026-10-31"))
        );
    }

    #[test]
    fn subtrees_are_in_tree_order() {
        let net = Network::load(
            &std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../deploy/network/sample-city.toml"),
        )
        .expect("network");
        let east = subtree(&net, "east-office");
        assert_eq!(east[0], "east-office");
        let heat = east
            .iter()
            .position(|c| c == "east-heat")
            .expect("east-heat");
        assert_eq!(east[heat + 1], "east-heat-s1");
        assert!(!east.contains(&"west-heat".to_owned()));
        assert_eq!(subtree(&net, "centre").len(), net.departments().count());
    }

    #[test]
    fn ratios_round_and_survive_zero() {
        assert_eq!(ratio(2, 3), 0.6667);
        assert_eq!(ratio(1, 0), 0.0);
    }
}
