//! Fires timers on time, exactly once.
//!
//! The loop takes the due end of the `timers_to_fire` index in batches:
//! `SELECT … WHERE state = 'pending' AND fire_at <= now ORDER BY fire_at
//! LIMIT n FOR UPDATE SKIP LOCKED`. For each timer it works out the alert
//! and the timer's next step ([`crate::supervision::fire`]), then in the
//! same transaction moves every timer to its next step and writes every
//! alert to the outbox. So an alert is written once per step, however many
//! replicas run (SKIP LOCKED gives each row to one of them, and the row's
//! new `fire_at` makes it not due any more), and a crash before commit
//! leaves the batch to be fired again, not lost. A timer that fell due
//! while no watcher ran is simply due: it fires on start-up.
//!
//! Between batches the loop sleeps until the earliest pending `fire_at`,
//! at least [`MIN_SLEEP`] (timers due close together fire in one batch) and
//! at most [`MAX_SLEEP`] (a timer registered meanwhile is seen within that);
//! a full batch means a backlog, and the next one follows at once. Memory does not grow with the number of timers: only a
//! batch is ever held.

use crate::deadlines::Deadlines;
use crate::supervision::{fire, Plan, Stage};
use chrono::{DateTime, Utc};
use complaints_proto::v1::{DeadlineAlert, DeadlineKind};
use complaints_proto::Label;
use mesh_kit::network::Network;
use mesh_kit::outbox::{self, OutboxWaker, Outgoing};
use mesh_kit::time::to_proto;
use mesh_kit::{events, Shutdown, Subjects};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The longest the loop sleeps without looking.
pub const MAX_SLEEP: Duration = Duration::from_millis(200);

/// The shortest pause between rounds that found the due end empty: timers
/// due within it are fired together, one transaction instead of many.
pub const MIN_SLEEP: Duration = Duration::from_millis(50);

#[derive(sqlx::FromRow)]
struct DueTimer {
    timer_id: Uuid,
    case_id: Uuid,
    case_number: String,
    order_id: Uuid,
    department: String,
    deadline_kind: i32,
    due_at: DateTime<Utc>,
    rule: String,
    stage: String,
    level: i32,
    fire_at: DateTime<Utc>,
    received_at: Option<DateTime<Utc>>,
    category: String,
}

/// The firing loop of one watcher.
#[derive(Clone)]
pub struct Firing {
    pub pool: PgPool,
    pub deadlines: Arc<Deadlines>,
    pub network: Arc<Network>,
    pub subjects: Subjects,
    pub outbox: OutboxWaker,
    /// Timers fired per transaction.
    pub batch: i64,
}

impl Firing {
    pub async fn run(self, shutdown: Shutdown) {
        loop {
            if shutdown.is_triggered() {
                break;
            }
            let fired = match self.fire_due(Utc::now()).await {
                Ok(n) => n,
                Err(err) => {
                    tracing::warn!(error = %err, "firing timers failed, will retry");
                    0
                }
            };
            if fired as i64 >= self.batch {
                // A backlog: go on at once.
                continue;
            }
            let wait = match self.until_next().await {
                Ok(Some(d)) => d.clamp(MIN_SLEEP, MAX_SLEEP),
                _ => MAX_SLEEP,
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("timer firing stopped");
    }

    /// How long until the earliest pending timer is due.
    async fn until_next(&self) -> Result<Option<Duration>, sqlx::Error> {
        let next: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT MIN(fire_at) FROM timers WHERE state = 'pending'")
                // Planned afresh each time: a plan made when the table was
                // empty went on scanning it whole (10 ms a call with 20,000
                // timers).
                .persistent(false)
                .fetch_one(&self.pool)
                .await?;
        Ok(next.map(|at| (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)))
    }

    /// Fires up to `batch` timers due at `now`; returns how many.
    pub async fn fire_due(&self, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let due: Vec<DueTimer> = sqlx::query_as(
            "SELECT timer_id, case_id, case_number, order_id, department, deadline_kind, due_at, rule, stage, level, \
             fire_at, received_at, category FROM timers WHERE state = 'pending' AND fire_at <= $1 \
             ORDER BY fire_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(now)
        .bind(self.batch)
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let n = due.len();
        let mut ids = Vec::with_capacity(n);
        let mut stages = Vec::with_capacity(n);
        let mut levels = Vec::with_capacity(n);
        let mut fire_ats = Vec::with_capacity(n);
        let mut states = Vec::with_capacity(n);
        let mut alerts = Vec::with_capacity(n);
        for t in due {
            let kind = DeadlineKind::try_from(t.deadline_kind).unwrap_or(DeadlineKind::Conclusion);
            let plan = Plan {
                stage: Stage::parse(&t.stage).unwrap_or(Stage::Overdue),
                level: u32::try_from(t.level).unwrap_or(0),
                fire_at: t.fire_at,
            };
            let (alert, next) = fire(
                &self.deadlines,
                &self.network,
                kind,
                &t.department,
                plan,
                t.due_at,
            );
            let event_id = Uuid::now_v7();
            let stage = alert.stage.label();
            let event = DeadlineAlert {
                header: Some(events::header(
                    event_id,
                    t.case_id,
                    &t.case_number,
                    Utc::now(),
                )),
                order_id: t.order_id.to_string(),
                deadline_kind: kind as i32,
                stage: alert.stage as i32,
                level: alert.level,
                department: t.department.clone(),
                notified_head: self
                    .network
                    .department(&alert.notified)
                    .map(|d| d.head.clone())
                    .unwrap_or_default(),
                notified: alert.notified.clone(),
                due_at: Some(to_proto(t.due_at)),
                fire_at: Some(to_proto(t.fire_at)),
                rule: t.rule,
                received_at: t.received_at.map(to_proto),
                category: t.category,
            };
            let subject = events::deadline::alert(&stage, &alert.notified);
            alerts.push(Outgoing::new(
                self.subjects.subject(&subject),
                event_id,
                &event,
            ));
            ids.push(t.timer_id);
            match next {
                Some(next) => {
                    stages.push(next.stage.as_str().to_owned());
                    levels.push(i32::try_from(next.level).unwrap_or(i32::MAX));
                    fire_ats.push(next.fire_at);
                    states.push("pending");
                }
                None => {
                    stages.push(plan.stage.as_str().to_owned());
                    levels.push(i32::try_from(plan.level).unwrap_or(i32::MAX));
                    fire_ats.push(plan.fire_at);
                    states.push("done");
                }
            }
        }
        sqlx::query(
            "UPDATE timers t SET stage = u.stage, level = u.level, fire_at = u.fire_at, state = u.state \
             FROM UNNEST($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::text[]) \
             AS u(timer_id, stage, level, fire_at, state) WHERE t.timer_id = u.timer_id",
        )
        .bind(&ids)
        .bind(&stages)
        .bind(&levels)
        .bind(&fire_ats)
        .bind(&states)
        .execute(&mut *tx)
        .await?;
        outbox::enqueue_many(&mut tx, alerts).await?;
        tx.commit().await?;
        self.outbox.wake();
        tracing::debug!(count = n, "timers fired");
        Ok(n)
    }
}
