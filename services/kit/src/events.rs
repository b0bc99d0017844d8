//! Names of the mesh's streams and event subjects (without prefix), in one
//! place. Each stream is owned by the service that produces into it.

use chrono::{DateTime, Utc};
use complaints_proto::v1::EventHeader;
use uuid::Uuid;

/// intake's stream and its events.
pub mod intake {
    pub const STREAM: &str = "INTAKE";
    pub const SUBJECTS: &str = "intake.v1.>";
    /// `CaseRegistered`.
    pub const CASE_REGISTERED: &str = "intake.v1.case_registered";
    /// `ReviewRequested`.
    pub const REVIEW_REQUESTED: &str = "intake.v1.review_requested";
}

/// triage's stream and its events.
pub mod triage {
    pub const STREAM: &str = "TRIAGE";
    pub const SUBJECTS: &str = "triage.v1.>";
    /// `CaseRouted`.
    pub const CASE_ROUTED: &str = "triage.v1.case_routed";
    /// `CaseNotAccepted`.
    pub const CASE_NOT_ACCEPTED: &str = "triage.v1.case_not_accepted";
}

/// dispatch's stream: department queues and work-order events.
pub mod dispatch {
    pub const STREAM: &str = "DISPATCH";
    pub const SUBJECTS: &str = "dispatch.v1.>";
    /// `WorkOrder`s, one subject per department: `dispatch.v1.orders.<code>`.
    pub const ORDERS_PREFIX: &str = "dispatch.v1.orders.";
    /// `WorkflowStep`s: `dispatch.v1.steps.<step>`.
    pub const STEPS_PREFIX: &str = "dispatch.v1.steps.";
    /// Every `WorkflowStep`.
    pub const STEPS: &str = "dispatch.v1.steps.>";

    /// The subject of a department's queue.
    pub fn orders(department: &str) -> String {
        format!("{ORDERS_PREFIX}{department}")
    }

    /// The subject of a workflow step's event (`concluded`, `returned`…).
    pub fn step(event: &str) -> String {
        format!("{STEPS_PREFIX}{event}")
    }
}

/// deadline-watcher's stream and its events.
pub mod deadline {
    pub const STREAM: &str = "DEADLINE";
    pub const SUBJECTS: &str = "deadline.v1.>";
    /// `DeadlineRegistered`.
    pub const DEADLINE_REGISTERED: &str = "deadline.v1.deadline_registered";
    /// `DeadlineAlert`s: `deadline.v1.alerts.<stage>.<notified department>`.
    pub const ALERTS: &str = "deadline.v1.alerts.>";
    pub const ALERTS_PREFIX: &str = "deadline.v1.alerts.";

    /// The subject of an alert at `stage` for the `notified` department;
    /// `"*"` for either makes a filter.
    pub fn alert(stage: &str, notified: &str) -> String {
        format!("{ALERTS_PREFIX}{stage}.{notified}")
    }
}

/// Dead letters of every service: `deadletter.v1.<service>`.
///
/// A dead letter is a copy of the event's payload with headers that say
/// why, from where and for whom; `complaintctl dead-letters` lists, shows,
/// replays and drops them (docs/operations.md, "Dead letters").
pub mod dead_letter {
    pub const STREAM: &str = "DEADLETTER";
    pub const SUBJECTS: &str = "deadletter.v1.>";
    const PREFIX: &str = "deadletter.v1.";

    /// Why the consumer gave the event up.
    pub const REASON_HEADER: &str = "Mesh-Dead-Reason";
    /// The event's full subject (prefix included): where a replay goes.
    pub const ORIGINAL_SUBJECT_HEADER: &str = "Mesh-Original-Subject";
    /// The durable consumer that gave it up: the one a replay is for.
    pub const CONSUMER_HEADER: &str = "Mesh-Consumer";

    /// Where a service parks the events it could not handle.
    pub fn of(service: &str) -> String {
        format!("{PREFIX}{service}")
    }

    /// The service of a dead-letter subject (without prefix), e.g.
    /// `triage` for `deadletter.v1.triage`.
    pub fn service_of(subject: &str) -> Option<&str> {
        subject.strip_prefix(PREFIX).filter(|s| !s.is_empty())
    }
}

/// A dead letter put back on its original subject (`complaintctl
/// dead-letters replay`).
///
/// The copy gets a fresh `Nats-Msg-Id` ([`replay::message_id`]), so the
/// original stream's duplicate window does not drop it, and carries the
/// event id in [`replay::EVENT_ID_HEADER`], which consumers key their
/// idempotency on instead of `Nats-Msg-Id`. [`replay::FOR_HEADER`] names the
/// consumer that dead-lettered it: the other consumers of the stream
/// acknowledge the copy without handling it.
pub mod replay {
    use uuid::Uuid;

    /// The event id of a replayed event (the original's `Nats-Msg-Id`).
    pub const EVENT_ID_HEADER: &str = "Mesh-Event-Id";
    /// The durable consumer a replayed event is for.
    pub const FOR_HEADER: &str = "Mesh-Replay-For";

    /// The `Nats-Msg-Id` of the replay of dead letter `sequence`: replaying
    /// the same dead letter again within the duplicate window is stored
    /// once; another dead letter of the same event is a new message.
    pub fn message_id(event_id: Uuid, sequence: u64) -> String {
        format!("{event_id}:replay:{sequence}")
    }

    /// The event id a consumer keys on: `Mesh-Event-Id` when the message
    /// has one (a replay), else `Nats-Msg-Id`. `None` when the header that
    /// counts is missing or not a UUID; a replay's broken `Mesh-Event-Id`
    /// never falls back to its `Nats-Msg-Id`, which is not the event's.
    pub fn event_id(mesh_event_id: Option<&str>, msg_id: Option<&str>) -> Option<Uuid> {
        match mesh_event_id {
            Some(id) => Uuid::parse_str(id.trim()).ok(),
            None => msg_id.and_then(|id| Uuid::parse_str(id.trim()).ok()),
        }
    }
}

/// The header of a new event about a case. `event_id` is also the key the
/// outbox and JetStream deduplicate on.
pub fn header(
    event_id: Uuid,
    case_id: impl std::fmt::Display,
    case_number: &str,
    at: DateTime<Utc>,
) -> EventHeader {
    EventHeader {
        event_id: event_id.to_string(),
        case_id: case_id.to_string(),
        case_number: case_number.to_owned(),
        at: Some(crate::time::to_proto(at)),
    }
}

/// The case an event is about: its header and the header's case id. An
/// event without one names no case, and the error says which is missing.
pub fn case_of(header: Option<&EventHeader>) -> Result<(Uuid, &EventHeader), String> {
    let header = header.ok_or("event has no header")?;
    let case_id = Uuid::parse_str(&header.case_id)
        .map_err(|_| format!("case id {:?} is not a UUID", header.case_id))?;
    Ok((case_id, header))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_names_its_case_or_says_why_not() {
        let id = Uuid::now_v7();
        let h = header(id, id, "2026-11-000001", Utc::now());
        assert_eq!(case_of(Some(&h)).map(|(c, _)| c), Ok(id));
        assert_eq!(case_of(None).unwrap_err(), "event has no header");
        let bad = EventHeader {
            case_id: "x".into(),
            ..h
        };
        assert_eq!(
            case_of(Some(&bad)).unwrap_err(),
            r#"case id "x" is not a UUID"#
        );
        assert_eq!(dispatch::step("signed"), "dispatch.v1.steps.signed");
        assert_eq!(
            dead_letter::service_of(&dead_letter::of("triage")),
            Some("triage")
        );
        assert_eq!(dead_letter::service_of("deadletter.v1."), None);
        assert_eq!(dead_letter::service_of("intake.v1.x"), None);
        assert_eq!(deadline::alert("*", "water"), "deadline.v1.alerts.*.water");
    }

    #[test]
    fn a_replay_keys_on_its_event_id_header_and_never_on_its_own_message_id() {
        let id = Uuid::now_v7();
        let text = id.to_string();
        let replay_id = replay::message_id(id, 42);
        assert_eq!(replay_id, format!("{id}:replay:42"));
        // An event as published: its Nats-Msg-Id is the event id.
        assert_eq!(replay::event_id(None, Some(&text)), Some(id));
        // A replay: Mesh-Event-Id wins over its fresh Nats-Msg-Id.
        assert_eq!(replay::event_id(Some(&text), Some(&replay_id)), Some(id));
        // A broken Mesh-Event-Id does not fall back to the Nats-Msg-Id.
        assert_eq!(replay::event_id(Some("x"), Some(&text)), None);
        assert_eq!(replay::event_id(None, Some(&replay_id)), None);
        assert_eq!(replay::event_id(None, None), None);
    }
}
