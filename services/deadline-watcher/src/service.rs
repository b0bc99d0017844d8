//! The `complaints.v1.Deadlines` gRPC service: deadlines on request, the
//! timers of a case, and the alerts as they fire.

use crate::deadlines::Deadlines;
use crate::error::DeadlineError;
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

/// A `ComputeDeadlineRequest` whose every field obeys its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compute {
    Acceptance {
        start: DateTime<Utc>,
    },
    Conclusion {
        mode: HandlingMode,
        kind: Kind,
        severity: Severity,
        start: DateTime<Utc>,
    },
}

impl Compute {
    /// Unknown enum values are refused; an unspecified deadline kind is the
    /// conclusion, an unspecified kind a complaint, an unspecified severity
    /// general. The handling mode is required.
    fn parse(req: &ComputeDeadlineRequest) -> Result<Self, DeadlineError> {
        let deadline_kind: DeadlineKind =
            input::enum_value("deadline_kind", req.deadline_kind, false)?;
        let start = input::required_timestamp("start", req.start.as_ref())?;
        match deadline_kind {
            DeadlineKind::Conclusion | DeadlineKind::Unspecified => {}
            DeadlineKind::Acceptance => return Ok(Compute::Acceptance { start }),
            _ => {
                return Err(FieldError::new(
                    "deadline_kind",
                    "only conclusion and acceptance deadlines are computed on request",
                )
                .into())
            }
        }
        let mode: HandlingMode = input::enum_value("mode", req.mode, true)?;
        let kind = match input::enum_value("kind", req.kind, false)? {
            Kind::Unspecified => Kind::Complaint,
            kind => kind,
        };
        let severity = match input::enum_value("severity", req.severity, false)? {
            Severity::Unspecified => Severity::General,
            severity => severity,
        };
        Ok(Compute::Conclusion {
            mode,
            kind,
            severity,
            start,
        })
    }
}

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
        let policy = &self.deadlines.policy;
        let (mode, kind, severity, start) = match Compute::parse(request.get_ref())? {
            Compute::Acceptance { start } => {
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
            Compute::Conclusion {
                mode,
                kind,
                severity,
                start,
            } => (mode, kind, severity, start),
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
    use tonic::Code;

    fn now() -> prost_types::Timestamp {
        to_proto(Utc::now())
    }

    /// A timestamp with any seconds and nanos, valid or not.
    fn ts(seconds: i64, nanos: i32) -> prost_types::Timestamp {
        let mut at = now();
        (at.seconds, at.nanos) = (seconds, nanos);
        at
    }

    fn compute() -> ComputeDeadlineRequest {
        ComputeDeadlineRequest {
            deadline_kind: DeadlineKind::Conclusion as i32,
            mode: HandlingMode::Transferred as i32,
            kind: 0,
            severity: 0,
            start: Some(now()),
        }
    }

    /// The message of a refusal, which must be INVALID_ARGUMENT.
    fn refused(err: DeadlineError) -> String {
        let status = Status::from(err);
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        status.message().to_owned()
    }

    #[test]
    fn unspecified_kind_and_severity_default_but_unknown_values_are_refused() {
        match Compute::parse(&compute()).expect("valid") {
            Compute::Conclusion { kind, severity, .. } => {
                assert_eq!((kind, severity), (Kind::Complaint, Severity::General))
            }
            other => panic!("{other:?}"),
        }
        for (req, field) in [
            (
                ComputeDeadlineRequest {
                    deadline_kind: 77,
                    ..compute()
                },
                "deadline_kind: 77 is not a known value",
            ),
            (
                ComputeDeadlineRequest {
                    mode: 0,
                    ..compute()
                },
                "mode: is required",
            ),
            (
                ComputeDeadlineRequest {
                    mode: 9,
                    ..compute()
                },
                "mode: 9 is not a known value",
            ),
            (
                ComputeDeadlineRequest {
                    kind: 42,
                    ..compute()
                },
                "kind: 42 is not a known value",
            ),
            (
                ComputeDeadlineRequest {
                    severity: -3,
                    ..compute()
                },
                "severity: -3 is not a known value",
            ),
            (
                ComputeDeadlineRequest {
                    deadline_kind: DeadlineKind::Callback as i32,
                    ..compute()
                },
                "deadline_kind: only conclusion and acceptance",
            ),
        ] {
            let message = refused(Compute::parse(&req).expect_err(field));
            assert!(message.starts_with(field), "{message}");
        }
    }

    #[test]
    fn start_and_due_times_must_be_valid_and_plausible() {
        for start in [
            None,
            Some(ts(i64::MAX, 0)),
            Some(ts(0, 0)),
            Some(ts(1_800_000_000, -5)),
        ] {
            let message = refused(
                Compute::parse(&ComputeDeadlineRequest { start, ..compute() })
                    .expect_err("bad start"),
            );
            assert!(message.starts_with("start: "), "{message}");
        }
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
        let message = refused(
            input::uuid("case_id", "2026-11-000001")
                .expect_err("id")
                .into(),
        );
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
