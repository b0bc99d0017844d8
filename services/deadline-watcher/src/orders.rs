//! Consumes work orders from every department queue and registers their
//! conclusion deadline as a timer, announcing `DeadlineRegistered`.

use crate::deadlines::Deadlines;
use complaints_proto::v1::{
    DeadlineKind, DeadlineRegistered, EventHeader, HandlingMode, Kind, Severity, WorkOrder,
};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::time::{from_proto_opt, to_proto};
use mesh_kit::{events, outbox, Subjects};
use prost::Message;
use sqlx::PgConnection;
use std::sync::Arc;
use uuid::Uuid;

pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::dispatch::STREAM,
    "deadline-watcher",
    events::dispatch::ORDERS,
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

impl Handler for OrderHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let order =
            WorkOrder::decode(delivery.payload.clone()).map_err(HandleError::undecodable)?;
        let header = order
            .header
            .clone()
            .ok_or_else(|| HandleError::Reject("WorkOrder has no header".into()))?;
        let case_id = uuid("case id", &header.case_id)?;
        let order_id = uuid("order id", &order.order_id)?;
        // The order carries the deadline the department was given (dispatch
        // asked us for it); without one, compute it now from the policy.
        let (due_at, rule) = match from_proto_opt(order.due_at.as_ref()) {
            Some(due_at) => (due_at, order.deadline_rule.clone()),
            None => {
                let start =
                    from_proto_opt(order.assigned_at.as_ref()).unwrap_or_else(chrono::Utc::now);
                let due = self.deadlines.conclusion(
                    Kind::try_from(order.kind).unwrap_or(Kind::Complaint),
                    HandlingMode::try_from(order.mode).unwrap_or(HandlingMode::Transferred),
                    Severity::try_from(order.severity).unwrap_or(Severity::General),
                    start,
                );
                (due.at, due.rule)
            }
        };
        sqlx::query(
            "INSERT INTO timers (timer_id, case_id, case_number, order_id, department, deadline_kind, due_at, rule) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id, deadline_kind) DO NOTHING",
        )
        .bind(Uuid::now_v7())
        .bind(case_id)
        .bind(&header.case_number)
        .bind(order_id)
        .bind(&order.department)
        .bind(DeadlineKind::Conclusion as i32)
        .bind(due_at)
        .bind(&rule)
        .execute(&mut *tx)
        .await?;
        let event_id = Uuid::now_v7();
        let event = DeadlineRegistered {
            header: Some(EventHeader {
                event_id: event_id.to_string(),
                case_id: header.case_id,
                case_number: header.case_number,
                at: Some(to_proto(chrono::Utc::now())),
            }),
            order_id: order.order_id,
            department: order.department,
            deadline_kind: DeadlineKind::Conclusion as i32,
            due_at: Some(to_proto(due_at)),
            rule,
        };
        let subject = self.subjects.subject(events::deadline::DEADLINE_REGISTERED);
        outbox::enqueue(tx, &subject, event_id, &event).await?;
        Ok(())
    }
}
