//! report-bench: reporting at scale (issue 5), against the real binary,
//! Postgres and NATS.
//!
//! 1. `--cases` cases (default 10,000,000) spread over two years: their
//!    latest states, and the rollup cube they make (built with SQL
//!    aggregates over those states, as a rebuild would).
//! 2. A month's report over gRPC, for everything and for one district's
//!    subtree: p50 / p99 over `--requests` calls. For contrast, the same
//!    month's counts by a scan of the case rows.
//! 3. Freshness: an event published on JetStream until it shows in the
//!    rollups, `--fresh` times.
//! 4. Rebuild: `--replay-cases` cases' events published on the streams,
//!    then reporting restarted with `--rebuild`: the time until the rollups
//!    hold them all again, and the events per second.
//!
//! Prints a summary and writes JSON to `bench/results/`.

use anyhow::Context;
use async_nats::jetstream::message::PublishMessage;
use chrono::{Duration, NaiveDate, Utc};
use clap::Parser;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::{
    CaseRegistered, CaseRouted, Channel, EventHeader, GetCountsRequest, GetReportRequest, Kind,
    ReportPeriod, Severity,
};
use mesh_e2e::{pct, repo_root, TestMesh};
use mesh_kit::time::to_proto;
use prost::Message;
use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;
use std::str::FromStr;
use std::time::Instant;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "report-bench",
    about = "Reporting over millions of cases: report latency, freshness, rebuild"
)]
struct Args {
    #[arg(long, default_value_t = 10_000_000)]
    cases: u64,
    #[arg(long, default_value_t = 300)]
    requests: usize,
    #[arg(long, default_value_t = 50)]
    fresh: usize,
    #[arg(long, default_value_t = 20_000)]
    replay_cases: u64,
    #[arg(long, default_value = "bench/results")]
    out: std::path::PathBuf,
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Case states for `n` cases received evenly from `start` over 730 days,
/// and the cube they make.
const GENERATE: &str = r#"
INSERT INTO case_state (case_id, case_number, received_at, department, category, region, severity, summary, state,
                        due_at, alert_due_at, alert_stage, alert_level, was_escalated, reopen_count, revision)
SELECT md5(g::text)::uuid, 'G-' || g, $1::timestamptz + make_interval(secs => g * (730 * 86400.0 / $2)),
       (ARRAY['east-heat','east-heat-s1','east-heat-s2','east-housing','east-urban','west-heat','west-heat-s1',
              'west-housing','west-urban','north-heat','north-heat-s1','north-housing','north-urban','water',
              'water-east','gas','power','transit','market','centre'])[1 + g % 20],
       (ARRAY['heating','water','gas','power','property','noise','sanitation','roads','transit','market',
              'service','efficiency','housing','other'])[1 + (g / 7) % 14],
       (ARRAY['east','west','north'])[1 + (g / 3) % 3],
       CASE WHEN g % 50 = 0 THEN 'major' WHEN g % 9 = 0 THEN 'minor' ELSE 'general' END,
       '暖气不热', CASE WHEN g % 40 = 0 THEN 'in_progress' ELSE 'closed' END,
       CASE WHEN g % 40 = 0 THEN $1::timestamptz + make_interval(secs => g * (730 * 86400.0 / $2)) + interval '10 days' END,
       CASE WHEN g % 80 = 0 THEN $1::timestamptz + make_interval(secs => g * (730 * 86400.0 / $2)) + interval '10 days' END,
       CASE WHEN g % 80 = 0 THEN 'overdue' ELSE '' END, 0, g % 400 = 0, CASE WHEN g % 30 = 0 THEN 1 ELSE 0 END, 5
FROM generate_series(1, $2) g
"#;

const CUBE: [&str; 6] = [
    "INSERT INTO cube SELECT (received_at AT TIME ZONE '+08')::date, '', 'total', 'registered', count(*) FROM case_state GROUP BY 1",
    "INSERT INTO cube SELECT (received_at AT TIME ZONE '+08')::date, department, 'total', 'routed', count(*) FROM case_state GROUP BY 1, 2",
    "INSERT INTO cube SELECT d, department, dim, key, count(*) FROM (SELECT (received_at AT TIME ZONE '+08')::date d, department, \
     unnest(ARRAY['category', 'region', 'severity', 'channel', 'kind']) dim, \
     unnest(ARRAY[category, region, severity, (ARRAY['phone','web','letter','email','walk_in','media','fax','transfer'])[1 + abs(hashtext(case_number)) % 8], \
                  (ARRAY['complaint','inquiry','suggestion','report','fault_report','help_request'])[1 + abs(hashtext(case_number)) % 6]]) key \
     FROM case_state) s GROUP BY 1, 2, 3, 4",
    "INSERT INTO cube SELECT (received_at AT TIME ZONE '+08')::date + 3, department, 'metric', m, count(*) FROM (SELECT received_at, department, \
     unnest(ARRAY['concluded', CASE WHEN abs(hashtext(case_number)) % 10 < 9 THEN 'on_time' END, 'callbacks', \
                  (ARRAY['satisfied','satisfied','basically_satisfied','dissatisfied'])[1 + abs(hashtext(case_number)) % 4], \
                  CASE WHEN reopen_count > 0 THEN 'reopened' END]) m FROM case_state WHERE state = 'closed') s WHERE m IS NOT NULL GROUP BY 1, 2, 4",
    "INSERT INTO cube SELECT (received_at AT TIME ZONE '+08')::date + 3, department, 'handling', \
     (ARRAY['le_12','le_24','le_48','le_72','le_120','le_240'])[1 + abs(hashtext(case_number)) % 6], count(*) FROM case_state WHERE state = 'closed' GROUP BY 1, 2, 4",
    "INSERT INTO cube SELECT (received_at AT TIME ZONE '+08')::date + 3, department, 'metric', 'handling_seconds', count(*) * 172800 FROM case_state WHERE state = 'closed' GROUP BY 1, 2",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::env::set_current_dir(repo_root())?;
    eprintln!("report-bench: starting reporting");
    let mut mesh = TestMesh::start_services(&["reporting"], &[("RUST_LOG", "warn")]).await?;
    let result = run(&args, &mut mesh).await;
    if result.is_err() {
        eprintln!("{}", mesh.logs_tail());
    }
    mesh.stop().await?;
    result
}

async fn run(args: &Args, mesh: &mut TestMesh) -> anyhow::Result<()> {
    let subjects = mesh_kit::Subjects::new(mesh.prefix.clone());
    use mesh_kit::events::{deadline, dispatch, intake, triage};
    for (stream, filter) in [
        (intake::STREAM, intake::SUBJECTS),
        (triage::STREAM, triage::SUBJECTS),
        (dispatch::STREAM, dispatch::SUBJECTS),
        (deadline::STREAM, deadline::SUBJECTS),
    ] {
        mesh_kit::nats::ensure_stream(
            &mesh.js,
            &subjects.stream(stream),
            vec![subjects.subject(filter)],
        )
        .await?;
    }
    let options =
        PgConnectOptions::from_str(&mesh.database_url)?.options([("search_path", "reporting")]);
    let mut conn = options.connect().await?;

    eprintln!(
        "report-bench: generating {} cases and their rollups",
        args.cases
    );
    let started = Instant::now();
    let start = Utc::now() - Duration::days(730);
    sqlx::query(GENERATE)
        .bind(start)
        .bind(i64::try_from(args.cases)?)
        .execute(&mut conn)
        .await?;
    for sql in CUBE {
        sqlx::query(sql).execute(&mut conn).await?;
    }
    sqlx::query(
        "INSERT INTO cube_month SELECT date_trunc('month', day)::date, department, dimension, key, SUM(value) \
         FROM cube GROUP BY 1, 2, 3, 4",
    )
    .execute(&mut conn)
    .await?;
    sqlx::query("ANALYZE cube_month").execute(&mut conn).await?;
    sqlx::query("ANALYZE case_state").execute(&mut conn).await?;
    sqlx::query("ANALYZE cube").execute(&mut conn).await?;
    let load_secs = started.elapsed().as_secs_f64();
    let cube_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM cube")
        .fetch_one(&mut conn)
        .await?;
    eprintln!(
        "report-bench: {} cases, {cube_rows} cube rows in {load_secs:.0} s",
        args.cases
    );

    // A month in the middle of the data.
    let month = (Utc::now() - Duration::days(200)).date_naive();
    let month = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&month),
        chrono::Datelike::month(&month),
        15,
    )
    .context("date")?;
    let mut reporting = ReportingClient::new(mesh.channel("reporting").await?);
    let latency = |scope: &'static str| {
        let mut client = reporting.clone();
        async move {
            let mut ms = Vec::new();
            let mut registered = 0;
            for _ in 0..args.requests {
                let t = Instant::now();
                let r = client
                    .get_report(GetReportRequest {
                        period: ReportPeriod::Monthly as i32,
                        date: month.to_string(),
                        department: scope.into(),
                    })
                    .await?
                    .into_inner();
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
                registered = r.figure("registered");
            }
            anyhow::Ok((sorted(ms), registered))
        }
    };
    // Warm up the caches once, as a server that has run a while has them.
    let _ = latency("").await?;
    let (all, month_cases) = latency("").await?;
    let (east, east_cases) = latency("east-office").await?;
    eprintln!(
        "report-bench: month report p99 {:.1} ms (everything), {:.1} ms (east-office)",
        pct(&all, 99.0),
        pct(&east, 99.0)
    );

    // The same figures by scanning the case rows.
    let t = Instant::now();
    let scanned: Vec<(String, i64)> =
        sqlx::query_as("SELECT category, count(*) FROM case_state GROUP BY category")
            .fetch_all(&mut conn)
            .await?;
    let scan_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(scanned.len() > 1, "the scan found the cases");

    // Freshness: one event at a time, until the rollups count it.
    let mut fresh = Vec::new();
    let today = Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).context("offset")?)
        .date_naive()
        .to_string();
    let counts = |client: &mut ReportingClient<_>| {
        let mut client: ReportingClient<tonic::transport::Channel> = client.clone();
        let req = GetCountsRequest {
            from_day: today.clone(),
            to_day: today.clone(),
            dimensions: vec!["channel".into()],
            by_day: false,
        };
        async move { anyhow::Ok(client.get_counts(req).await?.into_inner().total) }
    };
    let mut before = counts(&mut reporting).await?;
    for i in 0..args.fresh {
        let t = Instant::now();
        publish_case(mesh, &subjects, i as u64, false).await?;
        loop {
            let now = counts(&mut reporting).await?;
            if now > before {
                before = now;
                break;
            }
            anyhow::ensure!(
                t.elapsed().as_secs() < 30,
                "event {i} never showed in the rollups"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        fresh.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let fresh = sorted(fresh);

    // Rebuild: publish cases' events, wait until counted, rebuild, wait again.
    eprintln!(
        "report-bench: publishing {} cases for the rebuild",
        args.replay_cases
    );
    for i in 0..args.replay_cases {
        publish_case(mesh, &subjects, 1_000_000 + i, true).await?;
    }
    let expected = before + args.replay_cases;
    let mut waited = 0;
    while counts(&mut reporting).await? < expected {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        waited += 1;
        anyhow::ensure!(waited < 3000, "the live consumers never caught up");
    }
    let events = 2 * (args.replay_cases + args.fresh as u64);
    mesh.kill("reporting").await?;
    let t = Instant::now();
    mesh.restart_with("reporting", &[("REPORTING__REBUILD", "true")])
        .await?;
    let mut reporting = ReportingClient::new(mesh.channel("reporting").await?);
    loop {
        let registered = counts(&mut reporting).await.unwrap_or(0);
        let routed: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(value), 0)::BIGINT FROM cube WHERE dimension = 'total' AND key = 'routed'")
            .fetch_one(&mut conn)
            .await?;
        if registered >= args.replay_cases + args.fresh as u64
            && routed as u64 >= args.replay_cases + args.fresh as u64
        {
            break;
        }
        anyhow::ensure!(
            t.elapsed().as_secs() < 3600,
            "the rebuild did not finish within an hour"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let rebuild_secs = t.elapsed().as_secs_f64();
    let rate = events as f64 / rebuild_secs;

    let summary = serde_json::json!({
        "benchmark": "reports",
        "date": Utc::now().to_rfc3339(),
        "cases": args.cases,
        "cube_rows": cube_rows,
        "generate_seconds": load_secs,
        "month": month.to_string(),
        "month_cases": month_cases,
        "month_report_ms": { "everything": { "p50": pct(&all, 50.0), "p99": pct(&all, 99.0), "max": all.last() },
                             "east_office_subtree": { "p50": pct(&east, 50.0), "p99": pct(&east, 99.0), "cases": east_cases } },
        "scan_of_case_rows_ms": scan_ms,
        "freshness_ms": { "p50": pct(&fresh, 50.0), "p99": pct(&fresh, 99.0), "max": fresh.last() },
        "rebuild": { "events": events, "seconds": rebuild_secs, "events_per_second": rate },
    });
    println!(
        "report-bench, {} cases ({cube_rows} cube rows, generated in {load_secs:.0} s)",
        args.cases
    );
    println!("  month report ({month_cases} cases): p50 {:.1} ms, p99 {:.1} ms; east-office subtree ({east_cases} cases): p50 {:.1} ms, p99 {:.1} ms",
        pct(&all, 50.0), pct(&all, 99.0), pct(&east, 50.0), pct(&east, 99.0));
    println!("  a scan of the case rows for one count: {scan_ms:.0} ms");
    println!(
        "  event to rollup: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        pct(&fresh, 50.0),
        pct(&fresh, 99.0),
        fresh.last().unwrap_or(&0.0)
    );
    println!("  rebuild by replaying {events} events: {rebuild_secs:.1} s, {rate:.0} events/s");
    std::fs::create_dir_all(&args.out)?;
    let file = args.out.join(format!(
        "reports-{}.json",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    std::fs::write(&file, serde_json::to_string_pretty(&summary)?)?;
    println!("  written to {}", file.display());
    Ok(())
}

/// Publishes a registered and a routed event for one case.
async fn publish_case(
    mesh: &TestMesh,
    subjects: &mesh_kit::Subjects,
    i: u64,
    async_ack: bool,
) -> anyhow::Result<()> {
    let case_id = Uuid::now_v7().to_string();
    let now = Utc::now();
    let header = |event_id: &str| EventHeader {
        event_id: event_id.into(),
        case_id: case_id.clone(),
        case_number: format!("F-{i}"),
        at: Some(to_proto(now)),
    };
    let reg_id = Uuid::now_v7().to_string();
    let registered = CaseRegistered {
        header: Some(header(&reg_id)),
        channel: Channel::Phone as i32,
        received_at: Some(to_proto(now)),
        region: "east".into(),
        summary: "暖气不热".into(),
        ..Default::default()
    };
    let route_id = Uuid::now_v7().to_string();
    let routed = CaseRouted {
        header: Some(header(&route_id)),
        channel: Channel::Phone as i32,
        received_at: Some(to_proto(now)),
        kind: Kind::Complaint as i32,
        category: "heating".into(),
        severity: Severity::General as i32,
        region: "east".into(),
        department: "east-heat".into(),
        mode: 3,
        ..Default::default()
    };
    for (subject, id, payload) in [
        (
            "intake.v1.case_registered",
            reg_id,
            registered.encode_to_vec(),
        ),
        ("triage.v1.case_routed", route_id, routed.encode_to_vec()),
    ] {
        let ack = mesh
            .js
            .send_publish(
                subjects.subject(subject),
                PublishMessage::build()
                    .payload(payload.into())
                    .message_id(id),
            )
            .await?;
        if !async_ack {
            ack.await?;
        }
    }
    Ok(())
}
