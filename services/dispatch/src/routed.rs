//! Consumes triage's `CaseRouted`: asks the deadline-watcher for the
//! conclusion deadline, creates the work order and queues it on
//! `dispatch.v1.orders.<department>` through the outbox, in one
//! transaction.

use crate::orders::{self, OrderRow};
use chrono::Utc;
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::{CaseRouted, ComputeDeadlineRequest, DeadlineKind};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::network::Network;
use mesh_kit::time::{from_proto_opt, to_proto};
use mesh_kit::{events, outbox, Subjects};
use prost::Message;
use sqlx::PgConnection;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;
use uuid::Uuid;

pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::triage::STREAM,
    "dispatch",
    events::triage::CASE_ROUTED,
);

#[derive(Clone)]
pub struct RoutedHandler {
    pub network: Arc<Network>,
    pub subjects: Subjects,
    pub deadlines: DeadlinesClient<Channel>,
}

impl Handler for RoutedHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let routed =
            CaseRouted::decode(delivery.payload.clone()).map_err(HandleError::undecodable)?;
        let header = routed
            .header
            .clone()
            .ok_or_else(|| HandleError::Reject("CaseRouted has no header".into()))?;
        let case_id = Uuid::parse_str(&header.case_id).map_err(|_| {
            HandleError::Reject(format!("case id {:?} is not a UUID", header.case_id))
        })?;
        if self.network.department(&routed.department).is_none() {
            return Err(HandleError::Reject(format!(
                "department {:?} is not in the network",
                routed.department
            )));
        }
        let assigned_at = Utc::now();
        let mut request = tonic::Request::new(ComputeDeadlineRequest {
            deadline_kind: DeadlineKind::Conclusion as i32,
            mode: routed.mode,
            kind: routed.kind,
            severity: routed.severity,
            start: Some(to_proto(assigned_at)),
        });
        request.set_timeout(Duration::from_secs(5));
        mesh_kit::telemetry::inject_grpc(request.metadata_mut());
        let due = self
            .deadlines
            .clone()
            .compute_deadline(request)
            .await
            .map_err(|status| match status.code() {
                tonic::Code::InvalidArgument => {
                    HandleError::Reject(format!("deadline refused: {}", status.message()))
                }
                _ => HandleError::Retry(anyhow::anyhow!("deadline-watcher: {}", status.message())),
            })?
            .into_inner();
        let due_at = from_proto_opt(due.due_at.as_ref()).ok_or_else(|| {
            HandleError::Retry(anyhow::anyhow!("deadline-watcher gave no due time"))
        })?;

        let order = OrderRow {
            order_id: Uuid::now_v7(),
            case_id,
            case_number: header.case_number,
            department: routed.department,
            mode: routed.mode,
            kind: routed.kind,
            category: routed.category,
            severity: routed.severity,
            region: routed.region,
            channel: routed.channel,
            summary: routed.summary,
            request: routed.request,
            respondent: routed.respondent,
            received_at: from_proto_opt(routed.received_at.as_ref()),
            assigned_at,
            due_at,
            deadline_rule: due.rule,
        };
        orders::insert(tx, &order).await?;
        let event_id = Uuid::now_v7();
        let subject = self.subjects.department_queue(&order.department);
        outbox::enqueue(tx, &subject, event_id, &order.to_message(event_id)).await?;
        tracing::info!(
            case_number = %order.case_number,
            department = %order.department,
            due_at = %order.due_at,
            "work order queued"
        );
        Ok(())
    }
}
