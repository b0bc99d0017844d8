//! What every service of the complaint-routing mesh shares.
//!
//! # Layout
//!
//! - [`config`]: command-line / environment settings common to all services,
//!   and the subject and stream names derived from them.
//! - [`telemetry`]: one `init` for logs and traces, W3C trace context carried
//!   in NATS headers and gRPC metadata.
//! - [`db`]: Postgres pools bound to one schema, and migrations per schema.
//! - [`nats`]: connecting to NATS, declaring streams.
//! - [`events`]: stream and subject names of every event.
//! - [`broker`]: surviving a NATS server that lost its last writes
//!   (re-publishing the outbox window, rewinding consumers).
//! - [`outbox`]: the transactional outbox and its relay to JetStream.
//! - [`consumer`]: durable pull consumers with exactly-once effects
//!   (idempotent handling in the same transaction as the effect).
//! - [`processed`]: forgetting the ids of events handled long ago.
//! - [`grpc`]: serving a tonic router with health and reflection.
//! - [`input`]: checks of request fields at the gRPC edge (lengths, codes,
//!   enums, timestamps, page sizes), each naming the field and the rule.
//! - [`network`]: the department tree and regions, parsed from the network
//!   file.
//! - [`service`]: the shape every service shares: `Backbone` (connections),
//!   `Runner` (tasks), `Service` and `main`.
//! - [`shutdown`]: one shutdown signal fanned out to every task, and the
//!   task set a service runs until it stops.
//! - `testing` (feature `testing`): throw-away databases for tests.
//! - [`time`]: conversions between protobuf timestamps and chrono.

pub mod broker;
pub mod config;
pub mod consumer;
pub mod db;
pub mod events;
pub mod grpc;
pub mod input;
pub mod nats;
pub mod network;
pub mod outbox;
pub mod processed;
pub mod service;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;

pub use config::{CommonArgs, Subjects};
pub use shutdown::Shutdown;
