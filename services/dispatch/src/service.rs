//! The `complaints.v1.Dispatch` gRPC service: department queues and the
//! department tree.

use crate::engine::Engine;
use crate::error::DispatchError;
use crate::orders::{self, count, OrderRow};
use crate::workflow::machine::Actor;
use crate::workflow::Command;
use async_nats::jetstream::{self, consumer::pull, consumer::DeliverPolicy};
use complaints_proto::v1::dispatch_server::Dispatch;
use complaints_proto::v1::{
    ActRequest, Department, GetOrderRequest, ListDepartmentsRequest, ListDepartmentsResponse,
    ListOrdersRequest, ListOrdersResponse, Order, Satisfaction, WatchQueueRequest, WorkOrder,
};
use complaints_proto::Label;
use futures::StreamExt;
use mesh_kit::events;
use mesh_kit::outbox::OutboxWaker;
use mesh_kit::time::to_proto;
use prost::Message;
use sqlx::PgPool;
use std::pin::Pin;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct DispatchService {
    pub pool: PgPool,
    pub js: jetstream::Context,
    pub engine: Engine,
    pub outbox: OutboxWaker,
}

fn case_number(value: &str) -> Result<String, DispatchError> {
    let value = value.trim();
    if complaints_proto::is_case_number(value) {
        Ok(value.to_owned())
    } else {
        Err(DispatchError::InvalidField {
            field: "case_number".into(),
            rule: "must look like 2026-11-000123".into(),
        })
    }
}

/// An order without its history and conclusion (for lists).
fn summary(row: &OrderRow) -> Order {
    Order {
        order: Some(row.to_holder_message()),
        state: row.state.clone(),
        extended_working_days: count(row.extended_days),
        pending_extension_days: row.pending_extension.map_or(0, count),
        reopen_count: count(row.reopen_count),
        return_count: u32::try_from(row.returned_by.len()).unwrap_or(u32::MAX),
        last_contact_at: row.last_contact_at.map(to_proto),
        conclusion: None,
        satisfaction: Satisfaction::from_label(&row.satisfaction).map_or(0, |s| s as i32),
        history: Vec::new(),
        alert_stage: row.alert_stage.clone(),
        alert_level: count(row.alert_level),
    }
}

impl DispatchService {
    /// An order with its conclusion and history.
    async fn view(&self, row: OrderRow) -> Result<Order, DispatchError> {
        let mut order = summary(&row);
        order.conclusion = orders::conclusion(&self.pool, row.order_id).await?;
        order.history = orders::history(&self.pool, row.order_id).await?;
        Ok(order)
    }

    fn department(&self, code: &str) -> Result<(), DispatchError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(DispatchError::InvalidField {
                field: "department".into(),
                rule: "is required".into(),
            });
        }
        match self.engine.network.department(code) {
            Some(_) => Ok(()),
            None => Err(DispatchError::UnknownDepartment(code.to_owned())),
        }
    }
}

type OrderStream = Pin<Box<dyn futures::Stream<Item = Result<WorkOrder, Status>> + Send>>;

#[tonic::async_trait]
impl Dispatch for DispatchService {
    type WatchQueueStream = OrderStream;

    /// Reads the department's queue subject with an ordered (ephemeral)
    /// JetStream consumer, so watching never moves the department's own
    /// durable consumer.
    async fn watch_queue(
        &self,
        request: Request<WatchQueueRequest>,
    ) -> Result<Response<OrderStream>, Status> {
        let req = request.into_inner();
        self.department(&req.department)?;
        let stream = self
            .js
            .get_stream(self.engine.subjects.stream(events::dispatch::STREAM))
            .await
            .map_err(|e| DispatchError::Queue(e.to_string()))?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: self.engine.subjects.department_queue(req.department.trim()),
                deliver_policy: if req.from_start {
                    DeliverPolicy::All
                } else {
                    DeliverPolicy::New
                },
                ..Default::default()
            })
            .await
            .map_err(|e| DispatchError::Queue(e.to_string()))?;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| DispatchError::Queue(e.to_string()))?;
        let orders = messages.map(|message| match message {
            Ok(message) => WorkOrder::decode(message.payload.clone()).map_err(|e| {
                Status::data_loss(format!("a queued work order does not decode: {e}"))
            }),
            Err(e) => Err(Status::unavailable(format!("queue interrupted: {e}"))),
        });
        Ok(Response::new(Box::pin(orders)))
    }

    async fn list_orders(
        &self,
        request: Request<ListOrdersRequest>,
    ) -> Result<Response<ListOrdersResponse>, Status> {
        let req = request.into_inner();
        self.department(&req.department)?;
        let limit = match req.limit {
            0 => 50,
            n if n > 500 => {
                return Err(DispatchError::InvalidField {
                    field: "limit".into(),
                    rule: "at most 500".into(),
                }
                .into())
            }
            n => i64::from(n),
        };
        let rows = orders::for_department(&self.pool, req.department.trim(), req.all, limit)
            .await
            .map_err(DispatchError::from)?;
        Ok(Response::new(ListOrdersResponse {
            orders: rows.iter().map(summary).collect(),
        }))
    }

    async fn get_order(
        &self,
        request: Request<GetOrderRequest>,
    ) -> Result<Response<Order>, Status> {
        let case_number = case_number(&request.get_ref().case_number)?;
        let row = orders::get(&self.pool, &case_number)
            .await
            .map_err(DispatchError::from)?
            .ok_or(DispatchError::OrderNotFound(case_number))?;
        Ok(Response::new(self.view(row).await?))
    }

    async fn act(&self, request: Request<ActRequest>) -> Result<Response<Order>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        let req = request.into_inner();
        let case_number = case_number(&req.case_number)?;
        let actor = req.actor.trim().to_owned();
        if actor.is_empty() {
            return Err(DispatchError::InvalidField {
                field: "actor".into(),
                rule: "is required: the acting department's code".into(),
            }
            .into());
        }
        let command = Command::try_from(req).map_err(DispatchError::from)?;
        let mut tx = self.pool.begin().await.map_err(DispatchError::from)?;
        let row = self
            .engine
            .apply(&mut tx, &case_number, Actor::Department(actor), command)
            .await?;
        tx.commit().await.map_err(DispatchError::from)?;
        self.outbox.wake();
        Ok(Response::new(self.view(row).await?))
    }

    async fn list_departments(
        &self,
        _request: Request<ListDepartmentsRequest>,
    ) -> Result<Response<ListDepartmentsResponse>, Status> {
        Ok(Response::new(ListDepartmentsResponse {
            departments: self
                .engine
                .network
                .departments()
                .map(|d| Department {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    parent: d.parent.clone().unwrap_or_default(),
                    tier: d.tier,
                })
                .collect(),
        }))
    }
}
