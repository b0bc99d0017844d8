//! Consumes `CaseRegistered`, decides, stores the decision and announces
//! `CaseRouted` through the outbox, all in the consumer's transaction.

use crate::decide::decide;
use crate::live::LiveRules;
use complaints_proto::v1::{CaseNotAccepted, CaseRegistered, CaseRouted, EventHeader};
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

impl TriageHandler {
    /// Records a complaint that is not accepted, with its reason and reply,
    /// and announces it; no work order follows.
    async fn not_accepted(
        &self,
        tx: &mut PgConnection,
        case_id: Uuid,
        case: &CaseRegistered,
        d: &crate::decide::Decision,
        refused: crate::acceptance::NotAccepted,
    ) -> Result<(), HandleError> {
        let header = case.header.clone().unwrap_or_default();
        tracing::info!(case_number = %header.case_number, reason = refused.reason, "case not accepted");
        let mut reasons = d.reasons.clone();
        reasons.insert(0, refused.detail.clone());
        sqlx::query(
            "INSERT INTO decisions (case_id, case_number, kind, category, severity, region, department, mode, reasons, \
             accepted, not_accepted_reason, reply) VALUES ($1, $2, $3, $4, $5, $6, '', 0, $7, false, $8, $9)",
        )
        .bind(case_id)
        .bind(&header.case_number)
        .bind(d.kind as i32)
        .bind(&d.category)
        .bind(d.severity as i32)
        .bind(&case.region)
        .bind(&reasons)
        .bind(refused.reason)
        .bind(&refused.reply)
        .execute(&mut *tx)
        .await?;
        let event_id = Uuid::now_v7();
        let event = CaseNotAccepted {
            header: Some(EventHeader {
                event_id: event_id.to_string(),
                case_id: header.case_id,
                case_number: header.case_number,
                at: Some(mesh_kit::time::to_proto(chrono::Utc::now())),
            }),
            reason: refused.reason.into(),
            reply: refused.reply,
            received_at: case.received_at,
            region: case.region.clone(),
            channel: case.channel,
            detail: refused.detail,
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
        let header = case
            .header
            .clone()
            .ok_or_else(|| HandleError::Reject("CaseRegistered has no header".into()))?;
        let case_id = Uuid::parse_str(&header.case_id).map_err(|_| {
            HandleError::Reject(format!("case id {:?} is not a UUID", header.case_id))
        })?;
        let rules = self.rules.get();
        let d = decide(&rules, &self.network, &case);
        if let Some(refused) = crate::acceptance::decide(&rules.acceptance, &case, d.names_a_topic)
        {
            return self.not_accepted(tx, case_id, &case, &d, refused).await;
        }
        tracing::info!(
            case_number = %header.case_number,
            category = %d.category,
            department = %d.department,
            mode = d.mode.as_str_name(),
            "case routed"
        );
        sqlx::query(
            "INSERT INTO decisions (case_id, case_number, kind, category, severity, region, department, mode, reasons) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(case_id)
        .bind(&header.case_number)
        .bind(d.kind as i32)
        .bind(&d.category)
        .bind(d.severity as i32)
        .bind(&case.region)
        .bind(&d.department)
        .bind(d.mode as i32)
        .bind(&d.reasons)
        .execute(&mut *tx)
        .await?;
        let event_id = Uuid::now_v7();
        let routed = CaseRouted {
            header: Some(EventHeader {
                event_id: event_id.to_string(),
                case_id: header.case_id,
                case_number: header.case_number,
                at: Some(mesh_kit::time::to_proto(chrono::Utc::now())),
            }),
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
        };
        let subject = self.subjects.subject(events::triage::CASE_ROUTED);
        outbox::enqueue(tx, &subject, event_id, &routed).await?;
        Ok(())
    }
}
