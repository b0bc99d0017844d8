//! Consumes intake's `ReviewRequested` (复核): the complainant, checked by
//! intake with the case number and query code, asks the centre to review a
//! closed case. The step goes through the same workflow as every other.

use crate::engine::Engine;
use crate::workflow::machine::Actor;
use crate::workflow::Command;
use complaints_proto::v1::ReviewRequested;
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::events;
use prost::Message;
use sqlx::PgConnection;

pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::intake::STREAM,
    "dispatch-reviews",
    events::intake::REVIEW_REQUESTED,
);

#[derive(Clone)]
pub struct ReviewHandler {
    pub engine: Engine,
}

/// Decodes a delivered `ReviewRequested` (no database): the case number
/// and the workflow command it asks for.
pub fn parse(payload: &[u8]) -> Result<(String, Command), HandleError> {
    let review = ReviewRequested::decode(payload).map_err(HandleError::undecodable)?;
    let case_number = review.header.map(|h| h.case_number).unwrap_or_default();
    let command = Command::RequestReview {
        reason: review.reason,
    };
    Ok((case_number, command))
}

impl Handler for ReviewHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let (case_number, command) = parse(&delivery.payload)?;
        // A refusal (the order cannot take a review now) is parked for an
        // operator.
        self.engine
            .apply(tx, &case_number, Actor::Complainant, command)
            .await
            .map(|_| ())
            .map_err(|err| err.into_handle_error(&format!("review of {case_number} refused")))
    }
}
