//! The fault test (`make test-faults`; also part of `make test`): while a
//! load of several thousand complaints runs, every service is killed with
//! SIGKILL in turn at a random moment and started again, nats-server is
//! killed with SIGKILL and started again (losing what it had not written
//! to disk), and Postgres is crashed and started again. Afterwards the test
//! reconciles every schema and the streams: every accepted complaint has
//! exactly one work order, in exactly one department queue, one set of
//! timers, and is counted once in reporting; nothing lost, nothing twice.
//!
//! It runs on a Postgres and a nats-server of its own (mesh_e2e::infra),
//! never on the machine's shared ones.
//!
//! `MESH_FAULT_COMPLAINTS` (default 3000) and `MESH_FAULT_RATE` (complaints
//! per second, default 40) size the load.

use anyhow::{bail, ensure, Context};
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::{
    Channel as ComplaintChannel, Complainant, GetCountsRequest, SubmitComplaintRequest,
};
use mesh_e2e::infra::{PrivateNats, PrivatePostgres};
use mesh_e2e::{peak_rss_mib, Infra, TestMesh, PLAIN_FACTS, SERVICES};
use prost::Message;
use sqlx::{Connection, PgConnection};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Mutex};
use tonic::transport::Channel;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn request(i: u64) -> SubmitComplaintRequest {
    let (facts, region) = PLAIN_FACTS[(i % PLAIN_FACTS.len() as u64) as usize];
    SubmitComplaintRequest {
        idempotency_key: format!("fault-{i}"),
        channel: ComplaintChannel::Phone as i32,
        complainant: Some(Complainant {
            anonymous: true,
            ..Default::default()
        }),
        facts: format!("{facts}（第{i}次来电）"),
        region: region.into(),
        ..Default::default()
    }
}

/// Submits until intake answers, with the same idempotency key each time
/// (a submission cut off by a crash may or may not have been registered).
async fn submit_until_accepted(url: &str, i: u64) -> anyhow::Result<(String, u32)> {
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = async {
            let channel = Channel::from_shared(url.to_owned())?
                .connect_timeout(Duration::from_secs(2))
                .timeout(Duration::from_secs(10))
                .connect()
                .await?;
            let reply = IntakeClient::new(channel)
                .submit_complaint(request(i))
                .await?
                .into_inner();
            anyhow::Ok(reply.case_number)
        }
        .await;
        match result {
            Ok(number) => return Ok((number, attempts)),
            Err(err) if Instant::now() > deadline => {
                bail!("complaint {i} not accepted within 180 s: {err:#}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// What the load saw: idempotency index → case number, and how many
/// submissions needed more than one attempt.
struct Load {
    accepted: BTreeMap<u64, String>,
    retried: usize,
}

/// Submits `total` complaints at `rate` per second from 16 submitters.
fn start_load(url: String, total: u64, rate: u64) -> tokio::task::JoinHandle<anyhow::Result<Load>> {
    tokio::spawn(async move {
        let (tx, rx) = mpsc::channel::<u64>(64);
        let rx = Arc::new(Mutex::new(rx));
        let pacer = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
            for i in 0..total {
                tick.tick().await;
                if tx.send(i).await.is_err() {
                    break;
                }
            }
        });
        let mut submitters = Vec::new();
        for _ in 0..16 {
            let rx = rx.clone();
            let url = url.clone();
            submitters.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let next = rx.lock().await.recv().await;
                    let Some(i) = next else { break };
                    let (number, attempts) = submit_until_accepted(&url, i).await?;
                    mine.push((i, number, attempts));
                }
                anyhow::Ok(mine)
            }));
        }
        pacer.await?;
        let mut load = Load {
            accepted: BTreeMap::new(),
            retried: 0,
        };
        for s in submitters {
            for (i, number, attempts) in s.await?? {
                load.retried += usize::from(attempts > 1);
                load.accepted.insert(i, number);
            }
        }
        Ok(load)
    })
}

fn pause(min_ms: u64, max_ms: u64) -> Duration {
    use rand::Rng;
    Duration::from_millis(rand::rng().random_range(min_ms..=max_ms))
}

/// Kills and restarts every service, then nats-server, then Postgres, at
/// random moments. Returns what it did, for the log.
async fn inflict(
    mesh: &mut TestMesh,
    nats: &mut PrivateNats,
    pg: &PrivatePostgres,
) -> anyhow::Result<Vec<String>> {
    let mut done = Vec::new();
    let started = Instant::now();
    let mut order: Vec<&'static str> = SERVICES.iter().map(|(n, _)| *n).collect();
    {
        use rand::seq::SliceRandom;
        order.shuffle(&mut rand::rng());
    }
    for name in order {
        tokio::time::sleep(pause(2000, 6000)).await;
        mesh.kill(name).await?;
        let at = started.elapsed().as_secs_f64();
        tokio::time::sleep(pause(200, 2000)).await;
        mesh.restart(name).await?;
        done.push(format!("{at:.1} s: kill -9 {name}, restarted"));
    }
    tokio::time::sleep(pause(2000, 6000)).await;
    nats.kill9().await?;
    let at = started.elapsed().as_secs_f64();
    tokio::time::sleep(pause(500, 3000)).await;
    nats.restart().await?;
    done.push(format!("{at:.1} s: kill -9 nats-server, restarted"));

    // A broker that forgets: its disk as it was a few seconds before the
    // kill, as after a crash between two of 2.9's lazy syncs.
    tokio::time::sleep(pause(2000, 5000)).await;
    nats.snapshot()?;
    let synced = started.elapsed().as_secs_f64();
    tokio::time::sleep(pause(2000, 5000)).await;
    nats.kill9().await?;
    nats.forget_since_snapshot()?;
    let at = started.elapsed().as_secs_f64();
    tokio::time::sleep(pause(500, 2000)).await;
    nats.restart().await?;
    done.push(format!(
        "{at:.1} s: kill -9 nats-server, its store rolled back to {synced:.1} s, restarted"
    ));

    tokio::time::sleep(pause(3000, 6000)).await;
    pg.crash()?;
    let at = started.elapsed().as_secs_f64();
    tokio::time::sleep(pause(500, 3000)).await;
    pg.start_server().await?;
    done.push(format!(
        "{at:.1} s: postgres crashed (immediate stop), restarted"
    ));
    Ok(done)
}

/// Everything the mesh holds about the complaints, read after the load.
#[derive(Debug, Default)]
struct Holdings {
    /// intake: case number → case id.
    cases: BTreeMap<String, uuid::Uuid>,
    /// triage: decisions per case id.
    decisions: BTreeMap<uuid::Uuid, i64>,
    /// dispatch: work orders per case id, and their departments.
    orders: BTreeMap<uuid::Uuid, Vec<(uuid::Uuid, String)>>,
    /// deadline-watcher: timers per order id.
    timers: BTreeMap<uuid::Uuid, i64>,
    /// reporting: cases it follows.
    followed: i64,
    /// reporting: the total and the sum over departments.
    counted: (u64, u64),
}

async fn holdings(mesh: &TestMesh) -> anyhow::Result<Holdings> {
    let mut db = PgConnection::connect(&mesh.database_url).await?;
    let mut h = Holdings::default();
    let rows: Vec<(String, uuid::Uuid)> =
        sqlx::query_as("SELECT case_number, case_id FROM intake.cases")
            .fetch_all(&mut db)
            .await?;
    h.cases = rows.into_iter().collect();
    let rows: Vec<(uuid::Uuid, i64)> =
        sqlx::query_as("SELECT case_id, count(*) FROM triage.decisions GROUP BY case_id")
            .fetch_all(&mut db)
            .await?;
    h.decisions = rows.into_iter().collect();
    let rows: Vec<(uuid::Uuid, uuid::Uuid, String)> =
        sqlx::query_as("SELECT case_id, order_id, holder FROM dispatch.work_orders")
            .fetch_all(&mut db)
            .await?;
    for (case, order, department) in rows {
        h.orders.entry(case).or_default().push((order, department));
    }
    let rows: Vec<(uuid::Uuid, i64)> =
        sqlx::query_as("SELECT order_id, count(*) FROM deadline_watcher.timers GROUP BY order_id")
            .fetch_all(&mut db)
            .await?;
    h.timers = rows.into_iter().collect();
    h.followed = sqlx::query_scalar("SELECT count(*) FROM reporting.case_state")
        .fetch_one(&mut db)
        .await?;
    let counts = ReportingClient::new(mesh.channel("reporting").await?)
        .get_counts(GetCountsRequest::default())
        .await?
        .into_inner();
    let departments = counts
        .rows
        .iter()
        .filter(|r| r.dimension == "department")
        .map(|r| r.count)
        .sum();
    h.counted = (counts.total, departments);
    Ok(h)
}

impl Holdings {
    fn settled(&self) -> bool {
        let n = self.cases.len();
        self.decisions.len() == n
            && self.orders.len() == n
            && self.followed as usize == n
            && self.counted == (n as u64, n as u64)
            && self
                .orders
                .values()
                .flatten()
                .all(|(o, _)| self.timers.contains_key(o))
    }
}

/// Why reporting is short: each `case_routed` of the TRIAGE stream that
/// reporting did not record, and each case triage decided whose
/// `case_routed` is not in the stream at all.
async fn diagnose(mesh: &TestMesh) -> anyhow::Result<String> {
    use complaints_proto::v1::CaseRouted;
    let mut db = PgConnection::connect(&mesh.database_url).await?;
    let seen: BTreeSet<uuid::Uuid> = sqlx::query_scalar(
        "SELECT event_id FROM reporting.processed_events WHERE consumer = 'reporting'",
    )
    .fetch_all(&mut db)
    .await?
    .into_iter()
    .collect();
    let subject = mesh.subject("triage.v1.case_routed");
    let mut in_stream = BTreeMap::new();
    let mut unseen = Vec::new();
    for (s, payload) in mesh.stream_messages("TRIAGE").await? {
        if s != subject {
            continue;
        }
        let header = CaseRouted::decode(payload)?.header.unwrap_or_default();
        *in_stream.entry(header.case_number.clone()).or_insert(0) += 1;
        let id: uuid::Uuid = header.event_id.parse()?;
        if !seen.contains(&id) {
            unseen.push(header.case_number);
        }
    }
    let decided: Vec<String> = sqlx::query_scalar("SELECT case_number FROM triage.decisions")
        .fetch_all(&mut db)
        .await?;
    let absent: Vec<&String> = decided
        .iter()
        .filter(|c| !in_stream.contains_key(*c))
        .collect();
    Ok(format!(
        "diagnosis: {} case_routed in TRIAGE; {} of them not recorded by reporting: {:?}; {} decided cases without case_routed in the stream: {:?}",
        in_stream.len(),
        unseen.len(),
        &unseen[..unseen.len().min(10)],
        absent.len(),
        &absent[..absent.len().min(10)]
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_accepted_complaint_is_handled_exactly_once_whatever_is_killed() -> anyhow::Result<()>
{
    let pg = PrivatePostgres::start().await?;
    let mut nats = PrivateNats::start().await?;
    let infra = Infra {
        admin_url: pg.admin_url(),
        nats_url: nats.url(),
    };
    let all: Vec<&'static str> = SERVICES.iter().map(|(n, _)| *n).collect();
    let mut mesh = TestMesh::start_on(infra, &all, &[]).await?;
    let result = run(&mut mesh, &mut nats, &pg).await;
    if result.is_err() {
        eprintln!("{}", mesh.logs_tail());
        let log = nats.log();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        eprintln!("---- nats-server ----\n{}", tail.join("\n"));
    }
    mesh.stop_after(result).await
}

async fn run(
    mesh: &mut TestMesh,
    nats: &mut PrivateNats,
    pg: &PrivatePostgres,
) -> anyhow::Result<()> {
    let total = env_or("MESH_FAULT_COMPLAINTS", 3000);
    let rate = env_or("MESH_FAULT_RATE", 40);
    let started = Instant::now();
    let load = start_load(mesh.url("intake"), total, rate);
    let faults = inflict(mesh, nats, pg).await?;
    for f in &faults {
        eprintln!("fault: {f}");
    }
    let load = load.await??;
    eprintln!(
        "load: {} complaints accepted in {:.0} s, {} needed more than one attempt",
        load.accepted.len(),
        started.elapsed().as_secs_f64(),
        load.retried
    );
    ensure!(
        load.accepted.len() as u64 == total,
        "not every complaint was accepted"
    );

    // Let the mesh settle: every case decided, ordered, timed and counted.
    let settle = Instant::now();
    let mut h = holdings(mesh).await?;
    while !h.settled() {
        if settle.elapsed() > Duration::from_secs(180) {
            eprintln!(
                "{}",
                diagnose(mesh)
                    .await
                    .unwrap_or_else(|e| format!("diagnosis failed: {e:#}"))
            );
            bail!(
                "the mesh did not settle within 180 s: {} cases, {} decided, {} with orders, {} followed by reporting, counted {:?}",
                h.cases.len(),
                h.decisions.len(),
                h.orders.len(),
                h.followed,
                h.counted
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        h = holdings(mesh).await?;
    }
    eprintln!(
        "settled {:.0} s after the load",
        settle.elapsed().as_secs_f64()
    );

    // intake: exactly the accepted complaints, each once.
    let accepted: BTreeSet<&String> = load.accepted.values().collect();
    ensure!(
        accepted.len() == load.accepted.len(),
        "two submissions got the same case number"
    );
    let registered: BTreeSet<&String> = h.cases.keys().collect();
    let lost: Vec<_> = accepted.difference(&registered).collect();
    let extra: Vec<_> = registered.difference(&accepted).collect();
    ensure!(lost.is_empty(), "accepted but not registered: {lost:?}");
    ensure!(extra.is_empty(), "registered but never accepted: {extra:?}");

    // triage, dispatch, deadline-watcher: one decision, one order, timers.
    let twice: Vec<_> = h.decisions.iter().filter(|(_, n)| **n != 1).collect();
    ensure!(twice.is_empty(), "cases decided more than once: {twice:?}");
    let mut orders_by_number = BTreeMap::new();
    for (number, case) in &h.cases {
        let orders = h.orders.get(case).map(Vec::as_slice).unwrap_or_default();
        ensure!(
            orders.len() == 1,
            "case {number} has {} work orders",
            orders.len()
        );
        orders_by_number.insert(number.clone(), orders[0].clone());
    }
    let order_ids: BTreeSet<uuid::Uuid> = h.orders.values().flatten().map(|(o, _)| *o).collect();
    let stray: Vec<_> = h.timers.keys().filter(|o| !order_ids.contains(o)).collect();
    ensure!(stray.is_empty(), "timers of unknown orders: {stray:?}");
    let timer_sets: BTreeSet<i64> = h.timers.values().copied().collect();
    eprintln!("timers per order: {timer_sets:?}");

    // reporting: counted once.
    let n = h.cases.len() as u64;
    ensure!(
        h.counted == (n, n),
        "reporting counted {:?} for {n} cases",
        h.counted
    );

    // The streams: one registration per case, one order per case in the
    // queue of the department that holds it.
    let registrations = mesh
        .cases_on("INTAKE", "intake.v1.case_registered")
        .await
        .context("reading INTAKE")?;
    let odd: Vec<_> = h
        .cases
        .keys()
        .filter(|c| registrations.get(*c).map(Vec::len) != Some(1))
        .collect();
    ensure!(
        odd.is_empty(),
        "cases registered in the stream other than once: {odd:?}"
    );
    ensure!(
        registrations.len() == h.cases.len(),
        "unknown cases in the stream"
    );
    let routed = mesh
        .cases_on("TRIAGE", "triage.v1.case_routed")
        .await
        .context("reading TRIAGE")?;
    let odd: Vec<_> = h
        .cases
        .keys()
        .filter(|c| routed.get(*c).map(Vec::len) != Some(1))
        .collect();
    ensure!(
        odd.is_empty(),
        "cases routed in the stream other than once: {odd:?}"
    );
    let queues = mesh
        .cases_on("DISPATCH", "dispatch.v1.orders.")
        .await
        .context("reading DISPATCH")?;
    for (number, (_, department)) in &orders_by_number {
        let seen = queues.get(number).map(Vec::as_slice).unwrap_or_default();
        ensure!(
            seen == [department.clone()],
            "case {number}: queued {seen:?}, held by {department}"
        );
    }
    ensure!(queues.len() == h.cases.len(), "unknown cases in the queues");

    // Idempotent submission across the intake restart.
    let url = mesh.url("intake");
    for i in [0, total / 2, total - 1] {
        let (again, _) = submit_until_accepted(&url, i).await?;
        ensure!(
            Some(&again) == load.accepted.get(&i),
            "resubmitting fault-{i} gave {again}, not {:?}",
            load.accepted.get(&i)
        );
    }
    // What the mesh did about the broker's restarts, from the logs.
    for (name, _) in SERVICES {
        for line in mesh.log(name).lines() {
            if line.contains("broker restarted") {
                let from = line.find("broker restarted").unwrap_or(0);
                eprintln!("{name}: {}", &line[from..]);
            }
        }
    }
    if let Some(mib) = peak_rss_mib(mesh.pid("intake")) {
        eprintln!("intake peak RSS since its restart: {mib} MiB");
    }
    eprintln!(
        "reconciled: {n} cases, 0 lost, 0 duplicated ({:.0} s in all)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
