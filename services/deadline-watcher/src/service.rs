//! The `complaints.v1.Deadlines` gRPC service: deadlines on request, the
//! timers of a case, and the alerts as they fire.

use crate::compute;
use crate::deadlines::Deadlines;
use crate::error::DeadlineError;
use async_nats::jetstream::{self, consumer::pull, consumer::DeliverPolicy};
use chrono::{DateTime, Utc};
use complaints_proto::v1::deadlines_server::Deadlines as DeadlinesApi;
use complaints_proto::v1::{
    ComputeDeadlineRequest, ComputeDeadlineResponse, ComputeDeadlinesRequest,
    ComputeDeadlinesResponse, Deadline, DeadlineAlert, ListDeadlinesRequest, ListDeadlinesResponse,
    ShiftDeadlineRequest, ShiftDeadlineResponse, WatchAlertsRequest,
};
use futures::StreamExt;
use mesh_kit::input::{self, FieldError};
use mesh_kit::network::Network;
use mesh_kit::time::to_proto;
use mesh_kit::{events, Subjects};
use prost::Message;
use sqlx::PgPool;
use std::pin::Pin;
use std::sync::Arc;
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct DeadlineService {
    pub pool: PgPool,
    pub deadlines: Arc<Deadlines>,
    pub network: Arc<Network>,
    pub subjects: Subjects,
    pub js: jetstream::Context,
}

#[derive(sqlx::FromRow)]
struct TimerRow {
    case_id: Uuid,
    order_id: Uuid,
    department: String,
    deadline_kind: i32,
    due_at: DateTime<Utc>,
    rule: String,
    state: String,
    stage: String,
    level: i32,
    fire_at: DateTime<Utc>,
}

type AlertStream = Pin<Box<dyn futures::Stream<Item = Result<DeadlineAlert, Status>> + Send>>;

/// Largest request the deadline-watcher's gRPC server decodes
/// (`max_decoding_message_size`); a bigger one is refused by tonic with
/// `OUT_OF_RANGE` before any handler runs. Its requests are a few enums,
/// a timestamp and a code or id: well under 200 bytes.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// Most working days a deadline moves at once (as dispatch's extensions).
pub const MAX_SHIFT_WORKING_DAYS: u32 = 30;

/// A `ShiftDeadlineRequest`'s deadline and working days.
fn parse_shift(req: &ShiftDeadlineRequest) -> Result<(DateTime<Utc>, u32), DeadlineError> {
    let due = input::required_timestamp("due_at", req.due_at.as_ref())?;
    if !(1..=MAX_SHIFT_WORKING_DAYS).contains(&req.working_days) {
        return Err(FieldError::new(
            "working_days",
            format!(
                "is {}; it must be 1 to {MAX_SHIFT_WORKING_DAYS}",
                req.working_days
            ),
        )
        .into());
    }
    Ok((due, req.working_days))
}

/// The department whose alerts are watched; `None` for all of them.
fn alert_department(network: &Network, value: &str) -> Result<Option<String>, DeadlineError> {
    match input::code("department", value)? {
        None => Ok(None),
        Some(code) if network.department(&code).is_some() => Ok(Some(code)),
        Some(code) => Err(DeadlineError::UnknownDepartment(code)),
    }
}

#[tonic::async_trait]
impl DeadlinesApi for DeadlineService {
    type WatchAlertsStream = AlertStream;

    async fn compute_deadline(
        &self,
        request: Request<ComputeDeadlineRequest>,
    ) -> Result<Response<ComputeDeadlineResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        Ok(Response::new(compute::one(
            &self.deadlines,
            request.get_ref(),
        )?))
    }

    /// One call for many deadlines (dispatch's batch of new orders): the
    /// call's trace is the caller's batch, not each case's.
    async fn compute_deadlines(
        &self,
        request: Request<ComputeDeadlinesRequest>,
    ) -> Result<Response<ComputeDeadlinesResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        Ok(Response::new(compute::many(
            &self.deadlines,
            request.get_ref(),
        )?))
    }

    async fn list_deadlines(
        &self,
        request: Request<ListDeadlinesRequest>,
    ) -> Result<Response<ListDeadlinesResponse>, Status> {
        let case_id =
            input::uuid("case_id", &request.get_ref().case_id).map_err(DeadlineError::from)?;
        let rows: Vec<TimerRow> = sqlx::query_as(
            "SELECT case_id, order_id, department, deadline_kind, due_at, rule, state, stage, level, fire_at \
             FROM timers WHERE case_id = $1 ORDER BY deadline_kind, due_at",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await
        .map_err(DeadlineError::from)?;
        Ok(Response::new(ListDeadlinesResponse {
            deadlines: rows
                .into_iter()
                .map(|t| Deadline {
                    case_id: t.case_id.to_string(),
                    order_id: t.order_id.to_string(),
                    department: t.department,
                    deadline_kind: t.deadline_kind,
                    due_at: Some(to_proto(t.due_at)),
                    rule: t.rule,
                    state: t.state,
                    stage: t.stage,
                    level: u32::try_from(t.level).unwrap_or(0),
                    fire_at: Some(to_proto(t.fire_at)),
                })
                .collect(),
        }))
    }

    async fn shift_deadline(
        &self,
        request: Request<ShiftDeadlineRequest>,
    ) -> Result<Response<ShiftDeadlineResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        let (due, working_days) = parse_shift(request.get_ref())?;
        let moved = self.deadlines.shift(due, working_days);
        Ok(Response::new(ShiftDeadlineResponse {
            due_at: Some(to_proto(moved)),
        }))
    }

    /// Reads the alert subjects with an ordered (ephemeral) consumer.
    async fn watch_alerts(
        &self,
        request: Request<WatchAlertsRequest>,
    ) -> Result<Response<AlertStream>, Status> {
        let req = request.into_inner();
        let filter = match alert_department(&self.network, &req.department)? {
            None => events::deadline::ALERTS.to_owned(),
            Some(department) => events::deadline::alert("*", &department),
        };
        let unavailable = |e: String| Status::from(DeadlineError::Stream(e));
        let stream = self
            .js
            .get_stream(self.subjects.stream(events::deadline::STREAM))
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: self.subjects.subject(&filter),
                deliver_policy: if req.from_start {
                    DeliverPolicy::All
                } else {
                    DeliverPolicy::New
                },
                ..Default::default()
            })
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let alerts = messages.map(|message| match message {
            Ok(message) => DeadlineAlert::decode(message.payload.clone())
                .map_err(|e| Status::data_loss(format!("an alert does not decode: {e}"))),
            Err(e) => Err(Status::unavailable(format!(
                "alert stream interrupted: {e}"
            ))),
        });
        Ok(Response::new(Box::pin(alerts)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::tests::{now, refused, ts};
    use tonic::Code;

    #[test]
    fn due_times_must_be_valid_and_plausible() {
        let message = refused(
            parse_shift(&ShiftDeadlineRequest {
                due_at: Some(ts(i64::MIN, 0)),
                working_days: 5,
            })
            .expect_err("bad due"),
        );
        assert!(message.starts_with("due_at: "), "{message}");
    }

    #[test]
    fn shifts_are_one_to_thirty_working_days() {
        let shift = |working_days| ShiftDeadlineRequest {
            due_at: Some(now()),
            working_days,
        };
        assert!(parse_shift(&shift(1)).is_ok());
        assert!(parse_shift(&shift(30)).is_ok());
        for days in [0, 31, u32::MAX] {
            let message = refused(parse_shift(&shift(days)).expect_err("out of range"));
            assert!(message.starts_with("working_days: "), "{message}");
        }
    }

    #[test]
    fn case_ids_and_departments_are_checked() {
        let message = refused(input::uuid("case_id", "2026-11-000001").expect_err("id"));
        assert!(message.starts_with("case_id: "), "{message}");
        let network = Network::parse(
            r#"
            [jurisdiction]
            code = "t"
            name = "t"
            utc_offset = "+08:00"
            [[departments]]
            code = "centre"
            name = "中心"
            "#,
        )
        .expect("network");
        assert_eq!(alert_department(&network, " ").expect("all"), None);
        assert_eq!(
            alert_department(&network, "centre").expect("known"),
            Some("centre".into())
        );
        let message = refused(alert_department(&network, &"Z".repeat(10_000)).expect_err("bad"));
        assert!(
            message.starts_with("department: ") && message.len() < 200,
            "{message}"
        );
        let status = Status::from(alert_department(&network, "nowhere").expect_err("unknown"));
        assert_eq!(status.code(), Code::NotFound);
    }
}
