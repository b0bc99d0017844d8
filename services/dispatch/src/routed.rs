//! Consumes triage's `CaseRouted`: asks the deadline-watcher for the
//! conclusion deadline (a batch's deadlines with one call), creates the
//! work order and queues it on `dispatch.v1.orders.<department>` through
//! the outbox, in one transaction. A case that joins a batch incident gets
//! no order: see [`crate::links`].

use crate::engine::{Due, DueFor, Engine};
use crate::orders::{self, OrderRow};
use chrono::{DateTime, SubsecRound, Utc};
use complaints_proto::v1::{CaseRouted, Handover, Incident, Severity};
use mesh_kit::consumer::{ConsumerSpec, Delivery, HandleError, Handler};
use mesh_kit::events;
use mesh_kit::network::Network;
use mesh_kit::outbox::{self, Outgoing};
use mesh_kit::time::from_proto_opt;
use prost::Message;
use sqlx::PgConnection;
use tracing::Instrument;
use uuid::Uuid;

pub const CONSUMER: ConsumerSpec = ConsumerSpec::new(
    events::triage::STREAM,
    "dispatch",
    events::triage::CASE_ROUTED,
);

/// What a delivered `CaseRouted` asks of dispatch.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    /// The case joins a batch incident: no order of its own.
    Incident {
        case_number: String,
        incident: Incident,
    },
    /// A work order for `routed.department`, a department of the network.
    Order {
        case_id: Uuid,
        case_number: String,
        routed: Box<CaseRouted>,
    },
}

/// Decodes and checks a delivered `CaseRouted` (no database): the payload
/// must decode, name its case, and route to a department of `network`
/// unless the case joins an incident.
pub fn parse(network: &Network, payload: &[u8]) -> Result<Routed, HandleError> {
    let routed = CaseRouted::decode(payload).map_err(HandleError::undecodable)?;
    let (case_id, header) = events::case_of(routed.header.as_ref()).map_err(HandleError::Reject)?;
    let case_number = header.case_number.clone();
    if let Some(incident) = routed.incident {
        return Ok(Routed::Incident {
            case_number,
            incident,
        });
    }
    if network.department(&routed.department).is_none() {
        return Err(HandleError::Reject(format!(
            "department {:?} is not in the network",
            routed.department
        )));
    }
    Ok(Routed::Order {
        case_id,
        case_number,
        routed: Box::new(routed),
    })
}

#[derive(Clone)]
pub struct RoutedHandler {
    pub engine: Engine,
}

impl RoutedHandler {
    /// Who hears of a major case held by `holder`: its parent and the
    /// centre, each once, never the holder itself.
    fn notified_of_major(&self, holder: &str) -> Vec<String> {
        let network = &self.engine.network;
        let mut out = Vec::new();
        for code in [
            network.parent(holder).map(|p| p.code.clone()),
            Some(network.centre().code.clone()),
        ]
        .into_iter()
        .flatten()
        {
            if code != holder && !out.contains(&code) {
                out.push(code);
            }
        }
        out
    }
}

impl RoutedHandler {
    /// The conclusion deadline of a routed case handed over at
    /// `assigned_at`; `None` for a case that joins an incident.
    async fn due(
        &self,
        routed: &Routed,
        assigned_at: DateTime<Utc>,
    ) -> Result<Option<Due>, HandleError> {
        let Some(order) = due_for(routed) else {
            return Ok(None);
        };
        self.engine
            .compute(order, assigned_at)
            .await
            .map(Some)
            .map_err(|err| HandleError::Retry(err.into()))
    }

    /// The conclusion deadlines of a batch's routed cases handed over at
    /// `assigned_at`, in order, asked of the deadline-watcher with one
    /// call; `None` for a case that joins an incident.
    async fn dues(
        &self,
        parsed: &[Routed],
        assigned_at: DateTime<Utc>,
    ) -> Result<Vec<Option<Due>>, HandleError> {
        let wanted: Vec<DueFor> = parsed.iter().filter_map(due_for).collect();
        let mut dues = self
            .engine
            .compute_all(&wanted, assigned_at)
            .await
            .map_err(|err| HandleError::Retry(err.into()))?
            .into_iter();
        Ok(parsed
            .iter()
            .map(|routed| due_for(routed).and_then(|_| dues.next()))
            .collect())
    }

    /// Applies a parsed `CaseRouted` whose deadline is known: joins the
    /// incident, or creates the work order and queues it.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        routed: Routed,
        due: Option<Due>,
        assigned_at: DateTime<Utc>,
    ) -> Result<(), HandleError> {
        let mut orders = NewOrders::default();
        match self.order(routed, due, assigned_at)? {
            Step::Incident {
                case_number,
                incident,
            } => crate::links::join_incident(&self.engine, tx, &case_number, &incident).await,
            Step::Order(order) => {
                self.queue(&mut orders, *order);
                orders.write(tx).await.map_err(HandleError::from)
            }
        }
    }

    /// What a parsed `CaseRouted` whose deadline is known comes to: the
    /// incident it joins, or its new work order.
    fn order(
        &self,
        routed: Routed,
        due: Option<Due>,
        assigned_at: DateTime<Utc>,
    ) -> Result<Step, HandleError> {
        let (case_id, case_number, routed, due) = match (routed, due) {
            (
                Routed::Incident {
                    case_number,
                    incident,
                },
                _,
            ) => {
                return Ok(Step::Incident {
                    case_number,
                    incident,
                });
            }
            (
                Routed::Order {
                    case_id,
                    case_number,
                    routed,
                },
                Some(due),
            ) => (case_id, case_number, *routed, due),
            (Routed::Order { case_number, .. }, None) => {
                return Err(HandleError::Retry(anyhow::anyhow!(
                    "no deadline computed for case {case_number}"
                )));
            }
        };
        Ok(Step::Order(Box::new(OrderRow {
            order_id: Uuid::now_v7(),
            case_id,
            case_number,
            holder: routed.department,
            co_handlers: Vec::new(),
            state: "queued".into(),
            mode: routed.mode,
            kind: routed.kind,
            category: routed.category,
            severity: routed.severity,
            region: routed.region,
            channel: routed.channel,
            summary: routed.summary,
            request: routed.request,
            respondent: routed.respondent,
            received_at: from_proto_opt(routed.received_at.as_ref()),
            assigned_at,
            due_at: due.at,
            deadline_rule: due.rule,
            base_working_days: i32::try_from(due.working_days).unwrap_or(0),
            extended_days: 0,
            pending_extension: None,
            reopen_count: 0,
            returned_by: Vec::new(),
            previous_holder: String::new(),
            suspended_at: None,
            last_contact_at: None,
            satisfaction: String::new(),
            revision: 1,
            alert_stage: String::new(),
            alert_level: 0,
            return_window_seconds: i32::try_from(due.return_window_seconds).unwrap_or(i32::MAX),
            extension_cap: i32::try_from(due.extension_cap).unwrap_or(i32::MAX),
        })))
    }

    /// Adds a new order to `orders`, with its queue message and, for a
    /// major case (重大), a copy for information one tier up and at the
    /// centre (DOMAIN.md §3); each event in the current span's trace.
    fn queue(&self, orders: &mut NewOrders, order: OrderRow) {
        let subjects = &self.engine.subjects;
        let traceparent = mesh_kit::telemetry::current_traceparent();
        let mut out = vec![order.queued(subjects, &order.holder, Handover::New, false)];
        if order.severity == Severity::Major as i32 {
            out.extend(
                self.notified_of_major(&order.holder)
                    .iter()
                    .map(|notified| order.queued(subjects, notified, Handover::Notice, false)),
            );
        }
        orders
            .events
            .extend(out.into_iter().map(|e| (e, traceparent.clone())));
        tracing::info!(case_number = %order.case_number, department = %order.holder, due_at = %order.due_at, "work order queued");
        orders.orders.push(order);
    }
}

/// What a routed case's deadline depends on; `None` for a case that joins
/// an incident (no order, no deadline).
fn due_for(routed: &Routed) -> Option<DueFor> {
    match routed {
        Routed::Incident { .. } => None,
        Routed::Order { routed, .. } => Some(DueFor {
            mode: routed.mode,
            kind: routed.kind,
            severity: routed.severity,
        }),
    }
}

/// What one `CaseRouted` comes to.
enum Step {
    Incident {
        case_number: String,
        incident: Incident,
    },
    Order(Box<OrderRow>),
}

/// New work orders and their queue messages, gathered so that the orders
/// of a batch are written with one statement and their messages with one
/// more.
#[derive(Default)]
struct NewOrders {
    orders: Vec<OrderRow>,
    /// In stream order, each with the trace of its case.
    events: Vec<(Outgoing, Option<String>)>,
}

impl NewOrders {
    /// Writes what was gathered and empties it.
    async fn write(&mut self, tx: &mut PgConnection) -> Result<(), sqlx::Error> {
        orders::insert_all(tx, &std::mem::take(&mut self.orders)).await?;
        outbox::enqueue_many_traced(tx, std::mem::take(&mut self.events)).await
    }
}

impl Handler for RoutedHandler {
    async fn handle(&self, tx: &mut PgConnection, delivery: &Delivery) -> Result<(), HandleError> {
        let routed = parse(&self.engine.network, &delivery.payload)?;
        // Microseconds: what Postgres keeps, so answers equal later reads.
        let assigned_at = Utc::now().trunc_subsecs(6);
        let due = self.due(&routed, assigned_at).await?;
        self.apply(tx, routed, due, assigned_at).await
    }

    /// The deadlines of a batch are asked of deadline-watcher with one
    /// `ComputeDeadlines` call (in the batch's trace, not each case's),
    /// not one call per order. The new orders are written together, with
    /// one statement for the orders and one for their queue messages, in
    /// stream order; a case that joins an incident reads orders, so what
    /// came before it is written first. If the call fails (a
    /// deadline-watcher older than the batch call answers UNIMPLEMENTED),
    /// the runner handles each event alone, with a call of its own.
    async fn handle_batch(
        &self,
        tx: &mut PgConnection,
        deliveries: &[&Delivery],
    ) -> Result<(), HandleError> {
        let parsed = deliveries
            .iter()
            .map(|d| parse(&self.engine.network, &d.payload))
            .collect::<Result<Vec<_>, _>>()?;
        let assigned_at = Utc::now().trunc_subsecs(6);
        let dues = self.dues(&parsed, assigned_at).await?;
        let mut orders = NewOrders::default();
        for ((routed, due), d) in parsed.into_iter().zip(dues).zip(deliveries) {
            match d.span.in_scope(|| self.order(routed, due, assigned_at))? {
                Step::Incident {
                    case_number,
                    incident,
                } => {
                    orders.write(tx).await?;
                    crate::links::join_incident(&self.engine, tx, &case_number, &incident)
                        .instrument(d.span.clone())
                        .await?;
                }
                Step::Order(order) => d.span.in_scope(|| self.queue(&mut orders, *order)),
            }
        }
        orders.write(tx).await?;
        Ok(())
    }
}
