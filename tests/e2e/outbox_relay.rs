//! The kit's outbox relay against the real Postgres and NATS. With a
//! linger, events committed in quick succession leave in one relay
//! transaction (one batch recorded in `outbox_sent`), each once and in
//! commit order; a lone one waits the linger and no more; and
//! shutdown during a linger still sends what was committed. Without the
//! linger, each commit's wake costs a relay transaction of its own. Two
//! replicas relaying one outbox send each event once, and a commit's wake
//! is answered even when the other replica holds the outbox.

use anyhow::ensure;
use async_nats::jetstream;
use futures::StreamExt;
use mesh_e2e::{nats_url, TestDatabase};
use mesh_kit::outbox::{OutboxWaker, Outgoing, Relay, RelaySettings};
use mesh_kit::{Shutdown, Subjects};
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

static NO_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

/// One test world: a database with the kit's outbox, a stream of its own.
struct World {
    pool: PgPool,
    js: jetstream::Context,
    subjects: Subjects,
}

impl World {
    async fn new(db: &TestDatabase, js: &jetstream::Context, prefix: &str) -> anyhow::Result<Self> {
        let subjects = Subjects::new(prefix);
        let pool = mesh_kit::db::connect(&db.url, "relaytest", 4).await?;
        mesh_kit::db::migrate(&pool, "relaytest", &NO_MIGRATIONS).await?;
        mesh_kit::nats::ensure_stream(
            js,
            &subjects.stream("RELAY"),
            vec![subjects.subject("relay.v1.>")],
        )
        .await?;
        Ok(Self {
            pool,
            js: js.clone(),
            subjects,
        })
    }

    fn relay(&self, linger: Duration) -> Relay {
        self.relay_with(RelaySettings {
            linger,
            ..RelaySettings::default()
        })
    }

    fn relay_with(&self, settings: RelaySettings) -> Relay {
        Relay::new(self.pool.clone(), self.js.clone(), settings)
    }

    /// Runs `body` while a relay with `linger` runs (settled first, so the
    /// body's first wake finds it idle), then stops the relay.
    async fn with_relay<'a, F, Fut>(&'a self, linger: Duration, body: F) -> anyhow::Result<()>
    where
        F: FnOnce(OutboxWaker) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>> + 'a,
    {
        let relay = self.relay(linger);
        let waker = relay.waker();
        let shutdown = Shutdown::new();
        let task = tokio::spawn(relay.run(shutdown.clone()));
        settle().await;
        let result = body(waker).await;
        shutdown.trigger();
        task.await?;
        result
    }

    /// Writes one event to the outbox in `tx`; returns its id.
    async fn write(&self, tx: &mut sqlx::PgConnection) -> anyhow::Result<Uuid> {
        let id = Uuid::now_v7();
        let event = Outgoing {
            subject: self.subjects.subject("relay.v1.rows"),
            event_id: id,
            payload: id.to_string().into_bytes(),
        };
        mesh_kit::outbox::enqueue_many(tx, vec![event]).await?;
        Ok(id)
    }

    /// Commits one event to the outbox and wakes the relay, as a service
    /// does after its transaction.
    async fn commit(&self, waker: &OutboxWaker) -> anyhow::Result<Uuid> {
        let mut tx = self.pool.begin().await?;
        let id = self.write(&mut tx).await?;
        tx.commit().await?;
        waker.wake();
        Ok(id)
    }

    /// Waits (10 s at most) until the outbox holds no unsent row.
    async fn all_sent(&self) -> anyhow::Result<()> {
        self.all_sent_within(Duration::from_secs(10)).await
    }

    /// Waits (`within` at most) until the outbox holds no unsent row.
    async fn all_sent_within(&self, within: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let unsent = mesh_kit::outbox::unsent(&self.pool, i64::MAX).await?;
            if unsent == 0 {
                return Ok(());
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "after {within:?}, {unsent} rows unsent"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// How many relay transactions sent rows: the batches recorded, less
    /// the starting position the migration writes.
    async fn relay_transactions(&self) -> anyhow::Result<i64> {
        let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox_sent")
            .fetch_one(&self.pool)
            .await?;
        Ok(batches - 1)
    }

    /// The event ids in the stream, in stream order.
    async fn published(&self) -> anyhow::Result<Vec<String>> {
        let mut stream = self.js.get_stream(self.subjects.stream("RELAY")).await?;
        let state = stream.info().await?.state.clone();
        let mut out = Vec::new();
        if state.messages == 0 {
            return Ok(out);
        }
        for sequence in state.first_sequence..=state.last_sequence {
            let m = stream.get_raw_message(sequence).await?;
            let id = m
                .headers
                .get("Nats-Msg-Id")
                .map(|v| v.to_string())
                .unwrap_or_default();
            out.push(id);
        }
        Ok(out)
    }
}

/// Runs `body` in a fresh world and cleans up after it.
async fn in_world<F, Fut>(label: &str, body: F) -> anyhow::Result<()>
where
    F: FnOnce(World) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let db = TestDatabase::create(label).await?;
    let prefix = format!("{label}{:08x}", rand::random::<u32>());
    let js = jetstream::new(async_nats::connect(nats_url()).await?);
    let result = match World::new(&db, &js, &prefix).await {
        Ok(world) => {
            let pool = world.pool.clone();
            let result = body(world).await;
            pool.close().await;
            result
        }
        Err(err) => Err(err),
    };
    let _ = js.delete_stream(format!("{prefix}_RELAY")).await;
    db.drop_it().await?;
    result
}

/// Lets the relay finish its start (broker check, first ticks), so that
/// the next wake finds it idle.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_during_the_linger_leave_in_one_relay_transaction() -> anyhow::Result<()> {
    in_world("relaylinger", |world| async move {
        // Generous, so that a slow machine still gathers the batch; the
        // services' linger is a few milliseconds.
        let linger = Duration::from_millis(500);
        let world = &world;
        world
            .with_relay(linger, |waker| async move {
                // The first commit wakes the idle relay; nine more follow
                // within its linger.
                let mut ids = vec![world.commit(&waker).await?];
                tokio::time::sleep(Duration::from_millis(50)).await;
                for _ in 1..10 {
                    ids.push(world.commit(&waker).await?);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                world.all_sent().await?;
                let transactions = world.relay_transactions().await?;
                ensure!(
                transactions == 1,
                "ten commits within the linger took {transactions} relay transactions, want one"
            );
                let want: Vec<String> = ids.iter().map(Uuid::to_string).collect();
                let published = world.published().await?;
                ensure!(
                    published == want,
                    "published {published:?}, want each event once in commit order {want:?}"
                );

                // A lone commit waits the linger, no more.
                let committed = tokio::time::Instant::now();
                ids.push(world.commit(&waker).await?);
                world.all_sent().await?;
                let took = committed.elapsed();
                ensure!(
                    took >= linger / 2 && took < linger + Duration::from_secs(2),
                    "a lone event was sent after {took:?} with a linger of {linger:?}"
                );
                ensure!(world.relay_transactions().await? == 2, "the lone event");
                ensure!(world.published().await?.len() == 11, "eleven events");
                Ok(())
            })
            .await?;

        // Shutdown during a (long) linger cuts it short, and what was
        // committed still goes out.
        let linger = Duration::from_secs(30);
        let relay = world.relay(linger);
        let waker = relay.waker();
        let shutdown = Shutdown::new();
        let task = tokio::spawn(relay.run(shutdown.clone()));
        settle().await;
        let last = world.commit(&waker).await?;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let stopping = tokio::time::Instant::now();
        shutdown.trigger();
        task.await?;
        let took = stopping.elapsed();
        ensure!(
            took < Duration::from_secs(5),
            "the relay took {took:?} to stop during its linger"
        );
        let unsent = mesh_kit::outbox::unsent(&world.pool, i64::MAX).await?;
        ensure!(unsent == 0, "{unsent} rows unsent after shutdown");
        let published = world.published().await?;
        ensure!(
            published.len() == 12 && published.last() == Some(&last.to_string()),
            "published {published:?} after shutdown"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_linger_each_wake_costs_a_relay_transaction() -> anyhow::Result<()> {
    in_world("relaynolinger", |world| async move {
        let world = &world;
        world
            .with_relay(Duration::ZERO, |waker| async move {
                let mut ids = Vec::new();
                for _ in 0..10 {
                    ids.push(world.commit(&waker).await?);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                world.all_sent().await?;
                // Each commit is sent by its own pass; a busy machine may let
                // a few share one, but not all ten.
                let transactions = world.relay_transactions().await?;
                ensure!(
                    transactions > 1,
                    "ten commits 20 ms apart took {transactions} relay transaction(s)"
                );
                let want: Vec<String> = ids.iter().map(Uuid::to_string).collect();
                ensure!(
                    world.published().await? == want,
                    "each event once, in order"
                );
                Ok(())
            })
            .await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_commits_late_is_not_passed_over() -> anyhow::Result<()> {
    in_world("relaylate", |world| async move {
        let world = &world;
        world
            .with_relay(Duration::ZERO, |waker| async move {
                // The first transaction writes its event and stays open; a
                // second one, begun later, commits first.
                let mut open = world.pool.begin().await?;
                let late = world.write(&mut open).await?;
                let early = world.commit(&waker).await?;
                tokio::time::sleep(Duration::from_millis(300)).await;
                // The committed event waits behind the open transaction: the
                // relay's position may not pass a transaction that can still
                // commit rows before it.
                let published = world.published().await?;
                ensure!(
                    published.is_empty(),
                    "published {published:?} while an older transaction was open"
                );
                open.commit().await?;
                waker.wake();
                world.all_sent().await?;
                let want = vec![late.to_string(), early.to_string()];
                let published = world.published().await?;
                ensure!(
                    published == want,
                    "published {published:?}, want both once, in transaction order {want:?}"
                );
                Ok(())
            })
            .await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_send_each_event_once_and_one_takes_over() -> anyhow::Result<()> {
    in_world("relayreplicas", |world| async move {
        // Every publish, counted before JetStream's duplicate window could
        // hide a row sent twice.
        let mut seen = world
            .js
            .client()
            .subscribe(world.subjects.subject("relay.v1.rows"))
            .await?;
        // No polling: every row must leave on a wake, as a service's
        // commit wakes only its own replica's relay.
        let settings = RelaySettings {
            linger: Duration::ZERO,
            poll_interval: Duration::from_secs(600),
            ..RelaySettings::default()
        };
        let (one, two) = (world.relay_with(settings.clone()), world.relay_with(settings));
        let wakers = [one.waker(), two.waker()];
        let (stop_one, stop_two) = (Shutdown::new(), Shutdown::new());
        let task_one = tokio::spawn(one.run(stop_one.clone()));
        let task_two = tokio::spawn(two.run(stop_two.clone()));
        settle().await;
        let world = std::sync::Arc::new(world);

        // Four writers, each committing and waking one replica in turn.
        let write = |wakers: Vec<OutboxWaker>, n: usize| {
            let world = world.clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..n {
                    ids.push(world.commit(&wakers[i % wakers.len()]).await?);
                }
                anyhow::Ok(ids)
            })
        };
        let mut written = Vec::new();
        let writers: Vec<_> = (0..4).map(|_| write(wakers.to_vec(), 100)).collect();
        for writer in writers {
            written.extend(writer.await??);
        }
        world.all_sent().await?;

        // A wake that finds the outbox held by another pass (here the
        // test's transaction holds the relays' lock) is not lost: the event
        // leaves once the holder lets go, with no other wake.
        let mut holder = world.pool.begin().await?;
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtext('mesh.outbox.relay'), hashtext(current_schema()))",
        )
        .execute(&mut *holder)
        .await?;
        written.push(world.commit(&wakers[0]).await?);
        tokio::time::sleep(Duration::from_millis(100)).await;
        ensure!(
            mesh_kit::outbox::unsent(&world.pool, i64::MAX).await? == 1,
            "an event was sent while the relays' lock was held"
        );
        holder.commit().await?;
        // Well before the relays' next heartbeat pass (5 s), which would
        // find it anyway.
        world.all_sent_within(Duration::from_secs(2)).await?;

        // Replica one stops; two carries on alone.
        stop_one.trigger();
        task_one.await?;
        written.extend(write(vec![wakers[1].clone()], 50).await??);
        world.all_sent().await?;
        stop_two.trigger();
        task_two.await?;

        // Each written event was published once: no more publishes than
        // events, and every one of them in the stream.
        let mut publishes = 0;
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(500), seen.next()).await {
            publishes += 1;
        }
        ensure!(
            publishes == written.len(),
            "{publishes} publishes for {} events: rows sent twice",
            written.len()
        );
        let mut published = world.published().await?;
        published.sort();
        let mut want: Vec<String> = written.iter().map(Uuid::to_string).collect();
        want.sort();
        ensure!(
            published == want,
            "the stream holds {} events, want the {} written",
            published.len(),
            want.len()
        );
        Ok(())
    })
    .await
}

/// The kit's migrations, to apply the first three and then the rest.
static KIT_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../services/kit/migrations");

#[tokio::test]
async fn the_written_once_migration_keeps_unsent_rows_unsent() -> anyhow::Result<()> {
    let db = TestDatabase::create("outboxmigrate").await?;
    let result = async {
        let pool = mesh_kit::db::connect(&db.url, "public", 2).await?;
        let first: Vec<_> = KIT_MIGRATIONS
            .iter()
            .filter(|m| m.version <= 3)
            .cloned()
            .collect();
        sqlx::migrate::Migrator::with_migrations(first)
            .run(&pool)
            .await?;
        // Rows 1–5 sent, 6–8 not yet, 9 sent by a relay replica that
        // claimed it past the others.
        sqlx::query(
            "INSERT INTO outbox (event_id, subject, payload, sent_at) \
             SELECT gen_random_uuid(), 'x', '\\x00', \
                    CASE WHEN n BETWEEN 6 AND 8 THEN NULL ELSE now() END \
             FROM generate_series(1, 9) AS n ORDER BY n",
        )
        .execute(&pool)
        .await?;
        KIT_MIGRATIONS.run(&pool).await?;
        let waiting: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM outbox WHERE (txid, id) > \
               (SELECT upto_txid, upto_id FROM outbox_sent ORDER BY batch DESC LIMIT 1) \
             ORDER BY txid, id",
        )
        .fetch_all(&pool)
        .await?;
        ensure!(
            waiting == vec![6, 7, 8, 9],
            "after the migration rows {waiting:?} wait to be sent, want 6 to 9"
        );
        ensure!(mesh_kit::outbox::unsent(&pool, i64::MAX).await? == 4);
        pool.close().await;
        anyhow::Ok(())
    }
    .await;
    db.drop_it().await?;
    result
}
