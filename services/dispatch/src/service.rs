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
use mesh_kit::input;
use mesh_kit::network::Network;
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

/// Largest request dispatch's gRPC server decodes
/// (`max_decoding_message_size`); a bigger one is refused by tonic with
/// `OUT_OF_RANGE` before any handler runs. The largest valid request (a
/// conclusion with every element at its limit, in 4-byte characters) is
/// about 32 KiB.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024;

/// Orders `ListOrders` returns when asked for 0, and at most.
pub const DEFAULT_LIST: u32 = 50;
pub const MAX_LIST: u32 = 500;

fn case_number(value: &str) -> Result<String, DispatchError> {
    Ok(input::case_number("case_number", value)?)
}

/// A department of the network, named by a field of the request.
fn department(network: &Network, field: &'static str, code: &str) -> Result<String, DispatchError> {
    let code = input::required_code(field, code)?;
    match network.department(&code) {
        Some(_) => Ok(code),
        None => Err(DispatchError::UnknownDepartment(code)),
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

    fn department(&self, code: &str) -> Result<String, DispatchError> {
        department(&self.engine.network, "department", code)
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
        let department = self.department(&req.department)?;
        let stream = self
            .js
            .get_stream(self.engine.subjects.stream(events::dispatch::STREAM))
            .await
            .map_err(|e| DispatchError::Queue(e.to_string()))?;
        let consumer = stream
            .create_consumer(pull::OrderedConfig {
                filter_subject: self.engine.subjects.department_queue(&department),
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
        let department = self.department(&req.department)?;
        let limit = input::page_size("limit", req.limit, DEFAULT_LIST, MAX_LIST)
            .map_err(DispatchError::from)?;
        let rows = orders::for_department(&self.pool, &department, req.all, limit)
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
        let actor = input::required_code("actor", &req.actor).map_err(DispatchError::from)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use complaints_proto::v1::act_request::{Conclude, Step};
    use complaints_proto::v1::Conclusion;
    use tonic::Code;

    fn network() -> Network {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../deploy/network/sample-city.toml");
        Network::load(&path).expect("sample network")
    }

    fn status(err: DispatchError) -> Status {
        Status::from(err)
    }

    #[test]
    fn case_numbers_are_checked_and_bounded() {
        assert_eq!(
            case_number(" 2026-11-000001 ").expect("valid"),
            "2026-11-000001"
        );
        let s = status(case_number(&format!("2026-11-{}", "9".repeat(1000))).expect_err("long"));
        assert_eq!(s.code(), Code::InvalidArgument);
        assert!(
            s.message()
                .starts_with("case_number: is 1008 characters long"),
            "{s:?}"
        );
    }

    #[test]
    fn departments_must_be_codes_of_the_network() {
        let net = network();
        assert_eq!(
            department(&net, "department", " east-heat ").expect("known"),
            "east-heat"
        );
        let s = status(department(&net, "department", "").expect_err("empty"));
        assert_eq!(
            (s.code(), s.message()),
            (Code::InvalidArgument, "department: is required")
        );
        let s = status(department(&net, "department", &"x".repeat(100_000)).expect_err("huge"));
        assert_eq!(s.code(), Code::InvalidArgument);
        assert!(s.message().len() < 200, "{s:?}");
        let s = status(department(&net, "department", "nowhere").expect_err("unknown"));
        assert_eq!(s.code(), Code::NotFound);
    }

    #[test]
    fn list_limits_default_and_are_capped() {
        assert_eq!(input::page_size("limit", 0, DEFAULT_LIST, MAX_LIST), Ok(50));
        let s = status(
            input::page_size("limit", MAX_LIST + 1, DEFAULT_LIST, MAX_LIST)
                .expect_err("too many")
                .into(),
        );
        assert_eq!(s.code(), Code::InvalidArgument);
        assert!(s.message().starts_with("limit: is 501"), "{s:?}");
    }

    #[test]
    fn the_largest_valid_step_fits_the_message_limit() {
        use crate::workflow::command::{MAX_HANDLER, MAX_PHONE, MAX_TEXT};
        let wide = |n: usize| "𠀀".repeat(n);
        let req = ActRequest {
            case_number: format!("2026-11-{}", "9".repeat(24)),
            actor: "a".repeat(input::MAX_CODE),
            step: Some(Step::Conclude(Conclude {
                conclusion: Some(Conclusion {
                    facts_found: wide(MAX_TEXT),
                    staff_handling: wide(MAX_TEXT),
                    corrective_actions: wide(MAX_TEXT),
                    answer: wide(MAX_TEXT),
                    handler: wide(MAX_HANDLER),
                    handler_phone: "1".repeat(MAX_PHONE),
                }),
            })),
        };
        assert!(Command::try_from(req.clone()).is_ok());
        assert!(
            req.encoded_len() * 2 < MAX_MESSAGE_BYTES,
            "{}",
            req.encoded_len()
        );
    }
}
