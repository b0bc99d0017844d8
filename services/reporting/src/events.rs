//! Consumers that feed the rollups: intake's registrations (total,
//! channel), triage's decisions (category, kind, region, severity) and
//! dispatch's work orders (department). One handler, one durable consumer
//! per stream (JetStream 2.9 allows one filter subject per consumer).

use crate::counts::{bump, local_day};
use chrono::{FixedOffset, Utc};
use complaints_proto::label_of;
use complaints_proto::v1::{
    AlertStage, CaseRegistered, CaseRouted, Channel, DeadlineAlert, DeadlineKind, Handover, Kind,
    Severity, WorkOrder,
};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::events;
use mesh_kit::time::from_proto_opt;
use prost::Message;
use sqlx::PgConnection;

pub const CONSUMERS: [ConsumerSpec; 4] = [
    ConsumerSpec::new(
        events::intake::STREAM,
        "reporting",
        events::intake::CASE_REGISTERED,
    ),
    ConsumerSpec::new(
        events::triage::STREAM,
        "reporting",
        events::triage::CASE_ROUTED,
    ),
    ConsumerSpec::new(
        events::dispatch::STREAM,
        "reporting",
        events::dispatch::ORDERS,
    ),
    ConsumerSpec::new(
        events::deadline::STREAM,
        "reporting",
        events::deadline::ALERTS,
    ),
];

#[derive(Clone)]
pub struct CountHandler {
    pub offset: FixedOffset,
}

impl Handler for CountHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let subject = delivery.subject.as_str();
        // Every count is filed under the day the case was received.
        let day_of = |ts: Option<&prost_types::Timestamp>| {
            local_day(from_proto_opt(ts).unwrap_or_else(Utc::now), self.offset)
        };
        if subject == events::intake::CASE_REGISTERED {
            let e = CaseRegistered::decode(delivery.payload.clone())
                .map_err(HandleError::undecodable)?;
            let day = day_of(e.received_at.as_ref());
            let channel = label_of::<Channel>(e.channel);
            bump(tx, day, "total", "all").await?;
            bump(tx, day, "channel", &channel).await?;
        } else if subject == events::triage::CASE_ROUTED {
            let e =
                CaseRouted::decode(delivery.payload.clone()).map_err(HandleError::undecodable)?;
            let day = day_of(e.received_at.as_ref());
            let kind = label_of::<Kind>(e.kind);
            let severity = label_of::<Severity>(e.severity);
            bump(tx, day, "category", &e.category).await?;
            bump(tx, day, "kind", &kind).await?;
            bump(tx, day, "region", &e.region).await?;
            bump(tx, day, "severity", &severity).await?;
        } else if subject.starts_with(events::dispatch::ORDERS_PREFIX) {
            let e =
                WorkOrder::decode(delivery.payload.clone()).map_err(HandleError::undecodable)?;
            // A case counts for the department it was first dispatched to;
            // hand-overs and co-handlers' copies are not new cases.
            let first = matches!(
                Handover::try_from(e.handover),
                Ok(Handover::New | Handover::Unspecified)
            );
            if e.co_handler || !first {
                return Ok(());
            }

            bump(
                tx,
                day_of(e.received_at.as_ref()),
                "department",
                &e.department,
            )
            .await?;
        } else if subject.starts_with(events::deadline::ALERTS_PREFIX) {
            // Late conclusions count against the handling department
            // (考核); escalations for the tier they reached.
            let e = DeadlineAlert::decode(delivery.payload.clone())
                .map_err(HandleError::undecodable)?;
            if e.deadline_kind == DeadlineKind::Conclusion as i32 {
                let day = day_of(e.received_at.as_ref());
                match AlertStage::try_from(e.stage) {
                    Ok(AlertStage::Overdue) => bump(tx, day, "overdue", &e.department).await?,
                    Ok(AlertStage::Escalated) => bump(tx, day, "escalated", &e.notified).await?,
                    _ => {}
                }
            }
        }
        Ok(())
    }
}
