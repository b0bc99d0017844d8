//! The consumers that feed the rollups: every event of intake, triage,
//! dispatch and the deadline-watcher, folded ([`crate::fold`]) and applied
//! in the consumer's transaction. One durable consumer per stream
//! (JetStream 2.9 allows one filter subject per consumer).

use crate::fold::fold;
use crate::store;
use chrono::FixedOffset;
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::events;
use sqlx::PgConnection;

/// The durable consumer name on every stream.
pub const DURABLE: &str = "reporting";

pub const CONSUMERS: [ConsumerSpec; 4] = [
    ConsumerSpec::new(
        events::intake::STREAM,
        DURABLE,
        events::intake::CASE_REGISTERED,
    ),
    ConsumerSpec::new(events::triage::STREAM, DURABLE, events::triage::SUBJECTS),
    ConsumerSpec::new(
        events::dispatch::STREAM,
        DURABLE,
        events::dispatch::SUBJECTS,
    ),
    ConsumerSpec::new(events::deadline::STREAM, DURABLE, events::deadline::ALERTS),
];

#[derive(Clone)]
pub struct RollupHandler {
    pub offset: FixedOffset,
}

impl Handler for RollupHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let folded = fold(&delivery.subject, &delivery.payload, self.offset)
            .map_err(|e| HandleError::Reject(e.0))?;
        store::apply(tx, &folded).await?;
        Ok(())
    }
}
