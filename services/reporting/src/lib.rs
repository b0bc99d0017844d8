//! reporting (统计分析): statistics fed by every event.
//!
//! Consumers count each case by the local day it was received and by
//! channel, category, kind, region, severity and department, in a rollup
//! table; the `complaints.v1.Reporting` gRPC service sums the rollups over
//! a range of days without scanning cases.
//!
//! # Layout
//!
//! - [`app`]: settings and `Application::build` / `run_until_stopped`.
//! - [`events`]: the consumers that feed the rollups.
//! - [`counts`]: the rollup table.
//! - [`service`]: the `complaints.v1.Reporting` gRPC service.

pub mod app;
pub mod counts;
pub mod events;
pub mod service;

pub use app::{Application, Settings};
