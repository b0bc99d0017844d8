//! The rollups in memory: the same folds applied to a map, for recomputing
//! a report from the raw streams ([`Memory`] is a report [`Source`]).

use crate::fold::OPEN;
use crate::fold::{CaseChange, Folded};
use crate::report::{Agg, CaseRow, Source};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Default)]
pub struct Memory {
    cube: HashMap<(NaiveDate, String, String, String), i64>,
    cases: HashMap<Uuid, Case>,
}

#[derive(Clone)]
struct Case {
    row: CaseRow,
    alert_due_at: Option<DateTime<Utc>>,
    revision: i64,
}

impl Memory {
    /// Applies one folded event, as [`crate::store::apply`] does.
    pub fn apply(&mut self, f: &Folded) {
        for i in &f.increments {
            *self
                .cube
                .entry((
                    i.day,
                    i.department.clone(),
                    i.dimension.to_owned(),
                    i.key.clone(),
                ))
                .or_default() += i.value;
        }
        let Some((case_id, number, received_at, change)) = &f.case else {
            return;
        };
        let case = self.cases.entry(*case_id).or_insert_with(|| Case {
            row: CaseRow {
                case_number: number.clone(),
                department: String::new(),
                category: String::new(),
                severity: String::new(),
                summary: String::new(),
                state: "registered".into(),
                due_at: None,
                alert_stage: String::new(),
                alert_level: 0,
                reopen_count: 0,
                received_at: *received_at,
                was_escalated: false,
            },
            alert_due_at: None,
            revision: 0,
        });
        match change {
            CaseChange::Registered { summary } => case.row.summary = summary.clone(),
            CaseChange::Routed {
                department,
                category,
                severity,
                ..
            } => {
                case.row.category = category.clone();
                case.row.severity = severity.clone();
                if case.revision == 0 {
                    case.row.department = department.clone();
                }
            }
            CaseChange::Order {
                state,
                department,
                due_at,
                reopen_count,
                revision,
            } => {
                if case.revision < *revision {
                    case.row.state = state.clone();
                    case.row.department = department.clone();
                    case.row.due_at = *due_at;
                    case.row.reopen_count += reopen_count.unwrap_or(0);
                    case.revision = *revision;
                }
            }
            CaseChange::Alert {
                stage,
                level,
                due_at,
            } => {
                case.alert_due_at = *due_at;
                case.row.alert_stage = stage.clone();
                case.row.alert_level = *level;
                case.row.was_escalated |= stage == "escalated";
            }
        }
    }

    /// A case row as the database would give it back: the alert only while
    /// it is about the current deadline.
    fn visible(case: &Case) -> CaseRow {
        let mut row = case.row.clone();
        if case.alert_due_at.is_none() || case.alert_due_at != row.due_at {
            row.alert_stage.clear();
        }
        row
    }
}

fn in_scope(scope: Option<&[String]>, department: &str) -> bool {
    scope.is_none_or(|s| s.iter().any(|d| d == department))
}

impl Source for Memory {
    async fn sum(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        scope: Option<&[String]>,
    ) -> anyhow::Result<Agg> {
        let mut agg = Agg::new();
        for ((day, dept, dim, key), v) in &self.cube {
            if *day >= from && *day <= to && in_scope(scope, dept) {
                *agg.entry((dept.clone(), dim.clone(), key.clone()))
                    .or_default() += v;
            }
        }
        Ok(agg)
    }

    async fn overdue(
        &self,
        scope: Option<&[String]>,
        limit: usize,
    ) -> anyhow::Result<Vec<CaseRow>> {
        let mut rows: Vec<CaseRow> = self
            .cases
            .values()
            .map(Memory::visible)
            .filter(|r| {
                matches!(r.alert_stage.as_str(), "overdue" | "escalated")
                    && OPEN.contains(&r.state.as_str())
                    && in_scope(scope, &r.department)
            })
            .collect();
        rows.sort_by(|a, b| {
            a.due_at
                .cmp(&b.due_at)
                .then(a.case_number.cmp(&b.case_number))
        });
        rows.truncate(limit);
        Ok(rows)
    }

    async fn typical(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<&[String]>,
        limit: usize,
    ) -> anyhow::Result<Vec<CaseRow>> {
        let mut rows: Vec<CaseRow> = self
            .cases
            .values()
            .map(Memory::visible)
            .filter(|r| {
                r.received_at >= from
                    && r.received_at < to
                    && (r.severity == "major" || r.reopen_count > 0 || r.was_escalated)
                    && in_scope(scope, &r.department)
            })
            .collect();
        rows.sort_by(|a, b| {
            a.received_at
                .cmp(&b.received_at)
                .then(a.case_number.cmp(&b.case_number))
        });
        rows.truncate(limit);
        Ok(rows)
    }
}
