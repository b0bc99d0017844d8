//! Applies one workflow step to a case's work order, in the caller's
//! transaction: lock the order, ask what the step needs (the next routing
//! rule from triage, a deadline from the deadline-watcher), let the machine
//! decide, store the result and the history, and write the events — a
//! `WorkflowStep` on `dispatch.v1.steps.<step>` and a `WorkOrder` on the
//! queue of every department that receives the order.

use crate::error::DispatchError;
use crate::orders::{self, OrderRow};
use crate::workflow::machine::{admit, Actor};
use crate::workflow::{decide, Command, Ctx, DeadlineChange, Step, Transition};
use chrono::{DateTime, SubsecRound, Utc};
use complaints_proto::v1::deadlines_client::DeadlinesClient;
use complaints_proto::v1::triage_client::TriageClient;
use complaints_proto::v1::{
    ComputeDeadlineRequest, ComputeDeadlineResponse, ComputeDeadlinesRequest, DeadlineKind,
    ShiftDeadlineRequest, SuggestRouteRequest, WorkflowStep,
};
use mesh_kit::network::Network;
use mesh_kit::outbox::{self, Outgoing};
use mesh_kit::time::{from_proto_opt, to_proto};
use mesh_kit::{events, Subjects};
use sqlx::PgConnection;
use std::sync::Arc;
use tonic::transport::Channel;
use uuid::Uuid;

/// A deadline from the deadline-watcher.
pub struct Due {
    pub at: DateTime<Utc>,
    pub rule: String,
    pub working_days: u32,
    /// From the policy: the return window and the extension cap.
    pub return_window_seconds: u32,
    pub extension_cap: u32,
}

/// The workflow's connections and settings.
#[derive(Clone)]
pub struct Engine {
    pub network: Arc<Network>,
    pub subjects: Subjects,
    pub deadlines: DeadlinesClient<Channel>,
    pub triage: TriageClient<Channel>,
}

fn upstream(service: &str) -> impl Fn(tonic::Status) -> DispatchError + '_ {
    move |status| DispatchError::Upstream(format!("{service}: {}", status.message()))
}

/// What a new order's conclusion deadline depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueFor {
    pub mode: i32,
    pub kind: i32,
    pub severity: i32,
}

/// Most deadlines asked with one `ComputeDeadlines` call: the
/// deadline-watcher's cap (`compute::MAX_BATCH` there). A consumer batch
/// is at most 64 orders, so a batch is one call.
pub const DEADLINES_PER_CALL: usize = 128;

impl DueFor {
    /// The request for this order's conclusion deadline from `start`.
    fn request(self, start: DateTime<Utc>) -> ComputeDeadlineRequest {
        ComputeDeadlineRequest {
            deadline_kind: DeadlineKind::Conclusion as i32,
            mode: self.mode,
            kind: self.kind,
            severity: self.severity,
            start: Some(to_proto(start)),
        }
    }
}

impl Due {
    /// The deadline-watcher's answer; it must give a due time.
    fn from_reply(reply: ComputeDeadlineResponse) -> Result<Self, DispatchError> {
        let at = from_proto_opt(reply.due_at.as_ref())
            .ok_or_else(|| DispatchError::Upstream("deadline-watcher gave no due time".into()))?;
        Ok(Due {
            at,
            rule: reply.rule,
            working_days: reply.working_days,
            return_window_seconds: reply.return_window_seconds,
            extension_cap: reply.extension_cap_working_days,
        })
    }
}

/// A request to a peer service, with a timeout and the current trace.
fn traced<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(std::time::Duration::from_secs(5));
    mesh_kit::telemetry::inject_grpc(request.metadata_mut());
    request
}

impl Engine {
    /// The conclusion deadline for an order handed over at `start`.
    pub async fn compute(&self, order: DueFor, start: DateTime<Utc>) -> Result<Due, DispatchError> {
        let reply = self
            .deadlines
            .clone()
            .compute_deadline(traced(order.request(start)))
            .await
            .map_err(upstream("deadline-watcher"))?
            .into_inner();
        Due::from_reply(reply)
    }

    /// The conclusion deadlines for orders handed over at `start`, in
    /// their order, asked with one `ComputeDeadlines` call per
    /// [`DEADLINES_PER_CALL`] orders (none for no orders). An answer with
    /// a different number of deadlines is the deadline-watcher's failure.
    pub async fn compute_all(
        &self,
        orders: &[DueFor],
        start: DateTime<Utc>,
    ) -> Result<Vec<Due>, DispatchError> {
        let mut dues = Vec::with_capacity(orders.len());
        for chunk in orders.chunks(DEADLINES_PER_CALL) {
            let requests = chunk.iter().map(|o| o.request(start)).collect();
            let reply = self
                .deadlines
                .clone()
                .compute_deadlines(traced(ComputeDeadlinesRequest { requests }))
                .await
                .map_err(upstream("deadline-watcher"))?
                .into_inner();
            if reply.responses.len() != chunk.len() {
                return Err(DispatchError::Upstream(format!(
                    "deadline-watcher answered {} deadlines for {} orders",
                    reply.responses.len(),
                    chunk.len()
                )));
            }
            for response in reply.responses {
                dues.push(Due::from_reply(response)?);
            }
        }
        Ok(dues)
    }

    async fn shift(
        &self,
        due: DateTime<Utc>,
        working_days: u32,
    ) -> Result<DateTime<Utc>, DispatchError> {
        let request = traced(ShiftDeadlineRequest {
            due_at: Some(to_proto(due)),
            working_days,
        });
        let reply = self
            .deadlines
            .clone()
            .shift_deadline(request)
            .await
            .map_err(upstream("deadline-watcher"))?
            .into_inner();
        from_proto_opt(reply.due_at.as_ref())
            .ok_or_else(|| DispatchError::Upstream("deadline-watcher gave no due time".into()))
    }

    /// The next routing rule's department, skipping those that returned it
    /// (and the holder, when the order is still queued with it).
    async fn next_route(&self, order: &OrderRow) -> Result<(String, i32), DispatchError> {
        let mut exclude = order.returned_by.clone();
        if order.state != "returned" {
            exclude.push(order.holder.clone());
        }

        let mut request = tonic::Request::new(SuggestRouteRequest {
            category: order.category.clone(),
            region: order.region.clone(),
            exclude,
        });
        request.set_timeout(std::time::Duration::from_secs(5));
        mesh_kit::telemetry::inject_grpc(request.metadata_mut());
        let reply = self
            .triage
            .clone()
            .suggest_route(request)
            .await
            .map_err(upstream("triage"))?
            .into_inner();
        Ok((reply.department, reply.mode))
    }

    /// Applies `command` by `actor` to the order of `case_number`.
    #[tracing::instrument(skip_all, fields(case_number = %case_number, step = ?command.step()))]
    pub async fn apply(
        &self,
        tx: &mut PgConnection,
        case_number: &str,
        actor: Actor,
        mut command: Command,
    ) -> Result<OrderRow, DispatchError> {
        let mut row = orders::lock(tx, case_number)
            .await?
            .ok_or_else(|| DispatchError::OrderNotFound(case_number.to_owned()))?;
        // Microseconds: what Postgres keeps, so answers equal later reads.
        let now = Utc::now().trunc_subsecs(6);
        let ctx = Ctx {
            network: &self.network,
            now,
        };
        if let Command::Reroute { department, .. } = &mut command {
            if department.is_empty() {
                // Ask triage only for a reroute the centre may make now.
                admit(&row.snapshot(), &actor, Step::Reroute, &ctx)
                    .map_err(DispatchError::Rejected)?;
                let (next, mode) = self.next_route(&row).await?;
                *department = next;
                row.mode = mode;
            }
        }
        let t = decide(&row.snapshot(), &actor, &command, &ctx).map_err(DispatchError::Rejected)?;
        let from_holder = row.holder.clone();
        row.apply(&t.next);
        self.move_deadline(&mut row, &t, now).await?;
        match &command {
            Command::LogContact { .. } => row.last_contact_at = Some(now),
            Command::Conclude { conclusion } => {
                orders::save_conclusion(tx, row.order_id, conclusion, now).await?
            }
            _ => {}
        }
        if let Some(verdict) = t.satisfaction {
            row.satisfaction = verdict.as_str().to_owned();
        }
        orders::update(tx, &row).await?;
        let event = t.step.event();
        orders::record_step(tx, &row, now, event, &actor.to_string(), &t.detail).await?;
        self.announce(tx, &row, &t, &actor, &from_holder, now)
            .await?;
        tracing::info!(case_number, step = event, holder = %row.holder, state = %row.state, "workflow step");
        Ok(row)
    }

    async fn move_deadline(
        &self,
        row: &mut OrderRow,
        t: &Transition,
        now: DateTime<Utc>,
    ) -> Result<(), DispatchError> {
        if !matches!(t.deadline, DeadlineChange::Keep | DeadlineChange::Pause) {
            // A new deadline starts with a clean slate of alerts.
            row.alert_stage.clear();
            row.alert_level = 0;
        }
        match &t.deadline {
            DeadlineChange::Keep | DeadlineChange::Pause | DeadlineChange::Stop => {}
            DeadlineChange::Restart => {
                let order = DueFor {
                    mode: row.mode,
                    kind: row.kind,
                    severity: row.severity,
                };
                let due = self.compute(order, now).await?;
                row.due_at = due.at;
                row.deadline_rule = due.rule;
                row.base_working_days = i32::try_from(due.working_days).unwrap_or(0);
                row.return_window_seconds =
                    i32::try_from(due.return_window_seconds).unwrap_or(i32::MAX);
                row.extension_cap = i32::try_from(due.extension_cap).unwrap_or(i32::MAX);
            }
            DeadlineChange::Extend(days) => {
                row.due_at = self.shift(row.due_at, *days).await?;
                let base = row
                    .deadline_rule
                    .split(" (+")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                row.deadline_rule =
                    format!("{base} (+{} working days extension)", row.extended_days);
            }
            DeadlineChange::ResumeAfter(paused) => row.due_at += *paused,
        }
        Ok(())
    }

    /// Writes the step event, and the order to each receiving queue.
    async fn announce(
        &self,
        tx: &mut PgConnection,
        row: &OrderRow,
        t: &Transition,
        actor: &Actor,
        from_holder: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DispatchError> {
        let event_id = Uuid::now_v7();
        let running = crate::workflow::OrderState::parse(&row.state)
            .is_some_and(|s| s.is_open() || s == crate::workflow::OrderState::Suspended);
        let step = WorkflowStep {
            header: Some(events::header(event_id, row.case_id, &row.case_number, now)),
            order_id: row.order_id.to_string(),
            step: t.step.event().to_owned(),
            actor: actor.to_string(),
            state: row.state.clone(),
            holder: row.holder.clone(),
            co_handlers: row.co_handlers.clone(),
            due_at: running.then(|| to_proto(row.due_at)),
            deadline_rule: row.deadline_rule.clone(),
            detail: t.detail.clone(),
            revision: u64::try_from(row.revision).unwrap_or(0),
            severity: row.severity,
            last_contact_at: row.last_contact_at.map(to_proto),
            satisfaction: row.satisfaction.clone(),
            received_at: row.received_at.map(to_proto),
            category: row.category.clone(),
            assigned_at: Some(to_proto(row.assigned_at)),
            from_holder: from_holder.to_owned(),
            deadline_at: Some(to_proto(row.due_at)),
            region: row.region.clone(),
        };
        let subject = self
            .subjects
            .subject(&events::dispatch::step(t.step.event()));
        let mut out = vec![Outgoing::new(subject, event_id, &step)];
        out.extend(t.queue.iter().map(|entry| {
            row.queued(
                &self.subjects,
                &entry.department,
                entry.handover,
                entry.co_handler,
            )
        }));
        outbox::enqueue_many(tx, out).await?;
        Ok(())
    }
}
