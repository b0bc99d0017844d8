//! Consumes `CaseRegistered`, decides, stores the decision and announces
//! `CaseRouted` through the outbox, all in the consumer's transaction.
//!
//! The order of the questions: acceptance on the complaint itself (C, D,
//! E); then the complainant's earlier cases (A, B, or a second complaint,
//! [`crate::links`]); then, for a case routed as usual, whether it belongs
//! to a batch incident ([`crate::incidents`]).

use crate::acceptance::NotAccepted;
use crate::decide::decide;
use crate::decide::Decision;
use crate::duplicates::{Features, Matter};
use crate::incidents::Grouping;
use crate::links::{Earlier, Link};
use crate::live::LiveRules;
use crate::matters::{self, NewMatter};
use chrono::{DateTime, Duration, Utc};
use complaints_proto::v1::{
    CaseNotAccepted, CaseRegistered, CaseRouted, HandlingMode, Incident, Severity,
};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::network::Network;
use mesh_kit::outbox::Outgoing;
use mesh_kit::time::from_proto_opt;
use mesh_kit::{events, outbox, Subjects};
use prost::Message;
use sqlx::PgConnection;
use std::sync::Arc;
use tracing::Instrument;
use uuid::Uuid;

/// triage reads every registered case.
pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::intake::STREAM,
    "triage",
    events::intake::CASE_REGISTERED,
);

/// A registered case, decoded and decided from its payload alone (no
/// database): what [`TriageHandler`] goes on with, and what the fuzz
/// targets feed arbitrary bytes to.
#[derive(Debug, Clone)]
pub struct Assessed {
    pub case_id: Uuid,
    pub case_number: String,
    pub case: CaseRegistered,
    pub decision: Decision,
    /// Not accepted on the complaint itself (C, D, E).
    pub refused: Option<NotAccepted>,
    pub received_at: DateTime<Utc>,
    pub matter: Matter,
    /// The complainant's earlier cases are looked at from here on.
    pub earlier_since: DateTime<Utc>,
    /// Recent cases of the same place are looked at from here on.
    pub recent_since: DateTime<Utc>,
    /// What the duplicate and incident checks read of the complaint,
    /// worked out once.
    pub features: Features,
}

/// `span` before `at`; the start of chrono's range if that lies before it
/// (an event may carry any instant chrono can represent).
fn before(at: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    at.checked_sub_signed(span)
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Decodes a delivered `CaseRegistered` and decides what the complaint
/// itself says: kind, category, severity, route, and acceptance (C, D, E).
pub fn assess(
    rules: &crate::rules::Rules,
    network: &Network,
    payload: &[u8],
) -> Result<Assessed, HandleError> {
    let case = CaseRegistered::decode(payload).map_err(HandleError::undecodable)?;
    let (case_id, header) = events::case_of(case.header.as_ref()).map_err(HandleError::Reject)?;
    let case_number = header.case_number.clone();
    let decision = decide(rules, network, &case);
    let refused = crate::acceptance::decide(&rules.acceptance, &case, decision.names_a_topic);
    let received_at = from_proto_opt(case.received_at.as_ref()).unwrap_or_else(Utc::now);
    let matter = Matter {
        facts: case.summary.clone(),
        request: case.request.clone(),
        respondent: case.respondent.clone(),
        region: case.region.clone(),
        category: decision.category.clone(),
    };
    let earlier_since = before(
        received_at,
        Duration::days(i64::from(rules.duplicates.lookback_days)),
    );
    let recent_since = before(
        received_at,
        Duration::hours(i64::from(rules.incidents.window_hours)),
    );
    let features = Features::of(&matter);
    Ok(Assessed {
        features,
        case_id,
        case_number,
        case,
        decision,
        refused,
        received_at,
        matter,
        earlier_since,
        recent_since,
    })
}

#[derive(Clone)]
pub struct TriageHandler {
    pub rules: LiveRules,
    pub network: Arc<Network>,
    pub subjects: Subjects,
}

/// A decision as stored; a refused case has no department and carries its
/// not-accepted reason and reply.
struct DecisionRow {
    case_id: Uuid,
    case_number: String,
    kind: i32,
    category: String,
    severity: i32,
    region: String,
    department: String,
    mode: i32,
    reasons: Vec<String>,
    accepted: bool,
    not_accepted_reason: &'static str,
    reply: String,
}

impl DecisionRow {
    fn new(
        case_id: Uuid,
        case_number: &str,
        region: &str,
        d: &Decision,
        refused: Option<&NotAccepted>,
    ) -> Self {
        let (department, mode, reasons) = match refused {
            None => (d.department.clone(), d.mode as i32, d.reasons.clone()),
            Some(r) => {
                let mut reasons = d.reasons.clone();
                reasons.insert(0, r.detail.clone());
                (String::new(), 0, reasons)
            }
        };
        DecisionRow {
            case_id,
            case_number: case_number.to_owned(),
            kind: d.kind as i32,
            category: d.category.clone(),
            severity: d.severity as i32,
            region: region.to_owned(),
            department,
            mode,
            reasons,
            accepted: refused.is_none(),
            not_accepted_reason: refused.map_or("", |r| r.reason),
            reply: refused.map_or(String::new(), |r| r.reply.clone()),
        }
    }
}

/// Separates a decision's reasons on their way through one text column of
/// `UNNEST` (a `TEXT[]` per row cannot be passed as a row of a 2-D array).
/// The ASCII unit separator: reasons are sentences, never control
/// characters.
const REASON_SEPARATOR: char = '\u{1f}';

/// What triaging cases comes to, gathered so that cases decided together
/// are written together: decisions, matters and events, in stream order.
#[derive(Default)]
struct Writes {
    decisions: Vec<DecisionRow>,
    matters: Vec<NewMatter>,
    /// Each event with the trace of the case it is about.
    events: Vec<(Outgoing, Option<String>)>,
}

impl Writes {
    fn event(&mut self, subject: String, event_id: Uuid, event: &impl Message) {
        self.events.push((
            Outgoing::new(subject, event_id, event),
            mesh_kit::telemetry::current_traceparent(),
        ));
    }

    /// Writes what was gathered, one statement per table, and empties it.
    async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        let decisions = std::mem::take(&mut self.decisions);
        if !decisions.is_empty() {
            let mut c = DecisionColumns::default();
            for d in decisions {
                c.case_id.push(d.case_id);
                c.case_number.push(d.case_number);
                c.kind.push(d.kind);
                c.category.push(d.category);
                c.severity.push(d.severity);
                c.region.push(d.region);
                c.department.push(d.department);
                c.mode.push(d.mode);
                c.reasons.push(
                    d.reasons
                        .iter()
                        .map(|r| r.replace(REASON_SEPARATOR, " "))
                        .collect::<Vec<_>>()
                        .join(&REASON_SEPARATOR.to_string()),
                );
                c.accepted.push(d.accepted);
                c.not_accepted_reason.push(d.not_accepted_reason);
                c.reply.push(d.reply);
            }
            sqlx::query(
                "INSERT INTO decisions (case_id, case_number, kind, category, severity, region, department, mode, \
                 reasons, accepted, not_accepted_reason, reply) \
                 SELECT case_id, case_number, kind, category, severity, region, department, mode, \
                 CASE WHEN reasons = '' THEN '{}'::text[] ELSE string_to_array(reasons, chr(31)) END, \
                 accepted, not_accepted_reason, reply \
                 FROM UNNEST($1::uuid[], $2::text[], $3::int4[], $4::text[], $5::int4[], $6::text[], $7::text[], \
                 $8::int4[], $9::text[], $10::bool[], $11::text[], $12::text[]) \
                 AS d(case_id, case_number, kind, category, severity, region, department, mode, reasons, \
                 accepted, not_accepted_reason, reply)",
            )
            .bind(c.case_id)
            .bind(c.case_number)
            .bind(c.kind)
            .bind(c.category)
            .bind(c.severity)
            .bind(c.region)
            .bind(c.department)
            .bind(c.mode)
            .bind(c.reasons)
            .bind(c.accepted)
            .bind(c.not_accepted_reason)
            .bind(c.reply)
            .execute(&mut *tx)
            .await?;
        }
        matters::insert_all(tx, &std::mem::take(&mut self.matters)).await?;
        outbox::enqueue_many_traced(tx, std::mem::take(&mut self.events)).await?;
        Ok(())
    }
}

/// Decisions column by column, for `UNNEST`.
#[derive(Default)]
struct DecisionColumns {
    case_id: Vec<Uuid>,
    case_number: Vec<String>,
    kind: Vec<i32>,
    category: Vec<String>,
    severity: Vec<i32>,
    region: Vec<String>,
    department: Vec<String>,
    mode: Vec<i32>,
    reasons: Vec<String>,
    accepted: Vec<bool>,
    not_accepted_reason: Vec<&'static str>,
    reply: Vec<String>,
}

impl TriageHandler {
    /// Records a complaint that is not accepted, with its reason and reply,
    /// and announces it; no work order follows.
    fn not_accepted(
        &self,
        out: &mut Writes,
        case_id: Uuid,
        case: &CaseRegistered,
        d: &Decision,
        refused: NotAccepted,
        linked: Option<&Earlier>,
    ) {
        let case_number = case.header.as_ref().map_or("", |h| h.case_number.as_str());
        tracing::info!(%case_number, reason = refused.reason, "case not accepted");
        out.decisions.push(DecisionRow::new(
            case_id,
            case_number,
            &case.region,
            d,
            Some(&refused),
        ));
        let event_id = Uuid::now_v7();
        let event = CaseNotAccepted {
            header: Some(events::header(event_id, case_id, case_number, Utc::now())),
            reason: refused.reason.into(),
            reply: refused.reply,
            received_at: case.received_at,
            region: case.region.clone(),
            channel: case.channel,
            detail: refused.detail,
            linked_case_id: linked.map(|e| e.case_id.to_string()).unwrap_or_default(),
            linked_case_number: linked.map(|e| e.case_number.clone()).unwrap_or_default(),
        };
        out.event(
            self.subjects.subject(events::triage::CASE_NOT_ACCEPTED),
            event_id,
            &event,
        );
    }

    /// Whether triaging the case reads what earlier cases wrote: the
    /// complainant's earlier cases, or recent ones of the same place.
    /// Cases that do not are decided from their payload alone.
    fn reads_earlier_cases(a: &Assessed) -> bool {
        a.refused.is_none() && (!a.case.complainant_key.is_empty() || a.features.names_a_place())
    }

    /// Triages an assessed case, gathering its writes in `out`. Reads the
    /// database only for the complainant's earlier cases and for batch
    /// incidents, after what `out` holds has been written.
    async fn triage(
        &self,
        tx: &mut PgConnection,
        rules: &crate::rules::Rules,
        assessed: Assessed,
        out: &mut Writes,
    ) -> Result<(), HandleError> {
        if Self::reads_earlier_cases(&assessed) {
            out.flush(tx).await?;
        }
        let Assessed {
            case_id,
            case_number,
            case,
            decision: mut d,
            refused,
            received_at,
            matter,
            earlier_since,
            recent_since,
            features,
        } = assessed;
        if let Some(refused) = refused {
            self.not_accepted(out, case_id, &case, &d, refused, None);
            return Ok(());
        }
        // The complainant's earlier cases on the same matter.
        let mut linked = None;
        if !case.complainant_key.is_empty() {
            matters::lock(tx, &format!("complainant {}", case.complainant_key)).await?;
            let earlier = matters::earlier(tx, &case.complainant_key, earlier_since).await?;
            // A repeat of a case in progress (A) or concluded (B) is not
            // accepted; a second complaint is routed on, up the tree.
            let repeated = match crate::links::link(
                &self.network,
                &rules.duplicates,
                &features,
                &earlier,
            ) {
                None => None,
                Some(Link::InProgress(e)) => Some((e, true)),
                Some(Link::Concluded(e)) => Some((e, false)),
                Some(Link::SecondComplaint {
                    earlier,
                    department,
                }) => {
                    // 二次投诉 (001 五(三)): one tier above who concluded it,
                    // assigned; a repeat of a failed fix is major (DOMAIN §3).
                    d.reasons.push(format!(
                        "second complaint (二次投诉) of {}, concluded by {} and the complainant dissatisfied: handled one tier up at {department}, assigned, major",
                        earlier.case_number, earlier.concluded_by
                    ));
                    d.department = department;
                    d.mode = HandlingMode::Assigned;
                    d.severity = Severity::Major;
                    linked = Some(earlier);
                    None
                }
            };
            if let Some((e, in_progress)) = repeated {
                let refused = crate::acceptance::earlier_case(
                    &rules.acceptance.replies,
                    &case_number,
                    &e,
                    in_progress,
                );
                self.not_accepted(out, case_id, &case, &d, refused, Some(&e));
                return Ok(());
            }
        }

        // A batch incident of several complainants (not for a second
        // complaint: that one goes up the tree on its own).
        let incident = match linked {
            Some(_) => None,
            None if features.names_a_place() => {
                self.group(tx, rules, &matter, &features, recent_since, &mut d)
                    .await?
            }
            // An incident's complaints share a place: without one, there
            // is nothing to look up or to hold a lock for.
            None => None,
        };

        tracing::info!(
            %case_number,
            category = %d.category,
            department = %d.department,
            mode = d.mode.as_str_name(),
            linked = linked.as_ref().map_or("", |e| e.case_number.as_str()),
            incident = incident.as_ref().map_or("", |i| i.incident_id.as_str()),
            "case routed"
        );
        out.decisions.push(DecisionRow::new(
            case_id,
            &case_number,
            &case.region,
            &d,
            None,
        ));
        out.matters.push(NewMatter {
            case_id,
            case_number: case_number.clone(),
            complainant_key: case.complainant_key.clone(),
            matter,
            received_at,
            holder: d.department.clone(),
            incident: incident
                .as_ref()
                .and_then(|i| Uuid::parse_str(&i.incident_id).ok()),
        });
        let event_id = Uuid::now_v7();
        let routed = CaseRouted {
            header: Some(events::header(event_id, case_id, &case_number, Utc::now())),
            channel: case.channel,
            received_at: case.received_at,
            kind: d.kind as i32,
            category: d.category,
            severity: d.severity as i32,
            region: case.region,
            department: d.department,
            mode: d.mode as i32,
            reasons: d.reasons,
            summary: case.summary,
            request: case.request,
            respondent: case.respondent,
            linked_case_id: linked
                .as_ref()
                .map(|e| e.case_id.to_string())
                .unwrap_or_default(),
            linked_case_number: linked.map(|e| e.case_number).unwrap_or_default(),
            incident,
        };
        out.event(
            self.subjects.subject(events::triage::CASE_ROUTED),
            event_id,
            &routed,
        );
        Ok(())
    }
}

impl Handler for TriageHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let rules = self.rules.get();
        let assessed = assess(&rules, &self.network, &delivery.payload)?;
        let mut out = Writes::default();
        self.triage(tx, &rules, assessed, &mut out).await?;
        out.flush(tx).await?;
        Ok(())
    }

    /// Cases that need no earlier case (refused on their own, or anonymous
    /// and naming no place: most of a busy hour) are written together,
    /// three statements for all of them; before a case that reads earlier
    /// cases, what was gathered is written, so it sees every case before
    /// it, as one by one.
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        deliveries: &[&Delivery],
    ) -> Result<(), HandleError> {
        let rules = self.rules.get();
        let mut out = Writes::default();
        for delivery in deliveries {
            let assessed = assess(&rules, &self.network, &delivery.payload)?;
            self.triage(tx, &rules, assessed, &mut out)
                .instrument(delivery.span.clone())
                .await?;
        }
        out.flush(tx).await?;
        Ok(())
    }
}

impl TriageHandler {
    /// Whether the case, which names a place, joins or forms a batch
    /// incident; if so, the case is handled by the lead's order, and `d`
    /// names the lead's holder.
    async fn group(
        &self,
        tx: &mut PgConnection,
        rules: &crate::rules::Rules,
        matter: &Matter,
        features: &Features,
        since: DateTime<Utc>,
        d: &mut Decision,
    ) -> Result<Option<Incident>, HandleError> {
        let settings = &rules.incidents;
        matters::lock(tx, &format!("place {}/{}", matter.region, matter.category)).await?;
        let recent = matters::recent(tx, &matter.region, &matter.category, since).await?;
        let (incident_id, lead, merged, size) =
            match crate::incidents::group(settings, features, &recent) {
                Grouping::Alone => return Ok(None),
                Grouping::Join { incident_id, lead } => {
                    let size = matters::grow_incident(tx, incident_id).await?;
                    (incident_id, lead, Vec::new(), size)
                }
                Grouping::Form { lead, merged } => {
                    let incident_id = Uuid::now_v7();
                    let size = merged.len() + 2;
                    let members: Vec<Uuid> = merged.iter().map(|m| m.case_id).collect();
                    matters::form_incident(tx, incident_id, &lead, &members, size).await?;
                    (
                        incident_id,
                        lead,
                        merged,
                        u32::try_from(size).unwrap_or(u32::MAX),
                    )
                }
            };
        d.reasons.push(format!(
            "batch incident (批量投诉) of {size} complaints, led by {} at {}: no work order of its own",
            lead.case_number, lead.holder
        ));
        d.department = lead.holder.clone();
        Ok(Some(Incident {
            incident_id: incident_id.to_string(),
            lead_case_id: lead.case_id.to_string(),
            lead_case_number: lead.case_number,
            merged_case_numbers: merged.into_iter().map(|m| m.case_number).collect(),
            size,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::{network, rules};
    use complaints_proto::v1::EventHeader;
    use mesh_kit::time::to_proto;

    fn registered(received_at: DateTime<Utc>) -> Vec<u8> {
        CaseRegistered {
            header: Some(EventHeader {
                case_id: Uuid::now_v7().to_string(),
                case_number: "2026-11-000001".into(),
                ..Default::default()
            }),
            received_at: Some(to_proto(received_at)),
            region: "east".into(),
            summary: "阳光小区3号楼暖气不热".into(),
            complainant_key: "k".into(),
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn a_case_received_at_the_start_of_time_looks_back_to_it() {
        // Found by fuzzing (consumer_triage): the look-back before a
        // `received_at` in chrono's first days overflowed and panicked.
        let first = DateTime::<Utc>::MIN_UTC;
        let a = assess(&rules(), &network(), &registered(first)).expect("assessed");
        assert_eq!((a.earlier_since, a.recent_since), (first, first));
        let at = Utc::now();
        let a = assess(&rules(), &network(), &registered(at)).expect("assessed");
        assert_eq!(a.earlier_since, at - Duration::days(365));
        assert_eq!(a.recent_since, at - Duration::hours(48));
        assert_eq!(a.decision.category, "heating");
    }

    #[test]
    fn undecodable_and_headless_cases_are_rejected() {
        assert!(matches!(
            assess(&rules(), &network(), b"\xff\xff"),
            Err(HandleError::Reject(_))
        ));
        let headless = CaseRegistered::default().encode_to_vec();
        assert!(matches!(
            assess(&rules(), &network(), &headless),
            Err(HandleError::Reject(_))
        ));
    }
}
