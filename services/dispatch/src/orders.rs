//! Work orders: the `work_orders` table, its queue message, and the
//! snapshot the workflow machine decides on.

use crate::workflow::{OrderSnapshot, OrderState};
use chrono::{DateTime, Utc};
use complaints_proto::v1::{Conclusion, HandlingMode, Handover, OrderStep, Severity, WorkOrder};
use mesh_kit::outbox::Outgoing;
use mesh_kit::time::to_proto;
use mesh_kit::{events, Subjects};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A work order as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub order_id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// The department holding the case (the lead).
    pub holder: String,
    pub co_handlers: Vec<String>,
    pub state: String,
    pub mode: i32,
    pub kind: i32,
    pub category: String,
    pub severity: i32,
    pub region: String,
    pub channel: i32,
    pub summary: String,
    pub request: String,
    pub respondent: String,
    pub received_at: Option<DateTime<Utc>>,
    pub assigned_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub deadline_rule: String,
    pub base_working_days: i32,
    pub extended_days: i32,
    pub pending_extension: Option<i32>,
    pub reopen_count: i32,
    pub returned_by: Vec<String>,
    pub previous_holder: String,
    pub suspended_at: Option<DateTime<Utc>>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub satisfaction: String,
    pub revision: i64,
    /// The latest alert on the current conclusion deadline.
    pub alert_stage: String,
    pub alert_level: i32,
    /// How long a holder may return the order (from the policy).
    pub return_window_seconds: i32,
    /// Most working days in all, extensions included (from the policy).
    pub extension_cap: i32,
}

const COLUMNS: &str = "order_id, case_id, case_number, holder, co_handlers, state, mode, kind, category, severity, \
     region, channel, summary, request, respondent, received_at, assigned_at, due_at, deadline_rule, \
     base_working_days, extended_days, pending_extension, reopen_count, returned_by, \
     previous_holder, suspended_at, last_contact_at, satisfaction, revision, alert_stage, alert_level, \
     return_window_seconds, extension_cap";

/// A count as stored (INTEGER) as it goes on the wire; never negative.
pub(crate) fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

impl OrderRow {
    /// The order for `department`'s queue, as an outbox event of its own.
    pub fn queued(
        &self,
        subjects: &Subjects,
        department: &str,
        handover: Handover,
        co_handler: bool,
    ) -> Outgoing {
        let event_id = Uuid::now_v7();
        let message = self.to_message(event_id, department, handover, co_handler);
        Outgoing::new(subjects.department_queue(department), event_id, &message)
    }

    /// The queue message for `department`, under event id `event_id`.
    pub fn to_message(
        &self,
        event_id: Uuid,
        department: &str,
        handover: Handover,
        co_handler: bool,
    ) -> WorkOrder {
        WorkOrder {
            header: Some(events::header(
                event_id,
                self.case_id,
                &self.case_number,
                self.assigned_at,
            )),
            order_id: self.order_id.to_string(),
            department: department.to_owned(),
            mode: self.mode,
            kind: self.kind,
            category: self.category.clone(),
            severity: self.severity,
            region: self.region.clone(),
            summary: self.summary.clone(),
            request: self.request.clone(),
            respondent: self.respondent.clone(),
            received_at: self.received_at.map(to_proto),
            assigned_at: Some(to_proto(self.assigned_at)),
            due_at: Some(to_proto(self.due_at)),
            deadline_rule: self.deadline_rule.clone(),
            channel: self.channel,
            handover: handover as i32,
            co_handler,
            revision: u64::try_from(self.revision).unwrap_or(0),
            holder: self.holder.clone(),
            co_handlers: self.co_handlers.clone(),
        }
    }

    /// The holder's view of the order.
    pub fn to_holder_message(&self) -> WorkOrder {
        self.to_message(self.order_id, &self.holder, Handover::Unspecified, false)
    }

    /// What the workflow machine needs to decide.
    pub fn snapshot(&self) -> OrderSnapshot {
        OrderSnapshot {
            state: OrderState::parse(&self.state).unwrap_or(OrderState::Queued),
            holder: self.holder.clone(),
            co_handlers: self.co_handlers.clone(),
            mode: HandlingMode::try_from(self.mode).unwrap_or(HandlingMode::Transferred),
            severity: Severity::try_from(self.severity).unwrap_or(Severity::General),
            assigned_at: self.assigned_at,
            base_working_days: count(self.base_working_days),
            extended_days: count(self.extended_days),
            pending_extension: self.pending_extension.map(count),
            reopen_count: count(self.reopen_count),
            returned_by: self.returned_by.clone(),
            previous_holder: self.previous_holder.clone(),
            suspended_at: self.suspended_at,
            return_window: chrono::Duration::seconds(self.return_window_seconds.into()),
            extension_cap: count(self.extension_cap),
        }
    }

    /// Takes over what the machine decided.
    pub fn apply(&mut self, next: &OrderSnapshot) {
        let i = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        self.state = next.state.as_str().to_owned();
        self.holder = next.holder.clone();
        self.co_handlers = next.co_handlers.clone();
        self.assigned_at = next.assigned_at;
        self.extended_days = i(next.extended_days);
        self.pending_extension = next.pending_extension.map(i);
        self.reopen_count = i(next.reopen_count);
        self.returned_by = next.returned_by.clone();
        self.previous_holder = next.previous_holder.clone();
        self.suspended_at = next.suspended_at;
        self.revision += 1;
    }
}

/// Inserts new orders with one statement.
pub async fn insert_all(tx: &mut PgConnection, orders: &[OrderRow]) -> Result<(), sqlx::Error> {
    if orders.is_empty() {
        return Ok(());
    }
    let mut c = NewOrderColumns::default();
    for o in orders {
        c.order_id.push(o.order_id);
        c.case_id.push(o.case_id);
        c.case_number.push(o.case_number.as_str());
        c.holder.push(o.holder.as_str());
        c.mode.push(o.mode);
        c.kind.push(o.kind);
        c.category.push(o.category.as_str());
        c.severity.push(o.severity);
        c.region.push(o.region.as_str());
        c.channel.push(o.channel);
        c.summary.push(o.summary.as_str());
        c.request.push(o.request.as_str());
        c.respondent.push(o.respondent.as_str());
        c.received_at.push(o.received_at);
        c.assigned_at.push(o.assigned_at);
        c.due_at.push(o.due_at);
        c.deadline_rule.push(o.deadline_rule.as_str());
        c.base_working_days.push(o.base_working_days);
        c.state.push(o.state.as_str());
        c.revision.push(o.revision);
        c.return_window_seconds.push(o.return_window_seconds);
        c.extension_cap.push(o.extension_cap);
    }
    sqlx::query(
        "INSERT INTO work_orders (order_id, case_id, case_number, holder, mode, kind, category, \
         severity, region, channel, summary, request, respondent, received_at, assigned_at, due_at, \
         deadline_rule, base_working_days, state, revision, return_window_seconds, extension_cap) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int4[], $6::int4[], \
         $7::text[], $8::int4[], $9::text[], $10::int4[], $11::text[], $12::text[], $13::text[], \
         $14::timestamptz[], $15::timestamptz[], $16::timestamptz[], $17::text[], $18::int4[], \
         $19::text[], $20::int8[], $21::int4[], $22::int4[])",
    )
    .bind(c.order_id)
    .bind(c.case_id)
    .bind(c.case_number)
    .bind(c.holder)
    .bind(c.mode)
    .bind(c.kind)
    .bind(c.category)
    .bind(c.severity)
    .bind(c.region)
    .bind(c.channel)
    .bind(c.summary)
    .bind(c.request)
    .bind(c.respondent)
    .bind(c.received_at)
    .bind(c.assigned_at)
    .bind(c.due_at)
    .bind(c.deadline_rule)
    .bind(c.base_working_days)
    .bind(c.state)
    .bind(c.revision)
    .bind(c.return_window_seconds)
    .bind(c.extension_cap)
    .execute(tx)
    .await?;
    Ok(())
}

/// New orders column by column, for `UNNEST`.
#[derive(Default)]
struct NewOrderColumns<'a> {
    order_id: Vec<Uuid>,
    case_id: Vec<Uuid>,
    case_number: Vec<&'a str>,
    holder: Vec<&'a str>,
    mode: Vec<i32>,
    kind: Vec<i32>,
    category: Vec<&'a str>,
    severity: Vec<i32>,
    region: Vec<&'a str>,
    channel: Vec<i32>,
    summary: Vec<&'a str>,
    request: Vec<&'a str>,
    respondent: Vec<&'a str>,
    received_at: Vec<Option<DateTime<Utc>>>,
    assigned_at: Vec<DateTime<Utc>>,
    due_at: Vec<DateTime<Utc>>,
    deadline_rule: Vec<&'a str>,
    base_working_days: Vec<i32>,
    state: Vec<&'a str>,
    revision: Vec<i64>,
    return_window_seconds: Vec<i32>,
    extension_cap: Vec<i32>,
}

/// Stores every field a step may change.
pub async fn update(tx: &mut PgConnection, o: &OrderRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE work_orders SET holder = $2, co_handlers = $3, state = $4, assigned_at = $5, due_at = $6, \
         deadline_rule = $7, base_working_days = $8, extended_days = $9, pending_extension = $10, \
         reopen_count = $11, returned_by = $12, previous_holder = $13, suspended_at = $14, \
         last_contact_at = $15, satisfaction = $16, revision = $17, alert_stage = $18, alert_level = $19, \
         return_window_seconds = $20, extension_cap = $21, mode = $22, \
         updated_at = now() WHERE order_id = $1",
    )
    .bind(o.order_id)
    .bind(&o.holder)
    .bind(&o.co_handlers)
    .bind(&o.state)
    .bind(o.assigned_at)
    .bind(o.due_at)
    .bind(&o.deadline_rule)
    .bind(o.base_working_days)
    .bind(o.extended_days)
    .bind(o.pending_extension)
    .bind(o.reopen_count)
    .bind(&o.returned_by)
    .bind(&o.previous_holder)
    .bind(o.suspended_at)
    .bind(o.last_contact_at)
    .bind(&o.satisfaction)
    .bind(o.revision)
    .bind(&o.alert_stage)
    .bind(o.alert_level)
    .bind(o.return_window_seconds)
    .bind(o.extension_cap)
    .bind(o.mode)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a deadline alert in the order's history; for its current
/// conclusion deadline (`due_at` unchanged), also on the order. Returns
/// false if there is no such order.
#[allow(clippy::too_many_arguments)]
pub async fn record_alert(
    tx: &mut PgConnection,
    order_id: Uuid,
    at: DateTime<Utc>,
    stage: &str,
    level: i32,
    detail: &str,
    conclusion: bool,
    due_at: Option<DateTime<Utc>>,
) -> Result<bool, sqlx::Error> {
    let row: Option<(String, String)> = sqlx::query_as(
        "UPDATE work_orders SET \
           alert_stage = CASE WHEN $2 AND due_at = $3 AND state IN ('queued', 'in_progress', 'returned') THEN $4 ELSE alert_stage END, \
           alert_level = CASE WHEN $2 AND due_at = $3 AND state IN ('queued', 'in_progress', 'returned') THEN $5 ELSE alert_level END \
         WHERE order_id = $1 RETURNING state, holder",
    )
    .bind(order_id)
    .bind(conclusion)
    .bind(due_at)
    .bind(stage)
    .bind(level)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((state, holder)) = row else {
        return Ok(false);
    };
    sqlx::query("INSERT INTO order_steps (order_id, at, step, actor, state, holder, detail) VALUES ($1, $2, $3, 'deadline-watcher', $4, $5, $6)")
        .bind(order_id)
        .bind(at)
        .bind(format!("alert_{stage}"))
        .bind(state)
        .bind(holder)
        .bind(detail)
        .execute(tx)
        .await?;
    Ok(true)
}

/// The order of a case, locked for a step.
pub async fn lock(
    tx: &mut PgConnection,
    case_number: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM work_orders WHERE case_number = $1 FOR UPDATE"
    )))
    .bind(case_number)
    .fetch_optional(tx)
    .await
}

pub async fn get(pool: &PgPool, case_number: &str) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM work_orders WHERE case_number = $1"
    )))
    .bind(case_number)
    .fetch_optional(pool)
    .await
}

/// A department's orders (as holder or co-handler), newest first; open ones
/// only unless `all`.
pub async fn for_department(
    pool: &PgPool,
    department: &str,
    all: bool,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM work_orders WHERE (holder = $1 OR co_handlers @> ARRAY[$1]::text[]) \
         AND ($2 OR state IN ('queued', 'in_progress', 'returned', 'suspended', 'under_review')) \
         ORDER BY assigned_at DESC LIMIT $3"
    )))
    .bind(department)
    .bind(all)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn record_step(
    tx: &mut PgConnection,
    o: &OrderRow,
    at: DateTime<Utc>,
    step: &str,
    actor: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO order_steps (order_id, at, step, actor, state, holder, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(o.order_id)
        .bind(at)
        .bind(step)
        .bind(actor)
        .bind(&o.state)
        .bind(&o.holder)
        .bind(detail)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn save_conclusion(
    tx: &mut PgConnection,
    order_id: Uuid,
    c: &Conclusion,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO conclusions (order_id, facts_found, staff_handling, corrective_actions, answer, handler, handler_phone, concluded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id) DO UPDATE SET \
         facts_found = $2, staff_handling = $3, corrective_actions = $4, answer = $5, handler = $6, handler_phone = $7, concluded_at = $8",
    )
    .bind(order_id)
    .bind(&c.facts_found)
    .bind(&c.staff_handling)
    .bind(&c.corrective_actions)
    .bind(&c.answer)
    .bind(&c.handler)
    .bind(&c.handler_phone)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn conclusion(pool: &PgPool, order_id: Uuid) -> Result<Option<Conclusion>, sqlx::Error> {
    let row: Option<(String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT facts_found, staff_handling, corrective_actions, answer, handler, handler_phone FROM conclusions WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(facts_found, staff_handling, corrective_actions, answer, handler, handler_phone)| {
            Conclusion {
                facts_found,
                staff_handling,
                corrective_actions,
                answer,
                handler,
                handler_phone,
            }
        },
    ))
}

pub async fn history(pool: &PgPool, order_id: Uuid) -> Result<Vec<OrderStep>, sqlx::Error> {
    let rows: Vec<(DateTime<Utc>, String, String, String, String, String)> =
        sqlx::query_as("SELECT at, step, actor, state, holder, detail FROM order_steps WHERE order_id = $1 ORDER BY id")
            .bind(order_id)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(at, step, actor, state, holder, detail)| OrderStep {
            at: Some(to_proto(at)),
            step,
            actor,
            state,
            holder,
            detail,
        })
        .collect())
}
