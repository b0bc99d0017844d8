//! Consumes `CaseRegistered`, decides, stores the decision and announces
//! `CaseRouted` through the outbox, all in the consumer's transaction.

use crate::acceptance::NotAccepted;
use crate::decide::decide;
use crate::decide::Decision;
use crate::live::LiveRules;
use chrono::Utc;
use complaints_proto::v1::{CaseNotAccepted, CaseRegistered, CaseRouted};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::network::Network;
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
            ..Default::default()
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
        let case =
            CaseRegistered::decode(delivery.payload.clone()).map_err(HandleError::undecodable)?;
        let (case_id, header) =
            events::case_of(case.header.as_ref()).map_err(HandleError::Reject)?;
        let case_number = header.case_number.clone();
        let rules = self.rules.get();
        let d = decide(&rules, &self.network, &case);
        if let Some(refused) = crate::acceptance::decide(&rules.acceptance, &case, d.names_a_topic)
        {
            return self.not_accepted(tx, case_id, &case, &d, refused).await;
        }
        tracing::info!(
            %case_number,
            category = %d.category,
            department = %d.department,
            mode = d.mode.as_str_name(),
            "case routed"
        );
        insert_decision(tx, case_id, &case_number, &case.region, &d, None).await?;
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
            ..Default::default()
        };
        let subject = self.subjects.subject(events::triage::CASE_ROUTED);
        outbox::enqueue(tx, &subject, event_id, &routed).await?;
        Ok(())
    }
}
