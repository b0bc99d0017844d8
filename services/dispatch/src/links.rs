//! What triage's links ask of dispatch (docs/triage.md):
//! - a batch incident (批量投诉): the earlier members' orders are merged
//!   into the lead's (the `merged` step), and the lead's holder is told the
//!   incident grew (a `HANDOVER_INCIDENT` copy in its queue);
//! - a complaint not accepted because the same matter is in progress (A):
//!   the holder of the earlier case is nudged (催办, a `HANDOVER_NUDGE` copy
//!   in its queue, and a line in the order's history).

use crate::engine::Engine;
use crate::error::DispatchError;
use crate::orders;
use crate::workflow::machine::Actor;
use crate::workflow::Command;
use chrono::{SubsecRound, Utc};
use complaints_proto::v1::{CaseNotAccepted, Handover, Incident};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::{events, outbox};
use prost::Message;
use sqlx::PgConnection;

/// Writes `detail` in the history of `case_number`'s order and puts a copy
/// of the order, marked `handover`, in its holder's queue.
async fn tell_holder(
    engine: &Engine,
    tx: &mut PgConnection,
    case_number: &str,
    handover: Handover,
    step: &str,
    actor: &str,
    detail: &str,
) -> Result<String, HandleError> {
    let order = orders::lock(tx, case_number)
        .await?
        .ok_or_else(|| HandleError::Reject(format!("no work order for {case_number}: {detail}")))?;
    let now = Utc::now().trunc_subsecs(6);
    orders::record_step(tx, &order, now, step, actor, detail).await?;
    let copy = order.queued(&engine.subjects, &order.holder, handover, false);
    outbox::enqueue_many(tx, vec![copy]).await?;
    Ok(order.holder)
}

/// Merges the incident's earlier members into the lead and tells the lead's
/// holder; the joining case gets no order of its own.
pub async fn join_incident(
    engine: &Engine,
    tx: &mut PgConnection,
    case_number: &str,
    incident: &Incident,
) -> Result<(), HandleError> {
    let centre = engine.network.centre().code.clone();
    for member in &incident.merged_case_numbers {
        let merge = Command::Merge {
            lead_case_number: incident.lead_case_number.clone(),
            incident_size: incident.size,
        };
        match engine
            .apply(tx, member, Actor::Department(centre.clone()), merge)
            .await
        {
            Ok(_) => {}
            // Concluded or closed meanwhile: its complainant waits for the
            // callback; the incident goes on without merging it.
            Err(DispatchError::Rejected(why)) => {
                tracing::info!(%member, %why, "not merged into the incident");
            }
            Err(err) => return Err(err.into_handle_error("merge")),
        }
    }
    let detail = format!(
        "batch incident: {case_number} joined; {} complaints now handled by this order",
        incident.size
    );
    tell_holder(
        engine,
        tx,
        &incident.lead_case_number,
        Handover::Incident,
        "incident_joined",
        "triage",
        &detail,
    )
    .await?;
    tracing::info!(%case_number, lead = %incident.lead_case_number, size = incident.size, "joined a batch incident");
    Ok(())
}

/// Nudges the holder of the open case a repeated complaint was linked to.
pub const NUDGE_CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::triage::STREAM,
    "dispatch-nudges",
    events::triage::CASE_NOT_ACCEPTED,
);

#[derive(Clone)]
pub struct NudgeHandler {
    pub engine: Engine,
}

/// Whom a delivered `CaseNotAccepted` asks dispatch to nudge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nudge {
    /// The earlier case, whose holder is nudged.
    pub linked_case_number: String,
    /// The repeated complaint.
    pub case_number: String,
}

/// Decodes a delivered `CaseNotAccepted` (no database): a nudge for a
/// repeat of a case in progress (A) that names the earlier case, else
/// `None`.
pub fn parse_nudge(payload: &[u8]) -> Result<Option<Nudge>, HandleError> {
    let e = CaseNotAccepted::decode(payload).map_err(HandleError::undecodable)?;
    if e.reason != "A" || e.linked_case_number.is_empty() {
        return Ok(None);
    }
    Ok(Some(Nudge {
        linked_case_number: e.linked_case_number,
        case_number: e.header.map(|h| h.case_number).unwrap_or_default(),
    }))
}

impl Handler for NudgeHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let Some(nudge) = parse_nudge(&delivery.payload)? else {
            return Ok(());
        };
        let case_number = nudge.case_number;
        let detail = format!("催办: the complainant asked again ({case_number})");
        let holder = tell_holder(
            &self.engine,
            tx,
            &nudge.linked_case_number,
            Handover::Nudge,
            "nudged",
            "complainant",
            &detail,
        )
        .await?;
        tracing::info!(case_number = %nudge.linked_case_number, %holder, repeated = %case_number, "holder nudged");
        Ok(())
    }
}
