//! Work orders: rows of the `work_orders` table and their queue message.

use chrono::{DateTime, Utc};
use complaints_proto::v1::{EventHeader, WorkOrder};
use mesh_kit::time::to_proto;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A work order as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub order_id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub department: String,
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
}

impl OrderRow {
    /// The queue message for this order, under event id `event_id`.
    pub fn to_message(&self, event_id: Uuid) -> WorkOrder {
        WorkOrder {
            header: Some(EventHeader {
                event_id: event_id.to_string(),
                case_id: self.case_id.to_string(),
                case_number: self.case_number.clone(),
                at: Some(to_proto(self.assigned_at)),
            }),
            order_id: self.order_id.to_string(),
            department: self.department.clone(),
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
        }
    }
}

pub async fn insert(tx: &mut PgConnection, o: &OrderRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO work_orders (order_id, case_id, case_number, department, mode, kind, category, \
         severity, region, channel, summary, request, respondent, received_at, assigned_at, due_at, deadline_rule) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(o.order_id)
    .bind(o.case_id)
    .bind(&o.case_number)
    .bind(&o.department)
    .bind(o.mode)
    .bind(o.kind)
    .bind(&o.category)
    .bind(o.severity)
    .bind(&o.region)
    .bind(o.channel)
    .bind(&o.summary)
    .bind(&o.request)
    .bind(&o.respondent)
    .bind(o.received_at)
    .bind(o.assigned_at)
    .bind(o.due_at)
    .bind(&o.deadline_rule)
    .execute(tx)
    .await?;
    Ok(())
}

/// A department's open orders, newest first.
pub async fn open_for(
    pool: &PgPool,
    department: &str,
    limit: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, case_id, case_number, department, mode, kind, category, severity, region, \
         channel, summary, request, respondent, received_at, assigned_at, due_at, deadline_rule \
         FROM work_orders WHERE department = $1 AND state = 'open' ORDER BY assigned_at DESC LIMIT $2",
    )
    .bind(department)
    .bind(limit)
    .fetch_all(pool)
    .await
}
