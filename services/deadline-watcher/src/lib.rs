//! deadline-watcher (时限监控): owns the deadline policy, the working-day
//! calendar and a timer for every deadline of every open work order.
//!
//! dispatch asks it (gRPC `ComputeDeadlines`, a batch's orders in one
//! call) for each work order's conclusion deadline before queueing the
//! order, so the department sees its due time; when the order is
//! published, the watcher registers the timer in its schema and announces
//! `DeadlineRegistered`.
//!
//! # Layout
//!
//! - [`app`]: settings and `Application::build` / `run_until_stopped`.
//! - [`calendar`]: working days: weekends, holidays, make-up days (调休).
//! - [`policy`]: which rule applies and the instant it gives.
//! - [`deadlines`]: policy + calendar + local time, in one value.
//! - [`orders`]: the consumer that registers a timer per work order.
//! - [`compute`]: deadlines computed on request, one or a batch at once.
//! - [`service`]: the `complaints.v1.Deadlines` gRPC service.
//! - [`error`]: the errors of the gRPC service and their statuses.

pub mod app;
pub mod calendar;
pub mod compute;
pub mod deadlines;
pub mod error;
pub mod firing;
pub mod orders;
pub mod policy;
pub mod service;
pub mod supervision;

pub use app::{Application, Settings};
