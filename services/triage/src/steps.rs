//! Follows dispatch's workflow steps into `matters`: state, holder, who
//! concluded and with what result, and whether the complainant objected,
//! so a later complaint on the same matter is judged against the truth.

use crate::matters::{self, StepNews};
use complaints_proto::v1::WorkflowStep;
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::events;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::dispatch::STREAM,
    "triage-steps",
    events::dispatch::STEPS,
);

#[derive(Clone)]
pub struct StepsHandler;

/// Decodes a delivered `WorkflowStep` (no database): the case it is about,
/// and the step.
pub fn parse(payload: &[u8]) -> Result<(Uuid, WorkflowStep), HandleError> {
    let step = WorkflowStep::decode(payload).map_err(HandleError::undecodable)?;
    let (case_id, _) = events::case_of(step.header.as_ref()).map_err(HandleError::Reject)?;
    Ok((case_id, step))
}

impl Handler for StepsHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let (case_id, step) = parse(&delivery.payload)?;
        // A case routed before triage followed matters has no row: nothing
        // to update, and nothing lost.
        matters::follow(
            tx,
            &StepNews {
                case_id,
                revision: i64::try_from(step.revision).unwrap_or(i64::MAX),
                step: &step.step,
                state: &step.state,
                holder: &step.holder,
                from_holder: &step.from_holder,
                detail: &step.detail,
                satisfaction: &step.satisfaction,
            },
        )
        .await?;
        Ok(())
    }
}
