//! Consumes the deadline-watcher's alerts (预警, 超期, escalation): each goes
//! into the order's history, and the latest alert on the order's current
//! conclusion deadline is kept on the order, so `GetOrder` and
//! `ListOrders` show which orders are late and how far up it has gone.

use crate::orders;
use chrono::{DateTime, FixedOffset, Utc};
use complaints_proto::v1::{AlertStage, DeadlineAlert, DeadlineKind};
use complaints_proto::Label;
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::events;
use mesh_kit::time::from_proto_opt;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::deadline::STREAM,
    "dispatch-alerts",
    events::deadline::ALERTS,
);

#[derive(Clone)]
pub struct AlertHandler {
    pub offset: FixedOffset,
}

/// A deadline alert as it goes into an order's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    pub order_id: Uuid,
    pub at: DateTime<Utc>,
    pub stage: String,
    pub level: i32,
    /// The alert in one line, times in `offset`.
    pub detail: String,
    /// On the order's conclusion deadline (kept on the order).
    pub conclusion: bool,
    pub due_at: Option<DateTime<Utc>>,
}

/// Decodes and checks a delivered `DeadlineAlert` (no database).
pub fn parse(offset: FixedOffset, payload: &[u8]) -> Result<AlertRecord, HandleError> {
    let alert = DeadlineAlert::decode(payload).map_err(HandleError::undecodable)?;
    let order_id = Uuid::parse_str(&alert.order_id)
        .map_err(|_| HandleError::Reject(format!("order id {:?} is not a UUID", alert.order_id)))?;
    let at = alert
        .header
        .as_ref()
        .and_then(|h| from_proto_opt(h.at.as_ref()))
        .unwrap_or_else(Utc::now);
    let stage = AlertStage::try_from(alert.stage)
        .map(|s| s.label())
        .unwrap_or_else(|_| "alert".into());
    Ok(AlertRecord {
        order_id,
        at,
        stage,
        level: i32::try_from(alert.level).unwrap_or(i32::MAX),
        detail: complaints_proto::alert_summary(&alert, offset),
        conclusion: alert.deadline_kind == DeadlineKind::Conclusion as i32,
        due_at: from_proto_opt(alert.due_at.as_ref()),
    })
}

impl Handler for AlertHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let a = parse(self.offset, &delivery.payload)?;
        let found = orders::record_alert(
            tx,
            a.order_id,
            a.at,
            &a.stage,
            a.level,
            &a.detail,
            a.conclusion,
            a.due_at,
        )
        .await?;
        if !found {
            return Err(HandleError::Reject(format!("no work order {}", a.order_id)));
        }
        Ok(())
    }
}
