//! What the rest of the mesh reports about a case, written to its timeline
//! and status: triage's routing decision, dispatch's work order and every
//! workflow step, the deadline-watcher's deadlines. One handler, one
//! durable consumer per upstream stream (JetStream 2.9 allows one filter
//! subject per consumer).

use crate::store;
use chrono::{DateTime, FixedOffset, Utc};
use complaints_proto::v1::{
    AlertStage, CaseNotAccepted, CaseRouted, DeadlineAlert, DeadlineRegistered, EventHeader,
    HandlingMode, Handover, Kind, Severity, WorkOrder, WorkflowStep,
};
use complaints_proto::{label_of, Label};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::events;
use mesh_kit::time::from_proto_opt;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

/// The consumers that feed the timeline.
pub const CONSUMERS: [ConsumerSpec; 3] = [
    ConsumerSpec::new(
        events::triage::STREAM,
        "intake-timeline",
        events::triage::SUBJECTS,
    ),
    ConsumerSpec::new(
        events::dispatch::STREAM,
        "intake-timeline",
        events::dispatch::SUBJECTS,
    ),
    ConsumerSpec::new(
        events::deadline::STREAM,
        "intake-timeline",
        events::deadline::SUBJECTS,
    ),
];

/// Writes upstream events to the case timeline.
#[derive(Clone)]
pub struct TimelineHandler {
    /// Local time of the jurisdiction, for readable details.
    pub offset: FixedOffset,
}

fn case_of(header: Option<&EventHeader>) -> Result<(Uuid, DateTime<Utc>), HandleError> {
    let (case_id, header) = events::case_of(header).map_err(HandleError::Reject)?;
    let at = from_proto_opt(header.at.as_ref()).unwrap_or_else(Utc::now);
    Ok((case_id, at))
}

fn revision(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// The earlier case an event links to, if it names one.
fn linked(case_id: &str) -> Option<Uuid> {
    Uuid::parse_str(case_id).ok()
}

fn missing(case_id: Uuid) -> HandleError {
    HandleError::Reject(format!("no case {case_id} in intake"))
}

impl TimelineHandler {
    fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.offset)
            .format("%Y-%m-%d %H:%M %:z")
            .to_string()
    }

    async fn routed(&self, tx: &mut PgConnection, e: CaseRouted) -> Result<(), HandleError> {
        let (case_id, at) = case_of(e.header.as_ref())?;
        if !store::record_routing(
            tx,
            case_id,
            e.kind,
            &e.category,
            e.severity,
            &e.department,
            e.mode,
        )
        .await?
        {
            return Err(missing(case_id));
        }
        let detail = format!(
            "{} / {} / {} → {} ({})",
            label_of::<Kind>(e.kind),
            e.category,
            label_of::<Severity>(e.severity),
            e.department,
            label_of::<HandlingMode>(e.mode),
        );
        store::append_timeline(tx, case_id, at, "triage", "routed", &detail).await?;
        let number = e.header.as_ref().map_or("", |h| h.case_number.as_str());
        if let Some(earlier) = linked(&e.linked_case_id) {
            store::append_timeline(
                tx,
                case_id,
                at,
                "triage",
                "second_complaint",
                &format!("second complaint (二次投诉) of {}", e.linked_case_number),
            )
            .await?;
            let detail = format!(
                "the complainant was dissatisfied and complained again: {number}, handled by {}",
                e.department
            );
            store::append_timeline(tx, earlier, at, "triage", "second_complaint", &detail).await?;
        }
        if let Some(incident) = &e.incident {
            let detail = format!(
                "joined the batch incident (批量投诉) led by {}: {} complaints, handled by its work order",
                incident.lead_case_number, incident.size
            );
            store::append_timeline(tx, case_id, at, "triage", "incident", &detail).await?;
            if let Some(lead) = linked(&incident.lead_case_id) {
                let detail = format!(
                    "{number} joined the batch incident this case leads: {} complaints",
                    incident.size
                );
                store::append_timeline(tx, lead, at, "triage", "incident", &detail).await?;
            }
        }
        Ok(())
    }

    async fn order(&self, tx: &mut PgConnection, e: WorkOrder) -> Result<(), HandleError> {
        // A co-handler's copy and later hand-overs are on the timeline as
        // the workflow step that caused them.
        let first = matches!(
            Handover::try_from(e.handover),
            Ok(Handover::New | Handover::Unspecified)
        );
        if e.co_handler || !first {
            return Ok(());
        }
        let (case_id, at) = case_of(e.header.as_ref())?;
        let due_at = from_proto_opt(e.due_at.as_ref());
        if !store::record_order(
            tx,
            case_id,
            "queued",
            &e.department,
            due_at,
            revision(e.revision.max(1)),
        )
        .await?
        {
            return Err(missing(case_id));
        }
        let due = due_at
            .map(|d| self.local(d))
            .unwrap_or_else(|| "not set".into());
        let detail = format!(
            "work order {} queued for {}; due {due} ({})",
            e.order_id, e.department, e.deadline_rule
        );
        store::append_timeline(tx, case_id, at, "dispatch", "dispatched", &detail).await?;
        Ok(())
    }

    async fn step(&self, tx: &mut PgConnection, e: WorkflowStep) -> Result<(), HandleError> {
        let (case_id, at) = case_of(e.header.as_ref())?;
        let due_at = from_proto_opt(e.due_at.as_ref());
        if !store::record_order(
            tx,
            case_id,
            &e.state,
            &e.holder,
            due_at,
            revision(e.revision),
        )
        .await?
        {
            return Err(missing(case_id));
        }
        store::append_timeline(tx, case_id, at, "dispatch", &e.step, &e.detail).await?;
        Ok(())
    }

    async fn deadline(
        &self,
        tx: &mut PgConnection,
        e: DeadlineRegistered,
    ) -> Result<(), HandleError> {
        let (case_id, at) = case_of(e.header.as_ref())?;
        let due = from_proto_opt(e.due_at.as_ref())
            .map(|d| self.local(d))
            .unwrap_or_default();
        let detail = format!(
            "deadline for work order {} at {}: {due} ({})",
            e.order_id, e.department, e.rule
        );
        store::append_timeline(tx, case_id, at, "deadline-watcher", "deadline", &detail).await?;
        Ok(())
    }
}

impl Handler for TimelineHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let subject = delivery.subject.as_str();
        let payload = delivery.payload.clone();
        if subject == events::triage::CASE_ROUTED {
            self.routed(
                tx,
                CaseRouted::decode(payload).map_err(HandleError::undecodable)?,
            )
            .await
        } else if subject == events::triage::CASE_NOT_ACCEPTED {
            let e = CaseNotAccepted::decode(payload).map_err(HandleError::undecodable)?;
            let (case_id, at) = case_of(e.header.as_ref())?;
            if !store::record_not_accepted(tx, case_id, &e.reason, &e.reply).await? {
                return Err(missing(case_id));
            }
            let detail = format!("not accepted ({}): {}", e.reason, e.detail);
            store::append_timeline(tx, case_id, at, "triage", "not_accepted", &detail).await?;
            if let Some(earlier) = linked(&e.linked_case_id) {
                let number = e.header.as_ref().map_or("", |h| h.case_number.as_str());
                let detail = format!(
                    "the complainant asked again ({number}, not accepted {})",
                    e.reason
                );
                store::append_timeline(tx, earlier, at, "triage", "asked_again", &detail).await?;
            }
            Ok(())
        } else if subject.starts_with(events::dispatch::ORDERS_PREFIX) {
            self.order(
                tx,
                WorkOrder::decode(payload).map_err(HandleError::undecodable)?,
            )
            .await
        } else if subject.starts_with(events::dispatch::STEPS_PREFIX) {
            self.step(
                tx,
                WorkflowStep::decode(payload).map_err(HandleError::undecodable)?,
            )
            .await
        } else if subject.starts_with(events::deadline::ALERTS_PREFIX) {
            let alert = DeadlineAlert::decode(payload).map_err(HandleError::undecodable)?;
            let (case_id, at) = case_of(alert.header.as_ref())?;
            let event = AlertStage::try_from(alert.stage)
                .map(|s| s.label())
                .unwrap_or_else(|_| "alert".into());
            let detail = complaints_proto::alert_summary(&alert, self.offset);
            store::append_timeline(tx, case_id, at, "deadline-watcher", &event, &detail).await?;
            Ok(())
        } else if subject == events::deadline::DEADLINE_REGISTERED {
            self.deadline(
                tx,
                DeadlineRegistered::decode(payload).map_err(HandleError::undecodable)?,
            )
            .await
        } else {
            // Events intake does not show (yet) are skipped, not rejected.
            tracing::debug!(subject, "event not shown on the timeline");
            Ok(())
        }
    }
}
