//! mesh-bench: the whole mesh under load (issue 8), against the real release
//! binaries, Postgres and NATS, with the ceilings of the same servers
//! measured by the same program in the same run.
//!
//! 1. Ceilings, before the mesh starts:
//!    - JetStream: a file-storage stream with the mesh's own settings (kit
//!      `nats::ensure_stream`); messages the size of a `CaseRegistered`
//!      published asynchronously with a `Nats-Msg-Id` and at most
//!      `--ack-window` acks outstanding (publish msg/s), then read by a
//!      durable pull consumer that acks each one (consume + ack msg/s).
//!    - Postgres, in a throw-away database: `--pg-clients` clients each
//!      committing transactions of one complaint-sized and one outbox-sized
//!      row, as intake registers a case (commits/s); then the same rows 100
//!      per statement and transaction (rows/s).
//! 2. The mesh: the five services (`TestMesh`), and complaints submitted
//!    over gRPC (`Intake.SubmitComplaint`, over `--channels` HTTP/2
//!    connections) for `--warmup-secs`, then `--secs` measured:
//!    - `--rate R`: open loop. Complaint i is due at start + i/R whatever
//!      happened to the earlier ones, and every latency counts from when it
//!      was due, so a stall shows in full (no coordinated omission);
//!    - `--concurrency C`: closed loop, C submitters one complaint at a
//!      time each; latencies count from the send.
//!
//!    Every work order is read from the department queues
//!    (`<prefix>.dispatch.v1.orders.<department>`, an ordered consumer on
//!    the DISPATCH stream) and matched by case number: orders per second
//!    reaching the queues in the measured window, latency from submission
//!    to the queue, and SubmitComplaint's own latency.
//! 3. CPU seconds of each service, of this generator and of the machine's
//!    nats-server and postgres processes over the measured window
//!    (/proc/<pid>/stat), each service's peak memory (VmHWM), and its
//!    resident memory (VmRSS) sampled every `--rss-every-secs` from the
//!    start of the load, with the mean of the last minute against the
//!    second (flat memory over a soak).
//! 4. A check: every accepted complaint got exactly one work order.
//!
//! Prints a table and writes JSON to `bench/results/`. `make bench` runs it
//! after the other benchmarks; `make bench-mesh` runs it alone.

use anyhow::{bail, Context};
use async_nats::jetstream::{self, consumer::pull, message::PublishMessage};
use chrono::Utc;
use clap::Parser;
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::{CaseRegistered, Channel as ComplaintChannel};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use mesh_e2e::infra::PrivatePostgres;
use mesh_e2e::{pct, repo_root, Infra, TestDatabase, TestMesh, PLAIN_FACTS, SERVICES};
use prost::Message;
use serde_json::{json, Value};
use sqlx::{Connection, PgConnection};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;
use tonic::transport::Channel;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "mesh-bench",
    about = "The whole mesh under load: throughput and latency to the department queues, CPU and memory per service, and the JetStream and Postgres ceilings"
)]
struct Args {
    /// Open loop: complaints per second, each due at a fixed time
    /// (the default, at 200/s, when neither this nor --concurrency is given).
    #[arg(long, conflicts_with = "concurrency")]
    rate: Option<f64>,
    /// Closed loop: this many submitters, one complaint at a time each.
    #[arg(long)]
    concurrency: Option<usize>,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 60)]
    secs: u64,
    /// Seconds of load before the measured window.
    #[arg(long, default_value_t = 5)]
    warmup_secs: u64,
    /// gRPC channels (HTTP/2 connections) to intake, used in turn.
    #[arg(long, default_value_t = 4)]
    channels: usize,
    /// Database connections of each service (the services' own default).
    #[arg(long, default_value_t = 16)]
    db_connections: u32,
    /// How long to wait after the load for the last work orders.
    #[arg(long, default_value_t = 120)]
    drain_secs: u64,
    /// Seconds of each ceiling measurement.
    #[arg(long, default_value_t = 10)]
    ceiling_secs: u64,
    /// JetStream ceiling: publish acks outstanding at most (the outbox
    /// relay's batch).
    #[arg(long, default_value_t = 256)]
    ack_window: usize,
    /// Postgres ceiling: concurrent clients.
    #[arg(long, default_value_t = 32)]
    pg_clients: usize,
    /// Postgres ceiling: rows per statement in the batched measurement.
    #[arg(long, default_value_t = 100)]
    pg_batch: usize,
    /// Skip the ceilings (the mesh alone).
    #[arg(long)]
    no_ceilings: bool,
    /// Also follow intake's `CaseRegistered` and triage's `CaseRouted`,
    /// to say where the time goes on the way to the queue. Off by
    /// default: the two extra readers cost nats-server and the generator
    /// two deliveries an order, which is not the mesh's own work (until
    /// the tenth round of docs/performance.md they were always on).
    #[arg(long)]
    stages: bool,
    /// Profile Postgres: run the mesh on a private cluster (same settings,
    /// plus pg_stat_statements) and report the N statements that took the
    /// most time in the measured window. 0: the machine's Postgres, no
    /// profile.
    #[arg(long, default_value_t = 0)]
    statements: usize,
    /// Seconds between samples of each service's resident memory.
    #[arg(long, default_value_t = 10)]
    rss_every_secs: u64,
    /// Where to write the JSON summary.
    #[arg(long, default_value = "bench/results")]
    out: std::path::PathBuf,
}

/// Regions, varied independently of the text ([`PLAIN_FACTS`]).
const REGIONS: [&str; 3] = ["east", "west", "north"];

/// Lines of each service's log kept in the summary (the services log at
/// warn: a quiet run keeps the start-up's few, such as a stream not made
/// yet by the service that owns it).
const LOG_LINES_KEPT: usize = 20;

fn request(run: &str, i: u64) -> complaints_proto::v1::SubmitComplaintRequest {
    let (facts, _) = PLAIN_FACTS[(i % PLAIN_FACTS.len() as u64) as usize];
    let region = REGIONS[(i % REGIONS.len() as u64) as usize];
    mesh_e2e::complaint(
        &format!("bench-{run}-{i}"),
        &format!("{facts}（第{i}次来电）"),
        region,
    )
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// p50 / p99 / p99.9 / max of samples (ms), sorted here.
fn percentiles(mut v: Vec<f64>) -> serde_json::Value {
    v.sort_by(|a, b| a.total_cmp(b));
    json!({
        "count": v.len(),
        "p50": pct(&v, 50.0),
        "p99": pct(&v, 99.0),
        "p99_9": pct(&v, 99.9),
        "max": v.last().copied().unwrap_or(f64::NAN),
    })
}

fn fmt_latency(v: &serde_json::Value) -> String {
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    format!(
        "{:.0} / {:.0} / {:.0} / {:.0} ms",
        f("p50"),
        f("p99"),
        f("p99_9"),
        f("max")
    )
}

// ---------------------------------------------------------------------------
// /proc
// ---------------------------------------------------------------------------

/// Clock ticks per second of /proc/<pid>/stat.
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process, in ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields after the command name start at field 3; utime is 14, stime 15.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn status_kb(pid: u32, key: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Ticks of every process on the machine with this command name.
fn cpu_ticks_named(comm: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == comm)
        })
        .filter_map(cpu_ticks)
        .sum()
}

/// (busy, total) ticks of all cores, from /proc/stat.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().next() else {
        return (0, 0);
    };
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

/// CPU counters at one moment.
struct CpuSnapshot {
    services: Vec<(&'static str, Option<u64>)>,
    generator: Option<u64>,
    nats: u64,
    postgres: u64,
    machine: (u64, u64),
}

fn snapshot(pids: &[(&'static str, u32)]) -> CpuSnapshot {
    CpuSnapshot {
        services: pids.iter().map(|(n, p)| (*n, cpu_ticks(*p))).collect(),
        generator: cpu_ticks(std::process::id()),
        nats: cpu_ticks_named("nats-server"),
        postgres: cpu_ticks_named("postgres"),
        machine: machine_ticks(),
    }
}

// ---------------------------------------------------------------------------
// Ceilings
// ---------------------------------------------------------------------------

/// A `CaseRegistered` as intake makes it for one of the bench's complaints.
fn case_registered_example() -> Vec<u8> {
    let now = Utc::now();
    let event = CaseRegistered {
        header: Some(mesh_kit::events::header(
            Uuid::now_v7(),
            Uuid::now_v7(),
            "2026-11-000123",
            now,
        )),
        channel: ComplaintChannel::Phone as i32,
        received_at: Some(mesh_kit::time::to_proto(now)),
        region: "north".into(),
        summary: format!("{}（第12345次来电）", PLAIN_FACTS[0].0),
        anonymous: true,
        ..Default::default()
    };
    event.encode_to_vec()
}

/// Removes ceiling streams of runs that crashed more than two hours ago.
async fn remove_stale_ceiling_streams(js: &jetstream::Context) {
    let now = Utc::now().timestamp();
    let mut names = js.stream_names();
    let mut stale = Vec::new();
    while let Some(Ok(name)) = names.next().await {
        let Some(rest) = name.strip_prefix("meshbench") else {
            continue;
        };
        let created: i64 = rest.get(..10).and_then(|s| s.parse().ok()).unwrap_or(now);
        if now - created > 2 * 3600 {
            stale.push(name);
        }
    }
    for name in stale {
        let _ = js.delete_stream(&name).await;
    }
}

async fn jetstream_ceiling(args: &Args, payload: &[u8]) -> anyhow::Result<serde_json::Value> {
    let client = async_nats::ConnectOptions::new()
        .name("mesh-bench")
        .connect(mesh_e2e::nats_url())
        .await
        .context("connecting to NATS")?;
    let js = jetstream::new(client);
    remove_stale_ceiling_streams(&js).await;
    let prefix = format!(
        "meshbench{}{:04x}",
        Utc::now().timestamp(),
        rand::random::<u16>()
    );
    let name = format!("{prefix}_CEILING");
    mesh_kit::nats::ensure_stream(&js, &name, vec![format!("{prefix}.ceiling.>")]).await?;
    let result = jetstream_measure(args, &js, &name, &prefix, payload).await;
    js.delete_stream(&name).await?;
    result
}

async fn jetstream_measure(
    args: &Args,
    js: &jetstream::Context,
    name: &str,
    prefix: &str,
    payload: &[u8],
) -> anyhow::Result<serde_json::Value> {
    let subject = format!("{prefix}.ceiling.case_registered");
    let payload = bytes::Bytes::copy_from_slice(payload);
    let mut acks = FuturesUnordered::new();
    let mut acked = 0u64;
    let mut failed = 0u64;
    let started = Instant::now();
    let until = started + Duration::from_secs(args.ceiling_secs);
    while Instant::now() < until {
        let ack = js
            .send_publish(
                subject.clone(),
                PublishMessage::build()
                    .payload(payload.clone())
                    .message_id(Uuid::now_v7().to_string()),
            )
            .await?;
        acks.push(async move { ack.await });
        while acks.len() >= args.ack_window.max(1) {
            match acks.next().await {
                Some(Ok(_)) => acked += 1,
                Some(Err(_)) => failed += 1,
                None => break,
            }
        }
    }
    while let Some(ack) = acks.next().await {
        match ack {
            Ok(_) => acked += 1,
            Err(_) => failed += 1,
        }
    }
    let publish_secs = started.elapsed().as_secs_f64();
    let stored = js.get_stream(name).await?.get_info().await?.state.messages;

    // Read them back with a durable pull consumer acking each, as the
    // services' consumers do (kit consumer.rs).
    let stream = js.get_stream(name).await?;
    let consumer = stream
        .create_consumer(pull::Config {
            durable_name: Some("ceiling".into()),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_secs(30),
            max_deliver: -1,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    let started = Instant::now();
    let mut consumed = 0u64;
    while consumed < stored {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .context("consuming the ceiling stream timed out")?
            .context("the ceiling stream ended")??;
        message
            .ack()
            .await
            .map_err(|e| anyhow::anyhow!("ack failed: {e}"))?;
        consumed += 1;
    }
    let consume_secs = started.elapsed().as_secs_f64();
    Ok(json!({
        "message_bytes": payload.len(),
        "ack_window": args.ack_window,
        "published": acked,
        "publish_errors": failed,
        "publish_seconds": publish_secs,
        "publish_per_second": acked as f64 / publish_secs,
        "consumed": consumed,
        "consume_seconds": consume_secs,
        "consume_ack_per_second": consumed as f64 / consume_secs,
    }))
}

/// The tables of the Postgres ceiling: intake's `cases` and kit's `outbox`
/// with their columns and indexes.
const PG_SCHEMA: &str = "
CREATE TABLE cases (
    case_id         UUID        PRIMARY KEY,
    case_number     TEXT        NOT NULL UNIQUE,
    query_code      TEXT        NOT NULL,
    idempotency_key TEXT        NOT NULL UNIQUE,
    channel         INTEGER     NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    matter_at       TIMESTAMPTZ,
    region          TEXT        NOT NULL,
    category_hint   TEXT        NOT NULL DEFAULT '',
    respondent      TEXT        NOT NULL DEFAULT '',
    facts           TEXT        NOT NULL,
    request         TEXT        NOT NULL DEFAULT '',
    anonymous       BOOLEAN     NOT NULL,
    complainant_key TEXT        NOT NULL DEFAULT '',
    status          TEXT        NOT NULL DEFAULT 'registered',
    kind            INTEGER     NOT NULL DEFAULT 0,
    category        TEXT        NOT NULL DEFAULT '',
    severity        INTEGER     NOT NULL DEFAULT 0,
    department      TEXT        NOT NULL DEFAULT '',
    mode            INTEGER     NOT NULL DEFAULT 0,
    due_at          TIMESTAMPTZ
);
CREATE TABLE outbox (
    id          BIGSERIAL,
    event_id    UUID        NOT NULL UNIQUE,
    subject     TEXT        NOT NULL,
    payload     BYTEA       NOT NULL,
    traceparent TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    txid        XID8        NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (txid, id)
);
";

const INSERT_CASE: &str = "INSERT INTO cases (case_id, case_number, query_code, idempotency_key, \
     channel, received_at, region, facts, anonymous) VALUES ($1, $2, 'Q7K2M9XA', $3, 1, now(), $4, $5, true)";
const INSERT_OUTBOX: &str =
    "INSERT INTO outbox (event_id, subject, payload, traceparent) VALUES ($1, $2, $3, $4)";
const INSERT_CASES: &str = "INSERT INTO cases (case_id, case_number, query_code, idempotency_key, \
     channel, received_at, region, facts, anonymous) \
     SELECT id, number, 'Q7K2M9XA', key, 1, now(), region, facts, true \
     FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, number, key, region, facts)";
const INSERT_OUTBOXES: &str = "INSERT INTO outbox (event_id, subject, payload, traceparent) \
     SELECT id, $2, $3, $4 FROM UNNEST($1::uuid[]) AS t(id)";
const SUBJECT: &str = "e2e0000000000000.intake.v1.case_registered";
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn postgres_ceiling(args: &Args, payload: &[u8]) -> anyhow::Result<serde_json::Value> {
    let db = TestDatabase::create("ceiling").await?;
    let result = postgres_measure(args, &db.url, payload).await;
    db.drop_it().await?;
    result
}

/// Runs `clients` connections for `secs`, each calling `work(client, n)`
/// (n counts up) until time is up; returns each call's latency (ms).
async fn pg_clients<F, Fut>(
    url: &str,
    clients: usize,
    secs: u64,
    work: F,
) -> anyhow::Result<Vec<f64>>
where
    F: Fn(PgConnection, usize, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<PgConnection>> + Send,
{
    let mut conns = Vec::new();
    for _ in 0..clients {
        conns.push(PgConnection::connect(url).await?);
    }
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = tokio::task::JoinSet::new();
    for (client, conn) in conns.into_iter().enumerate() {
        let work = work.clone();
        tasks.spawn(async move {
            let mut conn = conn;
            let mut latencies = Vec::new();
            let mut n = 0u64;
            while Instant::now() < until {
                let t = Instant::now();
                conn = work(conn, client, n).await?;
                latencies.push(ms(t.elapsed()));
                n += 1;
            }
            conn.close().await?;
            anyhow::Ok(latencies)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(all)
}

async fn postgres_measure(
    args: &Args,
    url: &str,
    payload: &[u8],
) -> anyhow::Result<serde_json::Value> {
    let mut conn = PgConnection::connect(url).await?;
    sqlx::raw_sql(PG_SCHEMA).execute(&mut conn).await?;
    conn.close().await?;
    let payload = Arc::new(payload.to_vec());
    let facts = format!("{}（第12345次来电）", PLAIN_FACTS[0].0);

    // (a) One complaint per transaction, as intake registers one.
    let started = Instant::now();
    let single = {
        let payload = payload.clone();
        let facts = facts.clone();
        pg_clients(
            url,
            args.pg_clients,
            args.ceiling_secs,
            move |mut conn, client, n| {
                let payload = payload.clone();
                let facts = facts.clone();
                async move {
                    let mut tx = conn.begin().await?;
                    sqlx::query(INSERT_CASE)
                        .bind(Uuid::now_v7())
                        .bind(format!("S-{client}-{n}"))
                        .bind(Uuid::new_v4().to_string())
                        .bind(REGIONS[(n % 3) as usize])
                        .bind(&facts)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(INSERT_OUTBOX)
                        .bind(Uuid::now_v7())
                        .bind(SUBJECT)
                        .bind(payload.as_slice())
                        .bind(TRACEPARENT)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(conn)
                }
            },
        )
        .await?
    };
    let single_secs = started.elapsed().as_secs_f64();

    // (b) `pg_batch` complaints per transaction, one statement per table.
    let batch = args.pg_batch.max(1);
    let started = Instant::now();
    let batched = {
        let payload = payload.clone();
        let facts = facts.clone();
        pg_clients(
            url,
            args.pg_clients,
            args.ceiling_secs,
            move |mut conn, client, n| {
                let payload = payload.clone();
                let facts = facts.clone();
                async move {
                    let ids: Vec<Uuid> = (0..batch).map(|_| Uuid::now_v7()).collect();
                    let numbers: Vec<String> =
                        (0..batch).map(|j| format!("B-{client}-{n}-{j}")).collect();
                    let keys: Vec<String> =
                        (0..batch).map(|_| Uuid::new_v4().to_string()).collect();
                    let regions: Vec<String> =
                        (0..batch).map(|j| REGIONS[j % 3].to_owned()).collect();
                    let texts: Vec<String> = vec![facts.clone(); batch];
                    let events: Vec<Uuid> = (0..batch).map(|_| Uuid::now_v7()).collect();
                    let mut tx = conn.begin().await?;
                    sqlx::query(INSERT_CASES)
                        .bind(ids)
                        .bind(numbers)
                        .bind(keys)
                        .bind(regions)
                        .bind(texts)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(INSERT_OUTBOXES)
                        .bind(events)
                        .bind(SUBJECT)
                        .bind(payload.as_slice())
                        .bind(TRACEPARENT)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok(conn)
                }
            },
        )
        .await?
    };
    let batched_secs = started.elapsed().as_secs_f64();
    let commits = single.len();
    let batches = batched.len();
    Ok(json!({
        "clients": args.pg_clients,
        "single": {
            "what": "one complaint row + one outbox row per transaction",
            "commits": commits,
            "seconds": single_secs,
            "commits_per_second": commits as f64 / single_secs,
            "commit_ms": percentiles(single),
        },
        "batched": {
            "what": format!("{batch} complaint rows + {batch} outbox rows per transaction, one statement per table"),
            "rows_per_statement": batch,
            "transactions": batches,
            "seconds": batched_secs,
            "rows_per_second": (batches * batch) as f64 / batched_secs,
            "transaction_ms": percentiles(batched),
        },
    }))
}

// ---------------------------------------------------------------------------
// The mesh under load
// ---------------------------------------------------------------------------

/// Resident memory (VmRSS, MB) of each service, sampled from the start of
/// the load: seconds since the start, and one value per service.
#[derive(Default)]
struct RssSamples {
    at: Vec<f64>,
    mb: Vec<Vec<f64>>,
}

/// Samples every `every` until `end`, the first at `start`.
async fn sample_rss(
    pids: Vec<(&'static str, u32)>,
    start: Instant,
    end: Instant,
    every: Duration,
    into: Arc<Mutex<RssSamples>>,
) {
    let mut tick = tokio::time::interval_at(start, every.max(Duration::from_secs(1)));
    loop {
        let at = tick.tick().await;
        if at > end {
            return;
        }
        let mb = pids
            .iter()
            .map(|(_, p)| status_kb(*p, "VmRSS:").unwrap_or(f64::NAN) / 1024.0)
            .collect();
        let mut s = lock(&into);
        s.at.push(at.duration_since(start).as_secs_f64());
        s.mb.push(mb);
    }
}

/// Per service: the samples, and the mean RSS of the second minute of the
/// load against that of its last minute (null for loads under three
/// minutes, which have no separate second and last minutes).
fn rss_summary(
    names: &[&'static str],
    samples: &RssSamples,
    load_secs: f64,
    every: u64,
) -> serde_json::Value {
    let mean = |i: usize, from: f64, to: f64| -> Option<f64> {
        let v: Vec<f64> = samples
            .at
            .iter()
            .zip(&samples.mb)
            .filter(|(t, _)| **t >= from && **t < to)
            .filter_map(|(_, mb)| mb.get(i).copied())
            .filter(|m| m.is_finite())
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let mut services = serde_json::Map::new();
    for (i, name) in names.iter().enumerate() {
        let series: Vec<f64> = samples
            .mb
            .iter()
            .map(|mb| mb.get(i).copied().unwrap_or(f64::NAN))
            .collect();
        let (second, last) = if load_secs >= 180.0 {
            (
                mean(i, 60.0, 120.0),
                mean(i, load_secs - 60.0, load_secs + 1.0),
            )
        } else {
            (None, None)
        };
        let growth = second.zip(last).map(|(a, b)| b - a);
        let ratio = second.zip(last).map(|(a, b)| b / a);
        services.insert(
            (*name).to_owned(),
            json!({
                "rss_mb": series,
                "second_minute_mean_mb": second,
                "last_minute_mean_mb": last,
                "growth_mb": growth,
                "last_over_second": ratio,
            }),
        );
    }
    json!({
        "interval_seconds": every,
        "seconds_since_load_start": samples.at,
        "services": services,
    })
}

/// One submission: when it was due, sent and answered, and the answer.
struct Submitted {
    due: Instant,
    sent: Instant,
    answered: Instant,
    /// Case number and `replayed`, or the gRPC code.
    outcome: Result<(String, bool), tonic::Code>,
}

type Log = Arc<Mutex<Vec<Submitted>>>;

async fn submit(mut client: IntakeClient<Channel>, run: &str, i: u64, due: Instant, log: &Log) {
    let req = request(run, i);
    let sent = Instant::now();
    let outcome = client
        .submit_complaint(req)
        .await
        .map(|r| {
            let r = r.into_inner();
            (r.case_number, r.replayed)
        })
        .map_err(|s| s.code());
    let answered = Instant::now();
    lock(log).push(Submitted {
        due,
        sent,
        answered,
        outcome,
    });
}

/// Open loop: complaint i is due at `start + i / rate`, sent then whatever
/// happened to the others. Returns how many were sent.
async fn open_loop(
    clients: Vec<IntakeClient<Channel>>,
    run: Arc<str>,
    rate: f64,
    start: Instant,
    end: Instant,
    log: Log,
) -> u64 {
    let mut tasks = tokio::task::JoinSet::new();
    let mut i = 0u64;
    loop {
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        if due >= end {
            break;
        }
        tokio::time::sleep_until(due).await;
        let client = clients[(i % clients.len() as u64) as usize].clone();
        let (run, log) = (run.clone(), log.clone());
        tasks.spawn(async move { submit(client, &run, i, due, &log).await });
        while tasks.try_join_next().is_some() {}
        i += 1;
    }
    while tasks.join_next().await.is_some() {}
    i
}

/// Closed loop: `concurrency` submitters, one complaint at a time each.
async fn closed_loop(
    clients: Vec<IntakeClient<Channel>>,
    run: Arc<str>,
    concurrency: usize,
    end: Instant,
    log: Log,
) -> u64 {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let client = clients[w % clients.len()].clone();
        let (run, log, next) = (run.clone(), log.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let due = Instant::now();
                if due >= end {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                submit(client.clone(), &run, i, due, &log).await;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    next.load(Ordering::Relaxed)
}

/// Events of one kind seen on a stream: case number → arrivals.
#[derive(Default)]
struct Arrivals {
    by_case: HashMap<String, Vec<Instant>>,
    /// Count per the rest of the subject (a queue's department).
    by_subject: BTreeMap<String, u64>,
    total: u64,
}

/// Any event of the mesh, read for its header (field 1 of every event).
#[derive(Clone, PartialEq, prost::Message)]
struct HeaderOnly {
    #[prost(message, optional, tag = "1")]
    header: Option<complaints_proto::v1::EventHeader>,
}

/// Follows the events of a stream on subjects starting with `subject`
/// (base, without the prefix; a trailing `>` takes every subject below),
/// from the stream's start, with an ordered consumer, until aborted.
async fn follow(
    mesh: &TestMesh,
    stream: &str,
    subject: &str,
    into: Arc<Mutex<Arrivals>>,
) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<()>>> {
    let stream = mesh.stream_ready(stream).await?;
    let filter = mesh.subject(subject);
    let start = filter.trim_end_matches('>').to_owned();
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: filter,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    Ok(tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            let message = message?;
            let at = Instant::now();
            let rest = message
                .subject
                .as_str()
                .strip_prefix(&start)
                .unwrap_or_default()
                .to_owned();
            let event = HeaderOnly::decode(message.payload.clone())?;
            let number = event.header.map(|h| h.case_number).unwrap_or_default();
            let mut a = lock(&into);
            a.by_case.entry(number).or_default().push(at);
            *a.by_subject.entry(rest).or_insert(0) += 1;
            a.total += 1;
        }
        anyhow::Ok(())
    }))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    std::env::set_current_dir(repo_root())?;
    let payload = case_registered_example();

    let mut ceilings = json!(null);
    if !args.no_ceilings {
        eprintln!(
            "mesh-bench: JetStream ceiling ({} s, {}-byte messages)",
            args.ceiling_secs,
            payload.len()
        );
        let js = jetstream_ceiling(&args, &payload).await?;
        eprintln!(
            "mesh-bench: Postgres ceiling ({} s each, {} clients)",
            args.ceiling_secs, args.pg_clients
        );
        let pg = postgres_ceiling(&args, &payload).await?;
        ceilings = json!({ "jetstream": js, "postgres": pg });
    }

    eprintln!("mesh-bench: starting the mesh");
    let connections = args.db_connections.to_string();
    let settings = [
        ("RUST_LOG", "warn"),
        ("MESH__DATABASE__MAX_CONNECTIONS", connections.as_str()),
    ];
    // Kept until the mesh has stopped: dropping it stops the cluster.
    let mut private = None;
    let mesh = if args.statements > 0 {
        let pg = PrivatePostgres::start_with(&[
            "shared_preload_libraries=pg_stat_statements",
            "pg_stat_statements.track=top",
            "pg_stat_statements.track_planning=on",
        ])
        .await?;
        let infra = Infra {
            admin_url: pg.admin_url(),
            nats_url: Infra::machine().nats_url,
        };
        let mut admin = PgConnection::connect(&infra.admin_url).await?;
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .execute(&mut admin)
            .await?;
        private = Some(pg);
        let all: Vec<&'static str> = SERVICES.iter().map(|(n, _)| *n).collect();
        TestMesh::start_on(infra, &all, &settings).await?
    } else {
        TestMesh::start_with(&settings).await?
    };
    let result = run(&args, &mesh, &command, ceilings, payload.len()).await;
    if result.is_err() {
        eprintln!("{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    drop(private);
    result
}

/// The `n` statements that took the most time, planning and execution,
/// since the last reset (pg_stat_statements, on the private cluster of
/// `--statements`). Planning counts: a statement sent unprepared is
/// planned at every call.
async fn top_statements(mesh: &TestMesh, n: usize) -> anyhow::Result<serde_json::Value> {
    let mut conn = PgConnection::connect(&mesh.infra.admin_url).await?;
    let rows: Vec<(i64, f64, f64, i64, String)> = sqlx::query_as(
        "SELECT s.calls, s.total_plan_time + s.total_exec_time, s.total_plan_time, s.rows, s.query \
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 \
         ORDER BY s.total_plan_time + s.total_exec_time DESC LIMIT $2",
    )
    .bind(&mesh.database)
    .bind(i64::try_from(n).unwrap_or(i64::MAX))
    .fetch_all(&mut conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(calls, total_ms, plan_ms, rows, query)| {
            let query = query.split_whitespace().collect::<Vec<_>>().join(" ");
            json!({ "calls": calls, "total_ms": total_ms, "plan_ms": plan_ms, "rows": rows, "query": query })
        })
        .collect())
}

async fn reset_statements(mesh: &TestMesh) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(&mesh.infra.admin_url).await?;
    sqlx::query("SELECT pg_stat_statements_reset()")
        .execute(&mut conn)
        .await?;
    Ok(())
}

async fn run(
    args: &Args,
    mesh: &TestMesh,
    command: &str,
    ceilings: serde_json::Value,
    event_bytes: usize,
) -> anyhow::Result<()> {
    let mut pids = Vec::new();
    for (name, _) in SERVICES {
        pids.push((name, mesh.pid(name).with_context(|| format!("{name} pid"))?));
    }
    let ticks = clock_ticks();
    let mut clients = Vec::new();
    for _ in 0..args.channels.max(1) {
        let channel = Channel::from_shared(mesh.url("intake"))?
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .connect()
            .await?;
        clients.push(IntakeClient::new(channel));
    }
    // The queues, and on the way there intake's and triage's events, to
    // say where the time goes.
    use mesh_kit::events::{dispatch, intake, triage};
    let orders = Arc::new(Mutex::new(Arrivals::default()));
    let registered = Arc::new(Mutex::new(Arrivals::default()));
    let routed = Arc::new(Mutex::new(Arrivals::default()));
    let mut followers = vec![
        follow(
            mesh,
            dispatch::STREAM,
            &format!("{}>", dispatch::ORDERS_PREFIX),
            orders.clone(),
        )
        .await?,
    ];
    if args.stages {
        followers.push(
            follow(
                mesh,
                intake::STREAM,
                intake::CASE_REGISTERED,
                registered.clone(),
            )
            .await?,
        );
        followers.push(follow(mesh, triage::STREAM, triage::CASE_ROUTED, routed.clone()).await?);
    }

    let mode = match (args.rate, args.concurrency) {
        (_, Some(c)) => json!({ "concurrency": c }),
        (rate, None) => json!({ "rate": rate.unwrap_or(200.0) }),
    };
    let run_id: Arc<str> = mesh.id.clone().into();
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now() + Duration::from_millis(100);
    let window_start = start + Duration::from_secs(args.warmup_secs);
    let end = window_start + Duration::from_secs(args.secs);
    eprintln!(
        "mesh-bench: load {mode} for {} s warm-up + {} s measured",
        args.warmup_secs, args.secs
    );
    let load = match args.concurrency {
        Some(c) => tokio::spawn(closed_loop(clients, run_id, c.max(1), end, log.clone())),
        None => {
            let rate = args.rate.unwrap_or(200.0);
            anyhow::ensure!(rate > 0.0, "--rate must be above 0");
            tokio::spawn(open_loop(clients, run_id, rate, start, end, log.clone()))
        }
    };
    let rss = Arc::new(Mutex::new(RssSamples::default()));
    let sampler = tokio::spawn(sample_rss(
        pids.clone(),
        start,
        end,
        Duration::from_secs(args.rss_every_secs),
        rss.clone(),
    ));
    tokio::time::sleep_until(window_start).await;
    let before = snapshot(&pids);
    let (commits_before, wal_before) = pg_counters(mesh).await;
    let rows_before = pg_row_writes(mesh).await;
    if args.statements > 0 {
        reset_statements(mesh).await?;
    }
    tokio::time::sleep_until(end).await;
    let after = snapshot(&pids);
    let (commits_after, wal_after) = pg_counters(mesh).await;
    let rows_after = pg_row_writes(mesh).await;
    let statements = if args.statements > 0 {
        top_statements(mesh, args.statements).await?
    } else {
        json!(null)
    };
    let behind_at_end = {
        let log = lock(&log);
        let o = lock(&orders);
        log.iter()
            .filter_map(|s| s.outcome.as_ref().ok())
            .filter(|(n, _)| !o.by_case.contains_key(n))
            .count()
    };
    let sent = load.await?;
    let load_done = Instant::now();
    sampler.abort();
    let names: Vec<&'static str> = pids.iter().map(|(n, _)| *n).collect();
    let memory_over_time = rss_summary(
        &names,
        &lock(&rss),
        (end - start).as_secs_f64(),
        args.rss_every_secs,
    );

    // Wait for the last orders, then a little more for any second order.
    let accepted: Vec<String> = lock(&log)
        .iter()
        .filter_map(|s| s.outcome.as_ref().ok().map(|(n, _)| n.clone()))
        .collect();
    let drain_until = load_done + Duration::from_secs(args.drain_secs);
    let drained = loop {
        let missing = {
            let o = lock(&orders);
            accepted
                .iter()
                .filter(|n| !o.by_case.contains_key(*n))
                .count()
        };
        if missing == 0 {
            break Some(load_done.elapsed().as_secs_f64());
        }
        if followers.iter().any(tokio::task::JoinHandle::is_finished) {
            eprintln!("mesh-bench: reading a stream stopped");
            break None;
        }
        if Instant::now() > drain_until {
            eprintln!(
                "mesh-bench: {missing} accepted complaints have no order after {} s",
                args.drain_secs
            );
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    for follower in followers {
        if follower.is_finished() {
            match follower.await {
                Ok(Err(err)) => eprintln!("mesh-bench: reading a stream failed: {err:#}"),
                Err(err) => eprintln!("mesh-bench: reading a stream failed: {err}"),
                Ok(Ok(())) => eprintln!("mesh-bench: a stream ended"),
            }
        } else {
            follower.abort();
        }
    }
    let memory: Vec<(&str, f64)> = pids
        .iter()
        .map(|(n, p)| (*n, status_kb(*p, "VmHWM:").unwrap_or(f64::NAN) / 1024.0))
        .collect();
    let generator_memory = status_kb(std::process::id(), "VmHWM:").unwrap_or(f64::NAN) / 1024.0;
    let streams_per_complaint = stream_totals(mesh)
        .await
        .map(|n| n as f64 / accepted.len().max(1) as f64);

    // Figures.
    let log = std::mem::take(&mut *lock(&log));
    let o = std::mem::take(&mut *lock(&orders));
    let registered = std::mem::take(&mut *lock(&registered));
    let routed = std::mem::take(&mut *lock(&routed));
    let mut registered_ms = Vec::new();
    let mut routed_ms = Vec::new();
    let in_window = |t: Instant| t >= window_start && t < end;
    let secs = args.secs as f64;
    let mut submit_ms = Vec::new();
    let mut service_ms = Vec::new();
    let mut e2e_ms = Vec::new();
    let mut e2e_missing = 0u64;
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut accepted_in_window = 0u64;
    let mut replayed = 0u64;
    for s in &log {
        match &s.outcome {
            Ok((number, was_replayed)) => {
                replayed += u64::from(*was_replayed);
                if !in_window(s.due) {
                    continue;
                }
                accepted_in_window += 1;
                submit_ms.push(ms(s.answered - s.due));
                service_ms.push(ms(s.answered - s.sent));
                match o.by_case.get(number).and_then(|a| a.first()) {
                    Some(at) => e2e_ms.push(ms(at.saturating_duration_since(s.due))),
                    None => e2e_missing += 1,
                }
                for (stage, samples) in
                    [(&registered, &mut registered_ms), (&routed, &mut routed_ms)]
                {
                    if let Some(at) = stage.by_case.get(number).and_then(|a| a.first()) {
                        samples.push(ms(at.saturating_duration_since(s.due)));
                    }
                }
            }
            Err(code) => *errors.entry(format!("{code:?}")).or_insert(0) += 1,
        }
    }
    let submitted_in_window = log.iter().filter(|s| in_window(s.due)).count() as u64;
    let orders_in_window = o
        .by_case
        .values()
        .flatten()
        .filter(|t| in_window(**t))
        .count() as u64;
    let throughput = orders_in_window as f64 / secs;
    let commits_in_window = match (commits_before, commits_after) {
        (Some(a), Some(b)) => Some((b - a) as f64),
        _ => None,
    };
    let commits_per_second = commits_in_window.map(|c| c / secs);
    let row_writes = RowWrites::in_window(&rows_before, &rows_after, orders_in_window);
    let wal_per_order = match (wal_before, wal_after) {
        (Some(a), Some(b)) if orders_in_window > 0 => {
            Some((b - a) as f64 / orders_in_window as f64)
        }
        _ => None,
    };
    let commits_per_order = commits_in_window
        .filter(|_| orders_in_window > 0)
        .map(|c| c / orders_in_window as f64);

    // Exactly one order per accepted complaint.
    let mut without = 0u64;
    let mut twice = 0u64;
    let mut accepted_set = std::collections::HashSet::new();
    for n in &accepted {
        accepted_set.insert(n.as_str());
        match o.by_case.get(n).map_or(0, Vec::len) {
            0 => without += 1,
            1 => {}
            _ => twice += 1,
        }
    }
    let distinct_cases = accepted_set.len() as u64;
    let unknown: u64 = o
        .by_case
        .iter()
        .filter(|(n, _)| !accepted_set.contains(n.as_str()))
        .map(|(_, v)| v.len() as u64)
        .sum();
    let exactly_once = without == 0
        && twice == 0
        && distinct_cases == accepted.len() as u64
        && o.total == accepted.len() as u64;

    // CPU over the window.
    let window_ticks = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / ticks),
        _ => None,
    };
    let per_complaint = |cpu: f64| {
        if orders_in_window == 0 {
            f64::NAN
        } else {
            cpu * 1000.0 / orders_in_window as f64
        }
    };
    let mut cpu_rows: Vec<(String, f64, Option<f64>)> = Vec::new();
    for ((name, a), (_, b)) in before.services.iter().zip(&after.services) {
        let mem = memory.iter().find(|(n, _)| n == name).map(|(_, m)| *m);
        cpu_rows.push((
            (*name).to_owned(),
            window_ticks(*a, *b).unwrap_or(f64::NAN),
            mem,
        ));
    }
    cpu_rows.push((
        "mesh-bench (this generator)".into(),
        window_ticks(before.generator, after.generator).unwrap_or(f64::NAN),
        Some(generator_memory),
    ));
    cpu_rows.push((
        "nats-server (all on the machine)".into(),
        after.nats.saturating_sub(before.nats) as f64 / ticks,
        None,
    ));
    cpu_rows.push((
        "postgres (all on the machine)".into(),
        after.postgres.saturating_sub(before.postgres) as f64 / ticks,
        None,
    ));
    let (busy, total) = (
        after.machine.0.saturating_sub(before.machine.0),
        after.machine.1.saturating_sub(before.machine.1),
    );
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let machine_busy = if total == 0 {
        f64::NAN
    } else {
        busy as f64 / total as f64
    };
    let busiest = cpu_rows
        .iter()
        .take(SERVICES.len())
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|r| r.0.clone())
        .unwrap_or_default();

    let submit = percentiles(submit_ms);
    let service = percentiles(service_ms);
    let e2e = percentiles(e2e_ms);
    // Null when the stages were not followed (`--stages`).
    let stage = |samples: Vec<f64>| {
        if args.stages {
            percentiles(samples)
        } else {
            serde_json::Value::Null
        }
    };
    let to_registered = stage(registered_ms);
    let to_routed = stage(routed_ms);
    let fraction = |v: &serde_json::Value| -> Option<f64> {
        let c = v.as_f64()?;
        (c > 0.0).then(|| throughput / c)
    };
    // The mesh's own rate of what a ceiling counts, where it is known:
    // stream messages stored per second, Postgres commits per second.
    let own_messages = streams_per_complaint.map(|m| m * throughput);
    let ceiling_list = [
        (
            "JetStream publish",
            &ceilings["jetstream"]["publish_per_second"],
            "msg/s",
            own_messages,
        ),
        (
            "JetStream consume + ack",
            &ceilings["jetstream"]["consume_ack_per_second"],
            "msg/s",
            None,
        ),
        (
            "Postgres 2-insert transactions",
            &ceilings["postgres"]["single"]["commits_per_second"],
            "commits/s",
            commits_per_second,
        ),
        (
            "Postgres batched inserts",
            &ceilings["postgres"]["batched"]["rows_per_second"],
            "rows/s",
            None,
        ),
    ];
    let own_fraction = |v: &serde_json::Value, own: Option<f64>| -> Option<f64> {
        let c = v.as_f64()?;
        (c > 0.0).then_some(own? / c)
    };
    let fractions: serde_json::Map<String, serde_json::Value> = ceiling_list
        .iter()
        .map(|(name, v, _, own)| {
            (
                (*name).to_owned(),
                json!({ "orders_per_second": fraction(v), "own_rate": own_fraction(v, *own) }),
            )
        })
        .collect();

    // The services log at warn: whatever they logged is worth keeping with
    // the figures (a consumer that reconnected, a relay that retried),
    // since their log files go with the mesh.
    let mut service_logs = serde_json::Map::new();
    let mut logged = Vec::new();
    for (name, _) in SERVICES {
        let log = mesh.log(name);
        let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        if !lines.is_empty() {
            logged.push(format!("{name} {}", lines.len()));
        }
        let first: Vec<&str> = lines.iter().take(LOG_LINES_KEPT).copied().collect();
        service_logs.insert(
            (*name).to_owned(),
            json!({ "lines": lines.len(), "first": first }),
        );
    }

    let summary = json!({
        "benchmark": "mesh",
        "date": Utc::now().to_rfc3339(),
        "command": command,
        "machine": { "cores": cores },
        "settings": {
            "mode": mode,
            "warmup_seconds": args.warmup_secs,
            "measured_seconds": args.secs,
            "grpc_channels": args.channels.max(1),
            "service_db_connections": args.db_connections,
            "service_log_level": "warn",
            "case_registered_bytes": event_bytes,
        },
        "ceilings": ceilings,
        "postgres_statements": statements,
        "mesh": {
            "submitted": sent,
            "accepted": accepted.len(),
            "replayed": replayed,
            "errors_by_grpc_code": errors,
            "window": {
                "submitted": submitted_in_window,
                "submitted_per_second": submitted_in_window as f64 / secs,
                "accepted": accepted_in_window,
                "refused_or_failed": submitted_in_window - accepted_in_window,
                "orders_reaching_queues": orders_in_window,
                "orders_per_second": throughput,
                "accepted_without_order_at_window_end": behind_at_end,
                "end_to_end_ms": e2e,
                "end_to_end_never_arrived": e2e_missing,
                "submit_to_case_registered_on_intake_stream_ms": to_registered,
                "submit_to_case_routed_on_triage_stream_ms": to_routed,
                "submit_ms_from_due": submit,
                "submit_ms_from_send": service,
            },
            "drain_seconds_after_load": drained,
            "orders_by_department": o.by_subject,
            "stream_messages_per_accepted_complaint": streams_per_complaint,
            "postgres_commits_per_second_in_window": commits_per_second,
            "postgres_commits_per_order_in_window": commits_per_order,
            "postgres_row_writes_per_order_in_window": row_writes.to_json(),
            "postgres_wal_bytes_per_order_in_window": wal_per_order,
            "fraction_of_ceiling": fractions,
        },
        "check": {
            "every_accepted_complaint_exactly_one_order": exactly_once,
            "accepted_without_order": without,
            "accepted_with_more_than_one_order": twice,
            "orders_of_complaints_not_accepted_here": unknown,
            "orders_total": o.total,
        },
        "cpu_seconds_in_window": cpu_rows.iter().map(|(n, c, _)| (n.clone(), json!(c))).collect::<serde_json::Map<_, _>>(),
        "cpu_ms_per_order_in_window": cpu_rows.iter().map(|(n, c, _)| (n.clone(), json!(per_complaint(*c)))).collect::<serde_json::Map<_, _>>(),
        "machine_cpu_busy_fraction_in_window": machine_busy,
        "memory_over_time": memory_over_time,
        "service_logs": service_logs,
        "peak_memory_mb": cpu_rows.iter().filter_map(|(n, _, m)| Some((n.clone(), json!((*m)?)))).collect::<serde_json::Map<_, _>>(),
    });

    // The table.
    let load = match (args.rate, args.concurrency) {
        (_, Some(c)) => format!("closed loop, {c} submitters"),
        (rate, None) => format!("open loop at {}/s", rate.unwrap_or(200.0)),
    };
    println!(
        "mesh-bench, {load}, {} s measured after {} s warm-up, {} gRPC channels, {} DB connections per service",
        args.secs, args.warmup_secs, args.channels.max(1), args.db_connections
    );
    if !ceilings.is_null() {
        println!(
            "  ceilings of the same servers, same settings ({event_bytes}-byte events), and the mesh as a fraction of each:"
        );
        println!(
            "    {:<32} {:>10} {:<10} {:>10} {:>12}",
            "", "ceiling", "", "orders/s", "own rate"
        );
        for (name, v, unit, own) in &ceiling_list {
            println!(
                "    {name:<32} {:>10.0} {unit:<10} {:>9.1}% {:>11}",
                v.as_f64().unwrap_or(f64::NAN),
                fraction(v).map_or(f64::NAN, |f| f * 100.0),
                own_fraction(v, *own).map_or("-".into(), |f| format!("{:.1}%", f * 100.0))
            );
        }
    }
    println!(
        "  the mesh's own traffic: {:.1} stream messages per complaint ({:.0} msg/s at this throughput), {:.1} Postgres commits per order ({:.0} commits/s in the window)",
        streams_per_complaint.unwrap_or(f64::NAN),
        streams_per_complaint.unwrap_or(f64::NAN) * throughput,
        commits_per_order.unwrap_or(f64::NAN),
        commits_per_second.unwrap_or(f64::NAN),
    );
    if let Some(line) = row_writes.line() {
        println!("  {line}");
    }
    if let Some(wal) = wal_per_order {
        println!(
            "  Postgres WAL per order: {:.1} kB (the whole server's)",
            wal / 1000.0
        );
    }
    let errors_text = if errors.is_empty() {
        "none".to_owned()
    } else {
        errors
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "  submitted {sent}, accepted {}, errors: {errors_text}",
        accepted.len()
    );
    println!(
        "  {:<44} {:>10.1} /s (submitted {:.1} /s)",
        "work orders reaching the queues",
        throughput,
        submitted_in_window as f64 / secs
    );
    println!(
        "  {:<44} {}",
        "submit → queue, p50 / p99 / p99.9 / max",
        fmt_latency(&e2e)
    );
    if args.stages {
        println!(
            "  {:<44} {}",
            "  on the way: CaseRegistered on INTAKE",
            fmt_latency(&to_registered)
        );
        println!(
            "  {:<44} {}",
            "  on the way: CaseRouted on TRIAGE",
            fmt_latency(&to_routed)
        );
    }
    println!(
        "  {:<44} {}",
        "SubmitComplaint, p50 / p99 / p99.9 / max",
        fmt_latency(&submit)
    );
    println!(
        "  {:<44} {}",
        "  the same from the send",
        fmt_latency(&service)
    );
    println!(
        "  {:<44} {behind_at_end} (all in {})",
        "accepted, no order yet at the window's end",
        drained.map_or("never".into(), |s| format!("{s:.1} s after the load"))
    );
    println!(
        "  {:<34} {:>9} {:>8} {:>10} {:>9}",
        "CPU in the window, peak memory", "CPU s", "% core", "ms/order", "peak MB"
    );
    for (name, cpu, mem) in &cpu_rows {
        println!(
            "    {name:<32} {cpu:>9.1} {:>8.0} {:>10.2} {:>9}",
            cpu / secs * 100.0,
            per_complaint(*cpu),
            mem.map_or("".into(), |m| format!("{m:.0}"))
        );
    }
    let flat: Vec<String> = names
        .iter()
        .filter_map(|n| {
            let m = &summary["memory_over_time"]["services"][*n];
            Some(format!(
                "{n} {:.1} → {:.1}",
                m["second_minute_mean_mb"].as_f64()?,
                m["last_minute_mean_mb"].as_f64()?
            ))
        })
        .collect();
    if !flat.is_empty() {
        println!(
            "  resident memory (VmRSS), mean MB of the second minute → the last: {}",
            flat.join(", ")
        );
    }
    println!(
        "  machine ({cores} cores) busy {:.0} % in the window; busiest service: {busiest}",
        machine_busy * 100.0
    );
    println!(
        "  check: every accepted complaint has exactly one work order: {}",
        if exactly_once {
            "yes".to_owned()
        } else {
            format!(
                "NO ({without} without, {twice} with more than one, {unknown} orders of others)"
            )
        }
    );
    if !logged.is_empty() {
        println!(
            "  services' warnings and errors (lines; the first {LOG_LINES_KEPT} of each in the JSON): {}",
            logged.join(", ")
        );
    }
    if let Some(top) = summary["postgres_statements"].as_array() {
        let window_ms: f64 = top.iter().filter_map(|s| s["total_ms"].as_f64()).sum();
        println!(
            "  Postgres statements in the window, by time (private cluster; top {} take {:.1} s):",
            top.len(),
            window_ms / 1000.0
        );
        println!("         calls   per order   total ms    of which planning   ms/call  statement");
        for s in top {
            let calls = s["calls"].as_i64().unwrap_or(0);
            let total = s["total_ms"].as_f64().unwrap_or(0.0);
            let plan = s["plan_ms"].as_f64().unwrap_or(0.0);
            let query: String = s["query"].as_str().unwrap_or("").chars().take(90).collect();
            println!(
                "    {calls:>10} {:>11.2} {total:>10.0} {plan:>19.0} {:>9.3}  {query}",
                calls as f64 / accepted_in_window.max(1) as f64,
                total / calls.max(1) as f64
            );
        }
    }
    std::fs::create_dir_all(&args.out)?;
    let file = args
        .out
        .join(format!("mesh-{}.json", Utc::now().format("%Y%m%dT%H%M%SZ")));
    std::fs::write(&file, serde_json::to_string_pretty(&summary)?)?;
    println!("  written to {}", file.display());
    if !exactly_once {
        bail!("not every accepted complaint got exactly one work order");
    }
    Ok(())
}

/// Messages in the mesh's event streams, all together.
async fn stream_totals(mesh: &TestMesh) -> Option<u64> {
    use mesh_kit::events::{deadline, dispatch, intake, triage};
    let mut total = 0;
    for base in [
        intake::STREAM,
        triage::STREAM,
        dispatch::STREAM,
        deadline::STREAM,
    ] {
        let mut stream = mesh.js.get_stream(mesh.stream(base)).await.ok()?;
        total += stream.info().await.ok()?.state.messages;
    }
    Some(total)
}

/// Transactions committed in the mesh's database so far, and the WAL
/// bytes the server has written (all its databases: in a run, the
/// mesh's), read together; Postgres's statistics lag by up to a second.
async fn pg_counters(mesh: &TestMesh) -> (Option<i64>, Option<i64>) {
    let Ok(mut conn) = PgConnection::connect(&mesh.infra.admin_url).await else {
        return (None, None);
    };
    let counters: (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = $1), \
                (SELECT wal_bytes::bigint FROM pg_stat_wal)",
    )
    .bind(&mesh.database)
    .fetch_one(&mut conn)
    .await
    .unwrap_or((None, None));
    let _ = conn.close().await;
    counters
}

/// Rows written so far in the mesh's database, per table
/// (`schema.table` → inserted, updated, of which HOT, deleted), from
/// Postgres's statistics (which lag by up to a second). Empty when they
/// cannot be read.
async fn pg_row_writes(mesh: &TestMesh) -> BTreeMap<String, [i64; 4]> {
    let read = async {
        let mut conn = PgConnection::connect(&mesh.database_url).await?;
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT schemaname || '.' || relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del \
             FROM pg_stat_user_tables",
        )
        .fetch_all(&mut conn)
        .await?;
        let _ = conn.close().await;
        anyhow::Ok(rows)
    };
    read.await
        .map(|rows| {
            rows.into_iter()
                .map(|(table, ins, upd, hot, del)| (table, [ins, upd, hot, del]))
                .collect()
        })
        .unwrap_or_default()
}

/// Row writes per order reaching the queues in the window, per table: the
/// work Postgres does for each complaint, whatever the batching.
struct RowWrites {
    /// Per table: inserted, updated, of which HOT, deleted, each per order.
    tables: Vec<(String, [f64; 4])>,
}

impl RowWrites {
    const KINDS: [&'static str; 4] = ["inserted", "updated", "hot_updated", "deleted"];

    fn in_window(
        before: &BTreeMap<String, [i64; 4]>,
        after: &BTreeMap<String, [i64; 4]>,
        orders: u64,
    ) -> Self {
        let mut tables = Vec::new();
        if orders > 0 {
            for (table, a) in after {
                let b = before.get(table).copied().unwrap_or_default();
                let per: [f64; 4] =
                    std::array::from_fn(|i| (a[i] - b[i]).max(0) as f64 / orders as f64);
                if per.iter().any(|v| *v > 0.0) {
                    tables.push((table.clone(), per));
                }
            }
        }
        // Most written first.
        tables.sort_by(|x, y| Self::writes(&y.1).total_cmp(&Self::writes(&x.1)));
        RowWrites { tables }
    }

    /// Inserted + updated + deleted (HOT updates are among the updated).
    fn writes(per: &[f64; 4]) -> f64 {
        per[0] + per[1] + per[3]
    }

    /// Rows written per order, all tables.
    fn total(&self) -> f64 {
        self.tables.iter().map(|(_, p)| Self::writes(p)).sum()
    }

    fn to_json(&self) -> Value {
        if self.tables.is_empty() {
            return Value::Null;
        }
        let total = self.total();
        let tables: serde_json::Map<_, _> = self
            .tables
            .iter()
            .map(|(t, p)| {
                let kinds: serde_json::Map<_, _> = Self::KINDS
                    .iter()
                    .zip(p)
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect();
                (t.clone(), Value::Object(kinds))
            })
            .collect();
        json!({ "total": total, "tables": tables })
    }

    /// One line for the table: the total and the five most written tables.
    fn line(&self) -> Option<String> {
        if self.tables.is_empty() {
            return None;
        }
        let total = self.total();
        let top = self
            .tables
            .iter()
            .take(5)
            .map(|(t, p)| format!("{t} {:.1}", Self::writes(p)))
            .collect::<Vec<_>>()
            .join(", ");
        Some(format!(
            "Postgres rows written per order (inserted + updated + deleted): {total:.1}; most: {top}"
        ))
    }
}
