//! timer-bench: the deadline-watcher at scale (issue 4), against the real
//! binary, Postgres and NATS.
//!
//! 1. A fresh database and NATS prefix; the deadline-watcher alone.
//! 2. `--timers` open timers (default 10,000,000) loaded with COPY, due over
//!    the next 30 days: the province's backlog the watcher must carry.
//! 3. Steady: 1,000 timers fall due per second for `--steady-secs`;
//!    firing lateness = when the alert was made − when it was due.
//! 4. Burst: 100,000 timers due within the same second, while canary timers
//!    fall due 100 per second around it; drain time of the burst and the
//!    canaries' lateness.
//! 5. The watcher's peak resident memory (VmHWM), read from /proc.
//!
//! Prints a summary and writes JSON to `bench/results/`. Run it with
//! `make bench` (release build).

use anyhow::Context;
use async_nats::jetstream::consumer::pull::OrderedConfig;
use chrono::{DateTime, Duration, Utc};
use clap::Parser;
use complaints_proto::v1::DeadlineAlert;
use futures::StreamExt;
use mesh_e2e::{pct, repo_root, TestMesh};
use prost::Message;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};
use std::str::FromStr;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "timer-bench",
    about = "The deadline-watcher with millions of open timers: lateness, burst drain, memory"
)]
struct Args {
    /// Open timers loaded before the measurements.
    #[arg(long, default_value_t = 10_000_000)]
    timers: u64,
    /// Seconds of the steady phase (1,000 timers due per second).
    #[arg(long, default_value_t = 60)]
    steady_secs: u64,
    /// Timers due in the burst second.
    #[arg(long, default_value_t = 100_000)]
    burst: u64,
    /// Where to write the JSON summary.
    #[arg(long, default_value = "bench/results")]
    out: std::path::PathBuf,
}

const COLUMNS: &str =
    "timer_id, case_id, case_number, order_id, department, deadline_kind, due_at, rule, state, \
     revision, started_at, stage, level, fire_at, category";

/// Loads `n` pending timers due over the 30 days after `from`, in due order.
async fn load_backlog(conn: &mut PgConnection, n: u64, from: DateTime<Utc>) -> anyhow::Result<()> {
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY timers ({COLUMNS}) FROM STDIN WITH (FORMAT csv)"
        ))
        .await?;
    let span_ms = 30 * 24 * 3600 * 1000i64;
    let chunk = 50_000u64;
    let mut i = 0u64;
    while i < n {
        let mut buf = String::with_capacity(chunk as usize * 260);
        for j in i..(i + chunk).min(n) {
            let at = from + Duration::milliseconds(span_ms * j as i64 / n as i64);
            let at = at.format("%Y-%m-%d %H:%M:%S%.3f+00");
            let id = uuid::Uuid::from_u128(
                0x0190_0000_0000_7000_8000_0000_0000_0000u128 | u128::from(j),
            );
            buf.push_str(&format!(
                "{id},{id},BL-{j},{id},east-heat,1,{at},transferred: 10 working days,pending,1,{at},overdue,0,{at},heating\n"
            ));
        }
        copy.send(buf.as_bytes()).await?;
        i += chunk;
        if i % 1_000_000 == 0 {
            eprintln!("  loaded {i} timers");
        }
    }
    copy.finish().await?;
    Ok(())
}

/// Adds `count` timers named `<prefix>-<g>` due at `first + g × step_ms`.
async fn add_due(
    conn: &mut PgConnection,
    prefix: &str,
    count: u64,
    first: DateTime<Utc>,
    step_us: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO timers (timer_id, case_id, case_number, order_id, department, deadline_kind, due_at, rule, state, \
         revision, started_at, stage, level, fire_at, category) \
         SELECT id, id, $1 || '-' || g, id, 'east-heat', 1, at, 'bench', 'pending', 1, at, 'overdue', 0, at, 'heating' \
         FROM (SELECT g, gen_random_uuid() AS id, $2::timestamptz + make_interval(secs => (g * $3)::float8 / 1e6) AS at \
               FROM generate_series(0, $4 - 1) g) s",
    )
    .bind(prefix)
    .bind(first)
    .bind(step_us)
    .bind(i64::try_from(count)?)
    .execute(conn)
    .await?;
    Ok(())
}

/// Percentile of sorted values (nearest rank).
#[derive(Default)]
struct Seen {
    /// Firing lateness (ms) per case-number prefix.
    fired: std::collections::HashMap<String, Vec<f64>>,
    /// Delivery lateness (ms): received here − due.
    delivered: std::collections::HashMap<String, Vec<f64>>,
    /// Latest firing time per prefix.
    last_fired: std::collections::HashMap<String, DateTime<Utc>>,
    /// Latest time an alert arrived here, per prefix.
    last_received: std::collections::HashMap<String, DateTime<Utc>>,
}

fn vm_hwm_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::env::set_current_dir(repo_root())?;
    eprintln!("timer-bench: starting the deadline-watcher");
    let mesh = TestMesh::start_services(&["deadline-watcher"], &[("RUST_LOG", "warn")]).await?;
    let result = run(&args, &mesh).await;
    if result.is_err() {
        eprintln!("{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}

async fn run(args: &Args, mesh: &TestMesh) -> anyhow::Result<()> {
    let pid = mesh.pid("deadline-watcher").context("watcher pid")?;
    let options = PgConnectOptions::from_str(&mesh.database_url)?
        .options([("search_path", "deadline_watcher")]);
    let mut conn = options.connect().await?;

    eprintln!("timer-bench: loading {} open timers", args.timers);
    let started = Instant::now();
    load_backlog(&mut conn, args.timers, Utc::now() + Duration::days(1)).await?;
    sqlx::query("ANALYZE timers").execute(&mut conn).await?;
    let load_secs = started.elapsed().as_secs_f64();
    let open: i64 = sqlx::query_scalar("SELECT count(*) FROM timers WHERE state = 'pending'")
        .fetch_one(&mut conn)
        .await?;
    eprintln!("timer-bench: {open} open timers in {load_secs:.0} s");

    // Follow every alert from now on.
    let stream = mesh.stream_ready("DEADLINE").await?;
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: mesh.subject("deadline.v1.alerts.>"),
            deliver_policy: async_nats::jetstream::consumer::DeliverPolicy::New,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;

    // Steady: 1,000 per second.
    let steady = args.steady_secs * 1000;
    let t0 = Utc::now() + Duration::seconds(3);
    add_due(&mut conn, "S", steady, t0, 1000).await?;
    // Burst: `burst` timers within one second, canaries 100/s from 5 s
    // before to 15 s after.
    let t1 = t0 + Duration::seconds(i64::try_from(args.steady_secs)? + 10);
    add_due(
        &mut conn,
        "B",
        args.burst,
        t1,
        1_000_000 / i64::try_from(args.burst.max(1))?,
    )
    .await?;
    add_due(&mut conn, "C", 2000, t1 - Duration::seconds(5), 10_000).await?;
    let expected = steady + args.burst + 2000;
    eprintln!(
        "timer-bench: {steady} steady timers from {t0}, a burst of {} at {t1}",
        args.burst
    );

    let mut seen = Seen::default();
    let mut got = 0u64;
    let give_up = t1 + Duration::seconds(120);
    while got < expected {
        let left = (give_up - Utc::now()).to_std().unwrap_or_default();
        let Ok(Some(message)) = tokio::time::timeout(left, messages.next()).await else {
            anyhow::bail!("only {got} of {expected} alerts arrived");
        };
        let message = message?;
        let now = Utc::now();
        let alert = DeadlineAlert::decode(message.payload.clone())?;
        let Some(header) = alert.header.as_ref() else {
            continue;
        };
        let Some((prefix, _)) = header.case_number.split_once('-') else {
            continue;
        };
        if !matches!(prefix, "S" | "B" | "C") {
            continue;
        }
        let due = alert
            .fire_at
            .as_ref()
            .and_then(mesh_kit::time::from_proto)
            .context("fire_at")?;
        let fired = header
            .at
            .as_ref()
            .and_then(mesh_kit::time::from_proto)
            .context("at")?;
        seen.fired
            .entry(prefix.into())
            .or_default()
            .push((fired - due).num_microseconds().unwrap_or(0) as f64 / 1000.0);
        seen.delivered
            .entry(prefix.into())
            .or_default()
            .push((now - due).num_microseconds().unwrap_or(0) as f64 / 1000.0);
        let last = seen.last_fired.entry(prefix.into()).or_insert(fired);
        *last = (*last).max(fired);
        seen.last_received.insert(prefix.into(), now);
        got += 1;
    }
    let hwm = vm_hwm_mb(pid).unwrap_or(f64::NAN);
    let rss_now: f64 = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .map(|kb: f64| kb / 1024.0)
        .unwrap_or(f64::NAN);

    let stats = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        (
            pct(v, 50.0),
            pct(v, 99.0),
            pct(v, 99.9),
            v.last().copied().unwrap_or(f64::NAN),
        )
    };
    let (s50, s99, s999, smax) = stats(seen.fired.get_mut("S").context("steady")?);
    let (d50, d99, _, _) = stats(seen.delivered.get_mut("S").context("steady")?);
    let (c50, c99, _, cmax) = stats(seen.fired.get_mut("C").context("canaries")?);
    let burst_last = seen.last_fired.get("B").copied().context("burst")?;
    let drain = (burst_last - t1).num_milliseconds() as f64 / 1000.0;
    let burst_delivered = seen
        .last_received
        .get("B")
        .map(|at| (*at - t1).num_milliseconds() as f64 / 1000.0)
        .unwrap_or(f64::NAN);

    let summary = serde_json::json!({
        "benchmark": "timers",
        "date": Utc::now().to_rfc3339(),
        "machine": { "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0) },
        "open_timers": open,
        "load_seconds": load_secs,
        "steady": {
            "timers": steady, "per_second": 1000,
            "firing_lateness_ms": { "p50": s50, "p99": s99, "p99_9": s999, "max": smax },
            "delivery_lateness_ms": { "p50": d50, "p99": d99 },
        },
        "burst": {
            "timers": args.burst,
            "drained_seconds_after_due_second_start": drain,
            "delivered_seconds_after_due_second_start": burst_delivered,
            "canary_firing_lateness_ms": { "p50": c50, "p99": c99, "max": cmax },
        },
        "watcher_memory_mb": { "peak_vmhwm": hwm, "rss_at_end": rss_now },
    });
    println!("timer-bench, {open} open timers (loaded in {load_secs:.0} s)");
    println!("  steady 1000/s for {} s: firing lateness p50 {s50:.0} ms, p99 {s99:.0} ms, p99.9 {s999:.0} ms, max {smax:.0} ms; delivered p99 {d99:.0} ms", args.steady_secs);
    println!("  burst of {} in one second: fired within {drain:.2} s of its start (delivered within {burst_delivered:.2} s)", args.burst);
    println!("  canaries during the burst: firing lateness p50 {c50:.0} ms, p99 {c99:.0} ms, max {cmax:.0} ms");
    println!("  deadline-watcher memory: peak {hwm:.0} MB, at end {rss_now:.0} MB");
    std::fs::create_dir_all(&args.out)?;
    let file = args.out.join(format!(
        "timers-{}.json",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    std::fs::write(&file, serde_json::to_string_pretty(&summary)?)?;
    println!("  written to {}", file.display());
    Ok(())
}
