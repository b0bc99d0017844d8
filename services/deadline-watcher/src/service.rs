//! The `complaints.v1.Deadlines` gRPC service.

use crate::deadlines::Deadlines;
use chrono::{DateTime, Utc};
use complaints_proto::v1::deadlines_server::Deadlines as DeadlinesApi;
use complaints_proto::v1::{
    ComputeDeadlineRequest, ComputeDeadlineResponse, Deadline, DeadlineKind, HandlingMode, Kind,
    ListDeadlinesRequest, ListDeadlinesResponse, Severity, ShiftDeadlineRequest,
    ShiftDeadlineResponse,
};
use mesh_kit::time::{from_proto_opt, to_proto};
use sqlx::PgPool;
use std::sync::Arc;
use tonic::{Request, Response, Status};
use uuid::Uuid;

#[derive(Clone)]
pub struct DeadlineService {
    pub pool: PgPool,
    pub deadlines: Arc<Deadlines>,
}

fn enum_field<T: TryFrom<i32>>(value: i32, field: &str, unspecified_ok: bool) -> Result<T, Status> {
    if value == 0 && !unspecified_ok {
        return Err(Status::invalid_argument(format!("{field}: is required")));
    }
    T::try_from(value)
        .map_err(|_| Status::invalid_argument(format!("{field}: {value} is not a known value")))
}

#[tonic::async_trait]
impl DeadlinesApi for DeadlineService {
    async fn compute_deadline(
        &self,
        request: Request<ComputeDeadlineRequest>,
    ) -> Result<Response<ComputeDeadlineResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        let req = request.into_inner();
        let deadline_kind: DeadlineKind = enum_field(req.deadline_kind, "deadline_kind", true)?;
        if !matches!(
            deadline_kind,
            DeadlineKind::Conclusion | DeadlineKind::Unspecified
        ) {
            return Err(Status::invalid_argument(
                "deadline_kind: only DEADLINE_KIND_CONCLUSION is computed",
            ));
        }
        let mode: HandlingMode = enum_field(req.mode, "mode", false)?;
        let kind: Kind = enum_field::<Kind>(req.kind, "kind", true)?;
        let severity: Severity = enum_field::<Severity>(req.severity, "severity", true)?;
        let start: DateTime<Utc> = from_proto_opt(req.start.as_ref()).ok_or_else(|| {
            Status::invalid_argument("start: is required and must be a valid timestamp")
        })?;
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

    async fn list_deadlines(
        &self,
        request: Request<ListDeadlinesRequest>,
    ) -> Result<Response<ListDeadlinesResponse>, Status> {
        let req = request.into_inner();
        let case_id = Uuid::parse_str(req.case_id.trim())
            .map_err(|_| Status::invalid_argument("case_id: must be a UUID"))?;
        let rows: Vec<(Uuid, Uuid, String, i32, DateTime<Utc>, String, String)> = sqlx::query_as(
            "SELECT case_id, order_id, department, deadline_kind, due_at, rule, state FROM timers \
             WHERE case_id = $1 ORDER BY due_at",
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
                .map(
                    |(case_id, order_id, department, deadline_kind, due_at, rule, state)| {
                        Deadline {
                            case_id: case_id.to_string(),
                            order_id: order_id.to_string(),
                            department,
                            deadline_kind,
                            due_at: Some(to_proto(due_at)),
                            rule,
                            state,
                        }
                    },
                )
                .collect(),
        }))
    }
}
