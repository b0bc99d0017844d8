//! Counting: which dimensions each event adds to, and the rollup table.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

/// The dimensions cases are counted by.
pub const DIMENSIONS: [&str; 9] = [
    "total",
    "channel",
    "category",
    "kind",
    "region",
    "severity",
    "department",
    // Cases whose conclusion deadline passed, by handling department.
    "overdue",
    // Escalations of late cases, by the department they reached.
    "escalated",
];

/// The local day of an instant.
pub fn local_day(at: DateTime<Utc>, offset: FixedOffset) -> NaiveDate {
    at.with_timezone(&offset).date_naive()
}

/// Adds one to the count of `key` in `dimension` on `day`.
pub async fn bump(
    tx: &mut PgConnection,
    day: NaiveDate,
    dimension: &str,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO daily_counts (day, dimension, key, count) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (day, dimension, key) DO UPDATE SET count = daily_counts.count + 1",
    )
    .bind(day)
    .bind(dimension)
    .bind(key)
    .execute(tx)
    .await?;
    Ok(())
}

/// One count of a report.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Count {
    /// Set when counted per day.
    pub day: Option<NaiveDate>,
    pub dimension: String,
    pub key: String,
    pub count: i64,
}

/// Counts over `from..=to` for the given dimensions, summed over the range
/// or (`by_day`) per day; largest first within each dimension (and day).
pub async fn sum(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    dimensions: &[String],
    by_day: bool,
) -> Result<Vec<Count>, sqlx::Error> {
    let sql = if by_day {
        "SELECT day, dimension, key, count FROM daily_counts \
         WHERE day BETWEEN $1 AND $2 AND dimension = ANY($3) \
         ORDER BY day, dimension, count DESC, key"
    } else {
        "SELECT NULL::DATE AS day, dimension, key, SUM(count)::BIGINT AS count FROM daily_counts \
         WHERE day BETWEEN $1 AND $2 AND dimension = ANY($3) \
         GROUP BY dimension, key ORDER BY dimension, count DESC, key"
    };
    sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .bind(dimensions)
        .fetch_all(pool)
        .await
}
