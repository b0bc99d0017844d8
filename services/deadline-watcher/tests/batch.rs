//! The batch path of deadline-watcher's order consumer against the real
//! Postgres (`MESH_TEST_DATABASE_URL`, default the machine's): however the
//! events are cut into batches, the timers and the `DeadlineRegistered`
//! announcements are exactly those of handling the events one by one,
//! including several events of one order in a batch and a stale one.
//!
//! Each test works in a database of its own, dropped at the end.

use anyhow::{ensure, Context};
use chrono::{DateTime, FixedOffset, Utc};
use complaints_proto::v1::{
    DeadlineRegistered, EventHeader, HandlingMode, Handover, Kind, Severity, WorkOrder,
    WorkflowStep,
};
use mesh_deadline_watcher::calendar::WorkCalendar;
use mesh_deadline_watcher::deadlines::Deadlines;
use mesh_deadline_watcher::orders::OrderHandler;
use mesh_deadline_watcher::policy::Policy;
use mesh_kit::consumer::{Delivery, Handler};
use mesh_kit::events;
use mesh_kit::testing::ScratchDatabase;
use mesh_kit::time::to_proto;
use mesh_kit::Subjects;
use prost::Message;
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn handler() -> anyhow::Result<OrderHandler> {
    Ok(OrderHandler {
        deadlines: Arc::new(Deadlines {
            policy: Policy::load(&repo("deploy/policy/deadlines.toml"))?,
            calendar: WorkCalendar::load(&repo("deploy/calendar/cn.toml"))?,
            offset: FixedOffset::east_opt(8 * 3600).context("offset")?,
        }),
        subjects: Subjects::new("batchtest"),
    })
}

/// An instant of 2027 in UTC, `MM-DDThh:mm` (ahead of the test's clock,
/// so every warning is still to come, on both paths alike).
fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2027-{s}:00Z"))
        .expect("time")
        .with_timezone(&Utc)
}

struct Order {
    case_id: Uuid,
    case_number: String,
    order_id: Uuid,
}

impl Order {
    fn new(n: u32) -> Self {
        Self {
            case_id: Uuid::now_v7(),
            case_number: format!("2027-03-{n:06}"),
            order_id: Uuid::now_v7(),
        }
    }

    fn head(&self, when: &str) -> Option<EventHeader> {
        Some(EventHeader {
            event_id: Uuid::now_v7().to_string(),
            case_id: self.case_id.to_string(),
            case_number: self.case_number.clone(),
            at: Some(to_proto(at(when))),
        })
    }

    fn delivery(subject: String, payload: Vec<u8>) -> Delivery {
        Delivery {
            event_id: Uuid::now_v7(),
            subject,
            payload: payload.into(),
            delivered: 1,
            span: tracing::Span::none(),
        }
    }

    /// The order queued for `holder` at `when`, due `due`.
    fn queued(
        &self,
        holder: &str,
        when: &str,
        due: &str,
        mode: HandlingMode,
        severity: Severity,
    ) -> Delivery {
        let order = WorkOrder {
            header: self.head(when),
            order_id: self.order_id.to_string(),
            holder: holder.into(),
            handover: Handover::New as i32,
            mode: mode as i32,
            kind: Kind::Complaint as i32,
            severity: severity as i32,
            category: "heating".into(),
            assigned_at: Some(to_proto(at(when))),
            received_at: Some(to_proto(at(when))),
            due_at: Some(to_proto(at(due))),
            deadline_rule: "transferred: 10 working days".into(),
            revision: 1,
            ..Default::default()
        };
        Self::delivery(events::dispatch::orders(holder), order.encode_to_vec())
    }

    /// A workflow step that leaves the order in `state` at revision
    /// `revision`, due `due`.
    fn step(&self, state: &str, revision: u64, when: &str, due: &str) -> Delivery {
        let step = WorkflowStep {
            header: self.head(when),
            order_id: self.order_id.to_string(),
            state: state.into(),
            holder: "east-office".into(),
            revision,
            severity: Severity::General as i32,
            category: "heating".into(),
            assigned_at: Some(to_proto(at("03-01T09:00"))),
            received_at: Some(to_proto(at("03-01T09:00"))),
            due_at: Some(to_proto(at(due))),
            deadline_rule: "transferred: 10 working days".into(),
            ..Default::default()
        };
        Self::delivery(events::dispatch::step(state), step.encode_to_vec())
    }
}

/// The events of a few orders, in stream order: several per order, a
/// stale step, an assigned case (which has a report timer) and a major one.
fn events() -> Vec<Delivery> {
    let (a, b, c, d) = (Order::new(1), Order::new(2), Order::new(3), Order::new(4));
    vec![
        a.queued(
            "east-office",
            "03-01T09:00",
            "03-15T09:00",
            HandlingMode::Transferred,
            Severity::General,
        ),
        b.queued(
            "east-office",
            "03-01T09:05",
            "03-15T09:05",
            HandlingMode::Transferred,
            Severity::Major,
        ),
        a.step("in_progress", 2, "03-02T10:00", "03-15T09:00"),
        c.queued(
            "east-office",
            "03-01T09:10",
            "03-08T09:10",
            HandlingMode::Assigned,
            Severity::General,
        ),
        a.step("in_progress", 3, "03-03T10:00", "03-19T09:00"),
        b.step("in_progress", 1, "03-02T11:00", "03-20T09:00"),
        d.queued(
            "east-office",
            "03-01T09:20",
            "03-15T09:20",
            HandlingMode::Transferred,
            Severity::General,
        ),
        c.step("suspended", 2, "03-04T10:00", "03-08T09:10"),
        a.step("concluded", 4, "03-05T16:00", "03-19T09:00"),
        d.step("in_progress", 2, "03-02T09:00", "03-22T09:20"),
        c.step("in_progress", 3, "03-06T10:00", "03-12T09:10"),
    ]
}

/// Handles the events in batches of `size` (1: alone, through `handle`),
/// a transaction each.
async fn handle(pool: &PgPool, events: &[Delivery], size: usize) -> anyhow::Result<()> {
    let handler = handler()?;
    for chunk in events.chunks(size) {
        let mut tx = pool.begin().await?;
        if size == 1 {
            handler.handle(&mut tx, &chunk[0]).await?;
        } else {
            let batch: Vec<&Delivery> = chunk.iter().collect();
            handler.handle_batch(&mut tx, &batch).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The timers, and the announcements in the outbox, as text (without
/// their own ids and creation times).
async fn outcome(pool: &PgPool) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let timers: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' | ', case_number, order_id, department, deadline_kind, due_at, rule, state, \
         revision, started_at, stage, level, fire_at, received_at, category) \
         FROM timers ORDER BY order_id, deadline_kind",
    )
    .fetch_all(pool)
    .await?;
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT subject, payload FROM outbox ORDER BY id")
            .fetch_all(pool)
            .await?;
    let mut announced = Vec::new();
    for (subject, payload) in rows {
        let e = DeadlineRegistered::decode(payload.as_slice())?;
        announced.push(format!(
            "{subject} {} {} {:?} {}",
            e.order_id, e.department, e.due_at, e.rule
        ));
    }
    Ok((timers, announced))
}

#[tokio::test]
async fn a_batch_sets_the_timers_and_announcements_of_its_events_one_by_one() -> anyhow::Result<()>
{
    let db = ScratchDatabase::create("deadline_batch").await?;
    let result = async {
        let events = events();
        let mut outcomes = Vec::new();
        for size in [1, events.len(), 2, 3, 5] {
            let pool = db.schema(&format!("batch_{size}"), &MIGRATOR, 4).await?;
            handle(&pool, &events, size).await?;
            outcomes.push((size, outcome(&pool).await?));
            pool.close().await;
        }
        let (_, alone) = &outcomes[0];
        // Conclusion and contact for each of the four orders, the assigned
        // case's report, the concluded one's callback.
        eprintln!("one by one: {} announcements", alone.1.len());
        ensure!(
            alone.0.len() == 10,
            "one by one set {} timers",
            alone.0.len()
        );
        ensure!(
            alone.1.len() >= 5,
            "one by one announced {} deadlines",
            alone.1.len()
        );
        for (size, outcome) in &outcomes[1..] {
            ensure!(
                outcome.0 == alone.0,
                "batches of {size}: timers differ\n{:#?}\none by one:\n{:#?}",
                outcome.0,
                alone.0
            );
            ensure!(
                outcome.1 == alone.1,
                "batches of {size}: announcements differ\n{:#?}\none by one:\n{:#?}",
                outcome.1,
                alone.1
            );
        }
        Ok(())
    }
    .await;
    db.drop_it().await?;
    result
}
