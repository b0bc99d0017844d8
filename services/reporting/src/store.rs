//! The rollups in Postgres: applying folded events, and reading them back
//! for reports ([`Db`] is a report [`Source`]).

use crate::fold::{CaseChange, CaseState, Folded, Increment};
use crate::report::{Agg, CaseRow, Source};
use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Cube cells summed: (day or month, department, dimension, key) → value,
/// in key order.
type Cells<'a> = BTreeMap<(NaiveDate, &'a str, &'a str, &'a str), i64>;

/// Adds increments to the daily and the month cube, one statement each,
/// summed per cell (a statement may not update the same row twice). Cells
/// are written in key order, so that transactions adding to the same cells
/// lock them in the same order and wait for each other rather than
/// deadlock.
async fn add<'a>(
    tx: &mut PgConnection,
    increments: impl IntoIterator<Item = &'a Increment>,
) -> anyhow::Result<()> {
    let (mut days, mut months) = (Cells::new(), Cells::new());
    for i in increments {
        let month = i.day.with_day(1).unwrap_or(i.day);
        for (cells, date) in [(&mut days, i.day), (&mut months, month)] {
            let cell = cells
                .entry((date, &i.department, i.dimension, &i.key))
                .or_default();
            *cell = cell
                .checked_add(i.value)
                .context("a cube cell's increments overflow")?;
        }
    }
    if days.is_empty() {
        return Ok(());
    }
    upsert_cells(
        tx,
        "INSERT INTO cube (day, department, dimension, key, value) \
         SELECT * FROM UNNEST($1::date[], $2::text[], $3::text[], $4::text[], $5::int8[]) \
         ON CONFLICT (day, department, dimension, key) DO UPDATE SET value = cube.value + EXCLUDED.value",
        days,
    )
    .await?;
    upsert_cells(
        tx,
        "INSERT INTO cube_month (month, department, dimension, key, value) \
         SELECT * FROM UNNEST($1::date[], $2::text[], $3::text[], $4::text[], $5::int8[]) \
         ON CONFLICT (month, department, dimension, key) DO UPDATE SET value = cube_month.value + EXCLUDED.value",
        months,
    )
    .await?;
    Ok(())
}

/// Runs one of [`add`]'s statements on summed cells.
async fn upsert_cells(
    tx: &mut PgConnection,
    sql: &'static str,
    cells: Cells<'_>,
) -> Result<(), sqlx::Error> {
    let (mut dates, mut departments, mut dimensions, mut keys, mut values) =
        (vec![], vec![], vec![], vec![], vec![]);
    for ((date, department, dimension, key), value) in cells {
        dates.push(date);
        departments.push(department);
        dimensions.push(dimension);
        keys.push(key);
        values.push(value);
    }
    sqlx::query(sql)
        .bind(dates)
        .bind(departments)
        .bind(dimensions)
        .bind(keys)
        .bind(values)
        .execute(tx)
        .await?;
    Ok(())
}

/// Applies one folded event inside the consumer's transaction: up to two
/// statements for the cube and two for the case.
pub async fn apply(tx: &mut PgConnection, f: &Folded) -> anyhow::Result<()> {
    add(tx, &f.increments).await?;
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

/// The columns of a case's state, in [`CaseState`]'s order.
const STATE_COLUMNS: &str = "case_number, received_at, department, category, region, severity, \
     summary, state, due_at, alert_due_at, alert_stage, alert_level, was_escalated, reopen_count, revision";

/// A stored case state with its id.
#[derive(sqlx::FromRow)]
struct StoredCase {
    case_id: Uuid,
    #[sqlx(flatten)]
    state: CaseState,
}

/// Applies the folded events of a batch, in stream order, with the effect
/// of [`apply`] on each in turn, in at most five statements whatever the
/// batch's size:
/// - the cube and the month cube, each cell's increments summed over the
///   batch ([`add`]);
/// - the cases: the new ones inserted and all of them locked, their stored
///   rows read, each case's changes folded in memory in stream order by the
///   rules of [`CaseState::apply`], and the rows that changed written back.
///
/// Cells and cases are locked in key order, so batches of other consumers
/// touching the same ones wait rather than deadlock.
pub async fn apply_all(tx: &mut PgConnection, folds: &[Folded]) -> anyhow::Result<()> {
    add(tx, folds.iter().flat_map(|f| &f.increments)).await?;
    // Each case's changes in stream order; its first event names and dates
    // it if it is new, as the first `apply` would have inserted it.
    let mut cases: BTreeMap<Uuid, (&str, DateTime<Utc>, Vec<&CaseChange>)> = BTreeMap::new();
    for (case_id, number, received_at, change) in folds.iter().filter_map(|f| f.case.as_ref()) {
        cases
            .entry(*case_id)
            .or_insert_with(|| (number.as_str(), *received_at, Vec::new()))
            .2
            .push(change);
    }
    if cases.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = cases.keys().copied().collect();
    let numbers: Vec<&str> = cases.values().map(|(number, _, _)| *number).collect();
    let received: Vec<DateTime<Utc>> = cases.values().map(|(_, at, _)| *at).collect();
    // An update whose condition is false changes nothing, but still locks
    // the existing row: every case of the batch is locked from here on.
    sqlx::query(
        "INSERT INTO case_state (case_id, case_number, received_at) \
         SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[]) \
         ON CONFLICT (case_id) DO UPDATE SET case_id = EXCLUDED.case_id WHERE false",
    )
    .bind(&ids)
    .bind(numbers)
    .bind(received)
    .execute(&mut *tx)
    .await?;
    // Under the lock, a new statement sees the latest committed rows.
    let stored: Vec<StoredCase> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT case_id, {STATE_COLUMNS} FROM case_state WHERE case_id = ANY($1)"
    )))
    .bind(&ids)
    // Unprepared, like the UPDATE below: planned with the batch's ids in
    // hand. A prepared plan is fixed while the table is small and goes on
    // scanning it whole as it grows.
    .persistent(false)
    .fetch_all(&mut *tx)
    .await?;
    anyhow::ensure!(
        stored.len() == ids.len(),
        "{} of the batch's {} cases were not found after inserting them",
        ids.len() - stored.len(),
        ids.len()
    );
    let mut changed: Vec<(Uuid, CaseState)> = Vec::with_capacity(stored.len());
    for StoredCase { case_id, state } in stored {
        let Some((_, _, changes)) = cases.get(&case_id) else {
            anyhow::bail!("case {case_id} was read back but is not in the batch");
        };
        let mut next = state.clone();
        for change in changes {
            next.apply(change);
        }
        if next != state {
            changed.push((case_id, next));
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let mut c = Columns::default();
    for (case_id, s) in changed {
        c.case_id.push(case_id);
        c.department.push(s.department);
        c.category.push(s.category);
        c.region.push(s.region);
        c.severity.push(s.severity);
        c.summary.push(s.summary);
        c.state.push(s.state);
        c.due_at.push(s.due_at);
        c.alert_due_at.push(s.alert_due_at);
        c.alert_stage.push(s.alert_stage);
        c.alert_level.push(s.alert_level);
        c.was_escalated.push(s.was_escalated);
        c.reopen_count.push(s.reopen_count);
        c.revision.push(s.revision);
    }
    sqlx::query(
        "UPDATE case_state AS c SET department = u.department, category = u.category, region = u.region, \
         severity = u.severity, summary = u.summary, state = u.state, due_at = u.due_at, \
         alert_due_at = u.alert_due_at, alert_stage = u.alert_stage, alert_level = u.alert_level, \
         was_escalated = u.was_escalated, reopen_count = u.reopen_count, revision = u.revision \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                     $8::timestamptz[], $9::timestamptz[], $10::text[], $11::int4[], $12::bool[], $13::int4[], $14::int8[]) \
           AS u(case_id, department, category, region, severity, summary, state, due_at, alert_due_at, \
                alert_stage, alert_level, was_escalated, reopen_count, revision) \
         WHERE c.case_id = u.case_id",
    )
    .bind(c.case_id)
    .bind(c.department)
    .bind(c.category)
    .bind(c.region)
    .bind(c.severity)
    .bind(c.summary)
    .bind(c.state)
    .bind(c.due_at)
    .bind(c.alert_due_at)
    .bind(c.alert_stage)
    .bind(c.alert_level)
    .bind(c.was_escalated)
    .bind(c.reopen_count)
    .bind(c.revision)
    .persistent(false)
    .execute(tx)
    .await?;
    Ok(())
}

/// The changed case states of a batch, column by column, for `UNNEST`
/// (the case number and receipt time are never changed).
#[derive(Default)]
struct Columns {
    case_id: Vec<Uuid>,
    department: Vec<String>,
    category: Vec<String>,
    region: Vec<String>,
    severity: Vec<String>,
    summary: Vec<String>,
    state: Vec<String>,
    due_at: Vec<Option<DateTime<Utc>>>,
    alert_due_at: Vec<Option<DateTime<Utc>>>,
    alert_stage: Vec<String>,
    alert_level: Vec<i32>,
    was_escalated: Vec<bool>,
    reopen_count: Vec<i32>,
    revision: Vec<i64>,
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
