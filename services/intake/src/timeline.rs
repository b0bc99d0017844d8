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

/// What one event does to intake's tables: the case rows it updates
/// (each case must exist) and the entries it adds to timelines, in order.
/// Worked out from the payload alone, without the database, the same way
/// for an event handled alone and for one in a batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Effects {
    pub updates: Vec<store::CaseUpdate>,
    pub entries: Vec<store::TimelineEntry>,
}

impl Effects {
    fn update(&mut self, update: store::CaseUpdate) {
        self.updates.push(update);
    }

    fn entry(
        &mut self,
        case_id: Uuid,
        at: DateTime<Utc>,
        source: &'static str,
        event: &str,
        detail: String,
    ) {
        self.entries.push(store::TimelineEntry {
            case_id,
            at,
            source,
            event: event.to_owned(),
            detail,
        });
    }

    /// Applies the effects in `tx`: the updates with a few statements
    /// (store::record_updates), then every entry with one. A case that
    /// does not exist rejects the event: one an update names is not found
    /// by it, and the cases of the other entries (an earlier case linked
    /// to, a deadline's case) are looked up with one statement, since the
    /// timeline has no foreign key (migration 0106).
    pub async fn apply(&self, tx: &mut PgConnection) -> Result<(), HandleError> {
        let missing_cases = store::record_updates(tx, &self.updates).await?;
        if let Some(case_id) = missing_cases.first() {
            return Err(missing(*case_id));
        }
        let updated: std::collections::HashSet<Uuid> = self
            .updates
            .iter()
            .map(store::CaseUpdate::case_id)
            .collect();
        let mut others: Vec<Uuid> = self
            .entries
            .iter()
            .map(|e| e.case_id)
            .filter(|id| !updated.contains(id))
            .collect();
        others.sort_unstable();
        others.dedup();
        if let Some(case_id) = store::unknown_cases(tx, &others).await?.first() {
            return Err(missing(*case_id));
        }
        store::append_timeline_many(tx, &self.entries).await?;
        Ok(())
    }
}

impl TimelineHandler {
    fn local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.offset)
            .format("%Y-%m-%d %H:%M %:z")
            .to_string()
    }

    fn routed(&self, out: &mut Effects, e: CaseRouted) -> Result<(), HandleError> {
        let (case_id, at) = case_of(e.header.as_ref())?;
        let detail = format!(
            "{} / {} / {} → {} ({})",
            label_of::<Kind>(e.kind),
            e.category,
            label_of::<Severity>(e.severity),
            e.department,
            label_of::<HandlingMode>(e.mode),
        );
        out.entry(case_id, at, "triage", "routed", detail);
        let number = e.header.as_ref().map_or("", |h| h.case_number.as_str());
        if let Some(earlier) = linked(&e.linked_case_id) {
            out.entry(
                case_id,
                at,
                "triage",
                "second_complaint",
                format!("second complaint (二次投诉) of {}", e.linked_case_number),
            );
            let detail = format!(
                "the complainant was dissatisfied and complained again: {number}, handled by {}",
                e.department
            );
            out.entry(earlier, at, "triage", "second_complaint", detail);
        }
        if let Some(incident) = &e.incident {
            let detail = format!(
                "joined the batch incident (批量投诉) led by {}: {} complaints, handled by its work order",
                incident.lead_case_number, incident.size
            );
            out.entry(case_id, at, "triage", "incident", detail);
            if let Some(lead) = linked(&incident.lead_case_id) {
                let detail = format!(
                    "{number} joined the batch incident this case leads: {} complaints",
                    incident.size
                );
                out.entry(lead, at, "triage", "incident", detail);
            }
        }
        out.update(store::CaseUpdate::Routing(store::Routing {
            case_id,
            kind: e.kind,
            category: e.category,
            severity: e.severity,
            department: e.department,
            mode: e.mode,
        }));
        Ok(())
    }

    fn not_accepted(&self, out: &mut Effects, e: CaseNotAccepted) -> Result<(), HandleError> {
        let (case_id, at) = case_of(e.header.as_ref())?;
        let detail = format!("not accepted ({}): {}", e.reason, e.detail);
        out.entry(case_id, at, "triage", "not_accepted", detail);
        if let Some(earlier) = linked(&e.linked_case_id) {
            let number = e.header.as_ref().map_or("", |h| h.case_number.as_str());
            let detail = format!(
                "the complainant asked again ({number}, not accepted {})",
                e.reason
            );
            out.entry(earlier, at, "triage", "asked_again", detail);
        }
        out.update(store::CaseUpdate::NotAccepted(store::NotAccepted {
            case_id,
            reason: e.reason,
            reply: e.reply,
        }));
        Ok(())
    }

    fn order(&self, out: &mut Effects, e: WorkOrder) -> Result<(), HandleError> {
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
        let due = due_at
            .map(|d| self.local(d))
            .unwrap_or_else(|| "not set".into());
        let detail = format!(
            "work order {} queued for {}; due {due} ({})",
            e.order_id, e.department, e.deadline_rule
        );
        out.entry(case_id, at, "dispatch", "dispatched", detail);
        out.update(store::CaseUpdate::Order(store::OrderState {
            case_id,
            state: "queued".into(),
            department: e.department,
            due_at,
            revision: revision(e.revision.max(1)),
        }));
        Ok(())
    }

    fn step(&self, out: &mut Effects, e: WorkflowStep) -> Result<(), HandleError> {
        let (case_id, at) = case_of(e.header.as_ref())?;
        out.entry(case_id, at, "dispatch", &e.step, e.detail);
        out.update(store::CaseUpdate::Order(store::OrderState {
            case_id,
            state: e.state,
            department: e.holder,
            due_at: from_proto_opt(e.due_at.as_ref()),
            revision: revision(e.revision),
        }));
        Ok(())
    }

    fn deadline(&self, out: &mut Effects, e: DeadlineRegistered) -> Result<(), HandleError> {
        let (case_id, at) = case_of(e.header.as_ref())?;
        let due = from_proto_opt(e.due_at.as_ref())
            .map(|d| self.local(d))
            .unwrap_or_default();
        let detail = format!(
            "deadline for work order {} at {}: {due} ({})",
            e.order_id, e.department, e.rule
        );
        out.entry(case_id, at, "deadline-watcher", "deadline", detail);
        Ok(())
    }

    fn alert(&self, out: &mut Effects, alert: DeadlineAlert) -> Result<(), HandleError> {
        let (case_id, at) = case_of(alert.header.as_ref())?;
        let event = AlertStage::try_from(alert.stage)
            .map(|s| s.label())
            .unwrap_or_else(|_| "alert".into());
        let detail = complaints_proto::alert_summary(&alert, self.offset);
        out.entry(case_id, at, "deadline-watcher", &event, detail);
        Ok(())
    }

    /// Adds the effects of one event to `out`: decodes it and maps it to
    /// case updates and timeline entries. An event that does not decode or
    /// names no case is rejected.
    pub fn effects(&self, delivery: &Delivery, out: &mut Effects) -> Result<(), HandleError> {
        let subject = delivery.subject.as_str();
        let payload = delivery.payload.clone();
        if subject == events::triage::CASE_ROUTED {
            self.routed(
                out,
                CaseRouted::decode(payload).map_err(HandleError::undecodable)?,
            )
        } else if subject == events::triage::CASE_NOT_ACCEPTED {
            self.not_accepted(
                out,
                CaseNotAccepted::decode(payload).map_err(HandleError::undecodable)?,
            )
        } else if subject.starts_with(events::dispatch::ORDERS_PREFIX) {
            self.order(
                out,
                WorkOrder::decode(payload).map_err(HandleError::undecodable)?,
            )
        } else if subject.starts_with(events::dispatch::STEPS_PREFIX) {
            self.step(
                out,
                WorkflowStep::decode(payload).map_err(HandleError::undecodable)?,
            )
        } else if subject.starts_with(events::deadline::ALERTS_PREFIX) {
            self.alert(
                out,
                DeadlineAlert::decode(payload).map_err(HandleError::undecodable)?,
            )
        } else if subject == events::deadline::DEADLINE_REGISTERED {
            self.deadline(
                out,
                DeadlineRegistered::decode(payload).map_err(HandleError::undecodable)?,
            )
        } else {
            // Events intake does not show (yet) are skipped, not rejected.
            tracing::debug!(subject, "event not shown on the timeline");
            Ok(())
        }
    }
}

impl Handler for TimelineHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let mut effects = Effects::default();
        self.effects(delivery, &mut effects)?;
        effects.apply(tx).await
    }

    /// The events' effects gathered in stream order and written together:
    /// one statement for every timeline entry of the batch, one per kind
    /// of case update (a case updated twice is updated one event at a
    /// time, in order: store::record_updates). The effect is that of
    /// `handle` on each event in turn: the same rows, in the same order.
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        deliveries: &[&Delivery],
    ) -> Result<(), HandleError> {
        let mut effects = Effects::default();
        for delivery in deliveries {
            delivery
                .span
                .in_scope(|| self.effects(delivery, &mut effects))?;
        }
        effects.apply(tx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use chrono::TimeZone;
    use complaints_proto::v1::Incident;
    use sqlx::PgPool;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 9, minute, 0)
            .single()
            .expect("time")
    }

    fn header(case_id: Uuid, number: &str, minute: u32) -> Option<EventHeader> {
        Some(events::header(Uuid::now_v7(), case_id, number, at(minute)))
    }

    fn delivery(subject: &str, payload: Vec<u8>) -> Delivery {
        Delivery {
            event_id: Uuid::now_v7(),
            subject: subject.to_owned(),
            payload: payload.into(),
            delivered: 1,
            span: tracing::Span::none(),
        }
    }

    fn routed(case: Uuid, department: &str, minute: u32) -> CaseRouted {
        CaseRouted {
            header: header(case, "2026-11-000001", minute),
            kind: Kind::Complaint as i32,
            category: "heating".into(),
            severity: Severity::Major as i32,
            department: department.into(),
            mode: HandlingMode::Transferred as i32,
            ..Default::default()
        }
    }

    fn order(case: Uuid, department: &str, revision: u64, minute: u32) -> WorkOrder {
        WorkOrder {
            header: header(case, "2026-11-000002", minute),
            order_id: format!("order-{case}"),
            department: department.into(),
            due_at: Some(mesh_kit::time::to_proto(at(59))),
            deadline_rule: "10 working days".into(),
            handover: Handover::New as i32,
            revision,
            ..Default::default()
        }
    }

    fn step(case: Uuid, state: &str, holder: &str, revision: u64, minute: u32) -> WorkflowStep {
        WorkflowStep {
            header: header(case, "2026-11-000003", minute),
            step: format!("to_{state}"),
            state: state.into(),
            holder: holder.into(),
            detail: format!("{holder} now {state} (revision {revision})"),
            due_at: Some(mesh_kit::time::to_proto(at(50 + revision as u32))),
            revision,
            ..Default::default()
        }
    }

    /// An event stream with every kind of event intake shows, and cases
    /// that come up several times: a late workflow step, a routing decision
    /// after dispatch's order, a routing decision delivered twice.
    fn stream(cases: &[Uuid; 6]) -> Vec<Delivery> {
        let [a, b, c, d, e, lead] = *cases;
        let mut with_links = routed(a, "east-heat", 1);
        with_links.linked_case_id = lead.to_string();
        with_links.linked_case_number = "2026-10-000042".into();
        with_links.incident = Some(Incident {
            lead_case_id: lead.to_string(),
            lead_case_number: "2026-10-000042".into(),
            size: 3,
            ..Default::default()
        });
        let not_accepted = CaseNotAccepted {
            header: header(c, "2026-11-000004", 2),
            reason: "B".into(),
            reply: "请向法院起诉".into(),
            detail: "in litigation".into(),
            linked_case_id: lead.to_string(),
            ..Default::default()
        };
        let mut co_handler = order(a, "east-water", 2, 4);
        co_handler.co_handler = true;
        let alert = DeadlineAlert {
            header: header(b, "2026-11-000005", 9),
            order_id: "order-b".into(),
            stage: AlertStage::Overdue as i32,
            department: "west-heat".into(),
            notified: "west-heat".into(),
            due_at: Some(mesh_kit::time::to_proto(at(8))),
            ..Default::default()
        };
        let registered = DeadlineRegistered {
            header: header(e, "2026-11-000006", 10),
            order_id: "order-e".into(),
            department: "north-gas".into(),
            rule: "15 working days".into(),
            due_at: Some(mesh_kit::time::to_proto(at(40))),
            ..Default::default()
        };
        let orders = |d: &str| events::dispatch::orders(d);
        let steps = |s: &str| events::dispatch::step(s);
        vec![
            delivery(events::triage::CASE_ROUTED, with_links.encode_to_vec()),
            delivery(
                events::triage::CASE_ROUTED,
                routed(b, "west-heat", 1).encode_to_vec(),
            ),
            delivery(
                events::triage::CASE_NOT_ACCEPTED,
                not_accepted.encode_to_vec(),
            ),
            delivery(
                &orders("east-heat"),
                order(a, "east-heat", 1, 3).encode_to_vec(),
            ),
            delivery(&orders("east-water"), co_handler.encode_to_vec()),
            delivery(
                &steps("transferred"),
                step(a, "in_progress", "west-heat", 3, 5).encode_to_vec(),
            ),
            // Late: an older revision after a newer one.
            delivery(
                &steps("signed"),
                step(a, "signed", "east-heat", 2, 6).encode_to_vec(),
            ),
            delivery(
                &orders("west-heat"),
                order(b, "west-heat", 0, 7).encode_to_vec(),
            ),
            // Dispatch before triage for d: the routing keeps the holder.
            delivery(
                &orders("north-gas"),
                order(d, "north-gas", 2, 7).encode_to_vec(),
            ),
            delivery(
                events::triage::CASE_ROUTED,
                routed(d, "north-water", 8).encode_to_vec(),
            ),
            delivery(
                &events::deadline::alert("overdue", "west-heat"),
                alert.encode_to_vec(),
            ),
            delivery(
                events::deadline::DEADLINE_REGISTERED,
                registered.encode_to_vec(),
            ),
            delivery("deadline.v1.something_new", b"\xff\xff".to_vec()),
            delivery(
                &steps("signed"),
                step(e, "signed", "north-gas", 1, 11).encode_to_vec(),
            ),
            // The routing decision of a again, late (another event id).
            delivery(
                events::triage::CASE_ROUTED,
                routed(a, "south-heat", 12).encode_to_vec(),
            ),
        ]
    }

    async fn insert_cases(pool: &PgPool, cases: &[Uuid]) -> anyhow::Result<()> {
        for (i, case) in cases.iter().enumerate() {
            sqlx::query(
                "INSERT INTO cases (case_id, case_number, query_code, idempotency_key, channel, \
                 received_at, region, facts, anonymous) \
                 VALUES ($1, $2, 'q', $2, 1, now(), 'east', '暖气不热', false)",
            )
            .bind(case)
            .bind(format!("2026-11-{:06}", i + 1))
            .execute(pool)
            .await?;
        }
        Ok(())
    }

    type CaseState = (
        Uuid,
        String,
        String,
        Option<DateTime<Utc>>,
        i64,
        i32,
        String,
        String,
        String,
    );
    type EntryRow = (Uuid, DateTime<Utc>, String, String, String);

    async fn state(pool: &PgPool) -> anyhow::Result<(Vec<CaseState>, Vec<EntryRow>)> {
        let cases = sqlx::query_as(
            "SELECT case_id, status, department, due_at, dispatch_revision, kind, category, \
             not_accepted_reason, reply FROM cases ORDER BY case_id",
        )
        .fetch_all(pool)
        .await?;
        let entries =
            sqlx::query_as("SELECT case_id, at, source, event, detail FROM timeline ORDER BY id")
                .fetch_all(pool)
                .await?;
        Ok((cases, entries))
    }

    fn handler() -> TimelineHandler {
        TimelineHandler {
            offset: FixedOffset::east_opt(8 * 3600).expect("offset"),
        }
    }

    #[tokio::test]
    async fn a_batch_has_the_effect_of_its_events_one_by_one() -> anyhow::Result<()> {
        let db = TestDb::create("timeline_batch").await?;
        let result = async {
            let alone = db.other_schema("intake_alone").await?;
            let cases: [Uuid; 6] = std::array::from_fn(|_| Uuid::now_v7());
            insert_cases(&db.pool, &cases).await?;
            insert_cases(&alone, &cases).await?;
            let deliveries = stream(&cases);
            let handler = handler();

            for d in &deliveries {
                let mut tx = alone.begin().await?;
                handler.handle(&mut tx, d).await?;
                tx.commit().await?;
            }
            let mut tx = db.pool.begin().await?;
            let batch: Vec<&Delivery> = deliveries.iter().collect();
            handler.handle_batch(&mut tx, &batch).await?;
            tx.commit().await?;

            let (one_by_one, batched) = (state(&alone).await?, state(&db.pool).await?);
            assert_eq!(batched.0, one_by_one.0, "the cases");
            assert_eq!(batched.1, one_by_one.1, "the timeline, in order");

            // What the stream did, checked on its own (so that the two
            // agreeing is not both doing nothing).
            let [a, b, c, d, e, lead] = cases;
            let case = |id: Uuid| {
                one_by_one
                    .0
                    .iter()
                    .find(|row| row.0 == id)
                    .cloned()
                    .expect("case")
            };
            let (_, status, department, due_at, revision, ..) = case(a);
            assert_eq!(
                (status.as_str(), department.as_str()),
                ("in_progress", "west-heat")
            );
            assert_eq!((due_at, revision), (Some(at(53)), 3));
            let (_, status, department, _, revision, ..) = case(b);
            assert_eq!(
                (status.as_str(), department.as_str(), revision),
                ("queued", "west-heat", 1)
            );
            assert_eq!(case(c).1, "not_accepted");
            assert_eq!(
                (case(c).7.as_str(), case(c).8.as_str()),
                ("B", "请向法院起诉")
            );
            let (_, status, department, ..) = case(d);
            assert_eq!(
                (status.as_str(), department.as_str()),
                ("queued", "north-gas")
            );
            assert_eq!((case(e).1.as_str(), case(e).4), ("signed", 1));
            assert_eq!(case(lead).1, "registered");
            let events_of = |id: Uuid| -> Vec<String> {
                one_by_one
                    .1
                    .iter()
                    .filter(|row| row.0 == id)
                    .map(|row| row.3.clone())
                    .collect()
            };
            assert_eq!(
                events_of(a),
                [
                    "routed",
                    "second_complaint",
                    "incident",
                    "dispatched",
                    "to_in_progress",
                    "to_signed",
                    "routed"
                ]
            );
            assert_eq!(
                events_of(lead),
                ["second_complaint", "incident", "asked_again"]
            );
            assert_eq!(events_of(b), ["routed", "dispatched", "overdue"]);
            assert_eq!(events_of(e), ["deadline", "to_signed"]);
            anyhow::Ok(())
        }
        .await;
        db.drop_it().await?;
        result
    }

    #[tokio::test]
    async fn a_batch_naming_an_unknown_case_or_a_bad_payload_fails_whole() -> anyhow::Result<()> {
        let db = TestDb::create("timeline_reject").await?;
        let result = async {
            let known = Uuid::now_v7();
            insert_cases(&db.pool, &[known]).await?;
            let handler = handler();
            let good = delivery(
                events::triage::CASE_ROUTED,
                routed(known, "east-heat", 1).encode_to_vec(),
            );
            let unknown = delivery(
                &events::dispatch::orders("east-heat"),
                order(Uuid::now_v7(), "east-heat", 1, 2).encode_to_vec(),
            );
            let garbage = delivery(events::triage::CASE_ROUTED, b"\xff\xff".to_vec());
            // Events that add entries without updating a case: the case
            // is looked up all the same (the timeline has no foreign key).
            let unknown_deadline = delivery(
                events::deadline::DEADLINE_REGISTERED,
                DeadlineRegistered {
                    header: header(Uuid::now_v7(), "2026-11-000007", 3),
                    order_id: "order-x".into(),
                    department: "east-heat".into(),
                    rule: "15 working days".into(),
                    due_at: Some(mesh_kit::time::to_proto(at(40))),
                    ..Default::default()
                }
                .encode_to_vec(),
            );
            let mut linking_unknown = routed(known, "east-heat", 2);
            linking_unknown.linked_case_id = Uuid::now_v7().to_string();
            let unknown_link =
                delivery(events::triage::CASE_ROUTED, linking_unknown.encode_to_vec());
            for bad in [&unknown, &garbage, &unknown_deadline, &unknown_link] {
                let mut tx = db.pool.begin().await?;
                let err = handler
                    .handle_batch(&mut tx, &[&good, bad])
                    .await
                    .expect_err("a bad event fails the batch");
                assert!(matches!(err, HandleError::Reject(_)), "{err}");
                tx.rollback().await?;
                // Alone, the good one goes through and the bad one is
                // rejected the same way.
                let mut tx = db.pool.begin().await?;
                handler.handle(&mut tx, &good).await?;
                let err = handler.handle(&mut tx, bad).await.expect_err("rejected");
                assert!(matches!(err, HandleError::Reject(_)), "{err}");
                tx.rollback().await?;
            }
            // Nothing of them was written, and the good event alone is.
            let mut tx = db.pool.begin().await?;
            handler.handle_batch(&mut tx, &[&good]).await?;
            tx.commit().await?;
            let rows: Vec<(Uuid,)> = sqlx::query_as("SELECT case_id FROM timeline")
                .fetch_all(&db.pool)
                .await?;
            assert_eq!(rows, [(known,)]);
            anyhow::Ok(())
        }
        .await;
        db.drop_it().await?;
        result
    }
}
