//! The rollups in memory: the same folds applied to a map, for recomputing
//! a report from the raw streams ([`Memory`] is a report [`Source`]).

use crate::fold::{CaseState, Folded, OPEN};
use crate::report::{Agg, CaseRow, Source};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Default)]
pub struct Memory {
    cube: HashMap<(NaiveDate, String, String, String), i64>,
    cases: HashMap<Uuid, CaseState>,
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
        self.cases
            .entry(*case_id)
            .or_insert_with(|| CaseState::new(number.clone(), *received_at))
            .apply(change);
    }

    /// A case row as the database would give it back: the alert only while
    /// it is about the current deadline.
    fn visible(case: &CaseState) -> CaseRow {
        let current = case.alert_due_at.is_some() && case.alert_due_at == case.due_at;
        CaseRow {
            case_number: case.case_number.clone(),
            department: case.department.clone(),
            category: case.category.clone(),
            severity: case.severity.clone(),
            summary: case.summary.clone(),
            state: case.state.clone(),
            due_at: case.due_at,
            alert_stage: if current {
                case.alert_stage.clone()
            } else {
                String::new()
            },
            alert_level: case.alert_level,
            reopen_count: case.reopen_count,
            received_at: case.received_at,
            was_escalated: case.was_escalated,
        }
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
