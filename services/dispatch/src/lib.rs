//! dispatch (派单): owns work orders (工单), the department queues and the
//! department workflow (签收, 退单, 转办, 延期, 办结, 回访, 复核…).
//!
//! For each `CaseRouted` it asks the deadline-watcher for the conclusion
//! deadline, creates the work order and queues it on the JetStream subject
//! `dispatch.v1.orders.<department>`, where the department's own system
//! reads it with a durable consumer (or watches it over gRPC).
//!
//! # Layout
//!
//! - [`app`]: settings and `Application::build` / `run_until_stopped`.
//! - [`routed`]: the consumer of `CaseRouted` that creates work orders.
//! - [`workflow`]: the department workflow as a pure state machine (the
//!   transition table, rendered in `docs/workflow.md`).
//! - [`engine`]: applies a workflow step: deadlines, storage, events.
//! - [`reviews`]: the consumer of intake's `ReviewRequested` (复核).
//! - [`links`]: batch incidents (merges into the lead) and nudges of the
//!   holder when a complainant asks again (催办).
//! - [`alerts`]: the consumer of deadline alerts (预警, 超期, escalation).
//! - [`orders`]: the `work_orders` table and the queue message.
//! - [`service`]: the `complaints.v1.Dispatch` gRPC service.
//! - [`error`]: dispatch's errors and their gRPC statuses.

pub mod alerts;
pub mod app;
pub mod engine;
pub mod error;
pub mod links;
pub mod orders;
pub mod reviews;
pub mod routed;

pub mod service;
pub mod workflow;

pub use app::{Application, Settings};
