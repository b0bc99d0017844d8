//! Follows every work order: its queue messages (a new holder, a reopen)
//! and its workflow steps (extension, suspension, conclusion…), keeping two
//! timers per order up to date: the conclusion deadline (办结时限) and the
//! next contact with the complainant (every 3 days, daily for major
//! cases). A message older than what a timer already knows (by the order's
//! revision) changes nothing. A new or moved conclusion deadline is
//! announced as `DeadlineRegistered`.

use crate::deadlines::Deadlines;
use crate::supervision::{first_plan, Plan};
use chrono::{DateTime, Utc};
use complaints_proto::v1::{
    DeadlineKind, DeadlineRegistered, EventHeader, HandlingMode, Handover, Kind, Severity,
    WorkOrder, WorkflowStep,
};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::outbox::{self, Outgoing};
use mesh_kit::time::{from_proto_opt, to_proto};
use mesh_kit::{events, Subjects};
use prost::Message;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::dispatch::STREAM,
    "deadline-watcher",
    events::dispatch::SUBJECTS,
);

#[derive(Clone)]
pub struct OrderHandler {
    pub deadlines: Arc<Deadlines>,
    pub subjects: Subjects,
}

fn uuid(field: &str, value: &str) -> Result<Uuid, HandleError> {
    Uuid::parse_str(value)
        .map_err(|_| HandleError::Reject(format!("{field} {value:?} is not a UUID")))
}

/// What a timer should become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerUpdate {
    pub case_id: Uuid,
    pub case_number: String,
    pub order_id: Uuid,
    pub department: String,
    pub kind: DeadlineKind,
    /// `None` keeps the stored due time.
    pub due_at: Option<DateTime<Utc>>,
    /// When the time started running (for the warning's share).
    pub started_at: DateTime<Utc>,
    pub rule: String,
    pub state: &'static str,
    pub revision: i64,
    pub received_at: Option<DateTime<Utc>>,
    pub category: String,
}

/// The timers a delivered event sets, worked out from its payload alone
/// (no database): what [`OrderHandler`] applies, and what the fuzz targets
/// feed arbitrary bytes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub header: EventHeader,
    pub order_id: String,
    /// Applied in this order. The last is the conclusion deadline, which is
    /// announced as `DeadlineRegistered` when it is set or moves.
    pub timers: Vec<TimerUpdate>,
}

/// The timer as stored.
#[derive(sqlx::FromRow)]
struct Current {
    due_at: DateTime<Utc>,
    revision: i64,
    state: String,
}

/// What applying a [`TimerUpdate`] to the stored timer comes to.
enum Write<'a> {
    /// A timer the order did not have yet.
    Insert {
        u: &'a TimerUpdate,
        due: DateTime<Utc>,
        plan: Plan,
    },
    /// A newer revision of a stored timer. When `replan` (its deadline
    /// moved, or it runs again) the plan starts afresh (warning, then
    /// overdue, then escalation); otherwise the plan stays.
    Update {
        u: &'a TimerUpdate,
        due: DateTime<Utc>,
        replan: bool,
        plan: Plan,
    },
}

/// Decides how `u` changes the timer stored as `current`: nothing when the
/// timer already knows a newer revision. Also gives the due time when it
/// is set or moves, which is announced for the conclusion deadline. No
/// database: the single and the batch paths share it.
fn decide<'a>(
    d: &Deadlines,
    current: Option<&Current>,
    u: &'a TimerUpdate,
    now: DateTime<Utc>,
) -> (Option<Write<'a>>, Option<DateTime<Utc>>) {
    match current {
        Some(c) if c.revision >= u.revision => (None, None),
        Some(c) => {
            let due = u.due_at.unwrap_or(c.due_at);
            let replan = u.state == "pending" && (due != c.due_at || c.state != "pending");
            let plan = first_plan(d, u.kind, u.started_at, due, now);
            let moved = (due != c.due_at && u.state == "pending").then_some(due);
            (
                Some(Write::Update {
                    u,
                    due,
                    replan,
                    plan,
                }),
                moved,
            )
        }
        None => {
            let Some(due) = u.due_at else {
                return (None, None);
            };
            let plan = first_plan(d, u.kind, u.started_at, due, now);
            let set = (u.state == "pending").then_some(due);
            (Some(Write::Insert { u, due, plan }), set)
        }
    }
}

/// The stored timer of `u`, locked for the transaction.
async fn current(tx: &mut PgConnection, u: &TimerUpdate) -> Result<Option<Current>, sqlx::Error> {
    sqlx::query_as(
        "SELECT due_at, revision, state FROM timers WHERE order_id = $1 AND deadline_kind = $2 FOR UPDATE",
    )
    .bind(u.order_id)
    .bind(u.kind as i32)
    .fetch_optional(&mut *tx)
    .await
}

/// Applies `u` unless the timer already knows a newer revision (see
/// [`decide`]). Returns the due time when it was set or moved.
async fn upsert(
    tx: &mut PgConnection,
    d: &Deadlines,
    u: &TimerUpdate,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let stored = current(tx, u).await?;
    let (write, set) = decide(d, stored.as_ref(), u, Utc::now());
    let mut inserts = Vec::new();
    write_or_gather(tx, write, &mut inserts).await?;
    insert_all(tx, &inserts).await?;
    Ok(set)
}

/// A new timer, as [`insert_all`] takes it.
type NewTimer<'a> = (&'a TimerUpdate, DateTime<Utc>, Plan);

/// Writes an update at once, and gathers a new timer in `inserts` for
/// [`insert_all`].
async fn write_or_gather<'a>(
    tx: &mut PgConnection,
    write: Option<Write<'a>>,
    inserts: &mut Vec<NewTimer<'a>>,
) -> Result<(), sqlx::Error> {
    match write {
        Some(Write::Insert { u, due, plan }) => inserts.push((u, due, plan)),
        Some(Write::Update {
            u,
            due,
            replan,
            plan,
        }) => update(tx, u, due, replan, &plan).await?,
        None => {}
    }
    Ok(())
}

async fn update(
    tx: &mut PgConnection,
    u: &TimerUpdate,
    due: DateTime<Utc>,
    replan: bool,
    plan: &Plan,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE timers SET due_at = $3, department = $4, rule = CASE WHEN $5 = '' THEN rule ELSE $5 END, \
         state = $6, revision = $7, \
         started_at = CASE WHEN $8 THEN $9 ELSE started_at END, \
         stage = CASE WHEN $8 THEN $10 ELSE stage END, \
         level = CASE WHEN $8 THEN 0 ELSE level END, \
         fire_at = CASE WHEN $8 THEN $11 ELSE fire_at END \
         WHERE order_id = $1 AND deadline_kind = $2",
    )
    .bind(u.order_id)
    .bind(u.kind as i32)
    .bind(due)
    .bind(&u.department)
    .bind(&u.rule)
    .bind(u.state)
    .bind(u.revision)
    .bind(replan)
    .bind(u.started_at)
    .bind(plan.stage.as_str())
    .bind(plan.fire_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Inserts new timers, all in one statement.
async fn insert_all(tx: &mut PgConnection, timers: &[NewTimer<'_>]) -> Result<(), sqlx::Error> {
    if timers.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(timers.len());
    let mut cases = Vec::with_capacity(timers.len());
    let mut numbers = Vec::with_capacity(timers.len());
    let mut orders = Vec::with_capacity(timers.len());
    let mut departments = Vec::with_capacity(timers.len());
    let mut kinds = Vec::with_capacity(timers.len());
    let mut dues = Vec::with_capacity(timers.len());
    let mut rules = Vec::with_capacity(timers.len());
    let mut states = Vec::with_capacity(timers.len());
    let mut revisions = Vec::with_capacity(timers.len());
    let mut starts = Vec::with_capacity(timers.len());
    let mut stages = Vec::with_capacity(timers.len());
    let mut fire_ats = Vec::with_capacity(timers.len());
    let mut received = Vec::with_capacity(timers.len());
    let mut categories = Vec::with_capacity(timers.len());
    for (u, due, plan) in timers {
        ids.push(Uuid::now_v7());
        cases.push(u.case_id);
        numbers.push(u.case_number.as_str());
        orders.push(u.order_id);
        departments.push(u.department.as_str());
        kinds.push(u.kind as i32);
        dues.push(*due);
        rules.push(u.rule.as_str());
        states.push(u.state);
        revisions.push(u.revision);
        starts.push(u.started_at);
        stages.push(plan.stage.as_str());
        fire_ats.push(plan.fire_at);
        received.push(u.received_at);
        categories.push(u.category.as_str());
    }
    sqlx::query(
        "INSERT INTO timers (timer_id, case_id, case_number, order_id, department, deadline_kind, due_at, rule, \
         state, revision, started_at, stage, level, fire_at, received_at, category) \
         SELECT t.id, t.case_id, t.case_number, t.order_id, t.department, t.kind, t.due_at, t.rule, \
         t.state, t.revision, t.started_at, t.stage, 0, t.fire_at, t.received_at, t.category \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::int4[], \
         $7::timestamptz[], $8::text[], $9::text[], $10::int8[], $11::timestamptz[], $12::text[], \
         $13::timestamptz[], $14::timestamptz[], $15::text[]) \
         AS t(id, case_id, case_number, order_id, department, kind, due_at, rule, state, revision, \
         started_at, stage, fire_at, received_at, category)",
    )
    .bind(ids)
    .bind(cases)
    .bind(numbers)
    .bind(orders)
    .bind(departments)
    .bind(kinds)
    .bind(dues)
    .bind(rules)
    .bind(states)
    .bind(revisions)
    .bind(starts)
    .bind(stages)
    .bind(fire_ats)
    .bind(received)
    .bind(categories)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Timer state for an order state.
fn timer_state(order_state: &str) -> &'static str {
    match order_state {
        "queued" | "in_progress" | "returned" => "pending",
        "suspended" => "paused",
        _ => "cancelled",
    }
}

/// How often the holder must contact the complainant, and that rule in
/// words for the timer.
fn contact(d: &Deadlines, severity: Severity) -> (chrono::Duration, String) {
    let interval = d.policy.contact_interval(severity);
    (
        interval,
        format!("contact every {} days", interval.num_days()),
    )
}

/// `interval` after `at`; the end of chrono's range if that lies beyond it
/// (an instant an event may carry).
fn later(at: DateTime<Utc>, interval: chrono::Duration) -> DateTime<Utc> {
    at.checked_add_signed(interval)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Decodes an event delivered on `subject` and works out the timers it
/// sets; `None` when it sets none (another subject, a co-handler's copy, a
/// notice, a nudge or an incident's news).
pub fn plan(d: &Deadlines, subject: &str, payload: &[u8]) -> Result<Option<Planned>, HandleError> {
    if subject.starts_with(events::dispatch::ORDERS_PREFIX) {
        let order = WorkOrder::decode(payload).map_err(HandleError::undecodable)?;
        plan_order(d, order)
    } else if subject.starts_with(events::dispatch::STEPS_PREFIX) {
        let step = WorkflowStep::decode(payload).map_err(HandleError::undecodable)?;
        plan_step(d, step).map(Some)
    } else {
        Ok(None)
    }
}

fn plan_order(d: &Deadlines, order: WorkOrder) -> Result<Option<Planned>, HandleError> {
    if order.co_handler
        || matches!(
            Handover::try_from(order.handover),
            Ok(Handover::Notice | Handover::Nudge | Handover::Incident)
        )
    {
        // A co-handler's copy, a notice, a nudge or an incident's news:
        // the lead's order carries the timers.
        return Ok(None);
    }
    let header = order
        .header
        .clone()
        .ok_or_else(|| HandleError::Reject("WorkOrder has no header".into()))?;
    let case_id = uuid("case id", &header.case_id)?;
    let order_id = uuid("order id", &order.order_id)?;
    let assigned_at = from_proto_opt(order.assigned_at.as_ref()).unwrap_or_else(Utc::now);
    let severity = Severity::try_from(order.severity).unwrap_or(Severity::General);
    let kind = Kind::try_from(order.kind).unwrap_or(Kind::Complaint);
    let mode = HandlingMode::try_from(order.mode).unwrap_or(HandlingMode::Transferred);
    // The order carries the deadline the department was given (dispatch
    // asked us for it); without one, compute it now from the policy.
    let (due_at, rule) = match from_proto_opt(order.due_at.as_ref()) {
        Some(due_at) => (due_at, order.deadline_rule.clone()),
        None => {
            let due = d.conclusion(kind, mode, severity, assigned_at);
            (due.at, due.rule)
        }
    };
    let department = if order.holder.is_empty() {
        order.department.clone()
    } else {
        order.holder.clone()
    };
    let revision = i64::try_from(order.revision).unwrap_or(i64::MAX);
    let received_at = from_proto_opt(order.received_at.as_ref());
    let base = TimerUpdate {
        case_id,
        case_number: header.case_number.clone(),
        order_id,
        department,
        kind: DeadlineKind::Conclusion,
        due_at: Some(due_at),
        started_at: assigned_at,
        rule,
        state: "pending",
        revision,
        received_at,
        category: order.category.clone(),
    };
    let mut timers = Vec::new();
    // A written report for assigned (交办) cases, by the policy.
    if let Some(report) = d.policy.report_rule(kind, mode, severity) {
        timers.push(TimerUpdate {
            kind: DeadlineKind::Report,
            due_at: Some(d.due(report, assigned_at)),
            rule: format!("report: {}", report.describe()),
            ..base.clone()
        });
    }
    let (interval, contact_rule) = contact(d, severity);
    timers.push(TimerUpdate {
        kind: DeadlineKind::Contact,
        due_at: Some(later(assigned_at, interval)),
        rule: contact_rule,
        ..base.clone()
    });
    timers.push(base);
    Ok(Some(Planned {
        header,
        order_id: order.order_id,
        timers,
    }))
}

fn plan_step(d: &Deadlines, step: WorkflowStep) -> Result<Planned, HandleError> {
    let header = step
        .header
        .clone()
        .ok_or_else(|| HandleError::Reject("WorkflowStep has no header".into()))?;
    let case_id = uuid("case id", &header.case_id)?;
    let order_id = uuid("order id", &step.order_id)?;
    let revision = i64::try_from(step.revision).unwrap_or(i64::MAX);
    let state = timer_state(&step.state);
    let step_at = from_proto_opt(header.at.as_ref()).unwrap_or_else(Utc::now);
    let base = TimerUpdate {
        case_id,
        case_number: header.case_number.clone(),
        order_id,
        department: step.holder.clone(),
        kind: DeadlineKind::Conclusion,
        due_at: from_proto_opt(step.due_at.as_ref()),
        started_at: from_proto_opt(step.assigned_at.as_ref()).unwrap_or(step_at),
        rule: step.deadline_rule.clone(),
        state,
        revision,
        received_at: from_proto_opt(step.received_at.as_ref()),
        category: step.category.clone(),
    };
    let mut timers = Vec::new();
    // The report ends with the case's handling, like the conclusion.
    timers.push(TimerUpdate {
        kind: DeadlineKind::Report,
        due_at: None,
        rule: String::new(),
        ..base.clone()
    });
    // The contact interval runs from the last contact, or from when the
    // holder got the order.
    let severity = Severity::try_from(step.severity).unwrap_or(Severity::General);
    let since = [
        from_proto_opt(step.last_contact_at.as_ref()),
        from_proto_opt(step.assigned_at.as_ref()),
    ]
    .into_iter()
    .flatten()
    .max();
    let (interval, contact_rule) = contact(d, severity);
    timers.push(TimerUpdate {
        kind: DeadlineKind::Contact,
        due_at: since.map(|s| later(s, interval)),
        rule: contact_rule,
        ..base.clone()
    });
    // The callback (回访) is due from the conclusion; a recorded callback
    // (closed or reopened) or a withdrawal ends it.
    let policy = &d.policy;
    let (callback_due, callback_state) = if step.state == "concluded" {
        let concluded = step_at;
        let due = d.due(&policy.callback, concluded);
        (Some(due), "pending")
    } else {
        (None, "cancelled")
    };
    timers.push(TimerUpdate {
        kind: DeadlineKind::Callback,
        due_at: callback_due,
        started_at: step_at,
        rule: policy.callback.describe(),
        state: callback_state,
        ..base.clone()
    });
    timers.push(base);
    Ok(Planned {
        header,
        order_id: step.order_id,
        timers,
    })
}

impl OrderHandler {
    async fn announce(
        &self,
        tx: &mut PgConnection,
        header: &EventHeader,
        order_id: &str,
        department: &str,
        due_at: DateTime<Utc>,
        rule: &str,
    ) -> Result<(), HandleError> {
        let announcement = self.announcement(header, order_id, department, due_at, rule);
        outbox::enqueue_many(tx, vec![announcement]).await?;
        Ok(())
    }

    /// The `DeadlineRegistered` of a conclusion deadline, for the outbox.
    fn announcement(
        &self,
        header: &EventHeader,
        order_id: &str,
        department: &str,
        due_at: DateTime<Utc>,
        rule: &str,
    ) -> Outgoing {
        let event_id = Uuid::now_v7();
        let event = DeadlineRegistered {
            header: Some(events::header(
                event_id,
                &header.case_id,
                &header.case_number,
                Utc::now(),
            )),
            order_id: order_id.to_owned(),
            department: department.to_owned(),
            deadline_kind: DeadlineKind::Conclusion as i32,
            due_at: Some(to_proto(due_at)),
            rule: rule.to_owned(),
        };
        let subject = self.subjects.subject(events::deadline::DEADLINE_REGISTERED);
        Outgoing::new(subject, event_id, &event)
    }
}

impl Handler for OrderHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let Some(planned) = plan(&self.deadlines, &delivery.subject, &delivery.payload)? else {
            return Ok(());
        };
        let last = planned.timers.len().saturating_sub(1);
        for (i, timer) in planned.timers.iter().enumerate() {
            let set = upsert(tx, &self.deadlines, timer).await?;
            // The last timer is the conclusion deadline.
            if let (true, Some(due)) = (i == last, set) {
                self.announce(
                    tx,
                    &planned.header,
                    &planned.order_id,
                    &timer.department,
                    due,
                    &timer.rule,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The timers of a batch are read, and locked, with one statement, in
    /// a fixed order (so that two replicas' batches wait for each other
    /// rather than deadlock); new timers are written with one more. A timer
    /// that more than one event of the batch touches takes the single
    /// path, event by event, so that each sees the one before.
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        deliveries: &[&Delivery],
    ) -> Result<(), HandleError> {
        let mut planned = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            if let Some(p) = plan(&self.deadlines, &delivery.subject, &delivery.payload)? {
                planned.push((p, *delivery));
            }
        }
        let mut touched: HashMap<(Uuid, i32), usize> = HashMap::new();
        for (p, _) in &planned {
            for u in &p.timers {
                *touched.entry((u.order_id, u.kind as i32)).or_default() += 1;
            }
        }
        let mut keys: Vec<(Uuid, i32)> = touched.keys().copied().collect();
        keys.sort_unstable();
        let (order_ids, kinds): (Vec<Uuid>, Vec<i32>) = keys.into_iter().unzip();
        let rows: Vec<(Uuid, i32, DateTime<Utc>, i64, String)> = sqlx::query_as(
            "SELECT order_id, deadline_kind, due_at, revision, state FROM timers \
             WHERE (order_id, deadline_kind) IN (SELECT * FROM UNNEST($1::uuid[], $2::int4[])) \
             ORDER BY order_id, deadline_kind FOR UPDATE",
        )
        .bind(order_ids)
        .bind(kinds)
        // Unprepared: planned with the batch's keys in hand. A prepared
        // plan is fixed while the table is small and goes on scanning it
        // whole as it grows.
        .persistent(false)
        .fetch_all(&mut *tx)
        .await?;
        let stored: HashMap<(Uuid, i32), Current> = rows
            .into_iter()
            .map(|(order, kind, due_at, revision, state)| {
                (
                    (order, kind),
                    Current {
                        due_at,
                        revision,
                        state,
                    },
                )
            })
            .collect();

        let now = Utc::now();
        let mut inserts = Vec::new();
        let mut announcements = Vec::new();
        for (p, delivery) in &planned {
            let last = p.timers.len().saturating_sub(1);
            for (i, u) in p.timers.iter().enumerate() {
                let key = (u.order_id, u.kind as i32);
                let set = if touched.get(&key).copied().unwrap_or(0) > 1 {
                    upsert(tx, &self.deadlines, u).await?
                } else {
                    let (write, set) = decide(&self.deadlines, stored.get(&key), u, now);
                    write_or_gather(tx, write, &mut inserts).await?;
                    set
                };
                if let (true, Some(due)) = (i == last, set) {
                    announcements.push((p, *delivery, u, due));
                }
            }
        }
        insert_all(tx, &inserts).await?;
        // One statement for the batch's announcements, each in the trace
        // of the event it answers.
        let announcements = announcements
            .into_iter()
            .map(|(p, delivery, u, due)| {
                delivery.span.in_scope(|| {
                    (
                        self.announcement(&p.header, &p.order_id, &u.department, due, &u.rule),
                        mesh_kit::telemetry::current_traceparent(),
                    )
                })
            })
            .collect();
        outbox::enqueue_many_traced(tx, announcements).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadlines::tests::shipped;

    fn header() -> Option<EventHeader> {
        Some(EventHeader {
            case_id: Uuid::now_v7().to_string(),
            case_number: "2026-11-000001".into(),
            ..Default::default()
        })
    }

    #[test]
    fn an_order_sets_report_contact_and_conclusion_timers() {
        let order = WorkOrder {
            header: header(),
            order_id: Uuid::now_v7().to_string(),
            holder: "east-heat".into(),
            mode: HandlingMode::Assigned as i32,
            kind: Kind::Complaint as i32,
            severity: Severity::Major as i32,
            assigned_at: Some(to_proto(Utc::now())),
            revision: 1,
            ..Default::default()
        };
        let planned = plan(
            &shipped(),
            "dispatch.v1.orders.east-heat",
            &order.encode_to_vec(),
        )
        .expect("planned")
        .expect("timers");
        let kinds: Vec<DeadlineKind> = planned.timers.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                DeadlineKind::Report,
                DeadlineKind::Contact,
                DeadlineKind::Conclusion
            ]
        );
        assert!(planned.timers.iter().all(|t| t.department == "east-heat"));
        let notice = WorkOrder {
            handover: Handover::Notice as i32,
            ..order
        };
        assert_eq!(
            plan(
                &shipped(),
                "dispatch.v1.orders.centre",
                &notice.encode_to_vec()
            )
            .expect("planned"),
            None
        );
        assert!(plan(&shipped(), "dispatch.v1.steps.signed", b"\xff\xff").is_err());
    }

    #[test]
    fn timers_of_an_order_at_the_end_of_time_stay_in_range() {
        // Found by fuzzing (consumer_deadline_watcher): an order assigned
        // in the last days of chrono's range panicked working out its
        // deadlines ("Local time out of range for `NaiveDateTime`") and its
        // contact timer (`DateTime + TimeDelta` overflowed).
        let last = DateTime::<Utc>::MAX_UTC;
        let order = WorkOrder {
            header: header(),
            order_id: Uuid::now_v7().to_string(),
            mode: HandlingMode::Assigned as i32,
            assigned_at: Some(to_proto(last)),
            ..Default::default()
        };
        let planned = plan(
            &shipped(),
            "dispatch.v1.orders.east-heat",
            &order.encode_to_vec(),
        )
        .expect("planned")
        .expect("timers");
        for t in &planned.timers {
            assert!(t
                .due_at
                .is_some_and(|due| due > last - chrono::Duration::days(1)));
        }
        let step = WorkflowStep {
            header: header(),
            order_id: Uuid::now_v7().to_string(),
            state: "concluded".into(),
            last_contact_at: Some(to_proto(last)),
            ..Default::default()
        };
        let planned = plan(
            &shipped(),
            "dispatch.v1.steps.concluded",
            &step.encode_to_vec(),
        )
        .expect("planned");
        let contact = planned.and_then(|p| {
            p.timers
                .into_iter()
                .find(|t| t.kind == DeadlineKind::Contact)
        });
        assert_eq!(contact.and_then(|t| t.due_at), Some(last));
    }
}
