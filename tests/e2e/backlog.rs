//! A service that comes back to a backlog handles it in batches, with the
//! effects of handling it one event at a time (kit
//! `Handler::handle_batch`).
//!
//! Triage, dispatch and reporting are stopped while complaints are
//! registered; restarted one after the other, each finds the whole backlog
//! waiting. The test checks that the batches really formed (rows written in
//! one transaction share Postgres's `xmin`), and that:
//! - triage decided every case once, and stored the reasons it announced
//!   (a batch writes its decisions with one statement);
//! - dispatch made exactly one work order per case, queued once, each with
//!   the deadline deadline-watcher gives for its handover time (dispatch
//!   asks for a batch's deadlines all at once);
//! - reporting follows every case once and counts each once, in total and
//!   by department.

use anyhow::{ensure, Context};
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::intake_client::IntakeClient;
use complaints_proto::v1::reporting_client::ReportingClient;
use complaints_proto::v1::{CaseRouted, ComputeDeadlineRequest, DeadlineKind, GetCountsRequest};
use mesh_e2e::{complaint, ts, TestMesh, PLAIN_FACTS};
use mesh_kit::time::to_proto;
use prost::Message;
use sqlx::{Connection, PgConnection};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// Complaints in the backlog.
const CASES: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_is_handled_in_batches_with_one_by_one_effects() -> anyhow::Result<()> {
    let mut mesh = TestMesh::start().await?;
    let result = run(&mut mesh).await;
    if result.is_err() {
        eprintln!("{}", mesh.logs_tail());
    }
    mesh.stop_after(result).await
}

/// Polls `check` every 200 ms until it gives `Some`, for `secs` at most.
async fn within<T, F, Fut>(secs: u64, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(found) = check().await? {
            return Ok(found);
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many transactions wrote a consumer's `processed_events` rows, and
/// how many rows there are.
async fn transactions(
    db: &mut PgConnection,
    schema: &str,
    consumer: &str,
) -> anyhow::Result<(i64, i64)> {
    let sql = format!(
        "SELECT count(DISTINCT xmin::text), count(*) FROM {schema}.processed_events \
         WHERE consumer = $1"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(consumer)
        .fetch_one(db)
        .await?)
}

async fn run(mesh: &mut TestMesh) -> anyhow::Result<()> {
    mesh.kill("triage").await?;
    mesh.kill("dispatch").await?;
    mesh.kill("reporting").await?;

    let mut intake = IntakeClient::new(mesh.channel("intake").await?);
    let mut numbers = Vec::new();
    for i in 0..CASES {
        let (facts, region) = PLAIN_FACTS[i % PLAIN_FACTS.len()];
        let reply = intake
            .submit_complaint(complaint(
                &format!("backlog-{i}"),
                &format!("{facts}（第{i}次来电）"),
                region,
            ))
            .await?
            .into_inner();
        numbers.push(reply.case_number);
    }
    within(30, "every case registered", || async {
        let registered = mesh.cases_on("INTAKE", "intake.v1.case_registered").await?;
        Ok(numbers
            .iter()
            .all(|n| registered.contains_key(n))
            .then_some(()))
    })
    .await?;
    mesh.restart("triage").await?;
    let routed = within(30, "every case routed by triage", || async {
        let mut routed = BTreeMap::new();
        for (subject, payload) in mesh.stream_messages("TRIAGE").await? {
            if subject.ends_with("triage.v1.case_routed") {
                let event = CaseRouted::decode(payload)?;
                let number = event.header.as_ref().map(|h| h.case_number.clone());
                routed.insert(number.unwrap_or_default(), event.reasons);
            }
        }
        Ok(numbers
            .iter()
            .all(|n| routed.contains_key(n))
            .then_some(routed))
    })
    .await?;
    let mut db = PgConnection::connect(&mesh.database_url).await?;
    let decided: Vec<(String, Vec<String>)> =
        sqlx::query_as("SELECT case_number, reasons FROM triage.decisions")
            .fetch_all(&mut db)
            .await?;
    ensure!(
        decided.len() == CASES,
        "triage stored {} decisions",
        decided.len()
    );
    for (number, reasons) in &decided {
        ensure!(!reasons.is_empty(), "{number}: no reasons stored");
        ensure!(
            routed.get(number) == Some(reasons),
            "{number}: stored reasons {reasons:?}, announced {:?}",
            routed.get(number)
        );
    }
    let (txs, rows) = transactions(&mut db, "triage", "triage").await?;
    ensure!(
        rows == CASES as i64,
        "triage recorded {rows} events, want {CASES}"
    );
    ensure!(
        txs < rows,
        "triage handled {rows} waiting events in {txs} transactions: no batch formed"
    );
    eprintln!("triage: {rows} events in {txs} transactions");

    mesh.restart("dispatch").await?;
    mesh.restart("reporting").await?;

    // Dispatch: one order per case, queued once, with its deadline.
    type Order = (
        String,
        String,
        i32,
        i32,
        i32,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    );
    let orders: Vec<Order> = within(30, "every work order created", || async {
        let rows: Vec<Order> = sqlx::query_as(
            "SELECT case_number, holder, mode, kind, severity, assigned_at, due_at \
             FROM dispatch.work_orders",
        )
        .fetch_all(&mut PgConnection::connect(&mesh.database_url).await?)
        .await?;
        Ok((rows.len() >= CASES).then_some(rows))
    })
    .await?;
    let mut by_case: BTreeMap<&str, Vec<&Order>> = BTreeMap::new();
    for order in &orders {
        by_case.entry(order.0.as_str()).or_default().push(order);
    }
    for number in &numbers {
        let n = by_case.get(number.as_str()).map_or(0, Vec::len);
        ensure!(n == 1, "{number} has {n} work orders, want 1");
    }
    let (txs, rows) = transactions(&mut db, "dispatch", "dispatch").await?;
    ensure!(
        rows == CASES as i64,
        "dispatch recorded {rows} events, want {CASES}"
    );
    ensure!(
        txs < rows,
        "dispatch handled {rows} waiting events in {txs} transactions: no batch formed"
    );
    eprintln!("dispatch: {rows} events in {txs} transactions");

    let queued = within(30, "every order in its queue", || async {
        let queued = mesh.cases_on("DISPATCH", "dispatch.v1.orders.").await?;
        Ok(numbers
            .iter()
            .all(|n| queued.contains_key(n))
            .then_some(queued))
    })
    .await?;
    let mut deadlines = DeadlinesClient::new(mesh.channel("deadline-watcher").await?);
    for (number, holder, mode, kind, severity, assigned_at, due_at) in &orders {
        let departments = queued.get(number).context("queued")?;
        ensure!(
            departments == &vec![holder.clone()],
            "{number} is queued for {departments:?}, want once for {holder}"
        );
        let want = deadlines
            .compute_deadline(ComputeDeadlineRequest {
                deadline_kind: DeadlineKind::Conclusion as i32,
                mode: *mode,
                kind: *kind,
                severity: *severity,
                start: Some(to_proto(*assigned_at)),
            })
            .await?
            .into_inner();
        ensure!(
            ts(want.due_at.as_ref()) == *due_at,
            "{number} is due {due_at}, deadline-watcher says {:?}",
            want.due_at
        );
    }

    // Reporting: every case followed and counted once.
    let reporting = ReportingClient::new(mesh.channel("reporting").await?);
    let counts = within(30, "reporting counts every case", || {
        let mut reporting = reporting.clone();
        async move {
            let counts = reporting
                .get_counts(GetCountsRequest::default())
                .await?
                .into_inner();
            Ok((counts.total >= CASES as u64).then_some(counts))
        }
    })
    .await?;
    ensure!(
        counts.total == CASES as u64,
        "reporting counts {} cases, want {CASES}",
        counts.total
    );
    let departments: u64 = counts
        .rows
        .iter()
        .filter(|r| r.dimension == "department")
        .map(|r| r.count)
        .sum();
    ensure!(
        departments == CASES as u64,
        "reporting counts {departments} cases by department, want {CASES}"
    );
    let followed: i64 = sqlx::query_scalar("SELECT count(*) FROM reporting.case_state")
        .fetch_one(&mut db)
        .await?;
    ensure!(
        followed == CASES as i64,
        "reporting follows {followed} cases"
    );
    let (txs, rows) = transactions(&mut db, "reporting", "reporting").await?;
    ensure!(
        txs < rows,
        "reporting handled {rows} waiting events in {txs} transactions: no batch formed"
    );
    eprintln!("reporting: {rows} events in {txs} transactions");
    Ok(())
}
