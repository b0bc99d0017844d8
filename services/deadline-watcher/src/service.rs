//! The `complaints.v1.Deadlines` gRPC service: deadlines on request, the
//! timers of a case, and the alerts as they fire.

use crate::deadlines::Deadlines;
use crate::policy::Policy;
use async_nats::jetstream::{self, consumer::pull, consumer::DeliverPolicy};
use chrono::{DateTime, Utc};
use complaints_proto::v1::deadlines_server::Deadlines as DeadlinesApi;
use complaints_proto::v1::{
    ComputeDeadlineRequest, ComputeDeadlineResponse, Deadline, DeadlineAlert, DeadlineKind,
    HandlingMode, Kind, ListDeadlinesRequest, ListDeadlinesResponse, Severity,
    ShiftDeadlineRequest, ShiftDeadlineResponse, WatchAlertsRequest,
};
use futures::StreamExt;
use mesh_kit::network::Network;
use mesh_kit::time::{from_proto_opt, to_proto};
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

fn enum_field<T: TryFrom<i32>>(value: i32, field: &str, unspecified_ok: bool) -> Result<T, Status> {
    if value == 0 && !unspecified_ok {
        return Err(Status::invalid_argument(format!("{field}: is required")));
    }
    T::try_from(value)
        .map_err(|_| Status::invalid_argument(format!("{field}: {value} is not a known value")))
}

#[tonic::async_trait]
impl DeadlinesApi for DeadlineService {
    type WatchAlertsStream = AlertStream;

    async fn compute_deadline(
        &self,
        request: Request<ComputeDeadlineRequest>,
    ) -> Result<Response<ComputeDeadlineResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        let req = request.into_inner();
        let deadline_kind: DeadlineKind = enum_field(req.deadline_kind, "deadline_kind", true)?;
        let start: DateTime<Utc> = from_proto_opt(req.start.as_ref()).ok_or_else(|| {
            Status::invalid_argument("start: is required and must be a valid timestamp")
        })?;
        let policy = &self.deadlines.policy;
        match deadline_kind {
            DeadlineKind::Conclusion | DeadlineKind::Unspecified => {}
            DeadlineKind::Acceptance => {
                let at = self.deadlines.due(&policy.acceptance, start);
                return Ok(Response::new(ComputeDeadlineResponse {
                    due_at: Some(to_proto(at)),
                    rule: format!(
                        "acceptance: {}",
                        policy.acceptance.describe().trim_start_matches("default: ")
                    ),
                    working_days: Policy::working_days(&policy.acceptance),
                    ..Default::default()
                }));
            }
            _ => return Err(Status::invalid_argument(
                "deadline_kind: only conclusion and acceptance deadlines are computed on request",
            )),
        }
        let mode: HandlingMode = enum_field(req.mode, "mode", false)?;
        let kind: Kind = enum_field::<Kind>(req.kind, "kind", true)?;
        let severity: Severity = enum_field::<Severity>(req.severity, "severity", true)?;
        let kind = if kind == Kind::Unspecified {
            Kind::Complaint
        } else {
            kind
        };
        let severity = if severity == Severity::Unspecified {
            Severity::General
        } else {
            severity
        };
        let due = self.deadlines.conclusion(kind, mode, severity, start);
        Ok(Response::new(ComputeDeadlineResponse {
            due_at: Some(to_proto(due.at)),
            rule: due.rule,
            working_days: due.working_days,
            return_window_seconds: u32::try_from(policy.return_window.num_seconds()).unwrap_or(0),
            extension_cap_working_days: policy.extension_cap_working_days,
        }))
    }

    async fn list_deadlines(
        &self,
        request: Request<ListDeadlinesRequest>,
    ) -> Result<Response<ListDeadlinesResponse>, Status> {
        let req = request.into_inner();
        let case_id = Uuid::parse_str(req.case_id.trim())
            .map_err(|_| Status::invalid_argument("case_id: must be a UUID"))?;
        let rows: Vec<TimerRow> = sqlx::query_as(
            "SELECT case_id, order_id, department, deadline_kind, due_at, rule, state, stage, level, fire_at \
             FROM timers WHERE case_id = $1 ORDER BY deadline_kind, due_at",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "listing deadlines failed");
            Status::unavailable("deadline storage is unavailable")
        })?;
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
        let req = request.into_inner();
        let due: DateTime<Utc> = from_proto_opt(req.due_at.as_ref()).ok_or_else(|| {
            Status::invalid_argument("due_at: is required and must be a valid timestamp")
        })?;
        if !(1..=30).contains(&req.working_days) {
            return Err(Status::invalid_argument("working_days: must be 1 to 30"));
        }
        let moved = self.deadlines.shift(due, req.working_days);
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
        let department = req.department.trim();
        if !department.is_empty() && self.network.department(department).is_none() {
            return Err(Status::not_found(format!(
                "no department {department:?} in the network"
            )));
        }
        let filter = if department.is_empty() {
            events::deadline::ALERTS.to_owned()
        } else {
            events::deadline::alert("*", department)
        };
        let unavailable =
            |e: String| Status::unavailable(format!("the alert stream is unavailable: {e}"));
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
