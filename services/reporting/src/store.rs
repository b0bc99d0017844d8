//! The rollups in Postgres: applying folded events, and reading them back
//! for reports ([`Db`] is a report [`Source`]).

use crate::fold::{CaseChange, Folded, Increment};
use crate::report::{Agg, CaseRow, Source};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;

/// Adds the increments of one event, merged per cell (a statement may not
/// update the same row twice).
async fn add(tx: &mut PgConnection, increments: &[Increment]) -> Result<(), sqlx::Error> {
    let mut merged: HashMap<(NaiveDate, &str, &str, &str), i64> = HashMap::new();
    for i in increments {
        *merged
            .entry((i.day, i.department.as_str(), i.dimension, i.key.as_str()))
            .or_default() += i.value;
    }
    let (mut days, mut departments, mut dimensions, mut keys, mut values) =
        (vec![], vec![], vec![], vec![], vec![]);
    for ((day, department, dimension, key), value) in merged {
        days.push(day);
        departments.push(department.to_owned());
        dimensions.push(dimension.to_owned());
        keys.push(key.to_owned());
        values.push(value);
    }
    let months: Vec<NaiveDate> = days.iter().map(|d| d.with_day(1).unwrap_or(*d)).collect();
    sqlx::query(
        "INSERT INTO cube (day, department, dimension, key, value) \
         SELECT * FROM UNNEST($1::date[], $2::text[], $3::text[], $4::text[], $5::int8[]) \
         ON CONFLICT (day, department, dimension, key) DO UPDATE SET value = cube.value + EXCLUDED.value",
    )
    .bind(days)
    .bind(&departments)
    .bind(&dimensions)
    .bind(&keys)
    .bind(&values)
    .execute(&mut *tx)
    .await?;
    // The same cells in the month cube: one event's cells lie in one month.
    sqlx::query(
        "INSERT INTO cube_month (month, department, dimension, key, value) \
         SELECT * FROM UNNEST($1::date[], $2::text[], $3::text[], $4::text[], $5::int8[]) \
         ON CONFLICT (month, department, dimension, key) DO UPDATE SET value = cube_month.value + EXCLUDED.value",
    )
    .bind(months)
    .bind(departments)
    .bind(dimensions)
    .bind(keys)
    .bind(values)
    .execute(tx)
    .await?;
    Ok(())
}

/// Applies one folded event inside the consumer's transaction.
pub async fn apply(tx: &mut PgConnection, f: &Folded) -> Result<(), sqlx::Error> {
    if !f.increments.is_empty() {
        add(tx, &f.increments).await?;
    }
    let Some((case_id, number, received_at, change)) = &f.case else {
        return Ok(());
    };
    // Every change can be the first one seen for a case: insert, then update.
    sqlx::query(
        "INSERT INTO case_state (case_id, case_number, received_at) VALUES ($1, $2, $3) ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(case_id)
    .bind(number)
    .bind(received_at)
    .execute(&mut *tx)
    .await?;
    match change {
        CaseChange::Registered { summary } => {
            sqlx::query("UPDATE case_state SET summary = $2 WHERE case_id = $1")
                .bind(case_id)
                .bind(summary)
                .execute(&mut *tx)
                .await?;
        }
        CaseChange::Routed {
            department,
            category,
            region,
            severity,
        } => {
            sqlx::query(
                "UPDATE case_state SET category = $2, region = $3, severity = $4, \
                 department = CASE WHEN revision = 0 THEN $5 ELSE department END WHERE case_id = $1",
            )
            .bind(case_id)
            .bind(category)
            .bind(region)
            .bind(severity)
            .bind(department)
            .execute(&mut *tx)
            .await?;
        }
        CaseChange::Order {
            state,
            department,
            due_at,
            reopen_count,
            revision,
        } => {
            sqlx::query(
                "UPDATE case_state SET state = $2, department = $3, due_at = $4, \
                 reopen_count = reopen_count + $5, revision = $6 WHERE case_id = $1 AND revision < $6",
            )
            .bind(case_id)
            .bind(state)
            .bind(department)
            .bind(due_at)
            .bind(reopen_count.unwrap_or(0))
            .bind(revision)
            .execute(&mut *tx)
            .await?;
        }
        CaseChange::Alert {
            stage,
            level,
            due_at,
        } => {
            sqlx::query(
                "UPDATE case_state SET alert_due_at = $2, alert_stage = $3, alert_level = $4, \
                 was_escalated = was_escalated OR $3 = 'escalated' WHERE case_id = $1",
            )
            .bind(case_id)
            .bind(due_at)
            .bind(stage)
            .bind(level)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// The rollups in Postgres, as a report source.
#[derive(Clone)]
pub struct Db {
    pub pool: PgPool,
}

const CASE_COLUMNS: &str = "case_number, department, category, severity, summary, state, due_at, \
     CASE WHEN alert_due_at = due_at THEN alert_stage ELSE '' END AS alert_stage, alert_level, reopen_count, \
     received_at, was_escalated";

impl Source for Db {
    async fn sum(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        scope: Option<&[String]>,
    ) -> anyhow::Result<Agg> {
        // Whole months (monthly, quarterly, annual reports) come from the
        // month cube, ~30 times fewer rows; other ranges from the daily one.
        let whole_months = from.day() == 1 && (to + chrono::Duration::days(1)).day() == 1;
        let sql = if whole_months {
            "SELECT department, dimension, key, SUM(value)::BIGINT FROM cube_month \
             WHERE month BETWEEN $1 AND $2 AND ($3::text[] IS NULL OR department = ANY($3)) \
             GROUP BY department, dimension, key"
        } else {
            "SELECT department, dimension, key, SUM(value)::BIGINT FROM cube \
             WHERE day BETWEEN $1 AND $2 AND ($3::text[] IS NULL OR department = ANY($3)) \
             GROUP BY department, dimension, key"
        };
        let rows: Vec<(String, String, String, i64)> = sqlx::query_as(sql)
            .bind(from)
            .bind(to)
            .bind(scope)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(d, dim, k, v)| ((d, dim, k), v))
            .collect())
    }

    async fn overdue(
        &self,
        scope: Option<&[String]>,
        limit: usize,
    ) -> anyhow::Result<Vec<CaseRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CASE_COLUMNS} FROM case_state WHERE alert_stage IN ('overdue', 'escalated') \
             AND state IN ('queued', 'in_progress', 'returned', 'suspended') AND alert_due_at = due_at \
             AND ($1::text[] IS NULL OR department = ANY($1)) ORDER BY due_at, case_number LIMIT $2"
        )))
        .bind(scope)
        .bind(i64::try_from(limit)?)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn typical(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        scope: Option<&[String]>,
        limit: usize,
    ) -> anyhow::Result<Vec<CaseRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {CASE_COLUMNS} FROM case_state WHERE received_at >= $1 AND received_at < $2 \
             AND (severity = 'major' OR reopen_count > 0 OR was_escalated) \
             AND ($3::text[] IS NULL OR department = ANY($3)) ORDER BY received_at, case_number LIMIT $4"
        )))
        .bind(from)
        .bind(to)
        .bind(scope)
        .bind(i64::try_from(limit)?)
        .fetch_all(&self.pool)
        .await?)
    }
}
