//! Backpressure and graceful shutdown of intake, on a Postgres and a
//! nats-server of the test's own (which it stops):
//!
//! - NATS stops: intake keeps registering until its outbox backlog limit,
//!   then answers RESOURCE_EXHAUSTED; when NATS is back the backlog leaves
//!   and every registered case is in the stream once.
//! - Postgres stops: at most `max_in_flight` submissions wait (and get
//!   UNAVAILABLE after the pool's timeout); the rest are refused at once
//!   with RESOURCE_EXHAUSTED. Memory stays bounded (intake's peak RSS).
//! - SIGTERM while submissions arrive: intake exits 0 within the grace
//!   period, every submission it answered is in its stream, and nothing is
//!   left in its outbox.

use anyhow::{ensure, Context};
use complaints_proto::v1::intake_client::IntakeClient;
use mesh_e2e::infra::{PrivateNats, PrivatePostgres};
use mesh_e2e::{complaint, peak_rss_mib, Infra, TestMesh};

/// Case numbers registered in the INTAKE stream, with how often.
async fn registered(mesh: &TestMesh) -> anyhow::Result<BTreeMap<String, usize>> {
    Ok(mesh
        .cases_on("INTAKE", "intake.v1.case_registered")
        .await?
        .into_iter()
        .map(|(case, events)| (case, events.len()))
        .collect())
}
use sqlx::{Connection, PgConnection};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use tonic::Code;

const MAX_BACKLOG: u64 = 20;
const MAX_IN_FLIGHT: usize = 4;

async fn submit(url: &str, key: &str) -> Result<String, tonic::Status> {
    let channel = Channel::from_shared(url.to_owned())
        .map_err(|e| tonic::Status::internal(e.to_string()))?
        .connect()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    IntakeClient::new(channel)
        .submit_complaint(complaint(key, "窗口工作人员态度差，一直推诿", "west"))
        .await
        .map(|r| r.into_inner().case_number)
}

async fn unsent(mesh: &TestMesh) -> anyhow::Result<i64> {
    let mut db = PgConnection::connect(&mesh.database_url).await?;
    sqlx::query("SET search_path = intake")
        .execute(&mut db)
        .await?;
    Ok(mesh_kit::outbox::unsent(&mut db, i64::MAX).await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_pushes_back_when_nats_or_postgres_stop_and_drains_on_sigterm() -> anyhow::Result<()>
{
    let pg = PrivatePostgres::start().await?;
    let mut nats = PrivateNats::start().await?;
    let infra = Infra {
        admin_url: pg.admin_url(),
        nats_url: nats.url(),
    };
    let max_backlog = MAX_BACKLOG.to_string();
    let max_in_flight = MAX_IN_FLIGHT.to_string();
    let mut mesh = TestMesh::start_on(
        infra,
        &["intake"],
        &[
            ("INTAKE__MAX_OUTBOX_BACKLOG", &max_backlog),
            ("INTAKE__MAX_IN_FLIGHT", &max_in_flight),
        ],
    )
    .await?;
    let result = run(&mut mesh, &mut nats, &pg).await;
    if result.is_err() {
        eprintln!("{}", mesh.log("intake"));
    }
    mesh.stop_after(result).await
}

async fn run(
    mesh: &mut TestMesh,
    nats: &mut PrivateNats,
    pg: &PrivatePostgres,
) -> anyhow::Result<()> {
    let url = mesh.url("intake");
    let mut accepted = Vec::new();

    // NATS stops: registered until the backlog passes its limit, then
    // refused with a status that says why.
    nats.kill9().await?;
    let mut refusal = None;
    for i in 0..400 {
        match submit(&url, &format!("nats-down-{i}")).await {
            Ok(number) => accepted.push(number),
            Err(status) if status.code() == Code::ResourceExhausted => {
                refusal = Some(status);
                break;
            }
            Err(status) => anyhow::bail!("submission {i} with NATS down: {status}"),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let refusal = refusal.context("intake never pushed back while NATS was down")?;
    eprintln!(
        "NATS down: {} registered, then {:?}: {}",
        accepted.len(),
        refusal.code(),
        refusal.message()
    );
    ensure!(
        accepted.len() as u64 > MAX_BACKLOG,
        "refused before the limit"
    );
    ensure!(refusal.message().contains("is NATS reachable?"));

    // NATS back: the backlog leaves, submissions are taken again.
    nats.restart().await?;
    let back = Instant::now();
    let number = loop {
        match submit(&url, "nats-back").await {
            Ok(number) => break number,
            Err(status) if back.elapsed() < Duration::from_secs(30) => {
                ensure!(status.code() == Code::ResourceExhausted, "{status}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => anyhow::bail!("still refused 30 s after NATS came back: {status}"),
        }
    };
    accepted.push(number);
    eprintln!(
        "NATS back: submissions taken again after {:.1} s",
        back.elapsed().as_secs_f64()
    );

    // Postgres stops: MAX_IN_FLIGHT wait and get UNAVAILABLE, the rest
    // are refused at once.
    pg.crash()?;
    let stopped = Instant::now();
    let calls: Vec<_> = (0..16)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move { submit(&url, &format!("pg-down-{i}")).await })
        })
        .collect();
    let mut codes = BTreeMap::new();
    for call in calls {
        let code = match call.await? {
            Ok(_) => Code::Ok,
            Err(status) => status.code(),
        };
        *codes.entry(format!("{code:?}")).or_insert(0) += 1;
    }
    eprintln!(
        "Postgres down: 16 submissions answered {codes:?} within {:.1} s",
        stopped.elapsed().as_secs_f64()
    );
    ensure!(!codes.contains_key("Ok"), "registered with Postgres down");
    ensure!(
        codes.get("ResourceExhausted").copied().unwrap_or(0) >= 16 - MAX_IN_FLIGHT,
        "more than {MAX_IN_FLIGHT} submissions waited: {codes:?}"
    );
    ensure!(
        codes.get("Unavailable").copied().unwrap_or(0) >= 1,
        "none waited for Postgres: {codes:?}"
    );
    pg.start_server().await?;
    if let Some(mib) = peak_rss_mib(mesh.pid("intake")) {
        eprintln!("intake peak RSS: {mib} MiB");
        ensure!(mib < 256, "intake grew to {mib} MiB");
    }

    // Every case registered while NATS was down reached the stream once.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stream = registered(mesh).await?;
        if accepted.iter().all(|n| stream.get(n) == Some(&1)) {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the backlog did not reach the stream: {} of {} there",
            accepted.iter().filter(|n| stream.contains_key(*n)).count(),
            accepted.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // SIGTERM while submissions arrive: the answered ones are all sent.
    let url2 = url.clone();
    let flood = tokio::spawn(async move {
        let mut answered = Vec::new();
        for i in 0..2000 {
            match submit(&url2, &format!("sigterm-{i}")).await {
                Ok(number) => answered.push(number),
                Err(_) => break,
            }
        }
        answered
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (took, status) = mesh.terminate("intake").await?;
    let answered = flood.await?;
    eprintln!(
        "SIGTERM: intake exited {status} after {:.2} s, {} submissions answered before",
        took.as_secs_f64(),
        answered.len()
    );
    ensure!(status.success(), "intake exited {status}");
    ensure!(
        took < mesh_kit::service::SHUTDOWN_GRACE,
        "draining took {took:?}"
    );
    ensure!(!answered.is_empty(), "nothing was submitted before SIGTERM");
    ensure!(
        unsent(mesh).await? == 0,
        "the outbox was left with unsent events"
    );
    let stream = registered(mesh).await?;
    let missing: Vec<_> = answered
        .iter()
        .filter(|n| stream.get(*n) != Some(&1))
        .collect();
    ensure!(
        missing.is_empty(),
        "answered but not in the stream: {missing:?}"
    );
    Ok(())
}
