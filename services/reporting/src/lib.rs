//! reporting (统计分析): the centre's statistics and periodic reports
//! (DOMAIN.md §9).
//!
//! Every event of intake, triage, dispatch and the deadline-watcher is
//! folded into a rollup cube (local day × department × dimension × key)
//! and into the latest state of each case; reports sum the cube over a
//! period, never scanning cases, and read the case states only for their
//! short lists. The same fold recomputes any report from the raw streams in
//! memory, to show the rollups are true.
//!
//! # Layout
//!
//! - [`app`]: settings, `Application::build` / `run_until_stopped`, rebuild.
//! - [`fold`]: what each event adds (pure).
//! - [`events`]: the consumers that apply the folds.
//! - [`store`]: the rollups in Postgres (a report source).
//! - [`memory`]: the rollups in memory (a report source).
//! - [`replay`]: reading the raw streams into memory.
//! - [`report`]: periods, scope, rates, hot topics, lists: a `Report`.
//! - [`render`]: CSV and HTML with charts.
//! - [`schedule`]: periodic reports, produced and kept on schedule.
//! - [`service`]: the `complaints.v1.Reporting` gRPC service.

pub mod app;
pub mod events;
pub mod fold;
pub mod memory;
pub mod render;
pub mod replay;
pub mod report;
pub mod schedule;
pub mod service;
pub mod store;

pub use app::{Application, Settings};
