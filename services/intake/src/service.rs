//! The `complaints.v1.Intake` gRPC service: registering complaints and
//! answering status queries.

use crate::complaint::{NewComplaint, MAX_REQUEST};
use crate::error::IntakeError;
use crate::mask;
use crate::registrar::{Answer, Registrar};
use crate::store;
use chrono::Utc;
use complaints_proto::v1::intake_server::Intake;
use complaints_proto::v1::{
    Case, Complainant, GetCaseRequest, RequestReviewRequest, RequestReviewResponse,
    ReviewRequested, SubmitComplaintRequest, SubmitComplaintResponse, TimelineEntry,
};
use mesh_kit::events;
use mesh_kit::network::Network;
use mesh_kit::outbox::{self, OutboxWaker};
use mesh_kit::time::to_proto;
use mesh_kit::Subjects;
use sqlx::PgPool;
use std::sync::Arc;
use tonic::{Request, Response, Status};
use uuid::Uuid;

/// Whether `given` is the case's query code: `Ok(false)` when none was
/// given, an error when a wrong one was.
fn query_code_matches(row: &store::CaseRow, given: &str) -> Result<bool, IntakeError> {
    match given.trim() {
        "" => Ok(false),
        code if code.eq_ignore_ascii_case(&row.query_code) => Ok(true),
        _ => Err(IntakeError::WrongQueryCode(row.case_number.clone())),
    }
}

fn checked_number(number: &str) -> Result<String, IntakeError> {
    Ok(mesh_kit::input::case_number("case_number", number)?)
}

/// Query codes have 8 characters; room for a typo, not for a novel.
const MAX_QUERY_CODE: usize = 16;

fn checked_query_code(code: &str) -> Result<String, IntakeError> {
    Ok(mesh_kit::input::text(
        "query_code",
        code,
        false,
        MAX_QUERY_CODE,
    )?)
}

/// State shared by the gRPC handlers.
#[derive(Clone)]
pub struct IntakeService {
    pub pool: PgPool,
    pub network: Arc<Network>,
    pub subjects: Subjects,
    pub outbox: OutboxWaker,
    pub admission: crate::admission::Admission,
    pub registrar: Registrar,
}

impl IntakeService {
    /// Registers a complaint, in one transaction with the submissions that
    /// arrive meanwhile (registrar.rs); answers as registering it alone
    /// would. A known idempotency key returns the case it registered
    /// before (`replayed`).
    pub async fn register(&self, complaint: NewComplaint) -> Answer {
        self.registrar.register(complaint).await
    }

    /// A case with its timeline; the complainant is shown in full only to
    /// a caller holding the query code.
    #[tracing::instrument(skip_all, fields(case_number = %req.case_number))]
    pub async fn case(&self, req: GetCaseRequest) -> Result<Case, IntakeError> {
        let number = checked_number(&req.case_number)?;
        let code = checked_query_code(&req.query_code)?;
        let row = store::load_case(&self.pool, &number)
            .await?
            .ok_or_else(|| IntakeError::CaseNotFound(number.clone()))?;
        let holder = query_code_matches(&row, &code)?;
        let timeline = store::load_timeline(&self.pool, row.case_id).await?;
        let complainant = if holder {
            Complainant {
                anonymous: row.anonymous,
                name: row.name,
                phone: row.phone,
                email: row.email,
            }
        } else {
            Complainant {
                anonymous: row.anonymous,
                name: mask::mask_name(&row.name),
                phone: mask::mask_phone(&row.phone),
                email: mask::mask_email(&row.email),
            }
        };
        Ok(Case {
            case_id: row.case_id.to_string(),
            case_number: row.case_number,
            status: row.status,
            channel: row.channel,
            received_at: Some(to_proto(row.received_at)),
            matter_at: row.matter_at.map(to_proto),
            region: row.region,
            category_hint: row.category_hint,
            respondent: row.respondent,
            facts: row.facts,
            request: row.request,
            complainant: Some(complainant),
            timeline: timeline
                .into_iter()
                .map(|t| TimelineEntry {
                    at: Some(to_proto(t.at)),
                    source: t.source,
                    event: t.event,
                    detail: t.detail,
                })
                .collect(),
            category: row.category,
            kind: row.kind,
            severity: row.severity,
            department: row.department,
            mode: row.mode,
            due_at: row.due_at.map(to_proto),
            not_accepted_reason: row.not_accepted_reason,
            reply: row.reply,
        })
    }
}

impl IntakeService {
    /// The complainant asks for a re-review (复核) of a closed case: checked
    /// with the query code, put on the timeline and announced to dispatch.
    #[tracing::instrument(skip_all, fields(case_number = %req.case_number))]
    pub async fn request_review(&self, req: RequestReviewRequest) -> Result<String, IntakeError> {
        let number = checked_number(&req.case_number)?;
        let code = checked_query_code(&req.query_code)?;
        if code.is_empty() {
            return Err(IntakeError::InvalidField {
                field: "query_code",
                rule: "is required: only the complainant may ask for a review".into(),
            });
        }
        let reason = mesh_kit::input::text("reason", &req.reason, true, MAX_REQUEST)?;
        let reason = reason.as_str();
        let row = store::load_case(&self.pool, &number)
            .await?
            .ok_or_else(|| IntakeError::CaseNotFound(number.clone()))?;
        query_code_matches(&row, &code)?;
        if row.status != "closed" {
            return Err(IntakeError::NotNow(format!(
                "case {number} is {}; a review can be asked for once it is closed",
                row.status
            )));
        }
        let now = Utc::now();
        let event_id = Uuid::now_v7();
        let event = ReviewRequested {
            header: Some(events::header(event_id, row.case_id, &row.case_number, now)),
            reason: mask::redact(reason, &row.name, &row.phone, &row.email),
        };
        let mut tx = self.pool.begin().await?;
        store::append_timeline(
            &mut tx,
            row.case_id,
            now,
            "intake",
            "review_asked",
            &format!("the complainant asks for a review: {reason}"),
        )
        .await?;
        outbox::enqueue(
            &mut tx,
            &self.subjects.subject(events::intake::REVIEW_REQUESTED),
            event_id,
            &event,
        )
        .await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(row.case_number)
    }
}

#[tonic::async_trait]
impl Intake for IntakeService {
    async fn request_review(
        &self,
        request: Request<RequestReviewRequest>,
    ) -> Result<Response<RequestReviewResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        let case_number = IntakeService::request_review(self, request.into_inner()).await?;
        Ok(Response::new(RequestReviewResponse { case_number }))
    }

    async fn submit_complaint(
        &self,
        request: Request<SubmitComplaintRequest>,
    ) -> Result<Response<SubmitComplaintResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        let _slot = self.admission.admit()?;
        let complaint = NewComplaint::parse(request.into_inner(), &self.network, Utc::now())?;
        let (case, replayed) = self.register(complaint).await?;
        Ok(Response::new(SubmitComplaintResponse {
            case_number: case.case_number,
            query_code: case.query_code,
            case_id: case.case_id.to_string(),
            replayed,
        }))
    }

    async fn get_case(&self, request: Request<GetCaseRequest>) -> Result<Response<Case>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        Ok(Response::new(self.case(request.into_inner()).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    fn refused(err: IntakeError) -> Status {
        let status = Status::from(err);
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        status
    }

    #[test]
    fn case_numbers_are_checked_before_any_lookup() {
        assert_eq!(
            checked_number(" 2026-11-000001 ").expect("valid"),
            "2026-11-000001"
        );
        for bad in ["", "2026-11-1", "一二三"] {
            let status = refused(checked_number(bad).expect_err(bad));
            assert!(status.message().starts_with("case_number: "), "{status:?}");
        }
        let huge = format!("2026-11-{}", "0".repeat(100_000));
        let status = refused(checked_number(&huge).expect_err("huge"));
        assert_eq!(
            status.message(),
            "case_number: is 100008 characters long; at most 32 are allowed"
        );
    }

    #[test]
    fn query_codes_are_bounded() {
        assert_eq!(checked_query_code(" 7kx2m9qd ").expect("valid"), "7kx2m9qd");
        assert_eq!(checked_query_code("").expect("none"), "");
        let status = refused(checked_query_code(&"A".repeat(17)).expect_err("long"));
        assert!(status.message().starts_with("query_code: is 17 characters"));
        let status = refused(checked_query_code("7KX\u{0}").expect_err("control"));
        assert!(status.message().starts_with("query_code: contains"));
    }
}
