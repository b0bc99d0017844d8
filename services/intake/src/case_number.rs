//! Case numbers (案件编号) and query codes (查询码).
//!
//! A case number is `YYYY-MM-NNNNNN`: the month of receipt in the
//! jurisdiction's local time and a counter that starts again each month,
//! drawn from a Postgres sequence per month (`case_seq_YYYYMM`). Sequences
//! never block concurrent submissions; a rolled-back submission leaves a gap,
//! which is allowed.

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use rand::Rng;
use sqlx::{PgConnection, PgPool};

/// The month key and printed prefix for an instant, e.g. (`202611`, `2026-11`).
pub fn month_of(at: DateTime<Utc>, offset: FixedOffset) -> (String, String) {
    let local = at.with_timezone(&offset);
    (
        format!("{:04}{:02}", local.year(), local.month()),
        format!("{:04}-{:02}", local.year(), local.month()),
    )
}

/// Formats a case number; the counter has at least six digits.
pub fn format(prefix: &str, counter: i64) -> String {
    format!("{prefix}-{counter:06}")
}

pub use complaints_proto::is_case_number;

/// Draws the next case number for the month of `received_at`. Runs on
/// its own (auto-committed) statements, outside the case's transaction: a
/// sequence is not transactional anyway, and an error here must not abort
/// the caller's transaction.
pub async fn next(
    pool: &PgPool,
    received_at: DateTime<Utc>,
    offset: FixedOffset,
) -> Result<String, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    draw(&mut conn, received_at, offset, 1)
        .await?
        .into_iter()
        .next()
        .ok_or(sqlx::Error::RowNotFound)
}

/// Draws `n` case numbers for the month of `received_at` with one
/// statement, in ascending order, creating the month's sequence if it does
/// not exist yet. Like [`next`], on `conn` outside any transaction.
pub async fn draw(
    conn: &mut PgConnection,
    received_at: DateTime<Utc>,
    offset: FixedOffset,
    n: usize,
) -> Result<Vec<String>, sqlx::Error> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let (key, prefix) = month_of(received_at, offset);
    // The name is built from digits only (month_of), so it is safe to splice.
    let sequence = format!("case_seq_{key}");
    let nextval = format!("SELECT nextval('{sequence}') FROM generate_series(1, $1)");
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    let mut counters: Vec<i64> = match sqlx::query_scalar(sqlx::AssertSqlSafe(nextval.clone()))
        .bind(n)
        .fetch_all(&mut *conn)
        .await
    {
        Ok(counters) => counters,
        // 42P01: the month's sequence does not exist yet.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P01") => {
            let create = format!("CREATE SEQUENCE IF NOT EXISTS {sequence}");
            match sqlx::query(sqlx::AssertSqlSafe(create))
                .execute(&mut *conn)
                .await
            {
                Ok(_) => {}
                // A concurrent creator won the race; the sequence exists.
                Err(sqlx::Error::Database(db))
                    if matches!(db.code().as_deref(), Some("23505" | "42P07")) => {}
                Err(err) => return Err(err),
            }
            sqlx::query_scalar(sqlx::AssertSqlSafe(nextval))
                .bind(n)
                .fetch_all(&mut *conn)
                .await?
        }
        Err(err) => return Err(err),
    };
    counters.sort_unstable();
    Ok(counters.into_iter().map(|c| format(&prefix, c)).collect())
}

/// Characters of a query code: no 0/O, 1/I/L, so it reads well on the phone.
const QUERY_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A fresh 8-character query code.
pub fn new_query_code() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| QUERY_ALPHABET[rng.random_range(0..QUERY_ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn month_is_taken_in_local_time() {
        let beijing = FixedOffset::east_opt(8 * 3600).expect("offset");
        // 2026-11-30 17:00 UTC is already 1 December in Beijing.
        let at = Utc
            .with_ymd_and_hms(2026, 11, 30, 17, 0, 0)
            .single()
            .expect("time");
        assert_eq!(month_of(at, beijing), ("202612".into(), "2026-12".into()));
    }

    #[test]
    fn numbers_are_padded_and_recognised() {
        assert_eq!(format("2026-11", 123), "2026-11-000123");
        assert_eq!(format("2026-11", 1234567), "2026-11-1234567");
        assert!(is_case_number("2026-11-000123"));
        assert!(!is_case_number("2026-11-123"));
        assert!(!is_case_number("2026-1-000123"));
        assert!(!is_case_number("abc"));
    }

    #[test]
    fn query_codes_use_the_readable_alphabet() {
        let code = new_query_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| QUERY_ALPHABET.contains(&b)));
    }
}
