//! Deadlines computed on request, nothing stored: `ComputeDeadline` for
//! one, `ComputeDeadlines` for several at once (dispatch asks for a
//! batch's new orders with one call). Each request is checked field by
//! field, then answered from the policy and the calendar.

use crate::deadlines::Deadlines;
use crate::error::DeadlineError;
use crate::policy::Policy;
use chrono::{DateTime, Utc};
use complaints_proto::v1::{
    ComputeDeadlineRequest, ComputeDeadlineResponse, ComputeDeadlinesRequest,
    ComputeDeadlinesResponse, DeadlineKind, HandlingMode, Kind, Severity,
};
use mesh_kit::input::{self, FieldError};
use mesh_kit::time::to_proto;

/// Most requests one `ComputeDeadlines` call may carry. Dispatch's
/// batches are at most 64 orders. 128 requests, even with every number at
/// its widest encoding (negative values take 10 bytes), stay under the
/// server's decoding limit ([`crate::service::MAX_MESSAGE_BYTES`]), so a
/// call over the cap is refused with a message that names the cap rather
/// than by tonic's size check.
pub const MAX_BATCH: usize = 128;

/// A `ComputeDeadlineRequest` whose every field obeys its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compute {
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
    pub(crate) fn parse(req: &ComputeDeadlineRequest) -> Result<Self, FieldError> {
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
                ))
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

    /// The deadline the policy and the calendar give.
    pub(crate) fn answer(self, deadlines: &Deadlines) -> ComputeDeadlineResponse {
        let policy = &deadlines.policy;
        match self {
            Compute::Acceptance { start } => ComputeDeadlineResponse {
                due_at: Some(to_proto(deadlines.due(&policy.acceptance, start))),
                rule: format!(
                    "acceptance: {}",
                    policy.acceptance.describe().trim_start_matches("default: ")
                ),
                working_days: Policy::working_days(&policy.acceptance),
                ..Default::default()
            },
            Compute::Conclusion {
                mode,
                kind,
                severity,
                start,
            } => {
                let due = deadlines.conclusion(kind, mode, severity, start);
                ComputeDeadlineResponse {
                    due_at: Some(to_proto(due.at)),
                    rule: due.rule,
                    working_days: due.working_days,
                    return_window_seconds: u32::try_from(policy.return_window.num_seconds())
                        .unwrap_or(0),
                    extension_cap_working_days: policy.extension_cap_working_days,
                }
            }
        }
    }
}

/// `ComputeDeadline`: one deadline.
pub fn one(
    deadlines: &Deadlines,
    req: &ComputeDeadlineRequest,
) -> Result<ComputeDeadlineResponse, DeadlineError> {
    Ok(Compute::parse(req)?.answer(deadlines))
}

/// `ComputeDeadlines`: each request answered as [`one`] would, in order.
/// Every request is checked before any is computed; the first that breaks
/// a rule refuses the call, its index in the message.
pub fn many(
    deadlines: &Deadlines,
    req: &ComputeDeadlinesRequest,
) -> Result<ComputeDeadlinesResponse, DeadlineError> {
    if req.requests.len() > MAX_BATCH {
        return Err(DeadlineError::TooMany {
            count: req.requests.len(),
            max: MAX_BATCH,
        });
    }
    let checked = req
        .requests
        .iter()
        .enumerate()
        .map(|(index, r)| {
            Compute::parse(r).map_err(|source| DeadlineError::InvalidItem { index, source })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ComputeDeadlinesResponse {
        responses: checked.into_iter().map(|c| c.answer(deadlines)).collect(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::deadlines::tests::shipped;
    use prost::Message;
    use tonic::{Code, Status};

    pub(crate) fn now() -> prost_types::Timestamp {
        to_proto(Utc::now())
    }

    /// A timestamp with any seconds and nanos, valid or not.
    pub(crate) fn ts(seconds: i64, nanos: i32) -> prost_types::Timestamp {
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
    pub(crate) fn refused(err: impl Into<DeadlineError>) -> String {
        let status = Status::from(err.into());
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        status.message().to_owned()
    }

    /// One request of every kind the policy tells apart, with starts on
    /// different days (a weekend, a holiday, an ordinary day).
    fn varied() -> Vec<ComputeDeadlineRequest> {
        let modes = [
            HandlingMode::Transferred,
            HandlingMode::Assigned,
            HandlingMode::Direct,
        ];
        let kinds = [Kind::Unspecified, Kind::Complaint, Kind::Inquiry];
        let severities = [Severity::Unspecified, Severity::General, Severity::Major];
        let mut out = Vec::new();
        for (i, start) in [
            1_759_190_400_i64, // 2025-09-30 00:00 UTC: before the National Day holiday
            1_759_536_000,     // 2025-10-04: a holiday
            1_760_140_800,     // 2025-10-11: a Saturday that is a make-up working day
            1_798_761_600,     // 2027-01-01
        ]
        .into_iter()
        .enumerate()
        {
            for mode in modes {
                for kind in kinds {
                    for severity in severities {
                        out.push(ComputeDeadlineRequest {
                            deadline_kind: DeadlineKind::Conclusion as i32,
                            mode: mode as i32,
                            kind: kind as i32,
                            severity: severity as i32,
                            start: Some(ts(start + i as i64 * 3_607, 0)),
                        });
                    }
                }
            }
            out.push(ComputeDeadlineRequest {
                deadline_kind: DeadlineKind::Acceptance as i32,
                mode: 0,
                start: Some(ts(start, 0)),
                ..Default::default()
            });
        }
        out
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
    fn start_times_must_be_valid_and_plausible() {
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
    }

    #[test]
    fn a_batch_answers_each_request_as_alone_in_order() {
        let d = shipped();
        let requests = varied();
        let batch = many(
            &d,
            &ComputeDeadlinesRequest {
                requests: requests.clone(),
            },
        )
        .expect("valid batch");
        assert_eq!(batch.responses.len(), requests.len());
        for (i, (req, got)) in requests.iter().zip(&batch.responses).enumerate() {
            assert_eq!(got, &one(&d, req).expect("valid"), "request {i}: {req:?}");
        }
        // The answers differ between requests, so an answer out of order
        // would have been seen above.
        let distinct: std::collections::BTreeSet<_> = batch
            .responses
            .iter()
            .map(|r| (r.due_at.map(|t| t.seconds), r.rule.clone()))
            .collect();
        assert!(distinct.len() > 10, "{distinct:?}");
    }

    #[test]
    fn an_empty_batch_has_no_answers() {
        let answer = many(&shipped(), &ComputeDeadlinesRequest::default()).expect("empty");
        assert!(answer.responses.is_empty());
    }

    #[test]
    fn an_invalid_request_refuses_the_batch_naming_its_index() {
        let d = shipped();
        for (at, bad, want) in [
            (
                0,
                ComputeDeadlineRequest {
                    mode: 0,
                    ..compute()
                },
                "requests[0].mode: is required",
            ),
            (
                3,
                ComputeDeadlineRequest {
                    start: None,
                    ..compute()
                },
                "requests[3].start: ",
            ),
            (
                9,
                ComputeDeadlineRequest {
                    severity: 99,
                    ..compute()
                },
                "requests[9].severity: 99 is not a known value",
            ),
        ] {
            let mut requests = vec![compute(); 10];
            requests[at] = bad;
            let message =
                refused(many(&d, &ComputeDeadlinesRequest { requests }).expect_err("invalid item"));
            assert!(message.starts_with(want), "{message}");
        }
        // Two bad requests: the first is named.
        let mut requests = vec![compute(); 5];
        requests[4].kind = 42;
        requests[2].mode = 0;
        let message =
            refused(many(&d, &ComputeDeadlinesRequest { requests }).expect_err("invalid"));
        assert!(message.starts_with("requests[2].mode: "), "{message}");
    }

    #[test]
    fn batches_are_capped_and_the_cap_fits_the_decoding_limit() {
        let d = shipped();
        let full = ComputeDeadlinesRequest {
            requests: vec![compute(); MAX_BATCH],
        };
        assert_eq!(
            many(&d, &full).expect("at the cap").responses.len(),
            MAX_BATCH
        );
        // The largest request of the cap passes the server's size check.
        let widest = ComputeDeadlineRequest {
            deadline_kind: i32::MIN,
            mode: i32::MIN,
            kind: i32::MIN,
            severity: i32::MIN,
            start: Some(ts(i64::MIN, i32::MIN)),
        };
        let largest = ComputeDeadlinesRequest {
            requests: vec![widest; MAX_BATCH],
        };
        assert!(
            largest.encoded_len() < crate::service::MAX_MESSAGE_BYTES,
            "{} bytes",
            largest.encoded_len()
        );

        let over = ComputeDeadlinesRequest {
            requests: vec![compute(); MAX_BATCH + 1],
        };
        let message = refused(many(&d, &over).expect_err("over the cap"));
        assert_eq!(message, "requests: 129 requests; at most 128 at once");
    }
}
