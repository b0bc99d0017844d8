//! The batch path of reporting's consumers against the real Postgres
//! (`MESH_TEST_DATABASE_URL`, default the machine's): a batch of events
//! leaves the rollups exactly as handling them one by one does, however the
//! events are cut into batches and however many of them one case has, and
//! batches of concurrent consumers sharing cases and cells neither deadlock
//! nor lose a count.
//!
//! Each test works in a database of its own, dropped at the end.

use anyhow::ensure;
use chrono::{DateTime, FixedOffset, Utc};
use complaints_proto::v1::{
    AlertStage, CaseNotAccepted, CaseRegistered, CaseRouted, Channel, DeadlineAlert, DeadlineKind,
    EventHeader, Handover, Kind, Severity, WorkOrder, WorkflowStep,
};
use mesh_kit::consumer::{Delivery, HandleError, Handler};
use mesh_kit::events;
use mesh_kit::testing::ScratchDatabase;
use mesh_kit::time::to_proto;
use mesh_reporting::events::RollupHandler;
use prost::Message;
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use std::future::Future;
use uuid::Uuid;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Runs `test` in a fresh database, which is dropped afterwards whatever
/// the outcome.
async fn in_scratch_database<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let db = ScratchDatabase::create("reporting_batch").await?;
    let result = test(db.url.clone()).await;
    db.drop_it().await?;
    result
}

/// A pool working in a freshly migrated reporting schema `schema`.
async fn schema(url: &str, schema: &str) -> anyhow::Result<PgPool> {
    let pool = mesh_kit::db::connect(url, schema, 4).await?;
    mesh_kit::db::migrate(&pool, schema, &MIGRATOR).await?;
    Ok(pool)
}

fn handler() -> RollupHandler {
    RollupHandler {
        offset: FixedOffset::east_opt(8 * 3600).expect("offset"),
    }
}

/// Handles each event alone, in a transaction of its own.
async fn one_by_one(pool: &PgPool, deliveries: &[Delivery]) -> anyhow::Result<()> {
    for delivery in deliveries {
        let mut tx = pool.begin().await?;
        handler().handle(&mut tx, delivery).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Handles the events in batches of `size`, a transaction each.
async fn in_batches(pool: &PgPool, deliveries: &[Delivery], size: usize) -> anyhow::Result<()> {
    for chunk in deliveries.chunks(size) {
        let batch: Vec<&Delivery> = chunk.iter().collect();
        let mut tx = pool.begin().await?;
        handler().handle_batch(&mut tx, &batch).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Every row of the rollups, as text: the case states, the cube and the
/// month cube.
async fn rollups(pool: &PgPool) -> anyhow::Result<[Vec<String>; 3]> {
    let rows = |sql: &'static str| sqlx::query_scalar::<_, String>(sql).fetch_all(pool);
    Ok([
        rows("SELECT t::text FROM case_state t ORDER BY case_id").await?,
        rows("SELECT t::text FROM cube t ORDER BY day, department, dimension, key").await?,
        rows("SELECT t::text FROM cube_month t ORDER BY month, department, dimension, key").await?,
    ])
}

/// The value of a cell of the daily (`cube`) or the month cube.
async fn cell(
    pool: &PgPool,
    table: &str,
    date: &str,
    department: &str,
    key: &str,
) -> anyhow::Result<i64> {
    let column = if table == "cube" { "day" } else { "month" };
    let value: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT value FROM {table} WHERE {column} = $1::date AND department = $2 AND key = $3"
    )))
    .bind(date)
    .bind(department)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    Ok(value.unwrap_or(0))
}

/// An instant of 2026 in UTC, `MM-DDThh:mm`.
fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-{s}:00Z"))
        .expect("time")
        .with_timezone(&Utc)
}

/// Builds the events of a few cases.
struct Case {
    id: Uuid,
    number: String,
    received: &'static str,
}

impl Case {
    fn new(n: u32, received: &'static str) -> Self {
        Self {
            id: Uuid::now_v7(),
            number: format!("2026-11-{n:06}"),
            received,
        }
    }

    fn delivery(&self, subject: String, payload: Vec<u8>) -> Delivery {
        Delivery {
            event_id: Uuid::now_v7(),
            subject,
            payload: payload.into(),
            delivered: 1,
            span: tracing::Span::none(),
        }
    }

    fn head(&self, when: &str) -> Option<EventHeader> {
        Some(EventHeader {
            event_id: Uuid::now_v7().to_string(),
            case_id: self.id.to_string(),
            case_number: self.number.clone(),
            at: Some(to_proto(at(when))),
        })
    }

    fn registered(&self, summary: &str) -> Delivery {
        let e = CaseRegistered {
            header: self.head(self.received),
            channel: Channel::Phone as i32,
            received_at: Some(to_proto(at(self.received))),
            region: "east".into(),
            summary: summary.into(),
            ..Default::default()
        };
        self.delivery(events::intake::CASE_REGISTERED.into(), e.encode_to_vec())
    }

    fn not_accepted(&self, reason: &str) -> Delivery {
        let e = CaseNotAccepted {
            header: self.head(self.received),
            reason: reason.into(),
            received_at: Some(to_proto(at(self.received))),
            ..Default::default()
        };
        self.delivery(events::triage::CASE_NOT_ACCEPTED.into(), e.encode_to_vec())
    }

    fn routed(&self, department: &str, category: &str, severity: Severity) -> Delivery {
        let e = CaseRouted {
            header: self.head(self.received),
            channel: Channel::Web as i32,
            received_at: Some(to_proto(at(self.received))),
            kind: Kind::Complaint as i32,
            category: category.into(),
            severity: severity as i32,
            region: "east".into(),
            department: department.into(),
            ..Default::default()
        };
        self.delivery(events::triage::CASE_ROUTED.into(), e.encode_to_vec())
    }

    fn order(&self, department: &str, due: &str, revision: u64, handover: Handover) -> Delivery {
        let e = WorkOrder {
            header: self.head(self.received),
            department: department.into(),
            received_at: Some(to_proto(at(self.received))),
            due_at: Some(to_proto(at(due))),
            handover: handover as i32,
            revision,
            ..Default::default()
        };
        self.delivery(
            format!("{}{department}", events::dispatch::ORDERS_PREFIX),
            e.encode_to_vec(),
        )
    }

    /// A workflow step at `when` by `holder`, leaving the case in `state`.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        when: &str,
        step: &str,
        state: &str,
        holder: &str,
        deadline: &str,
        revision: u64,
        satisfaction: &str,
    ) -> Delivery {
        let e = WorkflowStep {
            header: self.head(when),
            step: step.into(),
            state: state.into(),
            holder: holder.into(),
            from_holder: holder.into(),
            received_at: Some(to_proto(at(self.received))),
            deadline_at: Some(to_proto(at(deadline))),
            revision,
            satisfaction: satisfaction.into(),
            ..Default::default()
        };
        self.delivery(
            format!("{}{step}", events::dispatch::STEPS_PREFIX),
            e.encode_to_vec(),
        )
    }

    fn alert(
        &self,
        when: &str,
        kind: DeadlineKind,
        stage: AlertStage,
        level: u32,
        department: &str,
        due: &str,
    ) -> Delivery {
        let e = DeadlineAlert {
            header: self.head(when),
            deadline_kind: kind as i32,
            stage: stage as i32,
            level,
            department: department.into(),
            due_at: Some(to_proto(at(due))),
            received_at: Some(to_proto(at(self.received))),
            ..Default::default()
        };
        self.delivery(
            format!("{}{}", events::deadline::ALERTS_PREFIX, e.stage),
            e.encode_to_vec(),
        )
    }
}

/// Events of five cases, several per case and in the orders the streams
/// can give them: steps out of revision order, a route after dispatch
/// spoke, a case first seen through its route or a step, alerts about a
/// deadline that has moved, events that change nothing.
fn mixed_events() -> Vec<Delivery> {
    use AlertStage::{Escalated, Overdue, Warning};
    use DeadlineKind::{Conclusion, Contact};
    let a = Case::new(1, "11-23T02:00");
    let b = Case::new(2, "11-23T03:00");
    let c = Case::new(3, "11-30T17:00");
    let d = Case::new(4, "11-24T05:00");
    let e = Case::new(5, "11-25T06:00");
    let (due_a, due_a2, due_b, due_d) =
        ("12-04T15:59", "12-20T15:59", "12-07T15:59", "12-01T15:59");
    let s1 = "east-heat-s1";
    vec![
        a.registered("暖气不热"),
        b.routed("west-water", "water", Severity::Major),
        a.routed("east-heat", "heating", Severity::General),
        c.not_accepted("B"),
        b.order("west-water", due_b, 1, Handover::New),
        a.order("east-heat", due_a, 1, Handover::New),
        b.registered("停水三天"),
        a.step(
            "11-23T05:00",
            "signed",
            "in_progress",
            "east-heat",
            due_a,
            2,
            "",
        ),
        d.step(
            "11-24T08:00",
            "returned",
            "returned",
            "east-gas-s2",
            due_d,
            3,
            "",
        ),
        a.step("11-24T05:00", "transferred", "queued", s1, due_a, 3, ""),
        // After dispatch spoke: the route names no department.
        d.routed("east-gas", "gas", Severity::General),
        b.order("west-water", due_b, 2, Handover::Reroute),
        a.alert("12-03T01:00", Conclusion, Warning, 0, s1, due_a),
        d.order("east-gas", due_d, 1, Handover::New),
        b.alert("12-08T01:00", Conclusion, Overdue, 0, "west-water", due_b),
        a.alert("12-05T01:00", Conclusion, Overdue, 0, s1, due_a),
        e.alert(
            "11-26T01:00",
            Conclusion,
            Warning,
            0,
            "east-heat",
            "12-09T15:59",
        ),
        a.step("12-06T02:00", "concluded", "concluded", s1, due_a, 5, ""),
        b.alert("12-09T01:00", Conclusion, Escalated, 1, "west-water", due_b),
        // Older than the stored revision: ignored.
        a.step("12-01T02:00", "contacted", "in_progress", s1, due_a, 4, ""),
        e.alert(
            "11-27T01:00",
            Contact,
            Overdue,
            0,
            "east-heat",
            "11-27T00:00",
        ),
        a.step(
            "12-07T02:00",
            "callback_recorded",
            "in_progress",
            s1,
            due_a2,
            6,
            "dissatisfied",
        ),
        c.registered("噪音扰民"),
        a.step("12-10T02:00", "concluded", "concluded", s1, due_a2, 7, ""),
        e.registered("路灯不亮"),
        a.step(
            "12-11T02:00",
            "callback_recorded",
            "closed",
            s1,
            due_a2,
            8,
            "satisfied",
        ),
        b.order("west-water", due_b, 3, Handover::Transfer),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_leaves_the_rollups_as_its_events_one_by_one() -> anyhow::Result<()> {
    in_scratch_database(|url| async move {
        let events = mixed_events();
        let single = schema(&url, "one_by_one").await?;
        one_by_one(&single, &events).await?;
        let expected = rollups(&single).await?;
        ensure!(expected.iter().all(|rows| !rows.is_empty()), "{expected:?}");
        // One batch, and cuts that leave a case's events on both sides of
        // a commit (its stored row then carries the earlier ones).
        for size in [events.len(), 7, 3, 2, 1] {
            let batched = schema(&url, &format!("batches_of_{size}")).await?;
            in_batches(&batched, &events, size).await?;
            let got = rollups(&batched).await?;
            for (what, (got, expected)) in ["case_state", "cube", "cube_month"]
                .iter()
                .zip(got.iter().zip(&expected))
            {
                ensure!(
                    got == expected,
                    "{what}, batches of {size}:\n got {got:#?}\n expected {expected:#?}"
                );
            }
        }
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_events_of_one_case_in_a_batch_count_once_each() -> anyhow::Result<()> {
    use AlertStage::Overdue;
    use DeadlineKind::Conclusion;
    in_scratch_database(|url| async move {
        let pool = schema(&url, "reporting").await?;
        let case = Case::new(9, "11-23T02:00");
        let (due, h) = ("12-01T15:59", "east-heat");
        // Two callbacks on one local day, two alerts on two days of one
        // month: the same cells twice in one batch.
        let events = [
            case.order(h, due, 1, Handover::New),
            case.step(
                "12-02T01:00",
                "callback_recorded",
                "in_progress",
                h,
                due,
                2,
                "dissatisfied",
            ),
            case.step(
                "12-02T03:00",
                "callback_recorded",
                "closed",
                h,
                due,
                3,
                "satisfied",
            ),
            case.alert("12-02T01:00", Conclusion, Overdue, 0, h, due),
            case.alert("12-03T01:00", Conclusion, Overdue, 0, h, due),
        ];
        in_batches(&pool, &events, events.len()).await?;
        for (table, date, key, want) in [
            ("cube", "2026-12-02", "callbacks", 2),
            ("cube", "2026-12-02", "satisfied", 1),
            ("cube", "2026-12-02", "dissatisfied", 1),
            ("cube", "2026-12-02", "reopened", 1),
            ("cube", "2026-12-02", "overdue", 1),
            ("cube", "2026-12-03", "overdue", 1),
            ("cube_month", "2026-12-01", "callbacks", 2),
            ("cube_month", "2026-12-01", "overdue", 2),
        ] {
            let got = cell(&pool, table, date, h, key).await?;
            ensure!(got == want, "{table} {date} {key}: {got}, expected {want}");
        }
        let (state, reopened, revision): (String, i32, i64) = sqlx::query_as(
            "SELECT state, reopen_count, revision FROM case_state WHERE case_id = $1",
        )
        .bind(case.id)
        .fetch_one(&pool)
        .await?;
        ensure!((state.as_str(), reopened, revision) == ("closed", 1, 3));
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_does_not_fold_fails_its_batch() -> anyhow::Result<()> {
    in_scratch_database(|url| async move {
        let pool = schema(&url, "reporting").await?;
        let case = Case::new(1, "11-23T02:00");
        let bad = case.delivery(events::triage::CASE_ROUTED.into(), b"\xff\xff".to_vec());
        let good = case.registered("x");
        let mut tx = pool.begin().await?;
        let result = handler().handle_batch(&mut tx, &[&good, &bad]).await;
        ensure!(matches!(result, Err(HandleError::Reject(_))), "{result:?}");
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_on_the_same_cases_wait_for_each_other() -> anyhow::Result<()> {
    use AlertStage::Escalated;
    use DeadlineKind::Conclusion;
    const ROUNDS: u64 = 20;
    in_scratch_database(|url| async move {
        let pool = schema(&url, "reporting").await?;
        let cases: Vec<Case> = (0..12).map(|n| Case::new(n, "11-23T02:00")).collect();
        let (due, h) = ("12-01T15:59", "east-heat");
        // Two consumers, each a stream of events on the same cases (new to
        // both) in opposite orders: dispatch reopens each case once a
        // round, the deadline-watcher escalates it one tier higher. A case state written
        // from a stale read would lose a reopening or the escalation.
        let mut steps = Vec::new();
        let mut alerts = Vec::new();
        for round in 1..=ROUNDS {
            let level = u32::try_from(round)?;
            steps.extend(cases.iter().map(|c| {
                c.step(
                    "12-02T01:00",
                    "callback_recorded",
                    "in_progress",
                    h,
                    due,
                    round,
                    "dissatisfied",
                )
            }));
            alerts.extend(
                cases
                    .iter()
                    .rev()
                    .map(|c| c.alert("12-03T01:00", Conclusion, Escalated, level, h, due)),
            );
        }
        let (a, b) = tokio::join!(in_batches(&pool, &steps, 5), in_batches(&pool, &alerts, 7));
        a?;
        b?;
        let rounds = i64::try_from(ROUNDS)?;
        let reopened = cell(&pool, "cube", "2026-12-02", h, "reopened").await?;
        let escalated = cell(&pool, "cube", "2026-12-03", h, "escalated").await?;
        ensure!(
            (reopened, escalated) == (12 * rounds, 12 * rounds),
            "{reopened} {escalated}"
        );
        let cases: Vec<(i32, i64, bool)> =
            sqlx::query_as("SELECT reopen_count, revision, was_escalated FROM case_state")
                .fetch_all(&pool)
                .await?;
        let rounds = i32::try_from(ROUNDS)?;
        ensure!(
            cases.len() == 12 && cases.iter().all(|c| *c == (rounds, ROUNDS as i64, true)),
            "{cases:?}"
        );
        Ok(())
    })
    .await
}
