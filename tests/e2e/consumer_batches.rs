//! The kit's consumer runner against the real Postgres and NATS: messages
//! that arrive together are handled in one transaction, and one that
//! fails in a batch costs the others nothing: they are applied once, the
//! bad one is dead-lettered, and a redelivered batch has no second effect.
//! A batch lingers after its first message, so that messages arriving in
//! quick succession are handled together, and a lone one waits no longer
//! than the linger. After a broker restart, a consumer is rewound to its
//! ack floor; one the broker never had is left to be created as usual.

use anyhow::ensure;
use async_nats::jetstream::{self, message::PublishMessage};
use mesh_e2e::{nats_url, TestDatabase};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::{Shutdown, Subjects};
use sqlx::PgConnection;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Writes the payload as a row; rejects the payload "poison".
#[derive(Clone)]
struct Rows;

impl Handler for Rows {
    async fn handle(&self, tx: &mut PgConnection, d: &Delivery) -> Result<(), HandleError> {
        if d.payload.as_ref() == b"poison" {
            return Err(HandleError::Reject("poison payload".into()));
        }
        sqlx::query("INSERT INTO rows_seen (body) VALUES ($1)")
            .bind(String::from_utf8_lossy(&d.payload).into_owned())
            .execute(tx)
            .await?;
        Ok(())
    }
}

/// How many dead letters the test's world holds.
async fn dead_letters(js: &jetstream::Context, subjects: &Subjects) -> anyhow::Result<u64> {
    Ok(js
        .get_stream(subjects.stream("DEADLETTER"))
        .await?
        .get_info()
        .await?
        .state
        .messages)
}

static NO_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

/// Runs `test` with a database and a NATS prefix of its own (`name`),
/// then removes the database and the streams (`stream` and the dead
/// letters), whether the test passed or not.
async fn isolated(
    name: &str,
    stream: &str,
    test: impl AsyncFnOnce(&TestDatabase, &jetstream::Context, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let db = TestDatabase::create(name).await?;
    let prefix = format!("{name}{:08x}", rand::random::<u32>());
    let js = jetstream::new(async_nats::connect(nats_url()).await?);
    let result = test(&db, &js, &prefix).await;
    for stream in [stream, "DEADLETTER"] {
        let _ = js.delete_stream(format!("{prefix}_{stream}")).await;
    }
    db.drop_it().await?;
    result
}

/// A schema `schema` with the kit's tables and `rows_seen` (what [`Rows`]
/// writes), the stream `stream` taking `filter`, and the dead-letter
/// stream.
async fn rows_world(
    db: &TestDatabase,
    js: &jetstream::Context,
    subjects: &Subjects,
    schema: &str,
    stream: &str,
    filter: &str,
) -> anyhow::Result<sqlx::PgPool> {
    let pool = mesh_kit::db::connect(&db.url, schema, 4).await?;
    mesh_kit::db::migrate(&pool, schema, &NO_MIGRATIONS).await?;
    sqlx::query("CREATE TABLE rows_seen (body TEXT NOT NULL)")
        .execute(&pool)
        .await?;
    mesh_kit::nats::ensure_stream(js, &subjects.stream(stream), vec![subjects.subject(filter)])
        .await?;
    mesh_kit::consumer::ensure_dead_letter_stream(js, subjects).await?;
    Ok(pool)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_in_a_batch_ends_only_its_own_message() -> anyhow::Result<()> {
    isolated("batches", "BATCH", run).await
}

async fn run(db: &TestDatabase, js: &jetstream::Context, prefix: &str) -> anyhow::Result<()> {
    let subjects = Subjects::new(prefix);
    let pool = rows_world(db, js, &subjects, "batchtest", "BATCH", "batch.v1.>").await?;

    // 200 messages, one of them poison, all stored before the consumer
    // starts, so they arrive together; one of them twice (same id).
    let mut ids = Vec::new();
    for i in 0..200 {
        let body = if i == 77 {
            "poison".to_owned()
        } else {
            format!("row {i}")
        };
        let id = Uuid::now_v7();
        ids.push(id);
        let msg = PublishMessage::build()
            .payload(body.into_bytes().into())
            .message_id(id.to_string());
        js.send_publish(subjects.subject("batch.v1.rows"), msg)
            .await?
            .await?;
    }
    // The same event again, under another message id but the same event
    // id: a replay-like copy the runner must not apply twice.
    let again = PublishMessage::build()
        .payload(b"row 5".to_vec().into())
        .message_id(format!("{}:copy", ids[5]))
        .header("Mesh-Event-Id", ids[5].to_string());
    js.send_publish(subjects.subject("batch.v1.rows"), again)
        .await?
        .await?;

    let consumer = mesh_kit::consumer::Consumer {
        spec: ConsumerSpec::new("BATCH", "batch-test", "batch.v1.>"),
        service: "batchtest",
        js: js.clone(),
        pool: pool.clone(),
        subjects: subjects.clone(),
        handler: Rows,
        outbox: None,
    };
    let shutdown = Shutdown::new();
    let task = tokio::spawn(consumer.run(shutdown.clone()));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let (rows, distinct) = loop {
        let (rows, distinct): (i64, i64) =
            sqlx::query_as("SELECT count(*), count(DISTINCT body) FROM rows_seen")
                .fetch_one(&pool)
                .await?;
        let dead = dead_letters(js, &subjects).await?;
        if rows >= 199 && dead >= 1 {
            break (rows, distinct);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "after 30 s: {rows} rows, {dead} dead letters"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Let a wrongly repeated batch show itself.
    tokio::time::sleep(Duration::from_secs(1)).await;
    shutdown.trigger();
    task.await?;

    let final_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM rows_seen")
        .fetch_one(&pool)
        .await?;
    ensure!(
        rows == 199 && distinct == 199 && final_rows == 199,
        "{final_rows} rows ({distinct} distinct), want 199"
    );
    let info = js
        .get_stream(subjects.stream("BATCH"))
        .await?
        .consumer_info("batch-test")
        .await?;
    ensure!(
        info.num_pending == 0 && info.num_ack_pending == 0,
        "left unacknowledged: {} pending, {} awaiting ack",
        info.num_pending,
        info.num_ack_pending
    );
    let dead = dead_letters(js, &subjects).await?;
    ensure!(dead == 1, "{dead} dead letters, want the poison alone");
    Ok(())
}

/// Records the size of every batch it is handed (1 for a message handled
/// alone).
#[derive(Clone, Default)]
struct Sizes(Arc<Mutex<Vec<usize>>>);

impl Sizes {
    fn get(&self) -> Vec<usize> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
    fn push(&self, n: usize) {
        if let Ok(mut v) = self.0.lock() {
            v.push(n);
        }
    }
}

impl Handler for Sizes {
    async fn handle(&self, _tx: &mut PgConnection, _d: &Delivery) -> Result<(), HandleError> {
        self.push(1);
        Ok(())
    }

    async fn handle_batch(
        &self,
        _tx: &mut PgConnection,
        deliveries: &[&Delivery],
    ) -> Result<(), HandleError> {
        self.push(deliveries.len());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_in_quick_succession_linger_into_one_batch() -> anyhow::Result<()> {
    isolated("linger", "LINGER", linger).await
}

async fn linger(db: &TestDatabase, js: &jetstream::Context, prefix: &str) -> anyhow::Result<()> {
    let subjects = Subjects::new(prefix);
    let pool = mesh_kit::db::connect(&db.url, "lingertest", 4).await?;
    mesh_kit::db::migrate(&pool, "lingertest", &NO_MIGRATIONS).await?;
    let stream = subjects.stream("LINGER");
    mesh_kit::nats::ensure_stream(js, &stream, vec![subjects.subject("linger.v1.>")]).await?;
    mesh_kit::consumer::ensure_dead_letter_stream(js, &subjects).await?;

    // Generous, so that a slow machine still gathers the batch; the
    // runner's default is a few milliseconds.
    let linger = Duration::from_millis(500);
    let sizes = Sizes::default();
    let consumer = mesh_kit::consumer::Consumer {
        spec: ConsumerSpec::new("LINGER", "linger-test", "linger.v1.>").with_linger(linger),
        service: "lingertest",
        js: js.clone(),
        pool: pool.clone(),
        subjects: subjects.clone(),
        handler: sizes.clone(),
        outbox: None,
    };
    let shutdown = Shutdown::new();
    let task = tokio::spawn(consumer.run(shutdown.clone()));
    let result = async {
        // The consumer is idle, its pull request waiting at the server.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let waiting = match js
                .get_stream(&stream)
                .await?
                .consumer_info("linger-test")
                .await
            {
                Ok(info) => info.num_waiting,
                Err(_) => 0,
            };
            if waiting > 0 {
                break;
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "the consumer did not start pulling"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let publish = |i: usize| {
            let js = js.clone();
            let subject = subjects.subject("linger.v1.rows");
            async move {
                let msg = PublishMessage::build()
                    .payload(format!("row {i}").into_bytes().into())
                    .message_id(Uuid::now_v7().to_string());
                js.send_publish(subject, msg).await?.await?;
                anyhow::Ok(())
            }
        };
        // The first message reaches the idle consumer alone; without the
        // linger it would be handled at once, in a batch of its own.
        publish(0).await?;
        tokio::time::sleep(Duration::from_millis(50)).await;
        for i in 1..10 {
            publish(i).await?;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while sizes.get().iter().sum::<usize>() < 10 {
            ensure!(
                tokio::time::Instant::now() < deadline,
                "after 10 s the batches were {:?}",
                sizes.get()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        ensure!(
            sizes.get() == vec![10],
            "batches {:?}, want the ten messages in one",
            sizes.get()
        );

        // A lone message on an idle stream waits for the linger, no more.
        let sent = tokio::time::Instant::now();
        publish(10).await?;
        while sizes.get().len() < 2 {
            ensure!(
                sent.elapsed() < linger + Duration::from_secs(2),
                "a lone message was not handled within the linger"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let took = sent.elapsed();
        ensure!(
            sizes.get() == vec![10, 1] && took >= linger / 2,
            "batches {:?} after {took:?}",
            sizes.get()
        );
        anyhow::Ok(())
    }
    .await;
    shutdown.trigger();
    task.await?;
    result
}

/// `broker::rewind`, which a consumer runs when it finds a new broker
/// process: a durable the stream does not have is left alone (`None`, it
/// is created from the stream's start as usual); one it has is recreated
/// to start after its ack floor, or at the first message stored since the
/// old broker was last seen when that is earlier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewind_restarts_a_consumer_at_its_ack_floor_and_leaves_an_absent_one(
) -> anyhow::Result<()> {
    use async_nats::jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
    use futures::StreamExt;

    let prefix = format!("rewind{:08x}", rand::random::<u32>());
    let js = jetstream::new(async_nats::connect(nats_url()).await?);
    let subjects = Subjects::new(&prefix);
    let stream_name = subjects.stream("REWIND");
    let result = async {
        mesh_kit::nats::ensure_stream(&js, &stream_name, vec![subjects.subject("rewind.v1.>")])
            .await?;
        let subject = subjects.subject("rewind.v1.rows");
        for n in 1..=3 {
            js.publish(subject.clone(), format!("row {n}").into())
                .await?
                .await?;
        }
        let mut stream = js.get_stream(&stream_name).await?;
        let config = |durable: &str| pull::Config {
            durable_name: Some(durable.to_owned()),
            filter_subject: subjects.subject("rewind.v1.>"),
            ack_policy: AckPolicy::Explicit,
            ..Default::default()
        };

        let absent =
            mesh_kit::broker::rewind(&mut stream, &config("absent"), chrono::Utc::now()).await?;
        ensure!(
            absent.is_none(),
            "a consumer the stream lacks was rewound to {absent:?}"
        );
        ensure!(
            stream.consumer_info("absent").await.is_err(),
            "the rewind created a consumer the stream lacked"
        );

        // Two of the three handled and acked: the ack floor is 2.
        let consumer = stream.create_consumer(config("present")).await?;
        let mut messages = consumer.fetch().max_messages(2).messages().await?;
        while let Some(message) = messages.next().await {
            message
                .map_err(|e| anyhow::anyhow!(e))?
                .double_ack()
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        // The old broker was last seen after all three were stored: the
        // consumer starts after its ack floor.
        let later = chrono::Utc::now() + chrono::Duration::seconds(60);
        let start = mesh_kit::broker::rewind(&mut stream, &config("present"), later).await?;
        ensure!(
            start == Some(3),
            "rewound to {start:?}, want the message after the ack floor, 3"
        );
        let info = stream.consumer_info("present").await?;
        ensure!(
            info.config.deliver_policy == DeliverPolicy::ByStartSequence { start_sequence: 3 },
            "the recreated consumer starts with {:?}",
            info.config.deliver_policy
        );
        // Last seen before they were stored (within the heartbeat's lag):
        // the broker may have lost them with its position, so the
        // consumer starts at the first of them, below its ack floor.
        let start =
            mesh_kit::broker::rewind(&mut stream, &config("present"), chrono::Utc::now()).await?;
        ensure!(
            start == Some(1),
            "rewound to {start:?}, want the first message stored since the broker was last seen, 1"
        );
        anyhow::Ok(())
    }
    .await;
    let _ = js.delete_stream(&stream_name).await;
    result
}

/// Publishes `body` on `subject` and waits for the broker to store it.
async fn publish(js: &jetstream::Context, subject: String, body: &str) -> anyhow::Result<()> {
    let msg = PublishMessage::build()
        .payload(body.as_bytes().to_vec().into())
        .message_id(Uuid::now_v7().to_string());
    js.send_publish(subject, msg).await?.await?;
    Ok(())
}

/// Runs a consumer of the `PURGE` stream with `filter` until `rows_seen`
/// holds `want` rows, and a little longer for a wrongly repeated one.
async fn consume_until(
    js: &jetstream::Context,
    pool: &sqlx::PgPool,
    subjects: &Subjects,
    filter: &'static str,
    want: i64,
) -> anyhow::Result<i64> {
    let consumer = mesh_kit::consumer::Consumer {
        spec: ConsumerSpec::new("PURGE", "purge-test", filter),
        service: "purgetest",
        js: js.clone(),
        pool: pool.clone(),
        subjects: subjects.clone(),
        handler: Rows,
        outbox: None,
    };
    let shutdown = Shutdown::new();
    let task = tokio::spawn(consumer.run(shutdown.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM rows_seen")
            .fetch_one(pool)
            .await?;
        if rows >= want {
            break;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "after 30 s: {rows} rows, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    shutdown.trigger();
    task.await?;
    Ok(sqlx::query_scalar("SELECT count(*) FROM rows_seen")
        .fetch_one(pool)
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handled_events_are_forgotten_and_a_new_filter_starts_at_the_horizon() -> anyhow::Result<()>
{
    isolated("purge", "PURGE", purge).await
}

async fn purge(db: &TestDatabase, js: &jetstream::Context, prefix: &str) -> anyhow::Result<()> {
    use mesh_kit::processed;
    let subjects = Subjects::new(prefix);
    let pool = rows_world(db, js, &subjects, "purgetest", "PURGE", "purge.v1.>").await?;

    // Three old events, then the horizon, then one more.
    for body in ["old 1", "old 2", "old 3"] {
        publish(js, subjects.subject("purge.v1.a"), body).await?;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let horizon = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    publish(js, subjects.subject("purge.v1.a"), "new 1").await?;
    let rows = consume_until(js, &pool, &subjects, "purge.v1.a", 4).await?;
    ensure!(rows == 4, "{rows} rows after the first run, want 4");

    // The old events were handled long ago: their ids go, the new one's
    // stays, and the horizon is recorded.
    sqlx::query(
        "UPDATE processed_events SET handled_at = $1 - interval '1 hour' \
         WHERE event_id IN (SELECT event_id FROM processed_events ORDER BY handled_at LIMIT 3)",
    )
    .bind(horizon)
    .execute(&pool)
    .await?;
    let keep = (chrono::Utc::now() - horizon).to_std()?;
    let gone = processed::purge(&pool, "purge-test", keep).await?;
    ensure!(gone == 3, "{gone} rows purged, want the 3 old ones");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&pool)
        .await?;
    ensure!(left == 1, "{left} processed rows left, want 1");
    let recorded = processed::horizon(&pool, "purge-test").await?;
    ensure!(
        recorded.is_some_and(|at| at >= horizon && at < horizon + chrono::Duration::seconds(1)),
        "horizon {recorded:?}, want about {horizon}"
    );
    // A later purge with a longer keep never moves the horizon back.
    processed::purge(&pool, "purge-test", Duration::from_secs(3600)).await?;
    ensure!(processed::horizon(&pool, "purge-test").await? == recorded);

    // The filter widens: the consumer is made again and starts at the
    // horizon. The old events (ids forgotten) are not handled again; the
    // new one is found in processed_events; the event of the subject now
    // taken in is handled.
    publish(js, subjects.subject("purge.v1.b"), "b 1").await?;
    let rows = consume_until(js, &pool, &subjects, "purge.v1.>", 5).await?;
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM rows_seen ORDER BY body")
        .fetch_all(&pool)
        .await?;
    ensure!(
        rows == 5,
        "{rows} rows after the filter changed, want 5: {bodies:?}"
    );
    Ok(())
}
