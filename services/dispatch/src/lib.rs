//! dispatch (派单): owns work orders (工单) and the department queues.
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
//! - [`orders`]: the `work_orders` table and the queue message.
//! - [`service`]: the `complaints.v1.Dispatch` gRPC service.
//! - [`error`]: dispatch's errors and their gRPC statuses.

pub mod app;
pub mod error;
pub mod orders;
pub mod routed;
pub mod service;

pub use app::{Application, Settings};
