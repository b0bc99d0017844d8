//! The transactional outbox (DESIGN.md "State").
//!
//! A service writes its state change and the event it announces in one
//! Postgres transaction ([`enqueue`]). Each row is written once and never
//! updated: it carries the id of the transaction that wrote it, and the
//! [`Relay`] sends rows in (transaction id, row id) order, as far as the
//! oldest transaction still open in the cluster (its snapshot's xmin), so
//! a transaction that commits late is never passed over (PgQ's way). It
//! publishes them to JetStream with the event id as `Nats-Msg-Id`, waits
//! for every server ack and only then records how far it has sent
//! (`outbox_sent`, one row per batch). A crash between publish and that
//! commit re-publishes the rows later; JetStream's duplicate window drops
//! the copies. Several replicas may run a relay: an advisory lock lets one
//! of them send at a time.
//!
//! A wake lingers ([`RelaySettings::linger`]): the relay waits that long
//! before it reads the outbox, so the commits of that while leave in one
//! batch, with one relay transaction, rather than one each.
//!
//! Sent rows are kept for [`RelaySettings::keep_sent`] before they are
//! deleted, so they can be published again if the broker loses its latest
//! writes: when the relay finds a new broker process, it publishes again
//! the batches it sent in the [`crate::broker::REPUBLISH_WINDOW`] before
//! it last saw the old one alive (kit broker.rs).

use crate::broker::{self, Epochs, Since};
use crate::shutdown::Shutdown;
use async_nats::jetstream::{self, message::PublishMessage};
use futures::FutureExt;
use prost::Message;
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// The relay's position, as a row subquery: the last row of the newest
/// batch it sent. Rows after it, in `(txid, id)` order, are unsent.
macro_rules! position {
    () => {
        "(SELECT upto_txid, upto_id FROM outbox_sent ORDER BY batch DESC LIMIT 1)"
    };
}

/// Errors of the relay; each is retried after a pause.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox query failed: {0}")]
    Db(#[from] sqlx::Error),
    #[error("publishing to JetStream failed: {0}")]
    Publish(#[from] jetstream::context::PublishError),
}

/// Writes an event to the outbox inside the caller's transaction. The
/// current span's trace context goes with it.
pub async fn enqueue(
    tx: &mut PgConnection,
    subject: &str,
    event_id: Uuid,
    event: &impl Message,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (event_id, subject, payload, traceparent) VALUES ($1, $2, $3, $4)",
    )
    .bind(event_id)
    .bind(subject)
    .bind(event.encode_to_vec())
    .bind(crate::telemetry::current_traceparent())
    .execute(tx)
    .await?;
    Ok(())
}

/// One event for [`enqueue_many`].
pub struct Outgoing {
    pub subject: String,
    pub event_id: Uuid,
    pub payload: Vec<u8>,
}

impl Outgoing {
    pub fn new(subject: String, event_id: Uuid, event: &impl Message) -> Self {
        Outgoing {
            subject,
            event_id,
            payload: event.encode_to_vec(),
        }
    }
}

/// Writes many events to the outbox in one statement, inside the caller's
/// transaction, in the given order.
pub async fn enqueue_many(tx: &mut PgConnection, events: Vec<Outgoing>) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let traceparent = crate::telemetry::current_traceparent();
    let mut ids = Vec::with_capacity(events.len());
    let mut subjects = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    for e in events {
        ids.push(e.event_id);
        subjects.push(e.subject);
        payloads.push(e.payload);
    }
    sqlx::query(
        "INSERT INTO outbox (event_id, subject, payload, traceparent) \
         SELECT id, subject, payload, $4 FROM UNNEST($1::uuid[], $2::text[], $3::bytea[]) \
         WITH ORDINALITY AS e(id, subject, payload, n) ORDER BY n",
    )
    .bind(ids)
    .bind(subjects)
    .bind(payloads)
    .bind(traceparent)
    .execute(tx)
    .await?;
    Ok(())
}

/// Writes many events to the outbox in one statement, inside the caller's
/// transaction, in the given order, each with the trace context given with
/// it rather than the current span's: for a transaction that writes on
/// behalf of several callers (intake's group commit), each event stays in
/// its own caller's trace.
pub async fn enqueue_many_traced(
    tx: &mut PgConnection,
    events: Vec<(Outgoing, Option<String>)>,
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(events.len());
    let mut subjects = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    let mut traceparents = Vec::with_capacity(events.len());
    for (e, traceparent) in events {
        ids.push(e.event_id);
        subjects.push(e.subject);
        payloads.push(e.payload);
        traceparents.push(traceparent);
    }
    sqlx::query(
        "INSERT INTO outbox (event_id, subject, payload, traceparent) \
         SELECT id, subject, payload, traceparent \
         FROM UNNEST($1::uuid[], $2::text[], $3::bytea[], $4::text[]) \
         WITH ORDINALITY AS e(id, subject, payload, traceparent, n) ORDER BY n",
    )
    .bind(ids)
    .bind(subjects)
    .bind(payloads)
    .bind(traceparents)
    .execute(tx)
    .await?;
    Ok(())
}

/// Tuning of the relay.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// Rows published per transaction.
    pub batch_size: i64,
    /// How often to look for rows when nobody wakes the relay (rows left by
    /// a crashed replica, or written by another replica).
    pub poll_interval: Duration,
    /// How long sent rows are kept before deletion.
    pub keep_sent: Duration,
    /// How long the relay waits after a wake before it reads the outbox:
    /// the commits of that while are sent in the same batch and marked sent
    /// in the same transaction. Zero reads at once.
    pub linger: Duration,
}

/// [`RelaySettings::linger`] by default, in milliseconds (the services'
/// `<SERVICE>__RELAY__LINGER_MS`).
pub const DEFAULT_LINGER_MS: u64 = 10;

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch_size: 256,
            poll_interval: Duration::from_millis(500),
            keep_sent: Duration::from_secs(15 * 60),
            linger: Duration::from_millis(DEFAULT_LINGER_MS),
        }
    }
}

/// Publishes the outbox of one schema to JetStream.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    js: jetstream::Context,
    settings: RelaySettings,
    wake: Arc<Notify>,
    backlog: Backlog,
}

/// How many outbox rows wait to be sent, as the relay last counted (once
/// a second, up to [`Backlog::COUNT_UP_TO`]). A service that takes work
/// from outside (intake) refuses new work while it is high, rather than
/// pile up events that cannot leave.
#[derive(Clone, Default)]
pub struct Backlog(Arc<std::sync::atomic::AtomicU64>);

impl Backlog {
    /// Counting stops here: enough to compare with any sane limit, and the
    /// count stays cheap however far behind the relay is.
    pub const COUNT_UP_TO: i64 = 1_000_000;

    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Set by the relay's count (and by tests).
    pub fn set(&self, n: u64) {
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Relay {
    pub fn new(pool: PgPool, js: jetstream::Context, settings: RelaySettings) -> Self {
        Self {
            pool,
            js,
            settings,
            wake: Arc::new(Notify::new()),
            backlog: Backlog::default(),
        }
    }

    /// The relay's count of unsent rows.
    pub fn backlog(&self) -> Backlog {
        self.backlog.clone()
    }

    /// A handle that wakes the relay; call it after committing a
    /// transaction that enqueued events, so they leave at once.
    pub fn waker(&self) -> OutboxWaker {
        OutboxWaker(self.wake.clone())
    }

    /// Runs until shutdown, then sends what is left and returns.
    pub async fn run(self, shutdown: Shutdown) {
        let epochs = Epochs::new(self.pool.clone(), broker::RELAY);
        // The server this relay has made sure of; empty until then, and
        // nothing is purged before (the rows may be needed again).
        let mut server = String::new();
        self.check_broker(&epochs, &mut server).await;
        let mut purge = tokio::time::interval(Duration::from_secs(60));
        let mut heartbeat = tokio::time::interval(broker::HEARTBEAT);
        // Counted apart from the publishing, which waits on a broker that
        // does not answer: that is when the count matters.
        let counter = tokio::spawn(self.clone().count_backlog(shutdown.clone()));
        // Set while committed rows wait behind a transaction still open:
        // the next pass comes after this pause, not at the next wake.
        let mut retry = Retry::default();
        loop {
            let pause = retry.pause().unwrap_or(self.settings.poll_interval);
            let woken = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => true,
                _ = tokio::time::sleep(pause) => false,
                _ = heartbeat.tick() => {
                    self.check_broker(&epochs, &mut server).await;
                    false
                }
                _ = purge.tick(), if !server.is_empty() => {
                    self.purge_sent().await;
                    false
                }
            };
            if woken && !self.settings.linger.is_zero() {
                self.linger(&shutdown).await;
            }
            retry.after(self.drain().await);
        }
        // Last pass: what was committed before shutdown still goes out,
        // waiting a little for rows held back by another's transaction.
        let last_until = tokio::time::Instant::now() + SHUTDOWN_WAIT;
        while self.drain().await == Drained::Waiting && tokio::time::Instant::now() < last_until {
            tokio::time::sleep(Retry::FIRST).await;
        }
        counter.abort();
        tracing::info!("outbox relay stopped");
    }

    /// Waits the linger after a wake (shutdown cuts it short), then takes
    /// the wakes that came meanwhile: their commits were made before they
    /// woke the relay, so the pass that follows reads their rows, and a
    /// second pass for them would find nothing. Wakes after this point
    /// still count.
    async fn linger(&self, shutdown: &Shutdown) {
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(self.settings.linger) => {}
        }
        let _ = self.wake.notified().now_or_never();
    }

    /// Publishes batches until nothing more can be sent now or an error
    /// occurs.
    async fn drain(&self) -> Drained {
        loop {
            match self.relay_batch().await {
                Ok(pass) if pass.sent == self.settings.batch_size as usize => continue,
                Ok(pass) if pass.waiting => return Drained::Waiting,
                Ok(_) => return Drained::Empty,
                Err(err) => {
                    tracing::warn!(error = %err, "outbox relay failed, will retry");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    return Drained::Empty;
                }
            }
        }
    }

    /// Publishes one batch: the rows after the relay's position whose
    /// transactions lie below the snapshot's xmin, in (txid, id) order.
    ///
    /// Every transaction below the xmin has ended, so no row can appear
    /// later behind the position; rows of a transaction above it wait, even
    /// when it has committed, for an older one still open (anywhere in the
    /// cluster). The position moves in the same transaction, which commits
    /// only after the broker has acked every row: a failed publish leaves it
    /// where it was. An advisory lock gives the schema's outbox to one
    /// relay at a time. A replica that finds it taken sends nothing and
    /// tries again soon: the pass under way may have read the outbox before
    /// the commit that woke this replica, and nobody else would wake for it.
    async fn relay_batch(&self) -> Result<Pass, RelayError> {
        let mut tx = self.pool.begin().await?;
        // No transaction id is taken until the position is written, just
        // before the commit: this relay holds no other relay's xmin back
        // while it waits for the broker.
        let mine: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_xact_lock(hashtext('mesh.outbox.relay'), hashtext(current_schema()))",
        )
        .fetch_one(&mut *tx)
        .await?;
        if !mine {
            return Ok(Pass {
                sent: 0,
                waiting: true,
            });
        }
        let mut rows: Vec<OutboxRow> = sqlx::query_as(concat!(
            "SELECT id, txid::text::bigint AS tx, event_id, subject, payload, traceparent, \
                        txid < pg_snapshot_xmin(pg_current_snapshot()) AS settled \
                 FROM outbox WHERE (txid, id) > ",
            position!(),
            " ORDER BY txid, id LIMIT $1"
        ))
        .bind(self.settings.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        let read = rows.len();
        // The order is by txid, so the settled rows come first.
        rows.retain(|r| r.settled);
        let pass = Pass {
            sent: rows.len(),
            waiting: rows.len() < read,
        };
        let Some(last) = rows.last() else {
            return Ok(pass);
        };
        let (upto_tx, upto_id) = (last.tx, last.id);
        self.publish(rows).await?;
        sqlx::query("INSERT INTO outbox_sent (upto_txid, upto_id) VALUES ($1::text::xid8, $2)")
            .bind(upto_tx)
            .bind(upto_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::debug!(count = pass.sent, "outbox batch published");
        Ok(pass)
    }

    /// Publishes rows with their event ids and waits for every ack;
    /// returns how many the broker stored (the others it already had).
    async fn publish(&self, rows: Vec<OutboxRow>) -> Result<usize, RelayError> {
        let mut acks = Vec::with_capacity(rows.len());
        for row in rows {
            let mut publish = PublishMessage::build()
                .payload(row.payload.into())
                .message_id(row.event_id.to_string());
            if let Some(tp) = row.traceparent {
                publish = publish.header(crate::nats::TRACEPARENT_HEADER, tp.as_str());
            }
            acks.push(self.js.send_publish(row.subject, publish).await?);
        }
        let mut stored = 0;
        for ack in acks {
            if !ack.await?.duplicate {
                stored += 1;
            }
        }
        Ok(stored)
    }

    /// Makes sure of the broker: when it is another process than the one
    /// this relay last worked with, publishes the recent window again.
    /// Then records the server as seen alive now (the heartbeat). Failures
    /// leave `server` as it was, so the next heartbeat tries again.
    async fn check_broker(&self, epochs: &Epochs, server: &mut String) {
        let now = broker::server_id(&self.js);
        if now.is_empty() {
            return;
        }
        if *server != now {
            match epochs.since(&now).await {
                Ok(Since::Restarted { last_seen }) => {
                    if let Err(err) = self.republish(last_seen).await {
                        tracing::warn!(error = %err, "re-publishing after a broker restart failed, will retry");
                        return;
                    }
                }
                Ok(Since::First | Since::Same) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "reading the broker epoch failed");
                    return;
                }
            }
        }
        match epochs.record(&now).await {
            Ok(()) => *server = now,
            Err(err) => tracing::warn!(error = %err, "recording the broker epoch failed"),
        }
    }

    /// Publishes again, in the relay's order, every row of the batches sent
    /// from [`broker::REPUBLISH_WINDOW`] before `last_seen` on, with its
    /// event id: JetStream drops the ones it kept and stores the ones it
    /// lost. Those are the rows after the last batch sent before then, up
    /// to the relay's position.
    async fn republish(&self, last_seen: chrono::DateTime<chrono::Utc>) -> Result<(), RelayError> {
        let from =
            last_seen - chrono::Duration::from_std(broker::REPUBLISH_WINDOW).unwrap_or_default();
        // Before the first batch recorded, the start of the outbox.
        let (mut after_tx, mut after_id): (i64, i64) = sqlx::query_as(
            "SELECT upto_txid::text::bigint, upto_id FROM outbox_sent WHERE sent_at < $1 \
             ORDER BY batch DESC LIMIT 1",
        )
        .bind(from)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or((0, 0));
        let (mut sent, mut stored) = (0_usize, 0_usize);
        loop {
            let rows: Vec<OutboxRow> = sqlx::query_as(concat!(
                "SELECT id, txid::text::bigint AS tx, event_id, subject, payload, traceparent, \
                            true AS settled \
                     FROM outbox WHERE (txid, id) > ($1::text::xid8, $2) AND (txid, id) <= ",
                position!(),
                " ORDER BY txid, id LIMIT $3"
            ))
            .bind(after_tx)
            .bind(after_id)
            .bind(self.settings.batch_size)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else { break };
            (after_tx, after_id) = (last.tx, last.id);
            sent += rows.len();
            stored += self.publish(rows).await?;
        }
        tracing::warn!(
            republished = sent,
            lost_by_broker = stored,
            since = %from,
            "broker restarted: recent events published again"
        );
        Ok(())
    }

    /// Counts the unsent rows once a second until shutdown.
    async fn count_backlog(self, shutdown: Shutdown) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            match unsent(&self.pool, Backlog::COUNT_UP_TO).await {
                Ok(n) => self.backlog.set(n.max(0) as u64),
                Err(err) => tracing::debug!(error = %err, "counting the outbox backlog failed"),
            }
        }
    }

    /// Deletes the rows sent more than `keep_sent` ago, and the records of
    /// the batches before the newest of those (which stays: it may be the
    /// relay's position, and [`Relay::republish`] starts after it).
    async fn purge_sent(&self) {
        let keep = self.settings.keep_sent.as_secs_f64();
        let result = sqlx::query(
            "WITH kept AS (SELECT batch, upto_txid, upto_id FROM outbox_sent \
                           WHERE sent_at < now() - make_interval(secs => $1) \
                           ORDER BY batch DESC LIMIT 1), \
                  rows AS (DELETE FROM outbox \
                           WHERE (txid, id) <= (SELECT upto_txid, upto_id FROM kept)) \
             DELETE FROM outbox_sent WHERE batch < (SELECT batch FROM kept)",
        )
        .bind(keep)
        .execute(&self.pool)
        .await;
        if let Err(err) = result {
            tracing::warn!(error = %err, "purging sent outbox rows failed");
        }
    }
}

/// How many rows of the outbox (of the connection's schema) wait to be
/// sent, counting up to `up_to`.
pub async fn unsent<'c>(db: impl sqlx::PgExecutor<'c>, up_to: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(concat!(
        "SELECT count(*) FROM (SELECT 1 FROM outbox WHERE (txid, id) > ",
        position!(),
        " LIMIT $1) AS unsent"
    ))
    .bind(up_to)
    .fetch_one(db)
    .await
}

/// How long the relay's last pass at shutdown waits for rows held back by
/// transactions still open.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(5);

/// What one relay pass did.
#[derive(Debug, Default)]
struct Pass {
    /// Rows published.
    sent: usize,
    /// Committed rows may wait: behind a transaction still open, or for
    /// another replica's pass, which holds the outbox.
    waiting: bool,
}

/// How a drain ended.
#[derive(Debug, PartialEq, Eq)]
enum Drained {
    /// Nothing more to send now.
    Empty,
    /// Rows wait behind a transaction still open, or another replica
    /// holds the outbox: try again soon.
    Waiting,
}

/// The pause before the next pass while rows wait behind an open
/// transaction (or another replica's pass): short at first (transactions are short), doubling up to
/// [`Retry::LONGEST`] while the wait goes on (a long transaction, such as
/// a migration or a rebuild, anywhere in the cluster).
#[derive(Debug, Default)]
struct Retry(Option<Duration>);

impl Retry {
    const FIRST: Duration = Duration::from_millis(2);
    const LONGEST: Duration = Duration::from_millis(200);

    fn pause(&self) -> Option<Duration> {
        self.0
    }

    fn after(&mut self, drained: Drained) {
        self.0 = match drained {
            Drained::Empty => None,
            Drained::Waiting => Some(self.0.map_or(Self::FIRST, |d| (d * 2).min(Self::LONGEST))),
        };
    }
}

/// An outbox row, as the relay reads it.
#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    /// The id of the transaction that wrote it (an `xid8`, as a number).
    tx: i64,
    /// Its transaction lies below the reading snapshot's xmin.
    settled: bool,
    event_id: Uuid,
    subject: String,
    payload: Vec<u8>,
    traceparent: Option<String>,
}

/// Wakes the relay after a commit.
#[derive(Clone)]
pub struct OutboxWaker(Arc<Notify>);

impl OutboxWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}
