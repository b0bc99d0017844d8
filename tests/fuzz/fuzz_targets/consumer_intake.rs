//! intake's consumers (the case timeline: one durable consumer each on
//! TRIAGE, DISPATCH and DEADLINE): what `TimelineHandler::handle` does with
//! a delivered payload before it touches the database. The first byte
//! picks the subject, the rest is the payload.
//!
//! intake's handler decodes inline; this target runs the same steps with
//! the same functions (prost decoding, `events::case_of`, `from_proto_opt`,
//! the labels, `alert_summary` and the local-time format of the details).
#![no_main]

use chrono::{DateTime, FixedOffset, Utc};
use complaints_proto::v1::{
    AlertStage, CaseNotAccepted, CaseRouted, DeadlineAlert, DeadlineRegistered, EventHeader,
    HandlingMode, Kind, Severity, WorkOrder, WorkflowStep,
};
use complaints_proto::{label_of, Label};
use libfuzzer_sys::fuzz_target;
use mesh_kit::events;
use mesh_kit::time::from_proto_opt;
use prost::Message;

const SUBJECTS: [&str; 7] = [
    events::triage::CASE_ROUTED,
    events::triage::CASE_NOT_ACCEPTED,
    "dispatch.v1.orders.east-heat",
    "dispatch.v1.steps.signed",
    "deadline.v1.alerts.overdue.east-heat",
    events::deadline::DEADLINE_REGISTERED,
    "deadline.v1.something_new",
];

fn case_of(header: Option<&EventHeader>) -> Option<DateTime<Utc>> {
    let (_, header) = events::case_of(header).ok()?;
    Some(from_proto_opt(header.at.as_ref()).unwrap_or_else(Utc::now))
}

fn local(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%d %H:%M %:z")
        .to_string()
}

fn timeline(subject: &str, payload: &[u8], offset: FixedOffset) -> Option<String> {
    if subject == events::triage::CASE_ROUTED {
        let e = CaseRouted::decode(payload).ok()?;
        case_of(e.header.as_ref())?;
        let _ = uuid::Uuid::parse_str(&e.linked_case_id);
        if let Some(incident) = &e.incident {
            let _ = uuid::Uuid::parse_str(&incident.lead_case_id);
        }
        Some(format!(
            "{} / {} / {} → {} ({})",
            label_of::<Kind>(e.kind),
            e.category,
            label_of::<Severity>(e.severity),
            e.department,
            label_of::<HandlingMode>(e.mode),
        ))
    } else if subject == events::triage::CASE_NOT_ACCEPTED {
        let e = CaseNotAccepted::decode(payload).ok()?;
        case_of(e.header.as_ref())?;
        let _ = uuid::Uuid::parse_str(&e.linked_case_id);
        Some(format!("not accepted ({}): {}", e.reason, e.detail))
    } else if subject.starts_with(events::dispatch::ORDERS_PREFIX) {
        let e = WorkOrder::decode(payload).ok()?;
        case_of(e.header.as_ref())?;
        let due = from_proto_opt(e.due_at.as_ref()).map(|d| local(d, offset));
        let _ = i64::try_from(e.revision.max(1));
        due
    } else if subject.starts_with(events::dispatch::STEPS_PREFIX) {
        let e = WorkflowStep::decode(payload).ok()?;
        case_of(e.header.as_ref())?;
        from_proto_opt(e.due_at.as_ref()).map(|d| local(d, offset))
    } else if subject.starts_with(events::deadline::ALERTS_PREFIX) {
        let alert = DeadlineAlert::decode(payload).ok()?;
        case_of(alert.header.as_ref())?;
        let _ = AlertStage::try_from(alert.stage).map(|s| s.label());
        Some(complaints_proto::alert_summary(&alert, offset))
    } else if subject == events::deadline::DEADLINE_REGISTERED {
        let e = DeadlineRegistered::decode(payload).ok()?;
        case_of(e.header.as_ref())?;
        from_proto_opt(e.due_at.as_ref()).map(|d| local(d, offset))
    } else {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((subject, payload)) = mesh_fuzz::choose(&SUBJECTS, data) else {
        return;
    };
    let _ = timeline(subject, payload, mesh_fuzz::offset());
    // Jurisdictions elsewhere: the west-most and east-most offsets.
    for hours in [-12, 14] {
        if let Some(offset) = FixedOffset::east_opt(hours * 3600) {
            let _ = timeline(subject, payload, offset);
        }
    }
});
