//! triage (分类): turns a registered case into a routing decision.
//!
//! For each `CaseRegistered` it decides the kind (咨询, 投诉, …), the
//! category of the taxonomy, the severity (轻微/一般/重大), the responsible
//! department by category × region, and the handling mode (直办, 交办,
//! 转办); it stores the decision with its reasons and announces
//! `CaseRouted`. The rules are data, in the network file.
//!
//! # Layout
//!
//! - [`app`]: settings and `Application::build` / `run_until_stopped`.
//! - [`rules`]: the rules file, checked against the network.
//! - [`live`]: the rules in force, reloaded when the file changes.
//! - [`acceptance`]: whether a complaint is accepted (A–E) and the reply.
//! - [`decide`]: classification and routing of one case (pure).
//! - [`duplicates`]: whether two complaints are the same matter (pure).
//! - [`links`]: a complainant's new complaint against their earlier cases:
//!   A, B, or a second complaint (pure).
//! - [`incidents`]: batch incidents of several complainants (pure).
//! - [`matters`]: triage's record of routed cases and incidents.
//! - [`handler`]: the consumer of `CaseRegistered`.
//! - [`steps`]: follows dispatch's workflow steps into `matters`.
//! - [`service`]: the `complaints.v1.Triage` gRPC service (routing advice).
//! - [`error`]: the errors of the gRPC service and their statuses.

pub mod acceptance;
pub mod app;
pub mod decide;
pub mod duplicates;
pub mod error;
pub mod handler;
pub mod incidents;
pub mod links;
pub mod live;
pub mod matters;
pub mod rules;
pub mod service;
pub mod steps;

pub use app::{Application, Settings};
