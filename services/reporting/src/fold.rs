//! What each event adds to the rollups, as a pure function: the database
//! consumer and the in-memory recompute of `VerifyReport` fold the same
//! events with the same code, so a difference between them is a difference
//! in what was stored.
//!
//! The rollup cube counts, per local day and department, each `dimension`
//! and `key`:
//! - `total`: `registered` and `not_accepted` (department ""), `routed`;
//! - `not_accepted`: by reason A–E (department "");
//! - `channel`, `category`, `kind`, `region`, `severity` of each routed case,
//!   under the department it was routed to;
//! - `metric`: `concluded`, `on_time`, `handling_seconds` (a sum), the
//!   handling-time histogram (`handling`), `callbacks`, `satisfied`,
//!   `basically_satisfied`, `dissatisfied`, `reopened`, `returned`,
//!   `withdrawn`, `reviews`, `overdue`, `escalated`, under the department
//!   that did the thing (or was late).
//!
//! Each counts on the local day of the event that caused it; case counts on
//! the day the case was received.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use complaints_proto::label_of;
use complaints_proto::v1::{
    AlertStage, CaseNotAccepted, CaseRegistered, CaseRouted, Channel, DeadlineAlert, DeadlineKind,
    Handover, Kind, Severity, WorkOrder, WorkflowStep,
};
use mesh_kit::events;
use mesh_kit::time::from_proto_opt;
use prost::Message;
use uuid::Uuid;

/// Open states: the case is still being handled (its deadline runs).
pub const OPEN: [&str; 4] = ["queued", "in_progress", "returned", "suspended"];

/// Upper bounds (hours) of the handling-time histogram; the last is open.
pub const HANDLING_BUCKETS: [f64; 16] = [
    1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 36.0, 48.0, 72.0, 96.0, 120.0, 168.0, 240.0, 360.0, 480.0,
    720.0,
];

/// The histogram key of a handling time: `le_24` or `gt_720`.
pub fn handling_bucket(hours: f64) -> String {
    match HANDLING_BUCKETS.iter().find(|b| hours <= **b) {
        Some(b) => format!("le_{b}"),
        None => "gt_720".into(),
    }
}

/// One cell of the cube to add to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Increment {
    pub day: NaiveDate,
    pub department: String,
    pub dimension: &'static str,
    pub key: String,
    pub value: i64,
}

/// A change to the latest state of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseChange {
    Registered {
        summary: String,
    },
    Routed {
        department: String,
        category: String,
        region: String,
        severity: String,
    },
    /// From dispatch; applied only if `revision` is newer than the stored.
    Order {
        state: String,
        department: String,
        due_at: Option<DateTime<Utc>>,
        reopen_count: Option<i32>,
        revision: i64,
    },
    /// Applied only while `due_at` is the case's current deadline.
    Alert {
        stage: String,
        level: i32,
        due_at: Option<DateTime<Utc>>,
    },
}

/// The latest state of a case, as a row of `case_state` holds it, and the
/// rules by which each [`CaseChange`] moves it on. The in-memory rollups
/// keep one per case, and the batch consumer folds a batch's changes into
/// the stored rows with it ([`crate::store::apply_all`]), so both follow
/// the same rules as the single-event statements of [`crate::store::apply`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CaseState {
    pub case_number: String,
    pub received_at: DateTime<Utc>,
    pub department: String,
    pub category: String,
    pub region: String,
    pub severity: String,
    pub summary: String,
    pub state: String,
    /// The conclusion deadline while the case runs.
    pub due_at: Option<DateTime<Utc>>,
    /// The deadline the latest alert was about: the alert counts only
    /// while that is still `due_at`.
    pub alert_due_at: Option<DateTime<Utc>>,
    pub alert_stage: String,
    pub alert_level: i32,
    /// Ever escalated, whatever happened after.
    pub was_escalated: bool,
    pub reopen_count: i32,
    /// dispatch's revision of the order; older news is ignored.
    pub revision: i64,
}

impl CaseState {
    /// A case first seen, with the defaults of a new `case_state` row.
    pub fn new(case_number: String, received_at: DateTime<Utc>) -> Self {
        Self {
            case_number,
            received_at,
            department: String::new(),
            category: String::new(),
            region: String::new(),
            severity: String::new(),
            summary: String::new(),
            state: "registered".into(),
            due_at: None,
            alert_due_at: None,
            alert_stage: String::new(),
            alert_level: 0,
            was_escalated: false,
            reopen_count: 0,
            revision: 0,
        }
    }

    /// Applies one change: a route names the department only until
    /// dispatch has spoken, an order or step only if its revision is newer
    /// than the case's, an alert always.
    pub fn apply(&mut self, change: &CaseChange) {
        match change {
            CaseChange::Registered { summary } => self.summary.clone_from(summary),
            CaseChange::Routed {
                department,
                category,
                region,
                severity,
            } => {
                self.category.clone_from(category);
                self.region.clone_from(region);
                self.severity.clone_from(severity);
                if self.revision == 0 {
                    self.department.clone_from(department);
                }
            }
            CaseChange::Order {
                state,
                department,
                due_at,
                reopen_count,
                revision,
            } => {
                if self.revision < *revision {
                    self.state.clone_from(state);
                    self.department.clone_from(department);
                    self.due_at = *due_at;
                    self.reopen_count = self.reopen_count.saturating_add(reopen_count.unwrap_or(0));
                    self.revision = *revision;
                }
            }
            CaseChange::Alert {
                stage,
                level,
                due_at,
            } => {
                self.alert_due_at = *due_at;
                self.alert_stage.clone_from(stage);
                self.alert_level = *level;
                self.was_escalated |= stage == "escalated";
            }
        }
    }
}

/// What one event does to the rollups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folded {
    pub increments: Vec<Increment>,
    /// (case id, case number, received at, change).
    pub case: Option<(Uuid, String, DateTime<Utc>, CaseChange)>,
}

/// An event that cannot be folded (does not decode, lacks its header).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FoldError(pub String);

struct Cube<'a> {
    out: &'a mut Vec<Increment>,
    day: NaiveDate,
    department: String,
}

impl Cube<'_> {
    fn add(&mut self, dimension: &'static str, key: impl Into<String>, value: i64) {
        self.out.push(Increment {
            day: self.day,
            department: self.department.clone(),
            dimension,
            key: key.into(),
            value,
        });
    }
}

fn decode<M: Message + Default>(payload: &[u8]) -> Result<M, FoldError> {
    M::decode(payload).map_err(|e| FoldError(format!("payload does not decode: {e}")))
}

fn header(
    h: Option<&complaints_proto::v1::EventHeader>,
) -> Result<(Uuid, String, DateTime<Utc>), FoldError> {
    let (case_id, h) = mesh_kit::events::case_of(h).map_err(FoldError)?;
    Ok((
        case_id,
        h.case_number.clone(),
        from_proto_opt(h.at.as_ref()).unwrap_or_default(),
    ))
}

/// Folds one event, by its subject (without prefix).
pub fn fold(subject: &str, payload: &[u8], offset: FixedOffset) -> Result<Folded, FoldError> {
    // Not `with_timezone(..).date_naive()`: it panics on the instants at
    // the edges of chrono's range, which an event may carry.
    let day = |at: DateTime<Utc>| mesh_kit::time::local(at, offset).date();
    let mut f = Folded::default();
    if subject == events::intake::CASE_REGISTERED {
        let e: CaseRegistered = decode(payload)?;
        let (case_id, number, at) = header(e.header.as_ref())?;
        let received = from_proto_opt(e.received_at.as_ref()).unwrap_or(at);
        Cube {
            out: &mut f.increments,
            day: day(received),
            department: String::new(),
        }
        .add("total", "registered", 1);
        f.case = Some((
            case_id,
            number,
            received,
            CaseChange::Registered {
                summary: e.summary.chars().take(120).collect(),
            },
        ));
    } else if subject == events::triage::CASE_NOT_ACCEPTED {
        let e: CaseNotAccepted = decode(payload)?;
        let (_, _, at) = header(e.header.as_ref())?;
        let received = from_proto_opt(e.received_at.as_ref()).unwrap_or(at);
        let mut cube = Cube {
            out: &mut f.increments,
            day: day(received),
            department: String::new(),
        };
        cube.add("total", "not_accepted", 1);
        cube.add("not_accepted", e.reason, 1);
    } else if subject == events::triage::CASE_ROUTED {
        let e: CaseRouted = decode(payload)?;
        let (case_id, number, at) = header(e.header.as_ref())?;
        let received = from_proto_opt(e.received_at.as_ref()).unwrap_or(at);
        let severity = label_of::<Severity>(e.severity);
        let mut cube = Cube {
            out: &mut f.increments,
            day: day(received),
            department: e.department.clone(),
        };
        cube.add("total", "routed", 1);
        cube.add("channel", label_of::<Channel>(e.channel), 1);
        cube.add("category", e.category.clone(), 1);
        cube.add("kind", label_of::<Kind>(e.kind), 1);
        cube.add("region", e.region.clone(), 1);
        cube.add("severity", severity.clone(), 1);
        if !e.linked_case_id.is_empty() {
            // 二次投诉
            cube.add("metric", "second_complaints", 1);
        }
        if e.incident.is_some() {
            // Joined a batch incident (批量投诉) without an order of its own.
            cube.add("metric", "incident_members", 1);
        }
        f.case = Some((
            case_id,
            number,
            received,
            CaseChange::Routed {
                department: e.department,
                category: e.category,
                region: e.region,
                severity,
            },
        ));
    } else if subject.starts_with(events::dispatch::ORDERS_PREFIX) {
        let e: WorkOrder = decode(payload)?;
        let first = matches!(
            Handover::try_from(e.handover),
            Ok(Handover::New | Handover::Unspecified)
        );
        if e.co_handler || !first {
            return Ok(f);
        }
        let (case_id, number, at) = header(e.header.as_ref())?;
        let received = from_proto_opt(e.received_at.as_ref()).unwrap_or(at);
        let department = if e.holder.is_empty() {
            e.department
        } else {
            e.holder
        };
        let change = CaseChange::Order {
            state: "queued".into(),
            department,
            due_at: from_proto_opt(e.due_at.as_ref()),
            reopen_count: None,
            revision: i64::try_from(e.revision.max(1)).unwrap_or(i64::MAX),
        };
        f.case = Some((case_id, number, received, change));
    } else if subject.starts_with(events::dispatch::STEPS_PREFIX) {
        let e: WorkflowStep = decode(payload)?;
        let (case_id, number, at) = header(e.header.as_ref())?;
        let received = from_proto_opt(e.received_at.as_ref()).unwrap_or(at);
        let from = if e.from_holder.is_empty() {
            e.holder.clone()
        } else {
            e.from_holder.clone()
        };
        let mut cube = Cube {
            out: &mut f.increments,
            day: day(at),
            department: from,
        };
        let mut reopened = false;
        match e.step.as_str() {
            "concluded" => {
                cube.add("metric", "concluded", 1);
                if from_proto_opt(e.deadline_at.as_ref()).is_some_and(|due| at <= due) {
                    cube.add("metric", "on_time", 1);
                }
                let seconds = (at - received).num_seconds().max(0);
                cube.add("metric", "handling_seconds", seconds);
                cube.add("handling", handling_bucket(seconds as f64 / 3600.0), 1);
            }
            "callback_recorded" => {
                cube.add("metric", "callbacks", 1);
                if !e.satisfaction.is_empty() {
                    cube.add("metric", e.satisfaction.clone(), 1);
                }
                if e.satisfaction == "dissatisfied" {
                    cube.add("metric", "reopened", 1);
                    reopened = true;
                }
            }
            "returned" => cube.add("metric", "returned", 1),
            "withdrawn" => cube.add("metric", "withdrawn", 1),
            "merged" => cube.add("metric", "merged", 1),
            "review_requested" => cube.add("metric", "reviews", 1),
            _ => {}
        }
        let running = OPEN.contains(&e.state.as_str());
        let change = CaseChange::Order {
            state: e.state,
            department: e.holder,
            due_at: if running {
                from_proto_opt(e.deadline_at.as_ref())
            } else {
                None
            },
            reopen_count: reopened.then_some(1),
            revision: i64::try_from(e.revision).unwrap_or(i64::MAX),
        };
        f.case = Some((case_id, number, received, change));
    } else if subject.starts_with(events::deadline::ALERTS_PREFIX) {
        let e: DeadlineAlert = decode(payload)?;
        if e.deadline_kind != DeadlineKind::Conclusion as i32 {
            return Ok(f);
        }
        let (case_id, number, at) = header(e.header.as_ref())?;
        let received = from_proto_opt(e.received_at.as_ref()).unwrap_or(at);
        let mut cube = Cube {
            out: &mut f.increments,
            day: day(at),
            department: e.department.clone(),
        };
        let stage = match AlertStage::try_from(e.stage) {
            Ok(AlertStage::Overdue) => {
                cube.add("metric", "overdue", 1);
                "overdue"
            }
            Ok(AlertStage::Escalated) => {
                cube.add("metric", "escalated", 1);
                "escalated"
            }
            Ok(AlertStage::Warning) => "warning",
            _ => return Ok(f),
        };
        let change = CaseChange::Alert {
            stage: stage.into(),
            level: i32::try_from(e.level).unwrap_or(i32::MAX),
            due_at: from_proto_opt(e.due_at.as_ref()),
        };
        f.case = Some((case_id, number, received, change));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_proto::v1::EventHeader;
    use mesh_kit::time::to_proto;

    fn beijing() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).expect("offset")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn head(at_: &str) -> Option<EventHeader> {
        Some(EventHeader {
            event_id: Uuid::nil().to_string(),
            case_id: Uuid::nil().to_string(),
            case_number: "2026-11-000001".into(),
            at: Some(to_proto(at(at_))),
        })
    }

    #[test]
    fn a_case_counts_on_its_local_day_of_receipt_under_its_department() {
        let e = CaseRouted {
            header: head("2026-11-30T16:30:00Z"),
            received_at: Some(to_proto(at("2026-11-30T16:10:00Z"))),
            channel: Channel::Phone as i32,
            kind: Kind::Complaint as i32,
            category: "heating".into(),
            severity: Severity::General as i32,
            region: "east".into(),
            department: "east-heat".into(),
            ..Default::default()
        };
        let f = fold(events::triage::CASE_ROUTED, &e.encode_to_vec(), beijing()).expect("folds");
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert!(
            f.increments
                .iter()
                .all(|i| i.day == day && i.department == "east-heat"),
            "{f:?}"
        );
        let keys: Vec<(&str, &str)> = f
            .increments
            .iter()
            .map(|i| (i.dimension, i.key.as_str()))
            .collect();
        assert!(keys.contains(&("category", "heating")) && keys.contains(&("channel", "phone")));
    }

    #[test]
    fn a_conclusion_counts_time_and_punctuality_for_who_concluded() {
        let step = |deadline: &str| WorkflowStep {
            header: head("2026-11-25T02:00:00Z"),
            step: "concluded".into(),
            state: "concluded".into(),
            holder: "east-heat-s1".into(),
            from_holder: "east-heat-s1".into(),
            received_at: Some(to_proto(at("2026-11-23T02:00:00Z"))),
            deadline_at: Some(to_proto(at(deadline))),
            revision: 5,
            ..Default::default()
        };
        let f = fold(
            "dispatch.v1.steps.concluded",
            &step("2026-12-04T15:59:59Z").encode_to_vec(),
            beijing(),
        )
        .expect("folds");
        let get = |f: &Folded, key: &str| {
            f.increments
                .iter()
                .filter(|i| i.key == key)
                .map(|i| i.value)
                .sum::<i64>()
        };
        assert_eq!(
            (
                get(&f, "concluded"),
                get(&f, "on_time"),
                get(&f, "handling_seconds")
            ),
            (1, 1, 48 * 3600)
        );
        assert_eq!(get(&f, "le_48"), 1);
        let late = fold(
            "dispatch.v1.steps.concluded",
            &step("2026-11-24T15:59:59Z").encode_to_vec(),
            beijing(),
        )
        .expect("folds");
        assert_eq!(get(&late, "on_time"), 0);
    }

    #[test]
    fn histogram_buckets() {
        assert_eq!(handling_bucket(0.5), "le_1");
        assert_eq!(handling_bucket(24.0), "le_24");
        assert_eq!(handling_bucket(25.0), "le_36");
        assert_eq!(handling_bucket(1000.0), "gt_720");
    }

    #[test]
    fn bad_events_are_refused() {
        assert!(fold(events::triage::CASE_ROUTED, b"\xff\xff", beijing()).is_err());
        let no_header = CaseRouted::default().encode_to_vec();
        assert!(fold(events::triage::CASE_ROUTED, &no_header, beijing()).is_err());
    }

    #[test]
    fn events_at_the_edges_of_time_fold() {
        // Found by fuzzing (consumer_reporting): the local day of an
        // instant in the last hours of chrono's range panicked ("Local time
        // out of range for `NaiveDateTime`"), and killed the consumer.
        for edge in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC] {
            let e = CaseRegistered {
                header: Some(EventHeader {
                    case_id: Uuid::now_v7().to_string(),
                    case_number: "2026-11-000001".into(),
                    at: Some(to_proto(edge)),
                    ..Default::default()
                }),
                received_at: Some(to_proto(edge)),
                ..Default::default()
            };
            let f = fold(
                events::intake::CASE_REGISTERED,
                &e.encode_to_vec(),
                beijing(),
            )
            .expect("folds");
            assert_eq!(f.increments[0].day, edge.date_naive());
        }
    }
}
