//! The consumers that feed the rollups: every event of intake, triage,
//! dispatch and the deadline-watcher, folded ([`crate::fold`]) and applied
//! in the consumer's transaction. One durable consumer per stream
//! (JetStream 2.9 allows one filter subject per consumer).

use crate::fold::{fold, Folded};
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

impl RollupHandler {
    /// Folds one event; one that cannot be folded is rejected.
    fn fold(&self, delivery: &Delivery) -> Result<Folded, HandleError> {
        fold(&delivery.subject, &delivery.payload, self.offset)
            .map_err(|e| HandleError::Reject(e.0))
    }
}

impl Handler for RollupHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let folded = self.fold(delivery)?;
        store::apply(tx, &folded).await.map_err(HandleError::Retry)
    }

    /// Folds every event of the batch, then applies them all at once
    /// ([`store::apply_all`]): at most five statements for the batch
    /// instead of up to four per event. An event that cannot be folded
    /// fails the batch, and the runner then handles each event alone,
    /// rejecting only that one. Reporting writes no outbox rows and folding
    /// logs nothing, so the events' spans are not entered.
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        deliveries: &[&Delivery],
    ) -> Result<(), HandleError> {
        let folded = deliveries
            .iter()
            .map(|delivery| self.fold(delivery))
            .collect::<Result<Vec<_>, _>>()?;
        store::apply_all(tx, &folded)
            .await
            .map_err(HandleError::Retry)
    }
}
