//! Follows dispatch's workflow steps into `matters`: state, holder, who
//! concluded and with what result, and whether the complainant objected,
//! so a later complaint on the same matter is judged against the truth.

use crate::matters::{self, StepNews};
use complaints_proto::v1::WorkflowStep;
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::events;
use prost::Message;
use sqlx::PgConnection;

pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::dispatch::STREAM,
    "triage-steps",
    events::dispatch::STEPS,
);

#[derive(Clone)]
pub struct StepsHandler;

impl Handler for StepsHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let step =
            WorkflowStep::decode(delivery.payload.clone()).map_err(HandleError::undecodable)?;
        let (case_id, _) = events::case_of(step.header.as_ref()).map_err(HandleError::Reject)?;
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
