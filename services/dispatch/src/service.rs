//! The `complaints.v1.Dispatch` gRPC service: department queues and the
//! department tree.

use crate::error::DispatchError;
use crate::orders;
use async_nats::jetstream::{self, consumer::pull, consumer::DeliverPolicy};
use complaints_proto::v1::dispatch_server::Dispatch;
use complaints_proto::v1::{
    Department, ListDepartmentsRequest, ListDepartmentsResponse, ListOrdersRequest,
    ListOrdersResponse, WatchQueueRequest, WorkOrder,
};
use futures::StreamExt;
use mesh_kit::network::Network;
use mesh_kit::{events, Subjects};
use prost::Message;
use sqlx::PgPool;
use std::pin::Pin;
use std::sync::Arc;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct DispatchService {
    pub pool: PgPool,
    pub network: Arc<Network>,
    pub subjects: Subjects,
    pub js: jetstream::Context,
}

impl DispatchService {
    fn department(&self, code: &str) -> Result<(), DispatchError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(DispatchError::InvalidField {
                field: "department",
                rule: "is required".into(),
            });
        }
        match self.network.department(code) {
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
            .get_stream(self.subjects.stream(events::dispatch::STREAM))
            .await
            .map_err(|e| DispatchError::Queue(e.to_string()))?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: self.subjects.department_queue(req.department.trim()),
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
                    field: "limit",
                    rule: "at most 500".into(),
                }
                .into())
            }
            n => i64::from(n),
        };
        let rows = orders::open_for(&self.pool, req.department.trim(), limit)
            .await
            .map_err(DispatchError::from)?;
        Ok(Response::new(ListOrdersResponse {
            orders: rows.iter().map(|o| o.to_message(o.order_id)).collect(),
        }))
    }

    async fn list_departments(
        &self,
        _request: Request<ListDepartmentsRequest>,
    ) -> Result<Response<ListDepartmentsResponse>, Status> {
        Ok(Response::new(ListDepartmentsResponse {
            departments: self
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
