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
use crate::duplicates::Matter;
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
use mesh_kit::time::from_proto_opt;
use mesh_kit::{events, outbox, Subjects};
use prost::Message;
use sqlx::PgConnection;
use std::sync::Arc;
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
    Ok(Assessed {
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

/// Stores the decision; a refused case has no department and carries its
/// not-accepted reason and reply.
async fn insert_decision(
    tx: &mut PgConnection,
    case_id: Uuid,
    case_number: &str,
    region: &str,
    d: &Decision,
    refused: Option<&NotAccepted>,
) -> Result<(), sqlx::Error> {
    let (department, mode, reasons) = match refused {
        None => (d.department.as_str(), d.mode as i32, d.reasons.clone()),
        Some(r) => {
            let mut reasons = d.reasons.clone();
            reasons.insert(0, r.detail.clone());
            ("", 0, reasons)
        }
    };
    sqlx::query(
        "INSERT INTO decisions (case_id, case_number, kind, category, severity, region, department, mode, reasons, \
         accepted, not_accepted_reason, reply) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(case_id)
    .bind(case_number)
    .bind(d.kind as i32)
    .bind(&d.category)
    .bind(d.severity as i32)
    .bind(region)
    .bind(department)
    .bind(mode)
    .bind(&reasons)
    .bind(refused.is_none())
    .bind(refused.map_or("", |r| r.reason))
    .bind(refused.map_or("", |r| r.reply.as_str()))
    .execute(tx)
    .await?;
    Ok(())
}

impl TriageHandler {
    /// Records a complaint that is not accepted, with its reason and reply,
    /// and announces it; no work order follows.
    async fn not_accepted(
        &self,
        tx: &mut PgConnection,
        case_id: Uuid,
        case: &CaseRegistered,
        d: &Decision,
        refused: NotAccepted,
        linked: Option<&Earlier>,
    ) -> Result<(), HandleError> {
        let case_number = case.header.as_ref().map_or("", |h| h.case_number.as_str());
        tracing::info!(%case_number, reason = refused.reason, "case not accepted");
        insert_decision(tx, case_id, case_number, &case.region, d, Some(&refused)).await?;
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
        outbox::enqueue(
            tx,
            &self.subjects.subject(events::triage::CASE_NOT_ACCEPTED),
            event_id,
            &event,
        )
        .await?;
        Ok(())
    }
}

impl Handler for TriageHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let rules = self.rules.get();
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
        } = assess(&rules, &self.network, &delivery.payload)?;
        if let Some(refused) = refused {
            return self
                .not_accepted(tx, case_id, &case, &d, refused, None)
                .await;
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
                &matter,
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
                return self
                    .not_accepted(tx, case_id, &case, &d, refused, Some(&e))
                    .await;
            }
        }

        // A batch incident of several complainants (not for a second
        // complaint: that one goes up the tree on its own).
        let incident = match linked {
            Some(_) => None,
            None => {
                self.group(tx, &rules, &matter, recent_since, &mut d)
                    .await?
            }
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
        insert_decision(tx, case_id, &case_number, &case.region, &d, None).await?;
        matters::insert(
            tx,
            &NewMatter {
                case_id,
                case_number: &case_number,
                complainant_key: &case.complainant_key,
                matter: &matter,
                received_at,
                holder: &d.department,
                incident: incident
                    .as_ref()
                    .and_then(|i| Uuid::parse_str(&i.incident_id).ok()),
            },
        )
        .await?;
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
        let subject = self.subjects.subject(events::triage::CASE_ROUTED);
        outbox::enqueue(tx, &subject, event_id, &routed).await?;
        Ok(())
    }
}

impl TriageHandler {
    /// Whether the case joins or forms a batch incident; if so, the case is
    /// handled by the lead's order, and `d` names the lead's holder.
    async fn group(
        &self,
        tx: &mut PgConnection,
        rules: &crate::rules::Rules,
        matter: &Matter,
        since: DateTime<Utc>,
        d: &mut Decision,
    ) -> Result<Option<Incident>, HandleError> {
        if !crate::duplicates::Features::of(matter).names_a_place() {
            // An incident's complaints share a place: without one, there
            // is nothing to look up or to hold a lock for.
            return Ok(None);
        }
        let settings = &rules.incidents;
        matters::lock(tx, &format!("place {}/{}", matter.region, matter.category)).await?;
        let recent = matters::recent(tx, &matter.region, &matter.category, since).await?;
        let (incident_id, lead, merged, size) =
            match crate::incidents::group(settings, matter, &recent) {
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
