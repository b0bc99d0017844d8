//! intake (受理): the front door of the mesh.
//!
//! It registers every complaint at once (首问责任制: whoever receives it
//! registers it), gives it a case number and a query code, keeps the
//! complainant's identity in its own schema, announces `CaseRegistered`
//! (with a masked summary) through the outbox, and answers status queries
//! from a timeline fed by the other services' events.
//!
//! # Layout
//!
//! - [`app`]: settings and `Application::build` / `run_until_stopped`.
//! - [`service`]: the `complaints.v1.Intake` gRPC service.
//! - [`admission`]: backpressure: how much intake takes on at once.
//! - [`registrar`]: group commit: submissions that arrive together are
//!   registered in one transaction.
//! - [`complaint`]: a submitted complaint, parsed and checked.
//! - [`case_number`]: case numbers and query codes.
//! - [`complainant_key`]: the complainant's pseudonymous key in events.
//! - [`mask`]: masking of personal data in summaries and replies.
//! - [`store`]: intake's tables.
//! - [`timeline`]: consumers that write other services' events to the
//!   case timeline.
//! - [`error`]: intake's errors and their gRPC statuses.

pub mod admission;
pub mod app;
pub mod case_number;
pub mod complainant_key;
pub mod complaint;
pub mod error;
pub mod mask;
pub mod registrar;
pub mod service;
pub mod store;
pub mod timeline;

#[cfg(test)]
mod testing;

pub use app::{Application, Settings};
