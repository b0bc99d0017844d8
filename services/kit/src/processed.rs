//! Forgetting handled events: `processed_events` without end.
//!
//! A consumer records the id of every event it handles in
//! `processed_events`, in the handler's transaction, so that a delivery
//! of the same event again has no second effect (kit consumer.rs). Kept
//! for ever, that is nine rows per work order across the mesh, about
//! 130 bytes each with the key: over a gigabyte a year for every 2,800
//! complaints a day (docs/operations.md, "What grows").
//!
//! No delivery brings back an event handled long ago: a redelivery
//! follows the ack wait (30 s), a rewind after a broker restart starts
//! at the consumer's ack floor or the re-publish window before it (kit
//! broker.rs), a re-published outbox row is minutes old, and JetStream's
//! duplicate window is ten minutes. So each consumer deletes its rows
//! handled more than [`KEEP_PROCESSED`] ago (a setting), once an hour, a
//! chunk at a time, and records the horizon it deleted up to
//! (`processed_purged`).
//!
//! Two ways back to old events remain, and both know the horizon:
//! - a consumer whose subject filter changed is made again (kit
//!   consumer.rs); it starts at the horizon ([`horizon`]) instead of the
//!   stream's first message, so what it handled before the horizon is not
//!   handled again. Events of subjects the new filter takes in are read
//!   from the horizon on (all of them when nothing was ever purged);
//! - reporting's rebuild empties its own rows and reads every stream
//!   from the start, as before.
//!
//! A dead letter replayed twice, the second time more than
//! [`KEEP_PROCESSED`] after the first, would be handled twice
//! (complaintctl deletes a dead letter once its replay is stored, so this
//! needs complaintctl stopped between the two steps and a second replay
//! a month later).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::time::Duration;

/// How long a consumer keeps the ids of the events it handled, unless the
/// service's settings say otherwise (`MESH__CONSUMER__KEEP_PROCESSED_DAYS`).
pub const KEEP_PROCESSED: Duration = Duration::from_secs(KEEP_PROCESSED_DAYS * 24 * 3600);

/// [`KEEP_PROCESSED`] in days.
pub const KEEP_PROCESSED_DAYS: u64 = 30;

/// How often a consumer forgets what it handled before its horizon. The
/// first purge comes one interval after the consumer starts, so a consumer
/// back from a long stop first handles what was delivered to it before the
/// stop and never acknowledged.
pub const PURGE_EVERY: Duration = Duration::from_secs(3600);

/// Rows deleted per transaction, so that a purge never holds many locks
/// or one long transaction.
const CHUNK: i64 = 10_000;

/// Deletes `consumer`'s rows handled before `now - keep` and records that
/// horizon (never moving it back). The horizon is recorded with the first
/// chunk, so a purge cut short leaves no row deleted past a horizon not
/// recorded. Returns how many rows went.
pub async fn purge(pool: &PgPool, consumer: &str, keep: Duration) -> Result<u64, sqlx::Error> {
    let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
    let before = Utc::now()
        .checked_sub_signed(keep)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    // Without autovacuum the index's newest pages may not be summarised,
    // and an unsummarised range is read whole.
    sqlx::query("SELECT brin_summarize_new_values('processed_events_handled_at')")
        .execute(pool)
        .await?;
    let mut deleted = 0;
    let mut first = true;
    loop {
        let mut tx = pool.begin().await?;
        if first {
            sqlx::query(
                "INSERT INTO processed_purged (consumer, before) VALUES ($1, $2) \
                 ON CONFLICT (consumer) DO UPDATE \
                 SET before = GREATEST(processed_purged.before, EXCLUDED.before)",
            )
            .bind(consumer)
            .bind(before)
            .execute(&mut *tx)
            .await?;
            first = false;
        }
        let n = sqlx::query(
            "DELETE FROM processed_events WHERE ctid = ANY(ARRAY( \
                 SELECT ctid FROM processed_events \
                 WHERE consumer = $1 AND handled_at < $2 LIMIT $3))",
        )
        .bind(consumer)
        .bind(before)
        .bind(CHUNK)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        deleted += n;
        if n < CHUNK as u64 {
            return Ok(deleted);
        }
    }
}

/// The time before which `consumer`'s rows may have been deleted; `None`
/// when none ever were.
pub async fn horizon(pool: &PgPool, consumer: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT before FROM processed_purged WHERE consumer = $1")
        .bind(consumer)
        .fetch_optional(pool)
        .await
}

/// Purges `consumer`'s rows every [`PURGE_EVERY`] until shutdown.
pub async fn keep_forgetting(
    pool: PgPool,
    consumer: &'static str,
    keep: Duration,
    shutdown: crate::Shutdown,
) {
    let mut every =
        tokio::time::interval_at(tokio::time::Instant::now() + PURGE_EVERY, PURGE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        match purge(&pool, consumer, keep).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                consumer,
                rows = n,
                "forgot events handled before the horizon"
            ),
            Err(err) => {
                tracing::warn!(consumer, error = %err, "purging processed_events failed, will retry")
            }
        }
    }
}
